"""ProsodicFunctionals' two F0 trackers: pitch, gain invariance, the models' choice."""

import numpy as np
import pytest
import torch

from speechbrain_lstm_ser.evaluation.robustness import apply_gain
from speechbrain_lstm_ser.nnet.fusion import FunctionalsFusion
from speechbrain_lstm_ser.nnet.prosodic_functionals import (
    F0_TRACKERS,
    ProsodicFunctionals,
)


def _glide(seconds=1.0, start=150.0, end=250.0, rate=16000):
    """A voiced glide with harmonics, then silence; a little noise."""
    t = torch.arange(int(seconds * rate)) / rate
    f0 = start + (end - start) * t / seconds
    phase = 2 * torch.pi * torch.cumsum(f0, 0) / rate
    voiced = sum(torch.sin(k * phase) / k for k in range(1, 6))
    noise = 0.0005 * torch.randn(len(t), generator=torch.Generator().manual_seed(0))
    return torch.cat([0.2 * voiced, torch.zeros(rate // 2)]) + torch.cat(
        [noise, noise[: rate // 2]]
    )


def _f0_percentiles(tracker: str) -> tuple[dict, dict]:
    extract = ProsodicFunctionals(f0_tracker=tracker)
    feats = dict(zip(extract.names, extract(_glide()), strict=True))
    hz = {p: 27.5 * 2 ** (feats[f"f0_{p}"] / 12) for p in ("p20", "p50", "p80")}
    return hz, feats


def test_yin_follows_the_pitch_and_ignores_silence():
    extract = ProsodicFunctionals(f0_tracker="yin")
    hz, feats = _f0_percentiles("yin")
    # the glide's 20th, 50th and 80th percentiles: 170, 200 and 230 Hz
    assert hz["p20"] == pytest.approx(170.0, rel=0.04)
    assert hz["p50"] == pytest.approx(200.0, rel=0.04)
    assert hz["p80"] == pytest.approx(230.0, rel=0.04)
    assert feats["voiced_ratio"] > 0.9
    assert feats["speech_seconds"] == pytest.approx(1.0, abs=0.06)
    assert np.isfinite(extract(torch.zeros(16000))).all()


def test_the_first_tracker_is_kept_as_it_was_octave_errors_included():
    """Fitted models read it: its octave errors (F0 halved in some frames of
    the glide) are what the YIN tracker removes, not to be "fixed" here."""
    hz, feats = _f0_percentiles("autocorrelation")
    assert hz["p20"] < 130.0  # frames an octave down
    assert hz["p80"] == pytest.approx(230.0, rel=0.04)
    assert feats["voiced_ratio"] > 0.9


@pytest.mark.parametrize("tracker", F0_TRACKERS)
def test_only_loudness_follows_a_gain_and_nothing_a_dc_offset(tracker):
    extract = ProsodicFunctionals(f0_tracker=tracker)
    wav = _glide()
    base = extract(wav)
    for condition, changed in {
        "-20 dB": apply_gain(wav, -20.0),
        "+6 dB": apply_gain(wav, 6.0),
        "DC": wav + 0.05,
    }.items():
        for name, a, b in zip(extract.names, base, extract(changed), strict=True):
            if name.startswith("loudness_") and condition != "DC":
                continue  # the level itself
            assert a == pytest.approx(b, rel=0.05, abs=0.05), (condition, name)


def test_the_trackers_are_told_apart_and_the_first_keeps_its_cache_key():
    first, yin = ProsodicFunctionals(), ProsodicFunctionals(f0_tracker="yin")
    assert first.names == yin.names  # the same functionals, read otherwise
    assert first.config == repr(("functionals", 16000, 60.0, 500.0, 0.45, 40.0, 12))
    assert yin.config != first.config and yin.name != first.name
    with pytest.raises(ValueError, match="f0_tracker 'praat' is not one of"):
        ProsodicFunctionals(f0_tracker="praat")


def test_a_fusion_uses_its_tracker_and_an_older_model_the_first():
    assert FunctionalsFusion(num_classes=4).extractor.f0_tracker == "autocorrelation"
    fusion = FunctionalsFusion(num_classes=4, f0_tracker="yin")
    assert fusion.extractor.f0_tracker == "yin"
    assert fusion.num_features == len(fusion.extractor.names)
