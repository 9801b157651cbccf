r"""Inference on an idle and on a busy machine, for each thread setting.

Runs ``sb-lstm-ser predict`` on the same short files, first as the machine
is, then with a busy process (a Python loop this script starts, pinned to
one core, and stops), once per thread setting::

    python -m bench.threads --model results/emotion_lstm/1986/model
    python -m bench.threads --model MODEL --audio data/embedded_emotion \
        --files 100 --settings auto 1 2 old --json threads.json

Settings: ``auto`` (the default of ``--threads``), a number (``--threads N``;
waiting threads sleep, ``OMP_WAIT_POLICY=PASSIVE``), and ``old``: what the
command did before it chose its threads, PyTorch's default of one thread per
core with libgomp's default spinning wait (``GOMP_SPINCOUNT=300000``, which
is libgomp's own default written out). Every run is a fresh process without
``OMP_NUM_THREADS`` and the like, timed from start to exit (Python and
PyTorch start-up included), with the CPU time it used (all its threads):
CPU time that grows with no gain in wall time is threads spinning.

"Idle" is the machine as it is: the script prints the load average before
each condition; on a shared machine, report it with the numbers.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Sequence
from contextlib import contextmanager
from pathlib import Path

from speechbrain_lstm_ser.cli import AUDIO_EXTENSIONS
from speechbrain_lstm_ser.threads import (
    available_cores,
    busy_cores,
    choose_num_threads,
)

__all__ = ["busy_process", "format_table", "main", "pick_files", "run_cli"]

#: Environment variables that set threads or their waiting, removed for each run.
THREAD_ENV = (
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "OMP_WAIT_POLICY",
    "GOMP_SPINCOUNT",
    "KMP_BLOCKTIME",
)


def pick_files(folder: str | os.PathLike, count: int) -> list[Path]:
    """``count`` audio files spread evenly over a folder's sorted files.

    Arguments
    ---------
    folder : str or os.PathLike
        Searched recursively.
    count : int
        How many.

    Returns
    -------
    list of Path

    Example
    -------
    >>> pick_files(".", 0)
    []
    """
    if count <= 0:
        return []
    files = sorted(
        p for p in Path(folder).rglob("*") if p.suffix.lower() in AUDIO_EXTENSIONS
    )
    if len(files) < count:
        raise ValueError(f"{folder} holds {len(files)} audio files, {count} asked")
    step = len(files) / count
    return [files[int(i * step)] for i in range(count)]


@contextmanager
def busy_process(core: int | None = None):
    """A Python process spinning on one core while the block runs.

    Arguments
    ---------
    core : int, optional
        The core it is pinned to (default: the last of this process's).

    Yields
    ------
    subprocess.Popen
    """
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        if hasattr(os, "sched_setaffinity"):
            cores = sorted(os.sched_getaffinity(0))
            os.sched_setaffinity(spinner.pid, {cores[-1] if core is None else core})
        time.sleep(1.0)  # running, and visible in /proc/stat
        yield spinner
    finally:
        spinner.terminate()
        spinner.wait(timeout=30)


def run_cli(model: str, files: Sequence[Path], setting: str) -> dict:
    """``sb-lstm-ser predict`` in a fresh process; its wall and CPU time.

    Arguments
    ---------
    model : str
        The model folder.
    files : sequence of Path
        The audio files.
    setting : str
        ``auto``, a number, or ``old`` (see the module's docstring).

    Returns
    -------
    dict
        ``wall_s``, ``cpu_s`` (the process and its threads), ``files``
        (predictions printed).
    """
    env = {k: v for k, v in os.environ.items() if k not in THREAD_ENV}
    threads = setting
    if setting == "old":
        env["GOMP_SPINCOUNT"] = "300000"  # libgomp's default spinning wait
        threads = str(available_cores())  # PyTorch's default: one per core
    command = [sys.executable, "-m", "speechbrain_lstm_ser.cli", "predict"]
    command += ["--model", str(model), "--quiet", "--threads", threads]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(
        [*command, *map(str, files)], env=env, capture_output=True, text=True
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed: {proc.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {
        "wall_s": round(wall, 2),
        "cpu_s": round(cpu, 2),
        "files": len(proc.stdout.splitlines()),
    }


def format_table(rows: Sequence[dict]) -> str:
    """The runs as a markdown table.

    Arguments
    ---------
    rows : sequence of dict
        ``condition``, ``setting``, ``threads``, ``wall_s``, ``cpu_s``,
        ``files``, ``load_average``.

    Returns
    -------
    str

    Example
    -------
    >>> print(format_table([{"condition": "idle", "setting": "1", "threads": "1",
    ...     "wall_s": 10.0, "cpu_s": 9.0, "files": 100, "load_average": 0.5}]))
    | machine | --threads | threads | wall s | CPU s | files/s | load avg |
    |---|---|---|---:|---:|---:|---:|
    | idle | 1 | 1 | 10.0 | 9.0 | 10.0 | 0.50 |
    """
    lines = [
        "| machine | --threads | threads | wall s | CPU s | files/s | load avg |",
        "|---|---|---|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['condition']} | {r['setting']} | {r['threads']} | "
            f"{r['wall_s']:.1f} | {r['cpu_s']:.1f} | "
            f"{r['files'] / r['wall_s']:.1f} | {r['load_average']:.2f} |"
        )
    return "\n".join(lines)


def _threads_used(setting: str) -> str:
    """The thread count a setting gives (auto: this script's own sample now)."""
    if setting == "old":
        return str(available_cores())
    if setting == "auto":
        return f"{choose_num_threads(environ={}).num_threads} (sampled)"
    return setting


def main(argv: Sequence[str] | None = None) -> list[dict]:
    """Runs the benchmark; prints and returns one row per run."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.threads", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--model",
        default="results/emotion_lstm/1986/model",
        help="an exported model folder",
    )
    parser.add_argument(
        "--audio", default="data/embedded_emotion", help="folder of audio files"
    )
    parser.add_argument("--files", type=int, default=100, help="files per run")
    parser.add_argument(
        "--settings", nargs="+", default=["auto", "1", "2", "old"], help="--threads"
    )
    parser.add_argument(
        "--conditions", nargs="+", choices=("idle", "busy"), default=["idle", "busy"]
    )
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--json", help="also write the rows here")
    args = parser.parse_args(argv)
    files = pick_files(args.audio, args.files)
    print(
        f"[threads] {len(files)} files of {args.audio}, model {args.model}, "
        f"{available_cores()} cores",
        file=sys.stderr,
        flush=True,
    )
    rows = []
    for condition in args.conditions:
        with busy_process() if condition == "busy" else _nothing():
            load = os.getloadavg()[0]
            print(
                f"[threads] {condition}: load average {load:.2f}, "
                f"busy cores now {busy_cores(0.5):.2f}",
                file=sys.stderr,
                flush=True,
            )
            for _ in range(args.repeats):
                for setting in args.settings:
                    used = _threads_used(setting)
                    result = run_cli(args.model, files, setting)
                    row = {
                        "condition": condition,
                        "setting": setting,
                        "threads": used,
                        **result,
                        "load_average": os.getloadavg()[0],
                    }
                    print(f"[threads] {row}", file=sys.stderr, flush=True)
                    rows.append(row)
    print(format_table(rows))
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2), encoding="utf-8")
    return rows


@contextmanager
def _nothing():
    yield None


if __name__ == "__main__":
    main()
