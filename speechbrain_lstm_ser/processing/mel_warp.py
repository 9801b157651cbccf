r"""Vocal-tract length perturbation on log-mel features (training only).

A longer or shorter vocal tract moves every formant by about the same
factor; the pitch, the timing and the loudness (the prosody that defines
the emotion classes) stay. :class:`MelFrequencyWarp` draws one factor
``alpha`` per utterance and resamples the mel channels along frequency, as
if each channel's centre frequency ``f`` had been read at ``f / alpha``
(Jaitly and Hinton's VTLP, 2013, applied to the filterbank output rather
than inside it). Channels whose source lies above the top channel repeat
it; other channels (prosody, energy) pass unchanged.

It is a ``feature_augment`` (``(batch, frames, channels) -> same``), applied
by the recipes to the **normalised** features during training. The warp is
linear in the features, so warping the speaker- or utterance-relative
features equals warping the utterance and its reference alike: the speaker
reference stays consistent with the warped voice, as it would be for a new
speaker at test time.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["MelFrequencyWarp"]


def _to_mel(hz: torch.Tensor) -> torch.Tensor:
    """SpeechBrain's mel scale (``Filterbank._to_mel``)."""
    return 2595.0 * torch.log10(1.0 + hz / 700.0)


def _to_hz(mel: torch.Tensor) -> torch.Tensor:
    """The inverse of :func:`_to_mel`."""
    return 700.0 * (10.0 ** (mel / 2595.0) - 1.0)


class MelFrequencyWarp(nn.Module):
    """Warps the mel channels of each utterance by a random factor (VTLP).

    Arguments
    ---------
    n_mels : int
        The mel channels: the first ``n_mels`` features (the filterbank of
        ``Fbank`` or ``FbankProsody``); the others are left as they are.
    sample_rate : int
        Of the audio the filterbank was computed at.
    f_min : float
        The filterbank's lowest frequency (SpeechBrain's default: 0).
    f_max : float, optional
        Its highest (default: ``sample_rate / 2``, as SpeechBrain's).
    warp : tuple of float
        ``alpha`` is drawn uniformly in ``[low, high]`` per utterance
        (``alpha > 1``: formants move up, a shorter vocal tract).
    prob : float
        Probability that an utterance is warped at all.

    Example
    -------
    >>> _ = torch.manual_seed(0)
    >>> warp = MelFrequencyWarp(n_mels=40, sample_rate=16000)
    >>> feats = torch.randn(4, 100, 43)  # 40 mel channels, then 3 others
    >>> out = warp(feats)
    >>> out.shape, torch.equal(out[..., 40:], feats[..., 40:])
    (torch.Size([4, 100, 43]), True)
    >>> same = MelFrequencyWarp(40, 16000, warp=(1.0, 1.0))(feats)
    >>> torch.allclose(same, feats, atol=1e-5)
    True
    """

    def __init__(
        self,
        n_mels: int,
        sample_rate: int = 16000,
        f_min: float = 0.0,
        f_max: float | None = None,
        warp: tuple[float, float] = (0.9, 1.1),
        prob: float = 1.0,
    ):
        super().__init__()
        low, high = (float(w) for w in warp)
        if not 0.0 < low <= high:
            raise ValueError(
                f"warp must be (low, high) with 0 < low <= high, got {warp}"
            )
        if not 0.0 <= prob <= 1.0:
            raise ValueError(f"prob must be within [0, 1], got {prob}")
        self.n_mels = int(n_mels)
        self.warp = (low, high)
        self.prob = float(prob)
        f_max = sample_rate / 2.0 if f_max is None else float(f_max)
        mel = torch.linspace(
            _to_mel(torch.tensor(float(f_min))).item(),
            _to_mel(torch.tensor(f_max)).item(),
            self.n_mels + 2,
        )
        self.register_buffer("centres", _to_hz(mel[1:-1]), persistent=False)
        self.register_buffer("mel_edges", mel, persistent=False)

    def source_positions(self, alpha: torch.Tensor) -> torch.Tensor:
        """Fractional channel index each output channel reads, per factor.

        Arguments
        ---------
        alpha : torch.Tensor
            ``(batch,)`` warp factors.

        Returns
        -------
        torch.Tensor
            ``(batch, n_mels)`` in ``[0, n_mels - 1]``.
        """
        source_hz = self.centres.unsqueeze(0) / alpha.unsqueeze(1)
        step = self.mel_edges[1] - self.mel_edges[0]
        position = (_to_mel(source_hz) - self.mel_edges[0]) / step - 1.0
        return position.clamp(0.0, self.n_mels - 1.0)

    def forward(self, feats: torch.Tensor) -> torch.Tensor:
        """Warped features.

        Arguments
        ---------
        feats : torch.Tensor
            ``(batch, frames, channels)``, the mel channels first.

        Returns
        -------
        torch.Tensor
            The same shape; the channels after ``n_mels`` unchanged.
        """
        if feats.shape[-1] < self.n_mels:
            raise ValueError(
                f"MelFrequencyWarp: {feats.shape[-1]} feature channels, fewer "
                f"than n_mels={self.n_mels}; set n_mels to the filterbank's"
            )
        batch, frames = feats.shape[:2]
        low, high = self.warp
        alpha = low + (high - low) * torch.rand(batch, device=feats.device)
        kept = torch.rand(batch, device=feats.device) >= self.prob  # not warped
        position = self.source_positions(alpha)  # (batch, n_mels)
        below = position.floor().long().clamp(max=self.n_mels - 1)
        above = (below + 1).clamp(max=self.n_mels - 1)
        frac = (position - below.to(position.dtype)).to(feats.dtype).unsqueeze(1)
        mels = feats[..., : self.n_mels]
        lower = mels.gather(2, below.unsqueeze(1).expand(-1, frames, -1))
        upper = mels.gather(2, above.unsqueeze(1).expand(-1, frames, -1))
        warped = torch.where(
            kept.view(-1, 1, 1), mels, (1.0 - frac) * lower + frac * upper
        )
        return torch.cat([warped, feats[..., self.n_mels :]], dim=-1)

    def extra_repr(self) -> str:
        """The settings, for ``print(module)``."""
        return f"n_mels={self.n_mels}, warp={self.warp}, prob={self.prob}"
