"""Splitting a batch run over processes and machines, and merging the parts.

A run is split into ``N`` shards; shard ``k`` takes every input whose index
(in the fixed order of :func:`~speechbrain_lstm_ser.serving.inputs.iter_audio_files`)
is ``k`` modulo ``N``. The shard comes from ``--shard k/N``, or from the
environment the way SpeechBrain users launch jobs: ``torchrun``
(``RANK`` / ``WORLD_SIZE``) or a Slurm array
(``SLURM_ARRAY_TASK_ID`` / ``SLURM_ARRAY_TASK_COUNT``, counted from
``SLURM_ARRAY_TASK_MIN``). Each shard writes its own file next to the
output (``out.shard-00001-of-00004.jsonl``) with a ``.done`` marker when it
finishes; :func:`merge_shards` joins them into the output.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import NamedTuple

from speechbrain_lstm_ser.serving.results import ResultFile

__all__ = ["Shard", "describe", "merge_shards", "shard_from_environment", "shard_path"]


class Shard(NamedTuple):
    """Shard ``index`` of ``count`` (``0 <= index < count``)."""

    index: int
    count: int

    @classmethod
    def parse(cls, text: str) -> Shard:
        """``"k/N"`` as a shard.

        Example
        -------
        >>> Shard.parse("2/8")
        Shard(index=2, count=8)
        >>> Shard.parse("8/8")
        Traceback (most recent call last):
        ...
        ValueError: --shard 8/8: expected k/N with 0 <= k < N, e.g. 0/4
        """
        match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text)
        if not match or not 0 <= int(match[1]) < int(match[2]):
            raise ValueError(f"--shard {text}: expected k/N with 0 <= k < N, e.g. 0/4")
        return cls(int(match[1]), int(match[2]))

    def takes(self, position: int) -> bool:
        """Whether input number ``position`` belongs to this shard."""
        return position % self.count == self.index


def shard_from_environment(environ: Mapping[str, str] | None = None) -> Shard | None:
    """The shard a launcher gave this process, or None.

    Example
    -------
    >>> shard_from_environment({"RANK": "1", "WORLD_SIZE": "4"})
    Shard(index=1, count=4)
    >>> shard_from_environment({"SLURM_ARRAY_TASK_ID": "3",
    ...     "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_COUNT": "4"})
    Shard(index=2, count=4)
    >>> shard_from_environment({}) is None
    True
    """
    env = os.environ if environ is None else environ
    if "WORLD_SIZE" in env and "RANK" in env:
        index, count = int(env["RANK"]), int(env["WORLD_SIZE"])
    elif "SLURM_ARRAY_TASK_ID" in env and "SLURM_ARRAY_TASK_COUNT" in env:
        first = int(env.get("SLURM_ARRAY_TASK_MIN", "0"))
        index = int(env["SLURM_ARRAY_TASK_ID"]) - first
        count = int(env["SLURM_ARRAY_TASK_COUNT"])
    else:
        return None
    if not 0 <= index < count:
        raise ValueError(f"the launcher's shard {index} of {count} is out of range")
    return Shard(index, count) if count > 1 else None


def shard_path(output: str | os.PathLike, shard: Shard | None) -> Path:
    """The file a shard writes.

    Example
    -------
    >>> shard_path("out/preds.csv", Shard(3, 16)).as_posix()
    'out/preds.shard-00003-of-00016.csv'
    >>> shard_path("preds.csv", None).as_posix()
    'preds.csv'
    """
    output = Path(output)
    if shard is None:
        return output
    name = f"{output.stem}.shard-{shard.index:05d}-of-{shard.count:05d}{output.suffix}"
    return output.with_name(name)


def _found_shards(output: Path) -> dict[int, tuple[int, Path]]:
    pattern = re.compile(
        re.escape(output.stem)
        + r"\.shard-(\d{5})-of-(\d{5})"
        + re.escape(output.suffix)
    )
    found = {}
    for path in sorted(output.parent.glob(f"{output.stem}.shard-*{output.suffix}")):
        match = pattern.fullmatch(path.name)
        if match:
            found[int(match[1])] = (int(match[2]), path)
    return found


def merge_shards(
    output: str | os.PathLike,
    labels: list[str] | None = None,
    allow_incomplete: bool = False,
) -> dict:
    """Joins the shard files of ``output`` into ``output``.

    Every shard must be there and finished (its ``.done`` marker), unless
    ``allow_incomplete``; a key found twice is kept once (the first).

    Arguments
    ---------
    output : path
        The ``--output`` of the sharded run.
    labels : list of str, optional
        The class columns (CSV, Parquet); default: those of the shards.
    allow_incomplete : bool
        Merge what is there, even with shards missing or unfinished.

    Returns
    -------
    dict
        ``shards``, ``rows``, ``errors``, ``duplicates``.
    """
    output = Path(output)
    found = _found_shards(output)
    if not found:
        raise ValueError(
            f"no shard files of {output} (expected "
            f"{shard_path(output, Shard(0, 2))}, ...)"
        )
    counts = {count for count, _ in found.values()}
    if len(counts) != 1:
        raise ValueError(
            f"shard files of {output} from runs of different sizes: {sorted(counts)}"
        )
    count = counts.pop()
    problems = [f"shard {k} missing" for k in range(count) if k not in found]
    parts = []
    for index in sorted(found):
        part = ResultFile(found[index][1], labels)
        if not part.finished():
            problems.append(f"shard {index} unfinished ({part.path.name} has no .done)")
        parts.append(part)
    if problems and not allow_incomplete:
        raise ValueError(
            f"cannot merge {output}: {'; '.join(problems)} (re-run those shards with "
            "the same command, or --allow-incomplete)"
        )
    labels = labels or next((p.read_labels() for p in parts if p.read_labels()), None)
    dims = next((p.read_dimensions() for p in parts if p.read_dimensions()), [])
    merged = ResultFile(output, labels, dims)
    merged.start(resume=False)
    seen: set[str] = set()
    stats = {"shards": len(parts), "rows": 0, "errors": 0, "duplicates": 0}
    for part in parts:
        batch = []
        for row in part.rows():
            if row["file"] in seen:
                stats["duplicates"] += 1
                continue
            seen.add(row["file"])
            batch.append(row)
            stats["rows"] += 1
            stats["errors"] += bool(row.get("error"))
            if len(batch) >= 1024:
                merged.write(batch)
                batch = []
        merged.write(batch)
    merged.finish({"shards": count, **stats, "incomplete": problems})
    return stats


def describe(stats: dict, output: str | os.PathLike) -> str:
    """One line about a merge.

    Example
    -------
    >>> describe({"shards": 2, "rows": 10, "errors": 1, "duplicates": 0}, "o.jsonl")
    'merged 2 shard(s) into o.jsonl: 10 row(s), 1 error(s), 0 duplicate(s) dropped'
    """
    return (
        f"merged {stats['shards']} shard(s) into {output}: {stats['rows']} row(s), "
        f"{stats['errors']} error(s), {stats['duplicates']} duplicate(s) dropped"
    )
