import pytest
import torch

from speechbrain_lstm_ser.evaluation.classification import (
    ClassificationMetrics,
    classification_report,
    confusion_matrix,
)

LABELS = ["angry", "happy", "neutral"]
# Hand-checked case: 8 utterances, "neutral" is never predicted.
REFS = ["angry", "angry", "angry", "happy", "happy", "neutral", "neutral", "neutral"]
HYPS = ["angry", "angry", "happy", "happy", "angry", "happy", "angry", "angry"]
GENDER = ["f", "m", "f", "m", "f", "m", "f", "m"]


def test_confusion_matrix_by_hand():
    assert confusion_matrix(REFS, HYPS, LABELS) == [[2, 1, 0], [1, 1, 0], [2, 1, 0]]
    with pytest.raises(ValueError, match="not among"):
        confusion_matrix(["x"], ["angry"], LABELS)
    with pytest.raises(ValueError, match="references"):
        confusion_matrix(["angry"], [], LABELS)


def test_report_by_hand():
    rep = classification_report(REFS, HYPS, LABELS)
    assert rep["num_utterances"] == 8
    assert rep["accuracy"] == pytest.approx(3 / 8)
    # recalls: angry 2/3, happy 1/2, neutral 0/3
    assert rep["unweighted_accuracy"] == pytest.approx((2 / 3 + 1 / 2 + 0) / 3)
    angry = rep["per_class"]["angry"]
    # precision 2/5 (5 predicted angry), recall 2/3
    assert angry["precision"] == pytest.approx(2 / 5)
    assert angry["recall"] == pytest.approx(2 / 3)
    assert angry["f1"] == pytest.approx(2 * 0.4 * (2 / 3) / (0.4 + 2 / 3))
    assert angry["support"] == 3
    happy = rep["per_class"]["happy"]
    assert happy["precision"] == pytest.approx(1 / 3)
    assert happy["f1"] == pytest.approx(2 * (1 / 3) * 0.5 / (1 / 3 + 0.5))
    # never predicted: precision and F1 are 0, not NaN
    assert rep["per_class"]["neutral"] == {
        "precision": 0.0,
        "recall": 0.0,
        "f1": 0.0,
        "support": 3,
    }
    assert rep["macro_f1"] == pytest.approx((angry["f1"] + happy["f1"] + 0.0) / 3)
    matrix = rep["confusion_matrix"]
    assert rep["accuracy"] == pytest.approx(
        sum(matrix[i][i] for i in range(3)) / sum(map(sum, matrix))
    )


def test_breakdown_by_group():
    rep = classification_report(REFS, HYPS, LABELS, groups={"gender": GENDER})
    female = rep["by_gender"]["f"]
    # f items: angry->angry, angry->happy, happy->angry, neutral->angry
    assert female["num_utterances"] == 4
    assert female["accuracy"] == pytest.approx(1 / 4)
    assert female["unweighted_accuracy"] == pytest.approx((1 / 2 + 0 + 0) / 3)
    total = sum(v["num_utterances"] for v in rep["by_gender"].values())
    assert total == rep["num_utterances"]
    with pytest.raises(ValueError, match="values"):
        classification_report(REFS, HYPS, LABELS, groups={"gender": ["f"]})


def test_absent_class_is_left_out_of_ua():
    rep = classification_report(["a", "a"], ["a", "b"], ["a", "b", "c"])
    assert rep["unweighted_accuracy"] == pytest.approx(0.5)  # only "a" present
    # macro-F1 counts classes present in references or predictions: a and b
    f1_a = 2 * 1.0 * 0.5 / 1.5
    assert rep["macro_f1"] == pytest.approx((f1_a + 0.0) / 2)


def test_accumulator_matches_report():
    metrics = ClassificationMetrics(LABELS)
    index = {label: i for i, label in enumerate(LABELS)}
    log_probs = torch.full((8, 1, 3), -5.0)
    for i, hyp in enumerate(HYPS):
        log_probs[i, 0, index[hyp]] = -0.1
    targets = torch.tensor([[index[r]] for r in REFS])
    ids = [f"u{i}" for i in range(8)]
    metrics.append(ids[:5], log_probs[:5], targets[:5], gender=GENDER[:5])
    metrics.append(ids[5:], log_probs[5:], targets[5:], gender=GENDER[5:])
    assert metrics.summarize() == classification_report(
        REFS, HYPS, LABELS, groups={"gender": GENDER}
    )
    rows = metrics.rows()
    assert rows[0]["ID"] == "u0" and rows[0]["prediction"] == "angry"
    assert rows[0]["gender"] == "f"
    assert rows[0]["score"] == pytest.approx(torch.tensor(-0.1).exp().item(), rel=1e-4)
    # class indices work too
    other = ClassificationMetrics(LABELS)
    other.append(ids, torch.tensor([index[h] for h in HYPS]), targets)
    assert other.summarize("accuracy") == pytest.approx(3 / 8)


def test_accumulator_errors():
    metrics = ClassificationMetrics(LABELS)
    with pytest.raises(ValueError, match="no predictions"):
        metrics.summarize()
    with pytest.raises(ValueError, match="batch size"):
        metrics.append(["a"], torch.tensor([0, 1]), torch.tensor([0, 1]))
