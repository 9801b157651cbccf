"""Structured pruning and the distillation loss."""

import pytest
import torch
from speechbrain.lobes.features import Fbank
from speechbrain.processing.features import InputNormalization

from speechbrain_lstm_ser.compression.distillation import DistillationLoss
from speechbrain_lstm_ser.compression.pruning import (
    copy_normalizer,
    lstm_unit_importance,
    prune_into,
)
from speechbrain_lstm_ser.nnet.encoders import LSTMEncoder
from speechbrain_lstm_ser.nnet.heads import ClassificationHead
from speechbrain_lstm_ser.nnet.models import UtteranceClassifierModel
from speechbrain_lstm_ser.nnet.pooling import (
    AttentionPooling,
    AttentiveStatisticsPooling,
    LastStatePooling,
    MeanPooling,
)

POOLINGS = {
    "attentive": lambda size: AttentiveStatisticsPooling(size, 5),
    "attention": lambda size: AttentionPooling(size, 5),
    "mean_std": lambda size: MeanPooling(size, return_std=True),
    "last": lambda size: LastStatePooling(size, bidirectional=True),
}
POOLED = {"attentive": 2, "attention": 1, "mean_std": 2, "last": 1}


def _model(hidden, pooling):
    size = 2 * hidden
    return UtteranceClassifierModel(
        Fbank(n_mels=7),
        InputNormalization(norm_type="sentence"),
        LSTMEncoder(7, hidden, num_layers=2),
        POOLINGS[pooling](size),
        ClassificationHead(POOLED[pooling] * size, 4, 6),
    )


def _run(model, wavs, lens):
    with torch.no_grad():
        return model.eval()(wavs, lens)


def _kill_units(model, dead):
    """Zeroes every weight of the ``dead`` units: they then output exactly 0."""
    enc = model.encoder
    hidden = enc.forward_layers[0].hidden_size
    rows = torch.cat([g * hidden + dead for g in range(4)])
    with torch.no_grad():
        for lstm in [*enc.forward_layers, *enc.backward_layers]:
            for name in ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"):
                getattr(lstm, name)[rows] = 0.0
            lstm.weight_hh_l0[:, dead] = 0.0


@pytest.mark.parametrize("pooling", sorted(POOLINGS))
def test_pruning_dead_units_changes_nothing(pooling):
    big = _model(8, pooling)
    _kill_units(big, torch.tensor([1, 4, 6]))
    small = _model(5, pooling)
    prune_into(big, small)
    wavs, lens = torch.randn(3, 3200), torch.tensor([1.0, 0.6, 0.3])
    assert torch.allclose(_run(small, wavs, lens), _run(big, wavs, lens), atol=1e-6)


def test_pruning_to_the_same_size_is_a_copy():
    big, same = _model(6, "attentive"), _model(6, "attentive")
    prune_into(big, same)
    for (name, a), b in zip(
        big.state_dict().items(), same.state_dict().values(), strict=True
    ):
        assert torch.equal(a, b), name


def test_pruning_keeps_the_largest_units():
    lstm = LSTMEncoder(3, 4, num_layers=1, bidirectional=False).forward_layers[0]
    with torch.no_grad():
        for p in lstm.parameters():
            p.mul_(0.01)
        lstm.weight_ih_l0[2] = 5.0  # unit 2, input gate
    importance = lstm_unit_importance(lstm)
    assert int(importance.argmax()) == 2


def test_pruning_refuses_growing_or_other_architectures():
    with pytest.raises(ValueError, match="cannot prune"):
        prune_into(_model(4, "attentive"), _model(6, "attentive"))
    with pytest.raises(ValueError, match="pooling"):
        prune_into(_model(6, "attentive"), _model(4, "attention"))


def test_copy_normalizer():
    from speechbrain.processing.features import InputNormalization

    trained, target = InputNormalization(), InputNormalization()
    trained(torch.randn(4, 10, 3) * 5 + 2, torch.ones(4))
    copy_normalizer(trained.eval(), target.eval())
    x = torch.randn(2, 5, 3)
    assert torch.equal(target(x, torch.ones(2)), trained(x, torch.ones(2)))


def test_distillation_loss():
    loss = DistillationLoss(temperature=3.0, alpha=0.5)
    teacher = torch.log_softmax(torch.randn(8, 1, 4), dim=-1)
    hard = torch.tensor(2.0)
    assert loss(teacher, teacher, hard).item() == pytest.approx(1.0, abs=1e-6)
    student = torch.log_softmax(torch.randn(8, 1, 4), dim=-1).requires_grad_()
    soft = loss.soft(student, teacher)
    assert soft > 0
    soft.backward()  # gradients reach the student, not the teacher
    assert student.grad.abs().sum() > 0
    assert DistillationLoss(alpha=0.0)(student, teacher, hard).item() == 2.0
    with pytest.raises(ValueError):
        DistillationLoss(temperature=0.0)
