"""Other emotion domains: held-out espeak-ng voices (validation), Flite and languages
(test)."""

import hashlib
import shutil
from pathlib import Path

import pytest
import soundfile as sf

from speechbrain_lstm_ser.dataio.manifest import read_manifest
from speechbrain_lstm_ser.dataio.stamps import read_stamp
from speechbrain_lstm_ser.dataio.synthetic import domains
from speechbrain_lstm_ser.dataio.synthetic.domains import (
    DomainOptions,
    FliteMissingError,
    generate_domain_corpus,
    heldout_speakers,
    language_speakers,
)
from speechbrain_lstm_ser.dataio.synthetic.emotion import SENTENCES
from speechbrain_lstm_ser.dataio.synthetic.languages import LANGUAGE_SENTENCES
from speechbrain_lstm_ser.dataio.synthetic.synthesis import ACCENTS, speakers

needs_flite = pytest.mark.skipif(
    shutil.which("flite") is None,
    reason="the flite domain needs CMU Flite: apt-get install flite",
)


def _digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*.wav"))
    }


def test_the_validation_voices_are_never_training_voices():
    for train in (2, 12, 24, 30):
        used = {v.split("+")[1] for _, v, _ in speakers(train)}
        held = heldout_speakers(train)
        assert held and not {v.split("+")[1] for _, v, _ in held} & used
        assert not {v.split("+")[0] for _, v, _ in held} & set(ACCENTS)
        assert not {s for s, _, _ in held} & {s for s, _, _ in speakers(35)}
    with pytest.raises(ValueError, match="leaves no espeak-ng voice"):
        DomainOptions(train_num_speakers=35)
    with pytest.raises(ValueError, match="not one of"):
        DomainOptions(domain="festival")


def test_the_languages_domain_has_training_voices_speak_other_languages():
    voices = language_speakers(24)
    training = {v.split("+")[1] for _, v, _ in speakers(24)}
    assert {v.split("+")[1] for _, v, _ in voices} <= training
    languages = [v.split("+")[0] for _, v, _ in voices]
    assert sorted(set(languages)) == sorted(LANGUAGE_SENTENCES)
    assert not set(languages) & {a.split("-")[0] for a in ACCENTS}
    for lang in LANGUAGE_SENTENCES:  # one woman and one man per language
        genders = sorted(g for _, v, g in voices if v.startswith(f"{lang}+"))
        assert genders == ["female", "male"]
    options = DomainOptions(domain="languages", utterances_per_emotion=3)
    for speaker, plan in zip(options.speakers(), domains._plans(options), strict=True):
        said = {u.request.text for u in plan}
        lang = speaker[1].split("+")[0]
        assert said <= set(LANGUAGE_SENTENCES[lang]) and not said & set(SENTENCES)
        assert {u.request.voice for u in plan} == {speaker[1]}
    with pytest.raises(ValueError, match=r"within 1\.\.20 for the languages"):
        DomainOptions(domain="languages", utterances_per_emotion=21)


@needs_flite
def test_the_flite_domain_renders_the_emotions_deterministically(tmp_path):
    options = DomainOptions(domain="flite", num_speakers=1, utterances_per_emotion=1)
    csv = generate_domain_corpus(tmp_path / "a", options)
    rows = read_manifest(csv)
    assert [r["emo"] for r in rows] == ["neutral", "happy", "sad", "angry"]
    assert {r["spk_id"] for r in rows} == {"fl_kal"}
    info = sf.info(str(tmp_path / "a" / rows[0]["wav"].replace("$data_root/", "")))
    assert info.samplerate == 16000 and info.duration > 1.0
    stamp = read_stamp(tmp_path / "a" / "corpus.json")
    assert "test only" in stamp["use"] and "Not human speech" in stamp["note"]
    assert generate_domain_corpus(tmp_path / "a", options) == csv  # idempotent
    generate_domain_corpus(tmp_path / "b", options)
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b")
    # sad is slower than angry here too (the profiles' rate)
    durations = {r["emo"]: float(r["duration"]) for r in rows}
    assert durations["sad"] > durations["angry"]


def test_a_missing_flite_is_one_line_naming_the_package(tmp_path, monkeypatch):
    monkeypatch.setattr(domains.shutil, "which", lambda _name: None)
    with pytest.raises(FliteMissingError, match="apt-get install flite"):
        generate_domain_corpus(tmp_path / "c", DomainOptions(domain="flite"))
    assert not (tmp_path / "c").exists()


def test_a_folder_of_user_files_is_never_written_into(tmp_path):
    (tmp_path / "mine.txt").write_text("mine")
    with pytest.raises(FileExistsError, match="refusing to write"):
        generate_domain_corpus(tmp_path, DomainOptions(num_speakers=1))
    assert [p.name for p in tmp_path.iterdir()] == ["mine.txt"]


@pytest.mark.slow
def test_the_validation_domain_renders_held_out_espeak_voices(tmp_path):
    options = DomainOptions(num_speakers=2, utterances_per_emotion=1)
    rows = read_manifest(generate_domain_corpus(tmp_path, options))
    assert len(rows) == 8 and {r["spk_id"] for r in rows} == {"vf13", "vf14"}
    stamp = read_stamp(tmp_path / "corpus.json")
    assert stamp["use"].startswith("validation")


@pytest.mark.slow
def test_the_languages_domain_renders_and_is_test_only(tmp_path):
    options = DomainOptions(
        domain="languages", num_speakers=2, utterances_per_emotion=1
    )
    rows = read_manifest(generate_domain_corpus(tmp_path, options))
    assert {r["spk_id"] for r in rows} == {"de_f1", "de_m1"}
    assert {r["emo"] for r in rows} == {"neutral", "happy", "sad", "angry"}
    assert all(r["text"] in LANGUAGE_SENTENCES["de"] for r in rows)
    stamp = read_stamp(tmp_path / "corpus.json")
    assert stamp["use"].startswith("test only")
    assert "German" in stamp["note"]


def test_the_resynthesis_domain_needs_its_vocoder(tmp_path):
    options = DomainOptions(domain="resynthesis", num_speakers=1)
    with pytest.raises(ValueError, match="processing.resynthesis FOLDER"):
        generate_domain_corpus(tmp_path / "r", options)
    assert not (tmp_path / "r").exists()
