"""The LPC vocoder of the resynthesis domain: it imposes the prosody it is asked to."""

import numpy as np
import pytest

from speechbrain_lstm_ser.processing.vocoder import LPCVocoder, ProsodyChange

RATE = 16000


def _voice(seconds: float = 1.5) -> np.ndarray:
    """A vowel-like glide: 20 harmonics of an F0 rising 120 -> 180 Hz, one formant."""
    t = np.arange(int(seconds * RATE)) / RATE
    f0 = 120.0 + 60.0 * t / seconds
    phase = 2 * np.pi * np.cumsum(f0) / RATE
    wav = sum(np.sin(k * phase) / k for k in range(1, 21))
    # a resonance near 700 Hz, as a vowel's first formant
    from scipy.signal import lfilter

    r, theta = 0.97, 2 * np.pi * 700 / RATE
    return 0.05 * lfilter([1.0], [1.0, -2 * r * np.cos(theta), r * r], wav)


def _voiced_log_f0(vocoder: LPCVocoder, wav: np.ndarray) -> np.ndarray:
    frames = vocoder.analyse(wav)
    voiced = frames.voicing >= 0.5
    assert voiced.mean() > 0.8  # the vocoder's output is voiced where it was
    return frames.log_f0[voiced][5:-5]  # the edges: half windows


@pytest.mark.parametrize(
    "stretch, f0_scale, range_scale",
    [
        (1.0, 1.0, 1.0),
        (1.3, 1.0, 1.0),
        (0.8, 1.2, 1.0),
        (1.0, 0.85, 2.0),
        (1.0, 1.0, 0.0),
    ],
)
def test_the_resynthesis_has_the_duration_mean_f0_and_range_asked(
    stretch, f0_scale, range_scale
):
    vocoder = LPCVocoder(RATE)
    wav = _voice()
    change = ProsodyChange(stretch, f0_scale, range_scale)
    out = vocoder.synthesise(vocoder.analyse(wav), change)
    assert len(out) == pytest.approx(stretch * len(wav), abs=2 * vocoder.hop)
    before, after = _voiced_log_f0(vocoder, wav), _voiced_log_f0(vocoder, out)
    assert np.exp(after.mean() - before.mean()) == pytest.approx(f0_scale, rel=0.03)
    # the glide's spread in log-F0 (about 0.12), scaled
    assert after.std() == pytest.approx(range_scale * before.std(), abs=0.015)


def test_the_envelope_survives_resynthesis():
    vocoder = LPCVocoder(RATE)
    wav = _voice()
    out = vocoder.synthesise(vocoder.analyse(wav), ProsodyChange())
    spectra = []
    for signal in (wav, out):
        frames = vocoder.analyse(signal / np.sqrt(np.mean(signal**2)))
        # the mean log envelope of the middle frames, 0-4 kHz
        response = 1.0 / np.abs(np.fft.rfft(frames.lpc[50:-50], n=512)[:, :129])
        spectra.append(20 * np.log10(response * frames.gain[50:-50, None]).mean(0))
    peak = [int(np.argmax(s[5:])) + 5 for s in spectra]
    assert abs(peak[0] - peak[1]) <= 2  # the formant, within 62.5 Hz
    assert np.abs(spectra[0] - spectra[1]).mean() < 4.0  # dB


def test_silence_gives_silence_and_the_seed_decides_the_noise():
    vocoder = LPCVocoder(RATE)
    silent = vocoder.synthesise(vocoder.analyse(np.zeros(RATE)), ProsodyChange())
    assert np.isfinite(silent).all() and not silent.any()
    frames = vocoder.analyse(_voice())
    one = vocoder.synthesise(frames, ProsodyChange(), seed=1)
    assert np.array_equal(one, vocoder.synthesise(frames, ProsodyChange(), seed=1))
    assert not np.array_equal(one, vocoder.synthesise(frames, ProsodyChange(), seed=2))


def test_an_impossible_change_is_refused():
    with pytest.raises(ValueError, match="stretch and f0_scale must be positive"):
        ProsodyChange(stretch=0.0)
    with pytest.raises(ValueError, match="range_scale non-negative"):
        ProsodyChange(range_scale=-1.0)
