r"""A spectral floor under the log-mels: quiet bins look the same in light noise.

Additive noise changes a log-mel filterbank least where the speech is loud
and most where it is quiet: a pause, or a high band of a vowel, 40 or 60 dB
under the loudest frame in a clean recording, rises to the noise level (some
20-30 dB under it at 20 dB SNR), while the loud bins hardly move. Mean
subtraction (per utterance or per speaker) removes the noise's average, not
these local jumps. :class:`SpectralFloor` adds, in the power domain, a fixed
floor ``floor_db`` under each utterance's loudest frame to every bin::

    x (dB) -> 10 log10(10^(x / 10) + 10^((L - floor_db) / 10) * shape_c)

with ``L`` the level of the utterance's loudest frame (the dB of its mean
power over the channels) and ``shape_c`` the floor's spectral shape (mean
1 over the channels). Bins well above the floor are unchanged; bins below
it become the floor, in clean and noisy recordings alike, so noise that lies
under the floor changes little. The floor is relative to the loudest frame,
so a gain changes nothing (the features shift by the gain, as without it),
and a padding frame (quieter than every real one) does not move ``L``.

A fixed distance under the loudest frame covers noise down to one SNR only:
25 dB under it covers noise at 20 dB SNR, not at 10, and a floor high enough
for 10 dB would erase quiet speech detail in clean recordings too. With
``noise_margin_db`` the floor also rises, channel by channel, to
``noise_margin_db`` over the utterance's own **noise level** in that channel
(its ``noise_quantile`` over the frames: the pauses)::

    floor_c = max(L - floor_db + shape_c,  N_c + noise_margin_db)

In a clean recording ``N_c`` lies far under ``L - floor_db`` and nothing
changes; in a noisy one the floor follows the noise up, whatever its SNR and
spectrum (white, pink, babble), and covers its frame-to-frame ripple. Both
terms are relative to the utterance, so the floor stays gain-invariant.

With ``shape`` from :func:`white_noise_shape` the floor has the shape white
noise takes in the filterbank (each channel's weight over the FFT bins): at
the same SNR, the floor is the level of white noise of a known SNR.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import math

import torch
from torch import nn

from speechbrain_lstm_ser.nnet.lengths import frame_quantile

__all__ = ["SpectralFloor", "mean_power_db", "white_noise_shape"]

#: Natural log per dB of power: ``10 log10(p) = x`` is ``ln(p) = x * _NEPER``.
_NEPER = math.log(10.0) / 10.0


def mean_power_db(feats: torch.Tensor) -> torch.Tensor:
    """Each frame's mean power over the channels, in dB.

    The level a floor is measured from: loud channels decide it, so empty
    channels (a band limit) hardly move it, unlike the mean of the dB values.

    Arguments
    ---------
    feats : torch.Tensor
        ``(..., channels)`` levels in dB.

    Returns
    -------
    torch.Tensor
        ``(...)``: ``10 log10(mean_c 10^(feats_c / 10))``.

    Example
    -------
    >>> mean_power_db(torch.tensor([[0.0, -100.0]])).round(decimals=2)  # half
    tensor([-3.0100])
    """
    return _mean_power(feats * _NEPER) / _NEPER


def _mean_power(nepers: torch.Tensor) -> torch.Tensor:
    """Each frame's mean power over the channels, levels and result in nepers."""
    return torch.logsumexp(nepers, dim=-1) - math.log(nepers.shape[-1])


def white_noise_shape(fbank: nn.Module, n_fft: int) -> torch.Tensor:
    """The relative power white noise has in each channel of a filterbank.

    A unit impulse at the centre of a frame has a flat power spectrum, so the
    filterbank's response to it is each channel's weight over the FFT bins:
    the channel's share of white noise (exactly, for any window, filter shape
    or normalisation).

    Arguments
    ---------
    fbank : torch.nn.Module
        ``wavs (1, time) -> (1, frames, channels)`` log-mels in dB, e.g.
        SpeechBrain's ``Fbank`` (centred frames).
    n_fft : int
        Its FFT size: the impulse is put ``n_fft`` samples into a
        ``2 * n_fft`` signal, so one frame holds it alone and whole.

    Returns
    -------
    torch.Tensor
        ``(channels,)`` positive weights with mean 1.

    Example
    -------
    >>> from speechbrain.lobes.features import Fbank
    >>> shape = white_noise_shape(Fbank(n_mels=40, n_fft=512), 512)
    >>> shape.shape, round(float(shape.mean()), 4)
    (torch.Size([40]), 1.0)
    >>> bool(shape[-1] > shape[0])  # wider mel bands gather more noise
    True
    """
    impulse = torch.zeros(1, 2 * n_fft)
    impulse[0, n_fft] = 1.0
    with torch.no_grad():
        feats = fbank(impulse)[0]
    # the frame holding the impulse: the loudest one
    frame = feats.mean(-1).argmax()
    power = (feats[frame].double() * _NEPER).exp()
    return (power / power.mean()).float()


