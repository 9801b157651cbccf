"""The shortcuts taken for unpadded inputs give exactly the general results."""

import pytest
import torch
from torch import nn

from speechbrain_lstm_ser.nnet.encoders import LSTMEncoder
from speechbrain_lstm_ser.nnet.pooling import AttentiveStatisticsPooling


def _general_path(enc, x):
    """The encoder on x padded by one frame (so the general path runs)."""
    padded = torch.cat([x, torch.zeros(x.shape[0], 1, x.shape[2])], dim=1)
    lens = torch.full((x.shape[0],), x.shape[1] / padded.shape[1])
    return enc(padded, lens)[:, : x.shape[1]]


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"bidirectional": False},
        {"num_layers": 3, "output_size": 6},
        {"proj_size": 5},
    ],
)
def test_fused_lstm_equals_general_path(kwargs):
    # The fused call and the layer-by-layer path run different oneDNN/MKL
    # kernels, whose summation order (and so last bits) differ between CPUs
    # (Intel vs AMD Zen 4): compare with float32's own tolerance
    # (torch.testing's defaults: rtol 1.3e-6, atol 1e-5), far below any
    # difference a real bug (a dropped frame, a wrong direction) makes.
    enc = LSTMEncoder(12, 8, **{"num_layers": 2, **kwargs}).eval()
    x = torch.randn(3, 25, 12)
    fused = enc(x, torch.ones(3))
    torch.testing.assert_close(fused, _general_path(enc, x))


def test_fused_lstm_is_deterministic():
    # The same kernel run twice on the same input: here bit-for-bit holds.
    enc = LSTMEncoder(12, 8, num_layers=2).eval()
    x = torch.randn(3, 25, 12)
    assert torch.equal(enc(x, torch.ones(3)), enc(x, torch.ones(3)))


def test_fused_lstm_trains_like_the_general_path():
    enc = LSTMEncoder(10, 6, num_layers=2, dropout=0.0).train()
    x = torch.randn(2, 15, 10)
    enc(x, torch.ones(2)).square().sum().backward()
    fused = [p.grad.clone() for p in enc.parameters()]
    enc.zero_grad()
    _general_path(enc, x).square().sum().backward()
    for got, expected in zip(fused, [p.grad for p in enc.parameters()], strict=True):
        assert torch.allclose(got, expected, atol=1e-6)


@pytest.mark.filterwarnings("ignore::UserWarning")  # torch.ao's deprecation
def test_quantised_lstm_layers_fall_back_to_the_general_path():
    enc = LSTMEncoder(10, 8, num_layers=2).eval()
    x = torch.randn(2, 20, 10)
    quantised = torch.ao.quantization.quantize_dynamic(
        enc, {nn.LSTM}, dtype=torch.qint8
    )
    out = quantised(x, torch.ones(2))
    assert out.shape == (2, 20, 16)
    assert (out - enc(x, torch.ones(2))).abs().max() < 0.05


def _concatenated_attention(pool, x, lens):
    """Attentive statistics pooling as written in ECAPA-TDNN (one big input)."""
    with torch.no_grad():
        for_reference = AttentiveStatisticsPooling(x.shape[-1], 4)
        for_reference.load_state_dict(pool.state_dict())
        # Not an nn.Linear: the pooling takes its general (concatenating) path.
        for_reference.attention[0] = nn.Sequential(pool.attention[0])
        return for_reference(x, lens)


def test_split_attention_layer_equals_the_concatenated_input():
    pool = AttentiveStatisticsPooling(6, 4)
    x, lens = torch.randn(3, 12, 6), torch.tensor([1.0, 0.5, 0.25])
    assert torch.allclose(
        pool(x, lens), _concatenated_attention(pool, x, lens), atol=1e-6
    )
