"""Leading and trailing silence removal by frame energy.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import torch
from torch import nn

from speechbrain_lstm_ser.nnet.encoders import absolute_lengths

__all__ = ["SilenceTrimmer", "speech_bounds"]


def speech_bounds(
    wav: torch.Tensor,
    sample_rate: int = 16000,
    threshold_db: float = -40.0,
    frame_ms: float = 25.0,
    hop_ms: float = 10.0,
) -> tuple[int, int]:
    """The first and last sample of the part of ``wav`` louder than a threshold.

    A frame counts as speech when its energy is within ``threshold_db`` of
    the loudest frame. An utterance with no such frame (digital silence) is
    returned whole.

    Arguments
    ---------
    wav : torch.Tensor
        ``(time,)`` waveform (no padding).
    sample_rate : int
        Its sample rate.
    threshold_db : float
        Energy threshold relative to the loudest frame (negative).
    frame_ms : float
        Analysis frame length.
    hop_ms : float
        Analysis hop.

    Returns
    -------
    start, stop : int
        Sample indices, ``wav[start:stop]`` being the speech.

    Example
    -------
    >>> wav = torch.cat([torch.zeros(8000), torch.ones(4000), torch.zeros(8000)])
    >>> speech_bounds(wav)
    (7680, 12240)
    """
    frame = max(1, int(sample_rate * frame_ms / 1000))
    hop = max(1, int(sample_rate * hop_ms / 1000))
    if wav.numel() < frame:
        return 0, wav.numel()
    energy = wav.unfold(0, frame, hop).pow(2).mean(dim=-1)
    peak = energy.max()
    if peak <= 0:
        return 0, wav.numel()
    loud = torch.nonzero(
        10 * torch.log10(energy / peak + 1e-12) > threshold_db
    ).squeeze(-1)
    start = int(loud[0]) * hop
    stop = min(int(loud[-1]) * hop + frame, wav.numel())
    return start, stop


class SilenceTrimmer(nn.Module):
    """Removes leading and trailing silence from a batch of waveforms.

    Arguments
    ---------
    enabled : bool
        When False the module passes waveforms through (a YAML switch).
    sample_rate : int
        Sample rate of the waveforms.
    threshold_db : float
        Energy threshold relative to each utterance's loudest frame.
    margin : float
        Seconds of context kept before and after the detected speech.

    Example
    -------
    >>> wavs = torch.zeros(2, 16000)
    >>> wavs[0, 4000:12000] = 1.0
    >>> wavs[1, 2000:6000] = 1.0
    >>> out, lens = SilenceTrimmer(margin=0.0)(wavs, torch.tensor([1.0, 0.5]))
    >>> out.shape, lens
    (torch.Size([2, 8560]), tensor([1.0000, 0.5327]))
    """

    def __init__(
        self,
        enabled: bool = True,
        sample_rate: int = 16000,
        threshold_db: float = -40.0,
        margin: float = 0.05,
    ):
        super().__init__()
        self.enabled = enabled
        self.sample_rate = sample_rate
        self.threshold_db = threshold_db
        self.margin = margin

    def forward(
        self, wavs: torch.Tensor, lens: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Trims a batch.

        Arguments
        ---------
        wavs : torch.Tensor
            ``(batch, time)`` waveforms.
        lens : torch.Tensor, optional
            ``(batch,)`` relative lengths.

        Returns
        -------
        wavs : torch.Tensor
            ``(batch, new_time)``, re-padded with zeros.
        lens : torch.Tensor
            New relative lengths.
        """
        if not self.enabled:
            return wavs, lens
        batch = wavs.shape[0]
        counts = absolute_lengths(lens, wavs.shape[1], batch).tolist()
        margin = int(self.margin * self.sample_rate)
        pieces = []
        for i in range(batch):
            wav = wavs[i, : counts[i]]
            start, stop = speech_bounds(wav, self.sample_rate, self.threshold_db)
            pieces.append(wav[max(0, start - margin) : min(len(wav), stop + margin)])
        longest = max(len(p) for p in pieces)
        out = wavs.new_zeros(batch, longest)
        for i, piece in enumerate(pieces):
            out[i, : len(piece)] = piece
        new_lens = torch.tensor([len(p) / longest for p in pieces], device=wavs.device)
        return out, new_lens
