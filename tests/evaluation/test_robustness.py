"""Robustness to level and channel defects: perturbations, the evaluation, the CLI."""

import json

import pytest
import torch
from recipe_runner import run_cli

from speechbrain_lstm_ser.dataio.audio import read_audio, write_audio
from speechbrain_lstm_ser.evaluation.robustness import (
    ALL_CONDITIONS,
    CRITERION_CONDITIONS,
    DEFAULT_CONDITIONS,
    add_dc_offset,
    apply_gain,
    classifier_predictor,
    clip_peaks,
    format_robustness,
    gain_robustness,
    mix_with_silent_channel,
    read_labelled_audio,
    robustness_failures,
)


def _rms_db(wav):
    return 20 * torch.log10(wav.pow(2).mean().sqrt())


def test_gain_changes_the_level_by_the_given_decibels():
    wav = 0.3 * torch.randn(16000)
    for db in (-20.0, -10.0, 6.0):
        assert float(_rms_db(apply_gain(wav, db)) - _rms_db(wav)) == pytest.approx(
            db, abs=1e-4
        )
    assert torch.equal(apply_gain(wav, 0.0), wav)


def test_dc_offset_shifts_the_mean_and_keeps_the_shape_of_the_wave():
    wav = torch.sin(torch.linspace(0, 100, 8000))
    shifted = add_dc_offset(wav, 0.05)
    assert float(shifted.mean() - wav.mean()) == pytest.approx(0.05, abs=1e-6)
    torch.testing.assert_close(shifted - shifted.mean(), wav - wav.mean())


def test_clipping_caps_the_peaks_at_a_share_of_the_peak():
    wav = torch.sin(torch.linspace(0, 100, 8000))
    clipped = clip_peaks(wav, 0.5)
    assert float(clipped.abs().max()) == pytest.approx(0.5 * float(wav.abs().max()))
    quiet = wav.abs() < 0.4
    assert torch.equal(clipped[quiet], wav[quiet])  # below the level: untouched
    with pytest.raises(ValueError, match="ratio"):
        clip_peaks(wav, 0.0)


def test_a_silent_second_channel_is_left_out_of_the_mix(tmp_path):
    wav = 0.5 * torch.sin(torch.linspace(0, 300, 16000))
    mixed = mix_with_silent_channel(wav)
    # Not averaged in (which would be 6 dB lower): to_mono drops it.
    assert float(_rms_db(mixed) - _rms_db(wav)) == pytest.approx(0.0, abs=0.01)
    # the same as a stereo file read from disk
    path = tmp_path / "stereo.wav"
    write_audio(path, torch.stack([wav, torch.zeros_like(wav)], dim=1), 16000)
    torch.testing.assert_close(read_audio(path), mixed, atol=1e-4, rtol=0)


def _corpus(n=40, seed=0):
    """Waveforms whose class is their pitch; the "high" class is louder too."""
    generator = torch.Generator().manual_seed(seed)
    t = torch.arange(8000) / 16000
    wavs, labels = [], []
    for i in range(n):
        label = ("low", "high")[i % 2]
        freq = 150.0 if label == "low" else 300.0
        low, high = (0.02, 0.06) if label == "low" else (0.15, 0.3)
        level = low + (high - low) * float(torch.rand(1, generator=generator))
        wavs.append(level * torch.sin(2 * torch.pi * freq * t))
        labels.append(label)
    return wavs, labels


def _pitch_predictor(wavs):
    """Invariant to level and DC: the zero-crossing rate of the centred wave."""
    out = []
    for wav in wavs:
        centred = wav - wav.mean()
        crossings = (centred[1:] * centred[:-1] < 0).sum().item()
        out.append("high" if crossings > 450 * len(wav) / 16000 else "low")
    return out


def _level_predictor(wavs):
    """What a model that mostly hears loudness does: louder = high."""
    return ["high" if w.abs().mean() > 0.06 else "low" for w in wavs]


