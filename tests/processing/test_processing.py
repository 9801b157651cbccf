import pytest
import torch
from torch import nn

from speechbrain_lstm_ser.processing.denoise import SpectralGateDenoiser, _box_mean
from speechbrain_lstm_ser.processing.level import RemoveDC
from speechbrain_lstm_ser.processing.pipeline import WaveformPipeline
from speechbrain_lstm_ser.processing.trim import SilenceTrimmer, speech_bounds


def _snr(clean, x):
    return 10 * torch.log10(clean.pow(2).sum() / (x - clean).pow(2).sum())


def test_denoiser_improves_snr_on_speechlike_signal():
    t = torch.arange(32000) / 16000
    # an amplitude-modulated harmonic signal with pauses, like voiced speech
    clean = sum(
        torch.sin(2 * torch.pi * f * t) / k for k, f in enumerate([150, 300, 450], 1)
    )
    clean = clean * (torch.sin(2 * torch.pi * 2 * t) > 0) * 0.3
    noisy = clean + 0.03 * torch.randn(32000)
    out, lens = SpectralGateDenoiser()(noisy[None], torch.ones(1))
    assert _snr(clean, out[0]) > _snr(clean, noisy) + 5
    assert torch.equal(lens, torch.ones(1))


def _pulsed_tone(seconds=2.0):
    """A harmonic tone switched on and off twice a second (speech-like pauses)."""
    t = torch.arange(int(seconds * 16000)) / 16000
    tone = sum(torch.sin(2 * torch.pi * f * t) / k for k, f in enumerate([150, 300], 1))
    return 0.3 * tone * (torch.sin(2 * torch.pi * 2 * t) > 0)


@pytest.mark.parametrize("snr_db", [5.0, 10.0, 20.0])
def test_denoiser_snr_estimate_follows_added_white_noise(snr_db):
    clean = _pulsed_tone()
    gen = torch.Generator().manual_seed(int(snr_db))
    noise = torch.randn(clean.shape, generator=gen)
    noise = (
        noise * (clean.pow(2).mean() / noise.pow(2).mean() / 10 ** (snr_db / 10)).sqrt()
    )
    den = SpectralGateDenoiser()
    power = (
        torch.stft(
            clean + noise,
            den.n_fft,
            den.hop_length,
            window=den.window,
            return_complex=True,
        )
        .abs()
        .pow(2)
        .sum(0)
    )
    quiet = power.argsort()[: int(den.noise_fraction * power.numel())]
    assert abs(den.estimated_snr_db(power, quiet) - snr_db) < 3.0


def test_denoiser_snr_gate_passes_clean_audio_and_denoises_noisy_audio():
    clean = _pulsed_tone()
    gen = torch.Generator().manual_seed(0)
    noisy = clean + 0.03 * torch.randn(clean.shape, generator=gen)
    quiet_room = clean + 1e-4 * torch.randn(clean.shape, generator=gen)  # ~60 dB
    gated = SpectralGateDenoiser(max_snr_db=25.0)
    batch = torch.stack([quiet_room, noisy])
    out, _ = gated(batch, torch.ones(2))
    assert torch.equal(out[0], quiet_room)  # above the gate: untouched
    assert _snr(clean, out[1]) > _snr(clean, noisy) + 5  # below it: denoised
    torch.testing.assert_close(out[1], SpectralGateDenoiser()(noisy[None], None)[0][0])


def test_denoiser_padding_invariant_and_switchable():
    den = SpectralGateDenoiser()
    x = torch.randn(2, 8000) * 0.1
    x[1, 4000:] = 0
    out, _ = den(x, torch.tensor([1.0, 0.5]))
    alone, _ = den(x[1:, :4000], torch.ones(1))
    assert torch.allclose(out[1, :4000], alone[0], atol=1e-6)
    assert out[1, 4000:].abs().sum() == 0
    off = SpectralGateDenoiser(enabled=False)
    assert off(x, None)[0] is x
    tiny = torch.randn(1, 100)
    assert torch.equal(den(tiny, torch.ones(1))[0], tiny)


