"""Training objectives.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

__all__ = [
    "ClassificationLoss",
    "ConcordanceLoss",
    "balanced_class_weights",
    "batch_concordance",
]


def balanced_class_weights(counts: Sequence[int]) -> list[float]:
    """Class weights inversely proportional to class frequency.

    ``total / (num_classes * count)``, as scikit-learn's "balanced": every
    class then weighs as much in the loss as if the classes were balanced.

    Arguments
    ---------
    counts : sequence of int
        Training examples per class, in class-index order.

    Returns
    -------
    list of float

    Example
    -------
    >>> balanced_class_weights([30, 10])
    [0.6666666666666666, 2.0]
    """
    if not counts or min(counts) <= 0:
        raise ValueError(
            f"every class needs training examples, got counts {list(counts)}"
        )
    total, n = sum(counts), len(counts)
    return [total / (n * c) for c in counts]


class ClassificationLoss(nn.Module):
    """Cross-entropy (negative log-likelihood) on log-probabilities.

    Arguments
    ---------
    class_weights : sequence of float, optional
        Per-class weights (e.g. :func:`balanced_class_weights`) for
        imbalanced corpora; the loss is the weighted mean.
    label_smoothing : float
        Mass moved from the target to a uniform distribution, in [0, 1).

    Example
    -------
    >>> loss = ClassificationLoss()
    >>> log_probs = torch.log(torch.tensor([[[0.5, 0.5]], [[0.9, 0.1]]]))
    >>> round(loss(log_probs, torch.tensor([[0], [0]])).item(), 4)
    0.3993
    """

    def __init__(
        self, class_weights: Sequence[float] | None = None, label_smoothing: float = 0.0
    ):
        super().__init__()
        if not 0.0 <= label_smoothing < 1.0:
            raise ValueError(
                f"label_smoothing must be in [0, 1), got {label_smoothing}"
            )
        weights = (
            None
            if class_weights is None
            else torch.tensor(list(class_weights), dtype=torch.float)
        )
        self.register_buffer("class_weights", weights, persistent=False)
        self.label_smoothing = label_smoothing

    def forward(
        self,
        log_probs: torch.Tensor,
        targets: torch.Tensor,
        length: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """The mean loss of a batch.

        Arguments
        ---------
        log_probs : torch.Tensor
            ``(batch, 1, classes)`` or ``(batch, classes)`` log-probabilities.
        targets : torch.Tensor
            ``(batch, 1)`` or ``(batch,)`` class indices.
        length : torch.Tensor, optional
            Ignored (one label per utterance); accepted so that the loss
            drops into SpeechBrain recipes that call
            ``compute_cost(predictions, targets, lens)``.

        Returns
        -------
        torch.Tensor
            A scalar.
        """
        log_probs = log_probs.reshape(-1, log_probs.shape[-1])
        targets = targets.reshape(-1).long()
        if (
            self.class_weights is not None
            and len(self.class_weights) != log_probs.shape[-1]
        ):
            raise ValueError(
                f"{len(self.class_weights)} class weights for "
                f"{log_probs.shape[-1]} classes"
            )
        if (
            self.class_weights is not None
            and self.class_weights.device != log_probs.device
        ):
            # once: the loss is not among a Brain's modules, moved to its device
            self.class_weights = self.class_weights.to(log_probs.device)
        # cross_entropy re-applies log_softmax: a no-op on log-probabilities.
        return nn.functional.cross_entropy(
            log_probs,
            targets,
            weight=self.class_weights,
            label_smoothing=self.label_smoothing,
        )


def batch_concordance(
    predictions: torch.Tensor, targets: torch.Tensor, eps: float = 1e-8
) -> tuple[torch.Tensor, torch.Tensor]:
    """Lin's concordance correlation coefficient of each column, over the batch.

    ``CCC = 2 cov(p, t) / (var(p) + var(t) + (mean(p) - mean(t)) ** 2)`` with
    population moments (divided by ``n``), computed per column on the rows
    whose target is known (not ``nan``). ``eps`` in the denominator keeps it
    finite, with a gradient, for a column of one known row or of constant
    values (CCC 0 there).

    Arguments
    ---------
    predictions : torch.Tensor
        ``(batch, dims)``.
    targets : torch.Tensor
        ``(batch, dims)``; ``nan`` = unknown.
    eps : float
        Added to the denominator.

    Returns
    -------
    ccc : torch.Tensor
        ``(dims,)``; 0 for a column without known targets.
    known : torch.Tensor
        ``(dims,)`` the number of known targets of each column.

    Example
    -------
    >>> p = torch.tensor([[0.0, 0.2], [1.0, 0.4], [2.0, 0.9]])
    >>> t = torch.tensor([[0.0, 0.1], [1.0, float("nan")], [1.0, 0.8]])
    >>> ccc, known = batch_concordance(p, t)
    >>> [round(x, 4) for x in ccc.tolist()], known.tolist()
    ([0.6667, 0.9608], [3.0, 2.0])
    """
    if predictions.shape != targets.shape or predictions.dim() != 2:
        raise ValueError(
            f"predictions {tuple(predictions.shape)} and targets "
            f"{tuple(targets.shape)} must both be (batch, dims)"
        )
    mask = ~torch.isnan(targets)
    weights = mask.to(predictions.dtype)
    count = weights.sum(0)
    safe = count.clamp(min=1)
    t = torch.where(mask, targets, torch.zeros_like(targets))
    p_mean = (predictions * weights).sum(0) / safe
    t_mean = (t * weights).sum(0) / safe
    p_dev, t_dev = (predictions - p_mean) * weights, (t - t_mean) * weights
    p_var, t_var = (p_dev**2).sum(0) / safe, (t_dev**2).sum(0) / safe
    cov = (p_dev * t_dev).sum(0) / safe
    ccc = 2 * cov / (p_var + t_var + (p_mean - t_mean) ** 2 + eps)
    return torch.where(count > 0, ccc, torch.zeros_like(ccc)), count


class ConcordanceLoss(nn.Module):
    """1 - CCC per dimension over the batch, averaged over the dimensions.

    The loss of dimensional emotion (arousal, valence, dominance): the
    concordance correlation coefficient that the MSP-Podcast challenges
    score, computed per dimension on the batch (:func:`batch_concordance`).
    Utterances whose reference of a dimension is unknown (``nan``) are left
    out of that dimension; a dimension with no known reference in the batch
    is left out of the average (a batch with none at all gives 0, with a
    gradient of zeros).

    Example
    -------
    >>> loss = ConcordanceLoss()
    >>> t = torch.tensor([[0.1, 0.2, 0.3], [0.5, 0.6, float("nan")],
    ...                   [0.9, 0.1, 0.7]])
    >>> round(loss(t.nan_to_num(0.5), t).item(), 4)  # perfect but for nan
    0.0
    >>> round(loss(torch.full((3, 3), 0.5), t).item(), 4)  # constant: CCC 0
    1.0
    """

    def forward(
        self,
        predictions: torch.Tensor,
        targets: torch.Tensor,
        length: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """The loss of a batch.

        Arguments
        ---------
        predictions : torch.Tensor
            ``(batch, dims)`` or ``(batch, 1, dims)``.
        targets : torch.Tensor
            The same shape; ``nan`` = unknown.
        length : torch.Tensor, optional
            Ignored (one target per utterance), as for
            :class:`ClassificationLoss`.

        Returns
        -------
        torch.Tensor
            A scalar in ``[0, 2]``.
        """
        dims = predictions.shape[-1]
        ccc, known = batch_concordance(
            predictions.reshape(-1, dims), targets.reshape(-1, dims).to(predictions)
        )
        used = known > 0
        if not used.any():
            return predictions.sum() * 0.0
        return (1 - ccc[used]).mean()
