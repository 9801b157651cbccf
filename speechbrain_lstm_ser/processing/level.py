"""Recording-level faults that are not speech: DC offset and clipping.

A DC offset (a constant added to every sample, from a faulty sound card or
a microphone preamplifier) is energy at 0 Hz: it lifts the lowest mel band
and makes digital silence look loud to an energy threshold. :class:`RemoveDC`
subtracts each utterance's mean sample (over its real samples) before any
other step.

Clipping (samples stuck at full scale) cannot be undone; it adds harmonics
that look like a pressed, "angry" voice. :func:`clipped_share` measures it so
that inference can warn instead of classifying it silently.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import torch

from speechbrain_lstm_ser.nnet.encoders import length_mask
from speechbrain_lstm_ser.processing.pipeline import WaveformStep

__all__ = ["CLIPPING_WARN_SHARE", "RemoveDC", "clipped_share"]

#: The share of clipped samples above which inference warns (0.1 %).
CLIPPING_WARN_SHARE = 1e-3


class RemoveDC(WaveformStep):
    """Subtracts each waveform's mean over its real samples (padding stays 0).

    Arguments
    ---------
    enabled : bool
        ``False`` passes waveforms through.

    Example
    -------
    >>> wavs = torch.sin(torch.arange(16000) / 5.0).repeat(2, 1) + 0.3
    >>> out, lens = RemoveDC()(wavs, torch.tensor([1.0, 0.5]))
    >>> [abs(float(out[i, : int(16000 * l)].mean())) < 1e-6 for i, l in enumerate(lens)]
    [True, True]
    >>> float(out[1, 8000:].abs().max())  # padding untouched
    0.0
    """

    def process(
        self, wavs: torch.Tensor, lens: torch.Tensor | None
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """``(batch, time)`` waveforms without their DC offset, same lengths."""
        if wavs.device.type == "cpu":
            # Row by row over the real samples only: a third of the time of
            # :meth:`masked` on the CPU (where there is no host sync to avoid).
            return self.each_utterance(
                wavs, lens, lambda real: real - real.mean()
            ), lens
        return self.masked(wavs, lens), lens

    @staticmethod
    def masked(wavs: torch.Tensor, lens: torch.Tensor | None) -> torch.Tensor:
        """:meth:`process` on the whole batch at once, by a mask (any device)."""
        real = length_mask(lens, wavs.shape[1], wavs.shape[0], wavs.device)
        real = real.to(wavs.dtype)
        mean = (wavs * real).sum(dim=1, keepdim=True) / real.sum(dim=1, keepdim=True)
        return (wavs - mean) * real


def clipped_share(wav: torch.Tensor, threshold: float = 0.999) -> float:
    """The share of samples at or beyond ``threshold`` of full scale.

    Arguments
    ---------
    wav : torch.Tensor
        ``(time,)`` waveform in ``[-1, 1]`` (as read from the file, before any
        normalisation).
    threshold : float
        Full-scale fraction counted as clipped.

    Returns
    -------
    float
        In ``[0, 1]``; ``0`` for an empty waveform.

    Example
    -------
    >>> wav = torch.sin(torch.linspace(0, 100, 1000)) * 1.5
    >>> round(clipped_share(wav.clamp(-1, 1)), 2)
    0.54
    >>> clipped_share(torch.zeros(10))
    0.0
    """
    if wav.numel() == 0:
        return 0.0
    return float((wav.abs() >= threshold).float().mean())
