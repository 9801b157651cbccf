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
from collections.abc import Iterable, Mapping, Sequence

__all__ = [
    "FOLD_VALID",
    "SPLITS",
    "balanced_order",
    "fold_split",
    "resolve_count",
    "rows_of_splits",
    "speaker_folds",
    "speaker_genders",
    "split_rows_by_speaker",
    "split_speakers",
]

#: The splits of every task, in this order: one manifest ``<split>.csv`` each;
#: a recipe trains, validates and tests on them.
SPLITS = ("train", "valid", "test")


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


def _by_gender(speakers: Mapping[str, str]) -> dict[str, list[str]]:
    """Gender -> its speakers, sorted (a stable start for seeded shuffles)."""
    by_gender: dict[str, list[str]] = {}
    for spk in sorted(speakers):
        by_gender.setdefault(speakers[spk], []).append(spk)
    return by_gender


def balanced_order(
    speakers: Mapping[str, str],
    rng: random.Random,
    first_gender: str | None = None,
) -> list[str]:
    """Orders speakers so that genders alternate as long as both remain.

    Every prefix of the order is as gender-balanced as the speaker set allows,
    so taking the first ``n`` speakers, or dealing the order round-robin into
    folds, gives balanced groups.

    Arguments
    ---------
    speakers : mapping
        Speaker ID -> gender.
    rng : random.Random
        Shuffles the speakers within each gender (and picks the first gender
        when ``first_gender`` is None).
    first_gender : str, optional
        The gender the order starts with, when present.

    Returns
    -------
    list of str

    Example
    -------
    >>> spk = {"f1": "female", "f2": "female", "m1": "male"}
    >>> order = balanced_order(spk, random.Random(0), first_gender="male")
    >>> [spk[s] for s in order]
    ['male', 'female', 'female']
    """
    by_gender = _by_gender(speakers)
    for group in by_gender.values():
        rng.shuffle(group)
    genders = sorted(by_gender)
    rng.shuffle(genders)
    if first_gender in genders:
        genders.remove(first_gender)
        genders.insert(0, first_gender)
    order = []
    while any(by_gender.values()):
        for gender in genders:
            if by_gender[gender]:
                order.append(by_gender[gender].pop())
    return order


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
    order = balanced_order(speakers, random.Random(seed))
    test = order[:n_test]
    valid = order[n_test : n_test + n_valid]
    train = order[n_test + n_valid :]
    return {"train": sorted(train), "valid": sorted(valid), "test": sorted(test)}


def speaker_folds(
    speakers: Mapping[str, str],
    num_folds: int,
    seed: int,
    groups: Mapping[str, str] | None = None,
) -> list[list[str]]:
    """Partitions speakers into folds for cross-validation.

    With ``groups`` (e.g. IEMOCAP's sessions), each group is one fold, in
    sorted group order: fold 1 = ``Session1``. Otherwise the speakers of each
    gender are shuffled (seeded) and dealt round-robin, so folds differ in
    size by at most one and are as gender-balanced as the speakers allow;
    ``num_folds`` equal to the number of speakers is leave-one-speaker-out.

    Arguments
    ---------
    speakers : mapping
        Speaker ID -> gender.
    num_folds : int
        How many folds.
    seed : int
        The same seed and speakers always give the same folds.
    groups : mapping, optional
        Speaker ID -> group that must stay in one fold.

    Returns
    -------
    list of list of str
        The speakers of each fold, each sorted.

    Example
    -------
    >>> spk = {f"f{i}": "female" for i in range(3)}
    >>> spk.update({f"m{i}": "male" for i in range(3)})
    >>> folds = speaker_folds(spk, num_folds=3, seed=0)
    >>> [sorted(spk[s] for s in fold) for fold in folds]
    [['female', 'male'], ['female', 'male'], ['female', 'male']]
    >>> speaker_folds({"a": "male", "b": "female"}, 2, 0, groups={"a": "S2", "b": "S1"})
    [['b'], ['a']]
    """
    if isinstance(num_folds, bool) or not isinstance(num_folds, int):
        raise ValueError(f"num_folds must be a whole number, got {num_folds!r}")
    if groups is not None:
        names = sorted(set(groups[spk] for spk in speakers))
        if num_folds != len(names):
            raise ValueError(
                f"this corpus's folds are its {len(names)} groups {names} "
                f"(one held out per fold); set num_folds: {len(names)}"
            )
        return [sorted(s for s in speakers if groups[s] == name) for name in names]
    if not 2 <= num_folds <= len(speakers):
        raise ValueError(
            f"num_folds={num_folds}: use 2..{len(speakers)} (the number of speakers)"
        )
    rng = random.Random(seed)
    by_gender = _by_gender(speakers)
    folds: list[list[str]] = [[] for _ in range(num_folds)]
    position = 0
    for gender in sorted(by_gender):
        group = by_gender[gender]
        rng.shuffle(group)
        for spk in group:
            folds[position % num_folds].append(spk)
            position += 1
    return [sorted(fold) for fold in folds]


