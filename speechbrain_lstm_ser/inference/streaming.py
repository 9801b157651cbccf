"""Live emotion recognition: a trained streaming model, chunk by chunk.

Shaped like SpeechBrain's ``StreamingASR``: a streaming context is made once
per stream (:meth:`StreamingEmotionRecognizer.make_streaming_context`), then
each chunk of audio goes through
:meth:`~StreamingEmotionRecognizer.classify_chunk`; generators run it over a
file (:meth:`~StreamingEmotionRecognizer.classify_file_streaming`) or any
iterable of chunks (:meth:`~StreamingEmotionRecognizer.classify_stream`)
and yield a :class:`StreamPrediction` every ``hop`` seconds of audio.

The model must be causal (trained with ``hparams/streaming_lstm.yaml``, see
:mod:`speechbrain_lstm_ser.nnet.streaming`); its outputs on a stream are
those on the whole recording, whatever the chunk sizes, and the state
carried from chunk to chunk has a constant size.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
import torch

from speechbrain_lstm_ser.dataio.audio import audio_info, read_audio
from speechbrain_lstm_ser.inference.checks import positive_seconds
from speechbrain_lstm_ser.inference.emotion import EmotionRecognizer
from speechbrain_lstm_ser.nnet.streaming import StreamingClassifier
from speechbrain_lstm_ser.processing.vad import SileroVAD

__all__ = [
    "StreamPrediction",
    "StreamingContext",
    "StreamingEmotionRecognizer",
]


class StreamPrediction(NamedTuple):
    """The class at one moment of a stream.

    ``time`` is the end of the audio it has heard (seconds since the stream
    started); ``probabilities`` are over :attr:`StreamingEmotionRecognizer.labels`
    (smoothed if the context smooths); ``speech`` says whether the VAD heard
    speech in the last hop (None without a VAD). When it heard none,
    ``label`` is None ("no speech", as ``predict_file`` answers): the
    probabilities are still the model's, but no class is claimed.
    ``dimensions`` are ``(dims,)`` arousal, valence, dominance in ``[0, 1]``
    (:attr:`StreamingEmotionRecognizer.dimension_names`, smoothed as the
    probabilities are) for a model with a regression head, from the same
    encoder pass; None for a categorical model. A model trained on the
    dimensions alone (its classifier untrained) gives its dimensions with
    ``label`` and ``probabilities`` None.
    """

    time: float
    label: str | None
    probabilities: torch.Tensor | None
    speech: bool | None = None
    dimensions: torch.Tensor | None = None


@dataclass
class StreamingContext:
    """Everything carried from one chunk of a stream to the next (constant size).

    Made by :meth:`StreamingEmotionRecognizer.make_streaming_context`.
    """

    #: The model's state: feature buffer, LSTM states, pooling sums.
    model_state: dict[str, Any]
    #: Seconds between two predictions.
    hop: float
    #: Time constant of the displayed probabilities' smoothing (0: none).
    smoothing: float
    #: The speech detector of this stream (None: no detection).
    vad: SileroVAD | None = None
    vad_state: dict[str, Any] | None = None
    #: Samples received so far.
    samples: int = 0
    #: Time of the next prediction (s).
    next_time: float = 0.0
    #: Smoothed probabilities (None before the first frame).
    smoothed: torch.Tensor | None = None
    #: Smoothed dimensions of a dimensional model (None before the first frame).
    smoothed_dimensions: torch.Tensor | None = None
    #: Speech probabilities of the VAD windows since the last prediction.
    speech_probs: list[float] = field(default_factory=list)
    #: The VAD's verdict at the last prediction.
    speech: bool | None = None


class StreamingEmotionRecognizer(EmotionRecognizer):
    """Recognises emotions on a live stream with a streaming (causal) model.

    Loads like :class:`~speechbrain_lstm_ser.inference.emotion.EmotionRecognizer`
    (``from_hparams(source=folder or Hub repo)``), and refuses a model that
    cannot stream (bidirectional LSTM, whole-recording normalisation, ...)
    with one message naming the part.

    Example
    -------
    >>> ser = StreamingEmotionRecognizer.from_hparams(  # doctest: +SKIP
    ...     source="results/emotion_streaming_lstm/1986/model")
    >>> context = ser.make_streaming_context(hop=0.2)  # doctest: +SKIP
    >>> for chunk in microphone_chunks:  # doctest: +SKIP
    ...     for update in ser.classify_chunk(context, chunk):
    ...         print(f"{update.time:6.2f} {update.label}")
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        try:
            self.streamer = StreamingClassifier(self.model).eval()
        except ValueError as error:
            raise ValueError(
                f"this model cannot stream: {error}. Use sb-lstm-ser timeline for "
                "a model trained on whole utterances"
            ) from error

    @property
    def latency(self) -> float:
        """Algorithmic latency of the model in seconds: look-ahead + frame hop."""
        return (self.streamer.lookahead + self.streamer.hop) / self.sample_rate

    def make_streaming_context(
        self, hop: float = 0.2, smoothing: float = 0.0, vad: bool = True
    ) -> StreamingContext:
        """A new stream: empty buffers, zero states.

        Arguments
        ---------
        hop : float
            Seconds of audio between two predictions (at least one feature
            frame, e.g. 0.02).
        smoothing : float
            Time constant in seconds of an exponential moving average of the
            predicted probabilities (0: the model's own output, which already
            summarises the last seconds).
        vad : bool
            Detect speech with Silero VAD (:class:`StreamPrediction` ``.speech``).

        Returns
        -------
        StreamingContext
        """
        frame = self.streamer.hop / self.sample_rate
        positive_seconds(hop, "hop")
        if not (math.isfinite(smoothing) and smoothing >= 0):
            raise ValueError(f"smoothing must be >= 0 seconds, got {smoothing}")
        if hop < frame - 1e-9:
            raise ValueError(f"hop must be at least one frame ({frame} s), got {hop}")
        detector = SileroVAD(sample_rate=self.sample_rate) if vad else None
        return StreamingContext(
            model_state=self.streamer.init_state(1, self.device),
            hop=hop,
            smoothing=smoothing,
            vad=detector,
            vad_state=detector.init_state() if detector else None,
            next_time=hop,
        )

    def _as_chunk(self, chunk) -> torch.Tensor:
        if isinstance(chunk, np.ndarray):
            if chunk.dtype == np.int16:
                chunk = chunk.astype(np.float32) / 32768.0
            chunk = torch.from_numpy(np.ascontiguousarray(chunk, dtype=np.float32))
        if chunk.dim() == 2 and chunk.shape[0] == 1:
            chunk = chunk[0]
        if chunk.dim() != 1:
            raise ValueError(
                f"a chunk must be mono samples (samples,) at {self.sample_rate} Hz, "
                f"got shape {tuple(chunk.shape)}"
            )
        if not torch.isfinite(chunk).all():
            raise ValueError("a chunk contains NaN or infinite samples")
        return chunk.float()

    def classify_chunk(
        self, context: StreamingContext, chunk: torch.Tensor | np.ndarray
    ) -> list[StreamPrediction]:
        """Feeds the next chunk of the stream; returns the predictions it completes.

        Arguments
        ---------
        context : StreamingContext
            From :meth:`make_streaming_context`; updated in place.
        chunk : torch.Tensor or numpy.ndarray
            ``(samples,)`` mono audio at :attr:`sample_rate`, any length
            (float in [-1, 1], or int16 PCM).

        Returns
        -------
        list of StreamPrediction
            One per ``hop`` of audio that this chunk completes (possibly none).
        """
        chunk = self._as_chunk(chunk)
        if context.vad is not None:
            probs, context.vad_state = context.vad.step(chunk, context.vad_state)
            context.speech_probs += probs.tolist()
        dimensional = bool(self.dimension_names)
        with torch.no_grad():
            out, context.model_state = self.streamer.step(
                chunk.unsqueeze(0).to(self.device),
                context.model_state,
                with_dimensions=dimensional,
            )
        log_probs, dims = out if dimensional else (out, None)
        dims = None if dims is None else dims[0]
        return self._predictions(context, log_probs[0], chunk.numel(), dims)

    def _predictions(
        self,
        context: StreamingContext,
        log_probs: torch.Tensor,
        samples: int,
        dims: torch.Tensor | None = None,
    ) -> list[StreamPrediction]:
        out = []
        frame_s = self.streamer.hop / self.sample_rate
        frames = context.model_state.features.frames
        first = frames - log_probs.shape[0]  # index of the first new frame
        context.samples += samples
        heard = context.samples / self.sample_rate
        keep = float(np.exp(-frame_s / context.smoothing)) if context.smoothing else 0
        for k, row in enumerate(log_probs.exp().cpu()):
            context.smoothed = _smooth(context.smoothed, row, keep)
            if dims is not None:
                context.smoothed_dimensions = _smooth(
                    context.smoothed_dimensions, dims[k].cpu(), keep
                )
            # Frame i is emitted once the audio up to its centre + look-ahead
            # has arrived: report it at that time.
            time = ((first + k) * self.streamer.hop + self.streamer.lookahead) / (
                self.sample_rate
            )
            if time + 1e-9 >= context.next_time or (
                k == log_probs.shape[0] - 1 and heard + 1e-9 >= context.next_time
            ):
                context.next_time += context.hop
                out.append(self._prediction(context, min(time, heard)))
        return out

    def _prediction(self, context: StreamingContext, time: float) -> StreamPrediction:
        if context.vad is not None:
            if context.speech_probs:
                threshold = context.vad.threshold
                context.speech = max(context.speech_probs) > threshold
                context.speech_probs = []
        probs, dims = context.smoothed.clone(), context.smoothed_dimensions
        label = None if context.speech is False else self.labels[int(probs.argmax())]
        dims = None if dims is None else dims.clone()
        if not self.classifier_trained:  # the dimensions alone
            label = probs = None
        return StreamPrediction(round(time, 4), label, probs, context.speech, dims)

    def classify_stream(
        self,
        chunks: Iterable[torch.Tensor | np.ndarray],
        hop: float = 0.2,
        smoothing: float = 0.0,
        vad: bool = True,
    ) -> Iterator[StreamPrediction]:
        """Predictions every ``hop`` seconds over any iterable of chunks.

        Arguments
        ---------
        chunks : iterable
            ``(samples,)`` mono chunks at :attr:`sample_rate` (any sizes).
        hop, smoothing, vad
            See :meth:`make_streaming_context`.

        Yields
        ------
        StreamPrediction
        """
        context = self.make_streaming_context(hop=hop, smoothing=smoothing, vad=vad)
        for chunk in chunks:
            yield from self.classify_chunk(context, chunk)

    def classify_file_streaming(
        self,
        path: str | os.PathLike,
        chunk_size: float = 0.2,
        hop: float = 0.2,
        smoothing: float = 0.0,
        vad: bool = True,
    ) -> Iterator[StreamPrediction]:
        """Streams a file chunk by chunk (read as it goes: memory stays bounded).

        Arguments
        ---------
        path : str or os.PathLike
            Any audio file ``read_audio`` reads (resampled to the model's rate).
        chunk_size : float
            Seconds read and fed at a time.
        hop, smoothing, vad
            See :meth:`make_streaming_context`.

        Yields
        ------
        StreamPrediction
        """
        positive_seconds(chunk_size, "chunk_size")
        local, _ = self.audio_file(path)
        info = audio_info(local)
        rate, total = info.sample_rate, info.frames
        step = max(1, int(round(chunk_size * rate)))

        def chunks():
            # boundaries on whole samples of the file: no sample read twice
            for first in range(0, total, step):
                last = min(total, first + step)
                yield read_audio(
                    local, self.sample_rate, start=first / rate, stop=last / rate
                )

        yield from self.classify_stream(chunks(), hop=hop, smoothing=smoothing, vad=vad)


def _smooth(
    smoothed: torch.Tensor | None, row: torch.Tensor, keep: float
) -> torch.Tensor:
    """One step of the exponential moving average (``keep`` 0: the row itself)."""
    if smoothed is None or keep == 0:
        return row
    return keep * smoothed + (1 - keep) * row
