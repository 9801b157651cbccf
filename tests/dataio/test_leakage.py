"""Leakage between splits: shared speakers and identical audio, in every summary."""

import json
import shutil

import numpy as np
import soundfile as sf
from preparations import prepare_emotion

from speechbrain_lstm_ser.dataio.leakage import (
    AUDIO_HASH,
    SPEAKER_DEPENDENT,
    audio_fingerprint,
    leakage_report,
    leakage_summary,
    split_facts,
)

FOUR = ["neutral", "happy", "sad", "angry"]


def _tone(path, seed, subtype="PCM_16"):
    rng = np.random.default_rng(seed)
    samples = (rng.standard_normal(4000) * 3000).astype(np.int16)
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, samples, 16000, subtype=subtype)


def test_identical_audio_is_found_whatever_the_name_or_container(tmp_path):
    _tone(tmp_path / "a.wav", 1)
    _tone(tmp_path / "copy_of_a.flac", 1)  # same samples, another container
    _tone(tmp_path / "b.wav", 2)
    _tone(tmp_path / "c.wav", 3)
    assert audio_fingerprint(tmp_path / "a.wav") == audio_fingerprint(
        tmp_path / "copy_of_a.flac"
    )
    splits = {
        "train": [{"ID": "uttA", "spk_id": "speakerA", "wav": "a.wav"}],
        "valid": [{"ID": "uttB", "spk_id": "speakerB", "wav": "b.wav"}],
        "test": [
            {"ID": "uttA2", "spk_id": "speakerC", "wav": "copy_of_a.flac"},
            {"ID": "uttC", "spk_id": "speakerC", "wav": "c.wav"},
        ],
    }
    report = leakage_report(splits, locate=lambda row: tmp_path / row["wav"])
    assert report["identical_recordings"] == {
        "train-test": 1,
        "train-valid": 0,
        "valid-test": 0,
    }
    assert report["identical_examples"]["train-test"] == [["uttA", "uttA2"]]
    assert report["speaker_independent"] is True
    assert report["audio_hash"] == AUDIO_HASH
    assert "1 test utterance(s) have the same audio as train" in report["warnings"][0]
    # what reports and model cards carry: counts, no speaker or utterance ID
    summary = leakage_summary(report)
    assert "speakerA" not in json.dumps(summary)
    assert "uttA" not in json.dumps(summary)


def test_speakers_shared_across_splits_are_listed():
    rows = {
        "train": [{"ID": "1", "spk_id": "A"}, {"ID": "2", "spk_id": "B"}],
        "valid": [{"ID": "3", "spk_id": "B"}],
        "test": [{"ID": "4", "spk_id": "A"}, {"ID": "5", "spk_id": "C"}],
    }
    report = leakage_report(rows)
    assert report["shared_speakers"] == {
        "train-test": ["A"],
        "train-valid": ["B"],
        "valid-test": [],
    }
    assert report["identical_recordings"] is None  # audio not compared
    assert report["warnings"][0] == SPEAKER_DEPENDENT
    assert "validation speaker(s) also train" in report["warnings"][1]
    unknown = leakage_report(
        {
            "train": [{"ID": "1", "spk_id": "1"}],
            "valid": [],
            "test": [{"ID": "2", "spk_id": "2"}],
        }
    )
    assert unknown["speakers_known"] is False


def test_every_prepared_split_records_its_leakage(tiny_corpus, tmp_path):
    folder, _ = tiny_corpus
    before = sorted(p.relative_to(folder) for p in folder.rglob("*"))
    summary = prepare_emotion(
        "embedded",
        folder,
        tmp_path / "single",
        emotions=FOUR,
        valid_speakers=1,
        test_speakers=1,
        corpus_options={"num_speakers": 6, "utterances_per_emotion": 3},
    )
    leakage = summary["leakage"]
    assert leakage["speaker_independent"] is True and leakage["warnings"] == []
    assert leakage["shared_speakers"] == {
        "train-test": [],
        "train-valid": [],
        "valid-test": [],
    }
    assert leakage["identical_recordings"]["train-test"] == 0
    folds = prepare_emotion(
        "embedded",
        folder,
        tmp_path / "fold",
        emotions=FOUR,
        valid_speakers=1,
        fold=2,
        num_folds=3,
        corpus_options={"num_speakers": 6, "utterances_per_emotion": 3},
    )
    assert folds["leakage"]["speaker_independent"] is True
    # nothing is cached in the corpus folder
    assert sorted(p.relative_to(folder) for p in folder.rglob("*")) == before


def test_a_recording_in_two_splits_is_counted(tmp_path):
    corpus = tmp_path / "corpus"
    for offset, emotion in enumerate(("angry", "sad")):
        for index, speaker in enumerate(("s1", "s2", "s3", "s4")):
            _tone(corpus / emotion / speaker / "take1.wav", 10 * offset + index)
    # s4's sad take is s1's, re-encoded: the same recording in two splits
    (corpus / "sad" / "s4" / "take1.wav").unlink()
    _tone(corpus / "sad" / "s4" / "take1.flac", 10)

    def entries(speakers):
        return [
            {"ID": f"{e}/{s}/take1", "wav": f"{e}/{s}/take1.{ext}", "emo": e}
            for e in ("angry", "sad")
            for s in speakers
            for ext in ["flac" if (e, s) == ("sad", "s4") else "wav"]
        ]

    partitions = tmp_path / "partitions.json"
    partitions.write_text(
        json.dumps(
            {
                "format": "speechbrain-lstm-ser partitions",
                "version": 1,
                "dataset": "folder",
                "folds": [
                    {
                        "fold": 1,
                        "train": entries(["s1", "s2"]),
                        "valid": entries(["s3"]),
                        "test": entries(["s4"]),
                    }
                ],
            }
        )
    )
    summary = prepare_emotion(
        "folder",
        corpus,
        tmp_path / "out",
        emotions=["angry", "sad"],
        partitions=partitions,
    )
    leakage = summary["leakage"]
    assert leakage["identical_recordings"]["train-test"] == 1
    assert leakage["identical_examples"]["train-test"] == [
        ["sad/s1/take1", "sad/s4/take1"]
    ]
    assert leakage["speaker_independent"] is True
    # the test report's facts: the same counts, from the summary or the manifests
    hparams = {
        "data_folder": corpus,
        **{
            f"{s}_annotation": tmp_path / "out" / f"{s}.csv"
            for s in ("train", "valid", "test")
        },
    }
    facts = split_facts(hparams)
    assert facts["protocol"] == "partitions.json of folder"
    assert facts["leakage"]["identical_recordings"]["train-test"] == 1
    elsewhere = tmp_path / "own_manifests"
    shutil.copytree(tmp_path / "out", elsewhere)
    (elsewhere / "prep_summary.json").unlink()  # manifests of your own
    own = split_facts(
        {
            **hparams,
            **{
                f"{s}_annotation": elsewhere / f"{s}.csv"
                for s in ("train", "valid", "test")
            },
        }
    )
    assert own["protocol"] is None
    assert own["leakage"] == facts["leakage"]
