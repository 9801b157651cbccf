"""Speaker lists for speaker-normalised inference: a CSV of ``path,speaker``.

``sb-lstm-ser predict --speakers list.csv`` reads such a list, enrols every
speaker with all of that speaker's files (their statistics make the
speaker's reference: transductive, as in the recipe's test) and classifies
each file against its speaker.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

__all__ = ["read_speaker_list"]


def read_speaker_list(path: str | os.PathLike) -> list[tuple[Path, str]]:
    r"""Reads a CSV with the columns ``path`` and ``speaker`` (a header row).

    Relative paths are relative to the CSV's folder. Other columns are
    ignored.

    Arguments
    ---------
    path : str or os.PathLike
        The CSV file.

    Returns
    -------
    list of (Path, str)
        The files and their speakers, in file order.

    Raises
    ------
    ValueError
        For a missing or unreadable file (not UTF-8 text), a missing column,
        a row without a path or speaker, a file listed twice (for the same
        speaker or two), naming the file, the row and the fix.

    Example
    -------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "list.csv").write_text("path,speaker\na.wav,ann\n")
    >>> read_speaker_list(folder / "list.csv") == [(folder / "a.wav", "ann")]
    True
    >>> _ = (folder / "bad.csv").write_text("file,who\na.wav,ann\n")
    >>> read_speaker_list(folder / "bad.csv")
    Traceback (most recent call last):
    ...
    ValueError: ...bad.csv: needs the columns path and speaker (a header row ...
    >>> _ = (folder / "twice.csv").write_text("path,speaker\na.wav,ann\na.wav,bob\n")
    >>> read_speaker_list(folder / "twice.csv")
    Traceback (most recent call last):
    ...
    ValueError: ...twice.csv, line 3: a.wav is listed again (line 2, speaker ann)...
    """
    source = Path(path)
    if not source.is_file():
        raise ValueError(f"{source}: no such speaker list (a CSV of path,speaker)")
    try:
        with open(source, newline="", encoding="utf-8-sig") as handle:
            return _read_rows(source, handle)
    except UnicodeDecodeError as err:
        raise ValueError(
            f"{source}: not UTF-8 text ({err.reason} at byte {err.start}); save "
            "the list as UTF-8"
        ) from None
    except (OSError, csv.Error) as err:
        raise ValueError(f"{source}: cannot be read as a CSV ({err})") from None


def _read_rows(source: Path, handle) -> list[tuple[Path, str]]:
    """The rows of an open speaker list (see :func:`read_speaker_list`)."""
    reader = csv.DictReader(handle)
    columns = [c.strip() for c in reader.fieldnames or []]
    if "path" not in columns or "speaker" not in columns:
        raise ValueError(
            f"{source}: needs the columns path and speaker (a header row "
            f"'path,speaker'); found {columns}"
        )
    rows = []
    seen: dict[Path, tuple[int, str]] = {}
    for number, row in enumerate(reader, start=2):
        row = {k.strip(): (v or "").strip() for k, v in row.items() if k}
        if not row["path"] or not row["speaker"]:
            raise ValueError(
                f"{source}, line {number}: a path and a speaker are needed"
            )
        file = Path(row["path"])
        file = file if file.is_absolute() else source.parent / file
        if file in seen:
            line, speaker = seen[file]
            raise ValueError(
                f"{source}, line {number}: {row['path']} is listed again "
                f"(line {line}, speaker {speaker}); list each file once, "
                "under its one speaker"
            )
        seen[file] = (number, row["speaker"])
        rows.append((file, row["speaker"]))
    if not rows:
        raise ValueError(f"{source}: lists no file")
    return rows
