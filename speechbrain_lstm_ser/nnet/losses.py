"""Training objectives.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

__all__ = ["ClassificationLoss", "balanced_class_weights"]


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
