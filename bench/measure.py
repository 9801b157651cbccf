"""Measures one benchmark model in a fresh process: cost and accuracy.

For a trained model (a recipe run folder), or one derived from it (ONNX,
int8), it measures:

- parameters, and size on disk (the inference weights as saved);
- test-set accuracy (UA, WA, macro-F1) of the model as measured, one
  utterance at a time, end to end from the waveform;
- inference real-time factor (compute time / audio duration) at batch 1 and
  batch 16 with one thread: waveform pre-processing, features, normalisation,
  encoder, pooling and head (audio file reading excluded);
- peak resident memory of this process after inference;
- training throughput (seconds of audio per second, two threads): training
  steps of the recipe itself on the training set, as its epoch log reports;
- robustness: UA, WA and labels unchanged with the test waveforms at -20,
  -10, 0 and +6 dB and with a DC offset, one utterance at a time
  (:func:`speechbrain_lstm_ser.evaluation.robustness.gain_robustness`);
- for a model with a regression head (``dimension_weight > 0``): CCC,
  Pearson and MAE of arousal, valence and dominance, single utterance and
  (a speaker-normalised model) against each test speaker
  (:func:`dimension_accuracy`);
- optionally, where the time of one utterance goes, against a bare
  ``nn.LSTM`` of the same size on the same frames.

``python -m bench.measure --help`` lists the options; ``bench.run`` calls it.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import argparse
import copy
import io
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import torch
from torch import nn

from bench.recipe import DISTILL_RECIPE, RECIPE
from speechbrain_lstm_ser.dataio.audio import pad_waveforms, read_audio
from speechbrain_lstm_ser.dataio.manifest import dimension_matrix, read_manifest
from speechbrain_lstm_ser.evaluation.classification import ClassificationMetrics
from speechbrain_lstm_ser.evaluation.dimensions import dimension_report
from speechbrain_lstm_ser.evaluation.reports import write_json
from speechbrain_lstm_ser.evaluation.robustness import (
    LabelledAudio,
    gain_robustness,
    robustness_failures,
)
from speechbrain_lstm_ser.evaluation.transfer import (
    GROUPS,
    read_domain,
    select_conditions,
    transfer_table,
)
from speechbrain_lstm_ser.export.onnx import (
    ClassifierOnnxGraph,
    onnx_max_abs_diff,
    onnx_session,
)
from speechbrain_lstm_ser.nnet.encoders import LSTMEncoder
from speechbrain_lstm_ser.nnet.models import preprocess_waveforms
from speechbrain_lstm_ser.nnet.normalization import SpeakerReferences
from speechbrain_lstm_ser.training.hparams import load_trained_modules
from speechbrain_lstm_ser.training.references import reference_mode

__all__ = [
    "add_measurement_options",
    "dimension_accuracy",
    "main",
    "one_at_a_time",
    "peak_rss_mb",
    "prediction_rows",
    "robustness",
    "speaker_accuracy",
]

#: Model kinds measured from a recipe run folder, and derived ones.
TRAINED = ("train", "prune", "distill")
DERIVED = ("onnx", "onnx_int8", "torch_int8")


def peak_rss_mb() -> float:
    """Peak resident memory of the calling process, in MB, since it started.

    Read from ``VmHWM`` in ``/proc/self/status``: ``getrusage``'s
    ``ru_maxrss`` survives ``exec``, so a measuring process started by a big
    parent (``bench.run``, which holds PyTorch) would report the parent's
    memory as its own. Elsewhere (no ``/proc``), ``ru_maxrss``.

    Returns
    -------
    float

    Example
    -------
    >>> peak_rss_mb() > 0
    True
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    scale = 1 if sys.platform == "darwin" else 1024  # bytes on macOS, else kB
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / scale / 1024


class TestSet:
    """The test utterances, read once (reading is not timed)."""

    def __init__(self, manifest: Path, data_folder: Path, sample_rate: int):
        rows = read_manifest(manifest, required=("ID", "wav", "emo"))
        self.rows = rows
        self.sample_rate = sample_rate
        self.wavs = [
            read_audio(r["wav"].replace("$data_root", str(data_folder)), sample_rate)
            for r in rows
        ]

    def seconds(self) -> float:
        """Total audio duration."""
        return sum(len(w) for w in self.wavs) / self.sample_rate

    def batches(self, size: int):
        """``(indices, wavs (batch, samples), lens)`` in manifest order."""
        for start in range(0, len(self.wavs), size):
            index = list(range(start, min(start + size, len(self.wavs))))
            yield index, *pad_waveforms([self.wavs[i] for i in index])


