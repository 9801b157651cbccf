"""CCC, Pearson and MAE (audmetric) against numpy and scipy; the report's shape.

The reference CCC below is written from Lin's (1989) definition with
population moments, independently of audmetric and of the module's
vectorised bootstrap kernel.
"""

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import pearsonr

from speechbrain_lstm_ser.evaluation.dimensions import (
    _resample_counts,
    _weighted_metrics,
    concordance_correlation,
    dimension_report,
    mean_absolute_error,
    pearson,
)


def lin_ccc(p, r):
    p, r = np.asarray(p, float), np.asarray(r, float)
    cov = np.mean((p - p.mean()) * (r - r.mean()))
    return 2 * cov / (p.var() + r.var() + (p.mean() - r.mean()) ** 2)


@pytest.mark.parametrize("seed", range(10))
def test_metrics_equal_numpy_and_scipy(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 300))
    r = rng.random(n)
    p = 0.6 * r + 0.3 * rng.random(n) + rng.normal(0, 0.05)  # shifted, shrunk
    assert concordance_correlation(p, r) == pytest.approx(lin_ccc(p, r), abs=1e-12)
    assert pearson(p, r) == pytest.approx(pearsonr(p, r)[0], abs=1e-12)
    assert mean_absolute_error(p, r) == pytest.approx(np.abs(p - r).mean(), abs=1e-15)


def test_hand_computed_values():
    # p = (0, 1, 2), r = (0, 1, 1): means 1 and 2/3, var_p 2/3, var_r 2/9,
    # cov 1/3 -> CCC = (2/3) / (2/3 + 2/9 + 1/9) = 2/3
    assert concordance_correlation([0, 1, 2], [0, 1, 1]) == pytest.approx(2 / 3)
    assert pearson([0, 1, 2], [0, 1, 1]) == pytest.approx(math.sqrt(3) / 2)
    assert mean_absolute_error([0, 1, 2], [0, 1, 1]) == pytest.approx(1 / 3)
    # a perfect but shifted prediction: Pearson 1, CCC below 1
    assert pearson([0.1, 0.2, 0.3], [0.2, 0.3, 0.4]) == pytest.approx(1.0)
    assert concordance_correlation([0.1, 0.2, 0.3], [0.2, 0.3, 0.4]) == pytest.approx(
        2 * (2 / 300) / (4 / 300 + 0.01)
    )


def test_degenerate_cases_give_nan_or_zero_never_raise():
    assert math.isnan(concordance_correlation([], []))
    assert math.isnan(concordance_correlation([0.5], [0.5]))
    assert math.isnan(pearson([0.5], [0.2]))
    assert math.isnan(mean_absolute_error([], []))
    assert mean_absolute_error([0.5], [0.2]) == pytest.approx(0.3)
    # one side constant: Pearson undefined, CCC 0 (no concordance)
    assert math.isnan(pearson([0.5, 0.5, 0.5], [0.1, 0.5, 0.9]))
    assert math.isnan(pearson([0.1, 0.5, 0.9], [0.5, 0.5, 0.5]))
    assert concordance_correlation([0.5, 0.5, 0.5], [0.1, 0.5, 0.9]) == 0.0
    # both the same constant: 0 / 0
    assert math.isnan(concordance_correlation([0.4, 0.4], [0.4, 0.4]))
    assert math.isnan(concordance_correlation([0.1, np.nan], [0.1, 0.2]))


def test_shape_errors_are_one_line():
    with pytest.raises(ValueError, match="3 predictions but 2 references"):
        concordance_correlation([0, 1, 2], [0, 1])
    with pytest.raises(ValueError, match="one dimension at a time"):
        pearson(np.zeros((4, 3)), np.zeros((4, 3)))


