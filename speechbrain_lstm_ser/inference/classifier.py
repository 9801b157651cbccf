"""Utterance classification with a trained model: files, batches, long recordings.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import logging
import math
import os
import warnings
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import NamedTuple

import torch

from speechbrain_lstm_ser.dataio.audio import (
    audio_info,
    pad_waveforms,
    read_audio,
)
from speechbrain_lstm_ser.inference.checks import (
    SILENCE_PEAK,
    AudioWarning,
    NoSpeechError,
    SpeechCheck,
    SpeechGate,
    check_waveforms,
    positive_seconds,
    recording_warnings,
)
from speechbrain_lstm_ser.inference.interface import AudioInterface
from speechbrain_lstm_ser.nnet.models import UtteranceClassifierModel
from speechbrain_lstm_ser.nnet.normalization import SpeakerReferences, reference_mode
from speechbrain_lstm_ser.processing.level import CLIPPING_WARN_SHARE, clipped_share
from speechbrain_lstm_ser.processing.vad import EnergyVAD, default_vad

__all__ = ["SILENCE_PEAK", "Prediction", "TimelineSegment", "UtteranceClassifier"]

logger = logging.getLogger(__name__)


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


_NO_SPEECH_FIX = (
    "is it speech? gate=False (sb-lstm-ser --no-speech-gate) classifies it anyway"
)


class TimelineSegment(NamedTuple):
    """One window of a long recording: where it is and what it sounds like."""

    start: float
    end: float
    label: str
    score: float
    probabilities: torch.Tensor | None = None


class UtteranceClassifier(AudioInterface):
    """Classifies utterances (emotions, spoken commands), from a folder or the Hub.

    The same return convention as SpeechBrain's ``EncoderClassifier``:
    ``(out_prob, score, index, text_lab)`` with ``out_prob`` the class
    log-probabilities ``(batch, classes)``, ``score`` the best
    log-probability, ``index`` its class index and ``text_lab`` the labels.

    The forward pass is the folder's
    :class:`~speechbrain_lstm_ser.nnet.models.UtteranceClassifierModel`
    (``self.model``), after the waveform pre-processing of training.

    ``labels=[...]`` (``classify_batch``, ``classify_file``, ``timeline``)
    restricts the output to a subset of the classes: the probabilities are
    renormalised over the allowed classes (``p_i / sum of the allowed p_j``),
    the others get probability 0 (log-probability ``-inf``), and the best
    class is one of the allowed ones. Indices stay those of the full class
    list (:attr:`labels`).

    A model trained with speaker normalisation (``normalization_reference:
    speaker``) measures each utterance against its speaker's baseline. Give
    it the speaker three ways: :meth:`enrol` a few clips of a speaker, then
    ``classify_file(path, speaker=...)``; the ``sb-lstm-ser predict
    --speakers list.csv`` command (a CSV of ``path,speaker``: each speaker
    enrolled with all of their files); or ``timeline(path, adapt=True)``,
    whose reference is the running statistics of the recording so far.
    Without any, each utterance is its own reference (the model card's
    single-utterance accuracy), which is said once in the log.

    Example
    -------
    >>> model = UtteranceClassifier.from_hparams(  # doctest: +SKIP
    ...     source="results/emotion_lstm/1986/model", savedir="pretrained/ser")
    >>> out_prob, score, index, label = model.classify_file(  # doctest: +SKIP
    ...     "speech.wav")
    """

    MODEL_CLASS = UtteranceClassifierModel
    MODULES_NEEDED = list(UtteranceClassifierModel.MODULES)
    HPARAMS_NEEDED = ["sample_rate", "label_encoder"]
    #: Whether clips are checked for speech before they are classified (see
    #: :class:`~speechbrain_lstm_ser.inference.checks.SpeechGate`); each call
    #: takes ``gate=`` to override it.
    gate_speech = True
    #: Longer files are classified window by window (seconds).
    max_duration = 60.0
    #: Window length for long files (seconds).
    long_window = 3.0

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        encoder = self.hparams.label_encoder
        expected = getattr(self.model.classifier, "num_classes", len(encoder))
        if len(encoder) != expected:
            raise ValueError(
                f"the label encoder has {len(encoder)} classes but the classifier "
                f"outputs {expected}: the model folder is inconsistent"
            )
        encoder.ignore_len()
        #: Statistics of enrolled speakers' clips (see :meth:`enrol`).
        self.speakers = SpeakerReferences()
        self._noted_no_speaker = False
        #: The speech gate (its detector is loaded on first use).
        self.speech_gate = SpeechGate(self.sample_rate)

    @property
    def speaker_normalized(self) -> bool:
        """Whether the model was trained to measure utterances against a speaker."""
        setting = getattr(self.hparams, "normalization_reference", None)
        return reference_mode(self.model, setting) == "speaker"

    def enrol(self, speaker: str, files: Iterable[str | os.PathLike]) -> int:
        """Adds clips of a speaker to that speaker's reference.

        Any speech of the speaker, recorded as the clips to classify will be
        (same microphone and gain); the labels do not matter. More clips make
        a steadier baseline (the model card gives the accuracy with 1, 3, 5
        and 10). Calling it again adds clips. All or nothing: every clip is
        read and checked (readable, long enough, not silent, speech when the
        speech gate is on) before any is added, so a failed call leaves the
        speaker as it was.

        Arguments
        ---------
        speaker : str
            A name for the speaker, then passed as ``speaker=``.
        files : iterable of path
            Audio files (local, or ``owner/repo/file`` on the Hub).

        Returns
        -------
        int
            The number of clips the speaker now has.

        Raises
        ------
        ValueError
            When the model takes no reference (no ``reference_norm``), or no
            file is given.
        AudioError
            For a file that cannot be read or holds no speech (nothing is
            added).
        """
        files = [files] if isinstance(files, (str, os.PathLike)) else list(files)
        self._check_enrolment(speaker, files)
        wavs = [self._read_checked(path, gate=self.gate_speech) for path in files]
        return self.enrol_waveforms(speaker, wavs)

    def _check_enrolment(self, speaker: str, clips: list) -> None:
        if self.model.reference_norm is None:
            raise ValueError(
                "this model has no reference normalisation (reference_norm): "
                "it cannot use enrolment clips"
            )
        if not isinstance(speaker, str) or not speaker.strip():
            raise ValueError(f"speaker must be a non-empty name, got {speaker!r}")
        if not clips:
            raise ValueError(
                f"enrol({speaker!r}, []): no clip given; give at least one audio "
                "file of the speaker"
            )

    def enrol_waveforms(self, speaker: str, wavs: Iterable[torch.Tensor]) -> int:
        """:meth:`enrol` from ``(time,)`` waveforms at the model's sample rate.

        Arguments
        ---------
        speaker : str
            A name for the speaker.
        wavs : iterable of torch.Tensor
            ``(time,)`` waveforms.

        Returns
        -------
        int
            The number of clips the speaker now has.

        Raises
        ------
        ValueError
            As :meth:`enrol`; a bad waveform raises ``AudioError`` naming
            ``clip[i]``, and nothing is added.
        """
        wavs = list(wavs)
        self._check_enrolment(speaker, wavs)
        statistics = []
        for i, wav in enumerate(wavs):
            wav, _ = check_waveforms(
                wav, None, self.sample_rate, self.min_duration, [f"clip[{i}]"]
            )
            if wav.shape[0] != 1:
                raise ValueError(f"clip[{i}]: one (time,) waveform per clip")
            statistics.append(self.clip_statistics(wav[0]))
        for total, count in statistics:  # all checked: now commit
            clip = f"{speaker}/{len(self.speakers)}"
            self.speakers.add(clip, speaker, total, count)
        return len(self.speakers.utterances(speaker))

    def clip_statistics(self, wav: torch.Tensor) -> tuple[torch.Tensor, float]:
        """One clip's reference statistics, pre-processed as in training.

        Arguments
        ---------
        wav : torch.Tensor
            ``(time,)`` waveform at the model's sample rate.

        Returns
        -------
        total : torch.Tensor
            ``(channels,)``: the sum of its counted frames.
        count : float
            How many frames were counted.
        """
        prepared = self.prepare_batch(wav.reshape(1, -1), torch.ones(1))
        with torch.no_grad():
            total, count = self.model.reference_statistics(*prepared)
        return total[0], float(count[0])

    def forget(self) -> None:
        """Forgets every enrolled speaker."""
        self.speakers = SpeakerReferences()

    def speaker_reference(self, speakers: str | Sequence[str], batch: int):
        """``(batch, channels)`` references of enrolled speakers.

        Arguments
        ---------
        speakers : str or sequence of str
            One speaker for the whole batch, or one per waveform.
        batch : int
            The batch size.

        Returns
        -------
        torch.Tensor
        """
        if isinstance(speakers, str):
            speakers = [speakers] * batch
        if len(speakers) != batch:
            raise ValueError(f"{len(speakers)} speakers for {batch} waveforms")
        unknown = sorted({s for s in speakers if s not in self.speakers.speakers})
        if unknown:
            raise ValueError(
                f"speaker(s) {unknown} not enrolled: call enrol(speaker, files) first"
            )
        return self.speakers.batch_reference(speakers).to(self.device)

    def _note_no_speaker(self) -> None:
        if self.speaker_normalized and not self._noted_no_speaker:
            self._noted_no_speaker = True
            logger.warning(
                "This model was trained with speaker normalisation, and no "
                "speaker was given: each utterance is its own reference (the "
                "model card's single-utterance accuracy). Enrol the speaker "
                "(enrol(speaker, files), then speaker=...) for the "
                "speaker-normalised accuracy."
            )

    def read_checked(
        self, path: str | os.PathLike
    ) -> tuple[torch.Tensor, tuple[str, ...]]:
        """A file's checked waveform and its warnings (no speech gate).

        The one reading of a file for every path that classifies files (one
        at a time, batched, served): refused (``AudioError`` naming
        ``path``) as :func:`check_waveforms` refuses a waveform; clipping is
        logged; narrowband audio and truncated files are warnings.

        Arguments
        ---------
        path : str or os.PathLike
            A local file, or ``owner/repo/file`` on the Hub.

        Returns
        -------
        wav : torch.Tensor
            ``(time,)`` on the CPU, at the model's sample rate.
        warnings : tuple of str
            One line per warning, each naming the file.
        """
        local, _ = self.audio_file(path)
        info = audio_info(local)
        wav = read_audio(local, self.sample_rate)
        check_waveforms(wav, None, self.sample_rate, self.min_duration, [str(path)])
        share = clipped_share(wav)
        if share > CLIPPING_WARN_SHARE:
            logger.warning(
                f"{path}: {share:.1%} of the samples are clipped (at full scale): "
                "the distortion can look like a tense voice; lower the recording "
                "gain and record again if you can"
            )
        notes = recording_warnings(
            path, info.sample_rate, wav, self.sample_rate, info.frames, local
        )
        return wav, tuple(notes)

    def _read_checked(
        self, path: str | os.PathLike, gate: bool = False
    ) -> torch.Tensor:
        """:meth:`read_checked` on the model's device; no speech refused (``gate``)."""
        wav, _ = self.read_checked(path)
        if gate:
            found = self.speech_gate(wav)
            if not found.speech:
                raise NoSpeechError(path, found.reason, _NO_SPEECH_FIX)
        return wav.to(self.device)

    def encode_batch(
        self, wavs: torch.Tensor, wav_lens: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Utterance embeddings ``(batch, 1, features)`` (the pooled encoder output).

        Arguments
        ---------
        wavs : torch.Tensor
            ``(batch, time)`` waveforms at the model's sample rate.
        wav_lens : torch.Tensor, optional
            ``(batch,)`` relative lengths.

        Returns
        -------
        torch.Tensor
        """
        wavs, wav_lens = self.prepare_batch(wavs, wav_lens)
        with torch.no_grad():
            return self.model.embed(wavs, wav_lens)

    def allowed_classes(self, labels: Sequence[str]) -> torch.Tensor:
        """The mask of a subset of the classes.

        Arguments
        ---------
        labels : sequence of str
            Class names of this model.

        Returns
        -------
        torch.Tensor
            ``(classes,)`` booleans, True for the allowed classes.

        Raises
        ------
        ValueError
            For an empty subset or a name that is not a class of the model.
        """
        if isinstance(labels, str) or not all(isinstance(x, str) for x in labels):
            raise ValueError(
                f"labels must be a list of class names, e.g. ['happy', 'sad'], got "
                f"{labels!r}"
            )
        known = self.labels
        unknown = [label for label in labels if label not in known]
        if unknown or not labels:
            raise ValueError(
                f"labels {unknown or '[]'}: give classes of this model, among {known}"
            )
        mask = torch.zeros(len(known), dtype=torch.bool)
        mask[[known.index(label) for label in labels]] = True
        return mask

    def restrict(self, out_prob: torch.Tensor, labels: Sequence[str]) -> torch.Tensor:
        """Log-probabilities renormalised over a subset of the classes.

        Arguments
        ---------
        out_prob : torch.Tensor
            ``(batch, classes)`` log-probabilities.
        labels : sequence of str
            The allowed classes.

        Returns
        -------
        torch.Tensor
            ``(batch, classes)``: ``log(p_i / sum of the allowed p_j)`` for the
            allowed classes, ``-inf`` for the others.
        """
        mask = self.allowed_classes(labels).to(out_prob.device)
        return torch.log_softmax(out_prob.masked_fill(~mask, float("-inf")), dim=-1)

    def classify_batch(
        self,
        wavs: torch.Tensor,
        wav_lens: torch.Tensor | None = None,
        labels: Sequence[str] | None = None,
        speaker: str | Sequence[str] | None = None,
        reference: torch.Tensor | None = None,
        gate: bool = False,
    ):
        """Classifies a batch of waveforms.

        The waveforms are checked first, as files are
        (:func:`~speechbrain_lstm_ser.inference.checks.check_waveforms`: a
        wrong shape, relative lengths out of (0, 1], NaN or infinite samples,
        waveforms shorter than :attr:`min_duration` or digitally silent raise
        ``AudioError`` naming ``wavs[i]``). This is the model on tensors:
        the speech gate is off unless ``gate=True`` (then a row without
        speech raises :class:`~speechbrain_lstm_ser.inference.checks.NoSpeechError`);
        :meth:`predict_batch` gives a "no speech" answer per row instead.

        Arguments
        ---------
        wavs : torch.Tensor
            ``(batch, time)`` waveforms at the model's sample rate.
        wav_lens : torch.Tensor, optional
            ``(batch,)`` relative lengths.
        labels : sequence of str, optional
            Only these classes: probabilities renormalised over them (see
            :meth:`restrict`).
        speaker : str or sequence of str, optional
            Enrolled speaker(s) (see :meth:`enrol`): the reference of a
            speaker-normalised model.
        reference : torch.Tensor, optional
            ``(batch, channels)`` reference means, instead of ``speaker``.
        gate : bool
            Refuse rows without speech (:class:`NoSpeechError`).

        Returns
        -------
        out_prob : torch.Tensor
            ``(batch, classes)`` log-probabilities.
        score : torch.Tensor
            ``(batch,)`` log-probability of the best class.
        index : torch.Tensor
            ``(batch,)`` index of the best class.
        text_lab : list of str
            The best class names.
        """
        if labels is not None:
            self.allowed_classes(labels)
        wavs, wav_lens = check_waveforms(
            wavs, wav_lens, self.sample_rate, self.min_duration
        )
        if gate:
            for i, found in enumerate(self.speech_gate.batch(wavs, wav_lens)):
                if not found.speech:
                    raise NoSpeechError(f"wavs[{i}]", found.reason, _NO_SPEECH_FIX)
        wavs, wav_lens = self.prepare_batch(wavs, wav_lens)
        if speaker is not None:
            reference = self.speaker_reference(speaker, wavs.shape[0])
        elif reference is None:
            self._note_no_speaker()
        with torch.no_grad():
            out_prob = self.model(wavs, wav_lens, reference=reference).squeeze(1)
        if labels is not None:
            out_prob = self.restrict(out_prob, labels)
        score, index = torch.max(out_prob, dim=-1)
        text_lab = self.hparams.label_encoder.decode_torch(index)
        return out_prob, score, index, text_lab

    def classify_file(
        self,
        path: str | os.PathLike,
        labels: Sequence[str] | None = None,
        speaker: str | None = None,
        gate: bool | None = None,
    ):
        """Classifies one audio file (any sample rate, any channel count).

        A file longer than ``max_duration`` seconds is classified window by
        window (see :meth:`timeline`) and the probabilities of its speech
        windows are averaged, so memory stays bounded. A file that cannot be
        used (unreadable, digital silence, shorter than ``min_duration``, see
        :func:`~speechbrain_lstm_ser.inference.checks.check_waveforms`)
        raises :class:`~speechbrain_lstm_ser.dataio.audio.AudioError`; a file
        in which the speech gate finds no speech raises its subclass
        :class:`~speechbrain_lstm_ser.inference.checks.NoSpeechError`
        (SpeechBrain's tuple has no place for "no speech"; :meth:`predict_file`
        returns it as a value). Narrowband and truncated files are classified
        with an :class:`~speechbrain_lstm_ser.inference.checks.AudioWarning`.

        Arguments
        ---------
        path : str or os.PathLike
            A local file, or ``owner/repo/file`` on the Hub.
        labels : sequence of str, optional
            Only these classes (see :meth:`restrict`).
        speaker : str, optional
            An enrolled speaker (see :meth:`enrol`).
        gate : bool, optional
            Check for speech first (default: :attr:`gate_speech`).

        Returns
        -------
        See :meth:`classify_batch` (a batch of one).
        """
        out_prob, found, _ = self._file_outputs(path, labels, speaker, gate)
        if out_prob is None:
            raise NoSpeechError(path, found.reason, _NO_SPEECH_FIX)
        score, index = torch.max(out_prob, dim=-1)
        return out_prob, score, index, self.hparams.label_encoder.decode_torch(index)

    def predict_file(
        self,
        path: str | os.PathLike,
        labels: Sequence[str] | None = None,
        speaker: str | None = None,
        gate: bool | None = None,
    ) -> Prediction:
        """The class of one audio file, or "no speech", with the file's warnings.

        What ``sb-lstm-ser predict`` prints for each file. As
        :meth:`classify_file`, except that a file without speech gives a
        :class:`Prediction` with ``label=None, speech=False`` and the reason,
        not an error: a batch run over many files gets one answer per file.
        Files that cannot be used still raise ``AudioError``.

        Arguments
        ---------
        path : str or os.PathLike
            A local file, or ``owner/repo/file`` on the Hub.
        labels : sequence of str, optional
            Only these classes (see :meth:`restrict`).
        speaker : str, optional
            An enrolled speaker (see :meth:`enrol`).
        gate : bool, optional
            Check for speech first (default: :attr:`gate_speech`).

        Returns
        -------
        Prediction
        """
        out_prob, found, notes = self._file_outputs(path, labels, speaker, gate)
        if out_prob is None:
            return Prediction(None, None, None, False, found.reason, notes)
        return self._prediction(out_prob[0], notes)

    def _file_outputs(self, path, labels, speaker, gate):
        """``(out_prob or None, SpeechCheck, warnings)`` of one file."""
        if labels is not None:
            self.allowed_classes(labels)  # a wrong name fails before any work
        gate = self.gate_speech if gate is None else gate
        local, duration = self.audio_file(path)
        if duration > self.max_duration:
            info = audio_info(local)
            out_prob = self._classify_long(local, labels, speaker, gate)
            found = SpeechCheck(out_prob is not None, float("nan"))
            if out_prob is None:
                found = found._replace(reason="no speech found in the recording")
            notes = tuple(
                recording_warnings(
                    path, info.sample_rate, None, self.sample_rate, info.frames, local
                )
            )
        else:
            wav, notes = self.read_checked(path)
            found = self.speech_gate(wav) if gate else SpeechCheck(True, float("nan"))
            out_prob = None
            if found.speech:
                out_prob = self.classify_batch(
                    wav.unsqueeze(0).to(self.device),
                    torch.ones(1),
                    labels,
                    speaker=speaker,
                )[0]
        for note in notes:
            warnings.warn(note, AudioWarning, stacklevel=3)
        return out_prob, found, notes

    def _prediction(self, out_prob: torch.Tensor, notes=()) -> Prediction:
        """A :class:`Prediction` from one row of log-probabilities."""
        probs = out_prob.exp().cpu().tolist()
        best = max(range(len(probs)), key=probs.__getitem__)
        return Prediction(
            self.labels[best],
            probs[best],
            dict(zip(self.labels, probs, strict=True)),
            True,
            None,
            tuple(notes),
        )

    def predict_batch(
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

        The waveforms are checked as in :meth:`classify_batch` (a bad one
        raises ``AudioError`` naming it); then the rows in which the speech
        gate finds no speech get ``Prediction(label=None, speech=False,
        reason=...)`` and the others are classified together. The entry
        point for batched and served inference.

        Arguments
        ---------
        wavs : torch.Tensor
            ``(batch, time)`` waveforms at the model's sample rate.
        wav_lens : torch.Tensor, optional
            ``(batch,)`` relative lengths.
        labels : sequence of str, optional
            Only these classes (see :meth:`restrict`).
        speaker : str or sequence of str, optional
            Enrolled speaker(s) (see :meth:`enrol`).
        reference : torch.Tensor, optional
            ``(batch, channels)`` reference means, instead of ``speaker``.
        gate : bool, optional
            Check for speech first (default: :attr:`gate_speech`).
        names : sequence of str, optional
            What to call each row in errors (e.g. file names).

        Returns
        -------
        list of Prediction
            In batch order.
        """
        if labels is not None:
            self.allowed_classes(labels)
        wavs, wav_lens = check_waveforms(
            wavs, wav_lens, self.sample_rate, self.min_duration, names
        )
        batch, time = wavs.shape
        if not isinstance(speaker, (str, type(None))) and len(speaker) != batch:
            raise ValueError(f"{len(speaker)} speakers for {batch} waveforms")
        gate = self.gate_speech if gate is None else gate
        found = (
            self.speech_gate.batch(wavs, wav_lens)
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
            out_prob = self.classify_batch(
                kept, lens, labels, speaker=speaker, reference=reference
            )[0]
            for i, row in zip(keep, out_prob, strict=True):
                results[i] = self._prediction(row)
        return results

    def _classify_long(
        self,
        path: Path,
        labels: Sequence[str] | None = None,
        speaker: str | None = None,
        gate: bool = True,
    ) -> torch.Tensor | None:
        """The mean class probabilities of a long file's speech windows (log).

        None when no window holds speech (``gate=False``: every window that
        is not digital silence is classified).
        """
        windows = self._timeline(
            path,
            self.long_window,
            self.long_window,
            8,
            None,
            0.3 if gate else 0.0,
            labels,
            speaker,
            speaker is None,
        )
        if not windows:
            return None
        probs = torch.stack([w.probabilities for w in windows]).mean(dim=0)
        return probs.log().unsqueeze(0)

    def forward(self, wavs: torch.Tensor, wav_lens: torch.Tensor | None = None):
        """Runs :meth:`classify_batch`."""
        return self.classify_batch(wavs, wav_lens)

    @property
    def labels(self) -> list[str]:
        """Class names in output order."""
        encoder = self.hparams.label_encoder
        return [encoder.ind2lab[i] for i in range(len(encoder))]

    def timeline(
        self,
        path: str | os.PathLike,
        window: float = 3.0,
        hop: float = 1.5,
        batch_size: int = 8,
        vad: EnergyVAD | None = None,
        min_speech_ratio: float = 0.3,
        labels: Sequence[str] | None = None,
        speaker: str | None = None,
        adapt: bool = False,
    ) -> list[TimelineSegment]:
        """The class (emotion, command, ...) over time in a long recording.

        Window by window, each classified as :meth:`classify_batch` does.
        The file is streamed: only ``batch_size`` windows are in memory at
        once, whatever its length. Windows where less than
        ``min_speech_ratio`` of the frames are speech are skipped.

        Arguments
        ---------
        path : str or os.PathLike
            The recording.
        window : float
            Window length in seconds.
        hop : float
            Step between window starts in seconds.
        batch_size : int
            Windows classified together.
        vad : EnergyVAD, optional
            Speech detector (default: Silero VAD, see
            :func:`~speechbrain_lstm_ser.processing.vad.default_vad`;
            ``EnergyVAD()`` for the energy threshold).
        min_speech_ratio : float
            Share of speech frames a window needs to be classified.
        labels : sequence of str, optional
            Only these classes (see :meth:`restrict`).
        speaker : str, optional
            An enrolled speaker (see :meth:`enrol`) whose reference every
            window uses.
        adapt : bool
            Statistics that adapt over the recording: each window's reference
            is the speech of all the windows classified so far, this one
            included (causal; a speaker-normalised model's baseline settles
            as the recording goes on). Ignored when ``speaker`` is given.

        Returns
        -------
        list of TimelineSegment
            ``(start, end, label, score)`` with ``score`` the probability of
            ``label``, in time order; empty when no window holds speech.

        Raises
        ------
        ValueError
            For a window or hop that is not a positive number of seconds, a
            batch size under 1, a ``min_speech_ratio`` outside [0, 1].
        AudioError
            For a file that cannot be read.
        """
        info = self._check_timeline(path, window, hop, batch_size, min_speech_ratio)
        for note in recording_warnings(
            path, info.sample_rate, None, self.sample_rate, info.frames
        ):
            warnings.warn(note, AudioWarning, stacklevel=2)
        return self._timeline(
            path, window, hop, batch_size, vad, min_speech_ratio, labels, speaker, adapt
        )

    def _check_timeline(self, path, window, hop, batch_size, min_speech_ratio):
        """The file's header, once the timeline's arguments are checked."""
        positive_seconds(window, "window")
        positive_seconds(hop, "hop")
        if isinstance(batch_size, bool) or not isinstance(batch_size, int):
            raise ValueError(f"batch_size must be an integer, got {batch_size!r}")
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        if not 0.0 <= min_speech_ratio <= 1.0:
            raise ValueError(
                f"min_speech_ratio must be in [0, 1], got {min_speech_ratio}"
            )
        return audio_info(path)

    def _timeline(
        self,
        path,
        window,
        hop,
        batch_size,
        vad,
        min_speech_ratio,
        labels,
        speaker,
        adapt,
    ) -> list[TimelineSegment]:
        """:meth:`timeline` without its checks and warnings."""
        if labels is not None:
            self.allowed_classes(labels)
        vad = vad or default_vad(sample_rate=self.sample_rate)
        duration = audio_info(path).duration
        count = max(1, math.ceil(max(0.0, duration - window) / hop) + 1)
        results: list[TimelineSegment] = []
        batch: list[tuple[float, float, torch.Tensor]] = []
        adapt = adapt and speaker is None and self.model.reference_norm is not None
        running = [0.0, 0.0]  # the sum and count of all windows so far

        def running_reference(wavs, lens):
            prepared = self.prepare_batch(wavs, lens)
            with torch.no_grad():
                total, count = self.model.reference_statistics(*prepared)
            rows = []
            for i in range(total.shape[0]):
                running[0] = running[0] + total[i]
                running[1] = running[1] + float(count[i])
                rows.append(running[0] / running[1])
            return torch.stack(rows)

        def flush():
            if not batch:
                return
            wavs, lens = pad_waveforms([wav for _, _, wav in batch])
            reference = running_reference(wavs, lens) if adapt else None
            out_prob, _, _, names = self.classify_batch(
                wavs, lens, labels, speaker=speaker, reference=reference
            )
            dist = out_prob.exp().cpu()
            for (start, end, _), label, row in zip(batch, names, dist, strict=True):
                results.append(
                    TimelineSegment(start, end, label, float(row.max()), row)
                )
            batch.clear()

        for k in range(count):
            start = k * hop
            if k and start >= duration:
                break  # (duration - window) not a multiple of hop
            end = min(duration, start + window)
            wav = read_audio(path, self.sample_rate, start=start, stop=end)
            if (
                wav.numel() < self.min_duration * self.sample_rate
                or wav.abs().max() < SILENCE_PEAK
                or vad.speech_ratio(wav) < min_speech_ratio
            ):
                continue  # what classify_batch would refuse, and no speech
            batch.append((round(start, 3), round(end, 3), wav))
            if len(batch) == batch_size:
                flush()
        flush()
        return results
