"""Calibration metrics and temperature scaling on constructed cases."""

import pytest
import torch

from speechbrain_lstm_ser.evaluation.calibration import (
    calibration_report,
    expected_calibration_error,
    fit_temperature,
    maximum_calibration_error,
    negative_log_likelihood,
    reliability_table,
    scale_log_probs,
)


def _two_class(confidences_and_accuracies, per_bin=100):
    """Rows predicting class 0 with confidence c, right a share `acc` of the time."""
    log_probs, targets = [], []
    for confidence, accuracy in confidences_and_accuracies:
        right = round(accuracy * per_bin)
        log_probs += [[confidence, 1 - confidence]] * per_bin
        targets += [0] * right + [1] * (per_bin - right)
    return torch.tensor(log_probs, dtype=torch.float64).log(), torch.tensor(targets)


def _synthetic(n=20000, classes=5, seed=0):
    """Logits and targets drawn from their softmax: calibrated at T = 1."""
    g = torch.Generator().manual_seed(seed)
    logits = 2.5 * torch.randn(n, classes, generator=g, dtype=torch.float64)
    targets = torch.multinomial(torch.softmax(logits, -1), 1, generator=g)[:, 0]
    return logits, targets


def test_a_perfectly_calibrated_model_has_no_calibration_error():
    log_probs, targets = _two_class(
        [(0.55, 0.55), (0.7, 0.7), (0.85, 0.85), (0.95, 0.95)]
    )
    assert expected_calibration_error(log_probs, targets) < 1e-9
    assert maximum_calibration_error(log_probs, targets) < 1e-9


def test_an_over_confident_model_has_a_large_calibration_error():
    # 99 % confident, 60 % right: a gap of 0.39 in the one bin used
    log_probs, targets = _two_class([(0.99, 0.6)])
    assert expected_calibration_error(log_probs, targets) == pytest.approx(0.39)
    assert maximum_calibration_error(log_probs, targets) == pytest.approx(0.39)
    # ECE weighs bins by their counts; MCE is the worst bin
    log_probs, targets = _two_class([(0.99, 0.6), (0.75, 0.75), (0.65, 0.65)])
    assert expected_calibration_error(log_probs, targets) == pytest.approx(0.13)
    assert maximum_calibration_error(log_probs, targets) == pytest.approx(0.39)


def test_reliability_bins_are_equal_width_and_right_closed():
    probs = torch.tensor([[0.5, 0.5], [0.95, 0.05], [1.0, 0.0], [0.1, 0.9]])
    log_probs = probs.double().log().clamp(min=-100)
    table = reliability_table(log_probs, torch.tensor([0, 0, 0, 0]), num_bins=4)
    assert [(b["lower"], b["upper"]) for b in table] == [
        (0.0, 0.25),
        (0.25, 0.5),
        (0.5, 0.75),
        (0.75, 1.0),
    ]
    assert [b["count"] for b in table] == [0, 1, 0, 3]  # 0.5 is in (0.25, 0.5]
    assert table[3]["accuracy"] == pytest.approx(2 / 3)
    assert table[3]["confidence"] == pytest.approx((0.95 + 1.0 + 0.9) / 3)
    assert table[0]["confidence"] is None and table[0]["accuracy"] is None


def test_nll_is_the_mean_negative_log_probability_of_the_truth():
    log_probs = torch.tensor([[0.2, 0.8], [0.6, 0.4]]).log()
    expected = -(torch.tensor(0.8).log() + torch.tensor(0.6).log()) / 2
    nll = negative_log_likelihood(log_probs, torch.tensor([1, 0]))
    assert nll == pytest.approx(float(expected), rel=1e-6)


@pytest.mark.parametrize("true_temperature", [0.5, 2.0, 3.0])
def test_fit_temperature_recovers_a_known_temperature(true_temperature):
    logits, targets = _synthetic()
    # over- (T > 1) or under-confident (T < 1) copies of calibrated logits
    fitted = fit_temperature(logits * true_temperature, targets)
    assert fitted == pytest.approx(true_temperature, rel=0.05)
    # the minimum over a fine grid is not lower
    scaled = logits * true_temperature
    nll = negative_log_likelihood(scale_log_probs(scaled, fitted), targets)
    for t in torch.linspace(0.3, 4.0, 25).tolist():
        assert (
            nll <= negative_log_likelihood(scale_log_probs(scaled, t), targets) + 1e-9
        )


def test_fit_temperature_is_scale_equivariant_and_shift_invariant():
    logits, targets = _synthetic(n=3000, seed=1)
    base = fit_temperature(logits, targets)
    assert fit_temperature(logits * 1.7, targets) == pytest.approx(1.7 * base, rel=1e-6)
    log_probs = torch.log_softmax(logits, dim=-1)  # a per-row shift
    assert fit_temperature(log_probs, targets) == pytest.approx(base, rel=1e-6)
    assert fit_temperature(logits, targets) == base  # deterministic


def test_fit_temperature_stays_in_its_range_for_useless_models():
    logits, targets = _synthetic(n=2000, seed=2)
    assert fit_temperature(-logits, targets) == 100.0  # worse than chance
    assert fit_temperature(logits * 1e-4, targets) == 0.01  # all but uniform


def test_temperature_scaling_calibrates_an_over_confident_model():
    logits, targets = _synthetic(n=10000, seed=3)
    over_confident = torch.log_softmax(logits * 3.0, dim=-1)
    before = expected_calibration_error(over_confident, targets)
    temperature = fit_temperature(over_confident, targets)
    after = expected_calibration_error(
        scale_log_probs(over_confident, temperature), targets
    )
    assert before > 0.1
    assert after < 0.02
    # scaling never changes the predicted class
    scaled = scale_log_probs(over_confident, temperature)
    assert torch.equal(scaled.argmax(-1), over_confident.argmax(-1))


def test_the_report_recovers_the_unscaled_model_from_the_scaled_one():
    logits, targets = _synthetic(n=2000, seed=4)
    unscaled = torch.log_softmax(logits * 2.0, dim=-1)
    scaled = scale_log_probs(unscaled, 2.0)
    report = calibration_report(scaled.float(), targets, temperature=2.0)
    assert report["num_utterances"] == 2000 and report["num_bins"] == 15
    assert report["before"]["ece"] == pytest.approx(
        expected_calibration_error(unscaled, targets), abs=1e-5
    )
    assert report["before"]["nll"] == pytest.approx(
        negative_log_likelihood(unscaled, targets), abs=1e-5
    )
    assert report["after"]["nll"] < report["before"]["nll"]
    assert sum(b["count"] for b in report["reliability"]) == 2000


@pytest.mark.parametrize(
    ("log_probs", "targets", "message"),
    [
        (torch.zeros(3, 2), torch.tensor([0, 1]), "2 targets for 3 rows"),
        (torch.zeros(2, 2), torch.tensor([0, 2]), r"class indices in \[0, 1\]"),
        (torch.zeros(4), torch.tensor([0]), r"\(batch, classes\)"),
        (
            torch.tensor([[0.0, -float("inf")]]),
            torch.tensor([0]),
            "not restricted to a subset",
        ),
    ],
)
def test_bad_inputs_get_one_clear_error(log_probs, targets, message):
    with pytest.raises(ValueError, match=message):
        expected_calibration_error(log_probs, targets)
    with pytest.raises(ValueError, match=message):
        fit_temperature(log_probs, targets)