# ratings on a grid of [0, 1] (ties and constant inputs included); no subnormal
# values, whose affine images round to constants
unit = st.integers(0, 1000).map(lambda k: k / 1000)
pairs = st.integers(2, 40).flatmap(
    lambda n: st.tuples(*(st.lists(unit, min_size=n, max_size=n) for _ in range(2)))
)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(pairs)
def test_ccc_properties(pair):
    p, r = (np.array(x) for x in pair)
    ccc, rho = concordance_correlation(p, r), pearson(p, r)
    if not math.isnan(ccc):
        assert -1 - 1e-9 <= ccc <= 1 + 1e-9
        assert ccc == concordance_correlation(r, p)  # symmetric
    if not math.isnan(rho):
        assert abs(ccc) <= abs(rho) + 1e-9
        # Pearson ignores shift and scale, CCC does not shrink under a shared one
        assert pearson(2 * p + 3, r) == pytest.approx(rho, abs=1e-9)
        assert concordance_correlation(2 * p + 1, 2 * r + 1) == pytest.approx(
            ccc, abs=1e-9
        )
    if p.std() > 1e-6:
        assert concordance_correlation(p, p) == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("unit", "n"), [("utterance", 30), ("speaker", 30), ("utterance", 3)]
)
def test_bootstrap_kernel_equals_the_metrics_on_the_drawn_rows(unit, n):
    """n = 3: many resamples draw one row thrice (constant: nan / 0 cases)."""
    rng = np.random.default_rng(1)
    r = rng.random(n)
    p = np.round(0.5 * r + 0.2, 1)  # ties, and sometimes constant resamples
    speakers = np.array([f"s{i % 3}" for i in range(n)])
    units = speakers if unit == "speaker" else np.arange(n)
    counts = _resample_counts(units, 50, rng)
    if unit == "utterance":
        assert (counts.sum(1) == n).all()
    got = _weighted_metrics(p, r, counts)
    metrics = {
        "ccc": concordance_correlation,
        "pearson": pearson,
        "mae": mean_absolute_error,
    }
    for b in range(len(counts)):
        rows = np.repeat(np.arange(n), counts[b].astype(int))
        for key, metric in metrics.items():
            want = metric(p[rows], r[rows])
            if math.isnan(want):
                assert math.isnan(got[key][b]), (key, b)
            else:
                assert got[key][b] == pytest.approx(want, abs=1e-9), (key, b)


def _data(n=60, seed=0):
    rng = np.random.default_rng(seed)
    ref = rng.random((n, 3))
    pred = np.clip(ref + 0.15 * rng.standard_normal((n, 3)), 0, 1)
    genders = ["female" if i % 2 else "male" for i in range(n)]
    speakers = [f"spk{i % 6}" for i in range(n)]
    return pred, ref, genders, speakers


def test_report_overall_per_gender_per_speaker():
    pred, ref, genders, speakers = _data()
    ref[:5, 1] = np.nan  # valence unknown for five utterances
    report = dimension_report(
        pred, ref, genders=genders, speakers=speakers, bootstrap=200
    )
    json.dumps(report, allow_nan=False)  # plain, JSON-safe
    assert report["names"] == ["arousal", "valence", "dominance"]
    overall = report["overall"]
    assert overall["valence"]["n"] == 55 and overall["arousal"]["n"] == 60
    known = ~np.isnan(ref[:, 1])
    assert overall["valence"]["ccc"] == pytest.approx(
        lin_ccc(pred[known, 1], ref[known, 1])
    )
    for name in report["names"]:
        for key in ("ccc", "pearson", "mae"):
            low, high = overall[name][f"{key}_ci"]
            assert low <= overall[name][key] <= high
    female = np.array(genders) == "female"
    assert report["per_gender"]["female"]["arousal"]["ccc"] == pytest.approx(
        lin_ccc(pred[female, 0], ref[female, 0])
    )
    assert set(report["per_speaker"]) == {f"spk{i}" for i in range(6)}
    spk = np.array(speakers) == "spk2"
    assert report["per_speaker"]["spk2"]["dominance"]["mae"] == pytest.approx(
        np.abs(pred[spk, 2] - ref[spk, 2]).mean()
    )
    assert "ccc_ci" not in report["per_speaker"]["spk2"]["dominance"]
    ccc_by_speaker = [
        report["per_speaker"][s]["arousal"]["ccc"] for s in sorted(set(speakers))
    ]
    summary = report["speaker_summary"]["arousal"]
    assert summary["speakers"] == 6
    assert summary["ccc_mean"] == pytest.approx(np.mean(ccc_by_speaker))
    assert summary["ccc_std"] == pytest.approx(np.std(ccc_by_speaker, ddof=1))


def test_report_is_reproducible_and_speaker_intervals_are_wider():
    pred, ref, genders, speakers = _data(n=120, seed=3)
    # a speaker-level bias: utterances of a speaker share an offset
    offsets = np.array([int(s[-1]) for s in speakers]) * 0.05 - 0.12
    pred = np.clip(pred + offsets[:, None], 0, 1)
    kw = dict(genders=genders, speakers=speakers, bootstrap=300, seed=7)
    first = dimension_report(pred, ref, **kw)
    assert first == dimension_report(pred, ref, **kw)
    by_speaker = dimension_report(pred, ref, bootstrap_unit="speaker", **kw)
    assert by_speaker["bootstrap"]["unit"] == "speaker"
    width = [
        np.diff(rep["overall"]["arousal"]["mae_ci"])[0] for rep in (first, by_speaker)
    ]
    assert width[1] > width[0]


