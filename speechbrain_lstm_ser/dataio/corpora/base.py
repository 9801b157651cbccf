"""What every corpus module shares: its result, its options, its layout errors.

There is one module per corpus, named after it (``iemocap``, ``ravdess``,
``crema_d``, ``emodb``, ``librispeech``, ``speech_commands``) or, for the
user's own data, after its form (``user_folder``, ``user_csv``). Readers
are named ``read_*``: ``read_<module>(data_folder, ...)`` turns a folder the
user owns into rows, without writing anything into it (and
``read_speakers_txt``, ``read_background_noise`` ... read one part of a
corpus). The data preparation of each task keeps a registry ``dataset`` name
-> reader (:mod:`speechbrain_lstm_ser.dataio.prepare`) and does the rest
(durations, audio checks, labels, splits) the same way for every corpus.

The emotion readers return a :class:`CorpusListing`: one row per utterance,
with the manifest fields it can read from the corpus (``ID, wav, spk_id,
gender, emo, label, text`` and, where a corpus defines fold groups such as
IEMOCAP's sessions, ``group``) plus the files it had to skip and why. The
speech recognition and command readers return lists of rows (see each
reader).

Emotion row fields
------------------
ID : str
    Unique utterance ID.
wav : str or Path
    The audio file (absolute, or ``$data_root/...``).
spk_id : str
    Speaker ID, unique within the corpus.
gender : str
    ``female``, ``male`` or ``unknown``.
emo : str
    The emotion in the shared vocabulary (``neutral``, ``calm``, ``happy``,
    ``sad``, ``angry``, ``fearful``, ``disgust``, ``surprised``,
    ``boredom``, ``excited``, ``frustrated``, ``other``, ...), or a folder
    name / CSV value for the user's own data.
label : str
    The corpus's own code for the emotion (``exc``, ``W``, ``ANG``, ``05``):
    ``label_map`` keys may use either ``emo`` or ``label``.
text : str
    The transcript where the corpus gives it, else empty.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, TypeVar

__all__ = [
    "CorpusLayoutError",
    "CorpusListing",
    "find_audio",
    "parse_options",
    "require_folder",
]

T = TypeVar("T")


class CorpusLayoutError(FileNotFoundError):
    """A corpus folder that is missing or does not look like the corpus.

    Arguments
    ---------
    folder : str or os.PathLike
        The folder the user pointed at.
    corpus : str
        The corpus name, as in ``dataset:``.
    problem : str
        What is wrong (``does not exist``, ``has no Session1..5`` ...).
    layout : str
        The expected layout, one line.
    """

    def __init__(self, folder, corpus: str, problem: str, layout: str):
        self.folder = str(folder)
        super().__init__(
            f"{self.folder}: {problem}; expected the {corpus} layout "
            f"{layout}. Point --data_folder at that folder."
        )


@dataclasses.dataclass
class CorpusListing:
    """The utterances a corpus module found, and the files it skipped.

    Arguments
    ---------
    rows : list of dict
        One dict per utterance (see the module docstring for the fields).
    skipped : list of dict
        ``{"file": ..., "reason": ...}`` for each file that could not be used
        (bad name, label without audio, speaker unknown, ...).
    notes : list of str
        Anything the user should know about the listing (written to the
        preparation summary and logged), e.g. that speakers are unknown.
    group_name : str
        What a row's ``group`` is (``session`` for IEMOCAP), for the
        protocol's name: leave-one-session-out.
    noise : list of dict
        Recordings without speech that come with the corpus (Speech
        Commands' ``_background_noise_``): ``ID, duration, wav``.
    """

    rows: list[dict]
    skipped: list[dict] = dataclasses.field(default_factory=list)
    notes: list[str] = dataclasses.field(default_factory=list)
    group_name: str = "group"
    noise: list[dict] = dataclasses.field(default_factory=list)

    def skip(self, file: str | os.PathLike, reason: str) -> None:
        """Records a file that is left out, with the reason."""
        self.skipped.append({"file": str(file), "reason": reason})


def parse_options(cls: type[T], options: Mapping[str, Any] | None, name: str) -> T:
    """Builds a corpus's options dataclass, naming unknown keys clearly.

    Arguments
    ---------
    cls : type
        The options dataclass.
    options : mapping, optional
        The YAML block (``prepare.corpora.<dataset>``).
    name : str
        The YAML key, for error messages.

    Returns
    -------
    An instance of ``cls``.

    Example
    -------
    >>> @dataclasses.dataclass
    ... class Opts:
    ...     include_song: bool = False
    >>> parse_options(Opts, {"include_song": True}, "prepare.corpora.ravdess")
    Opts(include_song=True)
    >>> parse_options(Opts, {"song": True}, "prepare.corpora.ravdess")
    Traceback (most recent call last):
    ...
    ValueError: prepare.corpora.ravdess: unknown option(s) ['song']; known: [...]
    """
    options = dict(options or {})
    known = [field.name for field in dataclasses.fields(cls)]
    unknown = sorted(set(options) - set(known))
    if unknown:
        raise ValueError(f"{name}: unknown option(s) {unknown}; known: {known}")
    return cls(**options)


def require_folder(folder: str | os.PathLike, corpus: str, layout: str) -> Path:
    """Checks that the corpus folder exists and is a folder.

    Arguments
    ---------
    folder : str or os.PathLike
        The ``data_folder``.
    corpus : str
        The corpus name, for the message.
    layout : str
        The expected layout, for the message.

    Returns
    -------
    Path

    Raises
    ------
    CorpusLayoutError
        Naming the folder and the expected layout.
    """
    folder = Path(folder)
    if not folder.exists():
        raise CorpusLayoutError(folder, corpus, "does not exist", layout)
    if not folder.is_dir():
        raise CorpusLayoutError(folder, corpus, "is not a folder", layout)
    return folder


def find_audio(folder: Path, pattern: str, extensions: Iterable[str]) -> list[Path]:
    """Audio files matching a glob pattern, in a stable (sorted) order.

    Hidden files (``._x.wav`` of macOS archives, ``.x.wav.tmp``) are ignored.

    Arguments
    ---------
    folder : Path
        Where to search.
    pattern : str
        A glob pattern without extension, e.g. ``Actor_*/*``.
    extensions : iterable of str
        File extensions without dot, matched case-insensitively.

    Returns
    -------
    list of Path

    Example
    -------
    >>> import tempfile
    >>> root = Path(tempfile.mkdtemp())
    >>> for name in ("b.WAV", "a.wav", "._a.wav", "notes.txt"):
    ...     _ = (root / name).write_bytes(b"")
    >>> [p.name for p in find_audio(root, "*", ["wav"])]
    ['a.wav', 'b.WAV']
    """
    wanted = {f".{ext.lower().lstrip('.')}" for ext in extensions}
    return sorted(
        path
        for path in folder.glob(pattern)
        if path.suffix.lower() in wanted
        and not path.name.startswith(".")
        and path.is_file()
    )
