"""Runs recipe scripts, the ``sb-lstm-ser`` command and the bench the way users do."""

import importlib.util
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


# The tiny but complete configurations of the ASR and commands recipes' tests.
TINY = {
    # 4 speakers (2 train, 1 valid, 1 test).
    "asr": {
        "embedded_corpus": "{num_speakers: 4, utterances_per_speaker: 6, seed: 1234}",
        "valid_speakers": "1",
        "test_speakers": "1",
        "number_of_epochs": "1",
        "batch_size": "4",
        "vocab_size": "30",
        "cnn_channels": "[4, 8]",
        "lstm_hidden": "16",
        "dnn_size": "16",
        "n_mels": "20",
        "beam_size": "3",
    },
    # 4 speakers: 2 train, 1 in validation_list.txt, 1 in testing_list.txt.
    "commands": {
        "embedded_corpus": (
            "{num_speakers: 4, repetitions: 1, auxiliary_per_speaker: 3, "
            "valid_speakers: 1, test_speakers: 1, noise_seconds: 10, seed: 1234}"
        ),
        "number_of_epochs": "1",
        "batch_size": "8",
        "lstm_hidden": "16",
        "head_hidden": "16",
        "n_mels": "20",
    },
    # 6 speakers (4 train, 1 valid, 1 test), two epochs; the late fusion's
    # weight chosen on the validation split, not on the generated domain.
    "emotion": {
        "fusion_selection": "valid",
        "prepare": (
            "{valid_speakers: 1, test_speakers: 1, corpora: {embedded: "
            "{num_speakers: 6, utterances_per_emotion: 3, seed: 1234}}}"
        ),
        "number_of_epochs": "2",
        "batch_size": "8",
        "lstm_hidden": "16",
        "head_hidden": "16",
        "n_mels": "20",
        "num_threads": "1",
    },
}


def recipe_args(script, hparams, options: dict) -> list[str]:
    """``python SCRIPT HPARAMS --key value ... --noprogressbar``, as a user types it."""
    args = [sys.executable, str(script), str(hparams)]
    for key, value in options.items():
        args += [f"--{key}", str(value)]
    return args + ["--noprogressbar"]


def run_recipe(task: str, hparams: str, overrides: dict, data, out, timeout=900):
    """``python recipes/<task>/train.py hparams/<hparams> --key value ...``."""
    args = recipe_args(
        ROOT / "recipes" / task / "train.py",
        ROOT / "hparams" / hparams,
        {**overrides, "data_folder": str(data), "output_folder": str(out)},
    )
    proc = subprocess.run(args, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout + proc.stderr


def train_tiny(tmp_path_factory, task: str, hparams: str):
    """The recipe of ``task`` run on its :data:`TINY` configuration in a new folder.

    Returns ``(data_folder, output_folder, log)``.
    """
    base = tmp_path_factory.mktemp(task)
    data, out = base / "data", base / "out"
    return data, out, run_recipe(task, hparams, TINY[task], data, out)


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
