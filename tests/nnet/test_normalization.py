"""Level and speaker normalisation: invariance by construction, exact combining."""

import random

import pytest
import torch
from speechbrain.lobes.features import Fbank

from speechbrain_lstm_ser.nnet.normalization import (
    ReferenceNormalization,
    RunningReferenceNormalization,
    SpeakerReferences,
)
from speechbrain_lstm_ser.nnet.spectral_floor import white_noise_shape


def _speechlike(seconds=1.0, rate=16000, seed=0):
    gen = torch.Generator().manual_seed(seed)
    t = torch.arange(int(seconds * rate)) / rate
    f0 = 120 + 30 * torch.sin(2 * torch.pi * 2 * t)
    phase = torch.cumsum(2 * torch.pi * f0 / rate, dim=0)
    voiced = sum(torch.sin(k * phase) / k for k in range(1, 12))
    envelope = (torch.sin(2 * torch.pi * 3 * t) > -0.3).float()
    return 0.1 * voiced * envelope + 0.001 * torch.randn(len(t), generator=gen)


@pytest.mark.parametrize("gain_db", [-30.0, -20.0, -10.0, 6.0, 10.0])
def test_fbank_features_relative_to_the_utterance_ignore_gain(gain_db):
    fbank, norm = Fbank(n_mels=40), ReferenceNormalization(level_channels=40)
    wavs = torch.stack([_speechlike(seed=0), _speechlike(seed=1)])
    lens = torch.tensor([1.0, 0.7])
    gain = 10 ** (gain_db / 20)
    ref = norm(fbank(wavs), lens)
    out = norm(fbank(wavs * gain), lens)
    # The same features to float32 rounding of log-mels of about 40-100 dB.
    torch.testing.assert_close(out, ref, atol=2e-3, rtol=0)


def test_speaker_reference_keeps_level_differences_within_a_speaker():
    norm = ReferenceNormalization(speech_floor_db=None)
    quiet, loud = torch.zeros(1, 10, 4), torch.full((1, 10, 4), 6.0)
    lens = torch.ones(1)
    refs = SpeakerReferences()
    for name, feats in (("quiet", quiet), ("loud", loud)):
        total, count = norm.statistics(feats, lens)
        refs.add(name, "spk", total[0], float(count[0]))
    reference = refs.speaker_reference("spk").unsqueeze(0)
    # Against the speaker: -3 dB and +3 dB; against themselves: both 0.
    assert torch.allclose(norm(quiet, lens, reference), torch.full((1, 10, 4), -3.0))
    assert torch.allclose(norm(loud, lens, reference), torch.full((1, 10, 4), 3.0))
    assert torch.allclose(norm(loud, lens), torch.zeros(1, 10, 4))
    # A gain on all of the speaker's recordings moves the reference with them.
    moved = SpeakerReferences()
    for name, feats in (("quiet", quiet - 20), ("loud", loud - 20)):
        total, count = norm.statistics(feats, lens)
        moved.add(name, "spk", total[0], float(count[0]))
    torch.testing.assert_close(
        norm(loud - 20, lens, moved.speaker_reference("spk").unsqueeze(0)),
        norm(loud, lens, reference),
    )


def test_pauses_and_padding_do_not_move_the_reference():
    norm = ReferenceNormalization(speech_floor_db=30.0)
    speech = torch.full((1, 20, 3), 60.0)
    paused = torch.cat([speech, torch.full((1, 30, 3), 5.0)], dim=1)  # -55 dB
    padded = torch.cat([paused, torch.full((1, 10, 3), 99.0)], dim=1)
    lens = torch.tensor([50 / 60])
    total, count = norm.statistics(padded, lens)
    assert count.item() == 20
    torch.testing.assert_close(total / count, torch.full((1, 3), 60.0))
    # Padding frames come out as zeros.
    assert norm(padded, lens)[0, 50:].abs().max() == 0


def test_level_channels_decide_speech_frames_alone():
    norm = ReferenceNormalization(speech_floor_db=10.0, level_channels=2)
    feats = torch.tensor([[[50.0, 50.0, 0.0], [0.0, 0.0, 100.0]]])
    weights = norm.frame_weights(feats, torch.ones(1))
    assert weights.tolist() == [[1.0, 0.0]]


