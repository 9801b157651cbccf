"""Speaker-adversarial training: the reversal, its schedule, the Brain's wiring."""

import math
from pathlib import Path

import pytest
import speechbrain as sb
import torch
from recipe_runner import load_recipe
from speechbrain.dataio.batch import PaddedBatch

from speechbrain_lstm_ser.nnet.adversary import GradientReversal, SpeakerAdversary
from speechbrain_lstm_ser.training.adversary import (
    SpeakerAdversaryObjective,
    reversal_schedule,
)
from speechbrain_lstm_ser.training.brain import RecipeOptions
from speechbrain_lstm_ser.training.hparams import load_hparams

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("scale", [0.0, 0.5, 2.0])
def test_the_reversal_is_the_identity_forward_and_minus_scale_backward(scale):
    x = torch.tensor([[1.0, -2.0], [3.0, 0.5]], requires_grad=True)
    y = GradientReversal(scale)(x)
    assert torch.equal(y, x)
    (y * torch.tensor([[1.0, 2.0], [3.0, 4.0]])).sum().backward()
    expected = -scale * torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert torch.equal(x.grad, expected)


@pytest.mark.parametrize(
    "scale, ramp, progress, expected",
    [
        (1.0, 10.0, 0.0, 0.0),
        (1.0, 10.0, 0.25, 2 / (1 + math.exp(-2.5)) - 1),
        (0.3, 10.0, 1.0, 0.3 * (2 / (1 + math.exp(-10)) - 1)),
        (0.3, 0.0, 0.0, 0.3),
    ],
)
def test_the_schedule_rises_from_zero_to_the_scale(scale, ramp, progress, expected):
    assert reversal_schedule(scale, ramp, progress) == pytest.approx(expected)


def test_the_objective_sets_the_epochs_scale_and_counts_identified_speakers():
    torch.manual_seed(0)
    head = SpeakerAdversary(4, num_speakers=2, hidden_size=4).eval()
    objective = SpeakerAdversaryObjective(
        head, ["b", "a"], weight=0.5, scale=1.0, ramp=10.0, num_epochs=4
    )
    objective.on_epoch_start(3)  # half the training done
    assert head.scale == pytest.approx(2 / (1 + math.exp(-5)) - 1)
    embeddings = torch.randn(3, 1, 4)

    def repeat(targets):  # as an augmentation that kept a copy of the batch
        return torch.cat([targets, targets])

    loss = objective.loss(torch.cat([embeddings, embeddings]), ["b", "a", "a"], repeat)
    log_probs = head(embeddings)
    targets = torch.tensor([0, 1, 1])  # the order the objective was given
    expected = 0.5 * torch.nn.functional.nll_loss(log_probs, targets)
    assert loss.item() == pytest.approx(expected.item(), rel=1e-6)
    correct = int((log_probs.argmax(-1) == targets).sum())
    assert objective.accuracy() == pytest.approx(2 * correct / 6)
    assert "chance 0.500" in objective.log_line(3)


@pytest.mark.parametrize(
    "change, message",
    [
        ({"weight": -1.0}, "speaker_adversary_weight must be >= 0"),
        ({"scale": -0.1}, "speaker_adversary_scale must be >= 0"),
        ({"lr_scale": 0.0}, "speaker_adversary_lr_scale must be > 0"),
    ],
)
def test_bad_settings_are_refused_by_name(change, message):
    head = SpeakerAdversary(4, num_speakers=2)
    settings = {"weight": 1.0, "scale": 1.0, **change}
    with pytest.raises(ValueError, match=message):
        SpeakerAdversaryObjective(head, ["a", "b"], **settings)


def test_one_speaker_is_refused_with_the_fix():
    with pytest.raises(ValueError, match="set speaker_adversary_weight: 0"):
        SpeakerAdversary(4, num_speakers=1)


def test_off_builds_nothing_and_on_needs_the_head():
    class Hparams:
        number_of_epochs = 2

    off = RecipeOptions(speaker_adversary_weight=0.0)
    assert SpeakerAdversaryObjective.from_hparams(Hparams(), off, ["a"]) is None
    on = RecipeOptions(speaker_adversary_weight=1.0)
    with pytest.raises(ValueError, match="needs a `speaker_adversary:"):
        SpeakerAdversaryObjective.from_hparams(Hparams(), on, ["a", "b"])


