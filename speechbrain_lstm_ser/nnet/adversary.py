"""Adversarial heads: a classifier that trains the encoder to defeat it.

:class:`GradientReversal` is the identity forward and multiplies the
gradient by ``-scale`` backward (Ganin and Lempitsky, "Unsupervised domain
adaptation by backpropagation", ICML 2015). :class:`SpeakerAdversary` puts a
speaker classifier behind it: the classifier learns to name the training
speaker of an utterance embedding, while the layers before it learn to
make that impossible, i.e. to drop what identifies the speaker and keep
what the task's own head needs. It exists only in training: the exported
model has no speaker head (it would name the training speakers).

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import torch
from torch import nn

from speechbrain_lstm_ser.nnet.heads import ClassificationHead

__all__ = ["GradientReversal", "SpeakerAdversary"]


class _ReverseGradient(torch.autograd.Function):
    """Identity forward; the gradient times ``-scale`` backward."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, scale: float) -> torch.Tensor:
        ctx.scale = scale
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        return -ctx.scale * grad, None


class GradientReversal(nn.Module):
    """The identity forward; backward, the gradient times ``-scale``.

    Arguments
    ---------
    scale : float
        How strongly the layers before it are pushed against the loss
        after it (>= 0; 0 cuts them off from that loss).

    Example
    -------
    >>> x = torch.ones(2, 3, requires_grad=True)
    >>> layer = GradientReversal(scale=0.5)
    >>> y = layer(x)
    >>> bool(torch.equal(y, x))
    True
    >>> y.sum().backward()
    >>> x.grad[0].tolist()
    [-0.5, -0.5, -0.5]
    """

    def __init__(self, scale: float = 1.0):
        super().__init__()
        if not scale >= 0:
            raise ValueError(f"the gradient reversal scale must be >= 0, got {scale}")
        self.scale = float(scale)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x`` unchanged; its gradient is reversed and scaled."""
        return _ReverseGradient.apply(x, self.scale)


class SpeakerAdversary(nn.Module):
    """A speaker classifier behind a gradient reversal, on utterance embeddings.

    The classifier is a
    :class:`~speechbrain_lstm_ser.nnet.heads.ClassificationHead` over the
    training speakers. Trained with the cross-entropy against their indices,
    it learns to identify them; the reversal hands the encoder the opposite
    gradient, times :attr:`scale` (which a schedule may change during
    training, see
    :class:`~speechbrain_lstm_ser.training.adversary.SpeakerAdversaryObjective`).

    Arguments
    ---------
    input_size : int
        Size of the utterance embedding (the task head's input).
    num_speakers : int
        Number of training speakers.
    hidden_size : int
        Units of each hidden layer.
    num_hidden_layers : int
        (Linear, BatchNorm1d, ReLU, Dropout) blocks before the output layer.
    dropout : float
        Dropout of the hidden blocks.
    scale : float
        The gradient reversal's scale at the start of training.

    Example
    -------
    >>> adversary = SpeakerAdversary(16, num_speakers=5, hidden_size=8)
    >>> embeddings = torch.rand(4, 1, 16, requires_grad=True)
    >>> log_probs = adversary(embeddings)
    >>> log_probs.shape
    torch.Size([4, 5])
    >>> loss = torch.nn.functional.nll_loss(log_probs, torch.tensor([0, 1, 2, 3]))
    >>> loss.backward()  # the embeddings get the gradient that raises the loss
    >>> adversary.scale = 0.0  # a schedule may change it during training
    >>> adversary.reversal.scale
    0.0
    """

    def __init__(
        self,
        input_size: int,
        num_speakers: int,
        hidden_size: int = 128,
        num_hidden_layers: int = 1,
        dropout: float = 0.1,
        scale: float = 1.0,
    ):
        super().__init__()
        if num_speakers < 2:
            raise ValueError(
                f"a speaker adversary needs at least 2 training speakers, got "
                f"{num_speakers}: set speaker_adversary_weight: 0"
            )
        self.reversal = GradientReversal(scale)
        self.classifier = ClassificationHead(
            input_size, num_speakers, hidden_size, num_hidden_layers, dropout
        )

    @property
    def scale(self) -> float:
        """The gradient reversal's current scale."""
        return self.reversal.scale

    @scale.setter
    def scale(self, value: float) -> None:
        self.reversal.scale = float(value)

    def forward(self, embeddings: torch.Tensor) -> torch.Tensor:
        """Speaker log-probabilities ``(batch, speakers)``.

        Arguments
        ---------
        embeddings : torch.Tensor
            ``(batch, 1, size)`` or ``(batch, size)`` utterance embeddings.

        Returns
        -------
        torch.Tensor
        """
        return self.classifier(
            self.reversal(embeddings.reshape(embeddings.shape[0], -1))
        )
