"""Prosody features: F0 accuracy, Fbank alignment, voicing, batching, gain."""

import math

import pytest
import torch
from speechbrain.lobes.features import Fbank
from torch import nn

from speechbrain_lstm_ser.nnet.features import FbankProsody, ProsodyFeatures, _lowpass

SR = 16000
HOP = 320  # 20 ms


def harmonic(f0, seconds=1.0, harmonics=8, level=0.1, noise_db=None, seed=0):
    """A harmonic tone (1/k amplitudes) at ``f0`` Hz, optionally with noise."""
    t = torch.arange(int(seconds * SR), dtype=torch.float64) / SR
    wav = sum(
        torch.sin(2 * math.pi * k * f0 * t) / k
        for k in range(1, harmonics + 1)
        if k * f0 < SR / 2
    )
    wav = level * wav / wav.square().mean().sqrt()
    if noise_db is not None:
        gen = torch.Generator().manual_seed(seed)
        noise = torch.randn(wav.shape, generator=gen, dtype=torch.float64)
        wav = wav + level * 10 ** (-noise_db / 20) * noise
    return wav.float()


def noise(samples, level=0.1, seed=0):
    gen = torch.Generator().manual_seed(seed)
    return level * torch.randn(samples, generator=gen)


@pytest.fixture(scope="module")
def prosody():
    return ProsodyFeatures(sample_rate=SR, hop_length=20, win_length=32)


def inner(feats, margin=3):
    """Frames whose analysis lies inside the signal (no edge effects)."""
    return feats[:, margin:-margin]


@pytest.mark.parametrize("f0", [70.0, 110.0, 180.0, 260.0, 410.0, 550.0])
def test_f0_of_harmonic_signals_within_half_a_percent(prosody, f0):
    feats = inner(prosody(harmonic(f0).unsqueeze(0)))
    estimate = feats[..., 0].exp()
    # Tolerance: 0.5 % (9 cents); the parabolic interpolation at 8 kHz
    # reaches it for F0 up to 600 Hz.
    assert torch.allclose(estimate, torch.full_like(estimate, f0), rtol=5e-3)
    assert bool((feats[..., 1] > 0.95).all())


@pytest.mark.parametrize("f0", [95.0, 230.0])
def test_f0_in_noise_at_10_db_snr(prosody, f0):
    feats = inner(prosody(harmonic(f0, noise_db=10).unsqueeze(0)))
    error = (feats[..., 0].exp() / f0 - 1).abs()
    assert float((error > 0.02).float().mean()) < 0.05  # gross errors: < 5 %
    assert float(feats[..., 1].mean()) > 0.8