class _TrainSet:
    """What prepare_adversary reads of a DynamicItemDataset: its rows."""

    def __init__(self, speakers):
        self.data = {f"u{i}": {"spk_id": s} for i, s in enumerate(speakers)}


def _batch():
    gen = torch.Generator().manual_seed(1)
    rows = []
    for i, (n, spk, emo) in enumerate(
        [(16000, "s1", 0), (12000, "s2", 1), (9000, "s3", 2), (14000, "s1", 3)]
    ):
        wav = (
            0.3
            * torch.randn(n, generator=gen)
            * torch.sin(torch.linspace(0, 9, n)).abs()
        )
        rows.append(
            {
                "id": f"u{i}",
                "sig": wav,
                "spk_id": spk,
                "gender": "female",
                "emo_encoded": torch.tensor([emo]),
            }
        )
    return PaddedBatch(rows)


def _brain(tmp_path, **overrides):
    hparams = load_hparams(
        ROOT / "hparams" / "lstm.yaml",
        {
            "n_mels": 20,
            "lstm_hidden": 8,
            "lstm_layers": 1,
            "head_hidden": 8,
            "normalization_reference": "utterance",
            "speaker_adversary_weight": 1.0,
            "output_folder": str(tmp_path / "emotion"),
            **overrides,
        },
    )
    brain = load_recipe("emotion").EmotionBrain(
        modules=hparams["modules"],
        opt_class=hparams["opt_class"],
        hparams=hparams,
        run_opts={"device": "cpu"},
    )
    brain.prepare_adversary(_TrainSet(["s3", "s1", "s2", "s1"]))
    return brain


@pytest.fixture
def brain(tmp_path):
    return _brain(tmp_path)


def test_the_adversary_may_learn_faster_than_the_model(tmp_path):
    brain = _brain(tmp_path, speaker_adversary_lr_scale=10.0, lr=0.001)
    brain.on_fit_start()
    head = {id(p) for p in brain.modules["speaker_adversary"].parameters()}
    rates = {
        all(id(p) in head for p in group["params"]): group["lr"]
        for group in brain.optimizer.param_groups
    }
    assert rates == {False: 0.001, True: pytest.approx(0.01)}


def test_the_brain_trains_the_adversary_with_the_model_and_tests_without_it(brain):
    assert sorted(brain.adversary.index) == ["s1", "s2", "s3"]
    head = brain.modules["speaker_adversary"]
    assert head.classifier.output.out_features == 3
    brain.on_fit_start()  # the optimizer: the adversary's parameters too
    optimized = {
        id(p) for group in brain.optimizer.param_groups for p in group["params"]
    }
    assert {id(p) for p in head.parameters()} <= optimized
    brain.on_stage_start(sb.Stage.TRAIN, epoch=2)
    before = head.classifier.output.weight.detach().clone()
    encoder_before = [
        p.detach().clone() for p in brain.hparams.model.encoder.parameters()
    ]
    loss = brain.fit_batch(_batch())
    assert torch.isfinite(loss)
    assert not torch.equal(head.classifier.output.weight, before)
    assert any(
        not torch.equal(p, q)
        for p, q in zip(
            brain.hparams.model.encoder.parameters(), encoder_before, strict=True
        )
    )
    assert brain.adversary.total == 4  # one batch of 4, no clean copies kept
    # Validation and test: the class log-probabilities, no speaker loss.
    brain.modules.eval()
    with torch.no_grad():
        predictions = brain.compute_forward(_batch(), sb.Stage.VALID)
    assert isinstance(predictions, tuple) and predictions[0].shape == (4, 1, 4)
    brain.on_stage_start(sb.Stage.VALID)
    with torch.no_grad():
        valid_loss = brain.compute_objectives(predictions, _batch(), sb.Stage.VALID)
    expected = brain.hparams.compute_cost(
        predictions[0], torch.tensor([[0], [1], [2], [3]])
    )
    assert valid_loss.item() == pytest.approx(expected.item())
    assert "speaker_adversary" not in brain.hparams.model.parts()
