"""LibriSpeech layout, generic CSV and the ASR data preparation."""

import csv
import json
import os

import numpy as np
import pytest
from preparations import prepare_asr

from speechbrain_lstm_ser.dataio.audio import write_audio
from speechbrain_lstm_ser.dataio.corpora.librispeech import (
    read_librispeech,
    read_speakers_txt,
)
from speechbrain_lstm_ser.dataio.manifest import ASR_COLUMNS

SPEAKERS_TXT = """\
; Some comments
;ID  |SEX| SUBSET           |MINUTES| NAME
19   | F | train-clean-5    | 25.19 | Kara Shallenberg
26   | M | train-clean-5    | 25.08 | Denny Sayers
32   | F | train-clean-5    | 24.43 | Betsie Bush
40   | M | train-clean-5    | 25.02 | Vicki Barbour
1272 | M | dev-clean-2      |  8.06 | John Rose
1462 | F | dev-clean-2      |  7.42 | E. Tavano
"""

# (subset, speaker, chapter, transcripts)
CHAPTERS = [
    ("train-clean-5", "19", "198", ["NORTHANGER ABBEY", "CHAPTER ONE"]),
    ("train-clean-5", "26", "495", ["THE SUN ROSE", "AND SET"]),
    ("train-clean-5", "32", "4137", ["IT WAS A DARK NIGHT"]),
    ("train-clean-5", "40", "222", ["SHE SAID NOTHING", "HE LEFT"]),
    ("dev-clean-2", "1272", "128104", ["MISTER QUILTER IS THE APOSTLE"]),
    ("dev-clean-2", "1462", "170138", ["HE HAD WRITTEN A NUMBER OF BOOKS"]),
]


@pytest.fixture
def mini_librispeech(tmp_path):
    """A miniature LibriSpeech tree with the real file naming."""
    root = tmp_path / "LibriSpeech"
    root.mkdir()
    (root / "SPEAKERS.TXT").write_text(SPEAKERS_TXT)
    for subset, spk, chapter, texts in CHAPTERS:
        folder = root / subset / spk / chapter
        folder.mkdir(parents=True)
        lines = []
        for i, text in enumerate(texts):
            uid = f"{spk}-{chapter}-{i:04d}"
            wav = np.zeros(8000 + 1600 * i, dtype=np.float32)
            write_audio(folder / f"{uid}.flac", wav, 16000)
            lines.append(f"{uid} {text}")
        (folder / f"{spk}-{chapter}.trans.txt").write_text("\n".join(lines) + "\n")
    return root


def test_read_librispeech(mini_librispeech):
    rows = read_librispeech(mini_librispeech)
    assert len(rows) == 9
    first = rows[0]
    assert first["ID"] == "1272-128104-0000"
    assert first["wav"] == "$data_root/dev-clean-2/1272/128104/1272-128104-0000.flac"
    assert first["gender"] == "male" and first["subset"] == "dev-clean-2"
    assert first["wrd"] == "MISTER QUILTER IS THE APOSTLE"
    assert float(first["duration"]) == pytest.approx(0.5)
    by_id = {r["ID"]: r for r in rows}
    assert by_id["19-198-0001"]["gender"] == "female"
    assert float(by_id["19-198-0001"]["duration"]) == pytest.approx(0.6)
    # one subset, or the subset folder itself (SPEAKERS.TXT one level up)
    assert len(read_librispeech(mini_librispeech, ["dev-clean-2"])) == 2
    sub = read_librispeech(mini_librispeech / "train-clean-5")
    assert len(sub) == 7 and sub[0]["wav"].startswith("$data_root/19/198/")
    assert {r["gender"] for r in sub} == {"female", "male"}


def test_read_speakers_txt(mini_librispeech):
    genders = read_speakers_txt(mini_librispeech / "SPEAKERS.TXT")
    assert genders == {
        "19": "female",
        "26": "male",
        "32": "female",
        "40": "male",
        "1272": "male",
        "1462": "female",
    }


def test_librispeech_errors_name_the_file(mini_librispeech):
    with pytest.raises(FileNotFoundError, match="subset.*test-clean"):
        read_librispeech(mini_librispeech, ["test-clean"])
    trans = mini_librispeech / "train-clean-5" / "26" / "495" / "26-495.trans.txt"
    trans.write_text("26-495-0000 THE SUN ROSE\n26-495-0007 MISSING AUDIO\n")
    with pytest.raises(FileNotFoundError, match=r"26-495.trans.txt, line 2"):
        read_librispeech(mini_librispeech)
    trans.write_text("26-495-0000\n")
    with pytest.raises(ValueError, match="line 1: expected"):
        read_librispeech(mini_librispeech)
    empty = mini_librispeech.parent / "empty"
    empty.mkdir()
    with pytest.raises(FileNotFoundError, match="not a LibriSpeech-layout"):
        read_librispeech(empty)


