"""Waveform pre-processing steps and their chain, the same in training and inference.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from speechbrain_lstm_ser.nnet.encoders import absolute_lengths

__all__ = ["WaveformPipeline", "WaveformStep"]


class WaveformStep(nn.Module):
    """Base of the pre-processing steps: ``(wavs, lens) -> (wavs, lens)`` with a switch.

    A subclass implements :meth:`process`; ``enabled: False`` in a YAML turns
    the step into a pass-through without removing it from the pipeline.

    Arguments
    ---------
    enabled : bool
        When False the step passes waveforms through.

    Example
    -------
    >>> class Halve(WaveformStep):
    ...     def process(self, wavs, lens):
    ...         return wavs / 2, lens
    >>> Halve()(torch.ones(1, 4))[0]
    tensor([[0.5000, 0.5000, 0.5000, 0.5000]])
    >>> Halve(enabled=False)(torch.ones(1, 4))[0]
    tensor([[1., 1., 1., 1.]])
    """

    def __init__(self, enabled: bool = True):
        super().__init__()
        self.enabled = enabled

    def forward(
        self, wavs: torch.Tensor, lens: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Applies the step (when enabled) to a batch.

        Arguments
        ---------
        wavs : torch.Tensor
            ``(batch, time)`` waveforms.
        lens : torch.Tensor, optional
            ``(batch,)`` relative lengths.

        Returns
        -------
        wavs : torch.Tensor
            ``(batch, new_time)`` processed waveforms, padding kept at zero.
        lens : torch.Tensor
            Their relative lengths.
        """
        if not self.enabled:
            return wavs, lens
        return self.process(wavs, lens)

    def process(
        self, wavs: torch.Tensor, lens: torch.Tensor | None
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """The step itself, on an enabled step's batch (see :meth:`forward`)."""
        raise NotImplementedError

    @staticmethod
    def each_utterance(
        wavs: torch.Tensor,
        lens: torch.Tensor | None,
        step: Callable[[torch.Tensor], torch.Tensor],
    ) -> torch.Tensor:
        """``step`` on each row's real samples alone; the padding stays zero.

        Arguments
        ---------
        wavs : torch.Tensor
            ``(batch, time)`` waveforms.
        lens : torch.Tensor, optional
            ``(batch,)`` relative lengths in ``[0, 1]``.
        step : callable
            ``(samples,) -> (samples,)``, one utterance without padding.

        Returns
        -------
        torch.Tensor
            ``(batch, time)``.

        Example
        -------
        >>> wavs = torch.ones(2, 4)
        >>> WaveformStep.each_utterance(wavs, torch.tensor([1.0, 0.5]), lambda w: w * 3)
        tensor([[3., 3., 3., 3.],
                [3., 3., 0., 0.]])
        """
        counts = absolute_lengths(lens, wavs.shape[1], wavs.shape[0])
        out = torch.zeros_like(wavs)
        for i, count in enumerate(counts.tolist()):
            out[i, :count] = step(wavs[i, :count])
        return out


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
