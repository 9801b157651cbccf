"""The emotion recipe, run as users run it, on a tiny generated corpus."""

import csv
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from hyperpyyaml import load_hyperpyyaml

from speechbrain_lstm_ser.dataio.audio import read_audio

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


def _args(data, out, **extra):
    args = [sys.executable, str(RECIPE), str(HPARAMS)]
    for key, value in {
        **OVERRIDES,
        "data_folder": str(data),
        "output_folder": str(out),
        **extra,
    }.items():
        args += [f"--{key}", value]
    return args + ["--noprogressbar"]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    base = tmp_path_factory.mktemp("recipe")
    data, out = base / "data", base / "out"
    proc = subprocess.run(_args(data, out), capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return data, out, proc.stdout + proc.stderr


def test_report_is_complete_and_consistent(trained):
    _, out, log = trained
    report = json.loads((out / "test_report.json").read_text())
    labels = ["neutral", "happy", "sad", "angry"]
    assert report["labels"] == labels
    assert report["synthetic_corpus"] is True
    matrix = report["confusion_matrix"]
    total = sum(map(sum, matrix))
    assert total == report["num_utterances"] == 12  # 1 test speaker x 4 x 3
    assert report["accuracy"] == pytest.approx(
        sum(matrix[i][i] for i in range(4)) / total
    )
    recalls = [report["per_class"][c]["recall"] for c in labels]
    assert report["unweighted_accuracy"] == pytest.approx(sum(recalls) / 4)
    for i, label in enumerate(labels):
        assert report["per_class"][label]["support"] == sum(matrix[i])
    assert sum(v["num_utterances"] for v in report["by_gender"].values()) == total
    assert sum(v["num_utterances"] for v in report["by_speaker"].values()) == total
    for name in (
        "confusion_matrix.png",
        "train_curves.png",
        "predictions.csv",
        "train_log.txt",
    ):
        assert (out / name).stat().st_size > 0, name
    assert "UA (mean recall)" in log


def test_training_loss_went_down(trained):
    _, out, _ = trained
    losses = [
        float(m)
        for m in re.findall(
            r"train loss: ([0-9.e+-]+)", (out / "train_log.txt").read_text()
        )
    ]
    assert len(losses) == 3
    assert losses[-1] < losses[0]


def test_best_checkpoint_reloads_and_reproduces_predictions(trained):
    data, out, _ = trained
    overrides = {**OVERRIDES, "data_folder": str(data), "output_folder": str(out)}
    with open(HPARAMS, encoding="utf-8") as handle:
        hparams = load_hyperpyyaml(
            handle, "\n".join(f"{k}: {v}" for k, v in overrides.items())
        )
    ckpt = hparams["checkpointer"].recover_if_possible(max_key="UA")
    assert ckpt is not None
    mods = hparams["modules"]
    for module in mods.values():
        module.eval()
    with open(out / "predictions.csv", encoding="utf-8") as handle:
        expected = {row["ID"]: row for row in csv.DictReader(handle)}
    with open(out / "manifests" / "test.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    with torch.no_grad():
        for row in rows:
            wav = read_audio(row["wav"].replace("$data_root", str(data)))[None]
            wavs, lens = mods["preprocess"](wav, torch.ones(1))
            feats = mods["mean_var_norm"](mods["compute_features"](wavs), lens)
            log_probs = mods["classifier"](
                mods["pooling"](mods["encoder"](feats, lens), lens)
            )
            label = hparams["emotions"][int(log_probs.argmax())]
            assert label == expected[row["ID"]]["prediction"], row["ID"]
            score = float(log_probs.exp().max())
            assert score == pytest.approx(float(expected[row["ID"]]["score"]), abs=1e-4)


def test_second_run_resumes_instead_of_retraining(trained):
    data, out, _ = trained
    proc = subprocess.run(_args(data, out), capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    text = proc.stdout + proc.stderr
    assert "skipping preparation" in text
    assert "Going into epoch" not in text  # all 3 epochs already done
