"""Shared fixtures: the emotion recipe trained once on a tiny generated corpus."""

import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

ROOT = Path(__file__).resolve().parents[2]
RECIPE = ROOT / "recipes" / "emotion" / "train.py"
HPARAMS = ROOT / "hparams" / "lstm.yaml"

# A tiny but complete configuration: 6 speakers (4 train, 1 valid, 1 test).
OVERRIDES = {
    "embedded_corpus": "{num_speakers: 6, utterances_per_emotion: 3, seed: 1234}",
    "valid_speakers": "1",
    "test_speakers": "1",
    "number_of_epochs": "3",
    "batch_size": "8",
    "lstm_hidden": "32",
    "head_hidden": "32",
    "n_mels": "40",
    "lr": "0.005",
}


def run_args(data, out, **extra):
    args = [sys.executable, str(RECIPE), str(HPARAMS)]
    for key, value in {
        **OVERRIDES,
        "data_folder": str(data),
        "output_folder": str(out),
        **extra,
    }.items():
        args += [f"--{key}", value]
    return args + ["--noprogressbar"]


@pytest.fixture(scope="session")
def trained(tmp_path_factory):
    """Runs the recipe once; gives its folders, log, overrides and CLI builder."""
    base = tmp_path_factory.mktemp("recipe")
    data, out = base / "data", base / "out"
    proc = subprocess.run(
        run_args(data, out), capture_output=True, text=True, timeout=900
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return SimpleNamespace(
        data=data,
        out=out,
        model=out / "model",
        log=proc.stdout + proc.stderr,
        overrides={**OVERRIDES, "data_folder": str(data), "output_folder": str(out)},
        hparams=HPARAMS,
        run_args=run_args,
    )
