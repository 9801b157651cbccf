"""LibriSpeech and mini-LibriSpeech: the folder layout -> ASR manifest rows.

The layout, as distributed (``LibriSpeech/`` after unpacking)::

    SPEAKERS.TXT                                   ;ID |SEX| SUBSET |MINUTES| NAME
    <subset>/<spk>/<chapter>/<spk>-<chapter>.trans.txt   "<utt-id> <TRANSCRIPT>"
    <subset>/<spk>/<chapter>/<spk>-<chapter>-<nnnn>.flac

``<subset>`` is e.g. ``train-clean-100``, ``dev-clean``, ``test-clean``
(LibriSpeech) or ``train-clean-5``, ``dev-clean-2`` (mini-LibriSpeech). The
folder given may be the ``LibriSpeech`` root or one subset folder. Speaker
gender comes from ``SPEAKERS.TXT`` (in the folder or its parent) when there
is one, and is ``unknown`` otherwise.

Nothing is written into the corpus folder.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import soundfile as sf

from speechbrain_lstm_ser.dataio.manifest import relative_to_data_root

logger = logging.getLogger(__name__)

__all__ = ["AUDIO_EXTENSIONS", "read_librispeech", "read_speakers_txt"]

#: Audio file extensions looked for next to a transcript, in order.
AUDIO_EXTENSIONS = (".flac", ".wav")


def read_speakers_txt(path: str | Path) -> dict[str, str]:
    r"""Reads LibriSpeech's ``SPEAKERS.TXT``: speaker ID -> gender.

    Arguments
    ---------
    path : str or Path
        The file. Lines starting with ``;`` are comments; fields are
        separated by ``|``; the second is ``F`` or ``M``.

    Returns
    -------
    dict
        ``{"19": "female", ...}``; speakers of another sex code are
        ``unknown``.

    Example
    -------
    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "SPEAKERS.TXT")
    >>> _ = open(path, "w").write(
    ...     ";ID  |SEX| SUBSET |MINUTES| NAME\n"
    ...     "19   | F | train-clean-100 | 25.19 | Kara Shallenberg\n"
    ...     "26   | M | train-clean-100 | 25.08 | Denny Sayers\n")
    >>> read_speakers_txt(path)
    {'19': 'female', '26': 'male'}
    """
    genders = {}
    with open(path, encoding="utf-8", errors="replace") as handle:
        for line in handle:
            if line.startswith(";") or "|" not in line:
                continue
            fields = [f.strip() for f in line.split("|")]
            sex = fields[1].upper() if len(fields) > 1 else ""
            genders[fields[0]] = {"F": "female", "M": "male"}.get(sex, "unknown")
    return genders


def _find_speakers_txt(folder: Path) -> Path | None:
    for candidate in (folder / "SPEAKERS.TXT", folder.parent / "SPEAKERS.TXT"):
        if candidate.is_file():
            return candidate
    return None


def _subset_of(trans: Path, folder: Path) -> str:
    """The subset a transcript belongs to (its folder three levels up)."""
    rel = trans.relative_to(folder).parts
    # <subset>/<spk>/<chapter>/<file> or <spk>/<chapter>/<file>
    return rel[0] if len(rel) >= 4 else folder.name


def read_librispeech(
    data_folder: str | Path, subsets: Sequence[str] | None = None
) -> list[dict]:
    """Lists the utterances of a LibriSpeech-layout folder as manifest rows.

    Arguments
    ---------
    data_folder : str or Path
        The ``LibriSpeech`` root, or one subset folder.
    subsets : sequence of str, optional
        Subset folders to read (e.g. ``["train-clean-100"]``); all by default.

    Returns
    -------
    list of dict
        ``ID, duration, wav, spk_id, gender, wrd, subset``, sorted by ID;
        ``wav`` relative to ``$data_root`` (= ``data_folder``).

    Raises
    ------
    FileNotFoundError
        When the folder, a requested subset, or any transcript is missing.
    ValueError
        When a transcript line or an audio file cannot be used (the message
        names the file and line).
    """
    folder = Path(data_folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"LibriSpeech folder {folder} does not exist")
    roots = [folder]
    if subsets:
        missing = [s for s in subsets if not (folder / s).is_dir()]
        if missing:
            found = sorted(p.name for p in folder.iterdir() if p.is_dir())
            raise FileNotFoundError(
                f"subset(s) {missing} not found in {folder} (it has {found}); "
                "check the subset names or point --data_folder at the "
                "LibriSpeech root"
            )
        roots = [folder / s for s in subsets]
    transcripts = sorted(t for root in roots for t in root.rglob("*.trans.txt"))
    if not transcripts:
        raise FileNotFoundError(
            f"no <spk>-<chapter>.trans.txt file under {folder}: not a "
            "LibriSpeech-layout folder (set --dataset to the corpus kind)"
        )
    speakers_txt = _find_speakers_txt(folder)
    genders = read_speakers_txt(speakers_txt) if speakers_txt else {}
    if not speakers_txt:
        logger.info(f"No SPEAKERS.TXT next to {folder}: gender is 'unknown'.")
    rows = []
    for trans in transcripts:
        subset = _subset_of(trans, folder)
        with open(trans, encoding="utf-8") as handle:
            lines = handle.read().splitlines()
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            uid, _, text = line.strip().partition(" ")
            if not text.strip():
                raise ValueError(
                    f"{trans}, line {number}: expected '<utterance-id> <TRANSCRIPT>'"
                )
            audio = next(
                (
                    trans.parent / f"{uid}{ext}"
                    for ext in AUDIO_EXTENSIONS
                    if (trans.parent / f"{uid}{ext}").is_file()
                ),
                None,
            )
            if audio is None:
                raise FileNotFoundError(
                    f"{trans}, line {number}: no audio {uid}.flac (or .wav) "
                    f"in {trans.parent}"
                )
            try:
                duration = sf.info(str(audio)).duration
            except (sf.LibsndfileError, RuntimeError) as err:
                raise ValueError(
                    f"{audio}: not a readable audio file ({err})"
                ) from None
            spk = uid.split("-")[0]
            rows.append(
                {
                    "ID": uid,
                    "duration": f"{duration:.4f}",
                    "wav": relative_to_data_root(audio, folder),
                    "spk_id": spk,
                    "gender": genders.get(spk, "unknown"),
                    "wrd": " ".join(text.split()),
                    "subset": subset,
                }
            )
    rows.sort(key=lambda r: r["ID"])
    return rows
