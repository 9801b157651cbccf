"""Fine-tuning: published weights copied exactly, heads mapped by label name."""

import functools
import logging
import shutil

import pytest
import torch
from speechbrain.lobes.features import Fbank
from speechbrain.nnet.schedulers import update_learning_rate
from speechbrain.processing.features import InputNormalization

from speechbrain_lstm_ser.hub.safe_yaml import UnsafeModelError
from speechbrain_lstm_ser.inference import EmotionRecognizer
from speechbrain_lstm_ser.nnet.encoders import LSTMEncoder
from speechbrain_lstm_ser.nnet.heads import ClassificationHead, DimensionHead
from speechbrain_lstm_ser.nnet.models import UtteranceClassifierModel
from speechbrain_lstm_ser.nnet.pooling import AttentiveStatisticsPooling
from speechbrain_lstm_ser.training.finetune import (
    FineTuning,
    PublishedClassifier,
    load_published,
    transfer_weights,
)

FOUR = ["neutral", "happy", "sad", "angry"]


def tiny(classes, n_mels=20, hidden=8, seed=0, regressor=None):
    """``regressor``: the hidden size of a regression head (None: none)."""
    torch.manual_seed(seed)
    return UtteranceClassifierModel(
        Fbank(n_mels=n_mels),
        InputNormalization(),
        LSTMEncoder(n_mels, hidden),
        AttentiveStatisticsPooling(2 * hidden, attention_size=4),
        ClassificationHead(4 * hidden, classes, hidden_size=8),
        regressor=None
        if regressor is None
        else DimensionHead(4 * hidden, 3, regressor),
    )


def published(labels=FOUR, **kwargs):
    model = tiny(len(labels), seed=1, **kwargs)
    model.train()
    model(torch.randn(3, 8000), torch.ones(3), epoch=1)  # normaliser statistics
    return PublishedClassifier("me/ser", model.eval(), list(labels), 16000)


def _equal(a, b):
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


def test_the_same_labels_copy_the_whole_model():
    source, model = published(), tiny(4)
    facts = transfer_weights(model, FOUR, source, 16000)
    for part in ("encoder", "pooling", "classifier", "compute_features"):
        assert _equal(getattr(model, part), getattr(source.model, part)), part
    assert torch.equal(
        model.mean_var_norm.glob_mean, source.model.mean_var_norm.glob_mean
    )
    assert model.mean_var_norm.count == source.model.mean_var_norm.count
    assert facts["head"] == "published" and facts["labels_new"] == []
    model.eval()
    wavs = torch.randn(2, 8000)
    assert torch.allclose(model(wavs), source.model(wavs), atol=1e-6)


def test_another_label_set_gets_a_new_head_with_rows_mapped_by_name():
    source, model = published(), tiny(3, seed=5)
    fresh = model.classifier.output.weight.detach().clone()
    facts = transfer_weights(model, ["happy", "neutral", "bored"], source, 16000)
    new, old = model.classifier.output, source.model.classifier.output
    assert torch.equal(new.weight[0], old.weight[1]) and new.bias[0] == old.bias[1]
    assert torch.equal(new.weight[1], old.weight[0]) and new.bias[1] == old.bias[0]
    assert torch.equal(new.weight[2], fresh[2])  # "bored": its own initialisation
    assert _equal(model.classifier.hidden, source.model.classifier.hidden)
    assert _equal(model.encoder, source.model.encoder)
    assert facts["labels_copied"] == ["happy", "neutral"]
    assert facts["labels_new"] == ["bored"]


def test_a_published_regressor_is_copied_into_one_of_the_same_shape(caplog):
    source, model = published(regressor=6), tiny(4, seed=5, regressor=6)
    with caplog.at_level(logging.INFO, "speechbrain_lstm_ser.training.finetune"):
        facts = transfer_weights(model, FOUR, source, 16000)
    assert _equal(model.regressor, source.model.regressor)
    assert facts["regressor"] == "published" and "regressor" in facts["copied"]
    assert not caplog.records
    model.eval()
    wavs = torch.randn(2, 8000)
    torch.testing.assert_close(
        model.dimensions(wavs), source.model.dimensions(wavs), rtol=0, atol=1e-6
    )


@pytest.mark.parametrize(
    ("theirs", "ours", "said", "fact"),
    [
        (6, None, "skipped the published regressor", "skipped: this model has none"),
        (6, 4, "skipped the published regressor", "new: the published regressor"),
        (None, 6, "published model has no regressor", "new: the published model"),
    ],
)
def test_a_regressor_not_copied_is_said_in_one_log_line(
    caplog, theirs, ours, said, fact
):
    source, model = published(regressor=theirs), tiny(4, seed=5, regressor=ours)
    fresh = None if ours is None else model.regressor.state_dict()
    fresh = fresh and {k: v.clone() for k, v in fresh.items()}
    with caplog.at_level(logging.INFO, "speechbrain_lstm_ser.training.finetune"):
        facts = transfer_weights(model, FOUR, source, 16000)
    [record] = caplog.records
    assert said in record.getMessage() and "\n" not in record.getMessage()
    assert facts["regressor"].startswith(fact)
    assert "regressor" not in facts["copied"]
    if fresh is not None:  # this model's head keeps its own initialisation
        own = model.regressor.state_dict()
        assert all(torch.equal(own[k], v) for k, v in fresh.items())
    assert _equal(model.classifier, source.model.classifier)  # the rest as before


def test_categorical_models_say_nothing_of_a_regressor(caplog):
    with caplog.at_level(logging.INFO, "speechbrain_lstm_ser.training.finetune"):
        facts = transfer_weights(tiny(4), FOUR, published(), 16000)
    assert "regressor" not in facts and not caplog.records