def test_a_level_invariant_predictor_meets_the_criterion():
    wavs, labels = _corpus()
    results = gain_robustness(_pitch_predictor, wavs, labels)
    assert list(results) == list(DEFAULT_CONDITIONS)
    for name, r in results.items():
        assert r["UA"] == r["WA"] == 1.0, name
        assert r["unchanged"] == 1.0 and r["delta_UA"] == 0.0, name
    assert robustness_failures(results) == []
    table = format_robustness(results)
    assert table.splitlines()[0].startswith("| condition | UA")
    assert "| -20 dB | 1.000 | 1.000 | +0.0 | 100.0 % |" in table


def test_a_level_sensitive_predictor_fails_the_criterion():
    wavs, labels = _corpus()
    results = gain_robustness(_level_predictor, wavs, labels)
    assert results["0 dB"]["UA"] == 1.0  # loudness works at the corpus' level
    assert results["-20 dB"]["UA"] == 0.5  # everything sounds "low"
    assert results["-20 dB"]["unchanged"] < 0.9
    failures = robustness_failures(results)
    assert any(f.startswith("-20 dB: UA") for f in failures)
    assert any(f.startswith("-20 dB:") and "unchanged" in f for f in failures)
    # the predictions are kept, per condition, in input order
    assert results["-20 dB"]["predictions"] == ["low"] * len(wavs)


def test_every_condition_runs_and_the_reference_is_predicted_first():
    wavs, labels = _corpus(8)
    seen = []

    def recording(batch):
        seen.append(float(sum(w.abs().sum() for w in batch)))
        return _pitch_predictor(batch)

    results = gain_robustness(recording, wavs, labels, ALL_CONDITIONS)
    assert list(results) == list(ALL_CONDITIONS)
    assert seen[0] == pytest.approx(float(sum(w.abs().sum() for w in wavs)))
    assert set(CRITERION_CONDITIONS) < set(results)


def test_bad_calls_are_one_clear_error():
    wavs, labels = _corpus(4)
    with pytest.raises(ValueError, match="lack the reference"):
        gain_robustness(_pitch_predictor, wavs, labels, {"-20 dB": apply_gain})
    with pytest.raises(ValueError, match="4 waveforms for 3 labels"):
        gain_robustness(_pitch_predictor, wavs, labels[:3])
    with pytest.raises(ValueError, match="returned 1 labels for 4 waveforms"):
        gain_robustness(lambda ws: ["low"], wavs, labels)
    assert robustness_failures({}, ["DC"]) == ["DC: not evaluated"]


def test_classifier_predictor_batches_waveforms_through_classify_batch():
    calls = []

    class Stub:
        def classify_batch(self, wavs, lens):
            calls.append((tuple(wavs.shape), lens.tolist()))
            labels = ["high" if w.abs().max() > 0.5 else "low" for w in wavs]
            return None, None, None, labels

    wavs = [torch.ones(4), 0.1 * torch.ones(2), torch.ones(2)]
    assert classifier_predictor(Stub(), 2)(wavs) == ["high", "low", "high"]
    assert calls == [((2, 4), [1.0, 0.5]), ((1, 2), [1.0])]


def test_reading_a_manifest_needs_the_data_folder_of_data_root(tmp_path):
    write_audio(tmp_path / "a.wav", 0.1 * torch.ones(1600), 16000)
    manifest = tmp_path / "test.csv"
    manifest.write_text(
        "ID,duration,wav,spk_id,emo\na,0.1,$data_root/a.wav,s1,sad\n",
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match=r"test.csv.*--data_folder"):
        read_labelled_audio(manifest)
    data = read_labelled_audio(manifest, tmp_path)
    assert data.ids == ["a"] and data.labels == ["sad"] and data.speakers == ["s1"]
    assert data.genders == [""] and data.wavs[0].shape == (1600,)