#: Where the validation speakers of a fold come from (see :func:`fold_split`).
FOLD_VALID = ("held_out", "rest")


def fold_split(
    speakers: Mapping[str, str],
    folds: list[list[str]],
    fold: int,
    valid_from: str,
    valid_speakers: int | float,
    seed: int,
) -> dict[str, list[str]]:
    """Train / valid / test speakers of one cross-validation fold.

    Fold ``fold`` (1-based) is held out. With ``valid_from="held_out"`` its
    speakers are split in two, gender-balanced: the larger half is tested,
    the other validates (IEMOCAP's usual leave-one-session-out: one speaker
    of the session tests, the other validates; the tested gender alternates
    from fold to fold, starting with the first gender in sorted order). With
    ``valid_from="rest"`` the whole fold is tested and ``valid_speakers`` of
    the other folds' speakers validate.

    Arguments
    ---------
    speakers : mapping
        Speaker ID -> gender.
    folds : list of list of str
        From :func:`speaker_folds`.
    fold : int
        The held-out fold, 1..len(folds).
    valid_from : str
        ``held_out`` or ``rest``.
    valid_speakers : int or float
        With ``rest``: validation speakers (count or fraction of the others).
    seed : int
        Seeds the choice of validation speakers.

    Returns
    -------
    dict
        ``{"train": [...], "valid": [...], "test": [...]}``, each sorted.

    Example
    -------
    >>> spk = {"Ses01_F": "female", "Ses01_M": "male",
    ...        "Ses02_F": "female", "Ses02_M": "male"}
    >>> folds = [["Ses01_F", "Ses01_M"], ["Ses02_F", "Ses02_M"]]
    >>> fold_split(spk, folds, fold=1, valid_from="held_out", valid_speakers=0, seed=0)
    {'train': ['Ses02_F', 'Ses02_M'], 'valid': ['Ses01_M'], 'test': ['Ses01_F']}
    >>> fold_split(spk, folds, fold=2, valid_from="held_out", valid_speakers=0, seed=0)
    {'train': ['Ses01_F', 'Ses01_M'], 'valid': ['Ses02_F'], 'test': ['Ses02_M']}
    """
    if isinstance(fold, bool) or not isinstance(fold, int):
        raise ValueError(f"fold must be a whole number, got {fold!r}")
    if not 1 <= fold <= len(folds):
        raise ValueError(f"fold={fold}: choose 1..{len(folds)} (num_folds)")
    if valid_from not in FOLD_VALID:
        raise ValueError(f"fold_valid must be one of {FOLD_VALID}, got {valid_from!r}")
    held_out = {spk: speakers[spk] for spk in folds[fold - 1]}
    rest = {spk: g for spk, g in speakers.items() if spk not in held_out}
    if not rest:
        raise ValueError(f"fold {fold} holds every speaker; nothing is left to train")
    if valid_from == "held_out":
        if len(held_out) < 2:
            raise ValueError(
                f"fold {fold} has {len(held_out)} speaker(s): fold_valid: held_out "
                "needs two or more per fold; use fold_valid: rest"
            )
        genders = sorted(set(held_out.values()))
        order = balanced_order(
            held_out,
            random.Random(seed * 1000 + fold),
            first_gender=genders[(fold - 1) % len(genders)],
        )
        n_test = (len(order) + 1) // 2
        test, valid, train = order[:n_test], order[n_test:], list(rest)
    else:
        inner = split_speakers(rest, valid_speakers, 0, seed)
        test, valid, train = list(held_out), inner["valid"], inner["train"]
    return {"train": sorted(train), "valid": sorted(valid), "test": sorted(test)}


