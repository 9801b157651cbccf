"""Utterance classification with a trained model: files, batches, long recordings.

:class:`UtteranceClassifier` classifies; its collaborators do the rest:
:class:`~speechbrain_lstm_ser.inference.enrolment.SpeakerEnrolment` keeps
the enrolled speakers, :class:`~speechbrain_lstm_ser.inference.timeline.Timeline`
windows long recordings, :mod:`~speechbrain_lstm_ser.inference.class_subset`
restricts the output to some classes, and
:mod:`~speechbrain_lstm_ser.inference.checks` checks the input.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Sequence

import torch

from speechbrain_lstm_ser.dataio.manifest import DIMENSIONS
from speechbrain_lstm_ser.hub.legacy import CLASSIFIER_TRAINED, folder_setting
from speechbrain_lstm_ser.inference.checks import (
    SILENCE_PEAK,
    SpeechGate,
)
from speechbrain_lstm_ser.inference.class_subset import class_mask, restrict_classes
from speechbrain_lstm_ser.inference.enrolment import SpeakerEnrolment
from speechbrain_lstm_ser.inference.interface import AudioInterface
from speechbrain_lstm_ser.inference.prediction import Prediction, Predictor
from speechbrain_lstm_ser.inference.timeline import Timeline, TimelineSegment
from speechbrain_lstm_ser.nnet.models import UtteranceClassifierModel
from speechbrain_lstm_ser.nnet.normalization import SpeakerReferences, reference_mode
from speechbrain_lstm_ser.processing.vad import EnergyVAD

__all__ = ["SILENCE_PEAK", "Prediction", "TimelineSegment", "UtteranceClassifier"]

logger = logging.getLogger(__name__)

#: What a model trained on its dimensions alone is, in its log line and errors.
DIMENSIONS_ONLY = (
    "was trained for arousal, valence and dominance only (category_weight: 0; "
    "its classifier is untrained)"
)


class UtteranceClassifier(AudioInterface):
    """Classifies utterances (emotions, spoken commands), from a folder or the Hub.

    The same return convention as SpeechBrain's ``EncoderClassifier``:
    ``(out_prob, score, index, text_lab)`` with ``out_prob`` the class
    log-probabilities ``(batch, classes)``, ``score`` the best
    log-probability, ``index`` its class index and ``text_lab`` the labels.
    The forward pass is the folder's
    :class:`~speechbrain_lstm_ser.nnet.models.UtteranceClassifierModel`
    (``self.model``), after the waveform pre-processing of training.

    ``labels=[...]`` restricts the output to a subset of the classes (see
    :mod:`~speechbrain_lstm_ser.inference.class_subset`); indices stay those
    of :attr:`labels`. A speaker-normalised model (``normalization_reference:
    speaker``) measures each utterance against its speaker: :meth:`enrol`
    clips of the speaker, then ``speaker=...`` (:attr:`enrolment`); or
    ``timeline(path, adapt=True)`` (:attr:`timelines`). Without either, each
    utterance is its own reference, which is said once in the log.

    A model with a regressor (``docs/dimensional.md``) also gives its
    :attr:`dimension_names` beside the label (``Prediction.dimensions``,
    ``TimelineSegment.dimensions``, :meth:`outputs`). A model trained on
    them alone (its folder says ``classifier_trained: false``:
    :attr:`classifier_trained`) gives them with a label of None, says so
    once in the log when it loads, and refuses :meth:`classify_file` and
    :meth:`classify_batch` (SpeechBrain's tuple is a label).

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
        if not self.classifier_trained and not self.dimension_names:
            raise ValueError(
                "the model folder says classifier_trained: false but has no "
                "regressor: nothing of it was trained; export it again"
            )
        #: The enrolled speakers (see :meth:`enrol`).
        self.enrolment = SpeakerEnrolment(self)
        #: Long recordings, window by window (see :meth:`timeline`).
        self.timelines = Timeline(self)
        #: Answers per clip, "no speech" included (see :meth:`predict_file`).
        self.predictor = Predictor(self)
        #: The speech gate (its detector is loaded on first use).
        self.speech_gate = SpeechGate(self.sample_rate)

    @classmethod
    def from_hparams(cls, source, *args, **kwargs):
        """Loads a model folder or Hub repo (see ``AudioInterface.from_hparams``).

        A model trained on its dimensions alone says so in one log line.
        """
        model = super().from_hparams(source, *args, **kwargs)
        if not model.classifier_trained:
            logger.warning(
                f"{model.source} {DIMENSIONS_ONLY}: its predictions give the "
                "dimensions and no label"
            )
        return model

    @property
    def classifier_trained(self) -> bool:
        """Whether the classifier was trained (False: the dimensions alone).

        The folder's ``classifier_trained`` (folders written before the key
        existed: True, see :data:`~speechbrain_lstm_ser.hub.legacy.FOLDER_DEFAULTS`).
        """
        return bool(folder_setting(self.hparams, CLASSIFIER_TRAINED))

    def require_classes(self, call: str) -> None:
        """Refuses ``call``, which answers a label, for a model without trained classes.

        Arguments
        ---------
        call : str
            The method's name, for the message.
        """
        if not self.classifier_trained:
            raise ValueError(
                f"{self.source} {DIMENSIONS_ONLY}, so {call} has no label to give: "
                "use predict_file or predict_batch (their .dimensions) or outputs(); "
                "for labels, train with category_weight > 0"
            )

    @property
    def labels(self) -> list[str]:
        """Class names in output order."""
        encoder = self.hparams.label_encoder
        return [encoder.ind2lab[i] for i in range(len(encoder))]

    @property
    def dimension_names(self) -> tuple[str, ...]:
        """The regressor's outputs, each in [0, 1] (arousal, valence, dominance)."""
        regressor = getattr(self.model, "regressor", None)
        return () if regressor is None else DIMENSIONS[: regressor.num_dimensions]

    @property
    def speaker_normalized(self) -> bool:
        """Whether the model was trained to measure utterances against a speaker."""
        setting = getattr(self.hparams, "normalization_reference", None)
        return reference_mode(self.model, setting) == "speaker"

    @property
    def speakers(self) -> SpeakerReferences:
        """The statistics of the enrolled speakers' clips."""
        return self.enrolment.references

    def enrol(self, speaker: str, files: Iterable[str | os.PathLike]) -> int:
        """Adds clips of a speaker to that speaker's reference (all or nothing).

        See :meth:`~speechbrain_lstm_ser.inference.enrolment.SpeakerEnrolment.enrol`;
        returns the number of clips the speaker now has.
        """
        return self.enrolment.enrol(speaker, files)

    def enrol_waveforms(self, speaker: str, wavs: Iterable[torch.Tensor]) -> int:
        """:meth:`enrol` from ``(time,)`` waveforms at the model's sample rate."""
        return self.enrolment.enrol_waveforms(speaker, wavs)

    def forget(self) -> None:
        """Forgets every enrolled speaker."""
        self.enrolment.forget()

    def speaker_reference(self, speakers: str | Sequence[str], batch: int):
        """``(batch, channels)`` references of enrolled speakers."""
        return self.enrolment.reference(speakers, batch)

    def clip_statistics(self, wav: torch.Tensor) -> tuple[torch.Tensor, float]:
        """One ``(time,)`` clip's reference statistics: ``(total, count)``."""
        total, count = self.enrolment.statistics(wav.reshape(1, -1), torch.ones(1))
        return total[0], float(count[0])

    def allowed_classes(self, labels: Sequence[str]) -> torch.Tensor:
        """``(classes,)`` mask of a subset of the classes (see ``class_mask``)."""
        return class_mask(labels, self.labels)

    def restrict(self, out_prob: torch.Tensor, labels: Sequence[str]) -> torch.Tensor:
        """Log-probabilities renormalised over a subset of the classes.

        See :func:`~speechbrain_lstm_ser.inference.class_subset.restrict_classes`.
        """
        return restrict_classes(out_prob, self.allowed_classes(labels))

    def encode_batch(
        self,
        wavs: torch.Tensor,
        wav_lens: torch.Tensor | None = None,
        reference: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Utterance embeddings ``(batch, 1, features)`` (the pooled encoder output).

        Arguments
        ---------
        wavs : torch.Tensor
            ``(batch, time)`` waveforms at the model's sample rate.
        wav_lens : torch.Tensor, optional
            ``(batch,)`` relative lengths.
        reference : torch.Tensor, optional
            ``(batch, channels)`` reference means of a speaker-normalised
            model (e.g. :meth:`speaker_reference`); ``None``: each utterance
            its own reference.

        Returns
        -------
        torch.Tensor
        """
        wavs, wav_lens = self.prepare_batch(wavs, wav_lens)
        with torch.no_grad():
            return self.model.embed(wavs, wav_lens, reference)

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
        self.require_classes("classify_batch")
        args = (wavs, wav_lens, labels, speaker, reference, gate)
        return self._best(self.predictor.outputs(*args, dimensions=False)[0])

    def _best(self, out_prob: torch.Tensor):
        """SpeechBrain's tuple from ``(batch, classes)`` log-probabilities."""
        score, index = torch.max(out_prob, dim=-1)
        return out_prob, score, index, self.hparams.label_encoder.decode_torch(index)

    def outputs(
        self,
        wavs: torch.Tensor,
        wav_lens: torch.Tensor | None = None,
        labels: Sequence[str] | None = None,
        speaker: str | Sequence[str] | None = None,
        reference: torch.Tensor | None = None,
        gate: bool = False,
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """``(out_prob, dimensions or None)``: see ``Predictor.outputs``."""
        return self.predictor.outputs(wavs, wav_lens, labels, speaker, reference, gate)

    def classify_file(
        self,
        path: str | os.PathLike,
        labels: Sequence[str] | None = None,
        speaker: str | None = None,
        gate: bool | None = None,
    ):
        """Classifies one audio file (any sample rate, any channel count).

        A file longer than ``max_duration`` seconds is classified window by
        window (the mean over its speech windows, see :meth:`timeline`). A
        file that cannot be used (unreadable, digital silence, too short:
        :func:`~speechbrain_lstm_ser.inference.checks.check_waveforms`)
        raises ``AudioError``; a file in which the speech gate finds no
        speech raises its subclass ``NoSpeechError`` (:meth:`predict_file`
        returns "no speech" as a value). Narrowband and truncated files are
        classified with an ``AudioWarning``.

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
        self.require_classes("classify_file")
        return self._best(self.predictor.speech_outputs(path, labels, speaker, gate))

    def predict_file(
        self,
        path: str | os.PathLike,
        labels: Sequence[str] | None = None,
        speaker: str | None = None,
        gate: bool | None = None,
    ) -> Prediction:
        """The class of one audio file, or "no speech": a :class:`Prediction`.

        See :meth:`~speechbrain_lstm_ser.inference.prediction.Predictor.file`.
        """
        return self.predictor.file(path, labels, speaker, gate)

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

        See :meth:`~speechbrain_lstm_ser.inference.prediction.Predictor.batch`.
        """
        return self.predictor.batch(
            wavs, wav_lens, labels, speaker, reference, gate, names
        )

    def forward(self, wavs: torch.Tensor, wav_lens: torch.Tensor | None = None):
        """Runs :meth:`classify_batch`."""
        return self.classify_batch(wavs, wav_lens)

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
        """The class over time in a long recording, window by window.

        See :meth:`~speechbrain_lstm_ser.inference.timeline.Timeline.__call__`
        (:attr:`timelines`) for the arguments and the checks.
        """
        return self.timelines(
            path, window, hop, batch_size, vad, min_speech_ratio, labels, speaker, adapt
        )
