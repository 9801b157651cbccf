"""The spectral floor: gain invariance, white noise under it, its shape."""

import math

import pytest
import torch
from speechbrain.lobes.features import Fbank

from speechbrain_lstm_ser.nnet.features import FbankProsody
from speechbrain_lstm_ser.nnet.spectral_floor import SpectralFloor, white_noise_shape

SR = 16000


def vowels_and_pauses(seed=0):
    """Two harmonic bursts of 0.5 s with 0.3 s of digital silence around them."""
    t = torch.arange(SR // 2, dtype=torch.float64) / SR
    burst = sum(torch.sin(2 * math.pi * k * 150.0 * t) / k**2 for k in range(1, 30))
    pause = torch.zeros(int(0.3 * SR), dtype=torch.float64)
    wav = torch.cat([pause, burst, pause, 0.5 * burst, pause])
    return (0.1 * wav / wav.square().mean().sqrt()).float()


def with_white_noise(wav, snr_db, seed=0):
    """``wav`` plus white noise at ``snr_db`` over its whole length."""
    gen = torch.Generator().manual_seed(seed)
    noise = torch.randn(wav.shape, generator=gen)
    scale = (wav.square().mean() / noise.square().mean() / 10 ** (snr_db / 10)).sqrt()
    return wav + scale * noise


def test_white_noise_shape_is_what_white_noise_gives():
    fbank = Fbank(n_mels=40, hop_length=20, win_length=32, n_fft=512)
    noise = torch.randn(1, 30 * SR, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        power = (fbank(noise)[0] * math.log(10) / 10).exp().mean(0)
    measured = power / power.mean()
    # 30 s of noise: each channel's mean power within a few percent
    torch.testing.assert_close(
        white_noise_shape(fbank, 512), measured, rtol=0.05, atol=0
    )


def test_a_gain_shifts_the_floored_features_by_the_gain():
    feats = 30.0 * torch.randn(2, 40, 6, generator=torch.Generator().manual_seed(1))
    floor = SpectralFloor(25.0, torch.linspace(0.5, 2.0, 6))
    torch.testing.assert_close(floor(feats - 20.0), floor(feats) - 20.0)


def test_bins_far_above_the_floor_are_kept_and_those_below_become_it():
    feats = torch.tensor([[[10.0, 10.0], [-80.0, -80.0]]])
    out = SpectralFloor(30.0)(feats)
    assert abs(float(out[0, 0, 0]) - 10.0) < 0.01
    torch.testing.assert_close(out[0, 1], torch.full((2,), -20.0), atol=1e-4, rtol=0)


@pytest.mark.parametrize("floor_db", [0.0, -10.0])
def test_a_floor_that_is_not_under_the_loudest_frame_is_refused(floor_db):
    with pytest.raises(ValueError, match="floor_db"):
        SpectralFloor(floor_db)


def test_white_noise_at_20_db_changes_floored_features_little():
    """Without the floor, noise moves the bins by 23 dB on average (the pauses
    by 60); with a floor 25 dB under the loudest frame, by 2.3 dB (at most 9)."""
    clean = vowels_and_pauses().unsqueeze(0)
    noisy = with_white_noise(clean, 20.0)

    def change(noise_floor_db):
        features = FbankProsody(n_mels=40, noise_floor_db=noise_floor_db)
        with torch.no_grad():
            diff = features(noisy) - features(clean)
        # the filterbanks and the log-energy (dB), not F0 or voicing
        return torch.cat([diff[..., :40], diff[..., 42:]], dim=-1).abs()

    bare, floored = change(None), change(25.0)
    assert float(bare.mean()) > 15.0 and float(bare.amax()) > 50.0
    assert float(floored.mean()) < 3.0 and float(floored.amax()) < 10.0


def test_the_noise_margin_leaves_a_clean_recording_as_it_was():
    # Digital silence in the pauses: the noise level is far under the fixed floor.
    clean = vowels_and_pauses().unsqueeze(0)
    fixed = FbankProsody(n_mels=40, noise_floor_db=25.0)
    margin = FbankProsody(n_mels=40, noise_floor_db=25.0, noise_floor_margin_db=6.0)
    with torch.no_grad():
        assert torch.equal(margin(clean), fixed(clean))


def test_the_noise_margin_covers_the_ripple_of_louder_noise():
    """White noise at 10 dB lies over the fixed floor: two draws of it move the
    bins by 1.9 dB on average; 6 dB over the noise level, by 0.9 dB."""
    clean = vowels_and_pauses().unsqueeze(0)
    draws = [with_white_noise(clean, 10.0, seed=s) for s in (0, 1)]

    def ripple(margin_db):
        features = FbankProsody(
            n_mels=40, noise_floor_db=25.0, noise_floor_margin_db=margin_db
        )
        with torch.no_grad():
            a, b = (features(w) for w in draws)
        return float((a - b)[..., :40].abs().mean())

    fixed, margin = ripple(None), ripple(6.0)
    assert fixed > 1.5 and margin < 0.6 * fixed


def test_the_noise_margin_follows_each_channels_own_noise():
    # Channel 0 has noise 10 dB under the loudest frame, channel 1 40 dB under.
    feats = torch.tensor([[[0.0, 0.0], [-10.0, -40.0], [-10.0, -40.0]]])
    floor = SpectralFloor(60.0, noise_margin_db=3.0, noise_quantile=0.0)
    out = floor(feats)[0, 1]
    expected = 10 * torch.log10(10 ** (torch.tensor([-10.0, -40.0]) / 10) * 3)
    torch.testing.assert_close(out, expected, atol=0.01, rtol=0)  # +3 dB x 2


def test_the_noise_margin_keeps_the_floor_gain_invariant():
    feats = 30.0 * torch.randn(2, 40, 6, generator=torch.Generator().manual_seed(1))
    floor = SpectralFloor(25.0, torch.linspace(0.5, 2.0, 6), noise_margin_db=6.0)
    torch.testing.assert_close(floor(feats - 20.0), floor(feats) - 20.0)


def test_the_noise_margin_counts_a_padded_rows_own_frames():
    short = with_white_noise(vowels_and_pauses(), 10.0)
    wavs = torch.stack(
        [torch.nn.functional.pad(short, (0, len(short))), torch.zeros(2 * len(short))]
    )
    features = FbankProsody(n_mels=40, noise_floor_db=25.0, noise_floor_margin_db=6.0)
    with torch.no_grad():
        alone = features(short.unsqueeze(0))[0]
        batched = features(wavs, torch.tensor([0.5, 1.0]))[0, : len(alone)]
    torch.testing.assert_close(batched, alone, atol=1e-4, rtol=1e-4)


def test_bad_noise_margins_are_refused_by_name():
    with pytest.raises(ValueError, match="noise_margin_db"):
        SpectralFloor(25.0, noise_margin_db=-1.0)
    with pytest.raises(ValueError, match="noise_quantile"):
        SpectralFloor(25.0, noise_margin_db=6.0, noise_quantile=1.0)
    with pytest.raises(ValueError, match="set noise_floor_db too"):
        FbankProsody(n_mels=40, noise_floor_margin_db=6.0)