def test_prepare_by_subsets(mini_librispeech, tmp_path):
    # subsets that are not asked for are not even read
    broken = mini_librispeech / "train-other-500" / "7" / "8"
    broken.mkdir(parents=True)
    (broken / "7-8.trans.txt").write_text("7-8-0000 NO AUDIO HERE\n")
    out = tmp_path / "manifests"
    summary = prepare_asr(
        "librispeech",
        mini_librispeech,
        out,
        split="subsets",
        subsets={
            "train": ["train-clean-5"],
            "valid": ["dev-clean-2"],
            "test": ["dev-clean-2"],
        },
    )
    assert summary["splits"]["train"]["utterances"] == 7
    assert summary["splits"]["test"]["speakers"] == 2
    with open(out / "train.csv", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        assert tuple(reader.fieldnames) == ASR_COLUMNS
        rows = list(reader)
    assert all(r["wav"].startswith("$data_root/train-clean-5/") for r in rows)
    with pytest.raises(ValueError, match="test_subsets"):
        prepare_asr(
            "librispeech",
            mini_librispeech,
            tmp_path / "other",
            split="subsets",
            subsets={"train": ["train-clean-5"], "valid": ["dev-clean-2"]},
        )


def test_prepare_by_speakers_is_speaker_independent_and_idempotent(
    mini_librispeech, tmp_path
):
    out = tmp_path / "manifests"
    args = dict(valid_speakers=2, test_speakers=2, seed=3, max_duration=0.55)
    summary = prepare_asr("librispeech", mini_librispeech, out, **args)
    speakers = {}
    for split in ("train", "valid", "test"):
        with open(out / f"{split}.csv", encoding="utf-8") as handle:
            speakers[split] = {r["spk_id"] for r in csv.DictReader(handle)}
    assert not speakers["train"] & speakers["valid"]
    assert not speakers["train"] & speakers["test"]
    assert not speakers["valid"] & speakers["test"]
    for split in ("valid", "test"):  # one female and one male each
        assert summary["splits"][split]["speakers"] == 2
        assert len(summary["splits"][split]["per_gender"]) == 2
    assert summary["dropped_too_long"] > 0  # 0.6 s and longer, train only
    before = {p: p.stat().st_mtime_ns for p in out.iterdir()}
    prepare_asr("librispeech", mini_librispeech, out, **args)
    assert {p: p.stat().st_mtime_ns for p in out.iterdir()} == before


def test_prepare_refuses_foreign_manifests(mini_librispeech, tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "train.csv").write_text("precious")
    with pytest.raises(FileExistsError, match="refusing"):
        prepare_asr("librispeech", mini_librispeech, out, valid_speakers=1)
    assert (out / "train.csv").read_text() == "precious"


def test_prepare_generic_csv(tmp_path):
    data = tmp_path / "corpus"
    (data / "audio").mkdir(parents=True)
    rows = []
    for i in range(8):
        write_audio(data / "audio" / f"u{i}.wav", np.zeros(4000, np.float32), 8000)
        rows.append(
            {
                "ID": f"u{i}",
                "duration": 0.5,
                "wav": f"$data_root/audio/u{i}.wav",
                "spk_id": f"s{i % 4}",
                "wrd": f"hello  world {i}",
            }
        )
    csv_file = tmp_path / "my.csv"
    with open(csv_file, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    out = tmp_path / "manifests"
    summary = prepare_asr(
        "csv", data, out, valid_speakers=1, test_speakers=1, csv_file=csv_file
    )
    assert summary["splits"]["train"]["utterances"] == 4
    with open(out / "test.csv", encoding="utf-8") as handle:
        test = list(csv.DictReader(handle))
    assert test[0]["gender"] == "unknown"
    assert test[0]["wrd"].startswith("hello world ")  # whitespace normalised
    with pytest.raises(ValueError, match="needs csv_file"):
        prepare_asr("csv", data, tmp_path / "m2")
    rows[3]["wrd"] = " "
    with open(csv_file, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    with pytest.raises(ValueError, match="empty wrd.*u3"):
        prepare_asr("csv", data, tmp_path / "m3", csv_file=csv_file)
    with pytest.raises(ValueError, match="not supported for ASR"):
        prepare_asr("timit", data, tmp_path / "m4")
    assert json.loads((out / "prep_summary.json").read_text())["status"] == "done"
    assert sorted(os.listdir(data)) == ["audio"]  # nothing written into it