@pytest.mark.parametrize("samples", [1, 319, 320, 321, 400, 8000, 16159, 16160, 23457])
def test_frames_match_the_fbank(samples):
    fbank = Fbank(n_mels=40, hop_length=20, win_length=32, n_fft=512)
    wav = noise(samples).unsqueeze(0)
    features = FbankProsody(n_mels=40)(wav)
    reference = fbank(wav)
    assert features.shape == (1, 1 + samples // HOP, 43)
    assert features.shape[:2] == reference.shape[:2]
    assert torch.equal(features[..., :40], reference)


@pytest.mark.parametrize("at", [8000, 11200, 17280])
def test_frames_are_aligned_with_the_fbank(prosody, at):
    """A short burst peaks in the same frame in both (frame t centred on t * hop)."""
    wav = torch.zeros(1, 2 * SR)
    wav[0, at - 40 : at + 40] = noise(80, level=0.5)
    fbank = Fbank(n_mels=40, hop_length=20, win_length=32, n_fft=512)(wav)
    energy = prosody(wav)[0, :, 2]
    assert int(energy.argmax()) == at // HOP
    assert int(fbank[0].exp().sum(-1).argmax()) == at // HOP


def test_noise_and_silence_are_unvoiced(prosody):
    feats = prosody(torch.stack([noise(3 * SR, seed=1), torch.zeros(3 * SR)]))
    voicing = feats[..., 1]
    assert float(voicing[0].mean()) < 0.05
    assert float(voicing[0].max()) < 0.5
    assert float(voicing[1].abs().max()) < 1e-6
    assert torch.allclose(feats[1, :, 2], torch.tensor(-100.0), atol=1e-3)
    # No voiced frame at all: log-F0 is the middle of the search range.
    middle = 0.5 * (math.log(50.0) + math.log(600.0))
    assert torch.allclose(feats[..., 0], torch.tensor(middle), atol=1e-5)


def test_log_f0_is_interpolated_over_unvoiced_frames(prosody):
    wav = torch.cat([harmonic(100.0), noise(SR // 2, level=0.01), harmonic(200.0)])
    feats = prosody(wav.unsqueeze(0))[0]
    log_f0, voiced = feats[:, 0], feats[:, 1] >= 0.5
    gap = torch.nonzero(~voiced[10:-10])[:, 0] + 10
    assert len(gap) >= 15  # the noise half-second
    values = log_f0[gap]
    assert bool((values >= math.log(100.0) - 0.01).all())
    assert bool((values <= math.log(200.0) + 0.01).all())
    assert bool((values.diff() >= -1e-6).all())  # a linear ramp up
    assert float(values[-1] - values[0]) > 0.5 * math.log(2.0)


@pytest.mark.parametrize(
    "gates",
    [{}, {"voicing_gate_db": 20.0}, {"voicing_noise_gate_db": 10.0}],
)
def test_batch_matches_single_utterances(gates):
    # The noise gate's quantile must count each row's own frames only.
    prosody = ProsodyFeatures(sample_rate=SR, **gates)
    wavs = [
        harmonic(120.0, 1.3, noise_db=15, seed=1),
        noise(SR // 2, seed=2),
        torch.cat([harmonic(240.0, 0.6), noise(SR // 3, seed=3, level=0.02)]),
    ]
    longest = max(len(w) for w in wavs)
    batch = torch.stack(
        [torch.nn.functional.pad(w, (0, longest - len(w))) for w in wavs]
    )
    lens = torch.tensor([len(w) / longest for w in wavs])
    batched = prosody(batch, lens)
    for i, wav in enumerate(wavs):
        single = prosody(wav.unsqueeze(0))[0]
        assert torch.allclose(batched[i, : len(single)], single, atol=1e-4, rtol=1e-4)
        # The padding reads as silence: unvoiced, at the energy floor.
        tail = batched[i, len(single) + 1 :]
        assert bool((tail[:, 1] < 1e-3).all())


def test_lens_mask_what_lies_beyond(prosody):
    wav = harmonic(150.0).unsqueeze(0)
    masked = prosody(wav, torch.tensor([0.5]))
    cut = prosody(torch.cat([wav[:, : SR // 2], torch.zeros(1, SR // 2)], 1))
    assert torch.allclose(masked, cut, atol=1e-5)


@pytest.mark.parametrize("gain", [0.1, 0.5, 3.0])
def test_gain_changes_only_the_energy_by_the_gain_in_db(prosody, gain):
    wav = torch.cat([harmonic(130.0, noise_db=20), noise(SR // 2, seed=4)]).unsqueeze(0)
    base, scaled = prosody(wav), prosody(gain * wav)
    # Tolerances: log-F0 1e-3 (0.2 cent), voicing 1e-3, energy 1e-3 dB.
    assert torch.allclose(scaled[..., 0], base[..., 0], atol=1e-3)
    assert torch.allclose(scaled[..., 1], base[..., 1], atol=1e-3)
    shift = 20 * math.log10(gain)
    assert torch.allclose(scaled[..., 2] - base[..., 2], torch.tensor(shift), atol=1e-3)


def other_talker_in_the_pause(level_db=-30.0):
    """A voice at 120 Hz, a periodic 250 Hz talker ``level_db`` under it, the voice."""
    quiet = harmonic(250.0, 0.6, level=0.1 * 10 ** (level_db / 20))
    return torch.cat([harmonic(120.0, 0.8), quiet, harmonic(120.0, 0.8)])


def assert_gates_only_the_pause(ungated, gated, voice_f0_rtol=0.01):
    """The pause (frames 40-70) holds a 250 Hz talker, a 120 Hz voice around it.

    ``ungated`` tracks the talker's pitch there; ``gated`` unvoices the pause,
    its log-F0 the voice's from both sides, and leaves the voice's own frames
    and the energy as they were.
    """
    pause = slice(45, 66)  # frames wholly inside the pause
    assert bool((ungated[pause, 1] > 0.9).all())
    assert torch.allclose(ungated[pause, 0].exp(), torch.tensor(250.0), rtol=0.01)
    assert float(gated[pause, 1].abs().max()) == 0.0
    target = torch.tensor(120.0)
    assert torch.allclose(gated[pause, 0].exp(), target, rtol=voice_f0_rtol)
    for voice in (slice(3, 37), slice(73, 107)):
        assert torch.equal(gated[voice], ungated[voice])
    assert torch.equal(gated[:, 2], ungated[:, 2])


def test_voicing_gate_unvoices_the_quiet_talker_and_keeps_the_voice():
    # 30 dB under the voice, the other talker in the pause is under the gate.
    wav = other_talker_in_the_pause().unsqueeze(0)
    plain = ProsodyFeatures(sample_rate=SR)(wav)[0]
    gated = ProsodyFeatures(sample_rate=SR, voicing_gate_db=20.0)(wav)[0]
    assert_gates_only_the_pause(plain, gated)


def test_voicing_gate_keeps_a_talker_above_it():
    wav = other_talker_in_the_pause(level_db=-10.0).unsqueeze(0)
    plain = ProsodyFeatures(sample_rate=SR)(wav)
    gated = ProsodyFeatures(sample_rate=SR, voicing_gate_db=20.0)(wav)
    assert torch.equal(gated[:, 3:-3], plain[:, 3:-3])


def babble_under_a_voice(level_db=-15.0):
    """A 250 Hz talker ``level_db`` under a 120 Hz voice, throughout; a pause."""
    voice = torch.cat([harmonic(120.0, 0.8), torch.zeros(int(0.6 * SR))])
    voice = torch.cat([voice, harmonic(120.0, 0.8)])
    other = harmonic(250.0, len(voice) / SR, level=0.1 * 10 ** (level_db / 20))
    return voice + other


def test_noise_gate_unvoices_the_pause_where_the_loudest_frame_gate_cannot():
    wav = babble_under_a_voice().unsqueeze(0)
    loudest = ProsodyFeatures(sample_rate=SR, voicing_gate_db=20.0)(wav)[0]
    both = ProsodyFeatures(
        sample_rate=SR, voicing_gate_db=20.0, voicing_noise_gate_db=10.0
    )(wav)[0]
    # 15 dB under the voice the other talker passes the 20 dB gate, and is the
    # noise level (the quietest tenth of frames): gated. The talker under the
    # voice bends YIN's F0 there by 1 %.
    assert_gates_only_the_pause(loudest, both, voice_f0_rtol=0.02)


def test_noise_gate_quantile_chooses_the_noise_level():
    # The pause is 6 % of the frames: under a quantile of 0.2 the noise
    # level is the voice's, 15 dB over the pause: every frame is gated.
    wav = torch.cat([harmonic(120.0, 2.0), torch.zeros(SR // 8), harmonic(120.0, 2.0)])
    wav = wav + harmonic(250.0, len(wav) / SR, level=0.1 * 10**-0.75)
    feats = {}
    for q in (0.02, 0.2):
        prosody = ProsodyFeatures(SR, voicing_noise_gate_db=10.0, noise_quantile=q)
        feats[q] = prosody(wav.unsqueeze(0))[0]
    assert float(feats[0.02][10:90, 1].min()) > 0.9
    assert float(feats[0.2][:, 1].max()) == 0.0


@pytest.mark.parametrize("gain", [0.1, 0.5, 3.0])
@pytest.mark.parametrize(
    "gate, talker",
    [
        ({"voicing_gate_db": 20.0}, lambda: other_talker_in_the_pause(-25.0)),
        ({"voicing_noise_gate_db": 10.0}, babble_under_a_voice),
    ],
    ids=["loudest_frame", "noise_level"],
)
def test_voicing_gates_are_gain_invariant(gate, talker, gain):
    prosody = ProsodyFeatures(sample_rate=SR, **gate)
    wav = talker().unsqueeze(0)
    base, scaled = prosody(wav), prosody(gain * wav)
    # Each gate is relative to the utterance: it cuts the same frames.
    assert torch.equal(scaled[..., 1] > 0, base[..., 1] > 0)
    assert float((base[0, 45:66, 1] > 0).sum()) == 0
    assert torch.allclose(scaled[..., :2], base[..., :2], atol=1e-3)


@pytest.mark.parametrize("gain", [0.1, 0.37, 0.01])
def test_a_constant_stretch_is_unvoiced_at_every_gain(prosody, gain):
    # A trimmed silence with the recording's DC left in it (a constant), then
    # a voice: YIN's difference is 0 at every lag there, and float32
    # rounding once made troughs of it, different ones at another gain.
    wav = torch.cat([torch.full((SR // 2,), -7.5e-4), harmonic(140.0, 0.6)])
    base, scaled = prosody(wav.unsqueeze(0)), prosody(gain * wav.unsqueeze(0))
    assert torch.allclose(scaled[..., :2], base[..., :2], atol=1e-3)
    constant = base[0, 2:20]  # frames wholly inside the constant
    assert float(constant[:, 1].max()) < 1e-3


def test_deterministic(prosody):
    wav = harmonic(180.0, noise_db=5).unsqueeze(0)
    assert torch.equal(prosody(wav), prosody(wav))


def tiny_task_model(features):
    """A seeded 4-class task model over 20-mel ``FbankProsody`` features."""
    from speechbrain.processing.features import InputNormalization

    from speechbrain_lstm_ser.nnet.encoders import LSTMEncoder
    from speechbrain_lstm_ser.nnet.heads import ClassificationHead
    from speechbrain_lstm_ser.nnet.models import UtteranceClassifierModel
    from speechbrain_lstm_ser.nnet.pooling import MeanPooling

    torch.manual_seed(0)
    return UtteranceClassifierModel(
        features,
        InputNormalization(),
        LSTMEncoder(23, 8),
        MeanPooling(16),
        ClassificationHead(16, 4, 8),
    )


def test_in_a_task_model_with_gradients():
    model = tiny_task_model(FbankProsody(n_mels=20))
    wavs = torch.stack([harmonic(150.0), noise(SR)])
    out = model(wavs, torch.tensor([1.0, 0.7]))
    out.sum().backward()
    assert out.shape == (2, 1, 4)
    assert all(p.grad is not None for p in model.encoder.parameters())


def test_a_task_model_gives_the_noise_gate_each_rows_own_frames():
    # Once the task model called the features without lengths: a row padded
    # by over a tenth had the padding's silence as its noise level, ungated.
    model = tiny_task_model(FbankProsody(n_mels=20, voicing_noise_gate_db=10.0))
    model.eval()
    short = babble_under_a_voice()
    wavs = torch.stack(
        [torch.nn.functional.pad(short, (0, len(short))), noise(2 * len(short))]
    )
    batched = model.raw_features(wavs, torch.tensor([0.5, 1.0]))
    alone = model.raw_features(short.unsqueeze(0))[0]
    pause = slice(45, 66)
    assert float(alone[pause, 21].abs().max()) == 0.0  # gated alone ...
    assert torch.allclose(batched[0, : len(alone)], alone, atol=1e-5)  # ... and padded


@pytest.mark.parametrize(
    "options, message",
    [
        ({"f0_min": 600.0, "f0_max": 50.0}, "f0_min"),
        ({"voicing_beta": (2.5, 3)}, "voicing_beta"),
        ({"voicing_gate_db": 0.0}, "voicing_gate_db"),
        ({"voicing_gate_db": -20.0}, "voicing_gate_db"),
        ({"voicing_noise_gate_db": 0.0}, "voicing_noise_gate_db"),
        ({"noise_quantile": 1.0}, "noise_quantile"),
        ({"noise_quantile": 0.0}, "noise_quantile"),
    ],
)
def test_bad_options_say_which(options, message):
    with pytest.raises(ValueError, match=message):
        ProsodyFeatures(**options)


def test_bad_shape_says_what_it_expects(prosody):
    with pytest.raises(ValueError, match=r"\(batch, time\)"):
        prosody(torch.zeros(2, 1, 16000))


@pytest.mark.slow
@pytest.mark.parametrize(
    "gates", [{}, {"voicing_gate_db": 20.0, "voicing_noise_gate_db": 10.0}]
)
def test_exports_to_onnx_in_the_model_graph(tmp_path, gates):
    pytest.importorskip("onnxruntime")
    from speechbrain_lstm_ser.export.onnx import (
        ClassifierOnnxGraph,
        export_onnx,
        onnx_max_abs_diff,
    )

    model = tiny_task_model(FbankProsody(n_mels=20, **gates))
    model.train()
    model(torch.stack([harmonic(150.0), noise(SR)]), torch.ones(2), epoch=1)
    graph = ClassifierOnnxGraph.from_model(model.eval())
    path = tmp_path / "prosody.onnx"
    export_onnx(graph, path, labels=["a", "b", "c", "d"])
    wavs = torch.stack([harmonic(210.0, 1.5), noise(int(1.5 * SR), seed=5)])
    # PyTorch and onnxruntime are different kernels: a stated tolerance.
    assert onnx_max_abs_diff(graph, path, wavs, torch.tensor([1.0, 0.6])) < 1e-4


def _padded(wavs):
    """A zero-padded batch of waveforms and its relative lengths."""
    longest = max(len(w) for w in wavs)
    batch = torch.stack([nn.functional.pad(w, (0, longest - len(w))) for w in wavs])
    return batch, torch.tensor([len(w) / longest for w in wavs])


def test_yin_on_sounding_frames_only_equals_yin_on_every_frame():
    # The shortcut for silent frames (padding, digital silence) against the
    # general path: the same values, within float32 rounding (FFT libraries
    # may block a batch of another size differently).
    prosody = ProsodyFeatures(sample_rate=SR, voicing_gate_db=20.0)
    silence = torch.zeros(SR // 2)
    wavs, _ = _padded(
        [
            harmonic(130.0, 2.0, noise_db=15),
            torch.cat([harmonic(220.0, 0.5), silence, noise(SR // 2, seed=4)]),
            noise(SR // 3, seed=5),
        ]
    )
    n_frames = 1 + wavs.shape[1] // HOP
    signal = prosody._pitch_signal(wavs)
    frames = signal.unfold(-1, prosody.frame, HOP // prosody.factor)[:, :n_frames]
    silent = ~frames.ne(0).any(-1)
    assert 0 < int(silent.sum()) < silent.numel() // 2  # both paths are taken
    log_f0, trough = prosody._yin(signal, n_frames)
    general_f0, general_trough = prosody._period(prosody._cmnd(frames))
    torch.testing.assert_close(log_f0, general_f0)
    torch.testing.assert_close(trough, general_trough)
    assert bool((trough[silent] == 1.0).all())  # silence is aperiodic: unvoiced


@pytest.mark.parametrize("samples", [SR // 3, SR + 7, 2 * SR - 1])
def test_decimation_is_the_strided_convolution_with_the_lowpass(prosody, samples):
    # The filter's shifted copies as channels against the plain strided
    # convolution they stand for (the signal YIN reads).
    wavs, _ = _padded([harmonic(140.0, samples / SR), noise(samples // 2, seed=7)])
    taps = _lowpass(prosody.factor)
    plain = nn.functional.conv1d(
        nn.functional.pad(wavs.unsqueeze(1), (len(taps) // 2, len(taps))),
        taps.view(1, 1, -1),
        stride=prosody.factor,
    )[:, 0]
    half, hop = prosody.frame // 2, HOP // prosody.factor
    expected = nn.functional.pad(plain, (half, half + hop))
    torch.testing.assert_close(prosody._pitch_signal(wavs), expected)


def test_yin_skips_the_frames_the_gates_unvoice_with_the_same_output(monkeypatch):
    prosody = ProsodyFeatures(
        sample_rate=SR, voicing_gate_db=20.0, voicing_noise_gate_db=10.0
    )
    quiet = torch.cat([harmonic(200.0, 0.5, level=0.001), harmonic(120.0, 1.0)])
    wavs, lens = _padded([quiet, harmonic(250.0, 1.0, noise_db=5), noise(SR // 2)])
    log_energy = prosody._log_energy(wavs, 1 + wavs.shape[1] // HOP)
    gate = prosody._voicing_gate(log_energy, prosody.valid_frames(lens, wavs.shape[1]))
    assert 0 < int((~gate).sum()) < gate.numel()  # frames are skipped
    out = prosody(wavs, lens)
    every_frame = ProsodyFeatures._yin  # the gates then apply to YIN's output

    def yin_on_every_frame(self, signal, n_frames, needed=None):
        return every_frame(self, signal, n_frames)

    monkeypatch.setattr(ProsodyFeatures, "_yin", yin_on_every_frame)
    torch.testing.assert_close(out, prosody(wavs, lens))


def test_filterbanks_equal_speechbrains_fbank_on_a_padded_batch():
    features = FbankProsody(n_mels=40)
    wavs, lens = _padded([harmonic(150.0, 1.5), noise(SR // 2, seed=6)])
    fbank = Fbank(n_mels=40, hop_length=20, win_length=32, n_fft=512)
    torch.testing.assert_close(features(wavs, lens)[..., :40], fbank(wavs))


def test_all_silent_batch_takes_the_silent_frames_values():
    prosody = ProsodyFeatures(sample_rate=SR)
    n_frames = 1 + (SR // 2) // HOP
    signal = prosody._pitch_signal(torch.zeros(2, SR // 2))
    frames = signal.unfold(-1, prosody.frame, HOP // prosody.factor)[:, :n_frames]
    general = prosody._period(prosody._cmnd(frames))
    torch.testing.assert_close(prosody._yin(signal, n_frames), general)
    silent = prosody(torch.zeros(2, SR // 2), torch.tensor([1.0, 0.5]))
    assert bool((silent[..., 1] == 0).all())  # unvoiced
