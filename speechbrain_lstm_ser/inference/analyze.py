"""Speech and emotion recognition in one call: what was said, and how.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import os
from typing import NamedTuple

import torch

from speechbrain_lstm_ser.dataio.audio import read_audio
from speechbrain_lstm_ser.inference.asr import SpeechRecognizer
from speechbrain_lstm_ser.inference.classifier import SILENCE_PEAK, UtteranceClassifier
from speechbrain_lstm_ser.processing.vad import EnergyVAD, default_vad

__all__ = ["AnalyzedSegment", "analyze_file"]


class AnalyzedSegment(NamedTuple):
    """One stretch of speech: when, what was said, with which emotion."""

    start: float
    end: float
    text: str
    emotion: str | None
    score: float | None


def analyze_file(
    path: str | os.PathLike,
    asr: SpeechRecognizer,
    emotion: UtteranceClassifier,
    vad: EnergyVAD | None = None,
) -> list[AnalyzedSegment]:
    """Finds the speech segments of a recording, transcribes each and names its emotion.

    The recording is streamed (the VAD reads it block by block, each segment
    is read on its own), so memory stays bounded however long it is.
    Segments shorter than the emotion model's ``min_duration`` get a
    transcript and no emotion.

    Arguments
    ---------
    path : str or os.PathLike
        The recording (any format, rate and channel count ``read_audio`` takes).
    asr : SpeechRecognizer
        The speech recognition model.
    emotion : UtteranceClassifier
        The emotion recognition model.
    vad : EnergyVAD, optional
        The speech detector (default: Silero VAD,
        :func:`~speechbrain_lstm_ser.processing.vad.default_vad`; segments of at
        most 15 s).

    Returns
    -------
    list of AnalyzedSegment
        In time order.

    Example
    -------
    >>> asr = SpeechRecognizer.from_hparams(source="asr_model")  # doctest: +SKIP
    >>> ser = EmotionRecognizer.from_hparams(source="ser_model")  # doctest: +SKIP
    >>> for seg in analyze_file("meeting.wav", asr, ser):  # doctest: +SKIP
    ...     print(f"{seg.start:6.1f}-{seg.end:6.1f} [{seg.emotion}] {seg.text}")
    """
    if asr.sample_rate != emotion.sample_rate:
        raise ValueError(
            f"the models work at {asr.sample_rate} and {emotion.sample_rate} Hz; "
            "analyze_file needs one sample rate"
        )
    vad = vad or default_vad(sample_rate=asr.sample_rate)
    results = []
    for start, end in vad.segments(path):
        wav = read_audio(path, asr.sample_rate, start=start, stop=end)
        if wav.abs().max() < SILENCE_PEAK:
            continue
        batch, lens = wav.unsqueeze(0), torch.ones(1)
        text = asr.transcribe_batch(batch, lens)[0][0]
        label, score = None, None
        if end - start >= emotion.min_duration:
            out_prob, _, _, labels = emotion.classify_batch(batch, lens)
            label, score = labels[0], float(out_prob.exp().max())
        results.append(
            AnalyzedSegment(round(start, 3), round(end, 3), text, label, score)
        )
    return results
