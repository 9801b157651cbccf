"""Length-masked pooling over time: a sequence of frames -> one vector.

All poolings take ``(batch, time, features)`` and relative lengths ``lens``
and return ``(batch, 1, out_features)`` (SpeechBrain's embedding shape), and
none of them looks at padded frames. Unlike
``speechbrain.nnet.pooling.StatisticsPooling``, nothing here adds noise at
evaluation time, and a one-frame utterance gets a zero (not NaN) standard
deviation. Choose one in YAML::

    pooling: !new:speechbrain_lstm_ser.nnet.pooling.AttentiveStatisticsPooling
        input_size: 256

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import torch
from torch import nn

from speechbrain_lstm_ser.nnet.encoders import absolute_lengths, length_mask

__all__ = [
    "AttentionPooling",
    "AttentiveStatisticsPooling",
    "LastStatePooling",
    "MeanPooling",
    "attention_network",
    "masked_mean_std",
]

_EPS = 1e-5


def attention_network(
    input_size: int, attention_size: int, output_size: int, bias: bool = True
) -> nn.Sequential:
    """The frame scorer of the attentive poolings: ``Linear -> tanh -> Linear``.

    Arguments
    ---------
    input_size : int
        Features per frame fed to it.
    attention_size : int
        Its hidden size.
    output_size : int
        Scores per frame (1, or one per feature).
    bias : bool
        Whether the last layer has a bias.

    Returns
    -------
    torch.nn.Sequential

    Example
    -------
    >>> attention_network(6, 4, 1, bias=False)(torch.rand(2, 5, 6)).shape
    torch.Size([2, 5, 1])
    """
    return nn.Sequential(
        nn.Linear(input_size, attention_size),
        nn.Tanh(),
        nn.Linear(attention_size, output_size, bias=bias),
    )


def masked_mean_std(
    x: torch.Tensor, weights: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Weighted mean and standard deviation over time.

    Arguments
    ---------
    x : torch.Tensor
        ``(batch, time, features)``.
    weights : torch.Tensor
        ``(batch, time)`` or ``(batch, time, features)``, zero on padding,
        summing to one over time.

    Returns
    -------
    mean, std : torch.Tensor
        ``(batch, features)`` each; ``std`` is 0 (never NaN) for one frame.

    Example
    -------
    >>> x = torch.tensor([[[1.0], [3.0], [100.0]]])
    >>> w = torch.tensor([[0.5, 0.5, 0.0]])
    >>> masked_mean_std(x, w)
    (tensor([[2.]]), tensor([[1.]]))
    """
    if weights.dim() == 2:
        weights = weights.unsqueeze(-1)
    mean = (weights * x).sum(dim=1)
    var = (weights * (x - mean.unsqueeze(1)).pow(2)).sum(dim=1)
    # sqrt has an infinite gradient at 0: take it where it is finite only.
    std = torch.where(
        var > _EPS, torch.sqrt(var.clamp(min=_EPS)), torch.zeros_like(var)
    )
    return mean, std


