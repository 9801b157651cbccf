"""The streaming model: chunked outputs equal whole-recording outputs, bounded state."""

import math

import pytest
import torch
from speechbrain.lobes.features import Fbank
from speechbrain.processing.features import InputNormalization

from speechbrain_lstm_ser.nnet.encoders import LSTMEncoder
from speechbrain_lstm_ser.nnet.heads import ClassificationHead
from speechbrain_lstm_ser.nnet.models import UtteranceClassifierModel
from speechbrain_lstm_ser.nnet.normalization import (
    ReferenceNormalization,
    RunningReferenceNormalization,
)
from speechbrain_lstm_ser.nnet.pooling import AttentiveStatisticsPooling
from speechbrain_lstm_ser.nnet.streaming import (
    CausalFbank,
    DecayingAttentiveStatisticsPooling,
    StreamingClassifier,
    StreamingFeatures,
    check_streamable,
)

RATE = 16000
# Two kernels (a whole-recording fused LSTM vs step by step, cumulative sums
# over different blocks) agree to float32 rounding, not bit for bit.
ATOL = 1e-4


def _model(hidden=16, n_mels=20, memory=25.0, seed=0, reference=True, noise=None):
    """As hparams/streaming_lstm.yaml, tiny; ``reference``: the running reference
    (``noise``: with a noise floor that many dB under the loudest frame so far)."""
    torch.manual_seed(seed)
    fbank = CausalFbank(n_mels=n_mels, hop_length=20, win_length=32, n_fft=512)
    model = UtteranceClassifierModel(
        fbank,
        InputNormalization(norm_type="global"),
        LSTMEncoder(n_mels, hidden, num_layers=2, bidirectional=False),
        DecayingAttentiveStatisticsPooling(hidden, 8, time_constant=memory),
        ClassificationHead(2 * hidden, 4, 16),
        reference_norm=(
            RunningReferenceNormalization(
                30.0, n_mels, 50.0, noise_floor_db=noise, noise_floor_shape=fbank
            )
            if reference
            else None
        ),
    )
    model(0.1 * torch.randn(4, RATE), torch.ones(4))  # global statistics
    return model.eval()


