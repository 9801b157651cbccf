"""Runs recipe scripts and the ``sb-lstm-ser`` command the way users do."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_recipe(task: str, hparams: str, overrides: dict, data, out, timeout=900):
    """``python recipes/<task>/train.py hparams/<hparams> --key value ...``."""
    args = [sys.executable, str(ROOT / "recipes" / task / "train.py")]
    args.append(str(ROOT / "hparams" / hparams))
    options = {**overrides, "data_folder": str(data), "output_folder": str(out)}
    for key, value in options.items():
        args += [f"--{key}", value]
    args.append("--noprogressbar")
    proc = subprocess.run(args, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout + proc.stderr


def run_cli(*args, text=True, timeout=300):
    """``python -m speechbrain_lstm_ser.cli ARGS``; the finished process."""
    return subprocess.run(
        [sys.executable, "-m", "speechbrain_lstm_ser.cli", *map(str, args)],
        capture_output=True,
        text=text,
        timeout=timeout,
    )
