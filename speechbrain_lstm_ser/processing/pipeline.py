"""A chain of waveform pre-processing steps, run the same in training and inference.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["WaveformPipeline"]


class WaveformPipeline(nn.Module):
    """Applies ``(wavs, lens) -> (wavs, lens)`` steps in order.

    Declared once in the training YAML and copied into the inference YAML,
    it guarantees that a deployed model sees its inputs cleaned exactly as
    during training.

    Arguments
    ---------
    steps : list of torch.nn.Module
        E.g. a ``SpectralGateDenoiser`` then a ``SilenceTrimmer``.

    Example
    -------
    >>> from speechbrain_lstm_ser.processing.trim import SilenceTrimmer
    >>> pipe = WaveformPipeline([SilenceTrimmer(margin=0.0)])
    >>> wavs = torch.zeros(1, 16000)
    >>> wavs[0, 8000:12000] = 0.5
    >>> pipe(wavs, torch.ones(1))[0].shape
    torch.Size([1, 4560])
    """

    def __init__(self, steps: list[nn.Module] = ()):
        super().__init__()
        self.steps = nn.ModuleList(steps)

    def forward(
        self, wavs: torch.Tensor, lens: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Runs every step; returns the processed ``(wavs, lens)``."""
        if lens is None:
            lens = torch.ones(wavs.shape[0], device=wavs.device)
        for step in self.steps:
            wavs, lens = step(wavs, lens)
        return wavs, lens
