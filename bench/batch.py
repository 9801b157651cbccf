"""Measures batch inference: files/s and audio-s/s, today's loop against batches.

For a model and a folder of audio files, with ``--files`` inputs made as
symbolic links cycling over the folder's files (distinct paths, the same
audio; nothing decoded is cached between them):

- ``loop``: ``predict_file`` one file at a time in one process (what
  ``predict`` did before length-sorted batches; speech gate included, as in
  the batches);
- ``batch 1 proc``: :class:`speechbrain_lstm_ser.serving.batch.BatchPredictor`
  (``--batch-size``, one decoding worker);
- ``batch 2 procs``: two ``sb-lstm-ser predict --shard k/2 --output
  --workers 0`` processes at once, one PyTorch thread each, then
  ``merge-shards``;
- ``--memory N``: one ``predict --output`` over N links (to the data's files,
  or with ``--memory-clip S`` to one synthetic clip of S seconds), its
  resident memory (with its worker's) sampled every second as it goes.

Every PyTorch computation runs on one thread per process (printed).
``python -m bench.batch --help`` lists the options.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import torch

from speechbrain_lstm_ser.dataio.audio import audio_info, write_audio
from speechbrain_lstm_ser.inference.load import load_model
from speechbrain_lstm_ser.serving.batch import BatchPredictor


def make_links(source: Path, folder: Path, count: int) -> tuple[list[Path], float]:
    """``count`` links cycling over ``source``'s wav files; their total seconds."""
    files = sorted(source.rglob("*.wav"))
    durations = [audio_info(f).duration for f in files]
    links, seconds = [], 0.0
    for i in range(count):
        sub = folder / f"{i // 1000:04d}"
        sub.mkdir(parents=True, exist_ok=True)
        link = sub / f"{i:07d}.wav"
        os.symlink(files[i % len(files)].resolve(), link)
        links.append(link)
        seconds += durations[i % len(files)]
    return links, seconds


def _rss_kb(pid: int) -> int:
    """Resident memory of a process and its children (kB)."""
    total = 0
    try:
        children = subprocess.run(
            ["pgrep", "-P", str(pid)], capture_output=True, text=True
        ).stdout.split()
    except OSError:
        children = []
    for p in [str(pid), *children]:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "speechbrain_lstm_ser.cli", *args]


def build_parser() -> argparse.ArgumentParser:
    """The options of ``python -m bench.batch``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", required=True, help="exported model folder")
    parser.add_argument("--data", required=True, help="folder of wav files")
    parser.add_argument("--files", type=int, default=500)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument(
        "--memory", type=int, default=0, help="files for the memory run"
    )
    parser.add_argument(
        "--memory-clip",
        type=float,
        default=0.0,
        help="seconds: the memory run links to one synthetic clip this long "
        "(a tone in noise) instead of the data's files",
    )
    parser.add_argument(
        "--no-speech-gate",
        action="store_true",
        help="measure without the speech gate (loop and batches alike)",
    )
    return parser


def cpu_seconds() -> float:
    """CPU seconds of this process and its finished children."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


class Throughput:
    """Times blocks of work over the same files; prints files/s and audio-s/s.

    Arguments
    ---------
    files : int
        Files each block processes.
    seconds : float
        Their total duration.
    """

    def __init__(self, files: int, seconds: float):
        self.files = files
        self.seconds = seconds

    @contextmanager
    def timed(self, name: str) -> Iterator[None]:
        """Prints the wall-clock and CPU time of the ``with`` block."""
        start, used = time.perf_counter(), cpu_seconds()
        yield
        elapsed, used = time.perf_counter() - start, cpu_seconds() - used
        print(
            f"{name:<16} {elapsed:7.1f} s  {self.files / elapsed:8.1f} files/s  "
            f"{self.seconds / elapsed:8.1f} audio-s/s  | CPU {used:7.1f} s  "
            f"{self.files / used:8.1f} files/CPU-s"
        )


