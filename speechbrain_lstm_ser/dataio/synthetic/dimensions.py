r"""Arousal, valence and dominance of a generated utterance, from its prosody.

The embedded emotion corpus (:mod:`~speechbrain_lstm_ser.dataio.synthetic.emotion`)
draws each utterance's prosody as offsets from its speaker's baseline, around
its emotion's profile: speaking rate, pitch height, pitch range, level, pauses
between words and voice brightness (spectral tilt). Its continuous targets are
a fixed function of *those same drawn offsets*, so that what an utterance
sounds like and its dimensions come from one draw:

1. each cue is standardised with the location and scale of the equal mixture
   of the emotion profiles (:func:`cue_reference`): ``z = (x - mean) / std``;
2. each dimension is a weighted sum of the standardised cues
   (:data:`DIMENSION_WEIGHTS`), standardised again with the mixture's mean
   and standard deviation of that sum (:func:`dimension_reference`);
3. a logistic squashes it into ``[0, 1]`` (0.5 = the mixture's centre).

The weights follow the usual acoustic correlates: **arousal** rises with
rate, level and pitch range and falls with pauses; **dominance** rises with
level and a pressed (bright) voice and falls with pitch height; **valence**
rises with pitch height and range and falls with a pressed voice and level.
With the four profiles, the categories are then regions of the space: angry
high arousal, low valence, high dominance; happy high arousal, high valence;
sad low on all three; neutral central.

This is a rule, not a perception study: the dimensions are as synthetic as
the corpus (docs/dimensional.md).

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping

import numpy as np

from speechbrain_lstm_ser.dataio.manifest import DIMENSIONS

__all__ = ["CUES", "DIMENSION_WEIGHTS", "DimensionMap", "cue_reference"]

#: The prosody cues of an emotion profile (``EmotionProfile`` fields), each
#: an offset from the speaker's baseline (``rate_scale`` a ratio).
CUES = ("rate_scale", "pitch_shift", "range_shift", "gain_db", "word_gap", "tilt")

#: Dimension -> cue -> weight of its standardised value.
DIMENSION_WEIGHTS: dict[str, dict[str, float]] = {
    "arousal": {
        "rate_scale": 1.0,
        "gain_db": 1.0,
        "range_shift": 1.0,
        "word_gap": -1.0,
    },
    "valence": {"pitch_shift": 1.0, "range_shift": 1.0, "tilt": -0.75, "gain_db": -0.5},
    "dominance": {"gain_db": 1.0, "tilt": 1.0, "pitch_shift": -0.5},
}


def cue_reference(profiles: Mapping[str, object]) -> dict[str, tuple[float, float]]:
    """Mean and standard deviation of each cue over the profiles' equal mixture.

    Arguments
    ---------
    profiles : mapping
        Emotion -> profile with one ``(mean, std)`` field per cue of :data:`CUES`.

    Returns
    -------
    dict
        Cue -> ``(mean, std)``.

    Example
    -------
    >>> from types import SimpleNamespace
    >>> flat = dict.fromkeys(CUES, (0.0, 1.0))
    >>> ref = cue_reference({"a": SimpleNamespace(**{**flat, "tilt": (1.0, 0.0)}),
    ...                      "b": SimpleNamespace(**{**flat, "tilt": (-1.0, 0.0)})})
    >>> ref["tilt"], ref["gain_db"]
    ((0.0, 1.0), (0.0, 1.0))
    """
    reference = {}
    for cue in CUES:
        specs = np.array([getattr(p, cue) for p in profiles.values()], dtype=float)
        mean = specs[:, 0].mean()
        var = (specs[:, 1] ** 2 + specs[:, 0] ** 2).mean() - mean**2
        reference[cue] = (float(mean), float(math.sqrt(var)))
    return reference


def dimension_reference(
    profiles: Mapping[str, object],
    weights: Mapping[str, Mapping[str, float]],
    cues: Mapping[str, tuple[float, float]],
) -> dict[str, tuple[float, float]]:
    """Mean and standard deviation of each weighted sum over the mixture.

    Within an emotion the cues are drawn independently; across emotions their
    means move together, which the mixture's variance includes.

    Arguments
    ---------
    profiles : mapping
        As for :func:`cue_reference`.
    weights : mapping
        Dimension -> cue -> weight.
    cues : mapping
        :func:`cue_reference` of the profiles.

    Returns
    -------
    dict
        Dimension -> ``(mean, std)`` of the sum of standardised cues.
    """
    reference = {}
    for dim, cue_weights in weights.items():
        means, variances = [], []
        for profile in profiles.values():
            mean = var = 0.0
            for cue, weight in cue_weights.items():
                mu, sd = getattr(profile, cue)
                ref_mean, ref_std = cues[cue]
                mean += weight * (mu - ref_mean) / ref_std
                var += (weight * sd / ref_std) ** 2
            means.append(mean)
            variances.append(var)
        mix_mean = float(np.mean(means))
        second_moment = np.mean(np.array(variances) + np.array(means) ** 2)
        mix_var = float(second_moment) - mix_mean**2
        reference[dim] = (mix_mean, math.sqrt(mix_var))
    return reference


@dataclasses.dataclass(frozen=True)
class DimensionMap:
    """Maps an utterance's prosody offsets to arousal, valence and dominance.

    Build it with :meth:`from_profiles`; calling it gives the dimensions of
    one utterance, each in ``(0, 1)``.

    Arguments
    ---------
    weights : mapping
        Dimension -> cue -> weight (:data:`DIMENSION_WEIGHTS`).
    cues : mapping
        Cue -> ``(mean, std)`` standardising it (:func:`cue_reference`).
    sums : mapping
        Dimension -> ``(mean, std)`` standardising its weighted sum.

    Example
    -------
    >>> from types import SimpleNamespace
    >>> flat = dict.fromkeys(CUES, (0.0, 1.0))
    >>> calm = SimpleNamespace(**{**flat, "gain_db": (-3.0, 1.0)})
    >>> loud = SimpleNamespace(**{**flat, "gain_db": (3.0, 1.0)})
    >>> mapping = DimensionMap.from_profiles({"calm": calm, "loud": loud})
    >>> dims = mapping(dict.fromkeys(CUES, 0.0) | {"gain_db": 3.0})
    >>> [round(dims[d], 3) for d in DIMENSIONS]
    [0.616, 0.43, 0.653]
    """

    weights: Mapping[str, Mapping[str, float]]
    cues: Mapping[str, tuple[float, float]]
    sums: Mapping[str, tuple[float, float]]

    @classmethod
    def from_profiles(
        cls,
        profiles: Mapping[str, object],
        weights: Mapping[str, Mapping[str, float]] = DIMENSION_WEIGHTS,
    ) -> DimensionMap:
        """The map standardised on ``profiles`` (their equal mixture)."""
        cues = cue_reference(profiles)
        return cls(weights, cues, dimension_reference(profiles, weights, cues))

    def __call__(self, offsets: Mapping[str, float]) -> dict[str, float]:
        """Arousal, valence and dominance of one utterance.

        Arguments
        ---------
        offsets : mapping
            Cue -> the utterance's value (every cue of :data:`CUES` used by
            the weights).

        Returns
        -------
        dict
            Dimension -> value in ``(0, 1)``, in :data:`DIMENSIONS` order.
        """
        result = {}
        for dim in DIMENSIONS:
            total = sum(
                weight * (offsets[cue] - self.cues[cue][0]) / self.cues[cue][1]
                for cue, weight in self.weights[dim].items()
            )
            mean, std = self.sums[dim]
            result[dim] = 1.0 / (1.0 + math.exp(-(total - mean) / std))
        return result
