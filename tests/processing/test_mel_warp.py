"""MelFrequencyWarp: vocal-tract length perturbation of log-mel features."""

import pytest
import torch

from speechbrain_lstm_ser.processing.mel_warp import MelFrequencyWarp


def _peak(channel: int, n_mels: int = 40, extra: int = 3) -> torch.Tensor:
    feats = torch.zeros(1, 5, n_mels + extra)
    feats[..., channel] = 1.0
    feats[..., n_mels:] = 7.0  # prosody channels
    return feats


def test_a_longer_factor_moves_formants_up_and_a_shorter_one_down():
    feats = _peak(20)
    up = MelFrequencyWarp(40, 16000, warp=(1.15, 1.15))(feats)
    down = MelFrequencyWarp(40, 16000, warp=(0.85, 0.85))(feats)
    assert up[0, 0, :40].argmax() > 20 > down[0, 0, :40].argmax()
    # the other channels are never touched
    assert torch.equal(up[..., 40:], feats[..., 40:])
    assert torch.equal(down[..., 40:], feats[..., 40:])


def test_one_factor_per_utterance_the_same_for_all_its_frames():
    _ = torch.manual_seed(3)
    feats = torch.randn(6, 30, 40)
    feats[:, 1:] = feats[:, :1]  # every frame of an utterance alike
    out = MelFrequencyWarp(40, 16000, warp=(0.8, 1.2))(feats)
    assert torch.allclose(out, out[:, :1].expand_as(out))
    # and the utterances got different factors
    assert not torch.allclose(out[0], out[1])


def test_the_warp_is_linear_so_reference_normalisation_commutes():
    # warp(x - ref) == warp(x) - warp(ref) with the same factor: warping
    # speaker-relative features is warping the utterance and its reference
    feats, reference = torch.randn(2, 10, 40), torch.randn(2, 1, 40)
    warp = MelFrequencyWarp(40, 16000, warp=(0.9, 1.1))
    _ = torch.manual_seed(0)
    relative = warp(feats - reference)
    _ = torch.manual_seed(0)
    both = warp(feats)
    _ = torch.manual_seed(0)
    both = both - warp(reference.expand_as(feats))
    assert torch.allclose(relative, both, atol=1e-5)


def test_prob_zero_and_unit_factor_leave_the_features_alone():
    feats = torch.randn(3, 8, 43)
    assert torch.equal(MelFrequencyWarp(40, 16000, prob=0.0)(feats), feats)
    same = MelFrequencyWarp(40, 16000, warp=(1.0, 1.0))(feats)
    assert torch.allclose(same, feats, atol=1e-5)


def test_bad_settings_and_too_few_channels_are_clear_errors():
    with pytest.raises(ValueError, match="0 < low <= high"):
        MelFrequencyWarp(40, 16000, warp=(1.1, 0.9))
    with pytest.raises(ValueError, match="prob"):
        MelFrequencyWarp(40, 16000, prob=1.5)
    with pytest.raises(ValueError, match="fewer than n_mels=80"):
        MelFrequencyWarp(80, 16000)(torch.randn(1, 4, 40))
