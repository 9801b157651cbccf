"""The utterance functionals as an optional part of the classifier model.

Off, the model is exactly the one before (parts, parameters, random draws,
outputs); on, the heads read the pooled vector followed by the functionals,
and an exported folder loads back with them and gives the same outputs.
"""

import pytest
import torch
from hyperpyyaml import load_hyperpyyaml
from speechbrain.lobes.features import Fbank
from speechbrain.processing.features import InputNormalization
from untrained_models import ROOT, SR, TINY, export_untrained

from speechbrain_lstm_ser.export.folder import inference_yaml
from speechbrain_lstm_ser.hub.safe_yaml import check_hyperparams
from speechbrain_lstm_ser.nnet.encoders import LSTMEncoder
from speechbrain_lstm_ser.nnet.functionals import UtteranceFunctionals
from speechbrain_lstm_ser.nnet.heads import ClassificationHead
from speechbrain_lstm_ser.nnet.models import UtteranceClassifierModel
from speechbrain_lstm_ser.nnet.pooling import MeanPooling
from speechbrain_lstm_ser.training.hparams import load_hparams

ATOL = 1e-5


def _head_inputs(head: torch.nn.Module) -> int:
    """Values a head reads: its first ``Linear``'s inputs."""
    linears = [m for m in head.modules() if isinstance(m, torch.nn.Linear)]
    return linears[0].in_features


def _tiny(functionals=None, extra=0):
    torch.manual_seed(0)
    return UtteranceClassifierModel(
        Fbank(n_mels=10),
        InputNormalization(norm_type="sentence"),
        LSTMEncoder(10, 4),
        MeanPooling(8),
        ClassificationHead(8 + extra, 3, 6),
        functionals=functionals,
    ).eval()


def test_the_functionals_follow_the_pooled_vector():
    functionals = UtteranceFunctionals(channels=[0, 9], voicing_channel=None)
    plain = _tiny()
    model = UtteranceClassifierModel.from_modules(
        {
            **plain.parts(),
            "functionals": functionals,
            "classifier": ClassificationHead(8 + functionals.output_size, 3, 6),
        }
    ).eval()
    assert "functionals" not in plain.parts()
    assert list(model.parts())[3:5] == ["pooling", "functionals"]
    wavs, lens = torch.randn(2, 4000), torch.tensor([1.0, 0.6])
    with torch.no_grad():
        embedded = model.embed(wavs, lens)
        feats, frame_lens = model.features_and_lengths(wavs, lens)
        assert embedded.shape == (2, 1, 8 + 8)
        torch.testing.assert_close(embedded[..., :8], plain.embed(wavs, lens))
        torch.testing.assert_close(embedded[..., 8:], functionals(feats, frame_lens))
        assert model(wavs, lens).shape == (2, 1, 3)


def test_off_in_the_yaml_is_the_model_without_it():
    common = {"data_folder": "unused", **TINY}
    off = load_hparams(ROOT / "hparams" / "lstm.yaml", common)
    on = load_hparams(
        ROOT / "hparams" / "lstm.yaml", {**common, "utterance_functionals": True}
    )
    assert off["functionals"] is None and off["model"].functionals is None
    assert "functionals" not in off["model"].parts()
    assert isinstance(on["model"].functionals, UtteranceFunctionals)
    size = on["functionals"].output_size
    assert _head_inputs(on["classifier"]) == _head_inputs(off["classifier"]) + size
    off_state, on_state = off["model"].state_dict(), on["model"].state_dict()
    head = {k for k in off_state if k.startswith("classifier.")}
    assert off_state.keys() == on_state.keys()
    for key in off_state.keys() - head:  # building it draws nothing
        assert torch.equal(off_state[key], on_state[key]), key


