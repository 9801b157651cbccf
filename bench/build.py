"""Builds the benchmark's models: trains, prunes, distils and exports them.

Each model is built into its own folder with the package's own commands, the
way users run them: ``recipes/emotion/train.py`` on the model's YAML
(:func:`bench.recipe.compose_hparams`), ``compression.pruning`` then the
recipe, ``recipes/emotion/distill.py``, ``sb-lstm-ser export-onnx``.
``--jobs`` models are built side by side, each once its parent is built. A
finished training of the same configuration (its fingerprint in
``bench_run.json``) is reused.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor

from bench.plan import Plan
from bench.recipe import DISTILL_RECIPE, RECIPE, compose_hparams, dump_yaml
from bench.ssl_models import SSLModels
from bench.workspace import Workspace
from speechbrain_lstm_ser.evaluation.reports import write_json

__all__ = ["TRAINED_KINDS", "Builder", "as_options"]

#: Kinds trained with a recipe; the other kinds are exported or derived.
TRAINED_KINDS = ("train", "prune", "distill")


def as_options(overrides: Mapping) -> list[str]:
    """Command-line overrides of a recipe: ``--key value`` for each entry.

    Example
    -------
    >>> as_options({"seed": 3, "output_folder": "out"})
    ['--seed', '3', '--output_folder', 'out']
    """
    args = []
    for key, value in overrides.items():
        args += [f"--{key}", str(value)]
    return args


class Builder:
    """Trains (or prunes and fine-tunes, or distils) and exports the planned models.

    Arguments
    ---------
    plan : Plan
        The models, after :meth:`Plan.prepare_data`.
    workspace : Workspace
        Where each model is built.
    args : argparse.Namespace
        The options of ``python -m bench.run`` (``epochs``, ``budget``,
        ``seed``, ``override``, ``ssl_source``, ``ssl_hidden_size``,
        ``device``, ``jobs``).
    """

    def __init__(self, plan: Plan, workspace: Workspace, args: argparse.Namespace):
        self.plan = plan
        self.workspace = workspace
        self.args = args
        self.run_opts = ["--device", args.device, "--noprogressbar"]
        #: The SSL model of each ``ssl`` row.
        self.ssl = SSLModels(workspace.out, args.ssl_source, args.ssl_hidden_size)

    def build_all(self, names: Sequence[str]) -> None:
        """Trains and exports ``names``, ``--jobs`` at a time.

        A model starts once its parent is built; a model with a wall-clock
        budget once the reference model is trained. ``names`` lists parents
        first, so a waiting model never holds back the one it waits for.
        """
        futures: dict[str, Future] = {}
        reference = self.plan.reference

        def build(name: str) -> None:
            spec = self.plan.models[name]
            if spec.get("parent"):
                futures[spec["parent"]].result()
            if self.plan.kind(name) not in TRAINED_KINDS:
                self.export(name)
                return
            reference_seconds = None
            if spec.get("budget") == "wallclock" and reference in futures:
                futures[reference].result()
                report = self.workspace.run_dir(reference) / "test_report.json"
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

    def train(self, name: str, reference_seconds: float | None) -> None:
        """Trains (or prunes and fine-tunes, or distils) one model.

        ``reference_seconds``: the reference model's training time, the
        budget of a model marked ``budget: wallclock``.
        """
        kind = self.plan.kind(name)
        folder = self.workspace.run_dir(name)
        wallclock = self.plan.wallclock(name)
        if wallclock and (kind != "train" or reference_seconds is None):
            raise ValueError(
                f"{name}: a wallclock budget needs kind train and a "
                "reference model trained first"
            )
        hparams_text, overrides = self.configuration(name)
        fingerprint = self.fingerprint(name, hparams_text, overrides)
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
        scale = float(self.plan.models[name].get("epochs_scale", 1))
        epochs = max(1, round(self.args.epochs * scale))
        with self.workspace.timed(f"train {name}"):
            if wallclock:
                epochs = self._train_for(name, overrides, reference_seconds)
            elif kind == "train":
                self._recipe(name, overrides, epochs)
            elif kind == "prune":
                self._prune(name, overrides)
                self._recipe(name, overrides, epochs)
            elif kind == "distill":
                self._distill(name, overrides, epochs)
        write_json(stamp, {"fingerprint": fingerprint, "epochs": epochs})

    def configuration(self, name: str) -> tuple[str, dict]:
        """The YAML of model ``name`` and the recipe's overrides for it."""
        spec = self.plan.models[name]
        changes = dict(spec.get("hparams") or {})
        if self.plan.kind(name) == "prune":
            # The pruned checkpoint holds the model, not the optimizer state.
            changes["checkpointer"] = {"allow_partial_load": True}
        hparams_text = compose_hparams(self.plan.base_hparams(name), changes)
        overrides = {
            **self.plan.data,
            "output_folder": self.workspace.run_dir(name),
            "seed": self.args.seed,
            **self.ssl.overrides(spec.get("ssl")),
        }
        for item in self.args.override:
            key, _, value = item.partition("=")
            overrides[key] = value
        return hparams_text, overrides

    def fingerprint(self, name: str, hparams_text: str, overrides: Mapping) -> str:
        """What a finished training of ``name`` must match to be reused."""
        parent = self.plan.models[name].get("parent")
        return hashlib.sha256(
            json.dumps(
                [
                    hparams_text,
                    self.args.epochs,
                    self.args.budget,
                    {k: str(v) for k, v in overrides.items()},
                    dump_yaml(self.plan.models[name]),
                    self._stamped_fingerprint(parent) if parent else "",
                ]
            ).encode()
        ).hexdigest()[:16]

    def _stamped_fingerprint(self, name: str) -> str:
        stamp = self.workspace.run_dir(name) / "bench_run.json"
        return json.loads(stamp.read_text())["fingerprint"] if stamp.exists() else ""

    def _recipe(self, name: str, overrides: Mapping, epochs: int) -> float:
        """Runs the recipe (training resumes from its checkpoints); train time."""
        args = as_options({**overrides, "number_of_epochs": epochs})
        folder = self.workspace.run_dir(name)
        command = [sys.executable, RECIPE, folder / "hparams.yaml", *args]
        self.workspace.call(name, [*command, *self.run_opts])
        report = json.loads((folder / "test_report.json").read_text())
        return report["train_time_s"]

    def _train_for(self, name: str, overrides: Mapping, seconds: float) -> int:
        """One epoch, then as many as fit in ``seconds``; the epochs trained.

        The learning rate must not depend on the number of epochs.
        """
        first = self._recipe(name, overrides, 1)
        epochs = max(1, int(seconds // first))
        if epochs > 1:
            self._recipe(name, overrides, epochs)
        return epochs

    def _prune(self, name: str, overrides: Mapping) -> None:
        """Prunes the parent to the size of ``name``'s YAML (then fine-tuned)."""
        parent = self.workspace.run_dir(self.plan.models[name]["parent"])
        self.workspace.call(
            name,
            [
                sys.executable,
                "-m",
                "speechbrain_lstm_ser.compression.pruning",
                parent / "hyperparams.yaml",
                self.workspace.run_dir(name) / "hparams.yaml",
                *as_options(overrides),
            ],
        )

    def _distill(self, name: str, overrides: Mapping, epochs: int) -> None:
        """Trains ``name`` as the student of its parent."""
        spec = self.plan.models[name]
        options = spec.get("distill") or {}
        args = as_options(
            {
                **overrides,
                "number_of_epochs": epochs,
                "teacher": self.workspace.run_dir(spec["parent"]),
                "distill_temperature": options.get("temperature", 2.0),
                "distill_alpha": options.get("alpha", 0.5),
            }
        )
        hparams = self.workspace.run_dir(name) / "hparams.yaml"
        command = [sys.executable, DISTILL_RECIPE, hparams, *args, *self.run_opts]
        self.workspace.call(name, command)

    def export(self, name: str) -> None:
        """Exports a model to ONNX (and int8) with the package's command."""
        spec = self.plan.models[name]
        if spec.get("kind") not in ("onnx", "onnx_int8"):
            self.workspace.run_dir(name).mkdir(parents=True, exist_ok=True)
            return
        command = [  # sb-lstm-ser export-onnx
            sys.executable,
            "-m",
            "speechbrain_lstm_ser.cli",
            "export-onnx",
            self.workspace.run_dir(spec["parent"]) / "hyperparams.yaml",
            "--onnx",
            self.workspace.run_dir(name) / "model.onnx",
        ]
        if spec["kind"] == "onnx_int8":
            command.append("--int8")
        with self.workspace.timed(f"export {name}"):
            self.workspace.call(name, command)
