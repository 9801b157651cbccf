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
arousal, valence, dominance : str
    Where the corpus annotates them: in ``[0, 1]``, normalised from the
    corpus's own scale (:func:`scale_dimensions`), 4 decimals; else absent.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import csv
import dataclasses
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from speechbrain_lstm_ser.dataio.manifest import DIMENSIONS

__all__ = [
    "CorpusLayoutError",
    "CorpusListing",
    "find_audio",
    "open_corpus",
    "parse_options",
    "read_table",
    "check_scale",
    "read_dimensions",
    "require_folder",
    "scale_dimensions",
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
    partition : Partitions, optional
        The corpus's own fixed partition (MSP-Podcast's ``Split_Set``),
        used when the preparation is given no ``partitions``
        (:mod:`speechbrain_lstm_ser.dataio.partitions`).
    """

    rows: list[dict]
    skipped: list[dict] = dataclasses.field(default_factory=list)
    notes: list[str] = dataclasses.field(default_factory=list)
    group_name: str = "group"
    noise: list[dict] = dataclasses.field(default_factory=list)
    partition: Any = None

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


def scale_dimensions(
    values: Mapping[str, float], scale: Sequence[float]
) -> tuple[dict[str, str], int]:
    """Emotion dimensions on a corpus's scale, as manifest cells in ``[0, 1]``.

    Each value becomes ``(x - low) / (high - low)``, clipped to ``[0, 1]``
    and written with 4 decimals.

    Arguments
    ---------
    values : mapping
        Dimension (``arousal``, ``valence``, ``dominance``) -> value.
    scale : sequence of float
        ``(low, high)`` of the corpus's rating scale (IEMOCAP: 1..5).

    Returns
    -------
    cells : dict
        Dimension -> value in ``[0, 1]`` as text.
    clipped : int
        How many values were outside the scale (the caller says so).

    Example
    -------
    >>> scale_dimensions({"arousal": 2.5, "valence": 1.0, "dominance": 5.5}, (1, 5))
    ({'arousal': '0.3750', 'valence': '0.0000', 'dominance': '1.0000'}, 1)
    """
    low, high = scale
    cells, clipped = {}, 0
    for dim, value in values.items():
        unit = (float(value) - low) / (high - low)
        clipped += not 0.0 <= unit <= 1.0
        cells[dim] = f"{min(max(unit, 0.0), 1.0):.4f}"
    return cells, clipped


def check_scale(scale: Sequence[float], name: str) -> tuple[float, float]:
    """A rating scale option: two numbers, low < high.

    Arguments
    ---------
    scale : sequence of float
        The option's value, e.g. ``[1, 5]``.
    name : str
        The option's YAML key, for the message.

    Returns
    -------
    tuple of float

    Example
    -------
    >>> check_scale([1, 5], "dimension_scale")
    (1.0, 5.0)
    >>> check_scale([5], "prepare.corpora.csv.dimension_scale")
    Traceback (most recent call last):
    ...
    ValueError: prepare.corpora.csv.dimension_scale must be [low, high] with low < \
high (the rating scale of the dimension columns, e.g. [1, 5]), got [5]
    """
    try:
        low, high = (float(v) for v in scale)
        if not low < high:
            raise ValueError
    except (TypeError, ValueError):
        raise ValueError(
            f"{name} must be [low, high] with low < high (the rating scale of the "
            f"dimension columns, e.g. [1, 5]), got {list(scale)}"
        ) from None
    return low, high


def read_dimensions(
    row: Mapping[str, str], scale: Sequence[float], line: int
) -> tuple[dict[str, str], list[str]]:
    """The dimension columns of one row of a user's table, normalised.

    Arguments
    ---------
    row : mapping
        The row; ``arousal``, ``valence``, ``dominance`` may be absent or
        empty (unknown).
    scale : sequence of float
        ``(low, high)``: the scale the user stated (``dimension_scale``).
    line : int
        The row's line in the file, for the messages.

    Returns
    -------
    cells : dict
        Dimension -> value in ``[0, 1]`` as text, for the values given.
    problems : list of str
        One line per value that is not a number within ``scale``.

    Example
    -------
    >>> read_dimensions({"arousal": "4", "valence": ""}, (1, 5), 2)
    ({'arousal': '0.7500'}, [])
    >>> read_dimensions({"arousal": "6", "valence": "x"}, (1, 5), 3)[1]
    ["row 3: arousal '6' is outside the stated dimension_scale [1, 5]", \
"row 3: valence 'x' is not a number"]
    """
    values, problems = {}, []
    for dim in DIMENSIONS:
        raw = (row.get(dim) or "").strip()
        if not raw:
            continue
        try:
            value = float(raw)
        except ValueError:
            problems.append(f"row {line}: {dim} {raw!r} is not a number")
            continue
        if not scale[0] <= value <= scale[1]:
            problems.append(
                f"row {line}: {dim} {raw!r} is outside the stated dimension_scale "
                f"[{scale[0]}, {scale[1]}]"
            )
            continue
        values[dim] = value
    return scale_dimensions(values, scale)[0], problems


def read_table(
    path: str | os.PathLike, required: Sequence[str], what: str
) -> tuple[list[str], list[dict]]:
    r"""Reads a corpus's CSV table, checking its columns in one clear line.

    A byte-order mark (spreadsheet exports) is dropped.

    Arguments
    ---------
    path : str or os.PathLike
        The CSV file.
    required : sequence of str
        Columns it must have.
    what : str
        What the table is, for the message (``CREMA-D's VideoDemographics.csv
        has ActorID, Age, Sex, Race, Ethnicity``).

    Returns
    -------
    columns : list of str
    rows : list of dict

    Raises
    ------
    ValueError
        Naming the file, the missing and the found columns, and ``what``.

    Example
    -------
    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "t.csv")
    >>> _ = open(path, "w").write("a,b\n1,2\n")
    >>> read_table(path, ["a"], "a table")
    (['a', 'b'], [{'a': '1', 'b': '2'}])
    >>> read_table(path, ["c"], "a table with c")
    Traceback (most recent call last):
    ...
    ValueError: ...t.csv: missing column(s) ['c']; found ['a', 'b']; a table with c
    """
    with open(path, encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        columns = list(reader.fieldnames or [])
        missing = [c for c in required if c not in columns]
        if missing:
            raise ValueError(
                f"{path}: missing column(s) {missing}; found {columns}; {what}"
            )
        return columns, list(reader)


def open_corpus(
    data_folder: str | os.PathLike,
    options: Mapping[str, Any] | None,
    options_class: type[T],
    dataset: str,
    corpus: str,
    layout: str,
) -> tuple[T, Path]:
    """What every corpus reader starts with: its options and its folder.

    Arguments
    ---------
    data_folder : str or os.PathLike
        The ``data_folder``.
    options : mapping, optional
        The reader's block, ``prepare.corpora.<dataset>``.
    options_class : type
        The reader's options dataclass (:func:`parse_options`).
    dataset : str
        The ``dataset:`` name (``crema_d``), for the option errors.
    corpus : str
        The corpus's name (``CREMA-D``) and ``layout``, for the folder
        errors (:func:`require_folder`).
    layout : str
        The expected layout, one line.

    Returns
    -------
    options : options_class
    folder : Path
    """
    opts = parse_options(options_class, options, f"prepare.corpora.{dataset}")
    return opts, require_folder(data_folder, corpus, layout)


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
