"""IEMOCAP: the Interactive Emotional Dyadic Motion Capture database.

Five sessions, each a female and a male actor in improvised and scripted
dialogs; 10,039 utterances with a majority emotion label. Expected layout
(as released, ``IEMOCAP_full_release``)::

    Session1/dialog/EmoEvaluation/Ses01F_impro01.txt
    Session1/dialog/transcriptions/Ses01F_impro01.txt        (optional)
    Session1/sentences/wav/Ses01F_impro01/Ses01F_impro01_F000.wav
    ...
    Session5/...

An EmoEvaluation line such as
``[6.2901 - 8.2357]<TAB>Ses01F_impro01_F000<TAB>neu<TAB>[2.5000, 2.5000, 2.5000]``
gives the utterance, its label and its mean ratings of valence, activation
(arousal) and dominance, in that order (the files' header says
``[V, A, D]``) on IEMOCAP's 1-5 scale; they become ``arousal``, ``valence``
and ``dominance`` in ``[0, 1]``: ``(x - 1) / 4``. The speaker is the
session plus the gender letter that starts the last ID field
(``Ses01F_impro01_F000`` -> ``Ses01_F``, female): the letter after ``Ses01``
only tells who wore the motion markers.

The usual protocol is 4 classes (neutral, happy + excited merged, sad, angry)
and leave-one-session-out cross-validation; every utterance carries its
session as its fold ``group``.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from pathlib import Path

from speechbrain_lstm_ser.dataio.corpora.base import (
    CorpusLayoutError,
    CorpusListing,
    open_corpus,
    scale_dimensions,
)

__all__ = [
    "CODES",
    "LAYOUT",
    "SCALE",
    "IemocapOptions",
    "parse_evaluations",
    "read_iemocap",
]

LAYOUT = (
    "IEMOCAP_full_release/Session1..5/dialog/EmoEvaluation/<dialog>.txt and "
    "Session1..5/sentences/wav/<dialog>/<utterance>.wav"
)

#: IEMOCAP's label codes -> the shared emotion vocabulary.
CODES = {
    "neu": "neutral",
    "hap": "happy",
    "exc": "excited",
    "sad": "sad",
    "ang": "angry",
    "fru": "frustrated",
    "fea": "fearful",
    "sur": "surprised",
    "dis": "disgust",
    "oth": "other",
    "xxx": "no_agreement",
}

DIALOGS = ("both", "improvised", "scripted")
#: IEMOCAP's rating scale of valence, activation and dominance.
SCALE = (1.0, 5.0)

_LABEL_LINE = re.compile(
    r"^\[\s*[\d.]+\s*-\s*[\d.]+\s*\]\s+(?P<uid>Ses\S+)\s+(?P<code>\S+)\s+"
    r"\[(?P<vad>[^\]]*)\]?"
)
_TRANSCRIPT_LINE = re.compile(r"^(?P<uid>Ses\S+)\s+\[[^\]]*\]:\s*(?P<text>.*)$")


@dataclasses.dataclass(frozen=True)
class IemocapOptions:
    """Options of the IEMOCAP preparation (``prepare.corpora.iemocap`` in the YAML).

    Arguments
    ---------
    sessions : tuple of int
        Sessions to use (1..5); each is one leave-one-session-out fold.
    dialogs : str
        ``both``, ``improvised`` (many papers use improvised only: the
        emotions are less acted) or ``scripted``.
    """

    sessions: tuple[int, ...] = (1, 2, 3, 4, 5)
    dialogs: str = "both"

    def __post_init__(self):
        object.__setattr__(self, "sessions", tuple(int(s) for s in self.sessions))
        if not self.sessions or any(not 1 <= s <= 5 for s in self.sessions):
            raise ValueError(
                "prepare.corpora.iemocap.sessions must list sessions 1..5, got "
                f"{self.sessions}"
            )
        if self.dialogs not in DIALOGS:
            raise ValueError(
                f"prepare.corpora.iemocap.dialogs must be one of {list(DIALOGS)}, "
                f"got {self.dialogs!r}"
            )


def parse_evaluations(
    path: str | Path,
) -> dict[str, tuple[str, tuple[float, float, float] | None]]:
    r"""Reads the labels and dimensions of one ``EmoEvaluation/<dialog>.txt``.

    Arguments
    ---------
    path : str or Path
        The evaluation file.

    Returns
    -------
    dict
        Utterance ID -> (label code, ``(valence, activation, dominance)`` on
        the 1-5 scale, or None where the line has no three numbers), in file
        order.

    Example
    -------
    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "Ses01F_impro05.txt")
    >>> _ = open(path, "w").write(
    ...     "[140.2250 - 145.6000]\tSes01F_impro05_F019\tang\t"
    ...     "[1.5000, 4.0000, 4.5000]\n"
    ...     "A-E3:\tval 2; act 4; dom  4;\t()\n"
    ... )
    >>> parse_evaluations(path)
    {'Ses01F_impro05_F019': ('ang', (1.5, 4.0, 4.5))}
    """
    found = {}
    with open(path, encoding="utf-8", errors="replace") as handle:
        for line in handle:
            match = _LABEL_LINE.match(line)
            if match:
                try:
                    vad = tuple(float(v) for v in match["vad"].split(","))
                except ValueError:
                    vad = ()
                found[match["uid"]] = (
                    match["code"].lower(),
                    vad if len(vad) == 3 else None,
                )
    return found


def _transcripts(folder: Path) -> dict[str, str]:
    """Utterance ID -> text, from ``dialog/transcriptions`` (when present)."""
    texts = {}
    for path in sorted(folder.glob("*.txt")):
        if path.name.startswith("."):
            continue
        with open(path, encoding="utf-8", errors="replace") as handle:
            for line in handle:
                match = _TRANSCRIPT_LINE.match(line.strip())
                if match:
                    texts[match["uid"]] = match["text"].strip()
    return texts


def _corpus_root(folder: Path) -> Path:
    """``data_folder`` itself, or its ``IEMOCAP_full_release`` sub-folder."""
    if not any(folder.glob("Session[1-5]")):
        inner = folder / "IEMOCAP_full_release"
        if any(inner.glob("Session[1-5]")):
            return inner
    return folder


def _dialog_kind(dialog: str) -> str:
    return "scripted" if "_script" in dialog else "improvised"


def read_iemocap(
    data_folder: str | Path, options: Mapping | None = None
) -> CorpusListing:
    """Lists the labelled utterances of IEMOCAP.

    Arguments
    ---------
    data_folder : str or Path
        ``IEMOCAP_full_release`` (or the folder that contains it).
    options : mapping, optional
        See :class:`IemocapOptions`.

    Returns
    -------
    CorpusListing
        Rows with ``group`` = ``Session<N>``; ``emo`` in the shared
        vocabulary (``excited`` is not merged here: ``label_map`` does it);
        ``arousal``, ``valence``, ``dominance`` in ``[0, 1]``.
    """
    opts, folder = open_corpus(
        data_folder, options, IemocapOptions, "iemocap", "IEMOCAP", LAYOUT
    )
    root = _corpus_root(folder)
    listing = CorpusListing(rows=[], group_name="session")
    seen: set[str] = set()
    clipped = 0
    for number in opts.sessions:
        session = root / f"Session{number}"
        evaluations = session / "dialog" / "EmoEvaluation"
        if not evaluations.is_dir():
            raise CorpusLayoutError(
                root, "IEMOCAP", f"has no {session.name}/dialog/EmoEvaluation", LAYOUT
            )
        texts = _transcripts(session / "dialog" / "transcriptions")
        for eval_file in sorted(evaluations.glob("*.txt")):
            if eval_file.name.startswith("."):
                continue
            for uid, (code, vad) in parse_evaluations(eval_file).items():
                dialog = uid.rsplit("_", 1)[0]
                if opts.dialogs != "both" and _dialog_kind(dialog) != opts.dialogs:
                    continue
                wav = session / "sentences" / "wav" / dialog / f"{uid}.wav"
                letter = uid.rsplit("_", 1)[-1][:1].upper()
                if uid in seen:
                    listing.skip(eval_file, f"{uid} is labelled twice")
                    continue
                if letter not in ("F", "M") or not re.match(r"Ses\d\d", uid):
                    listing.skip(wav, f"cannot tell the speaker of {uid}")
                    continue
                seen.add(uid)
                dims: dict[str, str] = {}
                if vad is not None:
                    valence, activation, dominance = vad
                    dims, out = scale_dimensions(
                        {
                            "arousal": activation,
                            "valence": valence,
                            "dominance": dominance,
                        },
                        SCALE,
                    )
                    clipped += out
                listing.rows.append(
                    {
                        **dims,
                        "ID": uid,
                        "wav": wav,
                        "spk_id": f"{uid[:5]}_{letter}",
                        "gender": "female" if letter == "F" else "male",
                        "emo": CODES.get(code, code),
                        "label": code,
                        "text": texts.get(uid, ""),
                        "group": session.name,
                    }
                )
    if not listing.rows and not listing.skipped:
        raise CorpusLayoutError(
            root, "IEMOCAP", "has no labelled utterance in EmoEvaluation", LAYOUT
        )
    if clipped:
        listing.notes.append(
            f"{clipped} IEMOCAP rating(s) of valence, activation or dominance "
            "outside its 1-5 scale: clipped to [0, 1]"
        )
    return listing
