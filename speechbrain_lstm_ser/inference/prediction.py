"""Answers per clip: a class, or "no speech" (a value, not an error).

The convention of ``sb-lstm-ser predict``, batch runs and the service:
:class:`Predictor` gives one :class:`Prediction` per file or waveform, with
its warnings, for an
:class:`~speechbrain_lstm_ser.inference.classifier.UtteranceClassifier`
(its ``predict_file`` and ``predict_batch``). SpeechBrain's tuple
(``classify_file``, ``classify_batch``) has no place for "no speech" and
raises :class:`~speechbrain_lstm_ser.inference.checks.NoSpeechError`.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from typing import NamedTuple

import torch

from speechbrain_lstm_ser.inference.checks import (
    AudioWarning,
    SpeechCheck,
    check_waveforms,
)

__all__ = ["Prediction", "Predictor"]


class Prediction(NamedTuple):
    """The answer for one clip: a class, or "no speech" (a value, not an error).

    ``label`` is None, ``score`` and ``probabilities`` None and ``speech``
    False when the speech gate found no speech in the clip; ``reason`` then
    says what was found. ``warnings`` are the clip's warnings (narrowband
    audio, a truncated file), each one line naming the file.
    """

    label: str | None
    score: float | None
    probabilities: dict[str, float] | None
    speech: bool
    reason: str | None = None
    warnings: tuple[str, ...] = ()


class Predictor:
    """One :class:`Prediction` per clip of a classifier: a class, or "no speech".

    Arguments
    ---------
    classifier : UtteranceClassifier
        Reads, checks and classifies the clips.

    Example
    -------
    >>> model = EmotionRecognizer.from_hparams(source="model")  # doctest: +SKIP
    >>> model.predictor.file("silence.wav").speech  # doctest: +SKIP
    False
    """

    def __init__(self, classifier):
        self.classifier = classifier

    def file(
        self,
        path: str | os.PathLike,
        labels: Sequence[str] | None = None,
        speaker: str | None = None,
        gate: bool | None = None,
    ) -> Prediction:
        """The class of one audio file, or "no speech", with the file's warnings.

        What ``sb-lstm-ser predict`` prints for each file. As the
        classifier's ``classify_file``, except that a file without speech
        gives a :class:`Prediction` with ``label=None, speech=False`` and the
        reason, not an error: a batch run over many files gets one answer per
        file. Files that cannot be used still raise ``AudioError``.

        Arguments
        ---------
        path, labels, speaker, gate
            As for ``classify_file``.

        Returns
        -------
        Prediction
        """
        out_prob, found, notes = self.file_outputs(path, labels, speaker, gate)
        for note in notes:
            warnings.warn(note, AudioWarning, stacklevel=3)
        if out_prob is None:
            return Prediction(None, None, None, False, found.reason, notes)
        return self.prediction(out_prob[0], notes)

    def file_outputs(
        self,
        path: str | os.PathLike,
        labels: Sequence[str] | None = None,
        speaker: str | None = None,
        gate: bool | None = None,
    ) -> tuple[torch.Tensor | None, SpeechCheck, tuple[str, ...]]:
        """``(out_prob or None, SpeechCheck, warnings)`` of one file.

        The reading of ``classify_file`` and :meth:`file` (the same
        arguments): ``out_prob`` is ``(1, classes)``, None when no speech was
        found; files longer than the classifier's ``max_duration`` go through
        its ``timelines``.
        """
        model = self.classifier
        if labels is not None:
            model.allowed_classes(labels)  # a wrong name fails before any work
        gate = model.gate_speech if gate is None else gate
        local, duration = model.audio_file(path)
        if duration > model.max_duration:
            return model.timelines.long_file(path, local, labels, speaker, gate)
        wav, notes = model.read_checked(path)
        found = model.speech_gate(wav) if gate else SpeechCheck(True, float("nan"))
        out_prob = None
        if found.speech:
            wav = wav.unsqueeze(0).to(model.device)
            out_prob = model.classify_batch(wav, torch.ones(1), labels, speaker)[0]
        return out_prob, found, notes

    def batch(
        self,
        wavs: torch.Tensor,
        wav_lens: torch.Tensor | None = None,
        labels: Sequence[str] | None = None,
        speaker: str | Sequence[str] | None = None,
        reference: torch.Tensor | None = None,
        gate: bool | None = None,
        names: Sequence[str] | None = None,
    ) -> list[Prediction]:
        """One :class:`Prediction` per waveform: a class, or "no speech".

        The waveforms are checked as in ``classify_batch`` (a bad one
        raises ``AudioError`` naming it); then the rows in which the speech
        gate finds no speech get ``Prediction(label=None, speech=False,
        reason=...)`` and the others are classified together. The entry
        point for batched and served inference.

        Arguments
        ---------
        wavs, wav_lens, labels, speaker, reference, gate
            As for ``classify_batch`` (``gate`` defaults to the classifier's
            ``gate_speech``).
        names : sequence of str, optional
            What to call each row in errors (e.g. file names).

        Returns
        -------
        list of Prediction
            In batch order.
        """
        if labels is not None:
            self.classifier.allowed_classes(labels)
        rate, shortest = self.classifier.sample_rate, self.classifier.min_duration
        wavs, wav_lens = check_waveforms(wavs, wav_lens, rate, shortest, names)
        batch, time = wavs.shape
        if not isinstance(speaker, (str, type(None))) and len(speaker) != batch:
            raise ValueError(f"{len(speaker)} speakers for {batch} waveforms")
        gate = self.classifier.gate_speech if gate is None else gate
        found = (
            self.classifier.speech_gate.batch(wavs, wav_lens)
            if gate
            else [SpeechCheck(True, float("nan"))] * batch
        )
        results: list[Prediction | None] = [
            None if f.speech else Prediction(None, None, None, False, f.reason)
            for f in found
        ]
        keep = [i for i, f in enumerate(found) if f.speech]
        if keep:
            sizes = [max(1, round(float(wav_lens[i]) * time)) for i in keep]
            longest = max(sizes)
            kept = wavs[keep, :longest]
            lens = torch.tensor([n / longest for n in sizes])
            if speaker is not None and not isinstance(speaker, str):
                speaker = [speaker[i] for i in keep]
            if reference is not None:
                reference = reference[keep]
            out_prob = self.classifier.classify_batch(
                kept, lens, labels, speaker=speaker, reference=reference
            )[0]
            for i, row in zip(keep, out_prob, strict=True):
                results[i] = self.prediction(row)
        return results

    def prediction(self, out_prob: torch.Tensor, notes=()) -> Prediction:
        """A :class:`Prediction` from one row of log-probabilities.

        Arguments
        ---------
        out_prob : torch.Tensor
            ``(classes,)`` log-probabilities.
        notes : iterable of str
            The clip's warnings.

        Returns
        -------
        Prediction
        """
        labels = self.classifier.labels
        probs = out_prob.exp().cpu().tolist()
        best = max(range(len(probs)), key=probs.__getitem__)
        return Prediction(
            labels[best],
            probs[best],
            dict(zip(labels, probs, strict=True)),
            True,
            None,
            tuple(notes),
        )
