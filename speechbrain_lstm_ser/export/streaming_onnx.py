"""ONNX export of a streaming emotion model: one frame step, state in and out.

The graph computes the output of one feature frame, with every piece of
state as explicit inputs and outputs, so that any ONNX runtime can stream
without PyTorch::

    window (1, n_fft), h (layers, 1, hidden), c (layers, 1, hidden),
    pool_offset, pool_w, pool_wx, pool_wx2 (1, size)
    [, ref_total (1, n_mels), ref_count (1, 1), ref_loudest (1,)
     [, ref_loudest_power (1,)]]
        -> STFT -> filterbanks -> [running reference] -> normalisation
        -> LSTM step -> pooling step -> head
        -> probabilities (1, classes) [, dimensions (1, dims)],
           h_out, c_out, pool_*_out [, ref_*_out] (the next state)

The ``ref_*`` state (:data:`REFERENCE_STATE_NAMES`: the running sum, count
and loudest level of
:class:`~speechbrain_lstm_ser.nnet.normalization.RunningReferenceNormalization`)
is there when the model has a ``reference_norm``, and ``ref_loudest_power``
(:data:`NOISE_FLOOR_STATE_NAMES`) when that has a noise floor. A model with a regression
head (``regressor``, docs/dimensional.md) has a second output, ``dimensions``:
arousal, valence and dominance in ``[0, 1]`` (the order of
:data:`~speechbrain_lstm_ser.dataio.manifest.DIMENSIONS`, also in the metadata
``dimensions``), from the same pooled vector as the probabilities; the graph
of a categorical model has ``probabilities`` alone.

All shapes are fixed (one frame a call: a 200 ms chunk is 10 calls), which
keeps the export exact and simple. The host keeps the samples not yet
consumed and cuts the windows as
:class:`~speechbrain_lstm_ser.nnet.streaming.StreamingFeatures` does: start
with ``n_fft // 2`` zeros, append each chunk, and while at least ``n_fft``
samples are buffered, run the graph on the first ``n_fft`` and drop the
first ``hop``. The first state is zeros, with ``pool_offset``,
``ref_loudest`` and ``ref_loudest_power`` at ``-inf``.
:func:`stream_onnx` does exactly this with onnxruntime.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import warnings
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np
import torch
from torch import nn

from speechbrain_lstm_ser.dataio.manifest import DIMENSIONS
from speechbrain_lstm_ser.export.onnx import onnx_session
from speechbrain_lstm_ser.nnet.models import UtteranceClassifierModel
from speechbrain_lstm_ser.nnet.streaming import (
    FeatureState,
    StreamingClassifier,
    StreamState,
)

__all__ = [
    "NOISE_FLOOR_STATE_NAMES",
    "REFERENCE_STATE_NAMES",
    "STATE_NAMES",
    "StreamingOnnxStep",
    "export_streaming_onnx",
    "stream_onnx",
]

#: The names of the state inputs (the outputs add ``_out``).
STATE_NAMES = StreamState.NAMES
#: The state inputs of a model with a running reference, after :data:`STATE_NAMES`.
REFERENCE_STATE_NAMES = StreamState.REFERENCE_NAMES
#: The state input of a running reference's noise floor, after those.
NOISE_FLOOR_STATE_NAMES = StreamState.NOISE_FLOOR_NAMES
#: The state inputs that start at ``-inf`` (the others start at zero).
_MINUS_INF = ("pool_offset", "ref_loudest", "ref_loudest_power")


class StreamingOnnxStep(nn.Module):
    """One frame of a causal classifier, with its state as inputs and outputs.

    Arguments
    ---------
    model : UtteranceClassifierModel
        A streamable model (see
        :func:`~speechbrain_lstm_ser.nnet.streaming.check_streamable`).

    Example
    -------
    >>> from speechbrain.processing.features import InputNormalization
    >>> from speechbrain_lstm_ser.nnet.encoders import LSTMEncoder
    >>> from speechbrain_lstm_ser.nnet.heads import ClassificationHead
    >>> from speechbrain_lstm_ser.nnet.streaming import (
    ...     CausalFbank, DecayingAttentiveStatisticsPooling)
    >>> model = UtteranceClassifierModel(
    ...     CausalFbank(n_mels=20), InputNormalization(),
    ...     LSTMEncoder(20, 8, bidirectional=False),
    ...     DecayingAttentiveStatisticsPooling(8, 4), ClassificationHead(16, 4, 8))
    >>> _ = model(torch.rand(2, 8000))  # global statistics
    >>> step = StreamingOnnxStep(model.eval())
    >>> probs, *state = step(torch.rand(1, 512), *step.initial_state())
    >>> probs.shape, state[0].shape, step.output_names[:2]
    (torch.Size([1, 4]), torch.Size([2, 1, 8]), ['probabilities', 'h_out'])
    """

    def __init__(self, model: UtteranceClassifierModel):
        super().__init__()
        self.streamer = StreamingClassifier(model).eval()

    @property
    def dimension_names(self) -> tuple[str, ...]:
        """The regressor's outputs, in order (empty without a regressor)."""
        regressor = self.streamer.model.regressor
        return () if regressor is None else DIMENSIONS[: regressor.num_dimensions]

    @property
    def output_names(self) -> list[str]:
        """``probabilities`` [, ``dimensions``], then the next state (``*_out``)."""
        heads = ["probabilities", "dimensions"][: 1 + bool(self.dimension_names)]
        return [*heads, *(f"{n}_out" for n in self.state_names)]

    @property
    def state_names(self) -> tuple[str, ...]:
        """The state inputs of this model, in order."""
        reference = self.streamer.features.reference_norm
        noise_floor = getattr(reference, "noise_floor", None) is not None
        return StreamState.names(reference is not None, noise_floor)

    def initial_state(self) -> tuple[torch.Tensor, ...]:
        """The state before a stream, in :attr:`state_names` order."""
        return self.streamer.init_state(1).tensors()

    def forward(
        self,
        window,
        h,
        c,
        pool_offset,
        pool_w,
        pool_wx,
        pool_wx2,
        ref_total=None,
        ref_count=None,
        ref_loudest=None,
        ref_loudest_power=None,
    ):
        """Probabilities ``(1, classes)`` of the window's frame, and the next state.

        With a regressor, the dimensions ``(1, dims)`` follow the probabilities.
        """
        features = self.streamer.features
        reference = ()
        if features.reference_norm is not None:
            reference = (ref_total, ref_count, ref_loudest)
            if ref_loudest_power is not None:  # the noise floor's
                reference = (*reference, ref_loudest_power)
        feats, reference = features.normalise_step(
            features.window_frames(window), reference
        )
        state = StreamState.from_tensors(
            FeatureState(window[:, :0]),  # the host keeps the samples
            h,
            c,
            pool_offset,
            pool_w,
            pool_wx,
            pool_wx2,
            *reference,
        )
        dimensional = bool(self.dimension_names)
        out, state = self.streamer.step_features(feats, state, dimensional)
        if not dimensional:
            return (out[:, 0].exp(), *state.tensors())
        log_probs, dims = out
        return (log_probs[:, 0].exp(), dims[:, 0], *state.tensors())


