import pytest
import torch
from torch import nn

from speechbrain_lstm_ser.nnet.encoders import (
    CRNNEncoder,
    LSTMEncoder,
    absolute_lengths,
    length_mask,
    reverse_padded,
)


def _packed_reference(enc: LSTMEncoder) -> nn.LSTM:
    """A torch LSTM with the encoder's weights, to run on packed sequences."""
    first = enc.forward_layers[0]
    ref = nn.LSTM(
        first.input_size,
        first.hidden_size,
        num_layers=len(enc.forward_layers),
        bidirectional=enc.bidirectional,
        batch_first=True,
    )
    with torch.no_grad():
        for layer in range(len(enc.forward_layers)):
            for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                getattr(ref, f"{name}_l{layer}").copy_(
                    getattr(enc.forward_layers[layer], f"{name}_l0")
                )
                if enc.bidirectional:
                    getattr(ref, f"{name}_l{layer}_reverse").copy_(
                        getattr(enc.backward_layers[layer], f"{name}_l0")
                    )
    return ref


@pytest.mark.parametrize("bidirectional", [True, False])
def test_matches_packed_lstm(bidirectional):
    enc = LSTMEncoder(12, hidden_size=8, num_layers=3, bidirectional=bidirectional)
    x = torch.randn(4, 30, 12)
    counts = torch.tensor([30, 17, 5, 1])
    lens = counts / 30
    ref = _packed_reference(enc)
    packed = nn.utils.rnn.pack_padded_sequence(
        x, counts, batch_first=True, enforce_sorted=False
    )
    expected, _ = nn.utils.rnn.pad_packed_sequence(
        ref(packed)[0], batch_first=True, total_length=30
    )
    assert torch.allclose(enc(x, lens), expected, atol=1e-6)


@pytest.mark.parametrize("kwargs", [{}, {"proj_size": 4}, {"output_size": 6}])
def test_padding_does_not_change_outputs(kwargs):
    enc = LSTMEncoder(10, hidden_size=8, num_layers=2, dropout=0.3, **kwargs).eval()
    x = torch.randn(3, 40, 10)
    lens = torch.tensor([1.0, 0.5, 0.25])
    batched = enc(x, lens)
    for i, count in enumerate([40, 20, 10]):
        alone = enc(x[i : i + 1, :count], torch.ones(1))
        assert torch.allclose(batched[i, :count], alone[0], atol=1e-6)
        assert batched[i, count:].abs().sum() == 0
    # garbage in the padding changes nothing either
    noisy = x.clone()
    noisy[1, 20:] = 1e3
    assert torch.allclose(enc(noisy, lens), batched, atol=1e-6)


def test_output_sizes():
    assert LSTMEncoder(5, 8, bidirectional=True).output_size == 16
    assert LSTMEncoder(5, 8, bidirectional=False).output_size == 8
    assert LSTMEncoder(5, 8, proj_size=3).output_size == 6
    assert LSTMEncoder(5, 8, output_size=7).output_size == 7
    with pytest.raises(ValueError):
        LSTMEncoder(5, 8, num_layers=0)


def test_no_gradient_reaches_padding():
    enc = LSTMEncoder(6, 4, num_layers=2)
    x = torch.randn(2, 10, 6, requires_grad=True)
    enc(x, torch.tensor([1.0, 0.5])).sum().backward()
    assert x.grad[1, 5:].abs().sum() == 0
    assert x.grad[1, :5].abs().sum() > 0


def test_lengths_helpers():
    assert absolute_lengths(None, 7, 2).tolist() == [7, 7]
    assert absolute_lengths(torch.tensor([0.001, 0.999]), 10, 2).tolist() == [1, 10]
    mask = length_mask(torch.tensor([0.5]), 4, 1)
    assert mask.tolist() == [[True, True, False, False]]
    x = torch.arange(5.0).view(1, 5, 1)
    once = reverse_padded(x, torch.tensor([3]))
    assert once[0, :, 0].tolist() == [2.0, 1.0, 0.0, 3.0, 4.0]
    assert torch.equal(reverse_padded(once, torch.tensor([3])), x)


def test_crnn_shapes_and_padding_in_eval():
    enc = CRNNEncoder(
        input_size=40,
        cnn_channels=[4, 8],
        hidden_size=8,
        time_stride=2,
        dnn_sizes=[12, 10],
    ).eval()
    x = torch.randn(2, 40, 40)
    lens = torch.tensor([1.0, 0.5])
    out = enc(x, lens)
    assert out.shape == (2, 20, 10)
    assert enc.output_size == 10
    alone = enc(x[1:, :20], torch.ones(1))
    assert torch.allclose(out[1, :10], alone[0], atol=1e-5)
    assert out[1, 10:].abs().sum() == 0


def test_crnn_rejects_too_much_pooling():
    with pytest.raises(ValueError, match="too small"):
        CRNNEncoder(input_size=3, cnn_channels=[4, 4], freq_pool=2)


def test_crnn_trains():
    enc = CRNNEncoder(input_size=16, cnn_channels=[4], hidden_size=6, dnn_sizes=[5])
    opt = torch.optim.SGD(enc.parameters(), lr=0.1)
    x = torch.randn(3, 12, 16)
    loss = enc(x, torch.tensor([1.0, 0.7, 0.4])).pow(2).mean()
    loss.backward()
    assert all(p.grad is not None for p in enc.parameters())
    opt.step()
