"""Speech activity detection that streams long files: Silero VAD, or energy.

:class:`SileroVAD` (the default, :func:`default_vad`) runs the maintained
`Silero VAD <https://github.com/snakers4/silero-vad>`_ model (MIT licence; the
``silero-vad`` wheel ships its weights, nothing is downloaded);
:class:`EnergyVAD` thresholds frame energy. Both give per-frame decisions,
turn them into segments the same way and stream files block by block.
Silero VAD is the default because it finds speech boundaries far better in
noise (measured: ``python -m bench.vad``, docs/streaming.md).

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Iterator
from typing import Any

import torch

from speechbrain_lstm_ser.dataio.audio import audio_info, read_audio
from speechbrain_lstm_ser.processing.framing import frame_energy, frame_samples

__all__ = ["SEGMENT_OPTIONS", "EnergyVAD", "SileroVAD", "default_vad"]

logger = logging.getLogger(__name__)

#: The options that turn per-frame decisions into segments and stream files,
#: the same for both detectors (defaults: :class:`EnergyVAD`'s).
SEGMENT_OPTIONS = ("min_speech", "min_silence", "max_segment", "margin", "block")


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
        self.frame, self.hop = frame_samples(sample_rate, frame_ms, hop_ms)
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
        energy = frame_energy(wav, self.frame, self.hop)
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


class SileroVAD(EnergyVAD):
    """Finds speech with the Silero VAD model; streams files and live audio.

    A 32 ms window is speech when the model's speech probability is above
    ``threshold``; segments are then formed as :class:`EnergyVAD` forms them
    (same ``min_speech``, ``min_silence``, ``max_segment``, ``margin``).
    Audio at rates other than 8 or 16 kHz is resampled to 16 kHz for the
    model (the decisions stay in the caller's time). :meth:`init_state` /
    :meth:`step` run it on a live stream, chunk by chunk; the model's
    recurrent state lives in this object, so use one ``SileroVAD`` per
    stream.

    Arguments
    ---------
    threshold : float
        Speech probability above which a window is speech (Silero's default
        0.5).
    sample_rate : int
        The rate of the audio given to it.
    **segment_options : float
        ``min_speech``, ``min_silence``, ``max_segment``, ``margin``,
        ``block`` (:data:`SEGMENT_OPTIONS`): as in :class:`EnergyVAD`, with
        its defaults.

    Example
    -------
    >>> vad = SileroVAD()
    >>> vad.speech_ratio(torch.zeros(16000))  # silence
    0.0
    """

    def __init__(
        self, threshold: float = 0.5, *, sample_rate: int = 16000, **segment_options
    ):
        unknown = sorted(set(segment_options) - set(SEGMENT_OPTIONS))
        if unknown:
            raise TypeError(
                f"SileroVAD: unknown option {unknown[0]!r}; besides threshold and "
                f"sample_rate it takes {', '.join(SEGMENT_OPTIONS)}"
            )
        self.model_rate = sample_rate if sample_rate in (8000, 16000) else 16000
        self.window = 512 if self.model_rate == 16000 else 256  # 32 ms
        hop_ms = 1000 * self.window / self.model_rate
        super().__init__(
            frame_ms=hop_ms, hop_ms=hop_ms, sample_rate=sample_rate, **segment_options
        )
        self.threshold = threshold
        self._model = None

    @property
    def model(self):
        """The Silero VAD model (loaded from the installed wheel on first use)."""
        if self._model is None:
            try:
                from silero_vad import load_silero_vad
            except ImportError as error:
                raise ImportError(
                    "SileroVAD needs the silero-vad package: pip install "
                    "silero-vad==6.2.3 (or use EnergyVAD)"
                ) from error
            with warnings.catch_warnings():  # torch.jit.load is deprecated
                warnings.simplefilter("ignore", FutureWarning)
                self._model = load_silero_vad()
        return self._model

    def _to_model_rate(self, wav: torch.Tensor) -> torch.Tensor:
        if self.sample_rate == self.model_rate:
            return wav
        import torchaudio

        return torchaudio.functional.resample(wav, self.sample_rate, self.model_rate)

    def speech_probabilities(self, wav: torch.Tensor) -> torch.Tensor:
        """Speech probability of each 32 ms window of a ``(time,)`` waveform.

        Starts from a fresh model state (a file or block on its own).
        """
        wav = self._to_model_rate(wav.float())
        count = max(1, -(-wav.numel() // self.window))
        wav = torch.nn.functional.pad(wav, (0, count * self.window - wav.numel()))
        self.model.reset_states()
        with torch.no_grad():
            probs = [
                self.model(window.unsqueeze(0), self.model_rate).reshape(())
                for window in wav.split(self.window)
            ]
        return torch.stack(probs)

    def speech_frames(self, wav: torch.Tensor) -> torch.Tensor:
        """Boolean speech decision per 32 ms window of a ``(time,)`` waveform."""
        return self.speech_probabilities(wav) > self.threshold

    def batch_probabilities(self, wavs: torch.Tensor) -> torch.Tensor:
        """Speech probability of each 32 ms window of each row of ``(batch, time)``.

        The rows go through the model together, window by window (one call
        per window for the whole batch), each from a fresh state: row ``i``
        gets the probabilities of :meth:`speech_probabilities` on
        ``wavs[i]`` (zero-padded to whole windows, as there), to float
        tolerance.

        Arguments
        ---------
        wavs : torch.Tensor
            ``(batch, time)`` at ``sample_rate``.

        Returns
        -------
        torch.Tensor
            ``(batch, windows)``.
        """
        wavs = self._to_model_rate(wavs.float())
        count = max(1, -(-wavs.shape[1] // self.window))
        wavs = torch.nn.functional.pad(wavs, (0, count * self.window - wavs.shape[1]))
        self.model.reset_states()
        with torch.no_grad():
            probs = [
                self.model(window, self.model_rate).reshape(-1)
                for window in wavs.split(self.window, dim=1)
            ]
        self.model.reset_states()
        return torch.stack(probs, dim=1)

    def init_state(self) -> dict[str, Any]:
        """The state of a new live stream (resets the model's own state)."""
        self.model.reset_states()
        return {"buffer": torch.zeros(0)}

    def step(
        self, chunk: torch.Tensor, state: dict[str, Any]
    ) -> tuple[torch.Tensor, dict[str, Any]]:
        """Speech probabilities of the 32 ms windows that ``chunk`` completes.

        Arguments
        ---------
        chunk : torch.Tensor
            ``(samples,)`` at ``sample_rate``, any length.
        state : dict
            From :meth:`init_state` or the previous :meth:`step`.

        Returns
        -------
        probabilities : torch.Tensor
            ``(windows,)``, possibly empty.
        state : dict
        """
        buffer = torch.cat([state["buffer"], self._to_model_rate(chunk.float())])
        count = buffer.numel() // self.window
        probs = []
        with torch.no_grad():
            for k in range(count):
                window = buffer[k * self.window : (k + 1) * self.window]
                probs.append(
                    self.model(window.unsqueeze(0), self.model_rate).reshape(())
                )
        out = torch.stack(probs) if probs else torch.zeros(0)
        return out, {"buffer": buffer[count * self.window :]}


def default_vad(sample_rate: int = 16000, **kwargs) -> EnergyVAD:
    """The speech detector used when none is given: :class:`SileroVAD`.

    Falls back to :class:`EnergyVAD` (with one warning saying how to get
    Silero VAD back) when the ``silero-vad`` package is not installed.

    Arguments
    ---------
    sample_rate : int
        The rate of the audio it will see.
    **kwargs
        Segment options shared by both (:data:`SEGMENT_OPTIONS`).

    Returns
    -------
    EnergyVAD
        A :class:`SileroVAD` (a subclass) or an :class:`EnergyVAD`.

    Example
    -------
    >>> type(default_vad(16000)).__name__
    'SileroVAD'
    """
    try:
        import silero_vad  # noqa: F401
    except ImportError:
        logger.warning(
            "silero-vad is not installed: speech detection falls back to the "
            "energy threshold (pip install silero-vad==6.2.3 to use Silero VAD)"
        )
        return EnergyVAD(sample_rate=sample_rate, **kwargs)
    return SileroVAD(sample_rate=sample_rate, **kwargs)