def test_a_segment_row_reads_its_segment_only(tmp_path):
    # a commands manifest's silence clips: one second of a noise recording
    noise = torch.linspace(-0.5, 0.5, 3 * 16000)
    write_audio(tmp_path / "noise.wav", noise, 16000)
    write_audio(tmp_path / "yes.wav", 0.1 * torch.ones(8000), 16000)
    header = "ID,duration,wav,start,stop,spk_id,gender,command,word\n"
    rows = [
        "silence/0,1.0,$data_root/noise.wav,1.5,2.5,noise,unknown,silence,_silence_",
        "yes/0,0.5,$data_root/yes.wav,,,a,female,yes,yes",
    ]
    manifest = tmp_path / "test.csv"
    manifest.write_text(header + "\n".join(rows) + "\n", encoding="utf-8")
    data = read_labelled_audio(manifest, tmp_path, 16000, "command")
    assert data.labels == ["silence", "yes"]
    assert [w.shape[0] for w in data.wavs] == [16000, 8000]
    whole = read_audio(tmp_path / "noise.wav", 16000)
    assert torch.allclose(data.wavs[0], whole[24000:40000], atol=1e-6)
    manifest.write_text(header + rows[0].replace("1.5", "x") + "\n")
    with pytest.raises(ValueError, match=r"test.csv: row silence/0: start 'x'"):
        read_labelled_audio(manifest, tmp_path, 16000, "command")


def test_the_cli_evaluates_an_exported_model(trained, tmp_path):
    manifest = trained.out / "manifests" / "test.csv"
    out = tmp_path / "robustness.json"
    proc = run_cli(
        "robustness",
        "--model",
        trained.model,
        "--manifest",
        manifest,
        "--data_folder",
        trained.data,
        "--json",
        out,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("| condition | UA | WA |")
    assert [line.split(" | ")[0] for line in lines[2:7]] == [
        f"| {c}" for c in DEFAULT_CONDITIONS
    ]
    assert lines[7].startswith("criterion (UA within ±2 points of 0 dB")
    summary = json.loads(out.read_text())
    rows = manifest.read_text().splitlines()[1:]
    assert summary["utterances"] == len(rows) == 12
    reference = summary["conditions"]["0 dB"]
    assert reference["unchanged"] == 1.0 and 0 <= reference["UA"] <= 1
    assert set(reference["predictions"]) == {r.split(",")[0] for r in rows}
    met = "criterion" in lines[7] and lines[7].endswith("met") and "NOT" not in lines[7]
    assert met == (summary["failures"] == [])


@pytest.mark.slow
def test_the_cli_reports_a_missing_manifest_in_one_line(trained, tmp_path):
    proc = run_cli(
        "robustness", "--model", trained.model, "--manifest", tmp_path / "none.csv"
    )
    assert proc.returncode == 1
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "none.csv" in errors[0]


def test_dimension_robustness_of_a_level_invariant_regressor():
    import numpy as np

    from speechbrain_lstm_ser.evaluation.robustness import (
        dimension_robustness,
        dimension_robustness_failures,
    )

    rng = np.random.default_rng(0)
    # arousal in how fast the wave alternates (level-free), valence unknown for one
    rates = rng.uniform(0.05, 0.5, size=12)
    t = torch.arange(1600.0)
    wavs = [0.3 * torch.sin(r * t) for r in rates]
    targets = np.stack([rates * 2, 1 - rates, np.full(12, 0.5)], axis=1)
    targets[0, 1] = np.nan

    def predict(ws):  # zero crossings per sample: blind to gain and DC-free
        out = []
        for w in ws:
            w = w - w.mean()
            rate = (torch.diff(torch.sign(w)) != 0).float().mean().item() * np.pi
            out.append([rate * 2, 1 - rate, 0.5 + 0.01 * rate])
        return out

    res = dimension_robustness(predict, wavs, targets)
    assert list(res) == ["0 dB", "-20 dB", "-10 dB", "+6 dB", "DC"]
    assert res["0 dB"]["CCC"]["arousal"] > 0.95
    assert len(res["DC"]["predictions"]) == 12
    assert dimension_robustness_failures(res) == []  # every delta within 0.02
    with pytest.raises(ValueError, match="returned 1 rows for 12 waveforms"):
        dimension_robustness(lambda ws: [[0, 0, 0]], wavs, targets)