def test_a_model_of_other_settings_is_refused_with_what_differs():
    with pytest.raises(ValueError, match=r"encoder does not fit.*shapes.*lstm_hidden"):
        transfer_weights(tiny(4, hidden=6), FOUR, published(), 16000)
    with pytest.raises(ValueError, match="computes other features.*n_mels"):
        transfer_weights(tiny(4, n_mels=24), FOUR, published(), 16000)
    with pytest.raises(ValueError, match="set sample_rate: 16000"):
        transfer_weights(tiny(4), FOUR, published(), 8000)


def test_a_model_published_before_the_floor_names_the_override():
    # Today's default reads a floor under the filterbanks; a model published
    # without one is refused with the override that matches it, not a diff.
    from speechbrain_lstm_ser.nnet.features import FbankProsody

    def with_floor(model, floor):
        model.compute_features = FbankProsody(n_mels=17, noise_floor_db=floor)
        return model

    source = published()
    source.model = with_floor(source.model, None)
    with pytest.raises(ValueError, match="pass --noise_floor_db null"):
        transfer_weights(with_floor(tiny(4), 25.0), FOUR, source, 16000)
    source.model = with_floor(source.model, 25.0)
    with pytest.raises(ValueError, match="pass --noise_floor_db 25 "):
        transfer_weights(with_floor(tiny(4), None), FOUR, source, 16000)


@pytest.mark.parametrize(
    "key, fixed",
    [
        ("voicing_gate_db", {}),
        ("voicing_noise_gate_db", {}),
        ("noise_floor_margin_db", {"noise_floor_db": 25.0}),
    ],
)
@pytest.mark.parametrize(
    "published_gate, ours, override", [(None, 20.0, "null"), (20.0, None, "20")]
)
def test_a_model_of_another_voicing_gate_or_floor_margin_names_the_override(
    key, fixed, published_gate, ours, override
):
    # The feature probe is white noise: no voiced frame for a gate to cut,
    # so without the check a mismatch would pass silently.
    from speechbrain_lstm_ser.nnet.features import FbankProsody

    def with_gate(model, gate):
        model.compute_features = FbankProsody(n_mels=17, **fixed, **{key: gate})
        return model

    source = published()
    source.model = with_gate(source.model, published_gate)
    with pytest.raises(ValueError, match=f"pass --{key} {override} "):
        transfer_weights(with_gate(tiny(4), ours), FOUR, source, 16000)


def test_a_level_reference_of_other_settings_is_refused_by_name():
    # It has no weights to copy: without the check a mismatch would pass.
    from speechbrain_lstm_ser.nnet.normalization import RunningReferenceNormalization

    def with_reference(model, **settings):
        model.reference_norm = RunningReferenceNormalization(30.0, 17, **settings)
        return model

    source = published()
    source.model = with_reference(source.model, floor_db=50.0, noise_floor_db=25.0)
    mine = with_reference(tiny(4), floor_db=50.0)
    with pytest.raises(ValueError, match="noise_floor_db: published 25.0, this rec"):
        transfer_weights(mine, FOUR, source, 16000)
    with pytest.raises(ValueError, match=r"reference_norm.*published \{'class'"):
        transfer_weights(tiny(4), FOUR, source, 16000)
    same = with_reference(tiny(4), floor_db=50.0, noise_floor_db=25.0)
    assert transfer_weights(same, FOUR, source, 16000)["copied"]


def test_frozen_encoder_and_lower_learning_rate_of_the_pretrained_part():
    model = tiny(4)
    tuning = FineTuning(model, freeze_encoder_epochs=1, pretrained_lr_scale=0.1)
    build = tuning.optimizer(functools.partial(torch.optim.AdamW, lr=0.01))
    optimizer = build(model.parameters())
    assert [g["lr"] for g in optimizer.param_groups] == pytest.approx([0.01, 0.001])
    wavs, target = torch.randn(4, 8000), torch.tensor([0, 1, 2, 3])

    def step(epoch):
        tuning.on_epoch_start(epoch)
        before = {k: v.clone() for k, v in model.state_dict().items()}
        loss = torch.nn.functional.nll_loss(model(wavs).squeeze(1), target)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        changed = {
            k.split(".")[0]
            for k, v in model.state_dict().items()
            if not torch.equal(v, before[k])
        }
        return changed

    model.train()
    assert "encoder" not in step(1) and {"pooling", "classifier"} <= step(1)
    # a scheduler sets one learning rate; the pretrained group keeps its share
    update_learning_rate(optimizer, 0.004)
    assert "encoder" in step(2)
    assert [g["lr"] for g in optimizer.param_groups] == pytest.approx([0.004, 0.0004])
    with pytest.raises(ValueError, match="pretrained_lr_scale"):
        FineTuning(model, pretrained_lr_scale=0)


def test_published_models_load_with_the_trust_checks_of_inference(trained, tmp_path):
    loaded = load_published(trained.model)
    reference = EmotionRecognizer.from_hparams(
        source=str(trained.model), savedir=str(tmp_path / "ref")
    )
    assert loaded.labels == FOUR == reference.labels
    for part in ("encoder", "pooling", "classifier"):
        assert _equal(getattr(loaded.model, part), getattr(reference.model, part))
    with pytest.raises(ValueError, match="trusted_keys"):
        load_published(trained.model, verify="required")
    tampered = tmp_path / "tampered"
    shutil.copytree(trained.model, tampered)
    with open(tampered / "hyperparams.yaml", "a", encoding="utf-8") as handle:
        handle.write("\nboom: !apply:os.system ['echo pwned']\n")
    with pytest.raises(UnsafeModelError):
        load_published(tampered, verify="off")
    with pytest.raises(FileNotFoundError, match="init_from .*could not be fetched"):
        load_published(tmp_path / "no_such_model")
