import pytest
import torch

from speechbrain_lstm_ser.nnet.pooling import (
    AttentionPooling,
    AttentiveStatisticsPooling,
    LastStatePooling,
    MeanPooling,
    masked_mean_std,
)

POOLINGS = [
    lambda: MeanPooling(6),
    lambda: MeanPooling(6, return_std=True),
    lambda: LastStatePooling(6, bidirectional=True),
    lambda: LastStatePooling(6, bidirectional=False),
    lambda: AttentionPooling(6, attention_size=5),
    lambda: AttentiveStatisticsPooling(6, attention_size=5),
]


@pytest.mark.parametrize("make", POOLINGS)
def test_padding_is_ignored(make):
    pool = make().eval()
    x = torch.randn(2, 9, 6)
    lens = torch.tensor([1.0, 4 / 9])
    out = pool(x, lens)
    assert out.shape[:2] == (2, 1) and out.shape[-1] == pool.output_size
    garbage = x.clone()
    garbage[1, 4:] = 1e4
    assert torch.allclose(pool(garbage, lens), out, atol=1e-5)
    alone = pool(x[1:, :4], torch.ones(1))
    assert torch.allclose(out[1], alone[0], atol=1e-5)


@pytest.mark.parametrize("make", POOLINGS)
def test_one_frame_is_finite_with_finite_gradients(make):
    pool = make()
    x = torch.randn(2, 5, 6, requires_grad=True)
    out = pool(x, torch.tensor([1.0, 0.2]))
    out.sum().backward()
    assert torch.isfinite(out).all()
    assert torch.isfinite(x.grad).all()


@pytest.mark.parametrize("make", POOLINGS)
def test_eval_is_deterministic(make):
    # SpeechBrain's StatisticsPooling adds noise at eval time; ours must not.
    pool = make().eval()
    x = torch.randn(3, 7, 6)
    lens = torch.tensor([1.0, 0.5, 0.2])
    assert torch.equal(pool(x, lens), pool(x, lens))


def test_mean_and_std_values():
    x = torch.tensor([[[1.0], [3.0], [99.0]]])
    out = MeanPooling(1, return_std=True)(x, torch.tensor([2 / 3]))
    assert torch.allclose(out, torch.tensor([[[2.0, 1.0]]]))
    mean, std = masked_mean_std(torch.ones(1, 3, 2), torch.full((1, 3), 1 / 3))
    assert torch.equal(std, torch.zeros(1, 2))


def test_last_state_picks_the_right_frames():
    x = torch.arange(24.0).view(2, 6, 2)
    out = LastStatePooling(2, bidirectional=True)(x, torch.tensor([1.0, 0.5]))
    # forward half: last real frame; backward half: first frame
    assert out[0, 0].tolist() == [10.0, 1.0]
    assert out[1, 0].tolist() == [16.0, 13.0]
    with pytest.raises(ValueError):
        LastStatePooling(3, bidirectional=True)


def test_attention_weights_are_a_distribution_over_real_frames():
    pool = AttentionPooling(4, attention_size=3)
    w = pool.weights(torch.randn(2, 8, 4), torch.tensor([1.0, 0.25]))
    assert torch.allclose(w.sum(dim=1), torch.ones(2))
    assert w[1, 2:].abs().sum() == 0
