"""Arousal, valence and dominance from each corpus that has them (issue 24)."""

import json

import pytest
from miniature_corpora import (
    MSP_RATINGS,
    make_iemocap,
    make_msp_podcast,
    make_user_csv,
    write_tone,
)
from preparations import prepare_emotion

from speechbrain_lstm_ser.dataio.corpora.iemocap import read_iemocap
from speechbrain_lstm_ser.dataio.corpora.msp_podcast import read_msp_podcast
from speechbrain_lstm_ser.dataio.corpora.user_csv import read_user_csv
from speechbrain_lstm_ser.dataio.corpora.user_folder import read_user_folder
from speechbrain_lstm_ser.dataio.manifest import (
    DIMENSIONS,
    EMOTION_MANIFEST,
    ManifestError,
    read_manifest,
)

FOUR = ["neutral", "happy", "sad", "angry"]


def _dims(row):
    return tuple(row.get(d, "") for d in DIMENSIONS)


def test_iemocap_keeps_valence_activation_dominance_in_their_order(tmp_path):
    release = make_iemocap(tmp_path, 1)
    rows = {r["ID"]: r for r in read_iemocap(release, {"sessions": [1]}).rows}
    # Ses01F_impro01_M001 is the 4th line: [V, A, D] = [4.0, 5.0, 1.5] on 1..5
    assert _dims(rows["Ses01F_impro01_M001"]) == ("1.0000", "0.7500", "0.1250")
    # the first: [1.0, 2.0, 1.5]
    assert _dims(rows["Ses01F_impro01_F000"]) == ("0.2500", "0.0000", "0.1250")


def test_msp_podcast_layout_labels_dimensions_and_speakers(tmp_path):
    listing = read_msp_podcast(make_msp_podcast(tmp_path / "msp"))
    rows = {r["ID"]: r for r in listing.rows}
    assert len(rows) == 8 * 6 + 4 + 1
    first = rows["MSP-PODCAST_0101_0001"]  # A: act 6.0, val 2.0, dom 6.2 on 1..7
    assert (first["emo"], first["label"], first["spk_id"], first["gender"]) == (
        "angry",
        "A",
        "101",
        "female",
    )
    act, val, dom = MSP_RATINGS["A"]
    assert _dims(first) == tuple(f"{(x - 1) / 6:.4f}" for x in (act, val, dom))
    assert {r["emo"] for r in rows.values()} >= {"contempt", "no_agreement"}
    unknown = [r for r in rows.values() if r["spk_id"].startswith("unknown_")]
    assert len(unknown) == 5 and {r["gender"] for r in unknown} == {"unknown"}
    test3 = rows["MSP-PODCAST_0998_0053"]
    assert _dims(test3) == ("", "", "") and test3["emo"] == "unlabelled"
    # the corpus's Split_Set is its partition: Train, Development, Test1
    fold = listing.partition.folds[1]
    assert [len(fold[s]) for s in ("train", "valid", "test")] == [22, 12, 12]
    assert any("Test2" in note and "Test3" in note for note in listing.notes)
    test2 = read_msp_podcast(tmp_path / "msp", {"test_set": "Test2"})
    assert len(test2.partition.folds[1]["test"]) == 6
    with pytest.raises(ValueError, match="test_set must be one of"):
        read_msp_podcast(tmp_path / "msp", {"test_set": "Test3"})


def test_msp_podcast_prepares_its_own_partition_with_dimensions(tmp_path):
    folder = make_msp_podcast(tmp_path / "msp")
    out = tmp_path / "out"
    summary = prepare_emotion("msp_podcast", folder, out, emotions=FOUR, seed=1)
    assert summary["protocol"]["kind"] == "the corpus's own partition of msp_podcast"
    assert summary["protocol"]["valid"] == {"method": "given by the partition"}
    speakers = {}
    for split in ("train", "valid", "test"):
        rows = read_manifest(out / f"{split}.csv", schema=EMOTION_MANIFEST)
        speakers[split] = {r["spk_id"] for r in rows}
        assert all(r["arousal"] for r in rows)
        assert summary["splits"][split]["dimensions"]["arousal"]["count"] == len(rows)
    assert speakers["valid"] == {"201", "202"} and speakers["test"] == {"301", "302"}
    assert not speakers["train"] & (speakers["valid"] | speakers["test"])
    written = json.loads((out / "partitions.json").read_text())
    assert written["dataset"] == "msp_podcast"


def test_msp_podcast_missing_labels_or_columns_name_the_file(tmp_path):
    folder = make_msp_podcast(tmp_path / "msp")
    labels = folder / "Labels" / "labels_consensus.csv"
    labels.write_text("FileName,EmoClass,EmoAct\nx.wav,A,3\n")
    with pytest.raises(ValueError, match=r"labels_consensus.csv: missing column"):
        read_msp_podcast(folder)
    labels.unlink()
    with pytest.raises(FileNotFoundError, match="Labels/labels_consensus.csv"):
        read_msp_podcast(folder)


def test_user_csv_dimension_columns_on_a_stated_scale(tmp_path):
    root = make_user_csv(tmp_path / "csv")
    manifest = root / "manifest.csv"
    lines = manifest.read_text().splitlines()
    lines[0] += ",arousal,valence,dominance"
    lines[1] += ",5,1,3"
    lines[2] += ",,,"  # unknown
    lines[3:] = [line + ",2,2,2" for line in lines[3:]]
    manifest.write_text("\n".join(lines) + "\n")
    rows = read_user_csv(root, {"dimension_scale": [1, 5]}).rows
    assert _dims(rows[0]) == ("1.0000", "0.0000", "0.5000")
    assert _dims(rows[1]) == ("", "", "")
    with pytest.raises(ManifestError) as info:
        read_user_csv(root)  # default scale [0, 1]: 5 is outside it
    assert str(manifest) in str(info.value)
    assert info.value.problems[0] == (
        "row 2: arousal '5' is outside the stated dimension_scale [0.0, 1.0]"
    )
    with pytest.raises(ValueError, match="dimension_scale must be"):
        read_user_csv(root, {"dimension_scale": [5, 1]})
    # reported with the file's other problems, at once
    (root / "audio" / "s1_angry.wav").unlink()
    with pytest.raises(ManifestError) as info:
        read_user_csv(root)
    assert any("s1_angry.wav" in p for p in info.value.problems)
    assert any("arousal '5' is outside" in p for p in info.value.problems)
    write_tone(root / "audio" / "s1_angry.wav")
    summary = prepare_emotion(
        "csv",
        root,
        tmp_path / "out",
        emotions=FOUR,
        valid_speakers=1,
        test_speakers=1,
        corpus_options={"dimension_scale": [1, 5]},
    )
    splits = summary["splits"].values()
    assert sum(s["dimensions"]["valence"]["count"] for s in splits) == 23


def test_user_folder_dimensions_from_the_speaker_table(tmp_path):
    root = tmp_path / "mine"
    for emotion in ("angry", "sad"):
        write_tone(root / emotion / "ann" / "a.wav")
    (root / "speakers.csv").write_text(
        "file,spk_id,gender,arousal,valence\n"
        "angry/ann/a.wav,ann,female,0.9,0.2\n"
        "sad/ann/a.wav,ann,female,,\n"
    )
    rows = {r["ID"]: r for r in read_user_folder(root).rows}
    assert _dims(rows["angry/ann/a"]) == ("0.9000", "0.2000", "")
    assert _dims(rows["sad/ann/a"]) == ("", "", "")
    with pytest.raises(ManifestError, match=r"row 2: arousal '0.9' is outside"):
        read_user_folder(root, {"dimension_scale": [1, 5]})
