"""SpeechBrain CSV manifests: every column schema, validation, atomic writing.

Every corpus, generated or real, ends up as CSV files with one row per
utterance. The columns of each kind of manifest are declared here, once, as a
:class:`ManifestSchema`; data preparation writes with them, recipes and
readers validate with them (:func:`read_manifest`):

==========================  ====================================================
schema                      columns (``[optional]``)
==========================  ====================================================
:data:`EMOTION_MANIFEST`    ``ID, duration, wav, spk_id, gender, emo, text[,
                            arousal, valence, dominance]``
:data:`ASR_MANIFEST`        ``ID, duration, wav, spk_id, gender, wrd``
:data:`COMMANDS_MANIFEST`   ``ID, duration, wav, start, stop, spk_id, gender,
                            command, word``
:data:`NOISE_MANIFEST`      ``ID, duration, wav, wav_format, wav_opts``
                            (SpeechBrain's ``AddNoise(csv_file=...)``)
:data:`USER_EMOTION_CSV`    ``ID, wav, spk_id, emo[, gender, text, duration,
                            arousal, valence, dominance]``
                            (the user's own emotion corpus, ``dataset: csv``)
:data:`USER_ASR_CSV`        ``ID, duration, wav, spk_id, wrd[, gender]``
                            (the user's own ASR corpus, ``dataset: csv``)
==========================  ====================================================

The emotion dimensions (:data:`DIMENSIONS`) are written with 4 decimals in
``[0, 1]``, empty where the corpus does not annotate them; a manifest
without their columns (a categorical corpus, an older preparation) is valid.

``wav`` is stored relative to ``$data_root`` so that a manifest keeps working
when the corpus folder moves (SpeechBrain's ``replacements``).

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import csv
import dataclasses
import io
import math
import os
from collections.abc import Collection, Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np

__all__ = [
    "ASR_COLUMNS",
    "ASR_MANIFEST",
    "COMMANDS_COLUMNS",
    "DIMENSIONS",
    "dimension_matrix",
    "dimension_value",
    "COMMANDS_MANIFEST",
    "EMOTION_COLUMNS",
    "EMOTION_MANIFEST",
    "GENDERS",
    "NOISE_COLUMNS",
    "NOISE_MANIFEST",
    "SILENCE_WORD",
    "USER_ASR_CSV",
    "USER_EMOTION_CSV",
    "ManifestError",
    "ManifestSchema",
    "read_manifest",
    "relative_to_data_root",
    "resolve_data_root",
    "write_manifest",
]


@dataclasses.dataclass(frozen=True)
class ManifestSchema:
    """The columns of one kind of manifest.

    Arguments
    ---------
    name : str
        What the manifest is, for messages (``emotion manifest``).
    columns : tuple of str
        Every column, in the order they are written.
    optional : tuple of str
        Columns that a manifest being read may lack.
    non_empty : tuple of str
        Columns that must have a value in every row.
    unit_interval : tuple of str
        Columns whose values, where not empty, are numbers in ``[0, 1]``.

    Example
    -------
    >>> schema = ManifestSchema("demo", ("ID", "wav", "text"), optional=("text",))
    >>> schema.required
    ('ID', 'wav')
    """

    name: str
    columns: tuple[str, ...]
    optional: tuple[str, ...] = ()
    non_empty: tuple[str, ...] = ()
    unit_interval: tuple[str, ...] = ()

    @property
    def required(self) -> tuple[str, ...]:
        """The columns a manifest of this kind must have."""
        return tuple(c for c in self.columns if c not in self.optional)


#: What SpeechBrain's ``DynamicItemDataset.from_csv`` and sorting need.
MINIMAL_MANIFEST = ManifestSchema("manifest", ("ID", "duration", "wav"))

#: Emotion dimensions, in the order of every manifest, model output and report:
#: arousal (activation), valence and dominance, each normalised to ``[0, 1]``
#: from its corpus's own scale (docs/dimensional.md); empty where unknown.
DIMENSIONS = ("arousal", "valence", "dominance")

#: Emotion recognition (``emo``: the class, ``text``: the transcript or empty,
#: the :data:`DIMENSIONS` in ``[0, 1]`` or empty).
EMOTION_MANIFEST = ManifestSchema(
    "emotion manifest",
    ("ID", "duration", "wav", "spk_id", "gender", "emo", "text", *DIMENSIONS),
    optional=DIMENSIONS,
    non_empty=("emo",),
    unit_interval=DIMENSIONS,
)
#: Speech recognition (``wrd``: the transcript).
ASR_MANIFEST = ManifestSchema(
    "ASR manifest",
    ("ID", "duration", "wav", "spk_id", "gender", "wrd"),
    non_empty=("wrd",),
)
#: Spoken commands (``command``: the class, ``word``: what was said,
#: ``start`` / ``stop``: a segment of ``wav`` in seconds, empty for whole files).
COMMANDS_MANIFEST = ManifestSchema(
    "commands manifest",
    ("ID", "duration", "wav", "start", "stop", "spk_id", "gender", "command", "word"),
    non_empty=("command",),
)
#: The ``word`` of a commands manifest's silence rows (background noise, no
#: speech; their ``spk_id`` names the noise recording, not a speaker).
SILENCE_WORD = "_silence_"
#: Noise recordings in SpeechBrain's ``AddNoise(csv_file=...)`` format.
NOISE_MANIFEST = ManifestSchema(
    "noise manifest", ("ID", "duration", "wav", "wav_format", "wav_opts")
)
#: The user's own emotion corpus (``dataset: csv``); durations are measured;
#: the dimensions are on the scale the user states (``dimension_scale``).
USER_EMOTION_CSV = ManifestSchema(
    "emotion CSV",
    ("ID", "wav", "spk_id", "emo", "gender", "text", "duration", *DIMENSIONS),
    optional=("gender", "text", "duration", *DIMENSIONS),
    non_empty=("ID", "wav", "spk_id", "emo"),
)
#: The user's own speech recognition corpus (``dataset: csv``).
USER_ASR_CSV = ManifestSchema(
    "ASR CSV",
    ("ID", "duration", "wav", "spk_id", "wrd", "gender"),
    optional=("gender",),
)

#: Columns of an emotion manifest, in order.
EMOTION_COLUMNS = EMOTION_MANIFEST.columns
#: Columns of an ASR manifest, in order.
ASR_COLUMNS = ASR_MANIFEST.columns
#: Columns of a commands manifest, in order.
COMMANDS_COLUMNS = COMMANDS_MANIFEST.columns
#: Columns of a noise manifest, in order.
NOISE_COLUMNS = NOISE_MANIFEST.columns

#: Allowed values of the ``gender`` column (``unknown`` where a corpus has none).
GENDERS = ("female", "male", "unknown")

_DATA_ROOT = "$data_root"


class ManifestError(ValueError):
    """A manifest that cannot be used; the message lists every problem found."""

    def __init__(self, path, problems: Sequence[str]):
        self.path = str(path)
        self.problems = list(problems)
        shown = self.problems[:20]
        more = len(self.problems) - len(shown)
        lines = [f"{self.path}: {len(self.problems)} problem(s)"]
        lines += [f"  - {p}" for p in shown]
        if more:
            lines.append(f"  ... and {more} more")
        super().__init__("\n".join(lines))


def relative_to_data_root(path: str | os.PathLike, data_root: str | os.PathLike) -> str:
    """Writes ``path`` as ``$data_root/<relative path>``.

    Arguments
    ---------
    path : str or os.PathLike
        A file inside ``data_root``.
    data_root : str or os.PathLike
        The corpus root.

    Returns
    -------
    str
        The portable form stored in manifests.

    Example
    -------
    >>> relative_to_data_root("/corpus/wavs/a.wav", "/corpus")
    '$data_root/wavs/a.wav'
    """
    rel = Path(os.path.relpath(Path(path).absolute(), Path(data_root).absolute()))
    if rel.parts and rel.parts[0] == "..":
        raise ValueError(f"{path} is not inside the data root {data_root}")
    return f"{_DATA_ROOT}/{rel.as_posix()}"


def resolve_data_root(value: str, data_root: str | os.PathLike) -> str:
    """Expands ``$data_root`` in a manifest path; a relative path is in the root.

    Arguments
    ---------
    value : str
        A manifest cell, e.g. ``$data_root/wavs/a.wav``, ``wavs/a.wav`` (taken
        relative to ``data_root``) or an absolute path (kept as it is).
    data_root : str or os.PathLike
        The corpus root.

    Returns
    -------
    str

    Example
    -------
    >>> resolve_data_root("$data_root/wavs/a.wav", "/corpus")
    '/corpus/wavs/a.wav'
    >>> resolve_data_root("wavs/a.wav", "/corpus")
    '/corpus/wavs/a.wav'
    """
    if _DATA_ROOT in value:
        return value.replace(_DATA_ROOT, str(data_root))
    if value and not os.path.isabs(value):
        return os.path.join(str(data_root), value)
    return value


def _resolve(
    wav: str,
    data_root: str | os.PathLike | None,
    replacements: Mapping[str, str | os.PathLike | None] | None,
) -> tuple[str, bool]:
    """A manifest path resolved against its roots, and whether it escapes one."""
    roots = {k: v for k, v in (replacements or {}).items() if v}
    if data_root:
        roots.setdefault("data_root", data_root)
    for name, root in roots.items():
        marker = f"${name}"
        if wav.startswith(marker):
            resolved = str(root) + wav[len(marker) :]
            inside = os.path.normpath(resolved).startswith(
                os.path.normpath(str(root)).rstrip(os.sep) + os.sep
            )
            return resolved, not inside
    if data_root:
        return resolve_data_root(wav, data_root), False
    return wav, False


def write_manifest(
    path: str | os.PathLike,
    rows: Iterable[dict],
    columns: Sequence[str] = EMOTION_COLUMNS,
) -> None:
    """Writes rows as a CSV manifest, atomically (temporary file + rename).

    An interrupted preparation therefore never leaves a half-written manifest
    that a later run would trust.

    Arguments
    ---------
    path : str or os.PathLike
        Destination CSV.
    rows : iterable of dict
        One dict per utterance; keys beyond ``columns`` are ignored.
    columns : sequence of str
        Column names, in order; ``ID`` must be among them.

    Example
    -------
    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "m.csv")
    >>> write_manifest(path, [{"ID": "a", "duration": 1.0}], ["ID", "duration"])
    >>> open(path).read().splitlines()
    ['ID,duration', 'a,1.0']
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.StringIO()
    writer = csv.DictWriter(
        buffer, fieldnames=list(columns), extrasaction="ignore", lineterminator="\n"
    )
    writer.writeheader()
    for row in rows:
        writer.writerow(row)
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w", encoding="utf-8", newline="") as handle:
        handle.write(buffer.getvalue())
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def _in_unit_interval(raw: str) -> bool:
    try:
        return 0.0 <= float(raw) <= 1.0
    except ValueError:
        return False


