"""Utterance classification with a trained model: files, batches, long recordings.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import NamedTuple

import torch

from speechbrain_lstm_ser.dataio.audio import (
    AudioError,
    audio_info,
    pad_waveforms,
    read_audio,
)
from speechbrain_lstm_ser.inference.interface import AudioInterface
from speechbrain_lstm_ser.nnet.models import UtteranceClassifierModel
from speechbrain_lstm_ser.nnet.normalization import SpeakerReferences, reference_mode
from speechbrain_lstm_ser.processing.level import CLIPPING_WARN_SHARE, clipped_share
from speechbrain_lstm_ser.processing.vad import EnergyVAD, default_vad

__all__ = ["SILENCE_PEAK", "TimelineSegment", "UtteranceClassifier"]

logger = logging.getLogger(__name__)


#: Peak amplitude under which a recording is digital silence (-80 dBFS).
SILENCE_PEAK = 1e-4


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
        and 10). Calling it again adds clips.

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
            When the model takes no reference (no ``reference_norm``).
        AudioError
            For a file that cannot be read.
        """
        return self.enrol_waveforms(
            speaker, (self._read_checked(path) for path in files)
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
        """
        if self.model.reference_norm is None:
            raise ValueError(
                "this model has no reference normalisation (reference_norm): "
                "it cannot use enrolment clips"
            )
        for wav in wavs:
            clip = f"{speaker}/{len(self.speakers)}"
            self.speakers.add(clip, speaker, *self.clip_statistics(wav))
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

    def _read_checked(self, path: str | os.PathLike) -> torch.Tensor:
        """A file's waveform, refused when silent, with a warning when clipped."""
        local, _ = self.audio_file(path)
        wav = read_audio(local, self.sample_rate)
        if wav.abs().max() < SILENCE_PEAK:
            raise AudioError(path, "contains no signal (digital silence)")
        share = clipped_share(wav)
        if share > CLIPPING_WARN_SHARE:
            logger.warning(
                f"{path}: {share:.1%} of the samples are clipped (at full scale): "
                "the distortion can look like a tense voice; lower the recording "
                "gain and record again if you can"
            )
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
    ):
        """Classifies a batch of waveforms.

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
    ):
        """Classifies one audio file (any sample rate, any channel count).

        A file longer than ``max_duration`` seconds is classified window by
        window (see :meth:`timeline`) and the probabilities of its speech
        windows are averaged, so memory stays bounded. Digital silence and
        clips shorter than ``min_duration`` raise
        :class:`~speechbrain_lstm_ser.dataio.audio.AudioError`.

        Arguments
        ---------
        path : str or os.PathLike
            A local file, or ``owner/repo/file`` on the Hub.
        labels : sequence of str, optional
            Only these classes (see :meth:`restrict`).
        speaker : str, optional
            An enrolled speaker (see :meth:`enrol`).

        Returns
        -------
        See :meth:`classify_batch` (a batch of one).
        """
        if labels is not None:
            self.allowed_classes(labels)  # a wrong name fails before any work
        local, duration = self.audio_file(path)
        if duration > self.max_duration:
            return self._classify_long(local, labels, speaker)
        wav = self._read_checked(local)
        return self.classify_batch(
            wav.unsqueeze(0), torch.ones(1), labels, speaker=speaker
        )

    def _classify_long(
        self,
        path: Path,
        labels: Sequence[str] | None = None,
        speaker: str | None = None,
    ):
        """Averages the class probabilities of the speech windows of a long file."""
        windows = self.timeline(
            path,
            window=self.long_window,
            hop=self.long_window,
            labels=labels,
            speaker=speaker,
            adapt=speaker is None,
        )
        if not windows:
            raise AudioError(path, "no speech found in the recording")
        probs = torch.stack([w.probabilities for w in windows]).mean(dim=0)
        out_prob = probs.log().unsqueeze(0)
        score, index = torch.max(out_prob, dim=-1)
        return out_prob, score, index, self.hparams.label_encoder.decode_torch(index)

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
            ``label``, in time order.
        """
        if window <= 0 or hop <= 0:
            raise ValueError(f"window and hop must be positive, got {window}, {hop}")
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
            if vad.speech_ratio(wav) < min_speech_ratio:
                continue
            batch.append((round(start, 3), round(end, 3), wav))
            if len(batch) == batch_size:
                flush()
        flush()
        return results