def _speechlike(seconds, seed=1):
    """Noise bursts with silences (a few seconds, seeded), incl. digital zeros."""
    gen = torch.Generator().manual_seed(seed)
    wav = 0.1 * torch.randn(int(seconds * RATE), generator=gen)
    envelope = (torch.sin(torch.linspace(0, 6 * math.pi, wav.numel())) > 0).float()
    wav = wav * envelope
    wav[: RATE // 4] = 0.0  # digital silence first
    return wav


def _stream(streamer, wav, sizes):
    """Feeds ``wav`` in chunks whose sizes cycle through ``sizes``."""
    state, outs, pos, k = streamer.init_state(), [], 0, 0
    while pos < wav.numel():
        size = sizes[k % len(sizes)]
        out, state = streamer.step(wav[pos : pos + size].unsqueeze(0), state)
        outs.append(out)
        pos, k = pos + size, k + 1
    outs.append(streamer.finish(state))
    return torch.cat(outs, dim=1)


@pytest.mark.parametrize(
    ("sizes", "reference"),
    [
        ([1600], True),
        ([3200], True),
        ([8000], True),
        ([1], True),
        ([7, 333, 1, 5000, 319], True),
        ([40000], True),
        ([7, 333, 1, 5000, 319], False),
        ([7, 333, 1, 5000, 319], "noise floor"),
        ([1], "noise floor"),
    ],
)
def test_chunked_outputs_equal_whole_recording(sizes, reference):
    noise = 25.0 if reference == "noise floor" else None
    streamer = StreamingClassifier(_model(reference=bool(reference), noise=noise))
    wav = _speechlike(0.6) if sizes == [1] else _speechlike(4.0)
    with torch.no_grad():
        whole = streamer.forward_frames(wav.unsqueeze(0))
        chunked = _stream(streamer, wav, sizes)
    assert chunked.shape == whole.shape == (1, 1 + wav.numel() // 320, 4)
    assert torch.allclose(chunked, whole, atol=ATOL), (chunked - whole).abs().max()


def test_last_frame_is_the_utterance_forward_and_padding_changes_nothing():
    model = _model()
    streamer = StreamingClassifier(model)
    wavs = torch.stack([_speechlike(3.0, seed=1), _speechlike(3.0, seed=2)])
    wavs[1, 2 * RATE :] = 0.0
    with torch.no_grad():
        frames = streamer.forward_frames(wavs[:1])
        utterance = model(wavs, torch.tensor([1.0, 2 / 3]))
        alone = model(wavs[1:, : 2 * RATE])
    assert torch.allclose(frames[:, -1], utterance[:1, 0], atol=ATOL)
    # the padded utterance of a batch is classified as it is alone
    assert torch.allclose(utterance[1], alone[0], atol=ATOL)


def test_causal_features_match_the_whole_recording_and_fbank_on_speech():
    fbank = CausalFbank(n_mels=20, n_fft=512, hop_length=20, win_length=32)
    norm = InputNormalization()
    norm(fbank(torch.randn(2, RATE)), torch.ones(2))
    stream = StreamingFeatures(fbank, norm.eval())
    wav = _speechlike(2.0).unsqueeze(0)
    state, parts = stream.init_state(), []
    for chunk in wav.split(777, dim=1):
        feats, state = stream.step(chunk, state)
        parts.append(feats)
    parts.append(stream.finish(state))
    assert torch.allclose(
        torch.cat(parts, dim=1), stream.normalise(fbank(wav)), atol=ATOL
    )
    # where no bin is 80 dB under the loudest, it is SpeechBrain's Fbank
    loud = 0.1 * torch.randn(1, RATE)
    plain = Fbank(n_mels=20, n_fft=512, hop_length=20, win_length=32)
    assert torch.allclose(fbank(loud), plain(loud), atol=1e-4)
    assert stream.lookahead == 256


def test_pooling_without_decay_is_attentive_statistics_without_context():
    pool = DecayingAttentiveStatisticsPooling(6, 4, time_constant=math.inf)
    reference = AttentiveStatisticsPooling(6, 4, global_context=False)
    reference.attention.load_state_dict(pool.attention.state_dict())
    x, lens = torch.randn(3, 20, 6), torch.tensor([1.0, 0.5, 0.1])
    assert torch.allclose(pool(x, lens), reference(x, lens), atol=1e-5)


def test_pooling_forgets_the_past():
    pool = DecayingAttentiveStatisticsPooling(2, 4, time_constant=5.0)
    torch.nn.init.zeros_(pool.attention[2].weight)  # uniform attention
    torch.nn.init.zeros_(pool.attention[2].bias)
    x = torch.cat([torch.full((1, 100, 2), -1.0), torch.full((1, 100, 2), 1.0)], 1)
    mean = pool.forward_frames(x)[0, :, :2]
    assert torch.allclose(mean[99], torch.full((2,), -1.0))
    assert mean[150].min() > 0.99  # 50 frames = 10 time constants later


def test_state_has_constant_size():
    streamer = StreamingClassifier(_model())
    state = streamer.init_state()

    def size(state):
        tensors = [state.features.buffer, *state.tensors()]
        return sum(t.numel() for t in tensors)

    sizes = set()
    with torch.no_grad():
        for k in range(50):
            _, state = streamer.step(torch.randn(1, 3000 + 37 * k), state)
            sizes.add(size(state) - state.features.buffer.numel())
            assert state.features.buffer.numel() < 512
    assert len(sizes) == 1


def test_non_causal_models_are_refused_with_the_part_named():
    model = _model()
    model.encoder = LSTMEncoder(20, 8, bidirectional=True)
    with pytest.raises(ValueError, match="unidirectional"):
        check_streamable(model)
    model = _model()
    model.compute_features = Fbank(n_mels=20)
    with pytest.raises(ValueError, match="compute_features"):
        StreamingClassifier(model)
    model = _model()
    model.pooling = AttentiveStatisticsPooling(16, 8)
    with pytest.raises(ValueError, match="DecayingAttentiveStatisticsPooling"):
        check_streamable(model)
    model = _model()
    model.reference_norm = ReferenceNormalization(level_channels=20)
    with pytest.raises(ValueError, match="reference_norm is ReferenceNormalization"):
        check_streamable(model)


@pytest.mark.parametrize("gain_db", [-20.0, 6.0])
def test_gain_does_not_change_the_stream(gain_db):
    """With the running reference, a gain of -20 dB or +6 dB on the whole
    stream changes no frame-level probability by 1e-3 or more (every frame,
    the first included: everything depends on level differences, and
    ``floor_db`` lifts the digital silence of the stream's first 0.25 s and
    of its pauses); without it, the same gain moves them past that bound
    (this tiny untrained model reacts little to level: about 6e-3
    measured; the trained one far more)."""
    wav = _speechlike(4.0, seed=4)
    gain = 10 ** (gain_db / 20)
    for reference in (True, False):
        streamer = StreamingClassifier(_model(reference=reference))
        with torch.no_grad():
            base = _stream(streamer, wav, [3200]).exp()
            scaled = _stream(streamer, wav * gain, [3200]).exp()
        change = (scaled - base).abs().max().item()
        if reference:
            assert change < 1e-3, change
        else:
            assert change > 2e-3, change


def _rss_mb():
    with open("/proc/self/status", encoding="ascii") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    pytest.skip("no /proc/self/status on this system")


@pytest.mark.slow
def test_one_hour_stream_keeps_memory_constant():
    streamer = StreamingClassifier(_model(hidden=8, n_mels=20))
    gen = torch.Generator().manual_seed(3)
    state, seconds, chunk = streamer.init_state(), 3600, 10 * RATE
    with torch.no_grad():
        for k in range(seconds * RATE // chunk):
            wav = 0.05 * torch.randn(1, chunk, generator=gen)
            out, state = streamer.step(wav, state)
            if k == 12:  # after two minutes: everything allocated once
                warm = _rss_mb()
    assert bool(torch.isfinite(out).all())
    assert state.features.frames == seconds * RATE // 320
    grown = _rss_mb() - warm
    assert grown < 20, f"RSS grew by {grown:.1f} MB over a one-hour stream"
