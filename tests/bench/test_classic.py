"""The classic baseline (bench/classic.py): functionals, z-scoring, SVM, end to end."""

import json

import numpy as np
import pytest
import torch
from preparations import prepare_tiny_corpus
from recipe_runner import run_bench

from bench.classic import (
    LevelInvariant,
    ProsodicFunctionals,
    feature_extractor,
    manifest_splits,
    run_classic,
    speaker_zscore,
)
from speechbrain_lstm_ser.evaluation.robustness import apply_gain


def _tone(freq, seconds=1.0, level=0.3, sample_rate=16000):
    t = torch.arange(int(seconds * sample_rate)) / sample_rate
    return level * torch.sin(2 * torch.pi * freq * t)


def test_the_functionals_track_pitch_and_ignore_silence():
    extract = ProsodicFunctionals()
    names = extract.names
    assert len(names) == len(set(names)) > 60
    # a 200 Hz tone, then silence
    wav = torch.cat([_tone(200.0, 0.8), torch.zeros(8000)])
    feats = dict(zip(names, extract(wav), strict=True))
    assert 27.5 * 2 ** (feats["f0_p50"] / 12) == pytest.approx(200.0, rel=0.02)
    assert feats["f0_std"] < 0.2  # semitones
    assert feats["voiced_ratio"] > 0.9
    assert feats["speech_seconds"] == pytest.approx(0.8, abs=0.05)
    assert np.isfinite(extract(torch.zeros(16000))).all()


def test_the_functionals_apart_from_loudness_ignore_gain_and_dc():
    torch.manual_seed(0)
    wav = _tone(180.0) * (1 + 0.5 * torch.sin(torch.linspace(0, 20, 16000)))
    wav = wav + 0.01 * torch.randn(16000)
    extract = ProsodicFunctionals()
    base = extract(wav)
    changes = {
        "-20 dB": apply_gain(wav, -20.0),
        "+6 dB": apply_gain(wav, 6.0),
        "DC": wav + 0.05,
    }
    for condition, changed in changes.items():
        feats = extract(changed)
        for name, a, b in zip(extract.names, base, feats, strict=True):
            if name.startswith("loudness_") and condition != "DC":
                continue  # the level itself
            assert a == pytest.approx(b, rel=0.05, abs=0.05), (condition, name)


def test_speaker_zscore_removes_a_gain_per_speaker():
    rng = np.random.default_rng(0)
    feats = rng.normal(size=(8, 3))
    speakers = ["a"] * 4 + ["b"] * 4
    shifted = feats.copy()
    shifted[4:] += 10.0  # speaker b recorded louder (log-level features)
    np.testing.assert_allclose(
        speaker_zscore(feats, speakers), speaker_zscore(shifted, speakers), atol=1e-9
    )
    z = speaker_zscore(feats, speakers)
    np.testing.assert_allclose(z[:4].mean(0), 0, atol=1e-12)
    np.testing.assert_allclose(z[4:].std(0), 1, atol=1e-12)


def test_unknown_features_are_one_clear_error():
    with pytest.raises(ValueError, match="auto, egemaps, functionals, functionals-yin"):
        feature_extractor("mfcc")


@pytest.fixture(scope="module")
def manifests(tiny_corpus, tmp_path_factory):
    out = tmp_path_factory.mktemp("classic") / "manifests"
    prepare_tiny_corpus(tiny_corpus, out)
    return out, tiny_corpus[0], out.parent / "features"  # a cache shared by the tests


