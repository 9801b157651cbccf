"""Level and speaker normalisation: features relative to a reference.

Absolute level is a property of the microphone, not of the speaker: a gain
of ``g`` dB adds ``g`` to every log-mel channel of every frame. Emotion, on
the other hand, is a departure from a speaker's *own* baseline of level,
pitch and spectral balance. :class:`ReferenceNormalization` therefore
subtracts the mean of a **reference** from the features, channel by channel
(cepstral mean normalisation, in the log-mel domain)::

    feats (batch, frames, channels) - reference mean (batch, 1, channels)

The reference is, per utterance, either

* the utterance itself (no speaker information: gain and channel are
  removed, and so is the utterance's own average level and spectral
  balance), or
* other utterances of the same speaker, recorded the same way: the speaker
  normalisation of SER practice (each feature relative to the speaker's
  baseline), which keeps "louder and brighter than this speaker usually is"
  and still removes the microphone's gain.

Both are gain-invariant by construction (up to float rounding and the
filterbank's floor). Statistics are sums and frame counts, so references of
several utterances combine exactly (:class:`SpeakerReferences`) and a stream
can keep running sums.

Only frames within ``speech_floor_db`` of an utterance's loudest frame count
in its statistics, so that pauses and leading silence (whose share differs
between utterances, and which sit at the noise floor) do not move the
reference.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence

import torch
from torch import nn

from speechbrain_lstm_ser.nnet.encoders import length_mask

__all__ = ["ReferenceNormalization", "SpeakerReferences"]


class ReferenceNormalization(nn.Module):
    """Subtracts a reference's per-channel mean from the features.

    Arguments
    ---------
    speech_floor_db : float, optional
        Frames whose mean over the level channels lies more than this far
        below the utterance's loudest frame do not count in the statistics
        (``None``: every real frame counts). Features are in dB (SpeechBrain's
        ``Fbank`` log-mels are ``10 log10`` of power).
    level_channels : int or list of int, optional
        Which channels are levels in dB: an int ``n`` for the first ``n``
        (the filterbank), or a list of indices (e.g. the filterbank and a
        log-energy channel); ``None``: all channels. The first ``n`` (or the
        listed ones) find the speech frames.
    per_channel : bool
        ``True``: every channel minus the reference's mean of that channel
        (cepstral mean normalisation: the level, the spectral balance and,
        e.g., the pitch of the reference are all removed). ``False``: only
        the level: one number, the reference's mean over the level channels,
        is subtracted from the level channels; the spectral balance and the
        other channels are kept as they are.

    Example
    -------
    >>> norm = ReferenceNormalization(speech_floor_db=None)
    >>> feats = torch.randn(2, 50, 8)
    >>> lens = torch.tensor([1.0, 0.6])
    >>> louder = norm(feats + 20.0, lens)  # +20 dB of gain
    >>> torch.allclose(norm(feats, lens), louder, atol=1e-4)
    True
    >>> # Relative to a reference: the speaker's other utterances.
    >>> total, count = norm.statistics(feats, lens)
    >>> reference = total.sum(0, keepdim=True) / count.sum()
    >>> norm(feats, lens, reference.expand(2, -1)).shape
    torch.Size([2, 50, 8])
    """

    def __init__(
        self,
        speech_floor_db: float | None = 30.0,
        level_channels: int | list[int] | None = None,
        per_channel: bool = True,
    ):
        super().__init__()
        self.speech_floor_db = speech_floor_db
        self.level_channels = level_channels
        self.per_channel = per_channel

    def _levels(self, feats: torch.Tensor) -> torch.Tensor:
        """The level channels of ``feats``: ``(..., level_channels)``."""
        if self.level_channels is None:
            return feats
        if isinstance(self.level_channels, int):
            return feats[..., : self.level_channels]
        return feats[..., list(self.level_channels)]

    def _level_mask(self, channels: int, device) -> torch.Tensor:
        """``(channels,)``: 1 on the level channels, 0 elsewhere."""
        mask = torch.zeros(channels, device=device)
        if self.level_channels is None:
            mask[:] = 1
        elif isinstance(self.level_channels, int):
            mask[: self.level_channels] = 1
        else:
            mask[list(self.level_channels)] = 1
        return mask

    def frame_weights(self, feats: torch.Tensor, lens: torch.Tensor) -> torch.Tensor:
        """Which frames count in the statistics: ``(batch, frames)`` of 0 and 1.

        Arguments
        ---------
        feats : torch.Tensor
            ``(batch, frames, channels)`` features.
        lens : torch.Tensor
            ``(batch,)`` relative lengths.

        Returns
        -------
        torch.Tensor
            Real frames (not padding) within ``speech_floor_db`` of the
            loudest one; at least the loudest frame of each utterance.
        """
        batch, frames = feats.shape[:2]
        real = length_mask(lens, frames, batch, feats.device)
        if self.speech_floor_db is None:
            return real.to(feats.dtype)
        level = self._levels(feats).mean(dim=-1)
        level = level.masked_fill(~real, float("-inf"))
        loudest = level.amax(dim=1, keepdim=True)
        return (real & (level >= loudest - self.speech_floor_db)).to(feats.dtype)

    def statistics(
        self, feats: torch.Tensor, lens: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Per-utterance sums and frame counts, to combine into references.

        Arguments
        ---------
        feats : torch.Tensor
            ``(batch, frames, channels)`` features (before normalisation).
        lens : torch.Tensor
            ``(batch,)`` relative lengths.

        Returns
        -------
        total : torch.Tensor
            ``(batch, channels)``: the sum of the counted frames.
        count : torch.Tensor
            ``(batch, 1)``: how many frames were counted (at least 1).
        """
        weights = self.frame_weights(feats, lens)
        total = (feats * weights.unsqueeze(-1)).sum(dim=1)
        return total, weights.sum(dim=1, keepdim=True)

    def forward(
        self,
        feats: torch.Tensor,
        lens: torch.Tensor,
        reference: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Features relative to the reference.

        Arguments
        ---------
        feats : torch.Tensor
            ``(batch, frames, channels)`` features.
        lens : torch.Tensor
            ``(batch,)`` relative lengths.
        reference : torch.Tensor, optional
            ``(batch, channels)`` reference means (e.g. from
            :meth:`SpeakerReferences.reference`); ``None``: each utterance
            is its own reference.

        Returns
        -------
        torch.Tensor
            ``(batch, frames, channels)``; padding frames are returned as 0.
        """
        if reference is None:
            total, count = self.statistics(feats, lens)
            reference = total / count
        real = length_mask(lens, feats.shape[1], feats.shape[0], feats.device)
        reference = reference.to(feats.dtype)
        if not self.per_channel:
            mask = self._level_mask(feats.shape[-1], feats.device)
            level = (reference * mask).sum(dim=-1, keepdim=True) / mask.sum()
            reference = level * mask
        relative = feats - reference.unsqueeze(1)
        return relative * real.unsqueeze(-1).to(feats.dtype)


class SpeakerReferences:
    """Per-utterance statistics, grouped by speaker, combined into references.

    Holds each utterance's ``(total, count)`` from
    :meth:`ReferenceNormalization.statistics`; a reference is the mean over
    any set of utterances (all of a speaker's, a few enrolment clips, a
    random subset while training).

    Example
    -------
    >>> refs = SpeakerReferences()
    >>> refs.add("u1", "spk1", torch.tensor([2.0, 4.0]), 2.0)
    >>> refs.add("u2", "spk1", torch.tensor([6.0, 0.0]), 2.0)
    >>> refs.speaker_reference("spk1")
    tensor([2., 1.])
    >>> refs.reference(["u1"])
    tensor([1., 2.])
    >>> refs.utterances("spk1")
    ['u1', 'u2']
    """

    def __init__(self):
        self._stats: dict[str, tuple[torch.Tensor, float]] = {}
        self._speakers: dict[str, list[str]] = {}

    def __len__(self) -> int:
        return len(self._stats)

    def __contains__(self, utterance: str) -> bool:
        return utterance in self._stats

    def add(
        self, utterance: str, speaker: str, total: torch.Tensor, count: float
    ) -> None:
        """Stores one utterance's statistics.

        Arguments
        ---------
        utterance : str
            Its ID (unique).
        speaker : str
            Its speaker.
        total : torch.Tensor
            ``(channels,)`` sum of its counted frames.
        count : float
            The number of counted frames.
        """
        if utterance not in self._stats:
            self._speakers.setdefault(speaker, []).append(utterance)
        self._stats[utterance] = (total.detach().cpu().double(), float(count))

    def add_batch(
        self,
        utterances: Sequence[str],
        speakers: Sequence[str],
        total: torch.Tensor,
        count: torch.Tensor,
    ) -> None:
        """Stores the statistics of a batch (see :meth:`add`)."""
        for i, (utt, spk) in enumerate(zip(utterances, speakers, strict=True)):
            self.add(utt, spk, total[i], float(count[i]))

    @property
    def speakers(self) -> list[str]:
        """The speakers, in the order they were first seen."""
        return list(self._speakers)

    def utterances(self, speaker: str) -> list[str]:
        """The utterance IDs of a speaker."""
        if speaker not in self._speakers:
            raise KeyError(f"no statistics for speaker {speaker!r}")
        return list(self._speakers[speaker])

    def reference(self, utterances: Iterable[str]) -> torch.Tensor:
        """The mean over the counted frames of these utterances: ``(channels,)``."""
        stats = [self._stats[u] for u in utterances]
        if not stats:
            raise ValueError("a reference needs at least one utterance")
        total = torch.stack([t for t, _ in stats]).sum(dim=0)
        return (total / sum(c for _, c in stats)).float()

    def speaker_reference(self, speaker: str) -> torch.Tensor:
        """The reference of all of a speaker's utterances: ``(channels,)``."""
        return self.reference(self.utterances(speaker))

    def batch_reference(self, speakers: Sequence[str]) -> torch.Tensor:
        """``(batch, channels)``: each utterance's speaker reference."""
        return torch.stack([self.speaker_reference(s) for s in speakers])

    def draw_reference(
        self, utterance: str, speaker: str, rng: random.Random, self_prob: float
    ) -> torch.Tensor:
        """A random reference for training: ``(channels,)``.

        With probability ``self_prob`` the utterance alone (as with no
        speaker information); otherwise a random subset of its speaker's
        utterances, of a size drawn uniformly from 1 to all of them, so that
        the model learns to work from one enrolment clip to many.

        Arguments
        ---------
        utterance : str
            The utterance being trained on.
        speaker : str
            Its speaker.
        rng : random.Random
            The source of the draws (seeded by the caller).
        self_prob : float
            The probability of the utterance being its own reference.

        Returns
        -------
        torch.Tensor
        """
        if rng.random() < self_prob:
            return self.reference([utterance])
        pool = self._speakers[speaker]
        size = rng.randint(1, len(pool))
        return self.reference(rng.sample(pool, size))
