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

Dimensional rows (issue 24) get a CCC table: a model trained with a
regression head (``dimension_weight: 1.0``) and ``kind: classic_regression``
rows (:mod:`bench.classic_regression`: the functionals and one SVR per
dimension) are scored per dimension (arousal, valence, dominance), against
each test speaker and single utterance where the row has both, and compared
with the ``dimension_reference`` row by a paired bootstrap over the test
utterances::

    python -m bench.run --models lstm_dimensions svr_speaker svr_global

Rows with an ``ssl`` entry train ``hparams/ssl_lstm.yaml`` (a frozen
self-supervised front end, its layers cached once in
``<output>/ssl_feature_cache``). By default their SSL model is a tiny random
WavLM built into ``<output>/ssl_models`` (it tests the plumbing; its accuracy
means nothing); a real one is one option away::

    python -m bench.run --models bilstm_attn ssl_lstm \
        --ssl_source microsoft/wavlm-base-plus --ssl_hidden_size 768 --device cuda:0

Without ``transformers`` (``pip install ".[ssl]"``) those rows are left out
with one line, unless named in ``--models``.

The work is shared out: :class:`bench.plan.Plan` (which models, in which
order, on which data), :class:`bench.build.Builder` (training and export, with
:class:`bench.ssl_models.SSLModels` for the SSL rows),
:class:`bench.measurements.Measurer` (measuring, one fresh process per
model), :func:`bench.compare.compare_to_reference` and
:func:`bench.compare.compare_dimensions` (the paired differences), and
:class:`bench.report.Report` (the tables and notes, ``bench.md`` and
``bench.json``).

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from bench.build import Builder
from bench.compare import compare_dimensions, compare_to_reference
from bench.measure import add_measurement_options, add_transfer_options
from bench.measurements import Measurer
from bench.plan import CONFIG, Plan
from bench.report import Report, machine
from bench.workspace import Workspace

__all__ = ["build_parser", "main"]


def build_parser(device: str) -> argparse.ArgumentParser:
    """The options of ``python -m bench.run`` (``device``: ``--device``'s default)."""
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
    add_measurement_options(parser, device=device)
    add_transfer_options(parser)
    parser.add_argument(
        "--bootstrap",
        type=int,
        default=1000,
        help="bootstrap resamples: the paired ΔUA and ΔCCC intervals, and the "
        "CCC intervals of the rows with dimensions",
    )
    parser.add_argument(
        "--jobs",
        type=int,
        help="trainings and exports run side by side, each with cores/jobs "
        "threads (default: min(4, cores) on CPUs, 1 on a GPU); measurements "
        "always run one at a time",
    )
    return parser


def main(argv: list[str] | None = None) -> dict:
    """Runs the benchmark (see the module docstring and ``--help``)."""
    import torch

    device = "cuda:0" if torch.cuda.is_available() else "cpu"
    args = build_parser(device).parse_args(argv)
    started = time.time()
    cores = os.cpu_count() or 1
    if args.jobs is None:
        args.jobs = 1 if args.device.startswith("cuda") else max(1, min(4, cores))
    args.job_threads = max(1, cores // args.jobs)
    workspace = Workspace(args.output, threads=args.job_threads)
    plan = Plan(args.config, budget=args.budget)
    names = plan.order(args.models or list(plan.models), named=args.models or ())
    plan.prepare_data(workspace, args.manifests, args.data_folder)
    builder = Builder(plan, workspace, args)
    builder.build_all(names)
    results = Measurer(plan, workspace, args).measure_all(names)
    for name, result in results.items():
        result["description"] = str(plan.models[name].get("description", ""))
        source = builder.ssl.reported(plan.models[name].get("ssl"))
        if source:
            result["ssl_source"] = source
    compare_to_reference(
        results, plan.reference, plan.test_manifest, resamples=args.bootstrap
    )
    compare_dimensions(
        results, plan.dimension_reference, plan.test_manifest, args.bootstrap
    )
    summary = {
        "command": " ".join(["python -m bench.run", *(argv or sys.argv[1:])]),
        "settings": {k: v for k, v in vars(args).items()},
        "machine": machine(args.device),
        "reference": plan.reference,
        "dimension_reference": plan.dimension_reference,
        "wall_seconds": round(time.time() - started, 1),
        "steps": [(step, round(sec, 1)) for step, sec in workspace.steps],
        "models": results,
    }
    report = Report(
        plan.reference,
        tiny_ssl=not args.ssl_source,
        dimension_reference=plan.dimension_reference,
    )
    text = report.write(workspace.out, summary)
    print(f"\n{text}")
    print(f"[bench] {summary['wall_seconds']:.0f} s; written to {workspace.out}")
    return summary


if __name__ == "__main__":
    main()
