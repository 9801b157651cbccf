"""The benchmark: accuracy and cost of every model, side by side.

Every model of ``bench/models.yaml`` is trained (or derived), measured, and
reported in one table and one JSON, in one run::

    python -m bench.run                      # embedded corpus, all models
    python -m bench.run --epochs 20          # longer training
    python -m bench.run --models bilstm_attn lstm_attn
    python -m bench.run --manifests DIR --data_folder ROOT   # your corpus

Training uses the emotion recipe itself (``recipes/emotion/train.py``),
``--jobs`` trainings side by side, each with cores / jobs threads (on 2
cores: two of one thread each); each model is then measured alone, in a
fresh process (:mod:`bench.measure`). Outputs go to ``--output`` (default
``results/bench``): ``bench.json`` (everything), ``bench.md`` (the table), and
one folder per model with the recipe's outputs and the command that trained
it. A second run reuses finished trainings of the same configuration.

``kind: classic`` rows (:mod:`bench.classic`: functionals and an SVM tuned on
the validation split) are trained and measured in one fresh process on the
same manifests. Every row, classic or neural, gets the gain-robustness
conditions (UA at -20, -10, 0, +6 dB and with a DC offset, labels unchanged),
in a second table.

Rows with an ``ssl`` entry train ``hparams/ssl_lstm.yaml`` (a frozen
self-supervised front end, its layers cached once in
``<output>/ssl_feature_cache``). By default their SSL model is a tiny random
WavLM built into ``<output>/ssl_models`` (it tests the plumbing; its accuracy
means nothing); a real one is one option away::

    python -m bench.run --models bilstm_attn ssl_lstm \
        --ssl_source microsoft/wavlm-base-plus --ssl_hidden_size 768 --device cuda:0

Without ``transformers`` (``pip install ".[ssl]"``) those rows are left out
with one line, unless named in ``--models``.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import platform
import re
import shlex
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import numpy as np
import ruamel.yaml

from bench.measure import add_measurement_options, add_transfer_options
from bench.recipe import DISTILL_RECIPE, HPARAMS, RECIPE, ROOT
from speechbrain_lstm_ser.evaluation.classification import classification_report
from speechbrain_lstm_ser.evaluation.reports import write_json
from speechbrain_lstm_ser.evaluation.transfer import format_transfer_table

__all__ = ["compose_hparams", "main", "paired_bootstrap"]

CONFIG = Path(__file__).with_name("models.yaml")
TRAINED_KINDS = ("train", "prune", "distill")
#: The tiny random SSL model of ``ssl`` rows without ``--ssl_source``.
TINY_SSL = {"model_type": "wavlm", "hidden_size": 32, "num_layers": 2}


def _has_transformers() -> bool:
    try:
        import transformers  # noqa: F401  (lazy: imports little until used)
    except ImportError:
        return False
    return True


def _yaml() -> ruamel.yaml.YAML:
    """Round-trip YAML: tags such as ``!new:`` are kept, not constructed."""
    yaml = ruamel.yaml.YAML()
    yaml.width = 4096
    return yaml


def _dump(data) -> str:
    buffer = io.StringIO()
    _yaml().dump(data, buffer)
    return buffer.getvalue()


def _apply_changes(doc, changes: Mapping) -> None:
    for key, value in changes.items():
        tagged = getattr(getattr(value, "tag", None), "value", None)
        if (
            isinstance(value, Mapping)
            and not tagged
            and isinstance(doc.get(key), Mapping)
        ):
            _apply_changes(doc[key], value)
        else:
            doc[key] = value


def compose_hparams(base: str | os.PathLike, changes: Mapping) -> str:
    """The text of ``base`` (a recipe YAML) with entries changed.

    A changed value with a tag (``!new:``, ``!name:``...) replaces the
    entry whole; a plain mapping updates the entry's arguments; anything
    else replaces it. References (``!ref``) are kept, to be resolved when
    the recipe loads the file.

    Arguments
    ---------
    base : str or os.PathLike
        The YAML to start from (``hparams/lstm.yaml``).
    changes : mapping
        Round-trip-loaded YAML (see ``bench/models.yaml``, ``hparams``).

    Returns
    -------
    str
        The composed YAML.

    Example
    -------
    >>> changes = _yaml().load("{lstm_hidden: 48, classifier: {dropout: 0.1}}")
    >>> text = compose_hparams(HPARAMS, changes)
    >>> "lstm_hidden: 48" in text and "dropout: 0.1" in text
    True
    >>> f"!include:{Path(HPARAMS).resolve().parent.as_posix()}/common/" in text
    True
    """
    doc = _yaml().load(Path(base).read_text(encoding="utf-8"))
    _apply_changes(doc, changes or {})
    # The composed file lives elsewhere: its includes point back at base's.
    folder = Path(base).resolve().parent.as_posix()
    return re.sub(r"!include:(?!/)", f"!include:{folder}/", _dump(doc))


def paired_bootstrap(
    references: Sequence[str],
    baseline: Sequence[str],
    other: Sequence[str],
    labels: Sequence[str],
    resamples: int = 1000,
    seed: int = 0,
) -> tuple[float, float, float]:
    """UA difference (other - baseline) with a 95% paired bootstrap interval.

    Both models are scored on the same resampled utterances, so the
    interval reflects how much the difference depends on which test
    utterances were drawn (not on training randomness).

    Arguments
    ---------
    references : sequence of str
        True labels.
    baseline, other : sequence of str
        Predictions of the two models, same utterances, same order.
    labels : sequence of str
        The class set.
    resamples : int
        Bootstrap resamples.
    seed : int
        Seed of the resampling.

    Returns
    -------
    delta, low, high : float

    Example
    -------
    >>> refs = ["a", "b"] * 20
    >>> paired_bootstrap(refs, refs, refs, ["a", "b"], resamples=50)
    (0.0, 0.0, 0.0)
    """

    def ua(preds, index):
        return classification_report(
            [references[i] for i in index], [preds[i] for i in index], labels
        )["unweighted_accuracy"]

    every = range(len(references))
    delta = ua(other, every) - ua(baseline, every)
    rng = np.random.default_rng(seed)
    samples = [
        ua(other, index) - ua(baseline, index)
        for index in rng.integers(0, len(references), (resamples, len(references)))
    ]
    low, high = np.percentile(samples, [2.5, 97.5])
    return round(delta, 6), round(float(low), 6), round(float(high), 6)


class Bench:
    """Runs the models of a configuration into one output folder."""

    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.out = Path(args.output).resolve()
        self.config = _yaml().load(Path(args.config).read_text(encoding="utf-8"))
        self.models = self.config["models"]
        self.reference = self.config["reference"]
        self.env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(
                filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])
            ),
            "OMP_NUM_THREADS": str(args.job_threads),
            "MKL_NUM_THREADS": str(args.job_threads),
        }
        self.log = []
        self.run_opts = ["--device", args.device, "--noprogressbar"]
        self._ssl_lock = threading.Lock()

    # ------------------------------------------------------------ helpers
    def run_dir(self, name: str) -> Path:
        return self.out / "runs" / name

    def _call(self, name: str, command: list[str], env=None) -> float:
        """Runs a command, logging it to the model's folder; its duration."""
        text = " ".join(shlex.quote(str(c)) for c in command)
        print(f"[bench] {name}: {text}", flush=True)
        folder = self.run_dir(name)
        folder.mkdir(parents=True, exist_ok=True)
        with open(folder / "commands.sh", "a", encoding="utf-8") as handle:
            handle.write(f"PYTHONPATH=. {text}\n")
        start = time.time()
        proc = subprocess.run(
            [str(c) for c in command],
            cwd=ROOT,
            env=env or self.env,
            capture_output=True,
            text=True,
        )
        log = Path(str(command[2] if command[1] == "-m" else command[1])).name
        with open(folder / f"{log}.log", "a", encoding="utf-8") as handle:
            handle.write(proc.stdout + proc.stderr)
        if proc.returncode != 0:
            raise RuntimeError(
                f"{name}: command failed ({proc.returncode}): {text}\n"
                f"{(proc.stdout + proc.stderr)[-4000:]}"
            )
        return time.time() - start

    def order(self, names: Sequence[str]) -> list[str]:
        """``names`` and their parents, parents first.

        The reference model comes first when a model's budget is its
        training time.
        """
        ordered: list[str] = []

        def visit(name: str) -> None:
            if name not in self.models:
                raise KeyError(f"unknown model {name!r}; known: {list(self.models)}")
            parent = self.models[name].get("parent")
            if parent:
                visit(parent)
            if name not in ordered:
                ordered.append(name)

        for name in names:
            visit(name)
        ssl_rows = [n for n in ordered if self.models[n].get("ssl") is not None]
        if ssl_rows and not _has_transformers():
            named = [n for n in ssl_rows if n in (self.args.models or [])]
            if named:
                raise SystemExit(
                    f"{', '.join(named)}: an SSL front end needs transformers: "
                    'pip install ".[ssl]"'
                )
            print(
                f"[bench] {', '.join(ssl_rows)}: left out (an SSL front end needs "
                'transformers: pip install ".[ssl]")',
                flush=True,
            )
            ordered = [n for n in ordered if n not in ssl_rows]
        wallclock = any(self.models[n].get("budget") == "wallclock" for n in ordered)
        if wallclock and self.args.budget == "mixed":
            # wall-clock budgets are the reference model's training time
            if self.reference in ordered:
                ordered.remove(self.reference)
            ordered.insert(0, self.reference)
        return ordered

    # ---------------------------------------------------------------- data
    def prepare_data(self) -> dict[str, str]:
        """Manifests for every run: the given ones or the embedded corpus."""
        if self.args.manifests:
            folder = Path(self.args.manifests).resolve()
            data_folder = Path(self.args.data_folder).resolve()
        else:
            from hyperpyyaml import load_hyperpyyaml

            from speechbrain_lstm_ser.dataio.prepare_emotion import (
                prepare_emotion_data,
            )

            with open(HPARAMS, encoding="utf-8") as handle:
                hp = load_hyperpyyaml(handle)
            folder = self.out / "manifests"
            data_folder = Path(self.args.data_folder).resolve()
            start = time.time()
            options = {**hp["prepare"], "dataset": "embedded"}
            prepare_emotion_data(data_folder, folder, options)
            self.log.append(("data preparation", time.time() - start))
        return {
            "data_folder": str(data_folder),
            "skip_prep": "True",
            **{
                f"{s}_annotation": str(folder / f"{s}.csv")
                for s in ("train", "valid", "test")
            },
        }

    # ------------------------------------------------------------ training
    def base_hparams(self, name: str) -> Path:
        """The YAML a model starts from: ``hparams_file`` or ``hparams/lstm.yaml``."""
        base = self.models[name].get("hparams_file")
        return HPARAMS.parent / str(base) if base else HPARAMS

    def ssl_overrides(self, name: str) -> dict:
        """The SSL model of an ``ssl`` row: ``--ssl_source``, or a tiny random one.

        The tiny model is written once into ``<output>/ssl_models``; every
        SSL row caches its layers in ``<output>/ssl_feature_cache``.
        """
        spec = self.models[name].get("ssl")
        if spec is None:
            return {}
        if self.args.ssl_source:
            source, width = self.args.ssl_source, self.args.ssl_hidden_size
            if Path(source).exists():  # a local folder: the recipes run from ROOT
                source = Path(source).resolve()
        else:
            tiny = {**TINY_SSL, **(spec.get("tiny") or {})}
            folder_name = "tiny_{model_type}_{hidden_size}x{num_layers}".format(**tiny)
            folder = self.out / "ssl_models" / folder_name
            with self._ssl_lock:  # rows train side by side
                if not (folder / "config.json").is_file():
                    from speechbrain_lstm_ser.nnet.ssl import save_tiny_ssl_model

                    save_tiny_ssl_model(folder, **tiny)
            source, width = folder, tiny["hidden_size"]
        return {
            "ssl_source": source,
            "ssl_hidden_size": width,
            "ssl_cache_folder": self.out / "ssl_feature_cache",
        }

    def _override_args(self, overrides: Mapping) -> list[str]:
        args = []
        for key, value in overrides.items():
            args += [f"--{key}", str(value)]
        return args

    def _recipe(self, name: str, overrides: dict, epochs: int) -> float:
        """Runs the recipe (training resumes from its checkpoints); train time."""
        args = self._override_args({**overrides, "number_of_epochs": epochs})
        hparams = self.run_dir(name) / "hparams.yaml"
        self._call(name, [sys.executable, RECIPE, hparams, *args, *self.run_opts])
        report = json.loads((self.run_dir(name) / "test_report.json").read_text())
        return report["train_time_s"]

    def train(self, name: str, reference_seconds: float | None) -> None:
        """Trains (or prunes and fine-tunes, or distils) one model."""
        spec = self.models[name]
        kind = spec.get("kind", "train")
        folder = self.run_dir(name)
        parent = spec.get("parent")
        wallclock = spec.get("budget") == "wallclock" and self.args.budget == "mixed"
        if wallclock and (kind != "train" or reference_seconds is None):
            raise ValueError(
                f"{name}: a wallclock budget needs kind train and a "
                "reference model trained first"
            )
        changes = dict(spec.get("hparams") or {})
        if kind == "prune":
            # The pruned checkpoint holds the model, not the optimizer state.
            changes["checkpointer"] = {"allow_partial_load": True}
        hparams_text = compose_hparams(self.base_hparams(name), changes)
        overrides = {
            **self.data,
            "output_folder": folder,
            "seed": self.args.seed,
            **self.ssl_overrides(name),
        }
        for item in self.args.override:
            key, _, value = item.partition("=")
            overrides[key] = value
        fingerprint = hashlib.sha256(
            json.dumps(
                [
                    hparams_text,
                    self.args.epochs,
                    self.args.budget,
                    {k: str(v) for k, v in overrides.items()},
                    _dump(spec),
                    self._fingerprint(parent) if parent else "",
                ]
            ).encode()
        ).hexdigest()[:16]
        stamp = folder / "bench_run.json"
        if stamp.exists():
            done = json.loads(stamp.read_text())
            if (
                done["fingerprint"] == fingerprint
                and (folder / "test_report.json").exists()
            ):
                print(f"[bench] {name}: trained already (same configuration)")
                return
            shutil.rmtree(folder)  # our own output, of another configuration
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "hparams.yaml").write_text(hparams_text, encoding="utf-8")
        epochs = max(1, round(self.args.epochs * float(spec.get("epochs_scale", 1))))
        start = time.time()
        if kind == "train" and wallclock:
            # One epoch, then as many as fit in the reference's training time
            # (its learning rate must not depend on the number of epochs).
            first = self._recipe(name, overrides, 1)
            epochs = max(1, int(reference_seconds // first))
            if epochs > 1:
                self._recipe(name, overrides, epochs)
        elif kind == "train":
            self._recipe(name, overrides, epochs)
        elif kind == "prune":
            self._call(
                name,
                [
                    sys.executable,
                    "-m",
                    "speechbrain_lstm_ser.compression.pruning",
                    self.run_dir(parent) / "hyperparams.yaml",
                    folder / "hparams.yaml",
                    *self._override_args(overrides),
                ],
            )
            self._recipe(name, overrides, epochs)
        elif kind == "distill":
            options = spec.get("distill") or {}
            args = self._override_args(
                {
                    **overrides,
                    "number_of_epochs": epochs,
                    "teacher": self.run_dir(parent),
                    "distill_temperature": options.get("temperature", 2.0),
                    "distill_alpha": options.get("alpha", 0.5),
                }
            )
            self._call(
                name,
                [
                    sys.executable,
                    DISTILL_RECIPE,
                    folder / "hparams.yaml",
                    *args,
                    *self.run_opts,
                ],
            )
        self.log.append((f"train {name}", time.time() - start))
        write_json(stamp, {"fingerprint": fingerprint, "epochs": epochs})

    def _fingerprint(self, name: str) -> str:
        stamp = self.run_dir(name) / "bench_run.json"
        return json.loads(stamp.read_text())["fingerprint"] if stamp.exists() else ""

    def export(self, name: str) -> None:
        """Exports a model to ONNX (and int8) with the package's command."""
        spec = self.models[name]
        if spec.get("kind") not in ("onnx", "onnx_int8"):
            self.run_dir(name).mkdir(parents=True, exist_ok=True)
            return
        command = [  # sb-lstm-ser export-onnx
            sys.executable,
            "-m",
            "speechbrain_lstm_ser.cli",
            "export-onnx",
            self.run_dir(spec["parent"]) / "hyperparams.yaml",
            "--onnx",
            self.run_dir(name) / "model.onnx",
        ]
        if spec["kind"] == "onnx_int8":
            command.append("--int8")
        start = time.time()
        self._call(name, command)
        self.log.append((f"export {name}", time.time() - start))

    def build_all(self, names: Sequence[str]) -> None:
        """Trains and exports ``names``, ``--jobs`` at a time.

        A model starts once its parent is built; a model with a wall-clock
        budget once the reference model is trained. ``names`` lists parents
        first, so a waiting model never holds back the one it waits for.
        """
        futures: dict[str, Future] = {}

        def build(name: str) -> None:
            spec = self.models[name]
            if spec.get("parent"):
                futures[spec["parent"]].result()
            if spec.get("kind", "train") not in TRAINED_KINDS:
                self.export(name)
                return
            reference_seconds = None
            if spec.get("budget") == "wallclock" and self.reference in futures:
                futures[self.reference].result()
                report = self.run_dir(self.reference) / "test_report.json"
                reference_seconds = json.loads(report.read_text())["train_time_s"]
            self.train(name, reference_seconds)

        pool = ThreadPoolExecutor(max_workers=self.args.jobs)
        try:
            for name in names:
                futures[name] = pool.submit(build, name)
            for future in futures.values():
                future.result()
        finally:  # the first failure stops what has not started
            pool.shutdown(wait=True, cancel_futures=True)

    # ------------------------------------------------------------- measure
    def measure(self, name: str) -> dict:
        """Measures one model in a fresh process; its results."""
        spec = self.models[name]
        kind = spec.get("kind", "train")
        output = self.run_dir(name) / "measure.json"
        if kind == "classic":
            return self.measure_classic(name, output)
        command = [
            sys.executable,
            "-m",
            "bench.measure",
            "--kind",
            kind,
            "--run",
            self.run_dir(name),
            "--output",
            output,
            "--repeats",
            self.args.repeats,
            "--train_steps",
            self.args.train_steps,
            "--train_threads",
            self.args.train_threads,
            "--device",
            self.args.device,
        ]
        command += self.transfer_args()
        if spec.get("parent"):
            command += ["--parent", self.run_dir(spec["parent"])]
        if name == self.reference:
            command.append("--breakdown")
        env = {**self.env, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
        start = time.time()
        self._call(name, command, env=env)
        self.log.append((f"measure {name}", time.time() - start))
        return json.loads(output.read_text())

    def measure_classic(self, name: str, output: Path) -> dict:
        """Trains, tunes and measures a classic baseline (:mod:`bench.classic`)."""
        options = self.models[name].get("classic") or {}
        command = [
            sys.executable,
            "-m",
            "bench.classic",
            "--manifests",
            Path(self.data["train_annotation"]).parent,
            "--data_folder",
            self.data["data_folder"],
            "--features",
            options.get("features", "auto"),
            "--normalisation",
            options.get("normalisation", "speaker"),
            "--cache",
            self.out / "classic_features",
            "--output",
            output,
            *self.transfer_args(),
        ]
        env = {**self.env, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
        start = time.time()
        self._call(name, command, env=env)
        self.log.append((f"classic {name}", time.time() - start))
        return json.loads(output.read_text())

    def transfer_args(self) -> list[str]:
        """The cross-domain table's options, for every row's measurement."""
        args = ["--conditions", self.args.conditions]
        args += ["--transfer_seed", str(self.args.transfer_seed)]
        for domain in self.args.domain:
            args += ["--domain", str(domain)]
        return args if self.args.conditions or self.args.domain else []

    # --------------------------------------------------------------- table
    def compare(self, results: dict[str, dict]) -> None:
        """Adds size ratios and paired UA differences against the reference."""
        ref = results.get(self.reference)
        if ref is None:
            return
        ids = sorted(ref["predictions"])
        manifest = Path(self.data["test_annotation"])
        labels = {
            row.split(",")[0]: row.split(",")[5]
            for row in manifest.read_text().splitlines()[1:]
        }
        references = [labels[i] for i in ids]
        classes = sorted(set(references))
        for result in results.values():
            result["size_ratio"] = ref["size_bytes"] / result["size_bytes"]
            delta = paired_bootstrap(
                references,
                [ref["predictions"][i] for i in ids],
                [result["predictions"][i] for i in ids],
                classes,
                resamples=self.args.bootstrap,
            )
            result["delta_UA_vs_reference"] = delta

    def table(self, results: dict[str, dict]) -> str:
        """The comparison as a Markdown table."""
        head = (
            "| model | params | size (MB) | x smaller | train (audio s/s) | "
            "RTF b1 | RTF b16 | peak RSS (MB) | UA | ΔUA vs ref [95% CI] | "
            "macro-F1 | UA per speaker | epochs |"
        )
        lines = [head, "|" + "---|" * 13]
        for name, r in results.items():
            train = r.get("training", {}).get("audio_seconds_per_second")
            delta = r.get("delta_UA_vs_reference")
            delta_text = (
                f"{100 * delta[0]:+.1f} [{100 * delta[1]:+.1f}, {100 * delta[2]:+.1f}]"
                if delta and name != self.reference
                else "reference"
            )
            speaker_ua = f"{100 * r['UA_speaker']:.1f}" if "UA_speaker" in r else "-"
            lines.append(
                f"| {name} | {r['params'] / 1e3:.0f}k | {r['size_bytes'] / 1e6:.2f} | "
                f"{r.get('size_ratio', 1):.1f} | "
                f"{f'{train:.0f}' if train else '-'} | {r['rtf_batch1']:.4f} | "
                f"{r['rtf_batch16']:.4f} | {r['peak_rss_mb']:.0f} | "
                f"{100 * r['UA']:.1f} | {delta_text} | {100 * r['macro_F1']:.1f} | "
                f"{speaker_ua} | {r.get('epochs_trained', '-')} |"
            )
        return "\n".join(lines)

    def robustness_table(self, results: dict[str, dict]) -> str:
        """UA (%) of every row with the test waveforms perturbed, as Markdown.

        ``unchanged`` is the smallest share of labels unchanged from 0 dB
        over the perturbed conditions; ``criterion``: UA within 2 points of
        0 dB and at least 90 % unchanged in each.
        """
        conditions = ("0 dB", "-20 dB", "-10 dB", "+6 dB", "DC")
        lines = [
            "| model | "
            + " | ".join(f"UA {c}" for c in conditions)
            + " | unchanged (min) | criterion |",
            "|" + "---|" * (len(conditions) + 3),
        ]
        for name, r in results.items():
            rob = r.get("robustness")
            if not rob:
                lines.append(f"| {name} |" + " - |" * (len(conditions) + 2))
                continue
            cells = [
                f"{100 * rob[c]['UA']:.1f}" if c in rob else "-" for c in conditions
            ]
            unchanged = min(rob[c]["unchanged"] for c in conditions[1:] if c in rob)
            met = "met" if not r.get("robustness_failures") else "not met"
            lines.append(
                f"| {name} | {' | '.join(cells)} | {100 * unchanged:.1f} % | {met} |"
            )
        return "\n".join(lines)

    def transfer_tables(self, results: dict[str, dict]) -> str:
        """Every row's cross-domain table (``--conditions``, ``--domain``)."""
        return "\n\n".join(
            f"**{name}**: cross-domain and corrupted conditions\n\n"
            + format_transfer_table(r["transfer"])
            for name, r in results.items()
            if r.get("transfer")
        )

    def notes(self, results: dict[str, dict]) -> str:
        """What the table needs to be read right."""
        lines = []
        ref = results.get(self.reference, {})
        breakdown = ref.get("latency_breakdown")
        if breakdown:
            lines.append(
                f"Latency of {self.reference} at batch 1 (one thread), as a "
                "real-time factor per stage: "
                + ", ".join(
                    f"{k[4:]} {v:.5f}"
                    for k, v in breakdown.items()
                    if k.startswith("rtf_")
                )
                + f". Features -> head: {breakdown['pipeline_over_bare_lstm']:.2f}x "
                "a bare nn.LSTM of the same size on the same frames "
                f"({breakdown['end_to_end_over_bare_lstm']:.2f}x with silence "
                "trimming); end to end, "
                f"{breakdown['end_to_end_over_bare_lstm_10ms']:.2f}x the bare "
                "nn.LSTM on 10 ms frames."
            )
        for name, r in results.items():
            if "onnx_max_abs_diff" in r:
                lines.append(
                    f"{name}: max |onnxruntime - PyTorch| on probabilities "
                    f"{r['onnx_max_abs_diff']:.1e}."
                )
            if "int8_max_abs_diff" in r:
                lines.append(
                    f"{name}: max |int8 onnxruntime - float32 PyTorch| on "
                    f"probabilities {r['int8_max_abs_diff']:.1e}."
                )
        for name, r in results.items():
            if "ssl_source" in r:
                tiny = not self.args.ssl_source
                lines.append(
                    f"{name}: SSL front end {r['ssl_source']}"
                    + (
                        " (a tiny randomly initialised WavLM: the row checks the "
                        "pipeline, its accuracy means nothing; --ssl_source names "
                        "a real one)"
                        if tiny
                        else ""
                    )
                    + "; training throughput is the head's, from the feature "
                    "cache; RTF and robustness run the SSL model live."
                )
            if r.get("kind") == "classic":
                chosen = r["chosen"]
                lines.append(
                    f"{name}: {r['features']} features ({r['feature_set']}), "
                    f"{r['normalisation']} z-scoring, RBF SVM C={chosen['C']:g} "
                    f"gamma={chosen['gamma']:.3g} (validation UA "
                    f"{100 * chosen['valid_UA']:.1f}); size and params are the "
                    "SVM's (support vectors); its RTF includes the features."
                )
                if r["feature_set"] == "egemaps":
                    lines.append(
                        f"{name}: eGeMAPSv02 computed by openSMILE, under "
                        "audEERING's research licence (not for commercial use)."
                    )
        if ref:
            lines.append(
                "Peak RSS is that of the measuring process; Python, PyTorch and "
                f"SpeechBrain take {ref['rss_after_imports_mb']:.0f} MB of it."
            )
        return "\n".join(f"- {line}" for line in lines)


def _machine(device: str) -> dict:
    import onnxruntime
    import torch

    cpu = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    info = {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "onnxruntime": onnxruntime.__version__,
        "device": device,
    }
    if device.startswith("cuda"):
        info["gpu"] = torch.cuda.get_device_name(device)
    return info


def main(argv: list[str] | None = None) -> dict:
    """Runs the benchmark (see the module docstring and ``--help``)."""
    import torch

    parser = argparse.ArgumentParser(
        description="Benchmark the emotion models: accuracy and cost, one table.",
    )
    parser.add_argument("--config", default=str(CONFIG), help="the models YAML")
    parser.add_argument(
        "--models", nargs="+", help="models to run (default: all; parents are added)"
    )
    parser.add_argument("--output", default="results/bench", help="output folder")
    parser.add_argument(
        "--epochs", type=int, default=6, help="training epochs (budget: epochs)"
    )
    parser.add_argument(
        "--budget",
        choices=("mixed", "epochs"),
        default="mixed",
        help="mixed: models marked 'wallclock' get the reference model's "
        "training time; epochs: every model gets --epochs",
    )
    parser.add_argument("--seed", type=int, default=1986, help="training seed")
    parser.add_argument(
        "--data_folder",
        default="data/embedded_emotion",
        help="the corpus (the embedded one is generated there if missing)",
    )
    parser.add_argument(
        "--manifests", help="a folder with train/valid/test.csv of your corpus"
    )
    parser.add_argument(
        "--override",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a YAML override for every training run (repeatable)",
    )
    parser.add_argument(
        "--ssl_source",
        help="the SSL model of the rows with an `ssl` entry: a Hub id or a "
        "local folder (default: a tiny random WavLM, for the pipeline only)",
    )
    parser.add_argument(
        "--ssl_hidden_size",
        type=int,
        default=768,
        help="the width of --ssl_source (768 base, 1024 large)",
    )
    add_measurement_options(
        parser, device="cuda:0" if torch.cuda.is_available() else "cpu"
    )
    add_transfer_options(parser)
    parser.add_argument(
        "--bootstrap", type=int, default=1000, help="paired bootstrap resamples"
    )
    parser.add_argument(
        "--jobs",
        type=int,
        help="trainings and exports run side by side, each with cores/jobs "
        "threads (default: min(4, cores) on CPUs, 1 on a GPU); measurements "
        "always run one at a time",
    )
    args = parser.parse_args(argv)

    started = time.time()
    cores = os.cpu_count() or 1
    if args.jobs is None:
        args.jobs = 1 if args.device.startswith("cuda") else max(1, min(4, cores))
    args.job_threads = max(1, cores // args.jobs)
    bench = Bench(args)
    names = bench.order(args.models or list(bench.models))
    bench.data = bench.prepare_data()
    bench.build_all(names)
    # Measured one at a time, on a quiet machine.
    results = {name: bench.measure(name) for name in names}
    for name, result in results.items():
        result["description"] = str(bench.models[name].get("description", ""))
        ssl = bench.ssl_overrides(name)
        if ssl:
            result["ssl_source"] = str(
                Path(ssl["ssl_source"]).relative_to(bench.out)
                if not args.ssl_source
                else ssl["ssl_source"]
            )
    bench.compare(results)
    table = bench.table(results) + "\n\n" + bench.robustness_table(results)
    transfer = bench.transfer_tables(results)
    if transfer:
        table += "\n\n" + transfer
    notes = bench.notes(results)
    summary = {
        "command": " ".join(["python -m bench.run", *(argv or sys.argv[1:])]),
        "settings": {k: v for k, v in vars(args).items()},
        "machine": _machine(args.device),
        "reference": bench.reference,
        "wall_seconds": round(time.time() - started, 1),
        "steps": [(step, round(sec, 1)) for step, sec in bench.log],
        "models": results,
    }
    write_json(bench.out / "bench.json", summary)
    descriptions = "\n".join(
        f"- **{n}**: {r['description']}" for n, r in results.items()
    )
    (bench.out / "bench.md").write_text(
        f"{table}\n\n{notes}\n\n{descriptions}\n", encoding="utf-8"
    )
    print(f"\n{table}\n\n{notes}\n\n{descriptions}\n")
    print(f"[bench] {summary['wall_seconds']:.0f} s; written to {bench.out}")
    return summary


if __name__ == "__main__":
    main()
