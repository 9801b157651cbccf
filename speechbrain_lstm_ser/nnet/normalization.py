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

:class:`RunningReferenceNormalization` is the causal version, for streaming:
the reference at frame ``t`` is the mean of the speech frames up to and
including ``t`` (running sums and a running loudest level: a constant-size
state), so a stream normalises each frame the moment it arrives and the
whole-utterance computation (cumulative sums, used in training) gives the
very same features.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable, Sequence

import torch
from torch import nn

from speechbrain_lstm_ser.nnet.encoders import length_mask
from speechbrain_lstm_ser.nnet.spectral_floor import (
    SpectralFloor,
    mean_power_db,
    white_noise_shape,
)

__all__ = [
    "REFERENCES",
    "ReferenceNormalization",
    "RunningReferenceNormalization",
    "SpeakerReferences",
    "reference_mode",
]

#: The values of ``normalization_reference`` (a recipe's YAML, a model folder's
#: ``hyperparams.yaml``).
REFERENCES = ("utterance", "speaker")


def reference_mode(model: nn.Module | None, normalization_reference: str | None) -> str:
    """What a model's features are measured against (speaker, utterance, global).

    The one answer to "is this model speaker-normalised?", for training,
    export and inference alike.

    Arguments
    ---------
    model : torch.nn.Module or None
        The task model; one without a ``reference_norm`` normalises with
        global statistics only. ``None``: only the setting is checked.
    normalization_reference : str or None
        The ``normalization_reference`` setting; ``None`` (absent) is
        ``"utterance"``.

    Returns
    -------
    str
        ``"speaker"``, ``"utterance"`` or ``"global"``.

    Raises
    ------
    ValueError
        For a setting other than those of :data:`REFERENCES`, naming the key.

    Example
    -------
    >>> linear = torch.nn.Linear(1, 1)  # no reference_norm
    >>> reference_mode(None, "speaker"), reference_mode(linear, "speaker")
    ('speaker', 'global')
    >>> reference_mode(None, None)
    'utterance'
    """
    if model is not None and getattr(model, "reference_norm", None) is None:
        return "global"
    mode = "utterance" if normalization_reference is None else normalization_reference
    if mode not in REFERENCES:
        raise ValueError(
            f"normalization_reference: {mode!r} is not one of {list(REFERENCES)}"
        )
    return mode


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
        return _weighted_sums(feats, self.frame_weights(feats, lens))

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


