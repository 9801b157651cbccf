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


def _dimension_folds():
    import numpy as np

    from speechbrain_lstm_ser.evaluation.dimensions import dimension_report

    reports = []
    for seed in range(3):
        rng = np.random.default_rng(seed)
        ref = rng.random((20, 3))
        pred = np.clip(ref + 0.1 * (seed + 1) * rng.standard_normal((20, 3)), 0, 1)
        reports.append(
            dimension_report(
                pred,
                ref,
                genders=["female", "male"] * 10,
                speakers=[f"s{seed}{i % 2}" for i in range(20)],
                bootstrap=0,
            )
        )
    return reports


def test_dimensional_folds_give_mean_and_std_per_dimension():
    sections = _dimension_folds()
    result = aggregate_reports([{"dimensions": s} for s in sections])
    assert "pooled" not in result and "labels" not in result
    assert result["dimensions"] == ["arousal", "valence", "dominance"]
    for label, key in (("CCC", "ccc"), ("Pearson", "pearson"), ("MAE", "mae")):
        values = [s["overall"]["valence"][key] for s in sections]
        stats = result["metrics"][f"{label}_valence"]
        assert stats["mean"] == pytest.approx(statistics.mean(values), abs=1e-4)
        assert stats["std"] == pytest.approx(statistics.stdev(values), abs=1e-4)
    speaker_means = [s["speaker_summary"]["arousal"]["ccc_mean"] for s in sections]
    assert result["metrics"]["CCC_arousal_speaker_mean"]["mean"] == pytest.approx(
        statistics.mean(speaker_means), abs=1e-4
    )
    assert result["folds"][1]["test_speakers"] == ["s10", "s11"]
    text = format_aggregate(result)
    assert (
        "| CCC_arousal | " in text and "| fold | test speakers | utterances |" in text
    )
    assert text.splitlines()[-5].endswith(
        "| CCC arousal | CCC valence | CCC dominance |"
    )


def test_multitask_folds_keep_the_categorical_aggregate():
    reports = _reports()
    for report, section in zip(reports, _dimension_folds(), strict=True):
        report["dimensions"] = section
    result = aggregate_reports(reports)
    assert (
        result["pooled"]["accuracy"]
        == aggregate_reports(_reports())["pooled"]["accuracy"]
    )
    assert {"UA", "CCC_valence", "MAE_dominance"} <= set(result["metrics"])
    assert "| WA | UA | macro-F1 | CCC arousal |" in format_aggregate(result)
    with pytest.raises(ValueError, match="fold_2 not dimensional"):
        aggregate_reports([reports[0], _reports()[1]])