def _cell_problems(
    row: dict,
    line: int,
    non_empty: Sequence[str],
    unit_interval: Sequence[str],
    allowed: Mapping[str, Collection[str]] | None,
) -> list[str]:
    """The problems of one row's values (``duration`` converted to float)."""
    problems = []
    if "duration" in row:
        raw = row["duration"]
        try:
            row["duration"] = float(raw)
            if not row["duration"] > 0:
                raise ValueError
        except (TypeError, ValueError):
            problems.append(f"row {line}: duration {raw!r} is not a positive number")
    if "gender" in row and row["gender"] not in GENDERS:
        problems.append(
            f"row {line}: gender {row['gender']!r} is not one of {list(GENDERS)}"
        )
    for column in non_empty:
        if column in row and not (row[column] or "").strip():
            problems.append(f"row {line}: empty {column}")
    for column in unit_interval:
        raw = (row.get(column) or "").strip()
        if raw and not _in_unit_interval(raw):
            problems.append(
                f"row {line}: {column} {raw!r} is not a number in [0, 1] "
                "(normalise it from the corpus's scale, or leave it empty)"
            )
    for column, values in (allowed or {}).items():
        if column in row and row[column] not in values:
            problems.append(
                f"row {line}: {column} {row[column]!r} is not one of "
                f"{sorted(values)} (add it, or map it with label_map)"
            )
    return problems


