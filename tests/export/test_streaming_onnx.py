"""The streaming step in ONNX: onnxruntime matches PyTorch chunk by chunk."""

import json
import math

import numpy as np
import pytest
import torch
from speechbrain.processing.features import InputNormalization

from speechbrain_lstm_ser.nnet.encoders import LSTMEncoder
from speechbrain_lstm_ser.nnet.heads import ClassificationHead
from speechbrain_lstm_ser.nnet.models import UtteranceClassifierModel
from speechbrain_lstm_ser.nnet.normalization import RunningReferenceNormalization
from speechbrain_lstm_ser.nnet.streaming import (
    CausalFbank,
    DecayingAttentiveStatisticsPooling,
    StreamingClassifier,
)

# Slow tier: ONNX exports of the streaming step.
pytestmark = pytest.mark.slow

pytest.importorskip("onnxruntime")

RATE = 16000
# PyTorch and onnxruntime are two kernels: equal to float32 rounding only.
ATOL = 1e-4


def _streaming_model(hidden, reference_norm=None):
    """A seeded causal classifier of 4 classes, its global statistics set."""
    torch.manual_seed(0)
    model = UtteranceClassifierModel(
        CausalFbank(n_mels=20, hop_length=20, win_length=32, n_fft=512),
        InputNormalization(),
        LSTMEncoder(20, hidden, num_layers=2, bidirectional=False),
        DecayingAttentiveStatisticsPooling(hidden, hidden // 2, time_constant=25),
        ClassificationHead(2 * hidden, 4, hidden),
        reference_norm=reference_norm,
    )
    model(0.1 * torch.randn(4, RATE), torch.ones(4))  # global statistics
    return model


@pytest.mark.parametrize("running_reference", [False, True])
def test_onnx_streaming_step_matches_pytorch_chunk_by_chunk(
    tmp_path, running_reference
):
    from speechbrain_lstm_ser.export.streaming_onnx import (
        REFERENCE_STATE_NAMES,
        STATE_NAMES,
        export_streaming_onnx,
        stream_onnx,
    )

    model = _streaming_model(
        16,
        reference_norm=(
            RunningReferenceNormalization(30.0, level_channels=20, floor_db=50.0)
            if running_reference
            else None
        ),
    ).eval()
    path = export_streaming_onnx(model, tmp_path / "step.onnx", labels=list("abcd"))
    gen = torch.Generator().manual_seed(1)
    wav = 0.1 * torch.randn(3 * RATE, generator=gen)
    wav *= (torch.sin(torch.linspace(0, 6 * math.pi, wav.numel())) > 0).float()
    wav[: RATE // 4] = 0.0  # digital silence first: the reference restarts
    sizes = [1777, 320, 5, 4000]
    chunks, pos = [], 0
    while pos < wav.numel():
        chunks.append(wav[pos : pos + sizes[len(chunks) % len(sizes)]])
        pos += chunks[-1].numel()
    streamer, expected = StreamingClassifier(model), []
    state = streamer.init_state()
    with torch.no_grad():
        for chunk in chunks:
            out, state = streamer.step(chunk.unsqueeze(0), state)
            expected.append(out[0].exp().numpy())
    got = list(stream_onnx(path, [c.numpy() for c in chunks]))
    assert [g.shape for g in got] == [e.shape for e in expected]
    assert np.abs(np.concatenate(got) - np.concatenate(expected)).max() < ATOL

    import onnx

    graph = onnx.load(str(path))
    names = STATE_NAMES + (REFERENCE_STATE_NAMES if running_reference else ())
    assert [i.name for i in graph.graph.input] == ["window", *names]
    meta = {p.key: p.value for p in graph.metadata_props}
    assert json.loads(meta["labels"]) == list("abcd")
    assert (meta["hop"], meta["n_fft"]) == ("320", "512")


def test_whole_utterance_onnx_of_a_running_reference_model(tmp_path):
    """``sb-lstm-ser export-onnx`` of the streaming model: the running
    reference's cumulative maximum exports (ONNX has no cummax)."""
    from speechbrain_lstm_ser.export.onnx import (
        ClassifierOnnxGraph,
        export_onnx,
        onnx_session,
    )

    model = _streaming_model(
        8, reference_norm=RunningReferenceNormalization(30.0, 20, floor_db=50.0)
    )
    graph = ClassifierOnnxGraph.from_model(model.eval())
    session = onnx_session(export_onnx(graph, tmp_path / "whole.onnx"))
    gen = torch.Generator().manual_seed(2)
    for samples in (RATE, 3 * RATE):
        wavs = 0.001 * torch.randn(2, samples, generator=gen)
        wavs[:, : RATE // 4] = 0.0  # digital silence
        wavs[:, RATE // 2 :] *= 100.0  # +40 dB: the reference restarts
        lens = torch.tensor([1.0, 0.7])
        got = session.run(None, {"wavs": wavs.numpy(), "wav_lens": lens.numpy()})[0]
        with torch.no_grad():
            expected = graph(wavs, lens).numpy()
        assert np.abs(got - expected).max() < ATOL
