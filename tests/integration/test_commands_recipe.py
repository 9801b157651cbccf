"""The spoken-command recipe, run as users run it, on a tiny generated corpus."""

import csv
import json

import pytest
from recipe_runner import run_recipe

LABELS = [
    "yes",
    "no",
    "up",
    "down",
    "left",
    "right",
    "on",
    "off",
    "stop",
    "go",
    "unknown",
    "silence",
]

# 4 speakers: 2 train, 1 in validation_list.txt, 1 in testing_list.txt.
OVERRIDES = {
    "embedded_corpus": (
        "{num_speakers: 4, repetitions: 1, auxiliary_per_speaker: 3, "
        "valid_speakers: 1, test_speakers: 1, noise_seconds: 10, seed: 1234}"
    ),
    "number_of_epochs": "1",
    "batch_size": "8",
    "lstm_hidden": "16",
    "head_hidden": "16",
    "n_mels": "20",
}


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    base = tmp_path_factory.mktemp("commands")
    data, out = base / "data", base / "out"
    log = run_recipe("commands", "commands_lstm.yaml", OVERRIDES, data, out)
    return data, out, log


def test_report_is_complete_and_consistent(trained):
    data, out, log = trained
    report = json.loads((out / "test_report.json").read_text())
    assert report["labels"] == LABELS
    assert report["task"] == "commands" and report["synthetic_corpus"] is True
    matrix = report["confusion_matrix"]
    total = sum(map(sum, matrix))
    assert total == report["num_utterances"]
    assert report["accuracy"] == pytest.approx(
        sum(matrix[i][i] for i in range(len(LABELS))) / total
    )
    support = {c: report["per_class"][c]["support"] for c in LABELS}
    assert all(support[c] == 1 for c in LABELS[:10])  # one test speaker, 1 take
    assert support["silence"] >= 1
    # the test speaker's gender, and "unknown" for the noise-only clips
    genders = set(report["by_gender"])
    assert "unknown" in genders and len(genders & {"female", "male"}) == 1
    assert sum(v["num_utterances"] for v in report["by_gender"].values()) == total
    for name in ("confusion_matrix.png", "train_curves.png", "predictions.csv"):
        assert (out / name).stat().st_size > 0, name
    with open(out / "manifests" / "noise.csv", encoding="utf-8") as handle:
        noise = list(csv.DictReader(handle))
    assert len(noise) == 4  # the corpus's _background_noise_ recordings
    assert (data / "validation_list.txt").is_file()
    assert "WA (accuracy)" in log


def test_second_run_resumes_instead_of_retraining(trained):
    data, out, _ = trained
    text = run_recipe("commands", "commands_lstm.yaml", OVERRIDES, data, out)
    assert "skipping preparation" in text
    assert "Going into epoch" not in text
