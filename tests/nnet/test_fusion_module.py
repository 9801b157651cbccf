"""FunctionalsFusion: the late fusion of a model with a functionals classifier."""

import pytest
import torch

from speechbrain_lstm_ser.nnet.fusion import (
    MODES,
    FunctionalsFusion,
    speaker_statistics,
)


@pytest.fixture(scope="module")
def fusion():
    return FunctionalsFusion(num_classes=4).eval()


def _fitted(fusion: FunctionalsFusion, w: float) -> FunctionalsFusion:
    fitted = FunctionalsFusion(num_classes=4).eval()
    fitted.load_state_dict(fusion.state_dict())
    generator = torch.Generator().manual_seed(0)
    for mode in MODES:
        weight = getattr(fitted, f"{mode}_weight")
        weight.copy_(torch.randn(weight.shape, generator=generator))
    fitted.weights.fill_(w)
    return fitted


def _speech(seconds=1.0, f0=140.0, seed=0):
    t = torch.arange(int(16000 * seconds)) / 16000
    noise = torch.randn(t.shape, generator=torch.Generator().manual_seed(seed))
    voiced = torch.sin(2 * torch.pi * f0 * t) + 0.5 * torch.sin(4 * torch.pi * f0 * t)
    return 0.3 * voiced * (torch.sin(2 * torch.pi * 3 * t) > -0.3) + 0.003 * noise


def test_an_unfitted_fusion_is_the_model_alone(fusion):
    log_probs = torch.randn(3, 4).log_softmax(-1)
    feats = torch.randn(3, fusion.num_features)
    assert torch.equal(fusion(log_probs, feats), log_probs)
    stats = speaker_statistics(feats)
    assert torch.equal(fusion(log_probs, feats, stats), log_probs)
    assert not fusion.active("speaker") and not fusion.active("utterance")


def test_weight_zero_is_the_functionals_head_and_a_half_mixes(fusion):
    feats = torch.randn(3, fusion.num_features, dtype=torch.float64)
    log_probs = torch.randn(3, 4).log_softmax(-1)
    stats = speaker_statistics(feats)
    zero = _fitted(fusion, 0.0)
    for speaker in (None, stats):
        head = zero.head_log_probs(feats, speaker)
        assert torch.allclose(zero(log_probs, feats, speaker), head, atol=1e-6)
    half = _fitted(fusion, 0.5)
    mixed = (0.5 * log_probs + 0.5 * half.head_log_probs(feats)).log_softmax(-1)
    assert torch.allclose(half(log_probs, feats), mixed, atol=1e-6)


def test_the_utterance_head_ignores_the_recording_gain(fusion):
    wav = _speech()
    fitted = _fitted(fusion, 0.0)
    loud = fitted.extract(wav[None], torch.ones(1))
    quiet = fitted.extract(0.1 * wav[None], torch.ones(1))  # -20 dB
    assert not torch.allclose(loud, quiet)  # loudness functionals move
    # random weights make large logits: equal to float rounding, relatively
    assert torch.allclose(
        fitted.head_log_probs(loud), fitted.head_log_probs(quiet), rtol=1e-3
    )


def test_extract_leaves_the_padding_out(fusion):
    short, long = _speech(0.6, 120.0, 1), _speech(1.0, 200.0, 2)
    batch = torch.zeros(2, long.shape[0])
    batch[0, : short.shape[0]], batch[1] = short, long
    lens = torch.tensor([short.shape[0] / long.shape[0], 1.0])
    together = fusion.extract(batch, lens)
    assert torch.allclose(together[0], fusion.extract(short[None], torch.ones(1))[0])
    assert torch.allclose(together[1], fusion.extract(long[None], torch.ones(1))[0])


def test_a_checkpoint_without_a_fusion_loads_unfitted():
    class Model(torch.nn.Module):
        def __init__(self, fused):
            super().__init__()
            self.classifier = torch.nn.Linear(2, 4)
            self.fusion = FunctionalsFusion(4) if fused else None

    old = Model(fused=False).state_dict()
    model = Model(fused=True)
    assert not model.load_state_dict(old).missing_keys
    assert torch.equal(model.fusion.weights, torch.ones(len(MODES)))


def test_building_a_fusion_draws_no_random_number():
    torch.manual_seed(0)
    expected = torch.rand(1)
    torch.manual_seed(0)
    FunctionalsFusion(4)
    assert torch.equal(torch.rand(1), expected)
    assert not list(FunctionalsFusion(4).parameters())  # fitted, never trained
