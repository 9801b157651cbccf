import json
import shutil

import numpy as np
import pytest
from miniature_corpora import make_emodb
from preparations import prepare_emotion, prepare_tiny_corpus

from speechbrain_lstm_ser.dataio.manifest import (
    DIMENSIONS,
    EMOTION_COLUMNS,
    EMOTION_MANIFEST,
    read_manifest,
)

EMOTIONS = ["neutral", "happy", "sad", "angry"]


def _prepare(corpus, out, **kwargs):
    return prepare_tiny_corpus(corpus, out, **{"seed": 1, **kwargs})


def test_speaker_independent_manifests(tiny_corpus, tmp_path):
    summary = _prepare(tiny_corpus, tmp_path)
    speakers = {}
    for split in ("train", "valid", "test"):
        rows = read_manifest(
            tmp_path / f"{split}.csv",
            required=EMOTION_COLUMNS,
            data_root=tiny_corpus[0],
            check_files=True,
        )
        speakers[split] = {r["spk_id"] for r in rows}
        assert summary["splits"][split]["speakers"] == sorted(speakers[split])
    assert len(speakers["train"]) == 4
    assert not speakers["train"] & speakers["test"]
    assert not speakers["train"] & speakers["valid"]
    assert not speakers["valid"] & speakers["test"]
    assert summary["dropped_per_label"] == {}


def test_manifests_carry_the_dimensions_and_their_distributions(tiny_corpus, tmp_path):
    summary = _prepare(tiny_corpus, tmp_path)
    for split in ("train", "valid", "test"):
        rows = read_manifest(tmp_path / f"{split}.csv", schema=EMOTION_MANIFEST)
        stats = summary["splits"][split]["dimensions"]
        for dim in DIMENSIONS:
            values = np.array([float(r[dim]) for r in rows])
            assert stats[dim]["count"] == len(rows)
            assert stats[dim]["mean"] == pytest.approx(values.mean(), abs=1e-4)
            assert stats[dim]["std"] == pytest.approx(values.std(), abs=1e-4)
            assert stats[dim]["min"] == pytest.approx(values.min(), abs=1e-4)
            assert stats[dim]["max"] == pytest.approx(values.max(), abs=1e-4)
    # a manifest folder prepared before the dimension columns is redone
    stamp = json.loads((tmp_path / "prep_summary.json").read_text())
    del stamp["options"]["manifest_columns"]
    (tmp_path / "prep_summary.json").write_text(json.dumps(stamp))
    (tmp_path / "train.csv").write_text("ID,duration,wav\n")
    assert _prepare(tiny_corpus, tmp_path)["options"]["manifest_columns"] == list(
        EMOTION_COLUMNS
    )
    assert "arousal" in (tmp_path / "train.csv").read_text().splitlines()[0]


def test_label_map_and_drops_are_counted(tiny_corpus, tmp_path):
    summary = _prepare(
        tiny_corpus,
        tmp_path,
        emotions=["calm", "happy"],
        label_map={"neutral": "calm"},
    )
    assert summary["dropped_per_label"] == {"angry": 18, "sad": 18}
    rows = read_manifest(tmp_path / "train.csv")
    assert {r["emo"] for r in rows} == {"calm", "happy"}


def test_idempotent_and_redone_on_new_options(tiny_corpus, tmp_path):
    _prepare(tiny_corpus, tmp_path)
    train = tmp_path / "train.csv"
    stamp = train.stat().st_mtime_ns
    _prepare(tiny_corpus, tmp_path)
    assert train.stat().st_mtime_ns == stamp
    summary = _prepare(tiny_corpus, tmp_path, seed=2)
    assert summary["options"]["seed"] == 2


def test_never_overwrites_foreign_manifests(tiny_corpus, tmp_path):
    (tmp_path / "train.csv").write_text("ID,duration,wav\nmine,1.0,x.wav\n")
    with pytest.raises(FileExistsError, match="refusing"):
        _prepare(tiny_corpus, tmp_path)
    assert "mine" in (tmp_path / "train.csv").read_text()


def test_clear_errors(tiny_corpus, tmp_path):
    with pytest.raises(ValueError, match="not supported"):
        _prepare(tiny_corpus, tmp_path / "a", dataset="timit")
    with pytest.raises(ValueError, match="no utterance"):
        _prepare(tiny_corpus, tmp_path / "b", emotions=["bored"])
    with pytest.raises(ValueError, match="class"):
        _prepare(tiny_corpus, tmp_path / "c", emotions=["neutral", "bored"])


def test_corpus_folder_moves(tiny_corpus, tmp_path):
    moved = tmp_path / "moved"
    shutil.copytree(tiny_corpus[0], moved)
    _prepare((moved, tiny_corpus[1]), tmp_path / "m")
    rows = read_manifest(tmp_path / "m" / "test.csv", data_root=moved, check_files=True)
    assert rows


def test_an_interrupted_preparation_is_redone_not_trusted(tiny_corpus, tmp_path):
    from speechbrain_lstm_ser.dataio.stamps import STARTED, read_stamp, write_stamp

    summary = _prepare(tiny_corpus, tmp_path)
    full = (tmp_path / "test.csv").read_text()
    # A kill mid-preparation: the stamp still says "started" and a manifest
    # holds half its rows.
    write_stamp(tmp_path / "prep_summary.json", summary["options"], STARTED)
    (tmp_path / "test.csv").write_text(full[: len(full) // 2])
    _prepare(tiny_corpus, tmp_path)
    assert (tmp_path / "test.csv").read_text() == full
    assert read_stamp(tmp_path / "prep_summary.json")["status"] == "done"


def test_manifests_never_go_inside_the_corpus(tiny_corpus, tmp_path):
    folder = tiny_corpus[0]
    before = sorted(p.name for p in folder.iterdir())
    for inside in (folder, folder / "manifests"):
        with pytest.raises(ValueError, match="inside the data folder"):
            _prepare(tiny_corpus, inside)
    assert sorted(p.name for p in folder.iterdir()) == before


def test_a_relative_data_folder(tmp_path, monkeypatch):
    """Real corpora list absolute paths; a relative data_folder must work too."""
    make_emodb(tmp_path / "emodb")
    monkeypatch.chdir(tmp_path)
    summary = prepare_emotion(
        dataset="emodb",
        data_folder="emodb",
        manifest_folder="manifests",
        emotions=EMOTIONS,
        valid_speakers=1,
        test_speakers=1,
    )
    assert summary["skipped_files"] == []
    assert summary["options"]["data_folder"] == str((tmp_path / "emodb").resolve())
    rows = read_manifest(
        tmp_path / "manifests" / "train.csv",
        required=EMOTION_COLUMNS,
        data_root=tmp_path / "emodb",
        check_files=True,
    )
    assert all(r["wav"].startswith("$data_root/wav/") for r in rows)
