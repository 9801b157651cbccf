"""Measures the benchmark's built models, one at a time, each in a fresh process.

A neural model is measured by :mod:`bench.measure` (its run folder, or its
exported file and its parent's), a ``kind: classic`` row is trained, tuned
and measured by :mod:`bench.classic` on the same manifests, a ``kind:
classic_regression`` row (one SVR per dimension) by
:mod:`bench.classic_regression`. All run with one PyTorch thread, alone on
the machine; the neural and classic rows get the cross-domain table's
options (``--conditions``, ``--domain``, ``--transfer_seed``).

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from bench.classic_regression import bench_row
from bench.plan import Plan
from bench.workspace import Workspace, one_thread

__all__ = ["Measurer"]


class Measurer:
    """Measures the planned models in fresh processes; their results.

    Arguments
    ---------
    plan : Plan
        The models, after :meth:`Plan.prepare_data`.
    workspace : Workspace
        Where they were built; each result is written to
        ``<run folder>/measure.json``.
    args : argparse.Namespace
        The options of ``python -m bench.run`` (``repeats``, ``train_steps``,
        ``train_threads``, ``device``, ``bootstrap``, ``conditions``,
        ``domain``, ``transfer_seed``).
    """

    def __init__(self, plan: Plan, workspace: Workspace, args: argparse.Namespace):
        self.plan = plan
        self.workspace = workspace
        self.args = args

    def measure_all(self, names: Sequence[str]) -> dict[str, dict]:
        """The results of ``names``, measured one at a time (a quiet machine)."""
        return {name: self.measure(name) for name in names}

    def measure(self, name: str) -> dict:
        """Measures one model in a fresh process; its results."""
        spec = self.plan.models[name]
        kind = self.plan.kind(name)
        output = self.workspace.run_dir(name) / "measure.json"
        if kind == "classic":
            return self.measure_classic(name, output)
        if kind == "classic_regression":
            return self.measure_classic_regression(name, output)
        command = [
            sys.executable,
            "-m",
            "bench.measure",
            "--kind",
            kind,
            "--run",
            self.workspace.run_dir(name),
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
            "--bootstrap",
            self.args.bootstrap,
        ]
        command += self.transfer_args()
        if spec.get("parent"):
            command += ["--parent", self.workspace.run_dir(spec["parent"])]
        if name == self.plan.reference:
            command.append("--breakdown")
        with self.workspace.timed(f"measure {name}"):
            self.workspace.call(name, command, env=one_thread(self.workspace.env))
        return json.loads(output.read_text())

    def measure_classic(self, name: str, output: Path) -> dict:
        """Trains, tunes and measures a classic baseline (:mod:`bench.classic`)."""
        command = self._classic_command(name, "bench.classic", output)
        with self.workspace.timed(f"classic {name}"):
            self.workspace.call(
                name,
                [*command, *self.transfer_args()],
                env=one_thread(self.workspace.env),
            )
        return json.loads(output.read_text())

    def measure_classic_regression(self, name: str, output: Path) -> dict:
        """Fits and scores one SVR per dimension (:mod:`bench.classic_regression`)."""
        command = self._classic_command(name, "bench.classic_regression", output)
        command += ["--bootstrap", self.args.bootstrap]
        with self.workspace.timed(f"classic regression {name}"):
            self.workspace.call(name, command, env=one_thread(self.workspace.env))
        return bench_row(json.loads(output.read_text()), self._normalisation(name))

    def _normalisation(self, name: str) -> str:
        """The z-scoring of a classic row (``speaker`` unless given)."""
        return (self.plan.models[name].get("classic") or {}).get(
            "normalisation", "speaker"
        )

    def _classic_command(self, name: str, module: str, output: Path) -> list:
        """The command line of a classic row's ``module``, without its extras."""
        options = self.plan.models[name].get("classic") or {}
        return [
            sys.executable,
            "-m",
            module,
            "--manifests",
            self.plan.manifest_folder,
            "--data_folder",
            self.plan.data["data_folder"],
            "--features",
            options.get("features", "auto"),
            "--normalisation",
            self._normalisation(name),
            "--cache",
            self.workspace.out / "classic_features",
            "--output",
            output,
            *(["--level_invariant"] if options.get("level_invariant") else []),
        ]

    def transfer_args(self) -> list[str]:
        """The cross-domain table's options, for every row's measurement."""
        args = ["--conditions", self.args.conditions]
        args += ["--transfer_seed", str(self.args.transfer_seed)]
        for domain in self.args.domain:
            args += ["--domain", str(domain)]
        return args if self.args.conditions or self.args.domain else []
