"""WA, UA and macro-F1 are the usual accuracy, balanced accuracy and macro F1.

The reference implementations below are written from the textbook
definitions with numpy (as scikit-learn defines ``accuracy_score``,
``balanced_accuracy_score`` and ``f1_score(average="macro")``, which EmoBox
and most papers use), independently of ``evaluation/classification.py``.
"""

import numpy as np
import pytest

from speechbrain_lstm_ser.evaluation.classification import classification_report
from speechbrain_lstm_ser.evaluation.cross_validation import aggregate_reports


def accuracy(y, p):
    return float(np.mean(y == p))


def balanced_accuracy(y, p):
    """Mean recall over the classes present in the references."""
    return float(np.mean([np.mean(p[y == c] == c) for c in np.unique(y)]))


def macro_f1(y, p):
    """Mean F1 over the classes in references or predictions (0 when undefined)."""
    scores = []
    for c in np.union1d(y, p):
        tp = np.sum((p == c) & (y == c))
        fp = np.sum((p == c) & (y != c))
        fn = np.sum((p != c) & (y == c))
        scores.append(2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0)
    return float(np.mean(scores))


LABELS = ["neutral", "happy", "sad", "angry", "fearful"]


@pytest.mark.parametrize("seed", range(20))
def test_wa_ua_macro_f1_equal_the_usual_definitions(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(5, 200))
    # skewed classes, and sometimes a class missing from references or predictions
    weights = rng.dirichlet(np.ones(len(LABELS)) * 0.7)
    y = rng.choice(len(LABELS), size=n, p=weights)
    p = np.where(rng.random(n) < 0.5, y, rng.choice(len(LABELS), size=n, p=weights))
    if seed % 4 == 0:
        p[p == 4] = 0  # a class never predicted
    if seed % 4 == 1:
        y[y == 3] = 2  # a class never in the references
    report = classification_report(
        [LABELS[i] for i in y], [LABELS[i] for i in p], LABELS
    )
    assert report["accuracy"] == pytest.approx(accuracy(y, p), abs=1e-12)
    assert report["unweighted_accuracy"] == pytest.approx(
        balanced_accuracy(y, p), abs=1e-12
    )
    assert report["macro_f1"] == pytest.approx(macro_f1(y, p), abs=1e-12)


def test_cross_validation_gives_both_aggregations_and_says_which_is_which():
    rng = np.random.default_rng(0)
    folds, ys, ps = [], [], []
    for size in (30, 80, 50):  # folds of different sizes: the two differ
        y = rng.integers(0, 4, size)
        p = np.where(rng.random(size) < 0.6, y, rng.integers(0, 4, size))
        ys.append(y)
        ps.append(p)
        folds.append(
            classification_report(
                [LABELS[i] for i in y], [LABELS[i] for i in p], LABELS[:4]
            )
        )
    aggregate = aggregate_reports(folds)
    mean_ua = np.mean([balanced_accuracy(y, p) for y, p in zip(ys, ps, strict=True)])
    y_all, p_all = np.concatenate(ys), np.concatenate(ps)
    assert aggregate["metrics"]["UA"]["mean"] == pytest.approx(mean_ua, abs=1e-4)
    assert aggregate["pooled"]["unweighted_accuracy"] == pytest.approx(
        balanced_accuracy(y_all, p_all), abs=1e-12
    )
    assert aggregate["pooled"]["macro_f1"] == pytest.approx(
        macro_f1(y_all, p_all), abs=1e-12
    )
    assert aggregate["metrics"]["WA"]["mean"] != pytest.approx(
        aggregate["pooled"]["accuracy"], abs=1e-6
    )
    assert "SUPERB" in aggregate["aggregation"]["metrics"]
    assert "concatenated predictions" in aggregate["aggregation"]["pooled"]
