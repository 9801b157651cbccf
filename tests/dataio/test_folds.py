import random

import pytest

from speechbrain_lstm_ser.dataio.splits import (
    balanced_order,
    fold_split,
    speaker_folds,
    split_speakers,
)

SPEAKERS = {f"f{i}": "female" for i in range(7)} | {f"m{i}": "male" for i in range(5)}


@pytest.mark.parametrize("num_folds", [2, 3, 5, 12])
def test_folds_partition_the_speakers_evenly_and_balanced(num_folds):
    folds = speaker_folds(SPEAKERS, num_folds, seed=4)
    flat = [spk for fold in folds for spk in fold]
    assert sorted(flat) == sorted(SPEAKERS) and len(flat) == len(set(flat))
    sizes = [len(fold) for fold in folds]
    assert max(sizes) - min(sizes) <= 1
    for gender in ("female", "male"):
        counts = [sum(SPEAKERS[s] == gender for s in fold) for fold in folds]
        assert max(counts) - min(counts) <= 1, (gender, counts)
    assert folds == speaker_folds(SPEAKERS, num_folds, seed=4)
    if num_folds < len(SPEAKERS):
        assert folds != speaker_folds(SPEAKERS, num_folds, seed=5)


def test_every_speaker_is_tested_exactly_once_and_never_leaks():
    folds = speaker_folds(SPEAKERS, 4, seed=0)
    tested = []
    for fold in range(1, 5):
        split = fold_split(SPEAKERS, folds, fold, "rest", valid_speakers=2, seed=0)
        sets = [set(split[k]) for k in ("train", "valid", "test")]
        assert not (sets[0] & sets[1] or sets[0] & sets[2] or sets[1] & sets[2])
        assert set().union(*sets) == set(SPEAKERS)
        assert split["test"] == folds[fold - 1] and len(split["valid"]) == 2
        tested += split["test"]
    assert sorted(tested) == sorted(SPEAKERS)


def test_held_out_groups_split_into_valid_and_test():
    speakers = {
        f"Ses0{n}_{g}": {"F": "female", "M": "male"}[g]
        for n in range(1, 6)
        for g in "FM"
    }
    groups = {spk: f"Session{spk[4]}" for spk in speakers}
    folds = speaker_folds(speakers, 5, seed=0, groups=groups)
    assert folds[2] == ["Ses03_F", "Ses03_M"]
    tests = []
    for fold in range(1, 6):
        split = fold_split(speakers, folds, fold, "held_out", 0, seed=0)
        assert sorted(split["valid"] + split["test"]) == folds[fold - 1]
        assert len(split["test"]) == 1 and len(split["train"]) == 8
        tests += split["test"]
    assert [speakers[s] for s in tests] == ["female", "male"] * 2 + ["female"]
    with pytest.raises(ValueError, match="set num_folds: 5"):
        speaker_folds(speakers, 10, seed=0, groups=groups)


def test_fold_errors():
    folds = speaker_folds(SPEAKERS, 12, seed=0)
    with pytest.raises(ValueError, match="use fold_valid: rest"):
        fold_split(SPEAKERS, folds, 1, "held_out", 1, seed=0)
    with pytest.raises(ValueError, match=r"choose 1\.\.12"):
        fold_split(SPEAKERS, folds, 0, "rest", 1, seed=0)
    with pytest.raises(ValueError, match="fold_valid"):
        fold_split(SPEAKERS, folds, 1, "random", 1, seed=0)
    with pytest.raises(ValueError, match="at least one speaker"):
        fold_split(SPEAKERS, folds, 1, "rest", 11, seed=0)
    with pytest.raises(ValueError, match=r"use 2\.\.12"):
        speaker_folds(SPEAKERS, 13, seed=0)
    with pytest.raises(ValueError, match="whole number"):
        speaker_folds(SPEAKERS, 2.5, seed=0)


def test_balanced_order_keeps_split_speakers_unchanged():
    # split_speakers was refactored onto balanced_order: same seeds, same splits
    order = balanced_order(SPEAKERS, random.Random(3))
    split = split_speakers(SPEAKERS, 2, 3, seed=3)
    assert split["test"] == sorted(order[:3]) and split["valid"] == sorted(order[3:5])
    genders = [SPEAKERS[s] for s in order]
    assert all(a != b for a, b in zip(genders[:10], genders[1:10], strict=False))
