"""Corrupted conditions: each is what it claims (SNR, RT60, band), and seeded."""

import numpy as np
import pytest
import torch

from speechbrain_lstm_ser.evaluation.conditions import (
    CONDITION_GROUPS,
    CodecCondition,
    NoiseCondition,
    ReverbCondition,
    TelephoneCondition,
    babble_noise,
    build_conditions,
    room_impulse_response,
    schroeder_rt60,
    telephone_channel,
)

SR = 16000


def _speechlike(seed, seconds=1.0):
    """A harmonic signal with a syllable-rate envelope and a silent start."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * SR)) / SR
    f0 = rng.uniform(90, 220)
    wav = sum(np.sin(2 * np.pi * k * f0 * t) / k for k in range(1, 20))
    wav *= 0.5 + 0.5 * np.sin(2 * np.pi * 4 * t) ** 2
    wav[: SR // 10] = 0.0
    return torch.from_numpy(0.05 * wav).float()


def _snr_db(clean, noisy):
    noise = (noisy - clean).double()
    return float(10 * torch.log10(clean.double().pow(2).mean() / noise.pow(2).mean()))


def _band_energy(wav, low, high):
    x = wav.double().numpy()
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x)))) ** 2  # no edge leakage
    freqs = np.fft.rfftfreq(len(wav), 1 / SR)
    return spectrum[(freqs >= low) & (freqs < high)].sum() / spectrum.sum()


@pytest.mark.parametrize("kind", ["white", "pink", "babble"])
@pytest.mark.parametrize("snr", [20.0, 10.0, 5.0])
def test_noise_is_added_at_the_snr_it_claims(kind, snr):
    wavs = [_speechlike(i) for i in range(4)]
    cond = NoiseCondition(kind, snr, seed=3, speakers=["a", "b", "c", "d"])
    for clean, noisy in zip(wavs, cond.apply_all(wavs), strict=True):
        assert abs(_snr_db(clean, noisy) - snr) < 0.1


def test_pink_noise_has_more_low_than_high_energy_and_white_is_flat():
    clean = torch.zeros(SR) + 1e-3
    pink = NoiseCondition("pink", 0.0, seed=1).apply_all([clean])[0] - clean
    white = NoiseCondition("white", 0.0, seed=1).apply_all([clean])[0] - clean
    # equal octaves hold equal pink power; white power grows with bandwidth
    assert _band_energy(pink, 250, 500) / _band_energy(pink, 4000, 8000) > 0.5
    assert _band_energy(white, 4000, 8000) / _band_energy(white, 250, 500) > 10


def test_noise_and_rooms_are_deterministic_given_a_seed():
    wavs = [_speechlike(i) for i in range(3)]
    spk = ["a", "b", "c"]
    for make in (
        lambda s: NoiseCondition("white", 10.0, s),
        lambda s: NoiseCondition("babble", 10.0, s, spk),
        lambda s: ReverbCondition(0.6, SR, s),
    ):
        first, again, other = (make(s).apply_all(wavs) for s in (5, 5, 6))
        assert all(torch.equal(x, y) for x, y in zip(first, again, strict=True))
        assert not all(torch.equal(x, y) for x, y in zip(first, other, strict=True))


def test_babble_is_made_of_other_test_speakers_never_training_ones():
    # The evaluated set is a test split: its speakers are the only pool.
    test_speakers = ["t1", "t1", "t2", "t2", "t3", "t3"]
    training_speakers = {"f01", "m01", "f02"}
    wavs = [_speechlike(i) for i in range(6)]
    cond = NoiseCondition("babble", 5.0, seed=0, speakers=test_speakers, talkers=4)
    cond.apply_all(wavs)
    for target, sources in enumerate(cond.babble_sources):
        used = {test_speakers[i] for i in sources}
        assert len(sources) == 4
        assert test_speakers[target] not in used
        assert used <= set(test_speakers) and not used & training_speakers
    with pytest.raises(ValueError, match="one speaker"):
        babble_noise(wavs[:2], ["t1", "t1"], 0, 2, np.random.default_rng(0))


def test_a_row_without_speech_is_never_a_talker():
    # a commands test split: background-noise "silence" clips have a speaker
    # of None; babble is made of the speakers' words only, for every target
    speakers = ["t1", None, "t2", None, "t3", None]
    wavs = [_speechlike(i) for i in range(6)]
    cond = NoiseCondition("babble", 5.0, seed=0, speakers=speakers, talkers=4)
    cond.apply_all(wavs)
    for target, sources in enumerate(cond.babble_sources):
        assert len(sources) == 4 and set(sources) <= {0, 2, 4}
        assert target not in sources


@pytest.mark.parametrize("rt60", [0.3, 0.6, 0.9])
def test_the_room_impulse_response_has_the_rt60_it_claims(rt60):
    h = room_impulse_response(rt60, SR, np.random.default_rng(7))
    assert abs(schroeder_rt60(h, SR) - rt60) < 0.05 * rt60
    assert np.sum(h**2) == pytest.approx(1.0)


def test_reverberation_smears_the_speech_into_its_pauses():
    clean = _speechlike(0)
    clean[SR // 2 : SR // 2 + 1600] = 0.0  # a 100 ms pause
    wet = ReverbCondition(0.9, SR, seed=0).apply_all([clean])[0]
    pause = slice(SR // 2 + 800, SR // 2 + 1600)
    assert wet.shape == clean.shape
    assert float(wet[pause].pow(2).mean()) > 1e-3 * float(clean.pow(2).mean())


@pytest.mark.parametrize("codec", ["ULAW", "GSM610"])
def test_the_telephone_channel_has_no_energy_above_4_khz(codec):
    wav = torch.from_numpy(np.random.default_rng(0).standard_normal(SR) * 0.1).float()
    out = telephone_channel(wav, SR, codec)
    assert out.shape == wav.shape
    assert _band_energy(out, 4000, 8000) < 1e-6  # -60 dB
    assert _band_energy(out, 0, 200) < 1e-2  # the 300 Hz high pass
    assert _band_energy(out, 300, 3400) > 0.9
    again = TelephoneCondition(SR, codec).apply_all([wav])[0]
    assert torch.equal(out, again)


def test_the_lossy_codecs_are_low_bitrate_and_keep_the_length():
    wavs = [_speechlike(i, 2.0) for i in range(2)]
    for fmt, subtype, level, most_kbps in (
        ("OGG", "OPUS", 1.0, 24),
        ("MP3", "MPEG_LAYER_III", 0.99, 40),
    ):
        cond = CodecCondition(SR, fmt, subtype, level)
        out = cond.apply_all(wavs)
        assert [len(w) for w in out] == [len(w) for w in wavs]
        assert 0 < cond.kbps < most_kbps, (subtype, cond.kbps)
        # lossy but still the same signal, roughly
        corr = np.corrcoef(out[0].numpy(), wavs[0].numpy())[0, 1]
        assert corr > 0.5, subtype


def test_groups_build_every_condition_once_and_refuse_unknown_ones():
    conditions = build_conditions(CONDITION_GROUPS, SR, speakers=["a", "b"])
    assert len(conditions) == 9 + 3 + 2 + 2
    assert "babble noise 5 dB" in conditions and "codec Opus" in conditions
    with pytest.raises(ValueError, match="unknown condition group"):
        build_conditions(["echo"], SR)
