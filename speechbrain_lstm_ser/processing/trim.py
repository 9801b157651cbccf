"""Leading and trailing silence removal by frame energy.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import math

import torch

from speechbrain_lstm_ser.nnet.encoders import absolute_lengths
from speechbrain_lstm_ser.processing.framing import frame_energy, frame_samples
from speechbrain_lstm_ser.processing.pipeline import WaveformStep

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
    frame, hop = frame_samples(sample_rate, frame_ms, hop_ms)
    if wav.numel() < frame:
        return 0, wav.numel()
    energy = frame_energy(wav, frame, hop)
    peak = energy.max()
    if peak <= 0:
        return 0, wav.numel()
    loud = torch.nonzero(
        10 * torch.log10(energy / peak + 1e-12) > threshold_db
    ).squeeze(-1)
    start = int(loud[0]) * hop
    stop = min(int(loud[-1]) * hop + frame, wav.numel())
    return start, stop


class SilenceTrimmer(WaveformStep):
    """Removes leading and trailing silence from a batch of waveforms.

    Each utterance keeps what :func:`speech_bounds` finds in it (plus the
    margins); the bounds of the whole batch are computed at once, on its
    device, with one host-device synchronisation per batch.

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
        super().__init__(enabled)
        self.sample_rate = sample_rate
        self.threshold_db = threshold_db
        self.margin = margin

    def cuts(
        self, wavs: torch.Tensor, lens: torch.Tensor | None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Where each utterance is cut: its first sample and its length kept.

        The speech :func:`speech_bounds` finds, widened by the margins and
        kept inside the utterance's own length.

        Arguments
        ---------
        wavs : torch.Tensor
            ``(batch, time)`` padded waveforms.
        lens : torch.Tensor, optional
            ``(batch,)`` relative lengths in ``[0, 1]``.

        Returns
        -------
        start, sizes : torch.Tensor
            ``(batch,)`` sample counts, on the device of ``wavs``.
        """
        batch, time = wavs.shape
        counts = absolute_lengths(lens, time, batch).to(wavs.device)
        start, stop = _batch_speech_bounds(
            wavs, counts, self.sample_rate, self.threshold_db
        )
        margin = int(self.margin * self.sample_rate)
        start = (start - margin).clamp(min=0)
        return start, torch.minimum(stop + margin, counts) - start

    def process(
        self, wavs: torch.Tensor, lens: torch.Tensor | None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Trims a ``(batch, time)`` batch to ``(batch, new_time)``, new lengths."""
        batch = wavs.shape[0]
        start, sizes = self.cuts(wavs, lens)
        # The one host-device synchronisation: where the pieces are.
        firsts, lengths = torch.stack([start, sizes]).tolist()
        longest = max(lengths)
        out = wavs.new_zeros(batch, longest)
        for i, (first, length) in enumerate(zip(firsts, lengths, strict=True)):
            out[i, :length] = wavs[i, first : first + length]
        return out, sizes.to(torch.float32) / longest


def _batch_speech_bounds(
    wavs: torch.Tensor,
    counts: torch.Tensor,
    sample_rate: int,
    threshold_db: float,
    frame_ms: float = 25.0,
    hop_ms: float = 10.0,
) -> tuple[torch.Tensor, torch.Tensor]:
    """:func:`speech_bounds` of every utterance of a batch, without a loop.

    Only the frames inside an utterance's own length count, so the padding,
    whatever it holds, changes nothing; no host-device synchronisation.

    Arguments
    ---------
    wavs : torch.Tensor
        ``(batch, time)`` padded waveforms.
    counts : torch.Tensor
        ``(batch,)`` lengths in samples, on the device of ``wavs``.
    sample_rate, threshold_db, frame_ms, hop_ms
        As :func:`speech_bounds`.

    Returns
    -------
    start, stop : torch.Tensor
        ``(batch,)`` sample indices.
    """
    frame, hop = frame_samples(sample_rate, frame_ms, hop_ms)
    whole = (torch.zeros_like(counts), counts)
    if wavs.shape[1] < frame:
        return whole
    # Frame energies from sums over blocks of gcd(frame, hop) samples: each
    # sample is squared once (the frames overlap).
    block = math.gcd(frame, hop)
    usable = wavs.shape[1] // block * block
    blocks = wavs[:, :usable].reshape(wavs.shape[0], -1, block)
    # (no temporary of the waveforms' size, unlike blocks.pow(2).sum(-1))
    sums = torch.linalg.vector_norm(blocks, dim=-1).pow(2)
    energy = sums.unfold(1, frame // block, hop // block).sum(dim=-1) / frame
    frames = torch.arange(energy.shape[1], device=wavs.device)
    real = frames < ((counts - frame) // hop + 1).unsqueeze(1)
    peak = energy.masked_fill(~real, -1.0).amax(dim=1, keepdim=True)
    ratio = energy / torch.where(peak > 0, peak, torch.ones_like(peak))
    loud = real & (peak > 0) & (10 * torch.log10(ratio + 1e-12) > threshold_db)
    first = loud.to(torch.uint8).argmax(dim=1)
    last = energy.shape[1] - 1 - loud.flip(1).to(torch.uint8).argmax(dim=1)
    # no real frame (shorter than one frame), digital silence: kept whole
    found = loud.any(dim=1)
    start = torch.where(found, first * hop, whole[0])
    stop = torch.where(found, torch.minimum(last * hop + frame, counts), counts)
    return start, stop
