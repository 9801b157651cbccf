"""Preparation stamps: what makes data preparation idempotent and safe.

A stamp is a small JSON file written next to what a preparation step
produced. It records the options the step ran with and whether it finished.
A later run compares its own options with the stamp to decide whether to
skip (same options, finished), to redo its own files (unfinished, or options
changed where that is allowed), or to refuse (files it did not write).

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

__all__ = [
    "DONE",
    "STARTED",
    "outputs_up_to_date",
    "options_diff",
    "read_stamp",
    "write_stamp",
]

STARTED = "started"
DONE = "done"


def read_stamp(path: str | os.PathLike) -> dict[str, Any] | None:
    """Reads a stamp, or returns None when there is none.

    Arguments
    ---------
    path : str or os.PathLike
        The stamp file.

    Returns
    -------
    dict or None
        ``{"status": ..., "options": {...}, ...}``.
    """
    path = Path(path)
    if not path.is_file():
        return None
    try:
        with open(path, encoding="utf-8") as handle:
            stamp = json.load(handle)
    except (OSError, json.JSONDecodeError):
        return {"status": "corrupt", "options": {}}
    if not isinstance(stamp, dict):
        return {"status": "corrupt", "options": {}}
    return stamp


def write_stamp(
    path: str | os.PathLike, options: dict, status: str, **extra: Any
) -> None:
    """Writes a stamp atomically (temporary file + rename).

    Arguments
    ---------
    path : str or os.PathLike
        The stamp file.
    options : dict
        JSON-serialisable options of the preparation step.
    status : str
        ``STARTED`` or ``DONE``.
    **extra
        Further JSON-serialisable fields (summaries, counts).

    Example
    -------
    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "stamp.json")
    >>> write_stamp(path, {"seed": 1}, DONE)
    >>> read_stamp(path)["status"]
    'done'
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump({"status": status, "options": options, **extra}, handle, indent=2)
        handle.write("\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def options_diff(old: dict, new: dict) -> list[str]:
    """Lists the options that differ, as ``key: old -> new`` lines.

    Arguments
    ---------
    old : dict
        Options recorded in a stamp.
    new : dict
        Options of the current run.

    Returns
    -------
    list of str

    Example
    -------
    >>> options_diff({"seed": 1, "n": 2}, {"seed": 3, "n": 2})
    ['seed: 1 -> 3']
    """
    # Round-trip through JSON so tuples and lists compare equal.
    old = json.loads(json.dumps(old))
    new = json.loads(json.dumps(new))
    keys = sorted(set(old) | set(new))
    return [
        f"{key}: {old.get(key, '<unset>')} -> {new.get(key, '<unset>')}"
        for key in keys
        if old.get(key) != new.get(key)
    ]


def outputs_up_to_date(
    stamp_path: str | os.PathLike, options: dict, outputs: list[Path]
) -> bool:
    """Decides whether a preparation step can be skipped.

    Arguments
    ---------
    stamp_path : str or os.PathLike
        The step's stamp.
    options : dict
        The options of this run.
    outputs : list of Path
        The files the step writes.

    Returns
    -------
    bool
        True when the stamp records these options as done and every output
        exists (skip); False when the outputs must be (re)written.

    Raises
    ------
    FileExistsError
        When outputs exist that no stamp accounts for: they were not written
        by this step, and are never overwritten.

    Example
    -------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> out = [folder / "train.csv"]
    >>> outputs_up_to_date(folder / "stamp.json", {"seed": 1}, out)
    False
    >>> _ = out[0].write_text("ID")
    >>> write_stamp(folder / "stamp.json", {"seed": 1}, DONE)
    >>> outputs_up_to_date(folder / "stamp.json", {"seed": 1}, out)
    True
    >>> outputs_up_to_date(folder / "stamp.json", {"seed": 2}, out)
    False
    """
    stamp = read_stamp(stamp_path)
    if stamp is None:
        foreign = [str(p) for p in outputs if Path(p).exists()]
        if foreign:
            raise FileExistsError(
                f"{', '.join(foreign)} exist but were not written by this "
                f"preparation ({Path(stamp_path).name} is missing); refusing to "
                "overwrite them. Choose another output folder."
            )
        return False
    same = stamp.get("options") == json.loads(json.dumps(options))
    return (
        stamp.get("status") == DONE and same and all(Path(p).is_file() for p in outputs)
    )
