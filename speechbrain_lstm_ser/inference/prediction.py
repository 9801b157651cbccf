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

from speechbrain_lstm_ser.dataio.manifest import DIMENSIONS
from speechbrain_lstm_ser.inference.checks import (
    NO_SPEECH_FIX,
    AudioWarning,
    NoSpeechError,
    SpeechCheck,
    check_waveforms,
)

__all__ = ["FileOutputs", "Prediction", "Predictor", "named_dimensions"]


def named_dimensions(
    values, names: Sequence[str] = DIMENSIONS, digits: int | None = None
) -> dict[str, float] | None:
    """``{name: value}`` of one clip's dimensions (None stays None).

    Arguments
    ---------
    values : torch.Tensor or sequence of float, optional
        ``(dims,)``, e.g. ``TimelineSegment.dimensions``.
    names : sequence of str
        Their names, in order.
    digits : int, optional
        Round to this many decimals.

    Returns
    -------
    dict or None

    Example
    -------
    >>> named_dimensions(torch.tensor([0.25, 0.5, 0.125]), digits=2)
    {'arousal': 0.25, 'valence': 0.5, 'dominance': 0.12}
    >>> named_dimensions(None) is None
    True
    """
    if values is None:
        return None
    values = [float(v) for v in values]
    if digits is not None:
        values = [round(v, digits) for v in values]
    return dict(zip(names, values, strict=True))


class Prediction(NamedTuple):
    """The answer for one clip: a class, or "no speech" (a value, not an error).

    ``label`` is None, ``score`` and ``probabilities`` None and ``speech``
    False when the speech gate found no speech in the clip; ``reason`` then
    says what was found. ``warnings`` are the clip's warnings (narrowband
    audio, a truncated file), each one line naming the file.
    ``dimensions`` maps ``arousal``, ``valence`` and ``dominance`` to
    ``[0, 1]`` for a model with a regression head (from the same encoder
    pass as the label; ``docs/dimensional.md``); None for a categorical
    model, and without speech. A model trained on the dimensions alone
    (its classifier untrained: the classifier's ``classifier_trained``)
    answers a clip with speech with its ``dimensions`` and ``label``,
    ``score`` and ``probabilities`` None.
    """

    label: str | None
    score: float | None
    probabilities: dict[str, float] | None
    speech: bool
    reason: str | None = None
    warnings: tuple[str, ...] = ()
    dimensions: dict[str, float] | None = None