def test_references_combine_exactly_and_draws_cover_one_to_all():
    refs = SpeakerReferences()
    for i in range(5):
        refs.add(f"u{i}", "a", torch.tensor([float(i), 1.0]), 1.0 + i)
    refs.add("v0", "b", torch.tensor([10.0, 0.0]), 2.0)
    expected = torch.tensor([sum(range(5)) / sum(1 + i for i in range(5)), 5 / 15])
    torch.testing.assert_close(refs.speaker_reference("a"), expected)
    assert refs.speakers == ["a", "b"] and len(refs) == 6
    rng = random.Random(0)
    seen = {
        tuple(refs.draw_reference("u0", "a", rng, self_prob=0.0).tolist())
        for _ in range(200)
    }
    assert len(seen) > 10  # many different subsets
    alone = refs.draw_reference("u3", "a", random.Random(0), self_prob=1.0)
    torch.testing.assert_close(alone, refs.reference(["u3"]))
    with pytest.raises(KeyError, match="no statistics for speaker 'c'"):
        refs.utterances("c")
    with pytest.raises(ValueError, match="at least one utterance"):
        refs.reference([])


def test_level_only_keeps_spectral_balance_and_other_channels():
    norm = ReferenceNormalization(
        speech_floor_db=None, level_channels=[0, 1, 3], per_channel=False
    )
    feats = torch.tensor([[[40.0, 60.0, 5.0, 50.0]]]).repeat(1, 4, 1)
    out = norm(feats, torch.ones(1))
    # One level (the mean of channels 0, 1 and 3: 50) off the level channels.
    assert out[0, 0].tolist() == [-10.0, 10.0, 5.0, 0.0]
    louder = norm(feats + torch.tensor([12.0, 12.0, 0.0, 12.0]), torch.ones(1))
    torch.testing.assert_close(louder, out)


def _running_by_loop(feats, floor, level_channels=None, floor_db=None, noise_db=None):
    """The running reference, frame by frame, straight from its definition."""
    out = torch.zeros_like(feats)
    for b in range(feats.shape[0]):
        counted, loudest, loudest_power = [], float("-inf"), float("-inf")
        for t in range(feats.shape[1]):
            frame = feats[b, t].clone()
            level = frame[:level_channels].mean().item()
            power = (10 ** (frame[:level_channels] / 10)).mean()
            loudest_power = max(loudest_power, 10 * torch.log10(power).item())
            if floor is not None and level > loudest + floor:
                counted = []  # every earlier frame is below the new floor
            loudest = max(loudest, level)
            if floor_db is not None:
                levels = frame[:level_channels]
                frame[:level_channels] = levels.clamp(min=loudest - floor_db)
            if noise_db is not None:  # a flat floor added in power
                power = 10 ** (frame[:level_channels] / 10)
                power = power + 10 ** ((loudest_power - noise_db) / 10)
                frame[:level_channels] = 10 * torch.log10(power)
            if floor is None or level >= loudest - floor:
                counted.append(frame)
            out[b, t] = frame - torch.stack(counted).mean(dim=0)
    return out


def _levels_with_jumps(seed=0, batch=2, frames=120, channels=6):
    """Features with silence first, a +40 dB jump (a restart), then pauses."""
    gen = torch.Generator().manual_seed(seed)
    feats = torch.randn(batch, frames, channels, generator=gen) * 3.0
    level = torch.full((batch, frames, 1), -90.0)
    level[:, 10:] = -50.0  # speech, 40 dB above the leading silence
    level[:, 40:55] = -85.0  # a pause, 35 dB below: not counted
    level[:, 70:] = -40.0  # louder speech, 10 dB up: earlier speech still counts
    return feats + level


@pytest.mark.parametrize(
    ("floor", "floor_db", "noise_db"),
    [
        (30.0, None, None),
        (None, None, None),
        (30, 8, None),
        (30, 50, 6),
        (None, None, 6),
    ],
)
def test_running_reference_follows_its_definition(floor, floor_db, noise_db):
    feats = _levels_with_jumps()
    norm = RunningReferenceNormalization(
        floor, level_channels=4, floor_db=floor_db, noise_floor_db=noise_db
    )
    out = norm(feats, torch.ones(2))
    expected = _running_by_loop(feats.double(), floor, 4, floor_db, noise_db).float()
    torch.testing.assert_close(out, expected, atol=1e-4, rtol=0)
    # The first frame is measured against itself.
    assert out[:, 0].abs().max() < 1e-5