def export_streaming_onnx(
    model: UtteranceClassifierModel,
    path: str | os.PathLike,
    labels: Iterable[str] | None = None,
    sample_rate: int = 16000,
    opset_version: int = 18,
) -> Path:
    """Writes the one-frame streaming step of ``model`` to one ONNX file.

    Arguments
    ---------
    model : UtteranceClassifierModel
        A streamable model, in eval mode.
    path : str or os.PathLike
        The ``.onnx`` file.
    labels : iterable of str, optional
        Class names (metadata ``labels``, JSON).
    sample_rate : int
        Metadata ``sample_rate``; ``hop`` and ``n_fft`` are stored too, and
        for a model with a regressor its ``dimensions`` (names, JSON).
    opset_version : int
        18 or later (``STFT``).

    Returns
    -------
    Path
    """
    from onnxscript import optimizer

    step = StreamingOnnxStep(model)
    features = step.streamer.features
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    window = torch.randn(1, features.n_fft, generator=torch.Generator().manual_seed(0))
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        program = torch.onnx.export(
            step,
            (window, *step.initial_state()),
            dynamo=True,
            input_names=["window", *step.state_names],
            output_names=step.output_names,
            opset_version=opset_version,
        )
    optimizer.optimize(program.model, input_size_limit=2**31, output_size_limit=2**31)
    metadata = {
        "sample_rate": str(sample_rate),
        "hop": str(features.hop),
        "n_fft": str(features.n_fft),
        "producer": "speechbrain-lstm-ser",
    }
    if labels is not None:
        metadata["labels"] = json.dumps(list(labels))
    if step.dimension_names:
        metadata["dimensions"] = json.dumps(list(step.dimension_names))
    program.model.metadata_props.update(metadata)
    program.save(str(path), external_data=False)
    return path