def _time_batches(
    predict: Callable, test: TestSet, size: int, repeats: int
) -> tuple[float, list]:
    """Seconds per batch (minimum over ``repeats``) and the probabilities."""
    batches = list(test.batches(size))
    for _, wavs, lens in batches[:3]:  # warm-up (allocations, weight packing)
        predict(wavs, lens)
    total, outputs = 0.0, []
    for index, wavs, lens in batches:
        best = float("inf")
        for _ in range(repeats):
            start = time.perf_counter()
            probs = predict(wavs, lens)
            best = min(best, time.perf_counter() - start)
        total += best
        outputs.append((index, torch.as_tensor(probs)))
    return total, outputs


def _accuracy(outputs: list, test: TestSet, labels: list[str]) -> dict:
    metrics = ClassificationMetrics(labels)
    for index, probs in outputs:
        rows = [test.rows[i] for i in index]
        targets = torch.tensor([labels.index(r["emo"]) for r in rows])
        metrics.append(
            [r["ID"] for r in rows],
            probs.clamp_min(1e-30).log(),
            targets,
            gender=[r.get("gender", "") for r in rows],
        )
    report = metrics.summarize()
    return {
        "UA": report["unweighted_accuracy"],
        "WA": report["accuracy"],
        "macro_F1": report["macro_f1"],
        "predictions": {r["ID"]: r["prediction"] for r in metrics.rows()},
    }


def one_at_a_time(
    predict: Callable, labels: list[str]
) -> Callable[[list[torch.Tensor]], list[str]]:
    """A labeller of waveforms that runs ``predict`` on one utterance at a time.

    Arguments
    ---------
    predict : callable
        ``(wavs, lens) -> probabilities``, as timed.
    labels : list of str
        The class names, in output order.

    Returns
    -------
    callable
        ``wavs -> labels`` (a list of 1-D waveforms).

    Example
    -------
    >>> def level(wavs, lens):  # (batch, time) -> (batch, 2)
    ...     peak = wavs.abs().amax(1)
    ...     return torch.stack([peak, 1 - peak], 1)
    >>> one_at_a_time(level, ["loud", "quiet"])([torch.ones(3), torch.zeros(5)])
    ['loud', 'quiet']
    """

    def predict_labels(wavs: list[torch.Tensor]) -> list[str]:
        out = []
        for wav in wavs:
            probs = torch.as_tensor(predict(*pad_waveforms([wav])))
            out.append(labels[int(probs.reshape(-1).argmax())])
        return out

    return predict_labels


def robustness(predict: Callable, test: TestSet, labels: list[str]) -> dict:
    """Gain / DC robustness of the model as measured, one utterance at a time.

    Arguments
    ---------
    predict : callable
        ``(wavs, lens) -> probabilities``, as timed.
    test : TestSet
        The test utterances.
    labels : list of str
        The class names, in output order.

    Returns
    -------
    dict
        ``robustness`` (per condition: UA, WA, delta_UA, unchanged) and
        ``robustness_failures``.
    """
    results = gain_robustness(
        one_at_a_time(predict, labels),
        test.wavs,
        [r["emo"] for r in test.rows],
        classes=labels,
    )
    return {
        "robustness": {
            name: {k: v for k, v in r.items() if k != "predictions"}
            for name, r in results.items()
        },
        "robustness_failures": robustness_failures(results),
    }


def add_transfer_options(parser: argparse.ArgumentParser) -> None:
    """``--conditions``, ``--domain``, ``--transfer_seed``: the cross-domain table's.

    Shared by ``bench.measure``, ``bench.classic`` and ``bench.run``.
    """
    parser.add_argument(
        "--conditions",
        default="",
        help="condition groups of the cross-domain table, comma-separated "
        "(gain, noise, reverb, telephone, codec) or 'all'; default none",
    )
    parser.add_argument(
        "--domain",
        action="append",
        default=[],
        help="another domain for that table (a folder with corpus.csv); "
        "repeatable; never a training or tuning corpus",
    )
    parser.add_argument(
        "--transfer_seed", type=int, default=0, help="seed of its noises and rooms"
    )


