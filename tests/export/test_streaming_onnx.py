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
from speechbrain_lstm_ser.nnet.streaming import (
    CausalFbank,
    DecayingAttentiveStatisticsPooling,
    StreamingClassifier,
)

pytest.importorskip("onnxruntime")

RATE = 16000
# PyTorch and onnxruntime are two kernels: equal to float32 rounding only.
ATOL = 1e-4


def test_onnx_streaming_step_matches_pytorch_chunk_by_chunk(tmp_path):
    from speechbrain_lstm_ser.export.streaming_onnx import (
        export_streaming_onnx,
        stream_onnx,
    )

    torch.manual_seed(0)
    model = UtteranceClassifierModel(
        CausalFbank(n_mels=20, hop_length=20, win_length=32, n_fft=512),
        InputNormalization(),
        LSTMEncoder(20, 16, num_layers=2, bidirectional=False),
        DecayingAttentiveStatisticsPooling(16, 8, time_constant=25),
        ClassificationHead(32, 4, 16),
    )
    model(0.1 * torch.randn(4, RATE), torch.ones(4))  # global statistics
    model.eval()
    path = export_streaming_onnx(model, tmp_path / "step.onnx", labels=list("abcd"))
    gen = torch.Generator().manual_seed(1)
    wav = 0.1 * torch.randn(3 * RATE, generator=gen)
    wav *= (torch.sin(torch.linspace(0, 6 * math.pi, wav.numel())) > 0).float()
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

    meta = {p.key: p.value for p in onnx.load(str(path)).metadata_props}
    assert json.loads(meta["labels"]) == list("abcd")
    assert (meta["hop"], meta["n_fft"]) == ("320", "512")