@pytest.mark.parametrize("n_fft", [512, 511])  # odd: no Nyquist bin
@pytest.mark.parametrize("samples", [257, 4000, 16001])
def test_denoiser_frame_power_is_the_stft_powers_sum(samples, n_fft):
    # The gate's frame powers, from the samples, against the STFT's.
    den = SpectralGateDenoiser(n_fft=n_fft)
    gen = torch.Generator().manual_seed(samples)
    wav = 0.1 * torch.randn(samples, generator=gen)
    spec = torch.stft(wav, n_fft, 128, window=den.window, return_complex=True)
    # Two float32 sums of n_fft products in different orders (3.5e-7 apart on
    # an Intel Xeon; other CPUs' kernels sum otherwise); an odd n_fft's
    # spurious Nyquist term was 2e-2 off.
    expected = spec.abs().pow(2).sum(0)
    torch.testing.assert_close(den.frame_power(wav), expected, rtol=1e-5, atol=0.0)


@pytest.mark.parametrize("hop", [128, 100])  # 100 does not divide n_fft
@pytest.mark.parametrize("samples", [300, 4001, 16000])
def test_denoiser_inverse_stft_is_torch_istft(samples, hop):
    den = SpectralGateDenoiser(hop_length=hop)
    gen = torch.Generator().manual_seed(samples)
    wav = 0.1 * torch.randn(samples, generator=gen)
    spec = torch.stft(wav, 512, hop, window=den.window, return_complex=True)
    spec = spec * torch.rand(spec.shape, generator=gen)  # a gain, as denoised
    expected = torch.istft(spec, 512, hop, window=den.window, length=samples)
    torch.testing.assert_close(den.inverse_stft(spec, samples), expected)


@pytest.mark.parametrize("width", [2, 3, 4, 5])
def test_denoiser_gain_smoothing_is_avg_pool2d_over_existing_bins(width):
    gain = torch.rand(257, 40, generator=torch.Generator().manual_seed(width))
    expected = nn.functional.avg_pool2d(
        gain[None, None], width, stride=1, padding=width // 2, count_include_pad=False
    )[0, 0, :257, :40]
    torch.testing.assert_close(_box_mean(_box_mean(gain, width, 0), width, 1), expected)


def test_remove_dc_row_by_row_equals_the_masked_batch():
    gen = torch.Generator().manual_seed(0)
    wavs = torch.randn(3, 1000, generator=gen) + torch.tensor([[0.3], [-0.2], [0.0]])
    lens = torch.tensor([1.0, 0.37, 0.001])  # the last: a single sample
    out, _ = RemoveDC()(wavs, lens)
    torch.testing.assert_close(out, RemoveDC.masked(wavs, lens))
    assert out[1, 370:].abs().sum() == 0 and out[2, 0] == 0


def test_trimmer():
    wavs = torch.zeros(3, 16000)
    wavs[0, 4000:8000] = torch.randn(4000)
    wavs[1, 1000:3000] = torch.randn(2000)
    # item 2 is digital silence: kept whole (nothing to detect)
    out, lens = SilenceTrimmer(margin=0.0)(wavs, torch.tensor([1.0, 0.5, 0.25]))
    counts = (lens * out.shape[1]).round().long().tolist()
    # a frame that touches speech counts: at most 25 ms of slack on each side
    assert 4000 <= counts[0] <= 4800 and 2000 <= counts[1] <= 2800
    assert counts[2] == 4000
    assert out[0, : counts[0]].abs().sum() == wavs[0].abs().sum()
    assert SilenceTrimmer(enabled=False)(wavs, None)[0] is wavs
    assert speech_bounds(torch.zeros(10)) == (0, 10)


