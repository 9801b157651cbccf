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


@pytest.mark.slow
def test_second_run_resumes_instead_of_retraining(trained):
    args = trained.run_args(trained.data, trained.out)
    proc = subprocess.run(args, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    text = proc.stdout + proc.stderr
    assert "skipping preparation" in text
    assert "Going into epoch" not in text  # all 3 epochs already done


def test_temperature_is_fitted_reported_and_shipped_with_the_model(trained):
    from recipe_runner import run_cli

    from speechbrain_lstm_ser.evaluation.calibration import scale_log_probs
    from speechbrain_lstm_ser.inference import EmotionRecognizer

    out = trained.out
    report = json.loads((out / "test_report.json").read_text())
    calibration = report["calibration"]
    temperature = calibration["temperature"]
    assert calibration["fitted_on"] == "valid"
    assert calibration["valid_utterances"] == 12  # 1 valid speaker x 4 x 3
    assert temperature > 0 and temperature != 1.0
    # fitting minimises the validation NLL (T = 1 is one of the candidates)
    assert calibration["valid_nll_after"] <= calibration["valid_nll_before"] + 1e-9
    assert calibration["num_utterances"] == report["num_utterances"]
    bins = calibration["reliability"]
    assert len(bins) == calibration["num_bins"] == 15
    assert sum(b["count"] for b in bins) == report["num_utterances"]
    ece = sum(
        b["count"] * abs(b["accuracy"] - b["confidence"]) for b in bins if b["count"]
    )
    assert ece / report["num_utterances"] == pytest.approx(calibration["after"]["ece"])
    for when in ("before", "after"):
        assert set(calibration[when]) == {"ece", "mce", "nll"}
    assert (out / "reliability_diagram.png").stat().st_size > 0
    assert "calibration: temperature scaling" in (out / "train_log.txt").read_text()

    # the exported model carries T, and its probabilities are the scaled ones
    state = torch.load(trained.model / "classifier.ckpt", weights_only=True)
    assert float(state["temperature"]) == pytest.approx(temperature, rel=1e-6)
    model = EmotionRecognizer.from_hparams(source=str(trained.model))
    model.model.fusion.weights.fill_(1.0)  # the classifier's own probabilities
    with open(out / "manifests" / "test.csv", encoding="utf-8") as handle:
        row = next(csv.DictReader(handle))
    wav = read_audio(row["wav"].replace("$data_root", str(trained.data)))[None]
    scaled, _, _, _ = model.classify_batch(wav, torch.ones(1))
    model.model.classifier.set_temperature(1.0)
    unscaled, _, _, _ = model.classify_batch(wav, torch.ones(1))
    torch.testing.assert_close(
        scaled, scale_log_probs(unscaled, temperature), atol=1e-5, rtol=1e-5
    )

    # the card and `sb-lstm-ser report` state it
    card = (trained.model / "README.md").read_text()
    assert f"temperature-scaled (T = {temperature:.3f}" in card
    assert f"test split {calibration['after']['ece']:.3f}" in card
    proc = run_cli("report", out / "test_report.json")
    assert proc.returncode == 0, proc.stderr
    assert f"ECE (15 bins): {calibration['after']['ece']:.4f}" in proc.stdout
