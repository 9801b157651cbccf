"""The utterance functionals inside the exported ONNX graph (slow tier).

The dynamo exporter traces the functionals' sort, cumulative sum and
gathers; onnxruntime must give what PyTorch gives on padded batches.
"""

import pytest
import torch
from speechbrain.processing.features import InputNormalization

from speechbrain_lstm_ser.export.onnx import (
    ClassifierOnnxGraph,
    export_onnx,
    onnx_max_abs_diff,
)
from speechbrain_lstm_ser.nnet.encoders import LSTMEncoder
from speechbrain_lstm_ser.nnet.features import FbankProsody
from speechbrain_lstm_ser.nnet.functionals import UtteranceFunctionals
from speechbrain_lstm_ser.nnet.heads import ClassificationHead
from speechbrain_lstm_ser.nnet.models import UtteranceClassifierModel
from speechbrain_lstm_ser.nnet.pooling import MeanPooling

# Slow tier: an ONNX export (minutes on a loaded machine).
pytestmark = pytest.mark.slow


def test_onnx_runs_the_functionals_as_pytorch_does(tmp_path):
    torch.manual_seed(0)
    features = FbankProsody(n_mels=10)
    norm = InputNormalization(norm_type="global")
    norm(features(0.1 * torch.randn(2, 16000)), torch.ones(2))  # statistics
    functionals = UtteranceFunctionals()
    model = UtteranceClassifierModel(
        features,
        norm,
        LSTMEncoder(13, 4),
        MeanPooling(8),
        ClassificationHead(8 + functionals.output_size, 4, 6),
        functionals=functionals,
    ).eval()
    graph = ClassifierOnnxGraph.from_model(model)
    path = export_onnx(graph, tmp_path / "m.onnx", ["a", "b", "c", "d"])
    gen = torch.Generator().manual_seed(1)
    for batch, samples in [(3, 24000), (1, 7000)]:
        wavs = 0.1 * torch.randn(batch, samples, generator=gen)
        lens = torch.linspace(0.4, 1.0, batch)
        assert onnx_max_abs_diff(graph, path, wavs, lens) <= 1e-4
