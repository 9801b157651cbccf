"""Fixed partitions: EmoBox's folds mapped onto local corpora, and partitions.json."""

import json
import shutil

import pytest
from miniature_corpora import (
    emobox_iemocap,
    emobox_ravdess,
    make_emodb,
    make_iemocap,
    make_ravdess,
    write_emobox,
)
from preparations import prepare_emotion, prepare_tiny_corpus

from speechbrain_lstm_ser.dataio.leakage import SPEAKER_DEPENDENT
from speechbrain_lstm_ser.dataio.manifest import read_manifest
from speechbrain_lstm_ser.dataio.partitions import read_partitions

FOUR = ["neutral", "happy", "sad", "angry"]
EIGHT = ["neutral", "calm", "happy", "sad", "angry", "fearful", "disgust", "surprised"]
SPLITS = ("train", "valid", "test")


def _ids(folder):
    return {s: [r["ID"] for r in read_manifest(folder / f"{s}.csv")] for s in SPLITS}


def _speakers(folder):
    rows = {s: read_manifest(folder / f"{s}.csv") for s in SPLITS}
    return {s: {r["spk_id"] for r in rows[s]} for s in SPLITS}


def _keys(entries):
    return {e["key"].removeprefix("iemocap-") for e in entries}


@pytest.fixture(scope="module")
def iemocap(tmp_path_factory):
    base = tmp_path_factory.mktemp("iemocap")
    return make_iemocap(base / "corpus"), emobox_iemocap(base / "emobox")


def _iemocap(corpus, out, **kwargs):
    release, partitions = corpus
    args = dict(
        dataset="iemocap",
        data_folder=release,
        manifest_folder=out,
        emotions=FOUR,
        label_map={"excited": "happy"},
        seed=7,
        partitions=partitions,
    )
    return prepare_emotion(**{**args, **kwargs})


def test_emobox_iemocap_runs_exactly_its_leave_one_session_out_folds(iemocap, tmp_path):
    partitions = read_partitions(iemocap[1])
    assert partitions.kind == "emobox" and sorted(partitions.folds) == [1, 2, 3, 4, 5]
    tested = []
    for fold in range(1, 6):
        out = tmp_path / f"fold_{fold}"
        summary = _iemocap(iemocap, out, fold=fold)
        ids = _ids(out)
        expected = _keys(partitions.folds[fold]["test"])
        assert set(ids["test"]) == expected
        assert all(uid.startswith(f"Ses0{fold}") for uid in ids["test"])
        # train + valid are exactly the partition's training list
        train = _keys(partitions.folds[fold]["train"])
        assert set(ids["train"]) | set(ids["valid"]) == train
        assert not set(ids["train"]) & set(ids["valid"])
        speakers = _speakers(out)
        # the seeded validation draw: whole training speakers (2 of 8)
        assert len(speakers["valid"]) == 2 and not speakers["valid"] & speakers["train"]
        protocol = summary["protocol"]
        assert protocol["kind"] == "EmoBox partitions of iemocap"
        assert (protocol["fold"], protocol["num_folds"]) == (fold, 5)
        assert protocol["valid"]["method"] == "whole speakers"
        assert protocol["valid"]["speakers"] == 2 and protocol["valid"]["seed"] == 7
        matched = summary["partition"]["matched_by"]
        assert matched == {"path": len(expected) + len(train)}
        assert summary["partition"]["missing"] == 0
        assert summary["partition"]["labels"]["Happy"] > 0  # exc and hap merged
        leakage = summary["leakage"]
        assert leakage["speaker_independent"] is True
        assert leakage["identical_recordings"] == {
            "train-test": 0,
            "train-valid": 0,
            "valid-test": 0,
        }
        tested += ids["test"]
    assert len(tested) == len(set(tested))  # every utterance tested once
    # the same seed draws the same validation speakers
    _iemocap(iemocap, tmp_path / "again", fold=3)
    for split in SPLITS:
        assert (tmp_path / "again" / f"{split}.csv").read_bytes() == (
            tmp_path / "fold_3" / f"{split}.csv"
        ).read_bytes()


