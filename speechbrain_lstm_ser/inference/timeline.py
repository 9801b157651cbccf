"""Long recordings, window by window: the timeline and long-file classification.

:class:`Timeline` reads a recording one window at a time (memory stays
bounded whatever its length), skips windows without speech and classifies
the others in batches with its
:class:`~speechbrain_lstm_ser.inference.classifier.UtteranceClassifier`
(``timeline``; ``classify_file`` and ``predict_file`` of files longer than
``max_duration``). With ``adapt=True`` a speaker-normalised model measures
each window against a :class:`RunningReference`: the statistics of the
recording so far.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import NamedTuple

import torch

from speechbrain_lstm_ser.dataio.audio import audio_info, pad_waveforms, read_audio
from speechbrain_lstm_ser.inference.checks import (
    SILENCE_PEAK,
    AudioWarning,
    SpeechCheck,
    positive_seconds,
    recording_warnings,
)
from speechbrain_lstm_ser.inference.prediction import FileOutputs
from speechbrain_lstm_ser.nnet.normalization import SpeakerReferences
from speechbrain_lstm_ser.processing.vad import EnergyVAD, default_vad

__all__ = ["RunningReference", "Timeline", "TimelineSegment"]


class TimelineSegment(NamedTuple):
    """One window of a long recording: where it is and what it sounds like.

    ``probabilities`` are ``(classes,)``; ``dimensions`` are ``(dims,)``
    arousal, valence, dominance in ``[0, 1]`` (the classifier's
    ``dimension_names``) for a model with a regression head, from the same
    encoder pass as the label, and None for a categorical model. A model
    trained on the dimensions alone (its classifier untrained) gives its
    dimensions and ``label``, ``score`` and ``probabilities`` None.
    """

    start: float
    end: float
    label: str | None
    score: float | None
    probabilities: torch.Tensor | None = None
    dimensions: torch.Tensor | None = None


class RunningReference:
    """The reference of a recording so far: the statistics of all its windows.

    Each window is an utterance of one speaker, the recording, in a
    :class:`~speechbrain_lstm_ser.nnet.normalization.SpeakerReferences`;
    a window's reference is that speaker's reference once the window is
    added (causal: the windows so far, this one included).

    Example
    -------
    >>> running = RunningReference()
    >>> running.update(torch.tensor([[2.0, 4.0], [6.0, 0.0]]), torch.tensor([2.0, 2.0]))
    tensor([[1., 2.],
            [2., 1.]])
    """

    #: The one speaker of the statistics.
    SPEAKER = "recording"

    def __init__(self):
        self.statistics = SpeakerReferences()

    def update(self, total: torch.Tensor, count: torch.Tensor) -> torch.Tensor:
        """Adds windows, in time order; returns the reference after each.

        Arguments
        ---------
        total : torch.Tensor
            ``(batch, channels)``: each window's sum of counted frames.
        count : torch.Tensor
            ``(batch,)``: how many frames each window counted.

        Returns
        -------
        torch.Tensor
            ``(batch, channels)`` on the CPU.
        """
        rows = []
        for i in range(total.shape[0]):
            window = f"window {len(self.statistics)}"
            self.statistics.add(window, self.SPEAKER, total[i], float(count[i]))
            rows.append(self.statistics.speaker_reference(self.SPEAKER))
        return torch.stack(rows)


class Timeline:
    """Classifies a long recording window by window, one window read at a time.

    Arguments
    ---------
    classifier : UtteranceClassifier
        Classifies the windows (its ``classify_batch``).
    """

    def __init__(self, classifier):
        self.classifier = classifier

    def __call__(
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

        Window by window, each classified as ``classify_batch`` does. The
        file is streamed: only ``batch_size`` windows are in memory at once,
        whatever its length. Windows where less than ``min_speech_ratio`` of
        the frames are speech are skipped.

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
            Only these classes (see ``restrict``).
        speaker : str, optional
            An enrolled speaker (see ``enrol``) whose reference every window
            uses.
        adapt : bool
            Statistics that adapt over the recording: each window's reference
            is the speech of all the windows classified so far, this one
            included (a :class:`RunningReference`; a speaker-normalised
            model's baseline settles as the recording goes on). Ignored when
            ``speaker`` is given.

        Returns
        -------
        list of TimelineSegment
            ``(start, end, label, score, probabilities, dimensions)`` with
            ``score`` the probability of ``label`` (``dimensions`` None for
            a categorical model), in time order; empty when no window holds
            speech.

        Raises
        ------
        ValueError
            For a window or hop that is not a positive number of seconds, a
            batch size under 1, a ``min_speech_ratio`` outside [0, 1].
        AudioError
            For a file that cannot be read.
        """
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
        info = audio_info(path)
        rate = self.classifier.sample_rate
        for note in recording_warnings(path, info.sample_rate, None, rate, info.frames):
            warnings.warn(note, AudioWarning, stacklevel=3)
        return self.segments(
            path, window, hop, batch_size, vad, min_speech_ratio, labels, speaker, adapt
        )

    def segments(
        self,
        path: str | os.PathLike,
        window: float,
        hop: float,
        batch_size: int,
        vad: EnergyVAD | None,
        min_speech_ratio: float,
        labels: Sequence[str] | None,
        speaker: str | None,
        adapt: bool,
        dimensions: bool | None = None,
    ) -> list[TimelineSegment]:
        """:meth:`__call__` without its checks and warnings (the same arguments).

        ``dimensions``: as for the classifier's ``outputs`` (default: when
        the model has a regressor).
        """
        if labels is not None:
            self.classifier.allowed_classes(labels)
        norm = self.classifier.model.reference_norm
        adapt = adapt and speaker is None and norm is not None
        running = RunningReference() if adapt else None
        options = (labels, speaker, running, dimensions)
        results: list[TimelineSegment] = []
        batch: list[tuple[float, float, torch.Tensor]] = []
        for found in self._windows(path, window, hop, vad, min_speech_ratio):
            batch.append(found)
            if len(batch) == batch_size:
                results += self._classify(batch, *options)
                batch = []
        if batch:
            results += self._classify(batch, *options)
        return results

    def _windows(
        self, path, window, hop, vad, min_speech_ratio
    ) -> Iterator[tuple[float, float, torch.Tensor]]:
        """``(start, end, wav)`` of the windows that hold speech, read one by one."""
        rate = self.classifier.sample_rate
        vad = vad or default_vad(sample_rate=rate)
        duration = audio_info(path).duration
        count = max(1, math.ceil(max(0.0, duration - window) / hop) + 1)
        for k in range(count):
            start = k * hop
            if k and start >= duration:
                break  # (duration - window) not a multiple of hop
            end = min(duration, start + window)
            wav = read_audio(path, rate, start=start, stop=end)
            if (
                wav.numel() < self.classifier.min_duration * rate
                or wav.abs().max() < SILENCE_PEAK
                or vad.speech_ratio(wav) < min_speech_ratio
            ):
                continue  # what classify_batch would refuse, and no speech
            yield round(start, 3), round(end, 3), wav

    def _classify(
        self, batch, labels, speaker, running, dimensions
    ) -> list[TimelineSegment]:
        """The segments of a batch of ``(start, end, wav)`` windows."""
        wavs, lens = pad_waveforms([wav for _, _, wav in batch])
        reference = None
        if running is not None:
            total, count = self.classifier.enrolment.statistics(wavs, lens)
            reference = running.update(total, count).to(self.classifier.device)
        out_prob, dims = self.classifier.predictor.outputs(
            wavs, lens, labels, speaker, reference, dimensions=dimensions
        )
        names = self.classifier.labels
        dims = [None] * len(batch) if dims is None else dims.cpu()
        if not self.classifier.classifier_trained:  # the dimensions alone
            return [
                TimelineSegment(start, end, None, None, None, d)
                for (start, end, _), d in zip(batch, dims, strict=True)
            ]
        return [
            TimelineSegment(start, end, names[int(p.argmax())], float(p.max()), p, d)
            for (start, end, _), p, d in zip(
                batch, out_prob.exp().cpu(), dims, strict=True
            )
        ]

    def long_file(
        self,
        path: str | os.PathLike,
        local: Path,
        labels: Sequence[str] | None = None,
        speaker: str | None = None,
        gate: bool = True,
        dimensions: bool | None = None,
    ) -> FileOutputs:
        """A long file's mean class probabilities over its speech windows.

        ``classify_file`` and ``predict_file`` of a file longer than the
        classifier's ``max_duration``: windows of ``long_window`` seconds,
        end to end, their probabilities averaged; a speaker-normalised model
        without ``speaker`` adapts to the recording (:class:`RunningReference`).

        Arguments
        ---------
        path : str or os.PathLike
            The file as the user named it (in warnings).
        local : Path
            The local file.
        labels : sequence of str, optional
            Only these classes.
        speaker : str, optional
            An enrolled speaker.
        gate : bool
            Skip windows without speech (False: every window that is not
            digital silence is classified).
        dimensions : bool, optional
            Also the mean of the windows' dimensions (default: when the
            model has a regressor).

        Returns
        -------
        FileOutputs
            ``out_prob``: ``(1, classes)`` log of the mean probabilities
            (None for a model of the dimensions alone); ``dimensions``:
            ``(1, dims)`` the mean dimensions; both None when no window
            holds speech.
        """
        length = self.classifier.long_window
        ratio = 0.3 if gate else 0.0
        adapt = speaker is None
        windows = self.segments(
            local, length, length, 8, None, ratio, labels, speaker, adapt, dimensions
        )
        out_prob = dims = None
        if windows and windows[0].probabilities is not None:
            probs = torch.stack([w.probabilities for w in windows]).mean(dim=0)
            out_prob = probs.log().unsqueeze(0)
        if windows and windows[0].dimensions is not None:
            dims = torch.stack([w.dimensions for w in windows]).mean(dim=0)
            dims = dims.unsqueeze(0)
        found = SpeechCheck(bool(windows), float("nan"))
        if not windows:
            found = found._replace(reason="no speech found in the recording")
        info = audio_info(local)
        notes = recording_warnings(
            path,
            info.sample_rate,
            None,
            self.classifier.sample_rate,
            info.frames,
            local,
        )
        return FileOutputs(out_prob, dims, found, tuple(notes))
