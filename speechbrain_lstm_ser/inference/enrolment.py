"""Enrolled speakers: the references of a speaker-normalised classifier.

A model trained with speaker normalisation (``normalization_reference:
speaker``) measures each utterance against its speaker's baseline: the
mean of the reference statistics of a few clips of that speaker
(:class:`~speechbrain_lstm_ser.nnet.normalization.SpeakerReferences`).
:class:`SpeakerEnrolment` keeps those clips' statistics for an
:class:`~speechbrain_lstm_ser.inference.classifier.UtteranceClassifier`,
which exposes it as ``enrol``, ``enrol_waveforms``, ``forget`` and
``speaker=`` in its ``classify_*`` and ``predict_*`` methods. A model with
a fitted functionals fusion
(:class:`~speechbrain_lstm_ser.nnet.fusion.FunctionalsFusion`) also keeps
each clip's prosodic functionals: their mean and spread over the
speaker's clips are what its ``speaker`` head measures an utterance against.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Sequence

import torch

from speechbrain_lstm_ser.inference.checks import (
    NO_SPEECH_FIX,
    NoSpeechError,
    check_waveforms,
)
from speechbrain_lstm_ser.nnet.fusion import speaker_statistics
from speechbrain_lstm_ser.nnet.normalization import SpeakerReferences

__all__ = ["SpeakerEnrolment"]

logger = logging.getLogger(__name__)


class SpeakerEnrolment:
    """The enrolled speakers of a classifier: their clips' statistics.

    Arguments
    ---------
    classifier : UtteranceClassifier
        The interface whose model computes the statistics (and reads the
        files) of the clips.

    Example
    -------
    >>> model = EmotionRecognizer.from_hparams(source="model")  # doctest: +SKIP
    >>> model.enrolment.enrol("ann", ["ann_1.wav", "ann_2.wav"])  # doctest: +SKIP
    2
    >>> model.enrolment.reference("ann", 1).shape  # doctest: +SKIP
    torch.Size([1, 2])
    """

    def __init__(self, classifier):
        self.classifier = classifier
        #: The statistics of every enrolled clip, grouped by speaker.
        self.references = SpeakerReferences()
        #: Each enrolled clip's functionals, by speaker (a fused model only).
        self.functionals: dict[str, list[torch.Tensor]] = {}
        self._noted_no_speaker = False

    @property
    def fusion(self):
        """The model's functionals fusion when its ``speaker`` mode is on, else None."""
        fusion = getattr(self.classifier.model, "fusion", None)
        return fusion if fusion is not None and fusion.active("speaker") else None

    def check(self, speaker: str, clips: list) -> None:
        """Refuses an enrolment that cannot be made, before any clip is read.

        Arguments
        ---------
        speaker : str
            The speaker's name.
        clips : list
            The files or waveforms to enrol.

        Raises
        ------
        ValueError
            When the model takes no reference (no ``reference_norm``), the
            name is empty or no clip is given.
        """
        if self.classifier.model.reference_norm is None:
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

    def enrol(self, speaker: str, files: Iterable[str | os.PathLike]) -> int:
        """Adds clips of a speaker to that speaker's reference.

        Any speech of the speaker, recorded as the clips to classify will be
        (same microphone and gain); the labels do not matter. More clips make
        a steadier baseline (the model card gives the accuracy with 1, 3, 5
        and 10). Calling it again adds clips. All or nothing: every clip is
        read and checked (readable, long enough, not silent, speech when the
        classifier's speech gate is on) before any is added, so a failed
        call leaves the speaker as it was.

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
            As :meth:`check`.
        AudioError
            For a file that cannot be read or holds no speech (nothing is
            added).
        """
        files = [files] if isinstance(files, (str, os.PathLike)) else list(files)
        self.check(speaker, files)
        wavs = []
        for path in files:
            wav, _ = self.classifier.read_checked(path)
            if self.classifier.gate_speech:
                found = self.classifier.speech_gate(wav)
                if not found.speech:
                    raise NoSpeechError(path, found.reason, NO_SPEECH_FIX)
            wavs.append(wav)
        return self.enrol_waveforms(speaker, wavs)

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
            As :meth:`check`; a bad waveform raises ``AudioError`` naming
            ``clip[i]``, and nothing is added.
        """
        wavs = list(wavs)
        self.check(speaker, wavs)
        rate, shortest = self.classifier.sample_rate, self.classifier.min_duration
        statistics = []
        for i, wav in enumerate(wavs):
            wav, _ = check_waveforms(wav, None, rate, shortest, [f"clip[{i}]"])
            if wav.shape[0] != 1:
                raise ValueError(f"clip[{i}]: one (time,) waveform per clip")
            total, count = self.statistics(wav)
            statistics.append((total[0], float(count[0]), self.clip_functionals(wav)))
        for total, count, functionals in statistics:  # all checked: now commit
            clip = f"{speaker}/{len(self.references)}"
            self.references.add(clip, speaker, total, count)
            if functionals is not None:
                self.functionals.setdefault(speaker, []).append(functionals)
        return len(self.references.utterances(speaker))

    def clip_functionals(self, wav: torch.Tensor) -> torch.Tensor | None:
        """A ``(1, time)`` clip's ``(features,)`` functionals (None: no fusion)."""
        if self.fusion is None:
            return None
        prepared = self.classifier.prepare_batch(wav)
        return self.fusion.extract(*prepared)[0]

    def functionals_statistics(
        self, speakers: Sequence[str]
    ) -> tuple[torch.Tensor, torch.Tensor] | None:
        """``(batch, features)`` mean and std of each row's speaker's functionals.

        Arguments
        ---------
        speakers : sequence of str
            Enrolled speakers, one per row.

        Returns
        -------
        tuple of torch.Tensor or None
            See :func:`~speechbrain_lstm_ser.nnet.fusion.speaker_statistics`;
            None when a speaker has fewer clips than the fusion's
            ``min_clips`` (the fusion then uses its ``utterance`` head).
        """
        missing = sorted({s for s in speakers if s not in self.functionals})
        if missing:
            raise ValueError(
                f"speaker(s) {missing} were enrolled before the model's fusion "
                "was on: forget() and enrol them again"
            )
        clips = {s: torch.stack(self.functionals[s]) for s in set(speakers)}
        if min(len(c) for c in clips.values()) < self.fusion.min_clips:
            return None
        stats = {s: speaker_statistics(c) for s, c in clips.items()}
        mean = torch.stack([stats[s][0] for s in speakers])
        return mean, torch.stack([stats[s][1] for s in speakers])

    def statistics(
        self, wavs: torch.Tensor, wav_lens: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """The reference statistics of waveforms, pre-processed as in training.

        Arguments
        ---------
        wavs : torch.Tensor
            ``(batch, time)`` waveforms at the model's sample rate.
        wav_lens : torch.Tensor, optional
            ``(batch,)`` relative lengths.

        Returns
        -------
        total : torch.Tensor
            ``(batch, channels)``: the sum of each waveform's counted frames.
        count : torch.Tensor
            ``(batch,)``: how many frames were counted.
        """
        prepared = self.classifier.prepare_batch(wavs, wav_lens)
        with torch.no_grad():
            return self.classifier.model.reference_statistics(*prepared)

    def forget(self) -> None:
        """Forgets every enrolled speaker."""
        self.references = SpeakerReferences()
        self.functionals = {}

    def reference(self, speakers: str | Sequence[str], batch: int) -> torch.Tensor:
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
            On the classifier's device.
        """
        if isinstance(speakers, str):
            speakers = [speakers] * batch
        if len(speakers) != batch:
            raise ValueError(f"{len(speakers)} speakers for {batch} waveforms")
        unknown = sorted({s for s in speakers if s not in self.references.speakers})
        if unknown:
            raise ValueError(
                f"speaker(s) {unknown} not enrolled: call enrol(speaker, files) first"
            )
        return self.references.batch_reference(speakers).to(self.classifier.device)

    def note_no_speaker(self) -> None:
        """Says once, for a speaker-normalised model, that no speaker was given."""
        if self.classifier.speaker_normalized and not self._noted_no_speaker:
            self._noted_no_speaker = True
            logger.warning(
                "This model was trained with speaker normalisation, and no "
                "speaker was given: each utterance is its own reference (the "
                "model card's single-utterance accuracy). Enrol the speaker "
                "(enrol(speaker, files), then speaker=...) for the "
                "speaker-normalised accuracy."
            )