def test_emobox_ravdess_six_speaker_independent_folds(tmp_path):
    root = make_ravdess(tmp_path / "ravdess", actors=12)
    folder = emobox_ravdess(tmp_path / "emobox", actors=12, num_folds=6)
    tested = set()
    for fold in range(1, 7):
        out = tmp_path / f"fold_{fold}"
        summary = prepare_emotion(
            "ravdess", root, out, emotions=EIGHT, partitions=folder, fold=fold
        )
        speakers = _speakers(out)
        assert len(speakers["test"]) == 2  # 12 actors, 6 folds
        assert len(speakers["valid"]) == 2  # 20 % of 10 training actors
        assert not (speakers["train"] & speakers["test"])
        assert not (speakers["train"] & speakers["valid"])
        assert summary["leakage"]["speaker_independent"] is True
        assert summary["partition"]["labels"]["Fear"] == 2 * 12  # EmoBox label_map
        tested |= set(_ids(out)["test"])
    # all the speech, and nothing else (the songs are in no partition)
    assert len(tested) == 12 * 15
    assert not any(uid.startswith("03-02") for uid in tested)


def test_missing_files_are_one_error_or_dropped_and_counted(iemocap, tmp_path):
    release = tmp_path / "copy"
    shutil.copytree(iemocap[0], release)
    gone = sorted((release / "Session2" / "sentences" / "wav").rglob("*.wav"))[:3]
    for path in gone:
        path.unlink()
    with pytest.raises(ValueError) as err:
        _iemocap((release, iemocap[1]), tmp_path / "a", fold=1)
    message = str(err.value)
    assert message.startswith("3 of ") and "not in your copy of the corpus" in message
    assert gone[0].stem in message and "{partitions_missing: drop}" in message
    summary = _iemocap(
        (release, iemocap[1]), tmp_path / "b", fold=1, partitions_missing="drop"
    )
    assert summary["partition"]["missing"] == 3
    assert {e["key"] for e in summary["partition"]["missing_examples"]} == {
        f"iemocap-{p.stem}" for p in gone
    }
    manifests = _ids(tmp_path / "b")
    assert not {p.stem for p in gone} & {u for ids in manifests.values() for u in ids}


def _emodb_with_partitions(corpus, out, partitions):
    """EmoDB's seven emotions prepared with the EmoBox folds in ``partitions``."""
    return prepare_emotion(
        "emodb",
        corpus,
        out,
        emotions=["neutral", "boredom", "happy", "sad", "angry", "fearful", "disgust"],
        partitions=partitions,
    )


def test_entries_match_by_file_name_or_key_in_another_layout(tmp_path):
    corpus = make_emodb(tmp_path / "emodb")
    names = sorted(p.name for p in (corpus / "wav").glob("*.wav"))
    train = [n for n in names if not n.startswith("16")]
    test = [n for n in names if n.startswith("16")]
    folder = write_emobox(
        tmp_path / "emobox",
        "emodb",
        {
            1: {
                # EmoBox paths of another machine: only the file name matches
                "train": [
                    {"key": f"emodb-{n[:-4]}", "wav": f"elsewhere/{n}", "emo": "x"}
                    for n in train
                ],
                # no path at all: the key (without its prefix) finds the file
                "test": [
                    {"key": f"emodb-{n[:-4]}", "wav": "", "emo": "x"} for n in test
                ],
            }
        },
        {},
    )
    summary = _emodb_with_partitions(corpus, tmp_path / "out", folder)
    assert summary["partition"]["matched_by"] == {
        "file name": len(train),
        "key": len(test),
    }
    assert summary["partition"]["fold"] == 1  # the only fold, without --fold
    assert _speakers(tmp_path / "out")["test"] == {"16"}


