"""Knowledge distillation: a small student learns from a trained teacher.

The student is trained on a mix of the usual hard-label loss and the
Kullback-Leibler divergence between the teacher's and its own class
distributions, both softened by a temperature (Hinton et al., 2015). The
teacher's soft labels carry what it learned about which emotions resemble
each other, which a small model struggles to find from hard labels alone.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["DistillationLoss"]


class DistillationLoss(nn.Module):
    """``alpha * T^2 * KL(teacher_T || student_T) + (1 - alpha) * hard``.

    Arguments
    ---------
    temperature : float
        Softens both distributions (``T`` > 1 reveals the teacher's
        preferences among the wrong classes). The ``T^2`` factor keeps the
        gradient scale independent of ``T``.
    alpha : float
        Weight of the distillation term, in ``[0, 1]``.

    Example
    -------
    >>> loss = DistillationLoss(temperature=2.0, alpha=0.5)
    >>> teacher = torch.log(torch.tensor([[[0.7, 0.2, 0.1]]]))
    >>> round(loss.soft(teacher, teacher).item(), 6)  # same as the teacher
    0.0
    >>> student = torch.log(torch.tensor([[[0.1, 0.2, 0.7]]]))
    >>> hard = torch.tensor(1.0)
    >>> float(loss(student, teacher, hard)) > float(loss(teacher, teacher, hard))
    True
    """

    def __init__(self, temperature: float = 2.0, alpha: float = 0.5):
        super().__init__()
        if temperature <= 0:
            raise ValueError(f"temperature must be > 0, got {temperature}")
        if not 0.0 <= alpha <= 1.0:
            raise ValueError(f"alpha must be in [0, 1], got {alpha}")
        self.temperature = temperature
        self.alpha = alpha

    def soft(
        self, student_log_probs: torch.Tensor, teacher_log_probs: torch.Tensor
    ) -> torch.Tensor:
        """The distillation term ``T^2 * KL(teacher_T || student_T)``.

        Arguments
        ---------
        student_log_probs : torch.Tensor
            ``(batch, 1, classes)`` or ``(batch, classes)`` log-probabilities.
        teacher_log_probs : torch.Tensor
            The same shape; no gradient flows to the teacher.

        Returns
        -------
        torch.Tensor
            A scalar, the mean over the batch.
        """
        classes = student_log_probs.shape[-1]
        # log_softmax(log p / T) = softmax(logits / T) in the log domain.
        student = torch.log_softmax(
            student_log_probs.reshape(-1, classes) / self.temperature, dim=-1
        )
        teacher = torch.log_softmax(
            teacher_log_probs.detach().reshape(-1, classes) / self.temperature,
            dim=-1,
        )
        kl = nn.functional.kl_div(
            student, teacher, reduction="batchmean", log_target=True
        )
        return kl * self.temperature**2

    def forward(
        self,
        student_log_probs: torch.Tensor,
        teacher_log_probs: torch.Tensor,
        hard_loss: torch.Tensor,
    ) -> torch.Tensor:
        """Mixes the distillation term with an already computed hard loss.

        Arguments
        ---------
        student_log_probs : torch.Tensor
            ``(batch, 1, classes)`` log-probabilities of the student.
        teacher_log_probs : torch.Tensor
            The teacher's, same shape.
        hard_loss : torch.Tensor
            The usual loss against the labels (e.g. the recipe's
            ``compute_cost``), a scalar.

        Returns
        -------
        torch.Tensor
            A scalar.
        """
        soft = self.soft(student_log_probs, teacher_log_probs)
        return self.alpha * soft + (1.0 - self.alpha) * hard_loss