@pytest.mark.parametrize("noise_db", [None, 6.0])
@pytest.mark.parametrize("sizes", [[1], [7], [3, 1, 50, 2], [120]])
def test_running_reference_chunked_equals_whole(sizes, noise_db):
    feats = _levels_with_jumps(seed=1)
    norm = RunningReferenceNormalization(
        speech_floor_db=30.0, floor_db=8.0, noise_floor_db=noise_db
    )
    whole = norm(feats, torch.ones(2))
    state, outs, pos, k = norm.init_state(2, feats.shape[2]), [], 0, 0
    while pos < feats.shape[1]:
        size = sizes[k % len(sizes)]
        out, state = norm.step(feats[:, pos : pos + size], state)
        outs.append(out)
        pos, k = pos + size, k + 1
        shapes = [(2, 6), (2, 1), (2,)] + [(2,)] * (noise_db is not None)
        assert [tuple(s.shape) for s in state] == shapes
    # Cumulative sums over different blocks: float32 rounding, not bit for bit.
    torch.testing.assert_close(torch.cat(outs, dim=1), whole, atol=1e-4, rtol=0)


@pytest.mark.parametrize("noise_db", [None, 6.0])
@pytest.mark.parametrize("gain_db", [-20.0, 6.0, 35.0])
def test_running_reference_ignores_gain(gain_db, noise_db):
    feats = _levels_with_jumps(seed=2)
    norm = RunningReferenceNormalization(speech_floor_db=30.0, noise_floor_db=noise_db)
    lens = torch.tensor([1.0, 0.8])
    # Float32 rounding of sums of features of up to about 130 dB.
    torch.testing.assert_close(
        norm(feats + gain_db, lens), norm(feats, lens), atol=1e-3, rtol=0
    )


def test_running_reference_ignores_padding_and_takes_fixed_references():
    feats = _levels_with_jumps(seed=3)
    norm = RunningReferenceNormalization(speech_floor_db=30.0)
    short = norm(feats[:1, :90], torch.ones(1))
    padded = feats.clone()
    padded[0, 90:] = 500.0  # loud padding would restart the sums if it counted
    out = norm(padded, torch.tensor([0.75, 1.0]))
    torch.testing.assert_close(out[:1, :90], short, atol=1e-5, rtol=0)
    assert out[0, 90:].abs().max() == 0
    # A fixed reference (a speaker's) is subtracted as ReferenceNormalization
    # does, from the features floored as in the running computation.
    reference = torch.randn(2, 6)
    torch.testing.assert_close(
        norm(feats, torch.ones(2), reference),
        ReferenceNormalization()(feats, torch.ones(2), reference),
    )
    floored = RunningReferenceNormalization(30.0, floor_db=8.0)
    ones = torch.ones(2)
    zero_reference = floored(feats, ones, torch.zeros(2, 6))
    running_top = feats.mean(dim=-1).cummax(dim=1).values
    assert (zero_reference >= running_top.unsqueeze(-1) - 8.0 - 1e-5).all()
    total, count = floored.statistics(feats, ones)
    torch.testing.assert_close(count, norm.statistics(feats, ones)[1])


def test_running_reference_on_fbank_ignores_gain():
    fbank = Fbank(n_mels=40)
    norm = RunningReferenceNormalization(level_channels=40)
    wavs = torch.stack([_speechlike(seed=0), _speechlike(seed=1)])
    lens = torch.tensor([1.0, 0.7])
    ref = norm(fbank(wavs), lens)
    for gain_db in (-20.0, 6.0):
        out = norm(fbank(wavs * 10 ** (gain_db / 20)), lens)
        torch.testing.assert_close(out, ref, atol=2e-3, rtol=0)


def test_floor_makes_digital_silence_gain_invariant():
    """Exact zeros sit at the filterbank's fixed floor whatever the gain;
    ``floor_db`` lifts them to a floor relative to the loudest level."""
    fbank = Fbank(n_mels=40)
    wav = _speechlike(seed=0)
    wav[4000:6000] = 0.0  # a digitally silent pause
    wav[-1600:] = 0.0  # and digital silence at the end
    wavs, lens = wav.unsqueeze(0), torch.ones(1)
    fbank.compute_fbanks.top_db = float("inf")  # as CausalFbank: no dB floor
    for floor_db, invariant in ((50.0, True), (None, False)):
        norm = RunningReferenceNormalization(level_channels=40, floor_db=floor_db)
        ref = norm(fbank(wavs), lens)
        for gain_db in (-20.0, 6.0):
            out = norm(fbank(wavs * 10 ** (gain_db / 20)), lens)
            change = (out - ref).abs().max().item()
            assert (change < 2e-3) == invariant, (floor_db, gain_db, change)


