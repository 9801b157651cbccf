"""The streaming step in ONNX: onnxruntime matches PyTorch chunk by chunk."""

import json
import math

import numpy as np
import pytest
import torch
from speechbrain.processing.features import InputNormalization

from speechbrain_lstm_ser.nnet.encoders import LSTMEncoder
from speechbrain_lstm_ser.nnet.heads import ClassificationHead, DimensionHead
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


def _streaming_model(hidden, reference_norm=None, regressor=False):
    """A seeded causal classifier of 4 classes, its global statistics set."""
    torch.manual_seed(0)
    model = UtteranceClassifierModel(
        CausalFbank(n_mels=20, hop_length=20, win_length=32, n_fft=512),
        InputNormalization(),
        LSTMEncoder(20, hidden, num_layers=2, bidirectional=False),
        DecayingAttentiveStatisticsPooling(hidden, hidden // 2, time_constant=25),
        ClassificationHead(2 * hidden, 4, hidden),
        reference_norm=reference_norm,
        regressor=DimensionHead(2 * hidden, 3, hidden) if regressor else None,
    )
    model(0.1 * torch.randn(4, RATE), torch.ones(4))  # global statistics
    return model


@pytest.mark.parametrize("running_reference", [False, True, "noise floor"])
def test_onnx_streaming_step_matches_pytorch_chunk_by_chunk(
    tmp_path, running_reference
):
    from speechbrain_lstm_ser.export.streaming_onnx import (
        NOISE_FLOOR_STATE_NAMES,
        REFERENCE_STATE_NAMES,
        STATE_NAMES,
        export_streaming_onnx,
        stream_onnx,
    )

    model = _streaming_model(
        16,
        reference_norm=(
            RunningReferenceNormalization(
                30.0,
                level_channels=20,
                floor_db=50.0,
                noise_floor_db=25.0 if running_reference == "noise floor" else None,
            )
            if running_reference
            else None
        ),
    ).eval()
    path = export_streaming_onnx(model, tmp_path / "step.onnx", labels=list("abcd"))
    chunks = _chunks()
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
    names += NOISE_FLOOR_STATE_NAMES if running_reference == "noise floor" else ()
    assert [i.name for i in graph.graph.input] == ["window", *names]
    # A categorical model's graph: the probabilities alone, then the state.
    outputs = ["probabilities", *(f"{n}_out" for n in names)]
    assert [o.name for o in graph.graph.output] == outputs
    meta = {p.key: p.value for p in graph.metadata_props}
    assert json.loads(meta["labels"]) == list("abcd")
    assert (meta["hop"], meta["n_fft"]) == ("320", "512")
    assert "dimensions" not in meta
    with pytest.raises(ValueError, match="has no dimensions output"):
        next(stream_onnx(path, chunks[:1], with_dimensions=True))


def _chunks():
    """3 s of gated noise (silence first: the reference restarts), odd chunks."""
    gen = torch.Generator().manual_seed(1)
    wav = 0.1 * torch.randn(3 * RATE, generator=gen)
    wav *= (torch.sin(torch.linspace(0, 6 * math.pi, wav.numel())) > 0).float()
    wav[: RATE // 4] = 0.0
    sizes = [1777, 320, 5, 4000]
    chunks, pos = [], 0
    while pos < wav.numel():
        chunks.append(wav[pos : pos + sizes[len(chunks) % len(sizes)]])
        pos += chunks[-1].numel()
    return chunks


def test_onnx_streaming_step_of_a_dimensional_model_has_its_dimensions(tmp_path):
    """A regressor adds a ``dimensions`` output per step: PyTorch's, to 1e-4."""
    from speechbrain_lstm_ser.export.streaming_onnx import (
        STATE_NAMES,
        export_streaming_onnx,
        stream_onnx,
    )

    model = _streaming_model(8, regressor=True).eval()
    path = export_streaming_onnx(model, tmp_path / "step.onnx", labels=list("abcd"))
    chunks = _chunks()
    streamer, probs, dims = StreamingClassifier(model), [], []
    state = streamer.init_state()
    with torch.no_grad():
        for chunk in chunks:
            (log_probs, d), state = streamer.step(chunk.unsqueeze(0), state, True)
            probs.append(log_probs[0].exp().numpy())
            dims.append(d[0].numpy())
    got = list(stream_onnx(path, [c.numpy() for c in chunks], with_dimensions=True))
    assert [g[1].shape for g in got] == [d.shape for d in dims]
    assert dims[-1].shape[-1] == 3 and sum(d.shape[0] for d in dims) > 100
    got_probs = np.concatenate([g[0] for g in got])
    got_dims = np.concatenate([g[1] for g in got])
    assert np.abs(got_probs - np.concatenate(probs)).max() < ATOL
    assert np.abs(got_dims - np.concatenate(dims)).max() < ATOL
    assert ((got_dims >= 0) & (got_dims <= 1)).all()
    # Without asking: the probabilities alone, as for a categorical graph.
    plain = list(stream_onnx(path, [c.numpy() for c in chunks]))
    assert np.abs(np.concatenate(plain) - got_probs).max() == 0

    import onnx

    graph = onnx.load(str(path))
    outputs = [o.name for o in graph.graph.output]
    assert outputs == [
        "probabilities",
        "dimensions",
        *(f"{n}_out" for n in STATE_NAMES),
    ]
    meta = {p.key: p.value for p in graph.metadata_props}
    assert json.loads(meta["dimensions"]) == ["arousal", "valence", "dominance"]


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
