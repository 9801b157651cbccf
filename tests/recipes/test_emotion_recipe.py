"""The emotion recipe, run as users run it, on a tiny generated corpus."""

import csv
import json
import re
import subprocess

import pytest
import torch
from hyperpyyaml import load_hyperpyyaml

from speechbrain_lstm_ser.dataio.audio import read_audio
from speechbrain_lstm_ser.nnet.normalization import SpeakerReferences


def test_report_is_complete_and_consistent(trained):
    out, log = trained.out, trained.log
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
    out = trained.out
    losses = [
        float(m)
        for m in re.findall(
            r"train loss: ([0-9.e+-]+)", (out / "train_log.txt").read_text()
        )
    ]
    assert len(losses) == 3
    assert losses[-1] < losses[0]


def test_best_checkpoint_reloads_and_reproduces_predictions(trained):
    data, out = trained.data, trained.out
    overrides = "\n".join(f"{k}: {v}" for k, v in trained.overrides.items())
    with open(trained.hparams, encoding="utf-8") as handle:
        hparams = load_hyperpyyaml(handle, overrides)
    ckpt = hparams["checkpointer"].recover_if_possible(max_key="UA")
    assert ckpt is not None
    model = hparams["model"].eval()
    preprocess = hparams["modules"]["preprocess"]
    with open(out / "predictions.csv", encoding="utf-8") as handle:
        expected = {row["ID"]: row for row in csv.DictReader(handle)}
    with open(out / "manifests" / "test.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    # The default is speaker-normalised: every test speaker's reference is
    # the mean of all of that speaker's test utterances (as the Brain's test).
    refs = SpeakerReferences()
    prepared = {}
    with torch.no_grad():
        for row in rows:
            wav = read_audio(row["wav"].replace("$data_root", str(data)))[None]
            prepared[row["ID"]] = preprocess(wav, torch.ones(1))
            total, count = model.reference_statistics(*prepared[row["ID"]])
            refs.add(row["ID"], row["spk_id"], total[0], float(count[0]))
        for row in rows:
            wavs, lens = prepared[row["ID"]]
            reference = refs.speaker_reference(row["spk_id"]).unsqueeze(0)
            log_probs = model(wavs, lens, reference=reference)
            label = hparams["emotions"][int(log_probs.argmax())]
            assert label == expected[row["ID"]]["prediction"], row["ID"]
            score = float(log_probs.exp().max())
            assert score == pytest.approx(float(expected[row["ID"]]["score"]), abs=1e-4)


def test_second_run_resumes_instead_of_retraining(trained):
    args = trained.run_args(trained.data, trained.out)
    proc = subprocess.run(args, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    text = proc.stdout + proc.stderr
    assert "skipping preparation" in text
    assert "Going into epoch" not in text  # all 3 epochs already done