def transfer_groups(spec: str) -> list[str]:
    """``--conditions``' groups: ``all`` or a comma-separated list.

    Example
    -------
    >>> transfer_groups("noise, reverb"), transfer_groups("")
    (['noise', 'reverb'], [])
    """
    if spec.strip() == "all":
        return list(GROUPS)
    return [g.strip() for g in spec.split(",") if g.strip()]


def transfer(
    predict: Callable,
    hparams: dict,
    test: TestSet,
    groups: list[str],
    domains: list[str],
    seed: int = 0,
    per_speaker: bool = True,
) -> dict:
    """The cross-domain table of a neural row, single utterance and per speaker.

    Arguments
    ---------
    predict : callable
        ``(wavs, lens) -> probabilities``, as timed (single utterance mode).
    hparams : dict
        The loaded run (per-speaker mode for a speaker-normalised model).
    test : TestSet
        The test utterances.
    groups, domains : list of str
        Condition groups and other domains
        (:func:`speechbrain_lstm_ser.evaluation.transfer.transfer_table`).
    seed : int
        Seed of the noises and rooms.
    per_speaker : bool
        Also per speaker, for a speaker-normalised model (with its PyTorch
        modules: only for trained rows, not for a derived model's file).

    Returns
    -------
    dict
        ``transfer``: the table.
    """
    labels = hparams["emotions"]

    factories = {"utterance": lambda _speakers: one_at_a_time(predict, labels)}
    if per_speaker and reference_mode(hparams) == "speaker":
        factories["speaker"] = lambda speakers: (
            lambda wavs: _speaker_labels(hparams, wavs, speakers)
        )
    sr = test.sample_rate
    data = LabelledAudio(
        [r["ID"] for r in test.rows],
        test.wavs,
        [r["emo"] for r in test.rows],
        [r.get("spk_id", "") for r in test.rows],
        [r.get("gender", "") for r in test.rows],
    )
    table = transfer_table(
        factories,
        data,
        select_conditions(groups, sr, data.speakers, seed),
        {Path(d).name: read_domain(d, sr) for d in domains},
        classes=labels,
    )
    return {"transfer": table}


def _speaker_outputs(
    hparams: dict, wavs: list, speakers: list[str], with_dimensions: bool = False
) -> list:
    """The model's output for each of ``wavs``, against its speaker's reference.

    Every speaker's reference is the mean of all of that speaker's
    waveforms given (transductive, as the recipe's test report); each
    waveform is then run alone against it.

    Arguments
    ---------
    hparams : dict
        The loaded run.
    wavs : list of torch.Tensor
        1-D waveforms.
    speakers : list of str
        The speaker of each waveform.
    with_dimensions : bool
        Also the regressor's dimensions (a model with a regressor).

    Returns
    -------
    list
        Per waveform, the ``(1, 1, classes)`` log-probabilities, or (with
        ``with_dimensions``) those and the ``(1, dims)`` dimensions.
    """
    model, mods = hparams["model"].eval(), hparams["modules"]
    options = {"with_dimensions": True} if with_dimensions else {}
    refs = SpeakerReferences()
    prepared = []
    with torch.no_grad():
        for i, (wav, spk) in enumerate(zip(wavs, speakers, strict=True)):
            feats, lens = preprocess_waveforms(mods, wav.unsqueeze(0), torch.ones(1))
            total, count = model.reference_statistics(feats, lens)
            refs.add(str(i), spk, total[0], float(count[0]))
            prepared.append((feats, lens))
        return [
            model(feats, lens, reference=refs.speaker_reference(spk)[None], **options)
            for (feats, lens), spk in zip(prepared, speakers, strict=True)
        ]


def _speaker_labels(hparams: dict, wavs: list, speakers: list[str]) -> list[str]:
    """Labels of ``wavs``, each against its speaker's reference made of them."""
    outputs = _speaker_outputs(hparams, wavs, speakers)
    return [hparams["emotions"][int(out.reshape(-1).argmax())] for out in outputs]


