r"""Export of a trained emotion recogniser's inference graph to ONNX.

The exported graph is the whole model, from waveform to class
probabilities, with a dynamic batch and time axis::

    wavs (batch, samples), wav_lens (batch,)
        -> Fbank -> normalisation -> encoder -> pooling -> head
        -> probabilities (batch, classes)

Waveform pre-processing (denoising, silence trimming: data-dependent
lengths) stays outside the graph: run the training YAML's ``preprocess`` on
the waveform first, as the recipe does.

Why ONNX: it runs with ``onnxruntime`` from Python, C++, C#, Java or
JavaScript on servers and phones without PyTorch, and its int8 dynamic
quantisation covers LSTMs (see :mod:`speechbrain_lstm_ser.compression`).
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
takes the same arguments without it.

From Python, with modules already loaded (e.g. by an inference interface)::

    graph = EmotionInferenceGraph.from_modules(modules)
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
from collections.abc import Mapping, Sequence
from pathlib import Path

import torch
from torch import nn

logger = logging.getLogger(__name__)

__all__ = [
    "EmotionInferenceGraph",
    "export_onnx",
    "load_trained_modules",
    "onnx_max_abs_diff",
    "onnx_session",
    "yaml_overrides",
]

#: Node metadata that names the module a node of an exported graph comes from.
NAME_SCOPES = "pkg.torch.onnx.name_scopes"

#: The modules of the inference graph, in order, as the recipe names them.
GRAPH_MODULES = (
    "compute_features",
    "mean_var_norm",
    "encoder",
    "pooling",
    "classifier",
)


class EmotionInferenceGraph(nn.Module):
    """Waveforms to class probabilities with the recipe's trained modules.

    Exactly the computation of the recipe's ``compute_forward`` at
    evaluation time (without waveform pre-processing), as one module that
    can be timed, quantised or exported.

    Arguments
    ---------
    compute_features : torch.nn.Module
        ``wavs (batch, samples) -> (batch, time, n_mels)``, e.g. SpeechBrain's
        ``Fbank``.
    mean_var_norm : torch.nn.Module
        ``(feats, lens) -> feats`` normalisation (``InputNormalization``).
    encoder : torch.nn.Module
        ``(feats, lens) -> (batch, time, size)``.
    pooling : torch.nn.Module
        ``(encoded, lens) -> (batch, 1, size)``.
    classifier : torch.nn.Module
        ``(batch, 1, size) -> (batch, 1, classes)`` log-probabilities.

    Example
    -------
    >>> from speechbrain.lobes.features import Fbank
    >>> from speechbrain.processing.features import InputNormalization
    >>> from speechbrain_lstm_ser.nnet.encoders import LSTMEncoder
    >>> from speechbrain_lstm_ser.nnet.pooling import MeanPooling
    >>> from speechbrain_lstm_ser.nnet.heads import EmotionClassifier
    >>> graph = EmotionInferenceGraph(
    ...     Fbank(n_mels=20), InputNormalization(norm_type="sentence"),
    ...     LSTMEncoder(20, 8), MeanPooling(16), EmotionClassifier(16, 4, 8),
    ... ).eval()
    >>> probs = graph(torch.rand(2, 8000), torch.tensor([1.0, 0.6]))
    >>> probs.shape, bool(torch.allclose(probs.sum(-1), torch.ones(2)))
    (torch.Size([2, 4]), True)
    """

    def __init__(
        self,
        compute_features: nn.Module,
        mean_var_norm: nn.Module,
        encoder: nn.Module,
        pooling: nn.Module,
        classifier: nn.Module,
    ):
        super().__init__()
        self.compute_features = compute_features
        self.mean_var_norm = mean_var_norm
        self.encoder = encoder
        self.pooling = pooling
        self.classifier = classifier

    @classmethod
    def from_modules(cls, modules: Mapping[str, nn.Module]) -> EmotionInferenceGraph:
        """Builds the graph from the recipe's ``modules`` (extra keys ignored)."""
        missing = [name for name in GRAPH_MODULES if name not in modules]
        if missing:
            raise KeyError(f"modules lacks {missing}; it has {sorted(modules)}")
        return cls(*(modules[name] for name in GRAPH_MODULES))

    def forward(self, wavs: torch.Tensor, wav_lens: torch.Tensor) -> torch.Tensor:
        """Class probabilities.

        Arguments
        ---------
        wavs : torch.Tensor
            ``(batch, samples)`` waveforms at the training sample rate.
        wav_lens : torch.Tensor
            ``(batch,)`` relative lengths in ``[0, 1]``.

        Returns
        -------
        torch.Tensor
            ``(batch, classes)`` probabilities.
        """
        feats = self.mean_var_norm(self.compute_features(wavs), wav_lens)
        encoded = self.encoder(feats, wav_lens)
        log_probs = self.classifier(self.pooling(encoded, wav_lens))
        return log_probs.squeeze(1).exp()


