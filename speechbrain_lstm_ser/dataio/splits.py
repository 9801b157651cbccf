"""Speaker-independent splits: no speaker appears in two splits.

Speakers, not utterances, are assigned to train / valid / test, so that the
test figures measure what users care about: accuracy on voices the model has
never heard. Assignment is deterministic for a seed and balanced by gender
(each held-out split takes female and male speakers in turn).

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import random
from collections.abc import Mapping

__all__ = ["resolve_count", "split_speakers"]


def resolve_count(value: int | float, total: int, name: str) -> int:
    """Turns a split size given as a count or a fraction into a count.

    Arguments
    ---------
    value : int or float
        An integer count, or a fraction in (0, 1).
    total : int
        The number of speakers available.
    name : str
        The option's name, for error messages.

    Returns
    -------
    int

    Example
    -------
    >>> resolve_count(0.25, 24, "test_speakers"), resolve_count(3, 24, "x")
    (6, 3)
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{name} must be a count or a fraction, got {value!r}")
    if isinstance(value, float) and 0 < value < 1:
        return max(1, round(value * total))
    if value != int(value) or value < 0:
        raise ValueError(
            f"{name}={value!r}: use a whole number of speakers or a fraction in (0, 1)"
        )
    return int(value)


def split_speakers(
    speakers: Mapping[str, str],
    valid_speakers: int | float,
    test_speakers: int | float,
    seed: int,
) -> dict[str, list[str]]:
    """Assigns speakers to train / valid / test, balanced by gender.

    Arguments
    ---------
    speakers : mapping
        Speaker ID -> gender (``female``, ``male`` or ``unknown``).
    valid_speakers : int or float
        How many speakers to hold out for validation (count or fraction).
    test_speakers : int or float
        How many speakers to hold out for testing (count or fraction).
    seed : int
        The same seed and speakers always give the same split.

    Returns
    -------
    dict
        ``{"train": [...], "valid": [...], "test": [...]}``, each sorted.

    Example
    -------
    >>> spk = {f"f{i}": "female" for i in range(4)}
    >>> spk.update({f"m{i}": "male" for i in range(4)})
    >>> split = split_speakers(spk, valid_speakers=2, test_speakers=2, seed=1)
    >>> [len(split[k]) for k in ("train", "valid", "test")]
    [4, 2, 2]
    >>> sorted(spk[s] for s in split["test"])
    ['female', 'male']
    """
    total = len(speakers)
    n_valid = resolve_count(valid_speakers, total, "valid_speakers")
    n_test = resolve_count(test_speakers, total, "test_speakers")
    if n_valid + n_test >= total:
        raise ValueError(
            f"cannot hold out {n_valid} valid + {n_test} test speakers out of "
            f"{total}: at least one speaker must remain for training"
        )
    rng = random.Random(seed)
    by_gender: dict[str, list[str]] = {}
    for spk in sorted(speakers):
        by_gender.setdefault(speakers[spk], []).append(spk)
    for group in by_gender.values():
        rng.shuffle(group)
    # Interleave genders, starting with a seeded choice, so that every prefix
    # of the ordering is as gender-balanced as the speaker set allows.
    genders = sorted(by_gender)
    rng.shuffle(genders)
    order = []
    while any(by_gender.values()):
        for gender in genders:
            if by_gender[gender]:
                order.append(by_gender[gender].pop())
    test = order[:n_test]
    valid = order[n_test : n_test + n_valid]
    train = order[n_test + n_valid :]
    return {"train": sorted(train), "valid": sorted(valid), "test": sorted(test)}