def speaker_genders(rows: Iterable[Mapping]) -> dict[str, str]:
    """Speaker ID -> gender of manifest rows (a speaker's first row decides).

    Arguments
    ---------
    rows : iterable of mapping
        Rows with ``spk_id`` and ``gender``.

    Returns
    -------
    dict
        What :func:`split_speakers` and :func:`speaker_folds` take.

    Example
    -------
    >>> speaker_genders([{"spk_id": "a", "gender": "male"},
    ...                  {"spk_id": "b", "gender": "female"},
    ...                  {"spk_id": "a", "gender": "male"}])
    {'a': 'male', 'b': 'female'}
    """
    genders: dict[str, str] = {}
    for row in rows:
        genders.setdefault(row["spk_id"], row["gender"])
    return genders


def rows_of_splits(
    rows: Iterable[dict], speakers: Mapping[str, Sequence[str]]
) -> dict[str, list[dict]]:
    """The rows of each split, given the speakers of each split.

    Arguments
    ---------
    rows : iterable of dict
        Rows with ``spk_id``.
    speakers : mapping
        Split name -> its speakers (from :func:`split_speakers` or
        :func:`fold_split`).

    Returns
    -------
    dict
        Split name -> its rows, in their original order.

    Example
    -------
    >>> rows = [{"spk_id": "a"}, {"spk_id": "b"}, {"spk_id": "a"}]
    >>> rows_of_splits(rows, {"train": ["a"], "test": ["b"]})["train"]
    [{'spk_id': 'a'}, {'spk_id': 'a'}]
    """
    where = {spk: name for name, spks in speakers.items() for spk in spks}
    result: dict[str, list[dict]] = {name: [] for name in speakers}
    for row in rows:
        result[where[row["spk_id"]]].append(row)
    return result


def split_rows_by_speaker(
    rows: Sequence[dict],
    valid_speakers: int | float,
    test_speakers: int | float,
    seed: int,
) -> dict[str, list[dict]]:
    """The rows of a speaker-independent train / valid / test split.

    :func:`split_speakers` of the rows' speakers (:func:`speaker_genders`),
    then :func:`rows_of_splits`.

    Arguments
    ---------
    rows : sequence of dict
        Rows with ``spk_id`` and ``gender``.
    valid_speakers, test_speakers, seed
        As for :func:`split_speakers`.

    Returns
    -------
    dict
        ``train``, ``valid`` and ``test`` -> their rows, in their original
        order.

    Example
    -------
    >>> rows = [{"spk_id": s, "gender": g}
    ...         for s, g in [("a", "male"), ("b", "female"), ("c", "male")]]
    >>> split = split_rows_by_speaker(rows, 1, 1, seed=0)
    >>> sorted(len(split[name]) for name in ("train", "valid", "test"))
    [1, 1, 1]
    """
    speakers = split_speakers(
        speaker_genders(rows), valid_speakers, test_speakers, seed
    )
    return rows_of_splits(rows, speakers)
