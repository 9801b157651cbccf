import statistics

import pytest

from speechbrain_lstm_ser.evaluation.classification import classification_report
from speechbrain_lstm_ser.evaluation.cross_validation import (
    aggregate_reports,
    format_aggregate,
)

LABELS = ["neutral", "happy", "sad", "angry"]
FOLDS = [
    # (references, predictions, genders, speakers)
    (
        ["neutral", "happy", "sad", "angry", "angry"],
        ["neutral", "happy", "sad", "sad", "angry"],
        ["female"] * 5,
        ["s1"] * 5,
    ),
    (
        ["neutral", "happy", "sad", "angry"],
        ["happy", "happy", "neutral", "angry"],
        ["male"] * 4,
        ["s2"] * 4,
    ),
    (
        ["neutral", "neutral", "happy", "sad", "angry", "sad"],
        ["neutral", "sad", "happy", "sad", "happy", "sad"],
        ["female", "female", "female", "male", "male", "male"],
        ["s3", "s3", "s3", "s4", "s4", "s4"],
    ),
]


def _reports():
    return [
        classification_report(refs, hyps, LABELS, {"gender": g, "speaker": s})
        for refs, hyps, g, s in FOLDS
    ]


def test_mean_and_sample_std_over_folds():
    reports = _reports()
    result = aggregate_reports(reports)
    for name, key in (
        ("WA", "accuracy"),
        ("UA", "unweighted_accuracy"),
        ("macro_F1", "macro_f1"),
    ):
        values = [r[key] for r in reports]
        assert result["metrics"][name]["mean"] == pytest.approx(
            statistics.mean(values), abs=1e-4
        )
        assert result["metrics"][name]["std"] == pytest.approx(
            statistics.stdev(values), abs=1e-4
        )
    # per-gender UA: over the folds that test that gender
    female = [
        r["by_gender"]["female"]["unweighted_accuracy"]
        for r in (reports[0], reports[2])
    ]
    assert result["metrics"]["UA_female"]["n"] == 2
    assert result["metrics"]["UA_female"]["mean"] == pytest.approx(
        statistics.mean(female), abs=1e-4
    )
    assert result["metrics"]["UA_male"]["n"] == 2
    assert [f["test_speakers"] for f in result["folds"]] == [
        ["s1"],
        ["s2"],
        ["s3", "s4"],
    ]


def test_pooled_metrics_equal_one_report_over_all_utterances():
    result = aggregate_reports(_reports(), names=["a", "b", "c"])
    refs = [x for f in FOLDS for x in f[0]]
    hyps = [x for f in FOLDS for x in f[1]]
    genders = [x for f in FOLDS for x in f[2]]
    everything = classification_report(refs, hyps, LABELS, {"gender": genders})
    assert result["pooled"]["confusion_matrix"] == everything["confusion_matrix"]
    for key in ("accuracy", "unweighted_accuracy", "macro_f1"):
        assert result["pooled"][key] == pytest.approx(everything[key])
    assert result["pooled"]["by_gender"]["male"]["unweighted_accuracy"] == (
        pytest.approx(everything["by_gender"]["male"]["unweighted_accuracy"])
    )
    assert [f["name"] for f in result["folds"]] == ["a", "b", "c"]


def test_errors_and_single_fold():
    reports = _reports()
    other = classification_report(["a"], ["a"], ["a", "b"])
    with pytest.raises(ValueError, match="different experiments"):
        aggregate_reports([reports[0], other])
    with pytest.raises(ValueError, match="no fold report"):
        aggregate_reports([])
    single = aggregate_reports(reports[:1])
    assert single["metrics"]["UA"]["std"] is None
    assert "n/a" in format_aggregate(single)


def test_markdown_table():
    text = format_aggregate(aggregate_reports(_reports()))
    lines = text.splitlines()
    assert lines[0] == "| metric (3 folds) | mean ± std | pooled |"
    assert any(line.startswith("| UA | ") for line in lines)
    assert any("UA_female" in line and "(2 folds)" in line for line in lines)
    assert sum(line.startswith("| fold_") for line in lines) == 3
