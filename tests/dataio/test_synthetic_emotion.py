import csv
import dataclasses
import hashlib
import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from speechbrain_lstm_ser.dataio.folder_lock import folder_lock
from speechbrain_lstm_ser.dataio.manifest import (
    DIMENSIONS,
    EMOTION_COLUMNS,
    EMOTION_MANIFEST,
    read_manifest,
    write_manifest,
)
from speechbrain_lstm_ser.dataio.stamps import STARTED, read_stamp, write_stamp
from speechbrain_lstm_ser.dataio.synthetic.domains import DomainOptions, _plans
from speechbrain_lstm_ser.dataio.synthetic.emotion import (
    CORPUS_CSV,
    EMOTION_PROFILES,
    SENTENCES,
    STAMP,
    EmbeddedCorpusOptions,
    generate_embedded_corpus,
    plan_speaker,
    speakers,
)
from speechbrain_lstm_ser.dataio.synthetic.espeak import EspeakSynthesizer

SMALL = EmbeddedCorpusOptions(num_speakers=2, utterances_per_emotion=2)
#: The plans (everything the audio is rendered from) of generator version 2
#: (embedded) and 1 (validation domain), recorded before the dimensions.
PLANS_V2 = Path(__file__).resolve().parents[1] / "data" / "embedded_plans_v2.json"


def _digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_design_meets_the_specification():
    voices = speakers(24)
    assert len({v for _, v, _ in voices}) == 24
    genders = [g for _, _, g in voices]
    assert genders.count("female") == genders.count("male") == 12
    assert len(set(SENTENCES)) >= 30
    assert set(EMOTION_PROFILES) >= {"neutral", "happy", "sad", "angry"}
    # every voice variant exists and has the declared gender
    variants = {v.name: v.gender for v in EspeakSynthesizer().variants()}
    for _, voice, gender in voices:
        assert variants[voice.split("+")[1]] == gender


def test_profiles_overlap():
    # Within 1.5 standard deviations the rate, pitch and loudness of happy and
    # angry overlap, and so do neutral and sad: the task must not be trivial.
    def interval(spec):
        return spec[0] - 1.5 * spec[1], spec[0] + 1.5 * spec[1]

    for a, b in (("happy", "angry"), ("neutral", "sad"), ("neutral", "happy")):
        for field in ("rate_scale", "pitch_shift", "gain_db"):
            lo_a, hi_a = interval(getattr(EMOTION_PROFILES[a], field))
            lo_b, hi_b = interval(getattr(EMOTION_PROFILES[b], field))
            assert lo_a < hi_b and lo_b < hi_a, (a, b, field)


def test_generated_corpus(tiny_corpus):
    folder, options = tiny_corpus
    rows = read_manifest(
        folder / CORPUS_CSV,
        required=EMOTION_COLUMNS,
        data_root=folder,
        check_files=True,
    )
    assert len(rows) == 6 * 4 * 3
    assert {r["emo"] for r in rows} == set(options.emotions)
    assert {r["gender"] for r in rows} == {"female", "male"}
    assert all(r["wav"].startswith("$data_root/") for r in rows)
    read_manifest(folder / CORPUS_CSV, schema=EMOTION_MANIFEST)  # dims in [0, 1]
    assert all(r[d] != "" for r in rows for d in DIMENSIONS)
    for row in rows[:8]:
        info = sf.info(row["wav"].replace("$data_root", str(folder)))
        assert info.samplerate == 16000 and info.channels == 1
        assert info.duration == pytest.approx(row["duration"], abs=1e-3)
        assert 1.0 < info.duration < 8.0
    stamp = read_stamp(folder / STAMP)
    assert stamp["synthetic"] is True and "not accuracy on human" in stamp["note"]


def test_same_options_give_identical_bytes_and_second_run_does_nothing(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    generate_embedded_corpus(a, SMALL)
    generate_embedded_corpus(b, SMALL, num_workers=1)
    # Same bytes (the manifest holds no absolute path, so it compares too).
    assert _digest(a) == _digest(b)
    before = {p: p.stat().st_mtime_ns for p in a.rglob("*")}
    generate_embedded_corpus(a, SMALL)
    assert {p: p.stat().st_mtime_ns for p in a.rglob("*")} == before


def test_other_options_never_overwrite(tmp_path):
    folder = tmp_path / "c"
    generate_embedded_corpus(folder, SMALL)
    before = _digest(folder)
    other = EmbeddedCorpusOptions(num_speakers=2, utterances_per_emotion=2, seed=7)
    with pytest.raises(FileExistsError, match="seed: 1234 -> 7"):
        generate_embedded_corpus(folder, other)
    assert _digest(folder) == before


def test_refuses_a_folder_it_did_not_write(tmp_path):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "thesis.txt").write_text("precious")
    with pytest.raises(FileExistsError, match="refusing"):
        generate_embedded_corpus(folder, SMALL)
    assert os.listdir(folder) == ["thesis.txt"]


