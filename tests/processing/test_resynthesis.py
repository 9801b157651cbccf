"""The resynthesis validation domain: the validation utterances, emotion by vocoder."""

import dataclasses
import hashlib
from pathlib import Path

from speechbrain_lstm_ser.dataio.manifest import read_manifest
from speechbrain_lstm_ser.dataio.stamps import read_stamp
from speechbrain_lstm_ser.dataio.synthetic import domains
from speechbrain_lstm_ser.dataio.synthetic.domains import (
    DomainOptions,
    heldout_speakers,
)
from speechbrain_lstm_ser.dataio.synthetic.espeak import Prosody
from speechbrain_lstm_ser.processing.resynthesis import (
    generate_resynthesis_corpus,
    prosody_change,
)


def _digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*.wav"))
    }


def test_the_change_follows_the_profiles_units():
    change = prosody_change(
        Prosody(rate=140, pitch=40, pitch_range=75), Prosody(rate=175, pitch=50)
    )
    assert change.stretch == 1.25  # slower
    assert change.f0_scale == 0.9  # 10 units under: 10 % lower
    assert change.range_scale == 1.5


def test_the_resynthesis_domain_renders_the_validation_utterances_by_vocoder(tmp_path):
    options = DomainOptions(
        domain="resynthesis", num_speakers=1, utterances_per_emotion=1
    )
    rows = read_manifest(generate_resynthesis_corpus(tmp_path / "a", options))
    assert [r["emo"] for r in rows] == ["neutral", "happy", "sad", "angry"]
    # the validation domain's speakers and sentences, rendered otherwise
    validation = domains._plans(dataclasses.replace(options, domain="validation"))
    assert [r["text"] for r in rows] == [u.request.text for u in validation[0]]
    assert {r["spk_id"] for r in rows} == {heldout_speakers(24)[0][0]}
    stamp = read_stamp(tmp_path / "a" / "corpus.json")
    assert stamp["use"].startswith("validation") and "LPC vocoder" in stamp["note"]
    # the rate reaches the audio through the vocoder's stretch
    durations = {r["emo"]: float(r["duration"]) for r in rows}
    assert durations["sad"] > durations["angry"]
    generate_resynthesis_corpus(tmp_path / "b", options)
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b")
