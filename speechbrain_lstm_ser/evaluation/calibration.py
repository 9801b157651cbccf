"""Calibration of class probabilities: ECE, MCE, NLL, reliability, temperature.

A classifier is **calibrated** when its confidence means what it says: of
the utterances it labels with confidence 0.9, about 90 % are right. The
numbers here measure it and fix it, all from class log-probabilities
``(batch, classes)`` and class indices ``(batch,)``:

- :func:`reliability_table`: the utterances binned by confidence (the
  probability of the predicted class) into ``num_bins`` equal-width bins of
  ``[0, 1]``; per bin, the count, the mean confidence and the accuracy.
- :func:`expected_calibration_error` (**ECE**): the mean gap between
  accuracy and confidence over the bins, weighted by their counts (Guo et
  al., 2017, "On Calibration of Modern Neural Networks"); 0 for a
  calibrated model. :func:`maximum_calibration_error` (**MCE**): the
  largest gap of a non-empty bin.
- :func:`negative_log_likelihood` (**NLL**): the mean ``-log p(true class)``.
- :func:`fit_temperature`: **temperature scaling**, the one scalar ``T > 0``
  that minimises the NLL of ``log_softmax(log_probs / T)`` on held-out data
  (the validation split). ``T > 1`` softens an over-confident model;
  dividing by ``T`` never changes the predicted class, so accuracy is the
  same.
- :func:`calibration_report`: all of these, before and after scaling, for a
  ``test_report.json``.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import torch

__all__ = [
    "DEFAULT_NUM_BINS",
    "calibration_report",
    "expected_calibration_error",
    "fit_temperature",
    "maximum_calibration_error",
    "negative_log_likelihood",
    "reliability_table",
    "scale_log_probs",
]

#: Equal-width confidence bins of the ECE, as in Guo et al. (2017).
DEFAULT_NUM_BINS = 15
#: The range :func:`fit_temperature` searches (a model no better than chance
#: gets the largest temperature: near-uniform probabilities).
MIN_TEMPERATURE, MAX_TEMPERATURE = 0.01, 100.0


def _inputs(log_probs, targets=None) -> tuple[torch.Tensor, torch.Tensor | None]:
    """``(batch, classes)`` float64 log-probabilities and ``(batch,)`` indices."""
    log_probs = torch.as_tensor(log_probs).detach().cpu().to(torch.float64)
    if log_probs.dim() == 3 and log_probs.shape[1] == 1:  # (batch, 1, classes)
        log_probs = log_probs.squeeze(1)
    if log_probs.dim() != 2 or log_probs.shape[0] == 0:
        raise ValueError(
            "log_probs must be (batch, classes) log-probabilities of at least one "
            f"utterance, got shape {tuple(log_probs.shape)}"
        )
    if not torch.isfinite(log_probs).all():
        raise ValueError(
            "log_probs holds -inf or nan: give the model's log-probabilities over "
            "all its classes (not restricted to a subset)"
        )
    if targets is None:
        return log_probs, None
    targets = torch.as_tensor(targets).detach().cpu().reshape(-1).long()
    if len(targets) != len(log_probs):
        raise ValueError(
            f"{len(targets)} targets for {len(log_probs)} rows of log_probs"
        )
    if targets.min() < 0 or targets.max() >= log_probs.shape[1]:
        raise ValueError(
            f"targets must be class indices in [0, {log_probs.shape[1] - 1}]"
        )
    return log_probs, targets


def scale_log_probs(log_probs: torch.Tensor, temperature: float) -> torch.Tensor:
    """Temperature-scaled log-probabilities: ``log_softmax(log_probs / T)``.

    Log-probabilities and logits give the same result (a constant added to
    a row does not change its softmax).

    Arguments
    ---------
    log_probs : torch.Tensor
        ``(batch, classes)`` log-probabilities (or logits).
    temperature : float
        ``T > 0``.

    Returns
    -------
    torch.Tensor
        ``(batch, classes)``, the dtype of ``log_probs``.

    Example
    -------
    >>> log_probs = torch.log(torch.tensor([[0.8, 0.2]]))
    >>> scale_log_probs(log_probs, 2.0).exp()  # sqrt(0.8) : sqrt(0.2)
    tensor([[0.6667, 0.3333]])
    """
    if not temperature > 0:
        raise ValueError(f"the temperature must be > 0, got {temperature}")
    return torch.log_softmax(log_probs / temperature, dim=-1)


def reliability_table(
    log_probs, targets, num_bins: int = DEFAULT_NUM_BINS
) -> list[dict]:
    """Utterances binned by confidence: count, mean confidence, accuracy.

    Bin ``i`` holds the confidences in ``(i / num_bins, (i + 1) / num_bins]``
    (the first bin also holds 0). The confidence of an utterance is the
    probability of its predicted (most probable) class.

    Arguments
    ---------
    log_probs : torch.Tensor
        ``(batch, classes)`` log-probabilities.
    targets : torch.Tensor
        ``(batch,)`` true class indices.
    num_bins : int
        Number of equal-width bins of ``[0, 1]``.

    Returns
    -------
    list of dict
        One per bin, in order: ``lower``, ``upper``, ``count``, and
        ``confidence`` and ``accuracy`` (None for an empty bin).

    Example
    -------
    >>> log_probs = torch.log(torch.tensor([[0.95, 0.05], [0.9, 0.1], [0.3, 0.7]]))
    >>> table = reliability_table(log_probs, torch.tensor([0, 1, 1]), num_bins=2)
    >>> [(b["upper"], b["count"], b["accuracy"]) for b in table]
    [(0.5, 0, None), (1.0, 3, 0.6666666666666666)]
    """
    if num_bins < 1:
        raise ValueError(f"num_bins must be >= 1, got {num_bins}")
    log_probs, targets = _inputs(log_probs, targets)
    confidence, predicted = log_probs.exp().max(dim=-1)
    correct = (predicted == targets).to(torch.float64)
    # Bin of (lower, upper]: ceil(c * n) - 1, with 0 in the first bin.
    index = (torch.ceil(confidence * num_bins).long() - 1).clamp(0, num_bins - 1)
    table = []
    for i in range(num_bins):
        members = index == i
        count = int(members.sum())
        table.append(
            {
                "lower": i / num_bins,
                "upper": (i + 1) / num_bins,
                "count": count,
                "confidence": float(confidence[members].mean()) if count else None,
                "accuracy": float(correct[members].mean()) if count else None,
            }
        )
    return table


def _gaps(table: list[dict]) -> list[tuple[int, float]]:
    """(count, |accuracy - confidence|) of the non-empty bins."""
    return [
        (b["count"], abs(b["accuracy"] - b["confidence"])) for b in table if b["count"]
    ]


def expected_calibration_error(
    log_probs, targets, num_bins: int = DEFAULT_NUM_BINS
) -> float:
    """ECE: the count-weighted mean gap between accuracy and confidence per bin.

    ``ECE = sum over bins of (count / total) * |accuracy - confidence|``
    with the bins of :func:`reliability_table`; 0 when every bin is as
    accurate as it is confident, up to 1.

    Arguments
    ---------
    log_probs : torch.Tensor
        ``(batch, classes)`` log-probabilities.
    targets : torch.Tensor
        ``(batch,)`` true class indices.
    num_bins : int
        Number of equal-width confidence bins.

    Returns
    -------
    float

    Example
    -------
    >>> confident = torch.log(torch.tensor([[0.99, 0.01]] * 4))
    >>> round(expected_calibration_error(confident, torch.tensor([0, 0, 1, 1])), 4)
    0.49
    >>> expected_calibration_error(confident, torch.tensor([0, 0, 0, 0])) < 0.02
    True
    """
    gaps = _gaps(reliability_table(log_probs, targets, num_bins))
    total = sum(count for count, _ in gaps)
    return sum(count * gap for count, gap in gaps) / total


def maximum_calibration_error(
    log_probs, targets, num_bins: int = DEFAULT_NUM_BINS
) -> float:
    """MCE: the largest gap between accuracy and confidence of a non-empty bin.

    Arguments
    ---------
    log_probs : torch.Tensor
        ``(batch, classes)`` log-probabilities.
    targets : torch.Tensor
        ``(batch,)`` true class indices.
    num_bins : int
        Number of equal-width confidence bins.

    Returns
    -------
    float

    Example
    -------
    >>> log_probs = torch.log(torch.tensor([[0.95, 0.05], [0.6, 0.4]]))
    >>> round(maximum_calibration_error(log_probs, torch.tensor([1, 0])), 4)
    0.95
    """
    return max(gap for _, gap in _gaps(reliability_table(log_probs, targets, num_bins)))


def negative_log_likelihood(log_probs, targets) -> float:
    """The mean ``-log p(true class)`` (the cross-entropy, in nats).

    Arguments
    ---------
    log_probs : torch.Tensor
        ``(batch, classes)`` log-probabilities.
    targets : torch.Tensor
        ``(batch,)`` true class indices.

    Returns
    -------
    float

    Example
    -------
    >>> log_probs = torch.log(torch.tensor([[0.5, 0.5], [0.25, 0.75]]))
    >>> round(negative_log_likelihood(log_probs, torch.tensor([0, 1])), 4)
    0.4904
    """
    log_probs, targets = _inputs(log_probs, targets)
    return float(-log_probs.gather(1, targets[:, None]).mean())


def fit_temperature(
    log_probs, targets, tolerance: float = 1e-10, max_iterations: int = 100
) -> float:
    """The temperature ``T > 0`` that minimises the NLL of ``log_probs / T``.

    The NLL of ``log_softmax(beta * log_probs)`` is convex in ``beta = 1 / T``
    (a log-sum-exp of functions linear in ``beta``, minus a linear term), so
    its minimum is the one zero of its derivative
    ``mean(E_p[z] - z_true)``, which increases with ``beta``. Newton steps,
    kept inside a shrinking bracket (bisection when a step leaves it), find
    it in float64: the result is deterministic, and the same for logits or
    log-probabilities. ``T`` is searched in ``[0.01, 100]``: a model no
    better than chance gets 100 (near-uniform probabilities).

    Arguments
    ---------
    log_probs : torch.Tensor
        ``(batch, classes)`` log-probabilities (or logits) of held-out data,
        unscaled (``T = 1``).
    targets : torch.Tensor
        ``(batch,)`` true class indices.
    tolerance : float
        Stops when the derivative (in nats) is below this.
    max_iterations : int
        Newton / bisection steps at most.

    Returns
    -------
    float
        ``T``; ``log_softmax(log_probs / T)`` are the calibrated
        log-probabilities.

    Example
    -------
    >>> g = torch.Generator().manual_seed(0)
    >>> logits = 3 * torch.randn(2000, 4, generator=g)
    >>> targets = torch.multinomial(torch.softmax(logits, -1), 1, generator=g)[:, 0]
    >>> temperature = fit_temperature(logits * 2.5, targets)  # over-confident
    >>> abs(temperature - 2.5) < 0.15  # 2000 samples: within sampling noise
    True
    """
    log_probs, targets = _inputs(log_probs, targets)
    true = log_probs.gather(1, targets[:, None])[:, 0]

    def derivatives(beta: float) -> tuple[float, float]:
        probs = torch.softmax(beta * log_probs, dim=-1)
        mean = (probs * log_probs).sum(-1)
        variance = (probs * (log_probs - mean[:, None]) ** 2).sum(-1)
        return float((mean - true).mean()), float(variance.mean())

    low, high = 1.0 / MAX_TEMPERATURE, 1.0 / MIN_TEMPERATURE
    if derivatives(low)[0] >= 0:  # the NLL grows with beta from the start
        return MAX_TEMPERATURE
    if derivatives(high)[0] <= 0:  # still falling at the sharpest allowed
        return MIN_TEMPERATURE
    beta = 1.0
    for _ in range(max_iterations):
        slope, curvature = derivatives(beta)
        if abs(slope) < tolerance:
            break
        if slope > 0:
            high = beta
        else:
            low = beta
        step = beta - slope / curvature if curvature > 0 else None
        beta = step if step is not None and low < step < high else (low + high) / 2
    return 1.0 / beta


def calibration_report(
    log_probs,
    targets,
    temperature: float = 1.0,
    num_bins: int = DEFAULT_NUM_BINS,
) -> dict:
    """How calibrated a model is, before and after its temperature scaling.

    Arguments
    ---------
    log_probs : torch.Tensor
        ``(batch, classes)`` log-probabilities of the **scaled** model (what
        it outputs with its ``temperature``), e.g. on the test split.
    targets : torch.Tensor
        ``(batch,)`` true class indices.
    temperature : float
        The model's temperature (1.0: not scaled); the unscaled
        log-probabilities are ``log_softmax(log_probs * T)``.
    num_bins : int
        Equal-width confidence bins of the ECE, MCE and reliability table.

    Returns
    -------
    dict
        ``temperature``, ``num_bins``, ``num_utterances``, ``before`` and
        ``after`` (each ``ece``, ``mce``, ``nll``: unscaled and scaled), and
        ``reliability``: the :func:`reliability_table` of the scaled model.

    Example
    -------
    >>> log_probs = torch.log(torch.tensor([[0.7, 0.3], [0.1, 0.9]]))
    >>> report = calibration_report(log_probs, torch.tensor([0, 0]), 1.0, 5)
    >>> report["before"] == report["after"], round(report["after"]["ece"], 2)
    (True, 0.6)
    >>> [b["count"] for b in report["reliability"]]
    [0, 0, 0, 1, 1]
    """
    log_probs, targets = _inputs(log_probs, targets)
    unscaled = log_probs
    if temperature != 1.0:
        unscaled = scale_log_probs(log_probs, 1.0 / temperature)

    def scores(values: torch.Tensor) -> dict:
        return {
            "ece": expected_calibration_error(values, targets, num_bins),
            "mce": maximum_calibration_error(values, targets, num_bins),
            "nll": negative_log_likelihood(values, targets),
        }

    return {
        "temperature": float(temperature),
        "num_bins": num_bins,
        "num_utterances": len(targets),
        "before": scores(unscaled),
        "after": scores(log_probs),
        "reliability": reliability_table(log_probs, targets, num_bins),
    }
