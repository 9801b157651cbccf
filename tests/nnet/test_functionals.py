"""Utterance functionals: masking, padding, one frame, voicing weights, gradients."""

import pytest
import torch

from speechbrain_lstm_ser.nnet.functionals import (
    STATISTICS,
    UtteranceFunctionals,
    functionals_size,
)

ATOL = 1e-5


def _features(batch=3, frames=40, size=13, seed=0):
    """Random normalised features; the voicing channel (-2) in two states."""
    gen = torch.Generator().manual_seed(seed)
    feats = torch.randn(batch, frames, size, generator=gen)
    voiced = torch.rand(batch, frames, generator=gen) > 0.4
    feats[..., -2] = voiced.float() * 2.0 - 0.7  # an affine map of 0/1
    return feats


def _statistic(out: torch.Tensor, functionals, name: str) -> torch.Tensor:
    """``(batch, channels)`` values of one statistic."""
    channels = len(functionals.channels)
    start = STATISTICS.index(name) * channels
    return out[:, 0, start : start + channels]


def test_shape_names_and_size():
    functionals = UtteranceFunctionals()
    out = functionals(_features(), torch.tensor([1.0, 0.6, 0.3]))
    assert out.shape == (3, 1, 12) and functionals.output_size == 12
    assert functionals_size(True, functionals.channels) == 12
    assert functionals_size(False, functionals.channels) == 0
    assert len(functionals.names) == 12 and functionals.names[-1] == "delta[-1]"
    assert list(functionals.parameters()) == []


def test_appended_padding_changes_nothing():
    functionals = UtteranceFunctionals()
    feats = _features()
    lens = torch.tensor([1.0, 0.75, 0.5])
    out = functionals(feats, lens)
    garbage = 100.0 * torch.randn(3, 20, feats.shape[-1])
    padded = functionals(torch.cat([feats, garbage], dim=1), lens * 40 / 60)
    assert torch.allclose(out, padded, atol=ATOL, rtol=0)
    # and a short utterance alone gives what it gives in the padded batch
    alone = functionals(feats[2:, :20], torch.ones(1))
    assert torch.allclose(alone, out[2:], atol=ATOL, rtol=0)


def test_one_frame_is_finite_with_zero_spread():
    functionals = UtteranceFunctionals()
    feats = _features(frames=1)
    out = functionals(feats, torch.ones(3))
    assert bool(out.isfinite().all())
    torch.testing.assert_close(
        _statistic(out, functionals, "mean"), feats[:, 0, -3:], atol=ATOL, rtol=0
    )
    for name in ("std", "range", "delta"):
        assert bool((_statistic(out, functionals, name) == 0).all()), name


def test_known_values_of_a_ramp():
    functionals = UtteranceFunctionals(channels=[0], voicing_channel=None)
    ramp = torch.arange(10.0).reshape(1, 10, 1)  # 0..9
    out = functionals(ramp, torch.ones(1))[0, 0]
    mean, std, spread, delta = out.tolist()
    assert mean == pytest.approx(4.5)
    assert std == pytest.approx(8.25**0.5, rel=1e-5)  # population std
    assert spread == pytest.approx(8.0 - 0.0)  # nearest-rank 90th minus 10th
    assert delta == pytest.approx(1.0)


def test_log_f0_is_weighted_by_voicing_whatever_its_normalisation():
    functionals = UtteranceFunctionals()
    feats = _features(batch=1, frames=30)
    lens = torch.ones(1)
    out = functionals(feats, lens)
    # log-F0 on the unvoiced frames does not count
    unvoiced = feats[0, :, -2] < 0
    changed = feats.clone()
    changed[0, unvoiced, -3] += 50.0
    f0 = slice(0, None, 3)  # the log-F0 entry of each statistic
    torch.testing.assert_close(
        functionals(changed, lens)[..., f0], out[..., f0], atol=ATOL, rtol=0
    )
    voiced_f0 = feats[0, ~unvoiced, -3]
    assert _statistic(out, functionals, "mean")[0, 0] == pytest.approx(
        voiced_f0.mean().item(), abs=ATOL
    )
    # any positive affine map of the voicing channel gives the same weights
    rescaled = feats.clone()
    rescaled[..., -2] = 0.3 * feats[..., -2] + 4.0
    torch.testing.assert_close(
        functionals(rescaled, lens)[..., f0], out[..., f0], atol=ATOL, rtol=0
    )


def test_energy_and_voicing_count_every_real_frame():
    functionals = UtteranceFunctionals()
    feats = _features(batch=1, frames=25)
    out = functionals(feats, torch.ones(1))
    torch.testing.assert_close(
        _statistic(out, functionals, "mean")[0, 1:],
        feats[0, :, -2:].mean(dim=0),
        atol=ATOL,
        rtol=0,
    )


def test_gradients_reach_the_chosen_channels_of_real_frames_only():
    functionals = UtteranceFunctionals()
    feats = _features(batch=2).requires_grad_()
    functionals(feats, torch.tensor([1.0, 0.5])).sum().backward()
    grad = feats.grad
    assert bool(grad.isfinite().all())
    assert grad[:, :, -3].abs().sum() > 0 and grad[:, :, -1].abs().sum() > 0
    assert bool((grad[:, :, :-3] == 0).all())  # the filterbanks: not read
    assert bool((grad[1, 20:] == 0).all())  # padding


def test_deterministic():
    functionals = UtteranceFunctionals()
    feats, lens = _features(), torch.tensor([1.0, 0.8, 0.4])
    assert torch.equal(functionals(feats, lens), functionals(feats, lens))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"channels": []},
        {"channels": [1, 1]},
        {"voiced_channels": [5]},
        {"voiced_channels": [-2]},
        {"quantiles": [0.9, 0.1]},
    ],
)
def test_bad_settings_are_refused(kwargs):
    with pytest.raises(ValueError, match="functionals"):
        UtteranceFunctionals(**kwargs)


def test_channels_the_features_lack_are_refused():
    with pytest.raises(ValueError, match="do not exist"):
        UtteranceFunctionals(channels=[0, 20], voicing_channel=None)(
            torch.randn(1, 5, 10), torch.ones(1)
        )
