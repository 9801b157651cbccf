"""The embedded ASR and command corpora: layouts, determinism, safety."""

import hashlib
import json
from pathlib import Path

import pytest
import soundfile as sf

from speechbrain_lstm_ser.dataio.corpora.librispeech import read_librispeech
from speechbrain_lstm_ser.dataio.corpora.speech_commands import (
    read_background_noise,
    read_speech_commands,
)
from speechbrain_lstm_ser.dataio.synthetic.asr import (
    EmbeddedASROptions,
    generate_embedded_asr_corpus,
    vocabulary,
)
from speechbrain_lstm_ser.dataio.synthetic.commands import (
    AUXILIARY_WORDS,
    COMMAND_WORDS,
    EmbeddedCommandsOptions,
    generate_embedded_commands_corpus,
)

ASR = EmbeddedASROptions(num_speakers=2, utterances_per_speaker=3)
COMMANDS = EmbeddedCommandsOptions(
    num_speakers=4,
    repetitions=1,
    auxiliary_per_speaker=2,
    valid_speakers=1,
    test_speakers=1,
    noise_seconds=5.0,
)


def _digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_asr_corpus_is_a_librispeech_tree(tmp_path):
    folder = generate_embedded_asr_corpus(tmp_path / "asr", ASR)
    rows = read_librispeech(folder)
    assert len(rows) == 6
    assert {r["gender"] for r in rows} == {"female", "male"}
    assert {r["subset"] for r in rows} == {"synthetic"}
    for row in rows:
        assert set(row["wrd"].split()) <= vocabulary()
        path = row["wav"].replace("$data_root", str(folder))
        info = sf.info(path)
        assert info.samplerate == 16000 and info.channels == 1
        assert path.endswith(".flac") and 1.0 < info.duration < 8.0
    stamp = json.loads((folder / "corpus.json").read_text())
    assert stamp["synthetic"] is True and "not error rates on human" in stamp["note"]


def test_asr_corpus_is_deterministic_idempotent_and_safe(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    generate_embedded_asr_corpus(a, ASR)
    generate_embedded_asr_corpus(b, ASR, num_workers=1)
    assert _digest(a) == _digest(b)
    before = {p: p.stat().st_mtime_ns for p in a.rglob("*")}
    generate_embedded_asr_corpus(a, ASR)  # same options: nothing happens
    assert {p: p.stat().st_mtime_ns for p in a.rglob("*")} == before
    with pytest.raises(FileExistsError, match="utterances_per_speaker: 3 -> 4"):
        generate_embedded_asr_corpus(
            a, EmbeddedASROptions(num_speakers=2, utterances_per_speaker=4)
        )
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep")
    with pytest.raises(FileExistsError, match="refusing"):
        generate_embedded_asr_corpus(mine, ASR)
    assert [p.name for p in mine.iterdir()] == ["notes.txt"]


def test_commands_corpus_is_a_speech_commands_tree(tmp_path):
    folder = generate_embedded_commands_corpus(tmp_path / "cmd", COMMANDS)
    stamp = json.loads((folder / "corpus.json").read_text())
    genders = {s["spk_id"]: s["gender"] for s in stamp["speakers"]}
    rows = read_speech_commands(folder, genders)
    assert len(rows) == 4 * (len(COMMAND_WORDS) + 2)
    assert {r["word"] for r in rows} >= set(COMMAND_WORDS)
    assert {r["word"] for r in rows} - set(COMMAND_WORDS) <= set(AUXILIARY_WORDS)
    for row in rows[:5]:
        info = sf.info(row["wav"].replace("$data_root", str(folder)))
        assert info.duration == pytest.approx(1.0) and info.samplerate == 16000
    # held-out speakers: one per list, disjoint from training, both genders
    split_speakers = {}
    for row in rows:
        split_speakers.setdefault(row["split"], set()).add(row["spk_id"])
    assert len(split_speakers["valid"]) == len(split_speakers["test"]) == 1
    assert not split_speakers["train"] & (
        split_speakers["valid"] | split_speakers["test"]
    )
    held_out = split_speakers["valid"] | split_speakers["test"]
    assert {genders[s] for s in held_out} == {"female", "male"}
    noise = read_background_noise(folder)
    assert len(noise) == 4 and all(float(n["duration"]) == 5.0 for n in noise)


def test_commands_corpus_is_deterministic(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    generate_embedded_commands_corpus(a, COMMANDS)
    generate_embedded_commands_corpus(b, COMMANDS, num_workers=1)
    assert _digest(a) == _digest(b)


def test_option_validation():
    with pytest.raises(ValueError, match="num_speakers"):
        EmbeddedASROptions(num_speakers=36)
    with pytest.raises(ValueError, match="auxiliary_per_speaker"):
        EmbeddedCommandsOptions(auxiliary_per_speaker=99)
    with pytest.raises(ValueError, match="snr_low"):
        EmbeddedCommandsOptions(snr_low=30, snr_high=5)
