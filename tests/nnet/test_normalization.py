"""Level and speaker normalisation: invariance by construction, exact combining."""

import random

import pytest
import torch
from speechbrain.lobes.features import Fbank

from speechbrain_lstm_ser.nnet.normalization import (
    ReferenceNormalization,
    SpeakerReferences,
)


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
