"""A regression head in the exported folder's YAML and ONNX graph."""

from hyperpyyaml import load_hyperpyyaml

from speechbrain_lstm_ser.export.folder import inference_yaml
from speechbrain_lstm_ser.hub.safe_yaml import check_hyperparams

# What SpeechBrain saves as a run's hyperparams.yaml (references resolved to
# anchors) for a model with the head switched on.
TRAINING_YAML = """\
dimension_weight: 1.0
dimension_head: &id001 !name:speechbrain_lstm_ser.nnet.heads.DimensionHead
  input_size: 16
  num_dimensions: 3
  hidden_size: 8
  num_hidden_layers: 1
  dropout: 0.3
regressor: &id002 !apply:speechbrain_lstm_ser.nnet.heads.optional_head [1.0, *id001]
pooling: &id003 !new:speechbrain_lstm_ser.nnet.pooling.MeanPooling
  input_size: 16
"""


def test_a_head_built_when_switched_on_is_exported_as_what_it_built(tmp_path):
    training = tmp_path / "hyperparams.yaml"
    training.write_text(TRAINING_YAML)
    text = inference_yaml(
        training, ["pooling", "regressor"], ["regressor"], {"sample_rate": 16000}
    )
    assert "regressor: !new:speechbrain_lstm_ser.nnet.heads.DimensionHead" in text
    assert "!apply" not in text and "dimension_weight" not in text
    exported = tmp_path / "model" / "hyperparams.yaml"
    exported.parent.mkdir()
    exported.write_text(text)
    check_hyperparams(exported)  # what hub loading checks first: no error
    built = load_hyperpyyaml(text)
    assert type(built["regressor"]).__name__ == "DimensionHead"
    assert built["regressor"].output.in_features == 8
    assert "regressor" in built["pretrainer"].loadables


def test_the_onnx_graph_of_a_model_with_a_regressor_has_two_outputs():
    import torch
    from speechbrain.lobes.features import Fbank
    from speechbrain.processing.features import InputNormalization

    from speechbrain_lstm_ser.export.onnx import ClassifierOnnxGraph
    from speechbrain_lstm_ser.nnet.encoders import LSTMEncoder
    from speechbrain_lstm_ser.nnet.heads import ClassificationHead, DimensionHead
    from speechbrain_lstm_ser.nnet.models import UtteranceClassifierModel
    from speechbrain_lstm_ser.nnet.pooling import MeanPooling

    parts = (
        Fbank(n_mels=10),
        InputNormalization(norm_type="sentence"),
        LSTMEncoder(10, 4),
        MeanPooling(8),
        ClassificationHead(8, 3, 6),
    )
    plain = UtteranceClassifierModel(*parts).eval()
    model = UtteranceClassifierModel(*parts, regressor=DimensionHead(8, 3, 6)).eval()
    assert ClassifierOnnxGraph.from_model(plain).output_names == ["probabilities"]
    graph = ClassifierOnnxGraph.from_model(model)
    assert graph.output_names == ["probabilities", "dimensions"]
    wavs, lens = torch.randn(2, 4000), torch.tensor([1.0, 0.5])
    with torch.no_grad():
        probs, dims = graph(wavs, lens)
        torch.testing.assert_close(probs, plain(wavs, lens).squeeze(1).exp())
        torch.testing.assert_close(dims, model.dimensions(wavs, lens))
