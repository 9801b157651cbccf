"""Analysis frames of waveforms, as the energy-based steps cut them.

:func:`~speechbrain_lstm_ser.processing.trim.speech_bounds`, the batched
trimmer and :class:`~speechbrain_lstm_ser.processing.vad.EnergyVAD` cut a
waveform into frames of ``frame_ms`` every ``hop_ms`` and threshold their
energy; the sizes and the energies come from here.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import torch

__all__ = ["frame_energy", "frame_samples"]


def frame_samples(sample_rate: int, frame_ms: float, hop_ms: float) -> tuple[int, int]:
    """Frame length and hop in samples (at least one each).

    Arguments
    ---------
    sample_rate : int
        Sample rate of the waveforms.
    frame_ms : float
        Frame length in milliseconds.
    hop_ms : float
        Hop in milliseconds.

    Returns
    -------
    frame, hop : int

    Example
    -------
    >>> frame_samples(16000, 25.0, 10.0)
    (400, 160)
    """
    frame = max(1, int(sample_rate * frame_ms / 1000))
    hop = max(1, int(sample_rate * hop_ms / 1000))
    return frame, hop


def frame_energy(wav: torch.Tensor, frame: int, hop: int) -> torch.Tensor:
    """Mean power of each whole frame of a ``(time,)`` waveform.

    Arguments
    ---------
    wav : torch.Tensor
        ``(time,)`` waveform, at least ``frame`` samples long.
    frame : int
        Frame length in samples.
    hop : int
        Hop in samples.

    Returns
    -------
    torch.Tensor
        ``(1 + (time - frame) // hop,)`` energies.

    Example
    -------
    >>> frame_energy(torch.tensor([1.0, -1.0, 2.0, 0.0, 0.0]), 2, 2)
    tensor([1., 2.])
    """
    return wav.unfold(0, frame, hop).pow(2).mean(dim=-1)