@pytest.mark.parametrize(
    "normalisation", [pytest.param("global", marks=pytest.mark.slow), "speaker"]
)
def test_the_baseline_trains_tunes_and_tests(manifests, normalisation):
    pytest.importorskip("sklearn")
    folder, data, cache = manifests
    result = run_classic(
        *manifest_splits(folder),
        data_folder=data,
        features="functionals",
        normalisation=normalisation,
        cache=cache,
    )
    assert result["feature_set"] == "functionals"
    assert result["features"] == len(ProsodicFunctionals().names)
    assert len(result["tuning"]) == 15
    assert result["chosen"]["valid_UA"] == max(t["valid_UA"] for t in result["tuning"])
    assert result["test_utterances"] == len(result["predictions"]) == 12
    assert 0 <= result["UA"] <= 1 and 0 <= result["WA"] <= 1
    assert set(result["UA_by_gender"]) <= {"female", "male"}
    assert result["params"] > 0 and result["size_bytes"] > 0
    assert result["rtf_batch1"] > 0 and result["training"]["audio_seconds_per_second"]
    robustness = result["robustness"]
    assert list(robustness) == ["0 dB", "-20 dB", "-10 dB", "+6 dB", "DC"]
    assert robustness["0 dB"]["UA"] == pytest.approx(result["UA"])
    assert robustness["0 dB"]["unchanged"] == 1.0
    if normalisation == "speaker":
        # the test speaker's own statistics absorb a gain; our features
        # remove the DC offset: (almost) every label stays
        for name in ("-20 dB", "-10 dB", "+6 dB", "DC"):
            assert robustness[name]["unchanged"] >= 0.9, name
    assert list(cache.glob("functionals-*.npy"))


def test_the_level_invariant_baseline_keeps_its_labels_under_gain(manifests):
    # Globally z-scored, the full set follows the level (its loudness); the
    # level-invariant one has nothing a gain moves: every label stays.
    pytest.importorskip("sklearn")
    folder, data, cache = manifests
    result = run_classic(
        *manifest_splits(folder),
        data_folder=data,
        features="functionals",
        normalisation="global",
        cache=cache,
        level_invariant=True,
    )
    assert result["feature_set"] == "functionals, level-invariant"
    names = LevelInvariant(ProsodicFunctionals()).names
    assert result["features"] == len(names) < len(ProsodicFunctionals().names)
    assert not any("loudness" in n for n in names)
    for name in ("-20 dB", "-10 dB", "+6 dB", "DC"):
        assert result["robustness"][name]["unchanged"] >= 0.9, name


@pytest.mark.slow
def test_the_command_writes_its_json(manifests, tmp_path):
    pytest.importorskip("sklearn")
    folder, data, cache = manifests
    out = tmp_path / "classic.json"
    stdout = run_bench(
        "classic",
        "--manifests",
        str(folder),
        "--data_folder",
        str(data),
        "--features",
        "functionals",
        "--cache",
        str(cache),
        "--output",
        str(out),
        "--conditions",
        "telephone",
    )
    assert "functionals (" in stdout and "speaker z-scoring" in stdout
    assert "robustness: 0 dB UA" in stdout
    result = json.loads(out.read_text())
    assert result["normalisation"] == "speaker"
    # the cross-domain table: per-speaker z-scoring is the per-speaker mode
    transfer = result["transfer"]["conditions"]
    assert list(transfer) == ["clean", "telephone μ-law", "telephone GSM"]
    assert transfer["clean"]["speaker"]["UA"] == pytest.approx(result["UA"])
    assert "| condition | UA (speaker) | ΔUA | unchanged |" in stdout


def test_egemaps_through_opensmile_when_installed(manifests):
    pytest.importorskip("opensmile")
    extract = feature_extractor("auto")
    assert extract.name == "egemaps" and len(extract.names) == 88
    feats = extract(_tone(200.0))
    assert feats.shape == (88,) and np.isfinite(feats).all()


def test_a_logistic_regression_over_the_functionals_tunes_c_alone(manifests):
    pytest.importorskip("sklearn")
    folder, data, cache = manifests
    result = run_classic(
        *manifest_splits(folder),
        data_folder=data,
        features="functionals",
        normalisation="speaker",
        cache=cache,
        classifier="logistic",
    )
    assert result["classifier"] == "logistic"
    assert [sorted(t) for t in result["tuning"]] == [["C", "valid_UA"]] * 5
    # a linear model: one weight per feature and class, and a bias per class
    assert result["params"] == (result["features"] + 1) * 4
    assert "support_vectors" not in result
    with pytest.raises(ValueError, match="use 'svm' or 'logistic'"):
        run_classic(*manifest_splits(folder), data_folder=data, classifier="tree")