def test_interrupted_generation_is_redone(tmp_path):
    folder = tmp_path / "d"
    generate_embedded_corpus(folder, SMALL)
    expected = _digest(folder)
    # Simulate a kill: stamp says started, manifest gone, a stray file left.
    write_stamp(folder / STAMP, SMALL.as_dict(), STARTED)
    (folder / CORPUS_CSV).unlink()
    (folder / "wavs" / "f01" / "junk.wav").write_bytes(b"half")
    generate_embedded_corpus(folder, SMALL)
    assert _digest(folder) == expected


def test_emotions_differ_acoustically(tiny_corpus):
    folder, _ = tiny_corpus
    with open(folder / CORPUS_CSV) as handle:
        rows = list(csv.DictReader(handle))
    duration = {e: [] for e in EMOTION_PROFILES}
    for row in rows:
        duration[row["emo"]].append(float(row["duration"]))
    # sad speech is slower, angry speech faster, on average
    assert (
        np.mean(duration["sad"])
        > np.mean(duration["neutral"])
        > np.mean(duration["angry"])
    )


def test_option_validation():
    with pytest.raises(ValueError, match="no prosody profile"):
        EmbeddedCorpusOptions(emotions=("neutral", "bored"))
    with pytest.raises(ValueError, match="num_speakers"):
        EmbeddedCorpusOptions(num_speakers=1)
    with pytest.raises(ValueError, match="utterances_per_emotion"):
        EmbeddedCorpusOptions(utterances_per_emotion=len(SENTENCES) + 1)


def _plans_as_data(plans):
    return [
        {
            "path": u.path,
            "request": dataclasses.asdict(u.request),
            "recording": dataclasses.asdict(u.recording),
        }
        for group in plans
        for u in group
    ]


def _same(found, expected, where=""):
    """Equal data; floats within 1e-9 (they are numpy draws: IEEE, no kernel)."""
    if isinstance(expected, float):
        assert found == pytest.approx(expected, rel=1e-9, abs=1e-12), where
    elif isinstance(expected, dict):
        assert sorted(found) == sorted(expected), where
        for key in expected:
            _same(found[key], expected[key], f"{where}.{key}")
    elif isinstance(expected, list):
        assert len(found) == len(expected), where
        for i, (f, e) in enumerate(zip(found, expected, strict=True)):
            _same(f, e, f"{where}[{i}]")
    else:
        assert found == expected, where


def test_the_audio_plans_are_the_previous_generators():
    # The dimensions take no random number from the draws that decide the
    # audio: every request and recording (hence every sample written, as
    # test_same_options_give_identical_bytes... shows the rendering is
    # deterministic) is version 2's.
    recorded = json.loads(PLANS_V2.read_text())
    embedded = [
        plan_speaker(SMALL, i, s, SMALL.emotions) for i, s in enumerate(speakers(2))
    ]
    _same(json.loads(json.dumps(_plans_as_data(embedded))), recorded["embedded"])
    domain = _plans(DomainOptions(num_speakers=1, utterances_per_emotion=1))
    _same(json.loads(json.dumps(_plans_as_data(domain))), recorded["validation_domain"])
    assert all(set(DIMENSIONS) <= set(u.row) for g in domain for u in g)


def test_the_categories_are_regions_of_the_dimensions():
    options = EmbeddedCorpusOptions(num_speakers=12, utterances_per_emotion=10)
    rows = [
        u.row
        for i, s in enumerate(speakers(12))
        for u in plan_speaker(options, i, s, options.emotions)
    ]
    mean = {
        (emo, dim): np.mean([float(r[dim]) for r in rows if r["emo"] == emo])
        for emo in options.emotions
        for dim in DIMENSIONS
    }
    assert all(0 < float(r[d]) < 1 for r in rows for d in DIMENSIONS)
    assert mean["sad", "arousal"] < mean["neutral", "arousal"] - 0.2
    assert mean["neutral", "arousal"] < min(
        mean["happy", "arousal"], mean["angry", "arousal"]
    )
    assert mean["happy", "valence"] > mean["neutral", "valence"] + 0.2
    assert mean["neutral", "valence"] > max(
        mean["sad", "valence"], mean["angry", "valence"]
    )
    assert mean["angry", "dominance"] > mean["neutral", "dominance"] + 0.2
    assert mean["sad", "dominance"] < mean["neutral", "dominance"] - 0.1
    for dim in DIMENSIONS:  # neutral is central
        assert abs(mean["neutral", dim] - 0.5) < 0.1