def speaker_accuracy(hparams: dict, test: TestSet) -> dict:
    """UA of a speaker-normalised model measured against each test speaker.

    Every test speaker's reference is the mean of all of that speaker's test
    utterances (transductive, as the recipe's test report); each utterance
    is then classified alone against it.
    """
    speakers = [row["spk_id"] for row in test.rows]
    outputs = [
        ([i], log_probs.squeeze(1).exp())
        for i, log_probs in enumerate(_speaker_outputs(hparams, test.wavs, speakers))
    ]
    scores = _accuracy(outputs, test, hparams["emotions"])
    return {"UA_speaker": scores["UA"], "WA_speaker": scores["WA"]}


def prediction_rows(ids: list[str], predicted) -> dict[str, list[float]]:
    """``ID -> [one value per dimension]``, rounded to 6 decimals (for JSON).

    Example
    -------
    >>> prediction_rows(["a"], [[0.1234567, 0.5, 1.0]])
    {'a': [0.123457, 0.5, 1.0]}
    """
    return {
        i: [round(float(v), 6) for v in row]
        for i, row in zip(ids, predicted, strict=True)
    }


def dimension_accuracy(
    hparams: dict, test: TestSet, bootstrap: int = 1000, seed: int = 0
) -> dict:
    """CCC, Pearson and MAE of a model's dimensions, per reference mode.

    ``utterance``: each test utterance alone (no speaker information);
    ``speaker`` (a speaker-normalised model): each utterance against its
    speaker's reference made of all of that speaker's test utterances, as
    in the recipe's test report and the model card. Each mode is scored by
    :func:`speechbrain_lstm_ser.evaluation.dimensions.dimension_report`
    against the manifest's dimension columns (empty: unknown, left out).

    Arguments
    ---------
    hparams : dict
        The loaded run.
    test : TestSet
        The test utterances.
    bootstrap : int
        Resamples of the report's intervals.
    seed : int
        Their seed.

    Returns
    -------
    dict
        Empty for a model without a regressor; else ``dimensions`` (mode ->
        report) and ``dimension_predictions`` (mode -> ID -> values, in the
        order of :data:`~speechbrain_lstm_ser.dataio.manifest.DIMENSIONS`).
    """
    model, mods = hparams["model"].eval(), hparams["modules"]
    if getattr(model, "regressor", None) is None:
        return {}
    speakers = [row.get("spk_id", "") for row in test.rows]
    predicted = {}
    with torch.no_grad():
        predicted["utterance"] = [
            model.dimensions(*preprocess_waveforms(mods, wav[None], torch.ones(1)))
            for wav in test.wavs
        ]
    if reference_mode(hparams) == "speaker":
        outputs = _speaker_outputs(hparams, test.wavs, speakers, with_dimensions=True)
        predicted["speaker"] = [dims for _, dims in outputs]
    ids = [row["ID"] for row in test.rows]
    references = dimension_matrix(test.rows)
    result: dict = {"dimensions": {}, "dimension_predictions": {}}
    for mode, rows in predicted.items():
        values = torch.cat(rows).numpy()
        result["dimensions"][mode] = dimension_report(
            values,
            references,
            genders=[row.get("gender", "") for row in test.rows],
            speakers=speakers,
            bootstrap=bootstrap,
            seed=seed,
        )
        result["dimension_predictions"][mode] = prediction_rows(ids, values)
    return result


def _state_bytes(modules: dict[str, nn.Module], normalizer: nn.Module) -> int:
    """Bytes of the inference weights saved with ``torch.save``."""
    state = {name: m.state_dict() for name, m in modules.items()}
    if getattr(normalizer, "glob_mean", torch.empty(0)).numel():
        state["normalizer"] = {
            "mean": normalizer.glob_mean,
            "std": normalizer.glob_std,
        }
    buffer = io.BytesIO()
    torch.save(state, buffer)
    return buffer.tell()


def _trained_parts(graph: ClassifierOnnxGraph) -> dict[str, nn.Module]:
    """The parts with weights (filterbanks have none; an SSL front end has)."""
    parts = {
        "encoder": graph.encoder,
        "pooling": graph.pooling,
        "classifier": graph.classifier,
    }
    if any(True for _ in graph.compute_features.parameters()):
        parts["compute_features"] = graph.compute_features
    return parts


