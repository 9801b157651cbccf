"""Runs recipe scripts, the ``sb-lstm-ser`` command and the bench the way users do."""

import importlib.util
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


def load_recipe(task: str):
    """``recipes/<task>/train.py`` as a module (its ``__main__`` does not run)."""
    name = f"{task}_recipe_under_test"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            name, ROOT / "recipes" / task / "train.py"
        )
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def run_cli(*args, text=True, timeout=300):
    """``python -m speechbrain_lstm_ser.cli ARGS``; the finished process."""
    return subprocess.run(
        [sys.executable, "-m", "speechbrain_lstm_ser.cli", *map(str, args)],
        capture_output=True,
        text=text,
        timeout=timeout,
    )


def run_bench(module: str, *args, timeout=900) -> str:
    """``python -m bench.<module> ARGS`` from the repository root; its output.

    Asserts that it succeeds (the end of its output is the message).
    """
    proc = subprocess.run(
        [sys.executable, "-m", f"bench.{module}", *map(str, args)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
    return proc.stdout