class SpectralFloor(nn.Module):
    """Adds a floor ``floor_db`` under the loudest frame to dB features.

    Arguments
    ---------
    floor_db : float
        How far under the level of the utterance's loudest frame the floor
        lies (dB, positive): the smaller, the more of the quiet detail (and
        of the noise) is covered.
    shape : torch.Tensor, optional
        ``(channels,)`` relative power of the floor in each channel (e.g.
        :func:`white_noise_shape`); ``None``: the same in every channel.
    noise_margin_db : float, optional
        The floor rises in each channel to this many dB over the channel's
        noise level where that is higher (see the module docstring); ``None``
        (default): the fixed floor alone.
    noise_quantile : float
        The quantile of a channel's frames taken as its noise level (0.1:
        the quietest tenth).

    Example
    -------
    >>> floor = SpectralFloor(30.0)
    >>> feats = torch.tensor([[[0.0, 0.0], [-60.0, -60.0], [-10.0, -10.0]]])
    >>> floor(feats).round(decimals=2)  # the -60 dB frame rises to -30 dB
    tensor([[[  0.0000,   0.0000],
             [-30.0000, -30.0000],
             [ -9.9600,  -9.9600]]])
    >>> torch.allclose(floor(feats + 20.0), floor(feats) + 20.0)  # a gain
    True
    >>> noisy = torch.tensor([[[0.0], [-12.0], [-14.0], [-13.0]]])  # noise -12..-14 dB
    >>> SpectralFloor(40.0)(noisy).squeeze().round(decimals=1)  # far over the floor
    tensor([  0., -12., -14., -13.])
    >>> over_noise = SpectralFloor(40.0, noise_margin_db=6.0, noise_quantile=0.0)
    >>> over_noise(noisy).squeeze().round(decimals=1)  # floor: 6 dB over -14 dB
    tensor([ 0.6000, -6.5000, -7.0000, -6.8000])
    """

    def __init__(
        self,
        floor_db: float,
        shape: torch.Tensor | None = None,
        noise_margin_db: float | None = None,
        noise_quantile: float = 0.1,
    ):
        super().__init__()
        if not floor_db > 0:
            raise ValueError(
                f"SpectralFloor: floor_db is the floor's distance under the "
                f"loudest frame, a positive number of dB; got {floor_db}"
            )
        self.floor_db = float(floor_db)
        if noise_margin_db is not None and not noise_margin_db >= 0:
            raise ValueError(
                f"SpectralFloor: noise_margin_db is dB over the noise level, 0 or "
                f"more (e.g. 6) or None; got {noise_margin_db}"
            )
        if not 0 <= noise_quantile < 1:
            raise ValueError(
                f"SpectralFloor: noise_quantile must lie in [0, 1) (e.g. 0.1), "
                f"got {noise_quantile}"
            )
        self.noise_margin_db = noise_margin_db
        self.noise_quantile = noise_quantile
        if shape is not None and not bool((shape > 0).all()):
            raise ValueError(
                "SpectralFloor: the shape must be positive in every channel"
            )
        log_shape = None if shape is None else shape.double().log().float()
        self.register_buffer("log_shape", log_shape, persistent=False)

    def forward(
        self, feats: torch.Tensor, valid: torch.Tensor | None = None
    ) -> torch.Tensor:
        """The features with the floor added.

        Arguments
        ---------
        feats : torch.Tensor
            ``(batch, frames, channels)`` levels in dB (``10 log10`` of power).
        valid : torch.Tensor, optional
            ``(batch,)`` int64 count of each row's real frames, for the noise
            level (padding left out); ``None``: every frame is real.

        Returns
        -------
        torch.Tensor
            The same shape: ``10 log10(10^(feats / 10) + floor)``.
        """
        if feats.dim() != 3:
            raise ValueError(
                f"SpectralFloor expects (batch, frames, channels), got "
                f"{tuple(feats.shape)}"
            )
        nepers = feats * _NEPER
        # each frame's mean power over the channels, in nepers; the loudest
        loudest = _mean_power(nepers).amax(dim=1, keepdim=True)
        floor = self._shaped(loudest - self.floor_db * _NEPER)
        if self.noise_margin_db is not None:
            noise = frame_quantile(nepers, valid, self.noise_quantile)
            floor = torch.maximum(floor, noise + self.noise_margin_db * _NEPER)
        return self._sum(nepers, floor)

    def under(self, feats: torch.Tensor, loudest: torch.Tensor) -> torch.Tensor:
        """The features with the floor ``floor_db`` under a given level added.

        What :meth:`forward` does with the utterance's loudest frame, for a
        caller that measures the level itself (e.g. the loudest frame *so
        far*, for a causal floor).

        Arguments
        ---------
        feats : torch.Tensor
            ``(batch, frames, channels)`` levels in dB.
        loudest : torch.Tensor
            ``(batch, frames)`` or ``(batch, 1)``: the level (dB) the floor
            lies ``floor_db`` under, at each frame or for the whole utterance.

        Returns
        -------
        torch.Tensor
            The same shape as ``feats``.

        Example
        -------
        >>> floor = SpectralFloor(30.0)
        >>> feats = torch.tensor([[[0.0], [-60.0], [-60.0]]])
        >>> loudest = torch.tensor([[0.0, 0.0, -20.0]])  # the last frame's: -20 dB
        >>> floor.under(feats, loudest).squeeze(-1).round(decimals=1)
        tensor([[  0.0000, -30.0000, -49.6000]])
        """
        floor = loudest * _NEPER - self.floor_db * _NEPER
        return self._sum(feats * _NEPER, self._shaped(floor))

    def _shaped(self, level: torch.Tensor) -> torch.Tensor:
        """A level (nepers, ``(batch, frames or 1)``) as a floor in each channel."""
        floor = level.unsqueeze(-1)
        return floor if self.log_shape is None else floor + self.log_shape

    @staticmethod
    def _sum(nepers: torch.Tensor, floor: torch.Tensor) -> torch.Tensor:
        """``log(e^nepers + e^floor)`` in dB, ``floor`` broadcast over frames."""
        # log(e^a + e^b), stable: max + log1p(e^-|a - b|)
        high = torch.maximum(nepers, floor)
        low = torch.minimum(nepers, floor)
        return (high + torch.log1p(torch.exp(low - high))) / _NEPER
