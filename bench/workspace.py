"""The benchmark's output folder: one folder per model, and the commands run into it.

Every step of the benchmark (a training, an export, a measurement) is a
command run in a fresh process from the repository root. :class:`Workspace`
runs it the same way each time: printed, appended to the model's
``commands.sh`` (so that the model can be reproduced), its output kept in a
log named for the script, its duration kept for the summary.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import os
import shlex
import subprocess
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

from bench.recipe import ROOT

__all__ = ["Workspace", "one_thread"]


def one_thread(env: Mapping[str, str]) -> dict[str, str]:
    """``env`` with PyTorch's thread pools at one thread (for measurements).

    Example
    -------
    >>> one_thread({"OMP_NUM_THREADS": "2"})["OMP_NUM_THREADS"]
    '1'
    """
    return {**env, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


class Workspace:
    """Runs the benchmark's commands into one output folder, and times its steps.

    Arguments
    ---------
    output : str or os.PathLike
        The output folder; each model's commands and logs go to
        ``<output>/runs/<model>``.
    threads : int
        Threads of each command (``OMP_NUM_THREADS``), unless told otherwise.

    Example
    -------
    >>> import sys, tempfile
    >>> space = Workspace(tempfile.mkdtemp(), threads=1)
    >>> with space.timed("print"):  # doctest: +ELLIPSIS
    ...     seconds = space.call("m", [sys.executable, "-m", "platform"])
    [bench] m: ... -m platform
    >>> (space.run_dir("m") / "platform.log").is_file()
    True
    >>> (space.run_dir("m") / "commands.sh").read_text().startswith("PYTHONPATH=. ")
    True
    >>> [step for step, _ in space.steps]
    ['print']
    """

    def __init__(self, output: str | os.PathLike, threads: int):
        self.out = Path(output).resolve()
        self.env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(
                filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])
            ),
            "OMP_NUM_THREADS": str(threads),
            "MKL_NUM_THREADS": str(threads),
        }
        #: ``(step, seconds)`` of every timed step, in the order they ended.
        self.steps: list[tuple[str, float]] = []

    def run_dir(self, name: str) -> Path:
        """The folder of model ``name``."""
        return self.out / "runs" / name

    @contextmanager
    def timed(self, step: str) -> Iterator[None]:
        """Adds the duration of the ``with`` block to :attr:`steps` (if it succeeds)."""
        start = time.time()
        yield
        self.steps.append((step, time.time() - start))

    def call(
        self, name: str, command: Sequence, env: Mapping[str, str] | None = None
    ) -> float:
        """Runs ``command`` for model ``name``, logged to its folder; its duration.

        Arguments
        ---------
        name : str
            The model the command is for.
        command : sequence
            The command (paths and numbers are turned into strings).
        env : mapping, optional
            Its environment (default: :attr:`env`).

        Returns
        -------
        float
            Seconds it took.

        Raises
        ------
        RuntimeError
            If it fails, with the command and the end of its output.
        """
        text = " ".join(shlex.quote(str(c)) for c in command)
        print(f"[bench] {name}: {text}", flush=True)
        folder = self.run_dir(name)
        folder.mkdir(parents=True, exist_ok=True)
        with open(folder / "commands.sh", "a", encoding="utf-8") as handle:
            handle.write(f"PYTHONPATH=. {text}\n")
        start = time.time()
        proc = subprocess.run(
            [str(c) for c in command],
            cwd=ROOT,
            env=env or self.env,
            capture_output=True,
            text=True,
        )
        log = Path(str(command[2] if command[1] == "-m" else command[1])).name
        with open(folder / f"{log}.log", "a", encoding="utf-8") as handle:
            handle.write(proc.stdout + proc.stderr)
        if proc.returncode != 0:
            raise RuntimeError(
                f"{name}: command failed ({proc.returncode}): {text}\n"
                f"{(proc.stdout + proc.stderr)[-4000:]}"
            )
        return time.time() - start
