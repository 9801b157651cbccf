"""SpeechBrain CSV manifests: the schema, validation and atomic writing.

Every corpus, generated or real, ends up as CSV files with one row per
utterance. Emotion manifests carry ``ID, duration, wav, spk_id, gender, emo,
text``; ``wav`` is stored relative to ``$data_root`` so that a manifest keeps
working when the corpus folder moves (SpeechBrain's ``replacements``).

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Collection, Iterable, Mapping, Sequence
from pathlib import Path

__all__ = [
    "EMOTION_COLUMNS",
    "ManifestError",
    "read_manifest",
    "relative_to_data_root",
    "resolve_data_root",
    "write_manifest",
]

#: Columns of an emotion manifest, in order.
EMOTION_COLUMNS = ("ID", "duration", "wav", "spk_id", "gender", "emo", "text")

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


def read_manifest(
    path: str | os.PathLike,
    required: Sequence[str] = ("ID", "duration", "wav"),
    data_root: str | os.PathLike | None = None,
    check_files: bool = False,
    non_empty: Sequence[str] = (),
    replacements: Mapping[str, str | os.PathLike | None] | None = None,
    allowed: Mapping[str, Collection[str]] | None = None,
) -> list[dict]:
    r"""Reads and validates a CSV manifest, reporting all problems at once.

    Checked: the file exists and is not empty, required columns are present,
    IDs are unique and non-empty, durations are positive numbers, the
    ``non_empty`` columns have a value and (with ``check_files``) every
    ``wav`` exists.

    Arguments
    ---------
    path : str or os.PathLike
        The CSV file.
    required : sequence of str
        Columns that must be present.
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
    """
    path = Path(path)
    if not path.is_file():
        raise ManifestError(path, ["manifest not found"])
    with open(path, encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        columns = reader.fieldnames or []
        missing = [c for c in required if c not in columns]
        if missing:
            raise ManifestError(
                path,
                [
                    f"missing column(s) {missing}; found {list(columns)}; "
                    f"a manifest needs {list(required)}"
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
        if "duration" in row:
            raw = row["duration"]
            try:
                row["duration"] = float(raw)
                if not row["duration"] > 0:
                    raise ValueError
            except (TypeError, ValueError):
                problems.append(
                    f"row {line}: duration {raw!r} is not a positive number"
                )
        if "gender" in row and row["gender"] not in GENDERS:
            problems.append(
                f"row {line}: gender {row['gender']!r} is not one of {list(GENDERS)}"
            )
        for column in non_empty:
            if column in row and not (row[column] or "").strip():
                problems.append(f"row {line}: empty {column}")
        for column, values in (allowed or {}).items():
            if column in row and row[column] not in values:
                problems.append(
                    f"row {line}: {column} {row[column]!r} is not one of "
                    f"{sorted(values)} (add it, or map it with label_map)"
                )
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
