"""A speaker-normalised, level-invariant model from training to inference.

The session's tiny recipe run (fixture ``trained``) uses the default YAML:
``normalization_reference: speaker`` and a DC-removing pre-processing.
"""

import csv
import json
import logging

import pytest
import soundfile
import torch
from recipe_runner import run_cli

from speechbrain_lstm_ser.dataio.audio import pad_waveforms, read_audio
from speechbrain_lstm_ser.inference import EmotionRecognizer


@pytest.fixture(scope="module")
def setup(trained, tmp_path_factory):
    model = EmotionRecognizer.from_hparams(
        source=str(trained.model), savedir=str(tmp_path_factory.mktemp("saved"))
    )
    with open(trained.out / "manifests" / "test.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        row["wav"] = row["wav"].replace("$data_root", str(trained.data))
    return model, rows


def test_report_and_card_say_how_the_features_were_normalised(trained):
    report = json.loads((trained.out / "test_report.json").read_text())
    norm = report["normalization"]
    assert norm["reference"] == "speaker" and "transductive" in norm["note"]
    variants = norm["variants"]
    # The test speaker has 12 utterances: up to 10 other enrolment clips.
    assert set(variants) == {
        "single_utterance",
        "enrolment_1",
        "enrolment_3",
        "enrolment_5",
        "enrolment_10",
    }
    assert all(v["utterances"] == report["num_utterances"] for v in variants.values())
    assert all(0.0 <= v["UA"] <= 1.0 for v in variants.values())
    # the summary the recipe logs says it too
    assert "features relative to the speaker" in trained.log
    assert "  1 enrolment clip: UA" in trained.log
    card = (trained.model / "README.md").read_text()
    assert "## Normalisation" in card
    assert "no speaker information (single utterance)" in card
    yaml_text = (trained.model / "hyperparams.yaml").read_text()
    assert "normalization_reference: speaker" in yaml_text
    assert "reference_norm:" in yaml_text


def _batch(rows, gain=1.0, offset=0.0):
    wavs, lens = pad_waveforms([read_audio(r["wav"]) * gain + offset for r in rows])
    # Offsets apply to the real samples only (padding stays digital silence).
    return wavs, lens


@pytest.mark.parametrize(
    "gain_db, offset", [(-20.0, 0.0), (-10.0, 0.0), (6.0, 0.0), (0.0, 0.05)]
)
def test_gain_and_dc_offset_do_not_change_the_output(setup, gain_db, offset):
    model, rows = setup
    rows = rows[:6]
    wavs, lens = pad_waveforms([read_audio(r["wav"]) for r in rows])
    base = model.classify_batch(wavs, lens)[0].exp()
    gain = 10 ** (gain_db / 20)
    changed = pad_waveforms([read_audio(r["wav"]) * gain + offset for r in rows])
    out = model.classify_batch(*changed)[0].exp()
    # The model is invariant by construction, not by training: probabilities
    # agree to float rounding of the log-mels (not bit for bit: the padded
    # batch length and the arithmetic differ).
    torch.testing.assert_close(out, base, atol=5e-3, rtol=0)


def test_enrolled_speaker_is_the_reference_and_gain_still_cancels(setup, tmp_path):
    model, rows = setup
    # The references alone (the fusion's labels under gain: the criterion test).
    fitted = model.model.fusion.weights.clone()
    model.model.fusion.weights.fill_(1.0)
    try:
        _enrolled_speaker_is_the_reference(model, rows, tmp_path)
    finally:
        model.model.fusion.weights.copy_(fitted)
        model.forget()


def _enrolled_speaker_is_the_reference(model, rows, tmp_path):
    speaker = rows[0]["spk_id"]
    mine = [r for r in rows if r["spk_id"] == speaker]
    assert model.enrol("ann", [r["wav"] for r in mine[1:6]]) == 5
    assert model.enrol("ann", [mine[6]["wav"]]) == 6  # enrolling again adds
    target = mine[0]["wav"]
    with_speaker = model.classify_file(target, speaker="ann")[0]
    reference = model.speakers.speaker_reference("ann").unsqueeze(0)
    wav = read_audio(target).unsqueeze(0)
    direct = model.classify_batch(wav, torch.ones(1), reference=reference)[0]
    torch.testing.assert_close(with_speaker, direct)
    alone = model.classify_file(target)[0]
    assert not torch.allclose(with_speaker, alone, atol=1e-4)

    # The same speaker recorded 20 dB quieter, enrolled the same way.
    quiet = []
    for i, r in enumerate(mine[:7]):
        path = tmp_path / f"quiet{i}.wav"
        soundfile.write(path, (read_audio(r["wav"]) * 0.1).numpy(), 16000)
        quiet.append(path)
    model.enrol("ann_quiet", quiet[1:7])
    torch.testing.assert_close(
        model.classify_file(quiet[0], speaker="ann_quiet")[0].exp(),
        with_speaker.exp(),
        atol=5e-3,
        rtol=0,
    )
    with pytest.raises(ValueError, match=r"speaker\(s\) \['bob'\] not enrolled"):
        model.classify_file(target, speaker="bob")


def test_no_speaker_information_is_said_once(trained, caplog, tmp_path):
    model = EmotionRecognizer.from_hparams(source=str(trained.model))
    path = next(trained.data.rglob("*.wav"))
    with caplog.at_level(logging.WARNING):
        model.classify_file(path)
        model.classify_file(path)
    notes = [r for r in caplog.records if "no speaker was given" in r.getMessage()]
    assert len(notes) == 1


def test_clipped_audio_is_reported(setup, tmp_path, caplog):
    model, rows = setup
    clipped = (read_audio(rows[0]["wav"]) * 30).clamp(-1, 1)
    path = tmp_path / "clipped.wav"
    soundfile.write(path, clipped.numpy(), 16000)
    with caplog.at_level(logging.WARNING):
        model.classify_file(path)
    messages = [r.getMessage() for r in caplog.records]
    assert any("of the samples are clipped" in m for m in messages), messages


def test_timeline_can_adapt_to_the_recording(setup, tmp_path):
    model, rows = setup
    long = torch.cat([read_audio(r["wav"]) for r in rows[:4]])
    path = tmp_path / "long.wav"
    soundfile.write(path, long.numpy(), 16000)
    # The model alone: the tiny model's fitted fusion may weigh it 0 in the
    # single-utterance mode, and the functionals take no reference.
    fitted = model.model.fusion.weights.clone()
    model.model.fusion.weights.fill_(1.0)
    try:
        fixed = model.timeline(path, window=2.0, hop=2.0)
        adapted = model.timeline(path, window=2.0, hop=2.0, adapt=True)
    finally:
        model.model.fusion.weights.copy_(fitted)
    assert [s.start for s in adapted] == [s.start for s in fixed]
    # The first window is its own reference either way.
    torch.testing.assert_close(
        adapted[0].probabilities, fixed[0].probabilities, atol=1e-5, rtol=0
    )
    # Later windows are measured against more of the recording.
    assert any(
        not torch.allclose(a.probabilities, f.probabilities, atol=1e-4)
        for a, f in zip(adapted[1:], fixed[1:], strict=True)
    )


@pytest.mark.slow
def test_cli_enrols_the_speakers_of_a_csv(trained, setup, tmp_path):
    _, rows = setup
    listing = tmp_path / "speakers.csv"
    with open(listing, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["path", "speaker"])
        for r in rows[:5]:
            writer.writerow([r["wav"], r["spk_id"]])
    proc = run_cli("predict", "--model", trained.model, "--speakers", listing)
    assert proc.returncode == 0, proc.stderr
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    assert len(lines) == 5
    assert "no speaker was given" not in proc.stderr
    # The first file, against all five files of its speaker.
    model = EmotionRecognizer.from_hparams(source=str(trained.model))
    model.enrol("s", [r["wav"] for r in rows[:5]])
    expected = model.classify_file(rows[0]["wav"], speaker="s")[0].exp()[0]
    got = torch.tensor(list(lines[0]["probabilities"].values()))
    torch.testing.assert_close(got, expected, atol=1e-5, rtol=0)

    bad = tmp_path / "bad.csv"
    bad.write_text("file,who\nx.wav,a\n")
    proc = run_cli("predict", "--model", trained.model, "--speakers", bad)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines()[-1].startswith("error: --speakers:")
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("by_speaker", [False, True])
def test_the_trained_default_meets_the_gain_criterion(trained, setup, by_speaker):
    from speechbrain_lstm_ser.evaluation.robustness import evaluate_classifier

    model, _ = setup
    summary = evaluate_classifier(
        model,
        trained.out / "manifests" / "test.csv",
        trained.data,
        by_speaker=by_speaker,
    )
    # -20, -10, +6 dB and a DC offset: UA within 2 points of 0 dB, at least
    # 90 % of the labels unchanged (issue 12); the default YAML's model.
    assert summary["failures"] == [], summary["failures"]
    assert summary["reference"] == ("speaker" if by_speaker else "utterance")
    if by_speaker:
        # the recipe's own test, batched: equal up to one near-tie flipped by
        # other kernels (one utterance's weight in one class)
        # (the fused model's: the report's fusion section)
        report = json.loads((trained.out / "test_report.json").read_text())
        classes = report["per_class"].values()
        one = max(1 / (len(classes) * c["support"]) for c in classes)
        fused = report["fusion"]["test"]["speaker"]["unweighted_accuracy"]
        assert summary["conditions"]["0 dB"]["UA"] == pytest.approx(
            fused, abs=one + 1e-9
        )
