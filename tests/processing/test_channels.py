"""Training-time channel simulation (processing/channels.py)."""

import pytest
import torch
from speechbrain.augment.augmenter import Augmenter

from speechbrain_lstm_ser.processing.channels import (
    RandomCodec,
    RandomNoise,
    RandomRoom,
    RandomTelephone,
)

CHANNELS = [
    RandomRoom(16000),
    RandomNoise(16000),
    RandomTelephone(16000),
    RandomCodec(16000),
]


def _batch(seed=0):
    gen = torch.Generator().manual_seed(seed)
    t = torch.arange(8000) / 16000
    tone = torch.sin(2 * torch.pi * 220 * t) * 0.3
    wavs = torch.stack([tone, tone.roll(100), torch.randn(8000, generator=gen) * 0.1])
    wavs[1, 6000:] = 0.0  # padding of the second utterance
    return wavs, torch.tensor([1.0, 0.75, 1.0])


@pytest.mark.parametrize("channel", CHANNELS, ids=lambda c: type(c).__name__)
def test_changes_each_utterance_and_keeps_padding_zero(channel):
    wavs, lens = _batch()
    torch.manual_seed(1)
    out = channel(wavs, lens)
    assert out.shape == wavs.shape and out.dtype == wavs.dtype
    assert torch.all(out[1, 6000:] == 0)
    for i in range(3):
        assert not torch.allclose(out[i], wavs[i], atol=1e-3)
        assert torch.isfinite(out[i]).all()


@pytest.mark.parametrize("channel", CHANNELS, ids=lambda c: type(c).__name__)
def test_seeded_runs_draw_the_same_channels(channel):
    wavs, lens = _batch()
    torch.manual_seed(7)
    first = channel(wavs, lens)
    torch.manual_seed(7)
    again = channel(wavs, lens)
    torch.manual_seed(8)
    other = channel(wavs, lens)
    assert torch.equal(first, again)
    assert not torch.equal(first, other)


def test_silence_stays_silent():
    wavs = torch.zeros(2, 1600)
    for channel in CHANNELS:
        assert torch.equal(channel(wavs, torch.ones(2)), wavs)


def test_noise_snr_is_drawn_within_its_range():
    wavs, lens = _batch()
    torch.manual_seed(0)
    for _ in range(5):
        noisy = RandomNoise(16000, snr_db=(5.0, 15.0))(wavs, lens)
        n = [8000, 6000, 8000]
        for i in range(3):
            clean, added = wavs[i, : n[i]], (noisy - wavs)[i, : n[i]]
            snr = 10 * torch.log10(clean.pow(2).mean() / added.pow(2).mean())
            assert 5.0 - 1e-3 <= float(snr) <= 15.0 + 1e-3


def test_babble_is_made_of_the_other_utterances_only():
    wavs = torch.zeros(2, 4000)
    wavs[0] = torch.sin(torch.arange(4000) / 3.0) * 0.2
    wavs[1] = torch.sin(torch.arange(4000) / 7.0) * 0.2
    torch.manual_seed(0)
    out = RandomNoise(16000, snr_db=(10.0, 10.0), kinds=["babble"], talkers=1)(wavs)
    added = out[0] - wavs[0]
    # utterance 0's babble is utterance 1, scaled: perfectly correlated with it
    corr = torch.corrcoef(torch.stack([added, wavs[1]]))[0, 1]
    assert float(corr) > 0.999


def test_unknown_noise_kind_is_refused():
    with pytest.raises(ValueError, match="noise kinds"):
        RandomNoise(kinds=["brown"])


def test_telephone_removes_the_band_above_4_khz():
    torch.manual_seed(0)
    wavs = torch.randn(1, 16000) * 0.1
    out = RandomTelephone(16000)(wavs)
    spectrum = torch.fft.rfft(out[0]).abs().pow(2)
    freqs = torch.fft.rfftfreq(16000, 1 / 16000)
    assert float(spectrum[freqs > 4200].sum() / spectrum.sum()) < 1e-3


def test_room_keeps_about_the_level():
    wavs, lens = _batch()
    torch.manual_seed(0)
    out = RandomRoom(16000, rt60=(0.3, 0.9))(wavs, lens)
    ratio = out[2].pow(2).mean() / wavs[2].pow(2).mean()  # broadband: level kept
    assert 0.5 < float(ratio) < 2.0


def test_runs_inside_speechbrains_augmenter_with_lengths():
    wavs, lens = _batch()
    augmenter = Augmenter(
        augmentations=[RandomRoom(16000), RandomNoise(16000)],
        min_augmentations=2,
        max_augmentations=2,
        augment_prob=1.0,
    )
    torch.manual_seed(0)
    out, out_lens = augmenter(wavs, lens)
    assert out.shape == wavs.shape and torch.equal(out_lens, lens)
    assert torch.all(out[1, 6000:] == 0)
