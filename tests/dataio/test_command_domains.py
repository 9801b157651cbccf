"""The test-only Flite domain of spoken commands."""

import shutil

import pytest
import soundfile as sf

from speechbrain_lstm_ser.dataio.manifest import SILENCE_WORD, read_manifest
from speechbrain_lstm_ser.dataio.stamps import read_stamp
from speechbrain_lstm_ser.dataio.synthetic import domains
from speechbrain_lstm_ser.dataio.synthetic.command_domains import (
    DOMAIN_COLUMNS,
    CommandDomainOptions,
    FliteMissingError,
    generate_command_domain,
)
from speechbrain_lstm_ser.dataio.synthetic.commands import (
    AUXILIARY_WORDS,
    COMMAND_WORDS,
)
from speechbrain_lstm_ser.evaluation.transfer import read_domain

SMALL = CommandDomainOptions(repetitions=1, auxiliary_per_speaker=2, silence_clips=4)
VOICES = {"fl_kal", "fl_kal16", "fl_awb", "fl_slt"}


@pytest.fixture(scope="module")
def small_domain(tmp_path_factory):
    if shutil.which("flite") is None:  # every test that reads it is skipped
        pytest.skip("the flite commands domain needs CMU Flite: apt-get install flite")
    folder = tmp_path_factory.mktemp("flite") / "commands_flite"
    assert generate_command_domain(folder, SMALL) == folder
    return folder


def test_the_domain_has_every_voice_saying_every_command(small_domain):
    rows = read_manifest(small_domain / "corpus.csv")
    with open(small_domain / "corpus.csv") as handle:
        header = handle.readline().strip().split(",")
    assert tuple(header) == DOMAIN_COLUMNS
    assert header == ["ID", "duration", "wav", "spk_id", "gender", "command", "word"]
    assert len(rows) == SMALL.num_clips() == 4 * (10 + 2) + 4
    speech = [r for r in rows if r["word"] != SILENCE_WORD]
    assert {r["spk_id"] for r in speech} == VOICES
    for voice in VOICES:
        said = [r for r in speech if r["spk_id"] == voice]
        assert sorted(r["command"] for r in said if r["word"] in COMMAND_WORDS) == (
            sorted(COMMAND_WORDS)
        )
        others = [r for r in said if r["word"] not in COMMAND_WORDS]
        assert len(others) == 2 and {r["word"] for r in others} <= set(AUXILIARY_WORDS)
        assert {r["command"] for r in others} == {"unknown"}
    assert {r["gender"] for r in speech if r["spk_id"] == "fl_slt"} == {"female"}
    silence = [r for r in rows if r["word"] == SILENCE_WORD]
    assert len(silence) == 4 and {r["command"] for r in silence} == {"silence"}
    assert {r["spk_id"] for r in silence} == {
        "noise_white",
        "noise_pink",
        "noise_brown",
        "noise_hum",
    }
    assert all(r["wav"].startswith("$data_root/wavs/") for r in rows)
    assert len({r["ID"] for r in rows}) == len(rows)
    stamp = read_stamp(small_domain / "corpus.json")
    assert stamp["use"].startswith("test only") and "Not human speech" in stamp["note"]
    assert stamp["synthetic"] is True and stamp["num_utterances"] == len(rows)


def test_every_clip_is_one_second_of_16_khz_mono(small_domain):
    for path in sorted((small_domain / "wavs").rglob("*.wav")):
        info = sf.info(str(path))
        assert (info.samplerate, info.channels, info.frames) == (16000, 1, 16000)
        wav, _ = sf.read(str(path))
        assert 0 < abs(wav).max() <= 1.0


def test_a_second_call_does_nothing_and_other_options_are_refused(small_domain):
    before = {p: p.stat().st_mtime_ns for p in small_domain.rglob("*")}
    assert generate_command_domain(small_domain, SMALL) == small_domain
    assert {p: p.stat().st_mtime_ns for p in small_domain.rglob("*")} == before
    with pytest.raises(FileExistsError, match="other options"):
        generate_command_domain(small_domain, CommandDomainOptions(repetitions=2))
    assert {p: p.stat().st_mtime_ns for p in small_domain.rglob("*")} == before


def test_the_same_options_give_the_same_files(small_domain, tmp_path):
    again = generate_command_domain(tmp_path / "again", SMALL)
    wavs = sorted(p.relative_to(small_domain) for p in small_domain.rglob("*.wav"))
    assert wavs == sorted(p.relative_to(again) for p in again.rglob("*.wav"))
    for wav in wavs:
        assert (again / wav).read_bytes() == (small_domain / wav).read_bytes()
    assert (again / "corpus.csv").read_text() == (
        small_domain / "corpus.csv"
    ).read_text()


def test_read_domain_reads_it_with_the_command_labels(small_domain):
    data = read_domain(small_domain, 16000, "command")
    assert len(data.wavs) == SMALL.num_clips()
    assert {len(w) for w in data.wavs} == {16000}
    assert set(data.labels) == {*COMMAND_WORDS, "unknown", "silence"}
    assert all(data.speakers)


def test_a_folder_of_user_files_is_never_written_into(tmp_path):
    (tmp_path / "mine.txt").write_text("mine")
    if shutil.which("flite") is None:
        pytest.skip("the folder check comes after the Flite check")
    with pytest.raises(FileExistsError, match="refusing to write"):
        generate_command_domain(tmp_path, SMALL)
    assert [p.name for p in tmp_path.iterdir()] == ["mine.txt"]


def test_a_missing_flite_is_one_line_and_touches_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(domains.shutil, "which", lambda _name: None)
    with pytest.raises(FliteMissingError, match="apt-get install flite"):
        generate_command_domain(tmp_path / "c", SMALL)
    assert not (tmp_path / "c").exists()


def test_options_are_checked():
    with pytest.raises(ValueError, match="repetitions"):
        CommandDomainOptions(repetitions=0)
    with pytest.raises(ValueError, match="auxiliary_per_speaker"):
        CommandDomainOptions(auxiliary_per_speaker=len(AUXILIARY_WORDS) + 1)
    with pytest.raises(ValueError, match="snr_low"):
        CommandDomainOptions(snr_low=40.0)
    assert CommandDomainOptions().seed != 1234  # not the training corpus's draws
