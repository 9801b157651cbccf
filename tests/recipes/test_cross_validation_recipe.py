"""cross_validate.py and train.py on a miniature IEMOCAP, run as users run them."""

import json
import subprocess
from pathlib import Path

import pytest
from miniature_corpora import emobox_iemocap, make_iemocap
from preparations import prepare_emotion
from recipe_runner import recipe_args

from speechbrain_lstm_ser.dataio.manifest import read_manifest
from speechbrain_lstm_ser.dataio.partitions import read_partitions

# Slow tier: trains every fold of a recipe.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
HPARAMS = ROOT / "hparams" / "lstm.yaml"

# Two sessions: leave-one-session-out with 2 folds, one epoch each, tiny model.
OVERRIDES = {
    "dataset": "iemocap",
    "prepare": "{corpora: {iemocap: {sessions: [1, 2]}}}",
    "num_folds": "2",
    "number_of_epochs": "1",
    "batch_size": "8",
    "lstm_hidden": "16",
    "head_hidden": "16",
    "n_mels": "20",
}


def _args(script, data, out, **extra):
    options = {**OVERRIDES, "data_folder": str(data), "output_folder": str(out)}
    script = ROOT / "recipes" / "emotion" / script
    return recipe_args(script, HPARAMS, {**options, **extra})


@pytest.fixture(scope="module")
def cross_validated(tmp_path_factory):
    base = tmp_path_factory.mktemp("cv")
    data = make_iemocap(base / "corpus", sessions=2)
    out = base / "out"
    proc = subprocess.run(
        _args("cross_validate.py", data, out),
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return out, proc.stdout


def test_every_fold_is_trained_tested_and_aggregated(cross_validated):
    out, stdout = cross_validated
    report = json.loads((out / "cv_report.json").read_text())
    assert report["dataset"] == "iemocap" and report["all_folds"] is True
    assert report["protocol"]["kind"] == "leave-one-session-out cross-validation"
    assert report["num_folds"] == 2
    folds = [
        json.loads((out / f"fold_{k}" / "test_report.json").read_text()) for k in (1, 2)
    ]
    assert [f["fold"] for f in folds] == [1, 2]
    assert [sorted(f["by_speaker"]) for f in folds] == [["Ses01_F"], ["Ses02_M"]]
    for name, key in (("WA", "accuracy"), ("UA", "unweighted_accuracy")):
        assert report["metrics"][name]["values"] == [round(f[key], 4) for f in folds]
        assert report["metrics"][name]["mean"] == pytest.approx(
            (folds[0][key] + folds[1][key]) / 2, abs=1e-4
        )
    assert report["metrics"]["UA_female"]["n"] == 1
    assert report["metrics"]["UA_male"]["n"] == 1
    assert report["pooled"]["num_utterances"] == sum(f["num_utterances"] for f in folds)
    assert (out / "cv_confusion_matrix.png").stat().st_size > 0
    assert "| UA |" in (out / "cv_report.md").read_text()
    assert "| UA |" in stdout
    assert not (out / "save").exists()  # the driver itself writes no checkpoints
    assert report["leakage"]["speaker_independent"] is True
    assert report["leakage"]["warnings"] == []
    assert set(report["aggregation"]) == {"metrics", "pooled"}
    assert "mean ± std: " in (out / "cv_report.md").read_text()
    # the exact utterance lists of both folds, in one shareable file
    assert sorted(read_partitions(out / "partitions.json").folds) == [1, 2]


def test_folds_hold_out_their_session_without_speaker_leaks(cross_validated):
    out, _ = cross_validated
    for k, held_out in ((1, "Ses01"), (2, "Ses02")):
        speakers = {}
        for split in ("train", "valid", "test"):
            rows = read_manifest(out / f"fold_{k}" / "manifests" / f"{split}.csv")
            speakers[split] = {r["spk_id"] for r in rows}
        assert {s[:5] for s in speakers["valid"] | speakers["test"]} == {held_out}
        assert all(not s.startswith(held_out) for s in speakers["train"])
        assert not speakers["valid"] & speakers["test"]


def test_wrong_data_folder_is_one_clear_line(tmp_path):
    proc = subprocess.run(
        _args("train.py", tmp_path / "IEMOCAP", tmp_path / "out"),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("Data preparation failed: ")
    assert str(tmp_path / "IEMOCAP") in last and "EmoEvaluation" in last


@pytest.fixture(scope="module")
def emobox_folds(tmp_path_factory):
    base = tmp_path_factory.mktemp("emobox_cv")
    data = make_iemocap(base / "corpus", sessions=2)
    partitions = emobox_iemocap(base / "emobox", sessions=2)
    out = base / "out"
    proc = subprocess.run(
        # 11 utterances a session, a fifth of them validate: batches of 4
        _args(
            "cross_validate.py", data, out, partitions=str(partitions), batch_size="4"
        ),
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return data, partitions, out


def test_cross_validation_runs_exactly_the_emobox_folds(emobox_folds):
    data, partitions, out = emobox_folds
    report = json.loads((out / "cv_report.json").read_text())
    assert report["folds_run"] == [1, 2] and report["all_folds"] is True
    assert report["protocol"]["kind"] == "EmoBox partitions of iemocap"
    assert report["protocol"]["valid"]["method"] == "whole speakers"
    assert report["leakage"]["speaker_independent"] is True
    emobox = read_partitions(partitions)
    for k in (1, 2):
        test = read_manifest(out / f"fold_{k}" / "manifests" / "test.csv")
        expected = [e["key"].removeprefix("iemocap-") for e in emobox.folds[k]["test"]]
        assert [r["ID"] for r in test] == expected
        fold = json.loads((out / f"fold_{k}" / "test_report.json").read_text())
        assert fold["protocol"] == "EmoBox partitions of iemocap"
        assert fold["leakage"]["shared_speakers"]["train-test"] == 0
    # the merged partitions.json gives the same manifests back, byte for byte
    again = out.parent / "again"
    prepare_emotion(
        "iemocap",
        data,
        again,
        emotions=["neutral", "happy", "sad", "angry"],
        label_map={"excited": "happy"},
        corpus_options={"sessions": [1, 2]},
        partitions=out / "partitions.json",
        fold=2,
    )
    for split in ("train", "valid", "test"):
        assert (again / f"{split}.csv").read_bytes() == (
            out / "fold_2" / "manifests" / f"{split}.csv"
        ).read_bytes()