def test_pipeline_chains_steps():
    wavs = torch.zeros(1, 16000)
    wavs[0, 8000:9000] = torch.randn(1000)
    pipe = WaveformPipeline(
        [SpectralGateDenoiser(enabled=False), SilenceTrimmer(margin=0.0)]
    )
    out, lens = pipe(wavs)
    assert out.shape[1] < 2000 and lens.tolist() == [1.0]


def _trim_one_by_one(wavs, lens, trimmer):
    """The trimmer's definition: speech_bounds of each utterance, plus margins."""
    counts = (lens * wavs.shape[1]).round().long().clamp(min=1).tolist()
    margin = int(trimmer.margin * trimmer.sample_rate)
    pieces = []
    for wav, count in zip(wavs, counts, strict=True):
        wav = wav[:count]
        start, stop = speech_bounds(wav, trimmer.sample_rate, trimmer.threshold_db)
        pieces.append(wav[max(0, start - margin) : min(count, stop + margin)])
    longest = max(len(p) for p in pieces)
    out = torch.zeros(len(pieces), longest)
    for i, piece in enumerate(pieces):
        out[i, : len(piece)] = piece
    return out, torch.tensor([len(p) / longest for p in pieces])


def test_batched_trimmer_matches_speech_bounds_one_by_one():
    gen = torch.Generator().manual_seed(0)
    counts = [16000, 9000, 12345, 300, 7000, 401, 16000, 5000]
    wavs = torch.full((len(counts), 16000), 7.0)  # garbage in the padding
    for i, count in enumerate(counts):
        wav = 1e-4 * torch.randn(count, generator=gen)  # quiet background
        start = int(torch.randint(0, count // 2 + 1, (1,), generator=gen))
        stop = min(count, start + int(torch.randint(1, 6000, (1,), generator=gen)))
        wav[start:stop] = 0.5 * torch.randn(stop - start, generator=gen)
        wavs[i, :count] = wav
    wavs[4, : counts[4]] = 0.0  # digital silence: kept whole
    lens = torch.tensor(counts) / 16000
    for margin in (0.0, 0.05):
        trimmer = SilenceTrimmer(margin=margin)
        out, new_lens = trimmer(wavs, lens)
        expected, expected_lens = _trim_one_by_one(wavs, lens, trimmer)
        assert out.shape == expected.shape
        assert torch.equal(out, expected)
        assert torch.allclose(new_lens, expected_lens, rtol=0, atol=1e-7)
    # all utterances shorter than one analysis frame: kept whole
    short, short_lens = SilenceTrimmer()(torch.randn(2, 300), torch.tensor([1.0, 0.5]))
    assert short.shape == (2, 300) and short_lens.tolist() == [1.0, 0.5]


@pytest.mark.parametrize("shape", [(3, 7001), (2, 5000, 2)])
def test_fft_drop_freq_is_speechbrains_drop_freq(shape):
    from speechbrain.augment.time_domain import DropFreq as SpeechBrainDropFreq

    from speechbrain_lstm_ser.processing.augmentation import DropFreq

    wavs = torch.randn(*shape)
    options = {"drop_freq_count_low": 1, "drop_freq_count_high": 3}
    torch.manual_seed(3)
    fast = DropFreq(**options)(wavs)
    after = [torch.rand(1)]
    # speechbrain's reshape mixes the samples of the channels: give it one
    # signal per channel (each channel is filtered on its own)
    signals = wavs if wavs.dim() == 2 else wavs.transpose(1, 2).reshape(-1, shape[1])
    torch.manual_seed(3)
    reference = SpeechBrainDropFreq(**options)(signals)
    after.append(torch.rand(1))  # the same random draws were made
    if wavs.dim() == 3:
        reference = reference.reshape(shape[0], shape[2], -1).transpose(1, 2)
    assert fast.shape == reference.shape == wavs.shape
    # FFT against conv1d: a different kernel, float32 rounding only
    assert torch.allclose(fast, reference, atol=1e-5)
    assert not torch.allclose(fast, wavs, atol=1e-2)  # bands were dropped
    assert torch.equal(after[0], after[1])