def stream_onnx(
    path: str | os.PathLike,
    chunks: Iterable[np.ndarray],
    with_dimensions: bool = False,
) -> Iterator[np.ndarray] | Iterator[tuple[np.ndarray, np.ndarray]]:
    """Runs an exported streaming step with onnxruntime over chunks of samples.

    Arguments
    ---------
    path : str or os.PathLike
        From :func:`export_streaming_onnx`.
    chunks : iterable of numpy.ndarray
        ``(samples,)`` float32 mono chunks at the model's rate, any sizes.
    with_dimensions : bool
        Also the ``dimensions`` output of a graph with a regression head
        (as ``StreamingClassifier.step``); a graph without one is refused.

    Yields
    ------
    numpy.ndarray or tuple of numpy.ndarray
        ``(frames, classes)`` probabilities of the frames each chunk completes
        (possibly none); with dimensions, ``(probabilities, dimensions)``
        with ``dimensions`` ``(frames, dims)`` in ``[0, 1]``.
    """
    session = onnx_session(path)
    meta = session.get_modelmeta().custom_metadata_map
    hop, n_fft = int(meta["hop"]), int(meta["n_fft"])
    shapes = {i.name: i.shape for i in session.get_inputs() if i.name != "window"}
    heads = {o.name: o.shape[-1] for o in session.get_outputs()}
    if with_dimensions and "dimensions" not in heads:
        raise ValueError(
            f"{path} has no dimensions output: export a model trained with "
            "dimension_weight > 0 (docs/dimensional.md)"
        )
    heads = {
        name: size
        for name, size in heads.items()
        if name == "probabilities" or (with_dimensions and name == "dimensions")
    }
    state = {}
    for name, shape in shapes.items():  # STATE_NAMES [+ REFERENCE_ and NOISE_FLOOR_]
        fill = -np.inf if name in _MINUS_INF else 0.0
        state[name] = np.full(shape, fill, dtype=np.float32)
    outputs = [*heads, *(f"{name}_out" for name in state)]
    buffer = np.zeros(n_fft // 2, dtype=np.float32)
    for chunk in chunks:
        buffer = np.concatenate([buffer, np.asarray(chunk, dtype=np.float32)])
        out = {name: [] for name in heads}
        while buffer.size >= n_fft:
            results = session.run(outputs, {"window": buffer[None, :n_fft], **state})
            for name, value in zip(heads, results[: len(heads)], strict=True):
                out[name].append(value[0])
            state = dict(zip(state, results[len(heads) :], strict=True))
            buffer = buffer[hop:]
        frames = tuple(
            np.stack(rows) if rows else np.zeros((0, heads[name]), dtype=np.float32)
            for name, rows in out.items()
        )
        yield frames if with_dimensions else frames[0]