def test_a_corpus_without_dimensions_gets_them_in_place(tiny_corpus, tmp_path):
    source, options = tiny_corpus
    folder = tmp_path / "old"
    shutil.copytree(source, folder)
    expected = (folder / CORPUS_CSV).read_text()
    # What generator version 2 left: no dimension columns, version 2 stamp.
    rows = list(csv.DictReader(open(folder / CORPUS_CSV)))
    old = [c for c in EMOTION_COLUMNS if c not in DIMENSIONS]
    write_manifest(folder / CORPUS_CSV, rows, old)
    stamp = read_stamp(folder / STAMP)
    stamp["options"]["generator_version"] = 2
    (folder / STAMP).write_text(json.dumps(stamp))
    audio = {p: p.stat().st_mtime_ns for p in (folder / "wavs").rglob("*.wav")}
    generate_embedded_corpus(folder, options)
    assert (folder / CORPUS_CSV).read_text() == expected
    assert read_stamp(folder / STAMP) == read_stamp(source / STAMP)
    assert {p: p.stat().st_mtime_ns for p in audio} == audio


def test_a_second_process_waits_for_the_generation_in_progress(tmp_path):
    folder = tmp_path / "shared"
    script = (
        "import logging, sys\n"
        "logging.basicConfig(level=logging.INFO, stream=sys.stderr)\n"
        "from speechbrain_lstm_ser.dataio.synthetic.emotion import (\n"
        "    EmbeddedCorpusOptions, generate_embedded_corpus)\n"
        f"generate_embedded_corpus(sys.argv[1], EmbeddedCorpusOptions("
        f"num_speakers={SMALL.num_speakers}, "
        f"utterances_per_emotion={SMALL.utterances_per_emotion}))\n"
    )
    with folder_lock(folder):  # a generation "in progress" in this process
        other = subprocess.Popen(
            [sys.executable, "-c", script, str(folder)],
            stderr=subprocess.PIPE,
            text=True,
        )
        # A generator that blocks without saying so would leave the loop
        # below reading forever: kill it after a while, so the test fails.
        watchdog = threading.Timer(120, other.kill)
        watchdog.start()
        try:
            for line in other.stderr:
                if "Another process is writing" in line:
                    break
            else:
                pytest.fail(f"the second generator did not wait (exit {other.wait()})")
        finally:
            watchdog.cancel()
        assert not folder.exists()  # it waits before touching the folder
    assert other.wait(timeout=300) == 0
    reference = tmp_path / "reference"
    generate_embedded_corpus(reference, SMALL)
    assert _digest(folder) == _digest(reference)


def test_a_finished_corpus_in_a_read_only_place_is_used_without_a_lock(
    tiny_corpus, monkeypatch
):
    import speechbrain_lstm_ser.dataio.folder_lock as folder_lock_module

    def read_only(path, *args, **kwargs):
        raise PermissionError(13, "Permission denied", str(path))

    # (root ignores file modes: refuse the lock file's creation instead)
    monkeypatch.setattr(folder_lock_module, "open", read_only, raising=False)
    folder, options = tiny_corpus
    before = _digest(folder)
    assert generate_embedded_corpus(folder, options) == folder / CORPUS_CSV
    assert _digest(folder) == before


def test_the_synthesis_workers_ignore_a_users_modules_beside_the_recipe(
    tmp_path, monkeypatch
):
    # A select.py in the working folder shadowed the standard library in the
    # "python -m" workers ("module 'select' has no attribute 'select'").
    from speechbrain_lstm_ser.dataio.synthetic.espeak import (
        Prosody,
        SynthesisRequest,
        synthesize_isolated,
    )

    (tmp_path / "select.py").write_text("raise ImportError('shadowed')\n")
    (tmp_path / "json.py").write_text("raise ImportError('shadowed')\n")
    monkeypatch.chdir(tmp_path)
    request = SynthesisRequest("Good morning.", "en+f2", Prosody(rate=160))
    [[wav]] = synthesize_isolated([[request]], num_workers=1)
    assert wav.dtype == np.int16 and len(wav) > 1000
