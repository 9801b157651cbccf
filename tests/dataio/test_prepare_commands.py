"""Speech Commands layout and the command data preparation."""

import csv
import os

import numpy as np
import pytest
from preparations import prepare_commands

from speechbrain_lstm_ser.dataio.audio import read_audio, write_audio
from speechbrain_lstm_ser.dataio.corpora.speech_commands import (
    read_background_noise,
    read_speech_commands,
)
from speechbrain_lstm_ser.dataio.manifest import COMMANDS_COLUMNS
from speechbrain_lstm_ser.dataio.prepare_commands import class_labels

COMMANDS = ["yes", "no", "up", "down", "left", "right", "on", "off", "stop", "go"]
OTHERS = ["bed", "marvin", "sheila", "zero"]
# real-looking speaker hashes: 6 train, 1 valid, 1 test
SPEAKERS = [
    "0a7c2a8d",
    "0ab3b47d",
    "0b09edd3",
    "0c2ca723",
    "0d2bcf9d",
    "0f46028a",
    "1a892463",
    "1b4c9b89",
]


def _read(path):
    with open(path, encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture
def mini_gsc(tmp_path):
    """A miniature Speech Commands v0.02 tree with the real file naming."""
    root = tmp_path / "speech_commands_v0.02"
    rng = np.random.default_rng(0)
    for word in COMMANDS + OTHERS:
        (root / word).mkdir(parents=True)
        for spk in SPEAKERS:
            for take in range(2 if word in COMMANDS else 1):
                clip = (0.01 * rng.standard_normal(16000)).astype(np.float32)
                write_audio(root / word / f"{spk}_nohash_{take}.wav", clip, 16000)
    noise = root / "_background_noise_"
    noise.mkdir()
    for name, seconds in (("white_noise", 30), ("running_tap", 20)):
        write_audio(
            noise / f"{name}.wav",
            (0.1 * rng.standard_normal(16000 * seconds)).astype(np.float32),
            16000,
        )
    (noise / "README.md").write_text("noise files")

    def listed(spk):
        return [
            f"{w}/{spk}_nohash_{t}.wav"
            for w in COMMANDS + OTHERS
            for t in range(2 if w in COMMANDS else 1)
        ]

    (root / "validation_list.txt").write_text("\n".join(listed(SPEAKERS[6])) + "\n")
    (root / "testing_list.txt").write_text("\n".join(listed(SPEAKERS[7])) + "\n")
    return root


def test_read_speech_commands(mini_gsc):
    rows = read_speech_commands(mini_gsc)
    assert len(rows) == 8 * (10 * 2 + 4)
    by_id = {r["ID"]: r for r in rows}
    row = by_id["yes/1a892463_nohash_1"]
    assert row["split"] == "valid" and row["spk_id"] == "1a892463"
    assert row["wav"] == "$data_root/yes/1a892463_nohash_1.wav"
    assert row["gender"] == "unknown" and row["word"] == "yes"
    assert by_id["marvin/1b4c9b89_nohash_0"]["split"] == "test"
    assert by_id["go/0a7c2a8d_nohash_0"]["split"] == "train"
    noise = read_background_noise(mini_gsc)
    assert [n["ID"] for n in noise] == ["running_tap", "white_noise"]
    assert float(noise[1]["duration"]) == pytest.approx(30.0)


def test_layout_errors(mini_gsc):
    (mini_gsc / "yes" / "badname.wav").write_bytes(b"")
    with pytest.raises(ValueError, match="badname.wav: not a Speech Commands"):
        read_speech_commands(mini_gsc)
    (mini_gsc / "yes" / "badname.wav").unlink()
    (mini_gsc / "testing_list.txt").unlink()
    with pytest.raises(FileNotFoundError, match="testing_list.txt is missing"):
        read_speech_commands(mini_gsc)
    assert len(read_speech_commands(mini_gsc, require_lists=False)) == 8 * 24


def test_twelve_class_task_with_the_official_split(mini_gsc, tmp_path):
    out = tmp_path / "manifests"
    summary = prepare_commands(
        "speech_commands",
        mini_gsc,
        out,
        COMMANDS,
        unknown_share=0.1,
        silence_share=0.1,
    )
    labels = COMMANDS + ["unknown", "silence"]
    assert summary["labels"] == labels
    train = _read(out / "train.csv")
    assert list(train[0]) == list(COMMANDS_COLUMNS)
    counts = summary["splits"]["train"]["per_class"]
    assert all(counts[c] == 6 * 2 for c in COMMANDS)
    # 120 command clips are 80 % of the split: 15 unknown, 15 silence
    assert counts["unknown"] == counts["silence"] == 15
    unknown = [r for r in train if r["command"] == "unknown"]
    assert {r["word"] for r in unknown} <= set(OTHERS)
    # silence: one-second segments of the noise, from each split's own span
    for split, (lo, hi) in {"train": (0, 0.8), "test": (0.9, 1.0)}.items():
        rows = [r for r in _read(out / f"{split}.csv") if r["command"] == "silence"]
        assert rows
        for row in rows:
            length = 30.0 if "white_noise" in row["wav"] else 20.0
            start, stop = float(row["start"]), float(row["stop"])
            assert stop - start == pytest.approx(1.0)
            assert lo * length <= start and stop <= hi * length + 1e-6
    wav = train[-1]["wav"].replace("$data_root", str(mini_gsc))
    segment = read_audio(
        wav, 16000, float(train[-1]["start"]), float(train[-1]["stop"])
    )
    assert segment.shape == (16000,)
    test = _read(out / "test.csv")
    assert {r["spk_id"] for r in test if r["command"] != "silence"} == {"1b4c9b89"}
    noise = _read(out / "noise.csv")
    assert [n["ID"] for n in noise] == ["running_tap", "white_noise"]
    assert noise[0]["wav_format"] == "wav"
    assert sorted(os.listdir(mini_gsc / "_background_noise_")) == [
        "README.md",
        "running_tap.wav",
        "white_noise.wav",
    ]


def test_configurable_words_and_speaker_split(mini_gsc, tmp_path):
    out = tmp_path / "m"
    options = dict(
        unknown_label=None,
        silence_label=None,
        split="speakers",
        valid_speakers=2,
        test_speakers=2,
    )
    summary = prepare_commands(
        "speech_commands", mini_gsc, out, ["up", "down"], **options
    )
    assert summary["labels"] == ["up", "down"]
    spk = {
        s: {r["spk_id"] for r in _read(out / f"{s}.csv")}
        for s in ("train", "valid", "test")
    }
    assert len(spk["train"]) == 4 and len(spk["valid"]) == len(spk["test"]) == 2
    assert not (spk["train"] & spk["test"]) and not (spk["valid"] & spk["test"])
    assert {r["command"] for r in _read(out / "train.csv")} == {"up", "down"}
    # same options: nothing rewritten
    before = {p: p.stat().st_mtime_ns for p in out.iterdir()}
    prepare_commands("speech_commands", mini_gsc, out, ["up", "down"], **options)
    assert {p: p.stat().st_mtime_ns for p in out.iterdir()} == before


def test_bad_options(mini_gsc, tmp_path):
    with pytest.raises(ValueError, match="distinct"):
        class_labels(["yes", "yes"], "unknown", None)
    with pytest.raises(ValueError, match="command word.*cat"):
        prepare_commands("speech_commands", mini_gsc, tmp_path / "a", ["cat"])
    with pytest.raises(ValueError, match="below 1"):
        prepare_commands(
            "speech_commands",
            mini_gsc,
            tmp_path / "b",
            COMMANDS,
            unknown_share=0.5,
            silence_share=0.5,
        )
    for path in (mini_gsc / "_background_noise_").iterdir():
        path.unlink()
    with pytest.raises(ValueError, match="silence_label to null"):
        prepare_commands("speech_commands", mini_gsc, tmp_path / "c", COMMANDS)
    with pytest.raises(ValueError, match="not supported"):
        prepare_commands("timit", mini_gsc, tmp_path / "d", COMMANDS)


def test_the_stamp_records_which_classes_are_commands(mini_gsc, tmp_path):
    # Same class list, other task: "bed" was the unknown class, now a command.
    out = tmp_path / "m"
    args = dict(silence_label=None, split="speakers", valid_speakers=2, test_speakers=2)
    prepare_commands(
        "speech_commands", mini_gsc, out, ["up", "down"], unknown_label="bed", **args
    )
    train = _read(out / "train.csv")
    assert len({r["word"] for r in train if r["command"] == "bed"}) > 1
    summary = prepare_commands(
        "speech_commands",
        mini_gsc,
        out,
        ["up", "down", "bed"],
        unknown_label=None,
        **args,
    )
    assert summary["labels"] == ["up", "down", "bed"]
    assert summary["options"]["commands"] == ["up", "down", "bed"]
    train = _read(out / "train.csv")
    assert {r["word"] for r in train if r["command"] == "bed"} == {"bed"}
