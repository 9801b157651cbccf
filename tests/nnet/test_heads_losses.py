import math

import pytest
import torch
from torch import nn

from speechbrain_lstm_ser.nnet.heads import ClassificationHead
from speechbrain_lstm_ser.nnet.losses import ClassificationLoss, balanced_class_weights


def test_head_layers_follow_the_specification():
    head = ClassificationHead(10, 4, hidden_size=8, dropout=0.25)
    kinds = [type(m) for m in head.hidden] + [type(head.output)]
    assert kinds == [nn.Linear, nn.BatchNorm1d, nn.ReLU, nn.Dropout, nn.Linear]
    assert head.hidden[3].p == 0.25


@pytest.mark.parametrize("shape", [(5, 1, 10), (5, 10)])
def test_head_returns_log_probabilities(shape):
    head = ClassificationHead(10, 3, hidden_size=8, num_hidden_layers=2).eval()
    out = head(torch.randn(*shape))
    assert out.shape == shape[:-1] + (3,)
    assert torch.allclose(out.exp().sum(-1), torch.ones(shape[:-1]), atol=1e-6)


def test_head_divides_its_logits_by_the_temperature_in_evaluation_mode():
    head = ClassificationHead(10, 4, hidden_size=8).eval()
    x = torch.randn(6, 1, 10)
    assert float(head.temperature) == 1.0  # the default
    unscaled = head(x)
    head.set_temperature(2.5)
    scaled = head(x)
    expected = torch.log_softmax(head.logits(x.squeeze(1)) / 2.5, dim=-1)
    torch.testing.assert_close(scaled.squeeze(1), expected)
    assert torch.equal(scaled.argmax(-1), unscaled.argmax(-1))  # same classes
    assert not torch.allclose(scaled, unscaled)
    # training ignores it (T = 1 while training)
    head.train()
    torch.manual_seed(0)
    trained = head(x)
    head.set_temperature(1.0)
    torch.manual_seed(0)
    torch.testing.assert_close(trained, head(x))
    with pytest.raises(ValueError, match="must be > 0"):
        head.set_temperature(0.0)


def test_temperature_is_saved_with_the_head_and_not_trained():
    head = ClassificationHead(10, 4, hidden_size=8)
    head.set_temperature(1.7)
    assert "temperature" not in dict(head.named_parameters())
    copy = ClassificationHead(10, 4, hidden_size=8)
    copy.load_state_dict(head.state_dict(), strict=True)
    assert float(copy.temperature) == pytest.approx(1.7)


def test_loss_is_nll_of_the_target():
    log_probs = torch.log(torch.tensor([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]]))
    targets = torch.tensor([0, 2])
    expected = -(math.log(0.7) + math.log(0.8)) / 2
    assert ClassificationLoss()(log_probs, targets).item() == pytest.approx(
        expected, rel=1e-6
    )
    # SpeechBrain shapes (batch, 1, classes) and (batch, 1) give the same
    got = ClassificationLoss()(log_probs.unsqueeze(1), targets.unsqueeze(1))
    assert got.item() == pytest.approx(expected, rel=1e-6)


def test_label_smoothing():
    log_probs = torch.log(torch.tensor([[0.7, 0.2, 0.1]]))
    eps = 0.1
    nll = -math.log(0.7)
    uniform = -sum(math.log(p) for p in (0.7, 0.2, 0.1)) / 3
    got = ClassificationLoss(label_smoothing=eps)(log_probs, torch.tensor([0]))
    assert got.item() == pytest.approx((1 - eps) * nll + eps * uniform, rel=1e-6)
    with pytest.raises(ValueError):
        ClassificationLoss(label_smoothing=1.0)


def test_class_weights():
    log_probs = torch.log(torch.tensor([[0.5, 0.5], [0.9, 0.1]]))
    targets = torch.tensor([0, 1])
    loss = ClassificationLoss(class_weights=[1.0, 3.0])(log_probs, targets)
    expected = (1.0 * -math.log(0.5) + 3.0 * -math.log(0.1)) / 4.0
    assert loss.item() == pytest.approx(expected, rel=1e-6)
    with pytest.raises(ValueError, match="class weights"):
        ClassificationLoss(class_weights=[1.0])(log_probs, targets)


def test_balanced_weights():
    assert balanced_class_weights([10, 10]) == [1.0, 1.0]
    assert balanced_class_weights([30, 10]) == pytest.approx([2 / 3, 2.0])
    with pytest.raises(ValueError):
        balanced_class_weights([5, 0])