def _best_of(repeats: int, function: Callable) -> tuple:
    """``function()``'s result and its fastest time over ``repeats`` calls."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        out = function()
        best = min(best, time.perf_counter() - start)
    return out, best


def latency_breakdown(hparams: dict, test: TestSet, repeats: int) -> dict:
    """Where the time of one utterance goes, against a bare ``nn.LSTM``.

    The bare LSTM has the encoder's size and no features, normalisation,
    masking, pooling or head. It reads the same frames as the encoder, and,
    as a second reference, frames at the usual 10 ms hop.

    Arguments
    ---------
    hparams : dict
        A loaded model whose encoder is an ``LSTMEncoder``.
    test : TestSet
        The utterances (batch 1 each).
    repeats : int
        Timings per utterance; the minimum counts.

    Returns
    -------
    dict
        Real-time factors per stage and the pipeline / bare LSTM ratios.
    """
    mods, net = hparams["modules"], hparams["model"]
    first = net.encoder.forward_layers[0]
    bare = nn.LSTM(
        first.input_size,
        first.hidden_size,
        num_layers=len(net.encoder.forward_layers),
        bidirectional=net.encoder.bidirectional,
        batch_first=True,
    ).eval()
    # The model's forward, stage by stage (UtteranceClassifierModel.forward).
    stages = {
        "preprocess": lambda s: preprocess_waveforms(mods, *s),
        "features": lambda s: (net.compute_features(s[0]), s[1]),
        "normalise": lambda s: (net.mean_var_norm(*s), s[1]),
        "encoder": lambda s: (net.encoder(*s), s[0], s[1]),
        "pooling_head": lambda s: net.classifier(net.pool(*s)),
    }
    hop_10ms = test.sample_rate // 100

    def one(wav: torch.Tensor) -> dict[str, float]:
        times, state = {}, (wav[None], torch.ones(1))
        for name, stage in stages.items():
            state, times[name] = _best_of(repeats, lambda: stage(state))  # noqa: B023
            if name == "normalise":
                feats = state[0]
        times["bare_lstm"] = _best_of(repeats, lambda: bare(feats))[1]
        frames = torch.randn(1, len(wav) // hop_10ms + 1, first.input_size)
        times["bare_lstm_10ms"] = _best_of(repeats, lambda: bare(frames))[1]
        return times

    with torch.inference_mode():
        for wav in test.wavs[:3]:  # warm-up
            one(wav)
        per_utterance = [one(wav) for wav in test.wavs]
    totals = {k: sum(t[k] for t in per_utterance) for k in per_utterance[0]}
    model = sum(totals[s] for s in stages if s != "preprocess")
    return {
        **{f"rtf_{k}": v / test.seconds() for k, v in totals.items()},
        "pipeline_over_bare_lstm": model / totals["bare_lstm"],
        "end_to_end_over_bare_lstm": (model + totals["preprocess"])
        / totals["bare_lstm"],
        "pipeline_over_bare_lstm_10ms": model / totals["bare_lstm_10ms"],
        "end_to_end_over_bare_lstm_10ms": (model + totals["preprocess"])
        / totals["bare_lstm_10ms"],
        "hop_ms": hparams.get("hop_length"),
    }


def training_throughput(
    run: Path, kind: str, steps: int, threads: int, device: str = "cpu"
) -> dict:
    """Seconds of audio trained per second, as the recipe itself logs it.

    The model's recipe (``recipes/emotion/train.py``, or ``distill.py`` for a
    student, which runs its teacher too) trains from the run's
    ``hyperparams.yaml`` for ``steps`` batches, alone, with ``threads``
    threads, into a scratch folder (SpeechBrain's debug mode: checkpoints go
    to a temporary folder; nothing of the run changes). Its epoch's
    ``audio_seconds_per_second`` is the result (the first batch counts).

    Arguments
    ---------
    run : Path
        The model's recipe run folder.
    kind : str
        ``train``, ``prune`` or ``distill``.
    steps : int
        Training steps (batches).
    threads : int
        Torch intra-op threads.
    device : str
        Where to train.

    Returns
    -------
    dict
        ``audio_seconds_per_second`` and what it was measured on.
    """
    script = DISTILL_RECIPE if kind == "distill" else RECIPE
    with tempfile.TemporaryDirectory() as scratch:
        log = Path(scratch) / "train_log.txt"
        logger = (
            f"!new:speechbrain.utils.train_logger.FileTrainLogger {{save_file: {log}}}"
        )
        command = [
            sys.executable,
            str(script),
            str(run / "hyperparams.yaml"),
            "--output_folder",
            scratch,
            "--skip_prep",
            "True",
            "--export_folder",
            "null",
            "--train_logger",
            logger,
            "--debug",
            "--debug_batches",
            str(steps),
            "--debug_epochs",
            "1",
            "--device",
            device,
            "--noprogressbar",
        ]
        threads_env = {"OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads)}
        proc = subprocess.run(
            command,
            capture_output=True,
            text=True,
            env={**os.environ, **threads_env},
        )
        if proc.returncode != 0:
            raise RuntimeError(
                f"{' '.join(command)} failed:\n{(proc.stdout + proc.stderr)[-3000:]}"
            )
        report = json.loads((Path(scratch) / "test_report.json").read_text())
    return {
        "audio_seconds_per_second": report["audio_seconds_per_second"],
        "steps": steps,
        "threads": threads,
    }


def _build(args, hparams: dict, test: TestSet, run: Path) -> tuple[Callable, dict]:
    """The predict function ``(wavs, lens) -> probabilities`` and size facts."""
    mods = hparams["modules"]
    if args.kind in TRAINED:  # run by PyTorch: any front end (an SSL model too)
        graph = ClassifierOnnxGraph.from_modules(hparams["model"].parts()).eval()
    else:
        graph = ClassifierOnnxGraph.from_model(hparams["model"])

    def preprocess(wavs, lens):
        return preprocess_waveforms(mods, wavs, lens)

    info: dict = {}
    if args.kind in TRAINED or args.kind == "torch_int8":
        device = torch.device(args.device)
        if args.kind == "torch_int8":  # a CPU-only path
            device = torch.device("cpu")
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # its deprecation notice
                graph = torch.ao.quantization.quantize_dynamic(
                    copy.deepcopy(graph), {nn.LSTM, nn.Linear}, dtype=torch.qint8
                )
            buffer = io.BytesIO()
            torch.save(graph.state_dict(), buffer)
            info["size_bytes"] = buffer.tell()
        else:
            info["size_bytes"] = _state_bytes(
                _trained_parts(graph), graph.mean_var_norm
            )

        graph.to(device)
        graph.mean_var_norm.to(device)  # its statistics are not buffers

        def predict(wavs, lens):
            with torch.inference_mode():
                out = graph(*preprocess(wavs.to(device), lens.to(device)))
            # a model with a regressor also outputs its dimensions (timed too)
            probs = out[0] if isinstance(out, tuple) else out
            return probs.cpu()  # waits for the device

        return predict, info

    name = "model.int8.onnx" if args.kind == "onnx_int8" else "model.onnx"
    path = run / name
    if not path.exists():
        raise FileNotFoundError(
            f"{path} is missing: export it first (sb-lstm-ser export-onnx "
            f"{args.parent}/hyperparams.yaml --onnx {run}/model.onnx --int8)"
        )
    _, wavs, lens = next(test.batches(4))
    wavs, lens = preprocess(wavs, lens)
    key = "int8_max_abs_diff" if args.kind == "onnx_int8" else "onnx_max_abs_diff"
    info[key] = onnx_max_abs_diff(graph, path, wavs, lens)
    session = onnx_session(path, threads=1)
    info["size_bytes"] = path.stat().st_size
    info["onnx_file"] = str(path)

    def predict(wavs, lens):
        with torch.inference_mode():
            wavs, lens = preprocess(wavs, lens)
        return session.run(None, {"wavs": wavs.numpy(), "wav_lens": lens.numpy()})[0]

    return predict, info


def add_measurement_options(parser: argparse.ArgumentParser, device: str) -> None:
    """The options of a measurement, shared with ``bench.run``.

    Arguments
    ---------
    parser : argparse.ArgumentParser
        Gets ``--device``, ``--repeats``, ``--train_steps``, ``--train_threads``.
    device : str
        The default device.
    """
    parser.add_argument(
        "--device", default=device, help="cpu or cuda:N (ONNX models run on the CPU)"
    )
    parser.add_argument(
        "--repeats", type=int, default=2, help="timings per input; the minimum counts"
    )
    parser.add_argument(
        "--train_steps", type=int, default=8, help="batches timed for throughput"
    )
    parser.add_argument(
        "--train_threads", type=int, default=2, help="threads for training"
    )


def main(argv: list[str] | None = None) -> dict:
    """Measures one model and writes its JSON (see ``--help``)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kind", default="train", choices=TRAINED + DERIVED)
    parser.add_argument(
        "--run", required=True, help="the model's folder (a recipe run, or new)"
    )
    parser.add_argument(
        "--parent", help="the trained run a derived model (or a student) comes from"
    )
    parser.add_argument("--output", required=True, help="the JSON to write")
    parser.add_argument(
        "--breakdown", action="store_true", help="time each stage vs a bare LSTM"
    )
    parser.add_argument(
        "--bootstrap",
        type=int,
        default=1000,
        help="resamples of the CCC intervals (a model with a regressor)",
    )
    add_measurement_options(parser, device="cpu")
    add_transfer_options(parser)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    rss_imports = peak_rss_mb()
    run = Path(args.run)
    run.mkdir(parents=True, exist_ok=True)
    source = run if args.kind in TRAINED else Path(args.parent)
    hparams = load_trained_modules(source / "hyperparams.yaml")
    test = TestSet(
        Path(hparams["test_annotation"]),
        Path(hparams["data_folder"]),
        hparams["sample_rate"],
    )
    result = {
        "kind": args.kind,
        "params": sum(p.numel() for p in hparams["model"].parameters()),
        "test_utterances": len(test.wavs),
        "test_audio_seconds": round(test.seconds(), 2),
        "rss_after_imports_mb": round(rss_imports, 1),
    }
    predict, info = _build(args, hparams, test, run)
    result.update(info)
    seconds = test.seconds()
    time_b1, outputs = _time_batches(predict, test, 1, args.repeats)
    time_b16, _ = _time_batches(predict, test, 16, args.repeats)
    result["rtf_batch1"] = time_b1 / seconds
    result["rtf_batch16"] = time_b16 / seconds
    result.update(_accuracy(outputs, test, hparams["emotions"]))
    result.update(robustness(predict, test, hparams["emotions"]))
    if args.kind in TRAINED and reference_mode(hparams) == "speaker":
        result.update(speaker_accuracy(hparams, test))
    if args.kind in TRAINED:
        result.update(dimension_accuracy(hparams, test, args.bootstrap))
    groups = transfer_groups(args.conditions)
    if groups or args.domain:
        result.update(
            transfer(
                predict,
                hparams,
                test,
                groups,
                args.domain,
                args.transfer_seed,
                per_speaker=args.kind in TRAINED,
            )
        )
    encoder = hparams["model"].encoder
    if args.breakdown and args.device == "cpu" and isinstance(encoder, LSTMEncoder):
        result["latency_breakdown"] = latency_breakdown(hparams, test, args.repeats)
    result["peak_rss_mb"] = round(peak_rss_mb(), 1)
    if args.kind in TRAINED:
        report = json.loads((run / "test_report.json").read_text())
        result["recipe_test_UA"] = report["unweighted_accuracy"]
        if report.get("fusion"):  # the recipe's fused test (the table: model alone)
            fused = report["fusion"]["test"]
            result["fused"] = {
                "weights": report["fusion"]["weights"],
                **{mode: s["unweighted_accuracy"] for mode, s in fused.items()},
            }
        result["epochs_trained"] = report["epochs_trained"]
        result["train_time_s"] = report["train_time_s"]
        result["training"] = {
            **training_throughput(
                run, args.kind, args.train_steps, args.train_threads, args.device
            ),
            "batch_size": hparams["dataloader_options"]["batch_size"],
        }
    result["rtf_batch1_per_utterance_ms"] = round(1000 * time_b1 / len(test.wavs), 3)
    result["median_utterance_seconds"] = statistics.median(
        len(w) / test.sample_rate for w in test.wavs
    )
    write_json(args.output, result)
    return result


if __name__ == "__main__":
    main()