def test_the_yaml_derives_the_dimension_heads_input_too():
    hparams = load_hparams(
        ROOT / "hparams" / "lstm.yaml",
        {
            "data_folder": "unused",
            **TINY,
            "utterance_functionals": True,
            "dimension_weight": 1.0,
        },
    )
    model = hparams["model"]
    wavs, lens = 0.1 * torch.randn(2, SR // 2), torch.tensor([1.0, 0.7])
    with torch.no_grad():  # global statistics, then the trained forward
        model.mean_var_norm(model.compute_features(wavs), torch.ones(2))
        log_probs, dims = model.eval()(wavs, lens, with_dimensions=True)
    assert log_probs.shape == (2, 1, 4) and dims.shape == (2, 3)


# What SpeechBrain saves as a run's hyperparams.yaml (references resolved
# to anchors) with the functionals switched on.
TRAINING_YAML = """\
utterance_functionals: true
functionals_channels: &id001 [-3, -2, -1]
functionals_size: &id002 !apply:speechbrain_lstm_ser.nnet.functionals.functionals_size [
  true, *id001]
functionals_module: &id003 !name:speechbrain_lstm_ser.nnet.functionals.UtteranceFunctionals
  channels: *id001
  voicing_channel: -2
  voiced_channels: [-3]
  quantiles: [0.1, 0.9]
functionals: &id004 !apply:speechbrain_lstm_ser.nnet.heads.optional_head [true, *id003]
pooled_size: &id005 !apply:operator.add [32, *id002]
classifier: &id006 !new:speechbrain_lstm_ser.nnet.heads.ClassificationHead
  input_size: *id005
  num_classes: 4
  hidden_size: 8
"""  # noqa: E501


def test_the_exported_yaml_builds_the_functionals_without_apply(tmp_path):
    training = tmp_path / "hyperparams.yaml"
    training.write_text(TRAINING_YAML)
    text = inference_yaml(
        training, ["functionals", "classifier"], ["classifier"], {"sample_rate": SR}
    )
    assert "functionals: !new:speechbrain_lstm_ser.nnet.functionals." in text
    assert "!apply" not in text and "utterance_functionals" not in text
    exported = tmp_path / "model" / "hyperparams.yaml"
    exported.parent.mkdir()
    exported.write_text(text)
    check_hyperparams(exported)  # what hub loading checks first: no error
    built = load_hyperpyyaml(text)
    assert built["functionals"].channels == [-3, -2, -1]
    assert _head_inputs(built["classifier"]) == 32 + 12
    assert "functionals" not in built["pretrainer"].loadables  # no state


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    out = tmp_path_factory.mktemp("functionals")
    return export_untrained(out, utterance_functionals=True)


def test_an_exported_folder_loads_back_with_the_same_outputs(exported):
    from speechbrain_lstm_ser.inference import EmotionRecognizer

    overrides = {"output_folder": str(exported.parent), **TINY}
    overrides["utterance_functionals"] = True
    trained = load_hparams(ROOT / "hparams" / "lstm.yaml", overrides)
    torch.manual_seed(0)  # the statistics export_untrained gave it
    with torch.no_grad():
        feats = trained["compute_features"](0.1 * torch.randn(2, SR))
        trained["mean_var_norm"](feats, torch.ones(2))
    model = trained["model"].eval()
    loaded = EmotionRecognizer.from_hparams(source=str(exported), verify="off")
    assert isinstance(loaded.model.functionals, UtteranceFunctionals)
    assert loaded.model.functionals.channels == model.functionals.channels
    gen = torch.Generator().manual_seed(3)
    wavs, lens = 0.1 * torch.randn(2, SR, generator=gen), torch.tensor([1.0, 0.6])
    with torch.no_grad():
        expected = model(wavs, lens)
        got = loaded.model(wavs, lens)
    torch.testing.assert_close(got, expected, atol=ATOL, rtol=0)


def _attentive(hidden: int, functionals=None):
    from speechbrain_lstm_ser.nnet.pooling import AttentiveStatisticsPooling

    extra = 0 if functionals is None else functionals.output_size
    return UtteranceClassifierModel(
        Fbank(n_mels=10),
        InputNormalization(norm_type="sentence"),
        LSTMEncoder(10, hidden),
        AttentiveStatisticsPooling(2 * hidden, 4),
        ClassificationHead(4 * hidden + extra, 3, 6),
        functionals=functionals,
    )


def test_pruning_keeps_every_functional_column():
    from speechbrain_lstm_ser.compression.pruning import prune_into

    def functionals():
        return UtteranceFunctionals(channels=[0, 9], voicing_channel=None)

    torch.manual_seed(0)
    big, small = _attentive(8, functionals()), _attentive(3, functionals())
    prune_into(big, small)
    size = small.functionals.output_size
    old = [m for m in big.classifier.modules() if isinstance(m, torch.nn.Linear)][0]
    new = [m for m in small.classifier.modules() if isinstance(m, torch.nn.Linear)][0]
    assert new.in_features == 12 + size
    assert torch.equal(new.weight[:, -size:], old.weight[:, -size:])
    out = small.eval()(torch.randn(2, 4000), torch.tensor([1.0, 0.7]))
    assert out.shape == (2, 1, 3) and bool(out.isfinite().all())
    with pytest.raises(ValueError, match="utterance_functionals"):
        prune_into(big, _attentive(3))


def test_finetuning_refuses_other_functionals():
    from speechbrain_lstm_ser.training.finetune import (
        PublishedClassifier,
        transfer_weights,
    )

    functionals = UtteranceFunctionals(channels=[0, 9], voicing_channel=None)
    published = PublishedClassifier("me/ser", _attentive(4), ["a", "b", "c"], SR)
    with pytest.raises(ValueError, match="utterance_functionals"):
        transfer_weights(_attentive(4, functionals), ["a", "b", "c"], published, SR)


def test_a_streaming_model_refuses_functionals():
    from speechbrain_lstm_ser.nnet.streaming import (
        CausalFbank,
        DecayingAttentiveStatisticsPooling,
        check_streamable,
    )

    functionals = UtteranceFunctionals(channels=[0], voicing_channel=None)
    model = UtteranceClassifierModel(
        CausalFbank(n_mels=10),
        InputNormalization(),
        LSTMEncoder(10, 4, bidirectional=False),
        DecayingAttentiveStatisticsPooling(4, 4),
        ClassificationHead(8 + functionals.output_size, 3, 6),
        functionals=functionals,
    )
    with pytest.raises(ValueError, match="functionals"):
        check_streamable(model)