def _uniform_weights(mask: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """Equal weights over the frames of a ``(batch, time)`` length mask."""
    weights = mask.to(dtype)
    return weights / weights.sum(dim=1, keepdim=True)


class MeanPooling(nn.Module):
    """Mean (and optionally standard deviation) over the real frames.

    Arguments
    ---------
    input_size : int
        Features per frame.
    return_std : bool
        Also append the standard deviation (output size doubles).

    Example
    -------
    >>> pool = MeanPooling(input_size=2)
    >>> x = torch.tensor([[[1.0, 2.0], [3.0, 4.0], [50.0, 50.0]]])
    >>> pool(x, torch.tensor([2 / 3]))
    tensor([[[2., 3.]]])
    """

    def __init__(self, input_size: int, return_std: bool = False):
        super().__init__()
        self.return_std = return_std
        self.output_size = input_size * (2 if return_std else 1)

    def forward(
        self, x: torch.Tensor, lens: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Pools ``x`` ``(batch, time, features)`` to ``(batch, 1, output_size)``."""
        mask = length_mask(lens, x.shape[1], x.shape[0], x.device)
        mean, std = masked_mean_std(x, _uniform_weights(mask, x.dtype))
        out = torch.cat([mean, std], dim=-1) if self.return_std else mean
        return out.unsqueeze(1)


class LastStatePooling(nn.Module):
    """The LSTM's final state, read from its outputs.

    The last real frame of the forward direction and, for a bidirectional
    encoder, the first frame of the backward direction.

    Arguments
    ---------
    input_size : int
        Features per frame (both directions together if bidirectional).
    bidirectional : bool
        Whether the features are ``[forward, backward]`` halves.

    Example
    -------
    >>> pool = LastStatePooling(input_size=2, bidirectional=True)
    >>> x = torch.tensor([[[1.0, 10.0], [2.0, 20.0], [0.0, 0.0]]])
    >>> pool(x, torch.tensor([2 / 3]))
    tensor([[[ 2., 10.]]])
    """

    def __init__(self, input_size: int, bidirectional: bool = True):
        super().__init__()
        if bidirectional and input_size % 2:
            raise ValueError("a bidirectional input_size must be even")
        self.bidirectional = bidirectional
        self.output_size = input_size

    def forward(
        self, x: torch.Tensor, lens: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Pools ``x`` ``(batch, time, features)`` to ``(batch, 1, output_size)``."""
        last = absolute_lengths(lens, x.shape[1], x.shape[0]).to(x.device) - 1
        index = last.view(-1, 1, 1).expand(-1, 1, x.shape[-1])
        final = x.gather(1, index).squeeze(1)
        if self.bidirectional:
            half = x.shape[-1] // 2
            final = torch.cat([final[:, :half], x[:, 0, half:]], dim=-1)
        return final.unsqueeze(1)


class AttentionPooling(nn.Module):
    """Learned soft attention over time: a weighted mean of the frames.

    The score of a frame is ``v . tanh(W h_t)``; scores of padded frames are
    masked out before the softmax.

    Arguments
    ---------
    input_size : int
        Features per frame.
    attention_size : int
        Hidden size of the scoring network.

    Example
    -------
    >>> pool = AttentionPooling(input_size=8, attention_size=4)
    >>> x = torch.rand(2, 10, 8)
    >>> pool(x, torch.tensor([1.0, 0.5])).shape
    torch.Size([2, 1, 8])
    """

    def __init__(self, input_size: int, attention_size: int = 64):
        super().__init__()
        self.score = attention_network(input_size, attention_size, 1, bias=False)
        self.output_size = input_size

    def weights(
        self, x: torch.Tensor, lens: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Attention weights ``(batch, time)``: zero on padding, summing to one."""
        scores = self.score(x).squeeze(-1)
        mask = length_mask(lens, x.shape[1], x.shape[0], x.device)
        return torch.softmax(scores.masked_fill(~mask, float("-inf")), dim=1)

    def forward(
        self, x: torch.Tensor, lens: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Pools ``x`` ``(batch, time, features)`` to ``(batch, 1, output_size)``."""
        return (self.weights(x, lens).unsqueeze(-1) * x).sum(dim=1, keepdim=True)


class AttentiveStatisticsPooling(nn.Module):
    """Attentive statistics pooling: attention-weighted mean and std.

    As in ECAPA-TDNN (Desplanques et al., 2020), the attention network also
    sees the utterance-level mean and std, so a frame is scored in context.
    Output size is ``2 * input_size``.

    Arguments
    ---------
    input_size : int
        Features per frame.
    attention_size : int
        Hidden size of the attention network.
    global_context : bool
        Feed the utterance mean and std to the attention network.

    Example
    -------
    >>> pool = AttentiveStatisticsPooling(input_size=6, attention_size=4)
    >>> x = torch.rand(3, 12, 6)
    >>> out = pool(x, torch.tensor([1.0, 0.5, 1 / 12]))
    >>> out.shape, bool(torch.isfinite(out).all())
    (torch.Size([3, 1, 12]), True)
    """

    def __init__(
        self, input_size: int, attention_size: int = 128, global_context: bool = True
    ):
        super().__init__()
        self.global_context = global_context
        in_att = input_size * 3 if global_context else input_size
        self.attention = attention_network(in_att, attention_size, input_size)
        self.output_size = 2 * input_size

    def forward(
        self, x: torch.Tensor, lens: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Pools ``x`` ``(batch, time, features)`` to ``(batch, 1, 2 * features)``."""
        mask = length_mask(lens, x.shape[1], x.shape[0], x.device)
        first = self.attention[0]
        if self.global_context:
            mean, std = masked_mean_std(x, _uniform_weights(mask, x.dtype))
            if type(first) is nn.Linear:
                # The first layer applied to [frame, mean, std] without
                # building that (time, 3 * features) input: the utterance
                # part is computed once, not once per frame (a third of the
                # work, the same result).
                size = x.shape[-1]
                context = nn.functional.linear(
                    torch.cat([mean, std], dim=-1), first.weight[:, size:], first.bias
                )
                hidden = nn.functional.linear(x, first.weight[:, :size])
                scores = self.attention[1:](hidden + context.unsqueeze(1))
            else:  # e.g. a quantised layer
                time = x.shape[1]
                context = torch.cat([mean, std], dim=-1).unsqueeze(1)
                scores = self.attention(
                    torch.cat([x, context.expand(-1, time, -1)], dim=-1)
                )
        else:
            scores = self.attention(x)
        scores = scores.masked_fill(~mask.unsqueeze(-1), float("-inf"))
        weights = torch.softmax(scores, dim=1)
        mean, std = masked_mean_std(x, weights)
        return torch.cat([mean, std], dim=-1).unsqueeze(1)