def test_a_speaker_dependent_partition_is_flagged(tmp_path):
    corpus = make_emodb(tmp_path / "emodb")
    names = sorted(p.name for p in (corpus / "wav").glob("*a01*.wav"))
    entries = [{"key": f"emodb-{n[:-4]}", "wav": f"wav/{n}", "emo": "x"} for n in names]
    # as EmoBox's EmoDB folds: every speaker both trains and tests
    folder = write_emobox(
        tmp_path / "emobox",
        "emodb",
        {1: {"train": entries[0::2], "test": entries[1::2]}},
        {},
    )
    summary = _emodb_with_partitions(corpus, tmp_path / "out", folder)
    leakage = summary["leakage"]
    assert leakage["speaker_independent"] is False
    assert leakage["warnings"][0] == SPEAKER_DEPENDENT
    assert leakage["shared_speakers"]["train-test"]


def test_fold_choice_is_checked_before_anything_runs(iemocap, tmp_path):
    with pytest.raises(ValueError, match="have 5 folds .*choose one with --fold k"):
        _iemocap(iemocap, tmp_path / "a")
    with pytest.raises(ValueError, match=r"fold=9: .*folds \[1, 2, 3, 4, 5\]"):
        _iemocap(iemocap, tmp_path / "b", fold=9)
    with pytest.raises(FileNotFoundError, match="EmoBox's data/<dataset> folder"):
        _iemocap((iemocap[0], tmp_path / "nowhere"), tmp_path / "c", fold=1)
    with pytest.raises(ValueError, match="partitions_missing"):
        _iemocap(iemocap, tmp_path / "d", fold=1, partitions_missing="ignore")


# ------------------------------------------------------- partitions.json --
def _embedded(corpus, out, **kwargs):
    return prepare_tiny_corpus(corpus, out, **{"seed": 3, **kwargs})


@pytest.mark.parametrize("fold", [None, 2])
def test_partitions_json_reproduces_the_manifests_byte_for_byte(
    tiny_corpus, tmp_path, fold
):
    first, second = tmp_path / "lab1", tmp_path / "lab2"
    _embedded(tiny_corpus, first, fold=fold, num_folds=3)
    document = json.loads((first / "partitions.json").read_text())
    assert document["format"] == "speechbrain-lstm-ser partitions"
    assert document["folds"][0]["fold"] == (fold or 1)
    test = document["folds"][0]["test"]
    assert [e["ID"] for e in test] == _ids(first)["test"]
    assert all(e["wav"].startswith("wavs/") for e in test)  # relative to the corpus
    # a second lab: another seed and split settings, same partition file
    summary = _embedded(
        tiny_corpus,
        second,
        seed=99,
        valid_speakers=2,
        partitions=first / "partitions.json",
        fold=fold,
    )
    assert summary["protocol"]["valid"] == {"method": "given by the partition"}
    for split in SPLITS:
        name = f"{split}.csv"
        assert (second / name).read_bytes() == (first / name).read_bytes(), name
    assert (second / "partitions.json").read_bytes() == (
        first / "partitions.json"
    ).read_bytes()


def test_an_emobox_fold_is_shared_as_partitions_json(iemocap, tmp_path):
    _iemocap(iemocap, tmp_path / "emobox", fold=4)
    summary = _iemocap(
        iemocap, tmp_path / "again", partitions=tmp_path / "emobox", fold=None
    )
    assert summary["partition"]["format"] == "partitions.json"
    assert summary["partition"]["fold"] == 4
    for split in SPLITS:
        assert (tmp_path / "again" / f"{split}.csv").read_bytes() == (
            tmp_path / "emobox" / f"{split}.csv"
        ).read_bytes()


def test_a_changed_partition_file_redoes_the_preparation(tiny_corpus, tmp_path):
    _embedded(tiny_corpus, tmp_path / "a")
    shared = tmp_path / "shared.json"
    document = json.loads((tmp_path / "a" / "partitions.json").read_text())
    shared.write_text(json.dumps(document))
    _embedded(tiny_corpus, tmp_path / "b", partitions=shared)
    moved = document["folds"][0]["test"].pop()
    document["folds"][0]["train"].append(moved)
    shared.write_text(json.dumps(document))
    _embedded(tiny_corpus, tmp_path / "b", partitions=shared)
    assert moved["ID"] in _ids(tmp_path / "b")["train"]