def two_shards(args: argparse.Namespace, folder: Path, env: dict) -> list[str]:
    """``predict --shard k/2`` twice at once, then ``merge-shards``; their logs."""
    common = [
        "predict",
        "--model",
        args.model,
        str(folder / "in"),
        "--output",
        str(folder / "two.jsonl"),
        "--threads",
        "1",
        "--quiet",
        "--batch-size",
        str(args.batch_size),
        "--workers",
        "0",  # two processes on two cores: each decodes for itself
    ] + (["--no-speech-gate"] if args.no_speech_gate else [])
    procs = [
        subprocess.Popen(
            _cli(*common, "--shard", f"{k}/2"),
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        for k in range(2)
    ]
    logs = [proc.communicate()[1] for proc in procs]
    subprocess.run(
        _cli("merge-shards", str(folder / "two.jsonl")),
        env=env,
        capture_output=True,
        check=True,
    )
    return logs


def tone_clip(folder: Path, seconds: float) -> None:
    """Writes ``clip.wav`` into ``folder``: a 200 Hz tone in noise, 16 kHz."""
    folder.mkdir()
    n = int(seconds * 16000)
    gen = torch.Generator().manual_seed(0)
    t = torch.arange(n) / 16000
    clip = 0.3 * torch.sin(2 * torch.pi * 200 * t)
    clip += 0.05 * torch.randn(n, generator=gen)
    write_audio(folder / "clip.wav", clip, 16000)


def memory_run(args: argparse.Namespace, folder: Path, env: dict) -> None:
    """One ``predict --output`` over ``--memory`` links; prints its RSS as it goes."""
    source = Path(args.data)
    if args.memory_clip:
        source = folder / "clip"
        tone_clip(source, args.memory_clip)
    many, _ = make_links(source, folder / "many", args.memory)
    out = folder / "many.jsonl"
    proc = subprocess.Popen(
        _cli(
            "predict",
            "--model",
            args.model,
            str(folder / "many"),
            "--output",
            str(out),
            "--threads",
            "1",
            "--quiet",
        ),
        env=env,
        stderr=subprocess.DEVNULL,
    )
    samples = []
    while proc.poll() is None:
        done = out.read_bytes().count(b"\n") if out.exists() else 0
        samples.append((done, _rss_kb(proc.pid)))
        time.sleep(1.0)
    marks = [0.1, 0.25, 0.5, 0.75, 0.95]
    print(f"memory over {len(many)} files (RSS of predict and its worker):")
    for mark in marks:
        done, rss = next(
            ((d, r) for d, r in samples if d >= mark * len(many)), samples[-1]
        )
        print(f"  after {done:>7} files: {rss / 1024:7.1f} MB")
    print(f"  peak: {max(r for _, r in samples) / 1024:.1f} MB")


def main(argv: list[str] | None = None) -> None:
    """Runs the measurements and prints them."""
    args = build_parser().parse_args(argv)
    gate = False if args.no_speech_gate else None  # None: the model's default
    torch.set_num_threads(1)
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    print(
        f"torch threads per process: {torch.get_num_threads()}; cores: "
        f"{os.cpu_count()}; speech gate: {'off' if args.no_speech_gate else 'on'}"
    )
    model = load_model(args.model, threads=None)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        links, seconds = make_links(Path(args.data), tmp / "in", args.files)
        print(f"{len(links)} files, {seconds:.0f} s of audio")
        throughput = Throughput(len(links), seconds)
        print("(wall clock: what a user waits; CPU time: robust to other load)")
        with throughput.timed("loop"):
            for path in links:  # predict's loop: a clip without speech is an answer
                model.predict_file(path, gate=gate)
        predictor = BatchPredictor(
            model, batch_size=args.batch_size, workers=1, gate=gate
        )
        with throughput.timed("batch 1 proc"):
            predictor.run([tmp / "in"], tmp / "one.jsonl")
        with throughput.timed("batch 2 procs"):
            logs = two_shards(args, tmp, env)
        # Each shard's own time (its summary line), without starting Python
        # and loading the model.
        inner = [float(re.search(r"classified in ([0-9.]+) s", log)[1]) for log in logs]
        print(
            f"{'  without start-up':<16} {max(inner):7.1f} s  "
            f"{len(links) / max(inner):8.1f} files/s  "
            f"{seconds / max(inner):8.1f} audio-s/s  (the slower shard's own time; "
            "the start-up column above includes Python and two model loads)"
        )
        if args.memory:
            memory_run(args, tmp, env)


if __name__ == "__main__":
    main()