def test_degenerate_groups_are_none_not_errors():
    pred, ref, _, _ = _data(n=4)
    ref[:, 2] = np.nan  # no dominance at all
    pred[:, 0] = 0.5  # a constant arousal prediction
    report = dimension_report(
        pred,
        ref,
        genders=["female", "male", "male", "male"],
        speakers=["a", "b", "b", "b"],
        bootstrap=50,
    )
    json.dumps(report, allow_nan=False)
    assert report["overall"]["dominance"] == {
        "n": 0,
        "ccc": None,
        "pearson": None,
        "mae": None,
        "ccc_ci": None,
        "pearson_ci": None,
        "mae_ci": None,
    }
    assert report["overall"]["arousal"]["ccc"] == 0.0
    assert report["overall"]["arousal"]["pearson"] is None
    assert report["per_gender"]["female"]["valence"]["ccc_ci"] is None  # one row
    assert report["speaker_summary"]["dominance"]["ccc_mean"] is None


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(predictions=np.zeros((3, 2))), r"must both be \(N, 3\)"),
        (dict(predictions=np.full((3, 3), np.nan)), "not finite at rows"),
        (dict(references=np.full((3, 3), np.inf)), "infinite at rows"),
        (dict(genders=["female"]), "1 genders for 3 rows"),
        (dict(bootstrap_unit="corpus"), "bootstrap_unit='corpus'"),
        (dict(bootstrap_unit="speaker", speakers=None), "needs the speakers"),
        (dict(level=95), "level=95"),
    ],
)
def test_bad_input_is_one_line(kwargs, message):
    args = dict(
        predictions=np.zeros((3, 3)),
        references=np.zeros((3, 3)),
        genders=None,
        speakers=["a", "b", "c"],
    )
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        dimension_report(**args)


def test_accumulated_batches_equal_one_report():
    import torch

    from speechbrain_lstm_ser.evaluation.dimensions import DimensionMetrics

    pred, ref, genders, speakers = _data(n=30)
    ref[3, 0] = np.nan
    metrics = DimensionMetrics()
    for start in range(0, 30, 8):  # batches of 8, the last of 6, as tensors
        rows = slice(start, start + 8)
        metrics.append(
            [f"u{i}" for i in range(30)][rows],
            torch.tensor(pred[rows], dtype=torch.float32),
            torch.tensor(ref[rows]),
            genders=genders[rows],
            speakers=speakers[rows],
        )
    got = metrics.summarize(bootstrap=100)
    # float32 predictions: equal to the float64 report within float32 rounding
    want = dimension_report(
        pred, ref, genders=genders, speakers=speakers, bootstrap=100
    )
    assert got["overall"]["arousal"]["ccc"] == pytest.approx(
        want["overall"]["arousal"]["ccc"], abs=1e-6
    )
    assert got["overall"]["arousal"]["n"] == 29
    assert set(got["per_speaker"]) == set(speakers)
    assert metrics.ccc()["valence"] == pytest.approx(
        want["overall"]["valence"]["ccc"], abs=1e-6
    )
    rows = metrics.rows()
    assert len(rows) == 30 and rows[3]["arousal"] is None
    assert list(rows[0]) == [
        "ID", "arousal", "arousal_pred", "valence", "valence_pred", "dominance",
        "dominance_pred",
    ]  # fmt: skip
    metrics.clear()
    assert metrics.arrays()[0].shape == (0, 3) and math.isnan(metrics.ccc()["arousal"])


def test_accumulator_refuses_mismatched_batches():
    from speechbrain_lstm_ser.evaluation.dimensions import DimensionMetrics

    metrics = DimensionMetrics()
    with pytest.raises(ValueError, match=r"expected \(2, 3\)"):
        metrics.append(["a", "b"], np.zeros((2, 2)), np.zeros((2, 2)))
    metrics.append(["a"], np.zeros((1, 3)), np.zeros((1, 3)), speakers=["s"])
    with pytest.raises(ValueError, match="groups"):
        metrics.append(["b"], np.zeros((1, 3)), np.zeros((1, 3)))
    with pytest.raises(ValueError, match="speakers: 2 values for 1 ids"):
        metrics.append(["b"], np.zeros((1, 3)), np.zeros((1, 3)), speakers=["s", "t"])
