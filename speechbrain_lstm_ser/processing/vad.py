"""Energy-based speech activity detection that streams long files.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import torch

from speechbrain_lstm_ser.dataio.audio import audio_info, read_audio

__all__ = ["EnergyVAD"]


class EnergyVAD:
    """Finds speech by frame energy; never holds more than one block in memory.

    A frame is speech when its energy is above ``threshold_db`` (dB relative
    to full scale). Speech runs shorter than ``min_speech`` are dropped,
    pauses shorter than ``min_silence`` are bridged, and segments longer
    than ``max_segment`` are cut.

    Arguments
    ---------
    threshold_db : float
        Energy threshold in dBFS (speech in usual recordings: -35 to -15).
    frame_ms : float
        Analysis frame length.
    hop_ms : float
        Analysis hop.
    min_speech : float
        Shortest kept speech segment, in seconds.
    min_silence : float
        Shortest pause that separates two segments, in seconds.
    max_segment : float
        Longest segment, in seconds (longer speech is split).
    margin : float
        Seconds added before and after each segment.
    block : float
        Seconds of audio read at a time.

    Example
    -------
    >>> vad = EnergyVAD()
    >>> wav = torch.zeros(32000)
    >>> wav[8000:24000] = 0.1 * torch.randn(16000)
    >>> vad.speech_ratio(wav)
    0.51...
    >>> segments = vad.frames_to_segments(vad.speech_frames(wav))
    >>> [(round(start, 2), round(end, 2)) for start, end in segments]
    [(0.38, 1.61)]
    """

    def __init__(
        self,
        threshold_db: float = -40.0,
        frame_ms: float = 25.0,
        hop_ms: float = 10.0,
        min_speech: float = 0.25,
        min_silence: float = 0.3,
        max_segment: float = 15.0,
        margin: float = 0.1,
        block: float = 60.0,
        sample_rate: int = 16000,
    ):
        self.threshold_db = threshold_db
        self.frame = int(sample_rate * frame_ms / 1000)
        self.hop = int(sample_rate * hop_ms / 1000)
        self.min_speech = min_speech
        self.min_silence = min_silence
        self.max_segment = max_segment
        self.margin = margin
        self.block = block
        self.sample_rate = sample_rate

    def speech_frames(self, wav: torch.Tensor) -> torch.Tensor:
        """Boolean speech decision per frame of a ``(time,)`` waveform."""
        if wav.numel() < self.frame:
            wav = torch.nn.functional.pad(wav, (0, self.frame - wav.numel()))
        energy = wav.unfold(0, self.frame, self.hop).pow(2).mean(dim=-1)
        return 10 * torch.log10(energy + 1e-12) > self.threshold_db

    def speech_ratio(self, wav: torch.Tensor) -> float:
        """Fraction of the frames of ``wav`` that are speech."""
        return float(self.speech_frames(wav).float().mean())

    def frames_to_segments(
        self, speech: torch.Tensor, offset: float = 0.0
    ) -> list[tuple[float, float]]:
        """Turns per-frame decisions into ``(start, end)`` segments in seconds."""
        hop_s = self.hop / self.sample_rate
        frame_s = self.frame / self.sample_rate
        runs, start = [], None
        for i, is_speech in enumerate(speech.tolist() + [False]):
            if is_speech and start is None:
                start = i
            elif not is_speech and start is not None:
                runs.append([start * hop_s, (i - 1) * hop_s + frame_s])
                start = None
        merged: list[list[float]] = []
        for run in runs:
            if merged and run[0] - merged[-1][1] < self.min_silence:
                merged[-1][1] = run[1]
            else:
                merged.append(run)
        segments = []
        for begin, end in merged:
            if end - begin < self.min_speech:
                continue
            begin, end = max(0.0, begin - self.margin), end + self.margin
            while end - begin > self.max_segment:
                segments.append((offset + begin, offset + begin + self.max_segment))
                begin += self.max_segment
            segments.append((offset + begin, offset + end))
        return segments

    def segments(self, path: str | os.PathLike) -> Iterator[tuple[float, float]]:
        """Streams a file and yields its speech segments ``(start, end)`` in seconds.

        Speech that crosses a block boundary is re-joined into one segment
        (the pieces are closer than ``min_silence``).

        Arguments
        ---------
        path : str or os.PathLike
            Any audio file ``read_audio`` reads.

        Yields
        ------
        tuple of float
        """
        duration = audio_info(path).duration
        pending: tuple[float, float] | None = None
        start = 0.0
        while start < duration:
            stop = min(duration, start + self.block)
            wav = read_audio(path, self.sample_rate, start=start, stop=stop)
            for seg in self.frames_to_segments(self.speech_frames(wav), offset=start):
                if pending is None:
                    pending = seg
                elif seg[0] - pending[1] < self.min_silence and (
                    seg[1] - pending[0] <= self.max_segment
                ):
                    pending = (pending[0], max(pending[1], seg[1]))
                elif seg[1] <= pending[1]:
                    continue  # already covered by the previous block
                else:
                    yield pending
                    pending = (max(seg[0], pending[1]), seg[1])
            start = stop
        if pending is not None:
            yield (pending[0], min(pending[1], duration))