class FileOutputs(NamedTuple):
    """The model's outputs for one file, before they become an answer.

    ``out_prob`` is ``(1, classes)`` log-probabilities and ``dimensions``
    ``(1, dims)`` (None for a categorical model or when not asked), both
    None when no speech was found (``out_prob`` may also be None for a
    model of the dimensions alone); ``speech`` says what the gate found;
    ``warnings`` are the file's, one line each.
    """

    out_prob: torch.Tensor | None
    dimensions: torch.Tensor | None
    speech: SpeechCheck
    warnings: tuple[str, ...]


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
        found = self.file_outputs(path, labels, speaker, gate)
        for note in found.warnings:
            warnings.warn(note, AudioWarning, stacklevel=3)
        if not found.speech.speech:
            reason = found.speech.reason
            return Prediction(None, None, None, False, reason, found.warnings)
        dims = None if found.dimensions is None else found.dimensions[0]
        out_prob = None if found.out_prob is None else found.out_prob[0]
        return self.prediction(out_prob, found.warnings, dims)

    def outputs(
        self,
        wavs: torch.Tensor,
        wav_lens: torch.Tensor | None = None,
        labels: Sequence[str] | None = None,
        speaker: str | Sequence[str] | None = None,
        reference: torch.Tensor | None = None,
        gate: bool = False,
        dimensions: bool | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Class log-probabilities and dimensions of a batch, one encoder pass.

        The forward pass of the classifier's ``classify_batch`` (the same
        arguments and checks) and ``outputs``, with the regressor's output
        beside the classifier's.

        Arguments
        ---------
        wavs, wav_lens, labels, speaker, reference, gate
            As for ``classify_batch``.
        dimensions : bool, optional
            Compute the dimensions (default: when the model has a regressor;
            True for a model without one is an error).

        Returns
        -------
        out_prob : torch.Tensor
            ``(batch, classes)`` log-probabilities.
        dimensions : torch.Tensor or None
            ``(batch, len(dimension_names))`` in ``[0, 1]``, or None.
        """
        model = self.classifier
        dimensions = self.dimensions_on(dimensions)
        if labels is not None:
            model.allowed_classes(labels)
        wavs, wav_lens = check_waveforms(
            wavs, wav_lens, model.sample_rate, model.min_duration
        )
        if gate:
            for i, found in enumerate(model.speech_gate.batch(wavs, wav_lens)):
                if not found.speech:
                    raise NoSpeechError(f"wavs[{i}]", found.reason, NO_SPEECH_FIX)
        wavs, wav_lens = model.prepare_batch(wavs, wav_lens)
        if speaker is not None:
            reference = model.enrolment.reference(speaker, wavs.shape[0])
        elif reference is None:
            model.enrolment.note_no_speaker()
        with torch.no_grad():
            out = model.model(
                wavs, wav_lens, reference=reference, with_dimensions=dimensions
            )
        out, dims = out if dimensions else (out, None)
        out_prob = self.fuse(out.squeeze(1), wavs, wav_lens, speaker)
        if labels is not None:
            out_prob = model.restrict(out_prob, labels)
        return out_prob, dims

    def fuse(
        self,
        out_prob: torch.Tensor,
        wavs: torch.Tensor,
        wav_lens: torch.Tensor,
        speaker: str | Sequence[str] | None,
    ) -> torch.Tensor:
        """The model's log-probabilities fused with its functionals classifier.

        A model without a fitted
        :class:`~speechbrain_lstm_ser.nnet.fusion.FunctionalsFusion` (or
        whose mode's weight is 1) gives ``out_prob`` back. With ``speaker``
        (enrolled with at least the fusion's ``min_clips`` clips), the
        functionals are measured against that speaker's enrolled clips;
        otherwise the level-invariant ``utterance`` head is used.

        Arguments
        ---------
        out_prob : torch.Tensor
            ``(batch, classes)`` log-probabilities of the model.
        wavs, wav_lens : torch.Tensor
            The pre-processed batch.
        speaker : str or sequence of str, optional
            Enrolled speaker(s).

        Returns
        -------
        torch.Tensor
        """
        fusion = getattr(self.classifier.model, "fusion", None)
        if fusion is None:
            return out_prob
        statistics = None
        if speaker is not None and fusion.active("speaker"):
            names = [speaker] * len(wavs) if isinstance(speaker, str) else speaker
            statistics = self.classifier.enrolment.functionals_statistics(list(names))
        if statistics is None and not fusion.active("utterance"):
            return out_prob
        with torch.no_grad():
            return fusion(out_prob, fusion.extract(wavs, wav_lens), statistics)

    def dimensions_on(self, dimensions: bool | None) -> bool:
        """Whether to compute the dimensions (None: when the model has them).

        Asking for them from a model without a regressor is refused in one
        line.
        """
        available = bool(self.classifier.dimension_names)
        if dimensions and not available:
            raise ValueError(
                "this model predicts classes only (its folder has no regressor): "
                "train it with dimension_weight > 0 (docs/dimensional.md) to "
                "predict arousal, valence and dominance"
            )
        return available if dimensions is None else dimensions

    def speech_outputs(
        self,
        path: str | os.PathLike,
        labels: Sequence[str] | None = None,
        speaker: str | None = None,
        gate: bool | None = None,
    ) -> torch.Tensor:
        """``(1, classes)`` log-probabilities of a file, as ``classify_file``.

        Its warnings are issued; a file without speech raises
        :class:`~speechbrain_lstm_ser.inference.checks.NoSpeechError`.
        """
        found = self.file_outputs(path, labels, speaker, gate, dimensions=False)
        for note in found.warnings:
            warnings.warn(note, AudioWarning, stacklevel=3)
        if found.out_prob is None:
            raise NoSpeechError(path, found.speech.reason, NO_SPEECH_FIX)
        return found.out_prob

    def file_outputs(
        self,
        path: str | os.PathLike,
        labels: Sequence[str] | None = None,
        speaker: str | None = None,
        gate: bool | None = None,
        dimensions: bool | None = None,
    ) -> FileOutputs:
        """The model's :class:`FileOutputs` for one file, from one encoder pass.

        The reading of ``classify_file`` and :meth:`file` (the same
        arguments); files longer than the classifier's ``max_duration`` go
        through its ``timelines``. ``dimensions`` as for the classifier's
        ``outputs`` (default: when the model has a regressor).
        """
        model = self.classifier
        if labels is not None:
            model.allowed_classes(labels)  # a wrong name fails before any work
        gate = model.gate_speech if gate is None else gate
        dimensions = self.dimensions_on(dimensions)
        local, duration = model.audio_file(path)
        if duration > model.max_duration:
            return model.timelines.long_file(
                path, local, labels, speaker, gate, dimensions
            )
        wav, notes = model.read_checked(path)
        found = model.speech_gate(wav) if gate else SpeechCheck(True, float("nan"))
        out_prob = dims = None
        if found.speech:
            wav = wav.unsqueeze(0).to(model.device)
            out_prob, dims = self.outputs(
                wav, torch.ones(1), labels, speaker, dimensions=dimensions
            )
        return FileOutputs(out_prob, dims, found, notes)

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

        With a dimensional model each :class:`Prediction` has its
        ``dimensions``, from the same encoder pass. The waveforms are
        checked as in ``classify_batch`` (a bad one raises ``AudioError``
        naming it); then the rows in which the speech
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
            out_prob, dims = self.outputs(
                kept, lens, labels, speaker=speaker, reference=reference
            )
            rows = [None] * len(keep) if dims is None else dims
            for i, row, dim in zip(keep, out_prob, rows, strict=True):
                results[i] = self.prediction(row, dimensions=dim)
        return results

    def prediction(
        self,
        out_prob: torch.Tensor | None,
        notes=(),
        dimensions: torch.Tensor | None = None,
    ) -> Prediction:
        """A :class:`Prediction` from one row of log-probabilities.

        A model of the dimensions alone (its classifier untrained) gets no
        label, score or probabilities.

        Arguments
        ---------
        out_prob : torch.Tensor or None
            ``(classes,)`` log-probabilities (unused, and may be None, for a
            model of the dimensions alone).
        notes : iterable of str
            The clip's warnings.
        dimensions : torch.Tensor, optional
            ``(dims,)`` the regressor's output for the clip.

        Returns
        -------
        Prediction
        """
        named = named_dimensions(dimensions, self.classifier.dimension_names)
        if not self.classifier.classifier_trained:
            return Prediction(None, None, None, True, None, tuple(notes), named)
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
            named,
        )