def _weighted_sums(
    feats: torch.Tensor, weights: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """``(batch, channels)`` weighted sums of the frames and ``(batch, 1)`` weights."""
    total = (feats * weights.unsqueeze(-1)).sum(dim=1)
    return total, weights.sum(dim=1, keepdim=True)


#: Doubling steps of the exported running maximum: up to 2**20 frames (5.8 h
#: at a 20 ms hop) in one call.
_SCAN_STEPS = 20


def _cummax(x: torch.Tensor, fill: float) -> torch.Tensor:
    """Running maximum over dim 1 of ``(batch, frames)``.

    ONNX has no ``cummax``: when exporting, a doubling scan (the maximum
    with the sequence shifted by 1, 2, 4, ... frames, ``fill`` shifted in),
    which gives the same values (a maximum is exact). One frame needs none
    (the streaming ONNX step).
    """
    if x.shape[1] == 1:
        return x
    if not torch.compiler.is_exporting():
        return torch.cummax(x, dim=1).values
    frames = x.shape[1]
    for step in range(_SCAN_STEPS):
        shift = 2**step
        pad = torch.full((x.shape[0], shift), fill, dtype=x.dtype, device=x.device)
        x = torch.maximum(x, torch.cat([pad, x], dim=1)[:, :frames])
    return x


class RunningReferenceNormalization(ReferenceNormalization):
    """The causal :class:`ReferenceNormalization`: a running reference.

    At frame ``t`` the features are measured against the mean of the speech
    frames up to and including ``t``. Frame ``s`` is a speech frame when its
    level (the mean of the first ``level_channels`` channels) lies within
    ``speech_floor_db`` of the loudest frame *so far* (up to ``s``), so it is
    decided when it arrives. When a frame is more than ``speech_floor_db``
    louder than every frame before it (speech after the silence that starts
    a stream), all the earlier frames are below the new floor: the sums
    restart from that frame, as the whole-recording statistics would drop
    them. Everything depends on level *differences*, so a gain (a constant
    added to every channel) changes nothing.

    Digital silence (exact zeros) is the one input a gain cannot scale: its
    log-mels sit at the filterbank's fixed floor (-100 dB). ``floor_db``
    floors the features at that many dB below the loudest level so far, a
    causal, gain-relative version of the ``top_db`` of SpeechBrain's
    ``Fbank`` (80 dB below the loudest bin of the whole recording), so that
    such frames come out the same whatever the gain.

    ``noise_floor_db`` adds, in the power domain, a floor that many dB under
    the loudest frame so far to the level channels: the causal
    :class:`~speechbrain_lstm_ser.nnet.spectral_floor.SpectralFloor` (whose
    floor lies under the loudest frame of the *whole* utterance). A frame's
    level is here its mean *power* over the level channels, as for
    ``SpectralFloor``: loud channels decide it, so a band limit (the
    telephone band's empty channels above 4 kHz) hardly moves it, where the
    mean log-mel that decides the speech frames drops by several dB. Quiet
    bins (pauses, weak high bands) then look the same in clean audio and in
    light noise that lies under the floor. At the start of a stream the
    floor follows the loudest frame heard yet: it rises with the first loud
    frames.

    The state is a running sum ``(batch, channels)``, a count ``(batch, 1)``
    and the loudest level so far ``(batch,)``, with a noise floor also the
    loudest mean power so far ``(batch,)``: constant size.
    :meth:`forward` computes all frames of padded utterances at once with
    cumulative sums (training); :meth:`step` continues a stream chunk by
    chunk; both give the same features (to float rounding). At the start of
    a stream the reference is the few frames heard so far (the first frame
    is measured against itself: all zeros); it settles as speech
    accumulates. :meth:`statistics` (whole-utterance sums, for speaker or
    enrolment references) is :class:`ReferenceNormalization`'s; a fixed
    ``reference`` passed to :meth:`forward` is subtracted as is.

    Arguments
    ---------
    speech_floor_db : float, optional
        Frames more than this far below the loudest frame so far do not
        count (``None``: every real frame counts, and the sums never
        restart).
    level_channels : int, optional
        How many leading channels are levels in dB and decide which frames
        count; ``None``: all channels.
    floor_db : float, optional
        The level channels are floored at the loudest level so far (the
        mean of the level channels of the loudest frame) minus
        ``floor_db``, before the statistics; ``None``: no floor.
    noise_floor_db : float, optional
        A spectral floor this many dB under the loudest frame's mean power
        so far is added (in power) to the level channels, after
        ``floor_db``; ``None``: none.
    noise_floor_shape : torch.Tensor or torch.nn.Module, optional
        ``(level_channels,)`` the noise floor's relative power per channel;
        or the filterbank module that computes the level channels (a
        SpeechBrain ``Fbank``, e.g. ``!ref <compute_features>`` in a YAML),
        whose response to white noise is the shape
        (:func:`~speechbrain_lstm_ser.nnet.spectral_floor.white_noise_shape`;
        the module is not kept); ``None``: flat.

    Example
    -------
    >>> norm = RunningReferenceNormalization(speech_floor_db=30.0)
    >>> feats = torch.randn(2, 50, 8)
    >>> lens = torch.tensor([1.0, 0.6])
    >>> whole = norm(feats, lens)
    >>> torch.allclose(whole, norm(feats + 20.0, lens), atol=1e-4)  # +20 dB
    True
    >>> state = norm.init_state(2, 8)
    >>> first, state = norm.step(feats[:, :20], state)
    >>> rest, state = norm.step(feats[:, 20:], state)
    >>> torch.allclose(torch.cat([first, rest], dim=1)[0], whole[0], atol=1e-4)
    True
    >>> [tuple(s.shape) for s in state]  # whatever the stream's length
    [(2, 8), (2, 1), (2,)]
    >>> floored = RunningReferenceNormalization(30.0, noise_floor_db=25.0)
    >>> torch.allclose(floored(feats, lens), floored(feats + 20.0, lens), atol=1e-4)
    True
    """

    def __init__(
        self,
        speech_floor_db: float | None = 30.0,
        level_channels: int | None = None,
        floor_db: float | None = None,
        noise_floor_db: float | None = None,
        noise_floor_shape: torch.Tensor | nn.Module | None = None,
    ):
        super().__init__(speech_floor_db, level_channels)
        self.floor_db = floor_db
        self.noise_floor = None
        if noise_floor_db is not None:
            if not noise_floor_db > 0:
                raise ValueError(
                    f"RunningReferenceNormalization: noise_floor_db is the floor's "
                    f"distance under the loudest frame, a positive number of dB "
                    f"(null: no floor); got {noise_floor_db}"
                )
            shape = noise_floor_shape
            if isinstance(shape, nn.Module):
                if not hasattr(shape, "compute_STFT"):
                    raise TypeError(
                        f"RunningReferenceNormalization: noise_floor_shape must be "
                        f"a tensor or a SpeechBrain Fbank (with compute_STFT), got "
                        f"a {type(shape).__name__}"
                    )
                shape = white_noise_shape(shape, shape.compute_STFT.n_fft)
            self.noise_floor = SpectralFloor(noise_floor_db, shape)

    @property
    def noise_floor_db(self) -> float | None:
        """How far under the loudest mean power so far the noise floor lies (dB)."""
        return None if self.noise_floor is None else self.noise_floor.floor_db

    def init_state(
        self, batch: int, channels: int, device=None
    ) -> tuple[torch.Tensor, ...]:
        """The state before a stream: ``(total, count, loudest[, loudest_power])``.

        Arguments
        ---------
        batch : int
            Streams in the batch.
        channels : int
            Feature channels.
        device : torch.device, optional
            Where to create the state.

        Returns
        -------
        total : torch.Tensor
            ``(batch, channels)`` zeros: the sum of the counted frames.
        count : torch.Tensor
            ``(batch, 1)`` zeros: how many frames were counted.
        loudest : torch.Tensor
            ``(batch,)`` ``-inf``: the loudest level so far.
        loudest_power : torch.Tensor
            With a noise floor only: ``(batch,)`` ``-inf``, the loudest mean
            power so far (dB), which the floor lies under.
        """
        total = torch.zeros(batch, channels, device=device)
        count = torch.zeros(batch, 1, device=device)
        loudest = torch.full((batch,), -math.inf, device=device)
        if self.noise_floor is None:
            return total, count, loudest
        return total, count, loudest, loudest.clone()

    def floored(self, feats: torch.Tensor, lens: torch.Tensor) -> torch.Tensor:
        """Whole utterances with the level channels floored as :meth:`relative` does.

        ``floor_db`` below the loudest level so far, frame by frame (what a
        fixed reference and :meth:`statistics` are applied to).

        Arguments
        ---------
        feats : torch.Tensor
            ``(batch, frames, channels)`` features.
        lens : torch.Tensor
            ``(batch,)`` relative lengths.

        Returns
        -------
        torch.Tensor
            The same shape; ``feats`` itself without ``floor_db``.
        """
        if not self._floors or feats.shape[1] == 0:
            return feats
        real = length_mask(lens, feats.shape[1], feats.shape[0], feats.device)
        start = self.init_state(feats.shape[0], 0, feats.device)[2:]
        _, top, power = self._running_levels(feats, real, *start)
        return self._floor(feats, top, power)

    @property
    def _floors(self) -> bool:
        return self.floor_db is not None or self.noise_floor is not None

    def _power(self, feats: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
        """Each frame's mean power over the level channels (dB); ``-inf`` on padding."""
        return mean_power_db(self._levels(feats)).masked_fill(~real, -math.inf)

    def _running_levels(
        self,
        feats: torch.Tensor,
        real: torch.Tensor,
        loudest: torch.Tensor,
        loudest_power: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        """Each frame's level and the running maxima the floors lie under.

        Arguments
        ---------
        feats : torch.Tensor
            ``(batch, frames, channels)`` features.
        real : torch.Tensor
            ``(batch, frames)`` booleans, False on padding.
        loudest, loudest_power : torch.Tensor
            ``(batch,)`` the maxima before the first frame (the state's).

        Returns
        -------
        level : torch.Tensor
            ``(batch, frames)`` mean of the level channels (``-inf`` on padding).
        top : torch.Tensor
            ``(batch, frames)`` the loudest level up to each frame.
        power : torch.Tensor or None
            ``(batch, frames)`` the loudest mean power up to each frame; with
            a noise floor only.
        """
        dtype = feats.dtype
        level = self._levels(feats).mean(dim=-1).masked_fill(~real, -math.inf)
        top = torch.maximum(_cummax(level, -math.inf), loudest.unsqueeze(1).to(dtype))
        if self.noise_floor is None:
            return level, top, None
        power = torch.maximum(
            _cummax(self._power(feats, real), -math.inf),
            loudest_power.unsqueeze(1).to(dtype),
        )
        return level, top, power

    def _floor(
        self, feats: torch.Tensor, top: torch.Tensor, power: torch.Tensor | None
    ) -> torch.Tensor:
        """The level channels floored, frame by frame.

        ``floor_db`` below ``top`` ``(batch, frames)`` (a hard floor), then
        the noise floor added under ``power`` ``(batch, frames)``.
        """
        levels = self._levels(feats)  # the first level_channels (or all)
        if self.floor_db is not None:
            levels = torch.maximum(levels, (top - self.floor_db).unsqueeze(-1))
        if self.noise_floor is not None:
            levels = self.noise_floor.under(levels, power)
        if self.level_channels is None or isinstance(self.level_channels, int):
            return torch.cat([levels, feats[..., levels.shape[-1] :]], dim=-1)
        floored = feats.clone()  # level channels given by index
        floored[..., list(self.level_channels)] = levels
        return floored

    def statistics(
        self, feats: torch.Tensor, lens: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Whole-utterance sums and counts (of the :meth:`floored` features).

        For speaker or enrolment references, as
        :meth:`ReferenceNormalization.statistics`.
        """
        weights = self.frame_weights(feats, lens)  # as relative(): unfloored levels
        return _weighted_sums(self.floored(feats, lens), weights)

    def relative(
        self,
        feats: torch.Tensor,
        real: torch.Tensor,
        state: tuple[torch.Tensor, ...],
    ) -> tuple[torch.Tensor, tuple[torch.Tensor, ...]]:
        """The frames of a chunk relative to the running reference.

        Arguments
        ---------
        feats : torch.Tensor
            ``(batch, frames, channels)`` features (at least one frame).
        real : torch.Tensor
            ``(batch, frames)`` booleans, False on padding (which neither
            counts nor moves the loudest level).
        state : tuple of torch.Tensor
            ``(total, count, loudest[, loudest_power])`` from
            :meth:`init_state` or the previous chunk.

        Returns
        -------
        relative : torch.Tensor
            ``(batch, frames, channels)``: the (floored) features minus the
            reference at each frame (padding frames are not zeroed here).
        state : tuple of torch.Tensor
            The state after the chunk's last frame.
        """
        total, count, loudest, *loudest_power = state
        dtype = feats.dtype
        level, top, power = self._running_levels(feats, real, loudest, *loudest_power)
        if self.speech_floor_db is None:
            weights = real
            restart = torch.zeros_like(real)
        else:
            before = torch.cat([loudest.unsqueeze(1).to(dtype), top[:, :-1]], dim=1)
            weights = real & (level >= top - self.speech_floor_db)
            restart = real & (level > before + self.speech_floor_db)
        weights = weights.to(dtype).unsqueeze(-1)
        if self._floors:  # the level channels only
            feats = self._floor(feats, top, power)
        # Cumulative sums with a leading zero; the sums at frame t run from the
        # last restart at or before t, or continue the state if there is none.
        zero = feats.new_zeros(feats.shape[0], 1, feats.shape[2] + 1)
        sums = torch.cat([feats * weights, weights], dim=-1).cumsum(dim=1)
        sums = torch.cat([zero, sums], dim=1)
        index = torch.arange(feats.shape[1], device=feats.device).expand_as(real)
        last = _cummax(torch.where(restart, index, torch.full_like(index, -1)), -1)
        start = sums.gather(1, last.clamp(min=0).unsqueeze(-1).expand_as(sums[:, 1:]))
        carried = torch.cat([total, count], dim=-1).to(dtype).unsqueeze(1)
        running = sums[:, 1:] - start + carried * (last < 0).to(dtype).unsqueeze(-1)
        frame_total, frame_count = running[..., :-1], running[..., -1:]
        reference = frame_total / frame_count.clamp(min=1.0)
        new_state = (frame_total[:, -1], frame_count[:, -1], top[:, -1])
        if power is not None:  # the noise floor's
            new_state = (*new_state, power[:, -1])
        return feats - reference, new_state

    def step(
        self,
        feats: torch.Tensor,
        state: tuple[torch.Tensor, torch.Tensor, torch.Tensor],
    ) -> tuple[torch.Tensor, tuple[torch.Tensor, ...]]:
        """The next frames of a stream, relative to the running reference.

        Arguments
        ---------
        feats : torch.Tensor
            ``(batch, frames, channels)``, the next frames (may be empty).
        state : tuple of torch.Tensor
            From :meth:`init_state` or the previous :meth:`step`.

        Returns
        -------
        feats : torch.Tensor
            ``(batch, frames, channels)``.
        state : tuple of torch.Tensor
            ``(total, count, loudest)``, the same sizes whatever the length.
        """
        if feats.shape[1] == 0:
            return feats, state
        real = torch.ones(feats.shape[:2], dtype=torch.bool, device=feats.device)
        return self.relative(feats, real, state)

    def forward(
        self,
        feats: torch.Tensor,
        lens: torch.Tensor,
        reference: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Features relative to the running reference (or a fixed one).

        Arguments
        ---------
        feats : torch.Tensor
            ``(batch, frames, channels)`` features of whole utterances.
        lens : torch.Tensor
            ``(batch,)`` relative lengths.
        reference : torch.Tensor, optional
            ``(batch, channels)`` fixed reference means (e.g. a speaker's);
            ``None``: the running reference of each utterance.

        Returns
        -------
        torch.Tensor
            ``(batch, frames, channels)``; padding frames are returned as 0.
        """
        if reference is not None:
            return super().forward(self.floored(feats, lens), lens, reference)
        if feats.shape[1] == 0:
            return feats
        batch, frames, channels = feats.shape
        real = length_mask(lens, frames, batch, feats.device)
        state = self.init_state(batch, channels, feats.device)
        relative, _ = self.relative(feats, real, state)
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
        # each speaker's sums, kept as utterances are added (a running
        # reference asks for its speaker's after every window)
        self._sums: dict[str, tuple[torch.Tensor, float]] = {}

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
        stats = (total.detach().cpu().double(), float(count))
        if utterance in self._stats:  # replaced: its speaker's sums again
            self._stats[utterance] = stats
            owner = next(s for s, u in self._speakers.items() if utterance in u)
            self._sums.pop(owner, None)
            return
        self._speakers.setdefault(speaker, []).append(utterance)
        self._stats[utterance] = stats
        if speaker in self._sums:
            total_so_far, count_so_far = self._sums[speaker]
            self._sums[speaker] = (total_so_far + stats[0], count_so_far + stats[1])

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
        if speaker not in self._sums:
            stats = [self._stats[u] for u in self.utterances(speaker)]
            total = torch.stack([t for t, _ in stats]).sum(dim=0)
            self._sums[speaker] = (total, sum(c for _, c in stats))
        total, count = self._sums[speaker]
        return (total / count).float()

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