def export_onnx(
    graph: nn.Module,
    path: str | os.PathLike,
    labels: Sequence[str] | None = None,
    sample_rate: int = 16000,
    opset_version: int = 18,
    example_samples: int = 1600,
) -> Path:
    """Exports ``graph`` to one ONNX file with dynamic batch and time axes.

    Inputs ``wavs`` ``(batch, samples)`` float32 and ``wav_lens``
    ``(batch,)``; output ``probabilities`` ``(batch, classes)``. The class
    names and sample rate are stored in the model's metadata (``labels`` as
    JSON, ``sample_rate``). Constants are folded, so that LSTM weights are
    plain initializers (smaller graph, and what int8 quantisation needs).

    Arguments
    ---------
    graph : torch.nn.Module
        E.g. an :class:`EmotionInferenceGraph`; exported in eval mode.
    path : str or os.PathLike
        The ``.onnx`` file to write (weights inside, no external data).
    labels : sequence of str, optional
        Class names in output order.
    sample_rate : int
        The waveform sample rate the model expects.
    opset_version : int
        ONNX opset (18 or later: the graph uses ``STFT``).
    example_samples : int
        Length of the example input used for tracing. Short is fast: the
        exporter's shape propagation walks the LSTM step by step.

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
        program = torch.onnx.export(
            graph,
            (wavs, wav_lens),
            dynamo=True,
            input_names=["wavs", "wav_lens"],
            output_names=["probabilities"],
            dynamic_shapes=({0: batch, 1: samples}, {0: batch}),
            opset_version=opset_version,
        )
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
        expected = graph.eval()(wavs, wav_lens).numpy()
    got = onnx_session(path).run(
        None,
        {"wavs": wavs.numpy(), "wav_lens": wav_lens.float().numpy()},
    )[0]
    return float(abs(got - expected).max())


def load_trained_modules(
    hparams_file: str | os.PathLike,
    overrides: Mapping | str | None = None,
    max_key: str = "UA",
) -> dict:
    """Loads a training YAML and recovers its best checkpoint.

    Arguments
    ---------
    hparams_file : str or os.PathLike
        The training YAML, best the ``hyperparams.yaml`` that a run saved in
        its output folder (it holds the run's overrides).
    overrides : mapping or str, optional
        YAML overrides (e.g. ``{"output_folder": ...}``), or their YAML text
        as :func:`yaml_overrides` writes it.
    max_key : str
        Checkpoint selection: the one with the highest value of this key.

    Returns
    -------
    dict
        The loaded hyperparameters; ``modules`` hold the trained weights in
        eval mode.
    """
    from hyperpyyaml import load_hyperpyyaml

    with open(hparams_file, encoding="utf-8") as handle:
        hparams = load_hyperpyyaml(handle, overrides or {})
    checkpoint = hparams["checkpointer"].recover_if_possible(max_key=max_key)
    if checkpoint is None:
        raise FileNotFoundError(
            f"no checkpoint in {hparams['save_folder']}: train the model first"
        )
    for module in hparams["modules"].values():
        module.eval()
    return hparams


def yaml_overrides(parser: argparse.ArgumentParser, rest: list[str]) -> str:
    """YAML overrides from the ``--key value`` pairs argparse did not know.

    Arguments
    ---------
    parser : argparse.ArgumentParser
        Reports malformed pairs.
    rest : list of str
        The unknown arguments (``parse_known_args``).

    Returns
    -------
    str
        ``key: value`` lines, as SpeechBrain recipes turn them into.

    Example
    -------
    >>> yaml_overrides(argparse.ArgumentParser(), ["--lstm_hidden", "48"])
    'lstm_hidden: 48'
    """
    if len(rest) % 2 or not all(key.startswith("--") for key in rest[::2]):
        parser.error(f"overrides must be --key value pairs, got {rest}")
    pairs = zip(rest[::2], rest[1::2], strict=True)
    return "\n".join(f"{key[2:]}: {value}" for key, value in pairs)


def main(argv: list[str] | None = None) -> Path:
    """Command line: export a trained checkpoint to ONNX; returns the file."""
    parser = argparse.ArgumentParser(
        prog="sb-lstm-ser export-onnx",
        description="Export a trained emotion recogniser to ONNX. Extra "
        "--key value pairs override the YAML, as in the recipes. "
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

    hparams = load_trained_modules(args.hparams, overrides, args.max_key)
    graph = EmotionInferenceGraph.from_modules(hparams["modules"])
    path = export_onnx(
        graph,
        args.onnx,
        labels=hparams.get("emotions"),
        sample_rate=hparams.get("sample_rate", 16000),
    )
    wavs = 0.1 * torch.randn(2, 3 * hparams.get("sample_rate", 16000))
    diff = onnx_max_abs_diff(graph, path, wavs, torch.tensor([1.0, 0.6]))
    print(
        f"wrote {path} ({path.stat().st_size / 1e6:.2f} MB); "
        f"max |onnxruntime - PyTorch| on probabilities: {diff:.2e}"
    )
    return path


if __name__ == "__main__":
    main()