def test_class_weights_follow_the_predictions_device():
    # The loss is no Brain module (never moved): its weights move with the
    # predictions ("meta" stands for an accelerator here).
    loss = ClassificationLoss(class_weights=[1.0, 3.0])
    log_probs = torch.randn(3, 1, 2, device="meta")
    targets = torch.zeros(3, 1, dtype=torch.long, device="meta")
    assert loss(log_probs, targets).device.type == "meta"
    assert loss.class_weights.device.type == "meta"


# ------------------------------------------------- dimensional emotion ----


def test_dimension_head_is_the_classification_mlp_with_a_sigmoid():
    from speechbrain_lstm_ser.nnet.heads import DimensionHead

    head = DimensionHead(10, hidden_size=8, dropout=0.25)
    kinds = [type(m) for m in head.hidden] + [type(head.output)]
    assert kinds == [nn.Linear, nn.BatchNorm1d, nn.ReLU, nn.Dropout, nn.Linear]
    assert head.output.out_features == 3
    head.eval()
    x = 100 * torch.randn(6, 1, 10)  # large inputs: saturated, still in [0, 1]
    out = head(x)
    assert out.shape == (6, 1, 3) and head(x.squeeze(1)).shape == (6, 3)
    assert bool(((out >= 0) & (out <= 1)).all())
    expected = torch.sigmoid(head.output(head.hidden(x.squeeze(1))))
    torch.testing.assert_close(out.squeeze(1), expected)


def test_optional_head_is_built_only_when_its_weight_is_positive():
    from speechbrain_lstm_ser.nnet.heads import DimensionHead, optional_head

    state = torch.random.get_rng_state()
    assert optional_head(0.0, lambda: DimensionHead(8)) is None
    assert torch.equal(torch.random.get_rng_state(), state)  # no random draw
    assert isinstance(optional_head(0.5, lambda: DimensionHead(8)), DimensionHead)
    with pytest.raises(ValueError, match=">= 0"):
        optional_head(-1.0, lambda: DimensionHead(8))


def _numpy_ccc(p, t):
    """Lin's CCC with population moments, in float64."""
    import numpy as np

    p, t = np.asarray(p, dtype=np.float64), np.asarray(t, dtype=np.float64)
    cov = ((p - p.mean()) * (t - t.mean())).mean()
    return 2 * cov / (p.var() + t.var() + (p.mean() - t.mean()) ** 2)


@pytest.mark.parametrize("batch", [2, 5, 16])
def test_concordance_loss_matches_numpy_and_masks_unknown_references(batch):
    from speechbrain_lstm_ser.nnet.losses import ConcordanceLoss, batch_concordance

    gen = torch.Generator().manual_seed(batch)
    targets = torch.rand(batch, 3, generator=gen)
    predictions = (targets + 0.3 * torch.rand(batch, 3, generator=gen)).clamp(0, 1)
    targets[0, 1] = float("nan")  # valence unknown for the first utterance
    ccc, known = batch_concordance(predictions, targets)
    assert known.tolist() == [batch, batch - 1, batch]
    for d in range(3):
        keep = ~torch.isnan(targets[:, d])
        expected = _numpy_ccc(predictions[keep, d], targets[keep, d])
        assert float(ccc[d]) == pytest.approx(expected, abs=1e-5)
    loss = ConcordanceLoss()(predictions.unsqueeze(1), targets.unsqueeze(1))
    assert float(loss) == pytest.approx(float((1 - ccc).mean()), abs=1e-6)


def test_concordance_loss_is_finite_with_a_gradient_on_degenerate_batches():
    from speechbrain_lstm_ser.nnet.losses import ConcordanceLoss

    loss_fn = ConcordanceLoss()
    nan = float("nan")
    cases = {
        "one utterance": torch.tensor([[0.2, 0.4, 0.6]]),
        "constant references": torch.full((4, 3), 0.5),
        "a dimension never known": torch.tensor([[0.1, nan, 0.2], [0.9, nan, 0.4]]),
        "nothing known": torch.full((3, 3), nan),
    }
    for name, targets in cases.items():
        predictions = torch.rand(targets.shape, requires_grad=True)
        loss = loss_fn(predictions, targets)
        loss.backward()
        assert torch.isfinite(loss), name
        assert torch.isfinite(predictions.grad).all(), name
    # a dimension never known is left out of the mean, not counted as CCC 0
    targets = torch.tensor([[0.1, nan, 0.2], [0.9, nan, 0.4]])
    assert float(loss_fn(targets.nan_to_num(0.0), targets)) == pytest.approx(
        0.0, abs=1e-6
    )
