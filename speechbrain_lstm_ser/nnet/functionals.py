r"""Utterance functionals: masked statistics of chosen feature channels.

A classic speech emotion system describes an utterance by *functionals* of
its prosody contours (eGeMAPS: the mean, spread, range and rate of change
of pitch and loudness), z-scored per speaker. :class:`UtteranceFunctionals`
computes such functionals from the task model's own normalised features,
which are already relative to the speaker (``ReferenceNormalization``), so
they can go to the head beside the pooled encoder output::

    feats (batch, frames, features), lens (batch,)
        -> channels c (default: log-F0, voicing, log-energy of FbankProsody)
        -> per channel: mean, std, robust range, mean |delta|
        -> (batch, 1, 4 * len(channels))

The statistics carry no parameters: what they describe cannot be fitted to
one training synthesizer's spectra the way an encoder can, which is the
point of giving them to the head (issue 23).

**Unvoiced frames.** ``FbankProsody`` gives unvoiced frames a log-F0
interpolated between the neighbouring voiced frames (see
:mod:`speechbrain_lstm_ser.nnet.features`), which would flatten the range
and the deltas of the pitch contour if they counted as much as measured
frames. The statistics of the ``voiced_channels`` (log-F0) are therefore
**weighted by the voicing channel**. That channel has been normalised by
then (relative to a reference, then to global statistics): a positive
affine map ``a * p + b`` of the voicing probability ``p``, with ``b``
depending on the utterance or speaker. Rescaling it to ``[0, 1]`` between
its minimum and maximum over the utterance's real frames undoes any such
map, so the weight is ``(p - min p) / (max p - min p)``: the most voiced
frame counts fully, the least voiced not at all. An utterance whose voicing
is constant (e.g. one frame) weights all its frames equally. Other
channels (voicing, energy) weight every real frame equally.

The statistics, per channel, with those weights ``w`` (zero on padding):

- ``mean``, ``std``: the weighted mean and standard deviation (0 for one
  frame, never NaN; unlike SpeechBrain's ``StatisticsPooling``);
- ``range``: the weighted ``quantiles[1]`` minus the weighted
  ``quantiles[0]`` quantile (nearest rank: the smallest value whose
  cumulative weight reaches the share), a range robust to outliers;
- ``delta``: the mean absolute frame-to-frame difference, each pair of
  neighbouring frames weighted by the product of their weights (0 for one
  frame): a cue of rate and dynamics.

Padding never counts: appending padded frames does not change the output
(to float rounding).

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from speechbrain_lstm_ser.nnet.encoders import length_mask
from speechbrain_lstm_ser.nnet.pooling import masked_mean_std

__all__ = ["STATISTICS", "UtteranceFunctionals", "functionals_size"]

#: The statistics of every channel, in output order (statistic-major).
STATISTICS = ("mean", "std", "range", "delta")

_EPS = 1e-6


def functionals_size(enabled: bool, channels: Sequence[int]) -> int:
    """The output size of :class:`UtteranceFunctionals`, or 0 when it is off.

    What a YAML adds to the heads' ``input_size``.

    Arguments
    ---------
    enabled : bool
        Whether the model has the functionals.
    channels : sequence of int
        Their channels.

    Returns
    -------
    int

    Example
    -------
    >>> functionals_size(True, [-3, -2, -1]), functionals_size(False, [-3, -2, -1])
    (12, 0)
    """
    return len(STATISTICS) * len(channels) if enabled else 0


class UtteranceFunctionals(nn.Module):
    """Masked utterance-level statistics of chosen input channels.

    Mean, standard deviation, robust range and mean absolute delta of each
    channel (:data:`STATISTICS`), the ``voiced_channels`` weighted by the
    voicing channel rescaled per utterance (see the module's description).
    No parameters; deterministic.

    Arguments
    ---------
    channels : sequence of int
        Indices of the feature channels to describe (negative: from the
        last). Default: the last three, ``FbankProsody``'s log-F0, voicing
        and log-energy.
    voicing_channel : int or None
        Index of the voicing channel whose per-utterance rescaling weights
        the ``voiced_channels``; ``None``: every real frame counts equally.
    voiced_channels : sequence of int
        Those of ``channels`` weighted by voicing (default: log-F0).
    quantiles : sequence of float
        The lower and upper quantile of the robust range, ``0 <= lo < hi <= 1``.

    Example
    -------
    >>> functionals = UtteranceFunctionals()
    >>> feats, lens = torch.randn(2, 50, 83), torch.tensor([1.0, 0.5])
    >>> out = functionals(feats, lens)
    >>> out.shape, functionals.output_size
    (torch.Size([2, 1, 12]), 12)
    >>> functionals.names[:4]
    ['mean[-3]', 'mean[-2]', 'mean[-1]', 'std[-3]']

    Padding does not count, and a one-frame utterance gives finite values:

    >>> padded = torch.cat([feats[1:, :25], torch.randn(1, 25, 83)], dim=1)
    >>> alone = functionals(padded, torch.tensor([0.5]))
    >>> bool(torch.allclose(alone, out[1:], atol=1e-6))
    True
    >>> bool(functionals(feats[:, :1], torch.ones(2)).isfinite().all())
    True
    """

    def __init__(
        self,
        channels: Sequence[int] = (-3, -2, -1),
        voicing_channel: int | None = -2,
        voiced_channels: Sequence[int] = (-3,),
        quantiles: Sequence[float] = (0.1, 0.9),
    ):
        super().__init__()
        self.channels = [int(c) for c in channels]
        if not self.channels or len(set(self.channels)) != len(self.channels):
            raise ValueError(
                f"functionals channels: {list(channels)} must be distinct indices, "
                "at least one"
            )
        self.voiced_channels = [int(c) for c in voiced_channels]
        if voicing_channel is None:
            self.voiced_channels = []
        stray = [c for c in self.voiced_channels if c not in self.channels]
        if stray or voicing_channel in self.voiced_channels:
            raise ValueError(
                f"functionals voiced_channels: {list(voiced_channels)} must be among "
                f"channels {self.channels}, without the voicing channel "
                f"{voicing_channel}"
            )
        self.voicing_channel = voicing_channel
        low, high = (float(q) for q in quantiles)
        if not 0.0 <= low < high <= 1.0:
            raise ValueError(
                f"functionals quantiles: {list(quantiles)} must be two shares "
                "0 <= low < high <= 1"
            )
        self.quantiles = (low, high)

    @property
    def output_size(self) -> int:
        """Values per utterance: ``len(STATISTICS) * len(channels)``."""
        return functionals_size(True, self.channels)

    @property
    def names(self) -> list[str]:
        """Output names in order, ``statistic[channel]``, e.g. ``mean[-3]``."""
        return [f"{s}[{c}]" for s in STATISTICS for c in self.channels]

    def extra_repr(self) -> str:
        """The settings, as ``print(model)`` shows them."""
        return (
            f"channels={self.channels}, voicing_channel={self.voicing_channel}, "
            f"voiced_channels={self.voiced_channels}, quantiles={self.quantiles}"
        )

    def forward(self, feats: torch.Tensor, lens: torch.Tensor | None) -> torch.Tensor:
        """The functionals of each utterance.

        Arguments
        ---------
        feats : torch.Tensor
            ``(batch, frames, features)`` normalised features.
        lens : torch.Tensor or None
            ``(batch,)`` relative lengths in ``[0, 1]``; ``None``: all frames.

        Returns
        -------
        torch.Tensor
            ``(batch, 1, output_size)``: :data:`STATISTICS`, each over the
            channels in order.
        """
        batch, frames, size = feats.shape
        bad = [c for c in self.channels if not -size <= c < size]
        if bad:
            raise ValueError(
                f"functionals channels {bad} do not exist in features of {size} "
                "channels (set the functionals' channels in the YAML)"
            )
        mask = length_mask(lens, frames, batch, feats.device)
        weights = self._weights(feats, mask)
        x = torch.stack([feats[..., c] for c in self.channels], dim=-1)
        x = torch.where(weights > 0, x, torch.zeros_like(x))
        total = weights.sum(dim=1, keepdim=True).clamp(min=_EPS)
        mean, std = masked_mean_std(x, weights / total)
        low, high = self._quantiles(x, weights)
        pairs = weights[:, 1:] * weights[:, :-1]
        jumps = (x[:, 1:] - x[:, :-1]).abs()
        delta = (pairs * jumps).sum(dim=1) / pairs.sum(dim=1).clamp(min=_EPS)
        return torch.cat([mean, std, high - low, delta], dim=-1).unsqueeze(1)

    def _weights(self, feats: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """``(batch, frames, channels)`` frame weights: voicing or the mask."""
        real = mask.to(feats.dtype)
        if not self.voiced_channels:
            return real.unsqueeze(-1).expand(-1, -1, len(self.channels))
        voiced = self._voicing(feats[..., self.voicing_channel], mask) * real
        return torch.stack(
            [voiced if c in self.voiced_channels else real for c in self.channels],
            dim=-1,
        )

    @staticmethod
    def _voicing(voicing: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """The ``(batch, frames)`` voicing rescaled to ``[0, 1]`` per utterance."""
        big = torch.finfo(voicing.dtype).max
        low = torch.where(mask, voicing, torch.full_like(voicing, big))
        high = torch.where(mask, voicing, torch.full_like(voicing, -big))
        low = low.amin(dim=1, keepdim=True)
        span = high.amax(dim=1, keepdim=True) - low
        scaled = ((voicing - low) / span.clamp(min=_EPS)).clamp(0.0, 1.0)
        return torch.where(span > _EPS, scaled, torch.ones_like(scaled)).detach()

    def _quantiles(
        self, x: torch.Tensor, weights: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Weighted nearest-rank quantiles ``(batch, channels)`` of ``x``."""
        big = torch.finfo(x.dtype).max
        keys = torch.where(weights > 0, x, torch.full_like(x, big))
        ordered, order = torch.sort(keys, dim=1)
        cumulative = torch.cumsum(torch.gather(weights, 1, order), dim=1)
        total = cumulative[:, -1:]
        last = x.shape[1] - 1
        values = []
        for share in self.quantiles:
            rank = (cumulative < share * total).sum(dim=1, keepdim=True)
            rank = rank.clamp(max=last)
            values.append(torch.gather(ordered, 1, rank).squeeze(1))
        return values[0], values[1]