def read_manifest(
    path: str | os.PathLike,
    required: Sequence[str] | None = None,
    data_root: str | os.PathLike | None = None,
    check_files: bool = False,
    non_empty: Sequence[str] = (),
    replacements: Mapping[str, str | os.PathLike | None] | None = None,
    allowed: Mapping[str, Collection[str]] | None = None,
    schema: ManifestSchema | None = None,
) -> list[dict]:
    r"""Reads and validates a CSV manifest, reporting all problems at once.

    Checked: the file exists and is not empty, the schema's required columns
    are present, IDs are unique and non-empty, durations are positive
    numbers, genders are one of :data:`GENDERS`, the ``non_empty`` columns
    have a value, the schema's ``unit_interval`` columns (the dimensions)
    are empty or numbers in ``[0, 1]`` and (with ``check_files``) every
    ``wav`` exists.

    Arguments
    ---------
    path : str or os.PathLike
        The CSV file.
    required : sequence of str, optional
        Columns that must be present (besides the schema's). With neither
        ``required`` nor ``schema``: ``ID, duration, wav``.
    data_root : str or os.PathLike, optional
        Substituted for ``$data_root`` in ``wav`` when checking files.
    check_files : bool
        Whether to check that every audio file exists.
    non_empty : sequence of str
        Columns that must not be blank in any row.
    replacements : mapping, optional
        ``$name`` -> folder, for manifests using several roots (e.g.
        ``data_root`` and ``audio_cache``); used with ``check_files``. A
        ``$name/...`` path that climbs out of its folder with ``..`` is
        refused.
    allowed : mapping, optional
        Column -> allowed values (e.g. ``{"emo": emotions}``).
    schema : ManifestSchema, optional
        The kind of manifest (e.g. :data:`EMOTION_MANIFEST`): its required
        and non-empty columns are checked.

    Returns
    -------
    list of dict
        The rows, as strings (``duration`` converted to float).

    Raises
    ------
    ManifestError
        Listing every problem, one per line.

    Example
    -------
    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "m.csv")
    >>> _ = open(path, "w").write("ID,duration,wav\na,1.5,x.wav\na,-1,y.wav\n")
    >>> read_manifest(path)
    Traceback (most recent call last):
    ...
    speechbrain_lstm_ser.dataio.manifest.ManifestError: ...m.csv: 2 problem(s)
      - row 3: duplicate ID 'a' (first seen on row 2)
      - row 3: duration '-1' is not a positive number
    >>> _ = open(path, "w").write("ID,duration,wav\na,1.5,x.wav\n")
    >>> read_manifest(path, schema=ASR_MANIFEST)
    Traceback (most recent call last):
    ...
    speechbrain_lstm_ser.dataio.manifest.ManifestError: ...m.csv: 1 problem(s)
      - missing column(s) ['spk_id', 'gender', 'wrd']; ... an ASR manifest needs ...
    """
    if schema is None and required is None:
        schema = MINIMAL_MANIFEST
    if schema is not None:
        extra = [c for c in required or () if c not in schema.required]
        required = (*schema.required, *extra)
        non_empty = (*schema.non_empty, *non_empty)
    name = schema.name if schema is not None else "manifest"
    unit_interval = schema.unit_interval if schema is not None else ()
    path = Path(path)
    if not path.is_file():
        raise ManifestError(path, ["manifest not found"])
    with open(path, encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        columns = reader.fieldnames or []
        missing = [c for c in required if c not in columns]
        if missing:
            article = "an" if name[0].lower() in "aeiou" else "a"
            raise ManifestError(
                path,
                [
                    f"missing column(s) {missing}; found {list(columns)}; "
                    f"{article} {name} needs {list(required)}"
                ],
            )
        rows = list(reader)
    if not rows:
        raise ManifestError(path, ["manifest has a header but no rows"])
    problems = []
    first_row: dict[str, int] = {}
    for line, row in enumerate(rows, start=2):
        uid = (row.get("ID") or "").strip()
        if not uid:
            problems.append(f"row {line}: empty ID")
        elif uid in first_row:
            problems.append(
                f"row {line}: duplicate ID {uid!r} (first seen on row {first_row[uid]})"
            )
        else:
            first_row[uid] = line
        problems += _cell_problems(row, line, non_empty, unit_interval, allowed)
        if check_files and "wav" in row:
            wav = row["wav"] or ""
            resolved, escaped = _resolve(wav, data_root, replacements)
            if escaped:
                problems.append(f"row {line}: {wav!r} leaves its root folder")
            elif not wav or not Path(resolved).is_file():
                problems.append(f"row {line}: audio file not found: {resolved}")
    if problems:
        raise ManifestError(path, problems)
    return rows


def dimension_value(value) -> float:
    """A manifest cell of a dimension as a float; empty or absent (unknown): ``nan``.

    Arguments
    ---------
    value : str or float or None
        The cell.

    Returns
    -------
    float

    Example
    -------
    >>> dimension_value("0.25"), dimension_value(""), dimension_value(None)
    (0.25, nan, nan)
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return math.nan
    return float(value)


def dimension_matrix(
    rows: Sequence[Mapping], names: Sequence[str] = DIMENSIONS
) -> np.ndarray:
    """The dimensions of manifest rows, ``(rows, len(names))``; ``nan`` where unknown.

    Arguments
    ---------
    rows : sequence of mapping
        Manifest rows (a column may be empty, or absent).
    names : sequence of str
        The dimension columns, in output order.

    Returns
    -------
    numpy.ndarray
        float64.

    Example
    -------
    >>> dimension_matrix([{"arousal": "0.2", "valence": ""}], ["arousal", "valence"])
    array([[0.2, nan]])
    """
    return np.array(
        [[dimension_value(row.get(name)) for name in names] for row in rows],
        dtype=np.float64,
    ).reshape(len(rows), len(names))
