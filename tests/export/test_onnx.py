"""ONNX export of a classifier model, run by onnxruntime, and its int8 copy."""

import json
import re

import numpy as np
import onnx
import pytest
import torch
from speechbrain.lobes.features import Fbank
from speechbrain.processing.features import InputNormalization

from speechbrain_lstm_ser.export.onnx import (
    ClassifierOnnxGraph,
    export_onnx,
    onnx_max_abs_diff,
    onnx_session,
)
from speechbrain_lstm_ser.export.quantization import quantize_onnx_int8
from speechbrain_lstm_ser.nnet.encoders import LSTMEncoder
from speechbrain_lstm_ser.nnet.heads import ClassificationHead
from speechbrain_lstm_ser.nnet.models import UtteranceClassifierModel
from speechbrain_lstm_ser.nnet.pooling import AttentiveStatisticsPooling

# Slow tier: ONNX exports (about a minute each).
pytestmark = pytest.mark.slow

LABELS = ["neutral", "happy", "sad", "angry"]


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    torch.manual_seed(0)
    norm = InputNormalization(norm_type="global")
    fbank = Fbank(n_mels=20, hop_length=20, win_length=32, n_fft=512)
    # global statistics, as after training
    norm(fbank(torch.randn(4, 16000) * 0.1), torch.ones(4))
    model = UtteranceClassifierModel(
        fbank,
        norm,
        LSTMEncoder(20, 16, num_layers=2),
        AttentiveStatisticsPooling(32, 8),
        ClassificationHead(64, 4, 16),
    )
    graph = ClassifierOnnxGraph.from_model(model)
    with torch.no_grad():  # a head that is far from uniform
        graph.classifier.output.weight.mul_(20)
    path = export_onnx(graph, tmp_path_factory.mktemp("onnx") / "m.onnx", LABELS)
    return graph, path


def test_onnx_matches_pytorch_on_padded_batches_of_any_length(exported):
    graph, path = exported
    gen = torch.Generator().manual_seed(1)
    for batch, samples in [(3, 24000), (1, 7000), (5, 40000)]:
        wavs = 0.1 * torch.randn(batch, samples, generator=gen)
        lens = torch.linspace(0.4, 1.0, batch)
        assert onnx_max_abs_diff(graph, path, wavs, lens) <= 1e-4


def test_onnx_outputs_probabilities_and_carries_labels(exported):
    _, path = exported
    model = onnx.load(str(path))
    meta = {p.key: p.value for p in model.metadata_props}
    assert json.loads(meta["labels"]) == LABELS
    assert meta["sample_rate"] == "16000"
    probs = onnx_session(path).run(
        None,
        {
            "wavs": np.zeros((2, 16000), np.float32) + 0.01,
            "wav_lens": np.ones(2, np.float32),
        },
    )[0]
    assert probs.shape == (2, 4)
    assert np.allclose(probs.sum(-1), 1.0, atol=1e-5)


def test_int8_quantises_lstm_and_linear_layers_but_not_features(exported, tmp_path):
    graph, path = exported
    int8 = quantize_onnx_int8(path, tmp_path / "m.int8.onnx")
    model = onnx.load(str(int8))
    ops = [node.op_type for node in model.graph.node]
    assert ops.count("DynamicQuantizeLSTM") == 4  # 2 layers x 2 directions
    assert "MatMulInteger" in ops
    assert "LSTM" not in ops
    # the filterbank stays float: its matrix multiplication is not quantised
    assert ops.count("MatMul") == 1
    weights = {i.name: i.data_type for i in model.graph.initializer}
    for node in model.graph.node:
        if node.op_type == "DynamicQuantizeLSTM":  # W and R are int8
            assert {weights[node.input[1]], weights[node.input[2]]} == {
                onnx.TensorProto.INT8
            }
    assert int8.stat().st_size < path.stat().st_size
    wavs, lens = 0.1 * torch.randn(2, 20000), torch.tensor([1.0, 0.7])
    assert onnx_max_abs_diff(graph, int8, wavs, lens) < 0.05
    meta = {p.key: p.value for p in onnx.load(str(int8)).metadata_props}
    assert json.loads(meta["labels"]) == LABELS


def test_export_of_a_trained_run_checks_its_parity(tmp_path):
    import soundfile
    from hyperpyyaml import load_hyperpyyaml

    from speechbrain_lstm_ser.export.onnx import export_trained_onnx

    # the run's test manifest: the export also checks parity on its speech
    rows = ["ID,wav"]
    for i in range(3):
        tone = 0.3 * np.sin(2 * np.pi * (120 + 40 * i) * np.arange(16000) / 16000)
        soundfile.write(tmp_path / f"u{i}.wav", tone.astype(np.float32), 16000)
        rows.append(f"u{i},$data_root/u{i}.wav")
    (tmp_path / "test.csv").write_text("\n".join(rows) + "\n")
    yaml = f"""
save_folder: {tmp_path}
data_folder: {tmp_path}
test_annotation: {tmp_path / "test.csv"}
sample_rate: 16000
emotions: {LABELS}
compute_features: !new:speechbrain.lobes.features.Fbank {{n_mels: 10}}
mean_var_norm: !new:speechbrain.processing.features.InputNormalization
    norm_type: sentence
model: !new:speechbrain_lstm_ser.nnet.models.UtteranceClassifierModel
    compute_features: !ref <compute_features>
    mean_var_norm: !ref <mean_var_norm>
    encoder: !new:speechbrain_lstm_ser.nnet.encoders.LSTMEncoder [10, 4]
    pooling: !new:speechbrain_lstm_ser.nnet.pooling.MeanPooling [8]
    classifier: !new:speechbrain_lstm_ser.nnet.heads.ClassificationHead [8, 4, 4]
modules: {{model: !ref <model>}}
checkpointer: !new:speechbrain.utils.checkpoints.Checkpointer
    checkpoints_dir: !ref <save_folder>
    recoverables: {{model: !ref <model>}}
"""
    (tmp_path / "hyperparams.yaml").write_text(yaml)
    load_hyperpyyaml(yaml)["checkpointer"].save_checkpoint(meta={"UA": 0.5})
    lines = []
    path = export_trained_onnx(
        tmp_path / "hyperparams.yaml", tmp_path / "m.onnx", log=lines.append
    )
    model = onnx.load(str(path))
    meta = {p.key: p.value for p in model.metadata_props}
    assert json.loads(meta["labels"]) == LABELS
    # not the first export of this process: the axes must stay dynamic all the same
    shape = model.graph.input[0].type.tensor_type.shape.dim
    assert [d.dim_param for d in shape] == ["batch", "samples"]
    [line] = lines
    noise, speech = re.search(
        r"on probabilities: (\S+) \(noise\), (\S+) \(3 test utterances\)", line
    ).groups()
    assert float(noise) <= 1e-4 and float(speech) <= 1e-4