def test_exported_running_maximum_is_cummax(monkeypatch):
    """ONNX has no cummax: when exporting, a doubling scan gives the same."""
    from speechbrain_lstm_ser.nnet import normalization

    x = torch.randn(3, 1000, generator=torch.Generator().manual_seed(5))
    index = torch.where(x > 1.5, torch.arange(1000), -1)
    expected = torch.cummax(x, dim=1).values, torch.cummax(index, dim=1).values
    monkeypatch.setattr(torch.compiler, "is_exporting", lambda: True)
    assert torch.equal(normalization._cummax(x, float("-inf")), expected[0])
    assert torch.equal(normalization._cummax(index, -1), expected[1])


def test_noise_floor_shape_from_the_filterbank_and_light_noise_under_it():
    """The causal noise floor: shaped as white noise in the filterbank (the
    module or the tensor give the same), it hides white noise 30 dB under
    the speech: they change less than half as much as without it."""
    fbank = Fbank(n_mels=40)
    fbank.compute_fbanks.top_db = float("inf")  # as CausalFbank: no dB floor
    shaped = RunningReferenceNormalization(
        level_channels=40, floor_db=50.0, noise_floor_db=20.0, noise_floor_shape=fbank
    )
    expected = white_noise_shape(fbank, 400)
    torch.testing.assert_close(shaped.noise_floor.log_shape, expected.log())
    assert not any(m is fbank for m in shaped.modules())  # only the shape is kept
    wav = _speechlike(seed=0)
    wav[4000:6000] = 0.0  # a pause
    noise = torch.randn(wav.shape, generator=torch.Generator().manual_seed(9))
    noise = noise * wav.pow(2).mean().sqrt() * 10 ** (-30 / 20)  # 30 dB SNR
    lens = torch.ones(1)
    changes = {}
    for name, norm in (
        ("without", RunningReferenceNormalization(level_channels=40, floor_db=50.0)),
        ("with", shaped),
    ):
        clean = norm(fbank(wav.unsqueeze(0)), lens)
        noisy = norm(fbank((wav + noise).unsqueeze(0)), lens)
        changes[name] = (noisy - clean).abs().mean().item()
    assert changes["with"] < 0.5 * changes["without"], changes


def test_noise_floor_follows_the_loudest_power_not_the_mean_level():
    """A band limit (empty high channels) lowers a frame's mean log-mel by
    many dB but its mean power hardly: the floor, under the power, stays."""
    tilt = -6.0 * torch.arange(8.0)  # a speech-like spectrum: high bands weaker
    feats = _levels_with_jumps(seed=4, channels=8) + tilt
    limited = feats.clone()
    limited[..., 6:] -= 60.0  # the two highest channels emptied
    norm = RunningReferenceNormalization(None, level_channels=8, noise_floor_db=20.0)
    real = torch.ones(2, 120, dtype=torch.bool)
    power_drop = norm._power(feats, real) - norm._power(limited, real)
    assert power_drop.max() < 0.5
    assert (feats.mean(-1) - limited.mean(-1)).min() > 14.0  # the mean level: 15 dB
    # The floored channels below the band limit come out alike.
    lens = torch.ones(2)
    floored_full = norm.floored(feats, lens)[..., :6]
    floored_cut = norm.floored(limited, lens)[..., :6]
    assert (floored_full - floored_cut).abs().max() < 0.5


def test_floors_apply_to_level_channels_given_by_index():
    """``level_channels`` as a list: the floors change those channels, in
    place, exactly as leading level channels of the same values."""
    feats = _levels_with_jumps(seed=5)
    order = [0, 1, 3, 2, 4, 5]  # the level channels first
    settings = {"floor_db": 8.0, "noise_floor_db": 6.0}
    listed = RunningReferenceNormalization(None, level_channels=[0, 1, 3], **settings)
    leading = RunningReferenceNormalization(None, level_channels=3, **settings)
    lens = torch.ones(2)
    got = listed.floored(feats, lens)
    torch.testing.assert_close(
        got[..., order], leading.floored(feats[..., order], lens)
    )
    torch.testing.assert_close(got[..., [2, 4, 5]], feats[..., [2, 4, 5]])


def test_bad_noise_floor_settings_are_refused_by_name():
    with pytest.raises(
        ValueError, match="noise_floor_db is the floor's distance.*got -5"
    ):
        RunningReferenceNormalization(noise_floor_db=-5.0)
    with pytest.raises(TypeError, match="noise_floor_shape must be .* got a Linear"):
        RunningReferenceNormalization(
            noise_floor_db=20.0, noise_floor_shape=torch.nn.Linear(2, 2)
        )
