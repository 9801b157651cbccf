r"""Export of a trained utterance classifier to ONNX (emotion, spoken commands).

The exported graph is the recipe's task model
(:class:`~speechbrain_lstm_ser.nnet.models.UtteranceClassifierModel`), from
waveform to class probabilities, with a dynamic batch and time axis::

    wavs (batch, samples), wav_lens (batch,)
        -> Fbank -> normalisation -> encoder -> pooling [+ functionals] -> head
        -> probabilities (batch, classes)
                                          [-> regressor -> dimensions (batch, 3)]

A model trained with a regression head (``dimension_weight > 0``,
docs/dimensional.md) gets a second output, ``dimensions``: arousal,
valence and dominance in ``[0, 1]``, from the same pooled vector; a
categorical model's graph has ``probabilities`` alone, as before. A model
with utterance functionals (``utterance_functionals: True``,
:mod:`speechbrain_lstm_ser.nnet.functionals`) has them in the graph too.

Waveform pre-processing (denoising, silence trimming: data-dependent
lengths) stays outside the graph, as it stays outside the model: run the
training YAML's ``preprocess`` on the waveform first
(:func:`~speechbrain_lstm_ser.nnet.models.preprocess_waveforms`), as the
recipe does.

Why ONNX: it runs with ``onnxruntime`` from Python, C++, C#, Java or
JavaScript on servers and phones without PyTorch, and its int8 dynamic
quantisation covers LSTMs (see :mod:`speechbrain_lstm_ser.export.quantization`).
TorchScript is deprecated in PyTorch 2.x, and a ``torch.export`` program
still needs PyTorch to run, so neither serves deployment better. The graph
is captured with ``torch.onnx.export(dynamo=True)``, PyTorch's maintained
exporter (the TorchScript-based one cannot export ``torch.stft``).

From the command line, with the ``hyperparams.yaml`` a training run saved in
its output folder (it knows the checkpoint folder and the model sizes)::

    sb-lstm-ser export-onnx results/emotion_lstm/1986/hyperparams.yaml \
        --onnx results/emotion_lstm/1986/emotion.onnx --int8

``--int8`` (an int8 copy, :mod:`speechbrain_lstm_ser.export.quantization`)
belongs to ``sb-lstm-ser``: ``python -m speechbrain_lstm_ser.export.onnx``
takes the same arguments without it (:func:`export_trained_onnx` from
Python). From Python, with a model already
loaded (e.g. ``hparams["model"]`` of a recipe, or an inference interface's
``model``)::

    graph = ClassifierOnnxGraph.from_model(model)
    export_onnx(graph, "emotion.onnx", labels=["neutral", "happy", "sad", "angry"])

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import logging
import os
import warnings
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import torch
from torch import nn

from speechbrain_lstm_ser.nnet.models import UtteranceClassifierModel
from speechbrain_lstm_ser.training.hparams import load_trained_modules, yaml_overrides

logger = logging.getLogger(__name__)

__all__ = [
    "NAME_SCOPES",
    "ClassifierOnnxGraph",
    "export_onnx",
    "export_trained_onnx",
    "onnx_max_abs_diff",
    "onnx_session",
]

#: Node metadata that names the module a node of an exported graph comes from.
NAME_SCOPES = "pkg.torch.onnx.name_scopes"


class ClassifierOnnxGraph(UtteranceClassifierModel):
    """An utterance classifier with probabilities out: the graph ONNX export writes.

    The task model itself (same parts, same forward), with
    ``exp(log-probabilities)`` as output, of shape ``(batch, classes)``, and,
    for a model with a ``regressor``, its dimensions ``(batch, dims)``
    (:attr:`output_names`). Its
    parts stay top-level modules of the graph, so that the exported nodes
    carry their names (int8 quantisation keeps ``compute_features`` float).

    Arguments
    ---------
    *args, **kwargs
        The parts of an
        :class:`~speechbrain_lstm_ser.nnet.models.UtteranceClassifierModel`;
        or build one from a model with :meth:`from_model`.

    Example
    -------
    >>> from speechbrain.lobes.features import Fbank
    >>> from speechbrain.processing.features import InputNormalization
    >>> from speechbrain_lstm_ser.nnet.encoders import LSTMEncoder
    >>> from speechbrain_lstm_ser.nnet.heads import ClassificationHead
    >>> from speechbrain_lstm_ser.nnet.pooling import MeanPooling
    >>> model = UtteranceClassifierModel(
    ...     Fbank(n_mels=20), InputNormalization(norm_type="sentence"),
    ...     LSTMEncoder(20, 8), MeanPooling(16), ClassificationHead(16, 4, 8),
    ... ).eval()
    >>> graph = ClassifierOnnxGraph.from_model(model)
    >>> wavs, lens = torch.rand(2, 8000), torch.tensor([1.0, 0.6])
    >>> probs = graph(wavs, lens)
    >>> probs.shape, bool(torch.allclose(probs.sum(-1), torch.ones(2)))
    (torch.Size([2, 4]), True)
    >>> bool(torch.equal(probs, model(wavs, lens).squeeze(1).exp()))
    True
    """

    @classmethod
    def from_model(cls, model: UtteranceClassifierModel) -> ClassifierOnnxGraph:
        """The graph of a trained model (its very parts, no copy), in eval mode.

        Arguments
        ---------
        model : UtteranceClassifierModel
            E.g. ``hparams["model"]`` of a recipe.

        Returns
        -------
        ClassifierOnnxGraph
        """
        if not isinstance(model, UtteranceClassifierModel):
            raise TypeError(
                f"ONNX export takes an UtteranceClassifierModel, got "
                f"{type(model).__name__}"
            )
        features = model.compute_features
        if not getattr(features, "onnx_exportable", True):
            raise ValueError(
                f"ONNX export does not support the {type(features).__name__} front "
                "end (an SSL model); run this model with PyTorch (sb-lstm-ser "
                "predict, EmotionRecognizer)"
            )
        return cls.from_modules(model.parts()).eval()

    @property
    def output_names(self) -> list[str]:
        """``probabilities``, and ``dimensions`` for a model with a regressor."""
        if self.regressor is None:
            return ["probabilities"]
        return ["probabilities", "dimensions"]

    def forward(
        self, wavs: torch.Tensor, wav_lens: torch.Tensor
    ) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        """Class probabilities (and the dimensions, with a regressor).

        Arguments
        ---------
        wavs : torch.Tensor
            ``(batch, samples)`` waveforms at the training sample rate.
        wav_lens : torch.Tensor
            ``(batch,)`` relative lengths in ``[0, 1]``.

        Returns
        -------
        torch.Tensor or tuple of torch.Tensor
            ``(batch, classes)`` probabilities; with a regressor, also the
            ``(batch, dims)`` dimensions.
        """
        if self.regressor is None:
            return super().forward(wavs, wav_lens).squeeze(1).exp()
        log_probs, dims = super().forward(wavs, wav_lens, with_dimensions=True)
        return log_probs.squeeze(1).exp(), dims


def export_onnx(
    graph: nn.Module,
    path: str | os.PathLike,
    labels: Sequence[str] | None = None,
    sample_rate: int = 16000,
    opset_version: int = 18,
    example_samples: int = 4000,
) -> Path:
    """Exports ``graph`` to one ONNX file with dynamic batch and time axes.

    Inputs ``wavs`` ``(batch, samples)`` float32 and ``wav_lens``
    ``(batch,)``; output ``probabilities`` ``(batch, classes)`` (and
    ``dimensions`` ``(batch, dims)`` where the graph's ``output_names``
    say so, e.g. a :class:`ClassifierOnnxGraph` with a regressor). The class
    names and sample rate are stored in the model's metadata (``labels`` as
    JSON, ``sample_rate``). Constants are folded, so that LSTM weights are
    plain initializers (smaller graph, and what int8 quantisation needs).

    Arguments
    ---------
    graph : torch.nn.Module
        E.g. a :class:`ClassifierOnnxGraph`; exported in eval mode.
    path : str or os.PathLike
        The ``.onnx`` file to write (weights inside, no external data).
    labels : sequence of str, optional
        Class names in output order.
    sample_rate : int
        The waveform sample rate the model expects.
    opset_version : int
        ONNX opset (18 or later: the graph uses ``STFT``).
    example_samples : int
        Length of the example input used for tracing (the graph's axes stay
        dynamic). Short is faster: the exporter's symbolic shape propagation
        walks the LSTM step by step, so the default model (prosody features,
        2 BiLSTM layers) exported in 60 s from 0.25 s and in 240 s from 1 s
        (loaded 2-core machine). Both graphs, and one traced from 0.1 s,
        matched PyTorch to 1e-5 in probability on 0.07 s to 6 s of noise
        and of voiced glides (an earlier version of ``FbankProsody``
        differed by 0.02 from a 0.1 s example; the tests check parity on
        other lengths than the example's). On speech, graphs traced from
        0.25 s and 1 s differ from PyTorch alike (the pitch tracker's
        near-tie decisions; docs/performance.md, "ONNX export").

    Returns
    -------
    Path
        ``path``.
    """
    from onnxscript import optimizer

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    graph = graph.eval()
    wavs = torch.randn(2, example_samples, generator=torch.Generator().manual_seed(0))
    wav_lens = torch.tensor([1.0, 0.75])
    batch = torch.export.Dim("batch", min=1)
    samples = torch.export.Dim("samples", min=1024)
    # The exporter reports its progress on stdout and warns about internals
    # (e.g. the LSTM's flat weights): keep what it prints out of our output.
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        _forget_resolved_rnn_kernels()
        try:
            program = torch.onnx.export(
                graph,
                (wavs, wav_lens),
                dynamo=True,
                input_names=["wavs", "wav_lens"],
                output_names=getattr(graph, "output_names", ["probabilities"]),
                dynamic_shapes=({0: batch, 1: samples}, {0: batch}),
                opset_version=opset_version,
            )
        finally:
            _forget_resolved_rnn_kernels()
    # Fold the LSTM weight re-ordering (gates i,f,g,o -> i,o,f,c) into
    # initializers; the default size limits leave large weights unfolded.
    optimizer.optimize(program.model, input_size_limit=2**31, output_size_limit=2**31)
    # Drop the per-node debugging metadata (stack traces, ~5% of the file)
    # but the module scopes, by which quantisation tells the parts apart.
    for node in program.model.graph.all_nodes():
        for key in [k for k in node.metadata_props if k != NAME_SCOPES]:
            del node.metadata_props[key]
    metadata = {"sample_rate": str(sample_rate), "producer": "speechbrain-lstm-ser"}
    if labels is not None:
        metadata["labels"] = json.dumps(list(labels))
    program.model.metadata_props.update(metadata)
    program.save(str(path), external_data=False)
    return path


def _forget_resolved_rnn_kernels() -> None:
    """Clears the kernels the LSTM and GRU operators resolved and cached.

    To keep the time axis dynamic, ``torch.onnx.export`` swaps a
    ``while_loop`` decomposition of ``aten::lstm`` into the operator's Python
    kernels for the time of the export, but (PyTorch 2.14) leaves the
    operator's dispatch cache as it is: from the second export in a process
    on, the cached step-by-step decomposition runs instead, and the graph
    silently gets the example's length as a fixed time axis. Forgetting the
    cache before and after exporting makes every export behave as the first.
    """
    for op in (torch.ops.aten.lstm.input, torch.ops.aten.gru.input):
        cache = getattr(op, "_dispatch_cache", None)
        if cache is not None:
            cache.clear()


def onnx_session(path: str | os.PathLike, threads: int = 1):
    """An ``onnxruntime`` CPU inference session for an exported model.

    Arguments
    ---------
    path : str or os.PathLike
        The ``.onnx`` file.
    threads : int
        Intra-op threads (1 for the latency of one stream).

    Returns
    -------
    onnxruntime.InferenceSession
    """
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    return onnxruntime.InferenceSession(
        str(path), options, providers=["CPUExecutionProvider"]
    )


def onnx_max_abs_diff(
    graph: nn.Module,
    path: str | os.PathLike,
    wavs: torch.Tensor,
    wav_lens: torch.Tensor,
) -> float:
    """Largest absolute difference between PyTorch's and onnxruntime's outputs.

    Over every output (the probabilities, and the dimensions of a graph
    with a regressor).

    Arguments
    ---------
    graph : torch.nn.Module
        The exported module.
    path : str or os.PathLike
        Its ONNX file.
    wavs : torch.Tensor
        ``(batch, samples)`` test waveforms.
    wav_lens : torch.Tensor
        ``(batch,)`` relative lengths.

    Returns
    -------
    float
    """
    with torch.no_grad():
        expected = graph.eval()(wavs, wav_lens)
    if isinstance(expected, torch.Tensor):
        expected = (expected,)
    got = onnx_session(path).run(
        None,
        {"wavs": wavs.numpy(), "wav_lens": wav_lens.float().numpy()},
    )
    return max(
        float(abs(g - e.numpy()).max()) for g, e in zip(got, expected, strict=True)
    )


def export_trained_onnx(
    hparams_file: str | os.PathLike,
    onnx_path: str | os.PathLike,
    overrides: str | Mapping | None = None,
    max_key: str = "UA",
    log: Callable[[str], object] = logger.info,
) -> Path:
    """Exports the best checkpoint of a training run to ONNX, and checks it.

    The run's classes (``emotions`` or ``labels`` in its YAML) and sample
    rate go in the model's metadata. onnxruntime's probabilities are then
    compared with PyTorch's on three seconds of noise; ``log`` reports the
    largest difference.

    Arguments
    ---------
    hparams_file : str or os.PathLike
        The run's ``hyperparams.yaml`` (in its output folder).
    onnx_path : str or os.PathLike
        The ``.onnx`` file to write.
    overrides : str or mapping, optional
        YAML overrides, checked against the YAML.
    max_key : str
        Checkpoint selection key (highest wins).
    log : callable
        Receives a one-line summary (file, size, parity).

    Returns
    -------
    Path
        ``onnx_path``.
    """
    hparams = load_trained_modules(hparams_file, overrides, max_key=max_key)
    graph = ClassifierOnnxGraph.from_model(hparams["model"])
    sample_rate = int(hparams.get("sample_rate", 16000))
    path = export_onnx(
        graph,
        onnx_path,
        labels=hparams.get("emotions", hparams.get("labels")),
        sample_rate=sample_rate,
    )
    wavs = 0.1 * torch.randn(2, 3 * sample_rate)
    diff = onnx_max_abs_diff(graph, path, wavs, torch.tensor([1.0, 0.6]))
    speech = _parity_on_test_utterances(hparams, graph, path)
    log(
        f"wrote {path} ({path.stat().st_size / 1e6:.2f} MB); "
        f"max |onnxruntime - PyTorch| on {' and '.join(graph.output_names)}: "
        f"{diff:.2e} (noise)"
        + (f", {speech[1]:.2e} ({speech[0]} test utterances)" if speech else "")
    )
    return path


def _parity_on_test_utterances(
    hparams: Mapping, graph: nn.Module, path: Path, count: int = 8
) -> tuple[int, float] | None:
    """Parity on the run's first ``count`` test utterances, pre-processed.

    Noise is unvoiced: the pitch tracker's decisions (``FbankProsody``) are
    only exercised by speech, where PyTorch and onnxruntime can differ more.
    None when the run's test manifest or audio is not at hand.
    """
    from speechbrain_lstm_ser.dataio.audio import read_audio
    from speechbrain_lstm_ser.dataio.manifest import read_manifest, resolve_data_root
    from speechbrain_lstm_ser.nnet.models import preprocess_waveforms

    manifest = hparams.get("test_annotation")
    if not manifest or not Path(manifest).is_file():
        return None
    try:
        rows = read_manifest(manifest, required=("wav",))[:count]
        rate = int(hparams.get("sample_rate", 16000))
        root = hparams.get("data_folder", "")
        wavs = [read_audio(resolve_data_root(r["wav"], root), rate) for r in rows]
    except (OSError, ValueError, KeyError):
        return None
    worst = 0.0
    for wav in wavs:
        with torch.no_grad():
            one, lens = preprocess_waveforms(
                hparams["modules"], wav.unsqueeze(0), torch.ones(1)
            )
        worst = max(worst, onnx_max_abs_diff(graph, path, one, lens))
    return len(wavs), worst


def main(argv: list[str] | None = None) -> Path:
    """Command line: export a trained checkpoint to ONNX; returns the file."""
    parser = argparse.ArgumentParser(
        prog="sb-lstm-ser export-onnx",
        description="Export a trained utterance classifier (emotion, commands) to "
        "ONNX. Extra --key value pairs override the YAML, as in the recipes. "
        "(sb-lstm-ser export-onnx --int8 also writes an int8 copy.)",
    )
    parser.add_argument(
        "hparams", help="the training YAML (best: <output_folder>/hyperparams.yaml)"
    )
    parser.add_argument("--onnx", required=True, help="the .onnx file to write")
    parser.add_argument(
        "--max_key", default="UA", help="checkpoint selection key (highest wins)"
    )
    args, rest = parser.parse_known_args(argv)
    overrides = yaml_overrides(parser, rest)
    return export_trained_onnx(
        args.hparams, args.onnx, overrides, args.max_key, log=print
    )


if __name__ == "__main__":
    main()
