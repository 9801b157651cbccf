#!/usr/bin/env python3
"""Cross-validation of the emotion recipe: every fold, then the aggregate.

Runs ``train.py`` once per fold, each with ``--fold k`` and its own output
folder ``<output_folder>/fold_<k>``, then aggregates the folds' test reports
into ``<output_folder>/cv_report.json`` and ``cv_report.md``: the mean ±
standard deviation over folds of WA, UA, macro-F1 and UA per gender, the
pooled metrics of all test utterances, and ``cv_confusion_matrix.png``.

> python recipes/emotion/cross_validate.py hparams/lstm.yaml --dataset iemocap
>     --data_folder /data/IEMOCAP_full_release

The folds come from ``num_folds`` and ``fold_valid`` in the YAML (IEMOCAP:
leave-one-session-out, 5 folds), or, with ``--partitions`` (EmoBox's
``data/<dataset>`` folder or a ``partitions.json``), are exactly that
partition's folds. Every option of ``train.py`` can be given and is passed
on. ``--folds 1,3`` runs (and aggregates) only those folds, e.g. one per
machine; a fold that has finished resumes from its checkpoints, so running
it again only re-tests it.

The report also gives what each fold's splits share (speakers, identical
recordings), and ``<output_folder>/partitions.json`` lists the exact
utterances of every fold run: ``--partitions`` takes it back.

Authors
 * speechbrain-lstm-ser developers 2026
"""

import json
import subprocess
import sys
from pathlib import Path

import speechbrain as sb

from speechbrain_lstm_ser.dataio.partitions import (
    PARTITIONS_FILE,
    merge_partitions,
    read_partitions,
)
from speechbrain_lstm_ser.evaluation.cross_validation import (
    aggregate_reports,
    format_aggregate,
)
from speechbrain_lstm_ser.evaluation.plots import plot_confusion_matrix
from speechbrain_lstm_ser.evaluation.reports import write_json
from speechbrain_lstm_ser.training.hparams import HparamsError, load_settings

TRAIN = Path(__file__).with_name("train.py")


def pop_option(argv, name):
    """Removes ``--name value`` / ``--name=value`` from ``argv``; returns the value."""
    value, rest, i = None, [], 0
    while i < len(argv):
        if argv[i] == f"--{name}" and i + 1 < len(argv):
            value = argv[i + 1]
            i += 2
            continue
        if argv[i].startswith(f"--{name}="):
            value = argv[i].split("=", 1)[1]
        else:
            rest.append(argv[i])
        i += 1
    return value, rest


def parse_folds(spec, available):
    """``None`` -> every available fold; ``"1,3"`` -> ``[1, 3]`` (checked)."""
    if spec is None:
        return list(available)
    try:
        folds = sorted({int(x) for x in spec.split(",") if x.strip()})
    except ValueError:
        sys.exit(f"--folds {spec!r}: give fold numbers, e.g. --folds 1,3")
    if not folds or not all(k in available for k in folds):
        sys.exit(f"--folds {spec!r}: choose among {list(available)}")
    return folds


def available_folds(hparams):
    """The fold numbers: the partition's, or ``1..num_folds``."""
    if not hparams.get("partitions"):
        return list(range(1, hparams["num_folds"] + 1))
    try:
        return sorted(read_partitions(hparams["partitions"]).folds)
    except (OSError, ValueError) as err:
        sys.exit(f"error: {err}")


def leakage_of(reports, names):
    """What the folds' splits share, from their test reports."""
    folds = {name: r.get("leakage") for name, r in zip(names, reports, strict=True)}
    known = [f for f in folds.values() if f]
    return {
        "speaker_independent": all(f["speaker_independent"] for f in known)
        if known
        else None,
        "warnings": sorted({w for f in known for w in f["warnings"]}),
        "folds": folds,
    }


def run_fold(train_args, fold, fold_folder):
    """Runs ``train.py`` for one fold; exits with a clear message if it fails."""
    command = [sys.executable, str(TRAIN), *train_args]
    command += ["--fold", str(fold), "--output_folder", str(fold_folder)]
    print(f"=== fold {fold}: {fold_folder}", flush=True)
    result = subprocess.run(command, check=False)
    report = fold_folder / "test_report.json"
    if result.returncode != 0 or not report.is_file():
        sys.exit(
            f"fold {fold} failed (exit status {result.returncode}); see its output "
            f"above and {fold_folder / 'train_log.txt'}"
        )
    with open(report, encoding="utf-8") as handle:
        return json.load(handle)


def protocol_of(fold_folder):
    """The split protocol the data preparation recorded for a fold."""
    for summary in sorted(fold_folder.glob("**/prep_summary.json")):
        with open(summary, encoding="utf-8") as handle:
            protocol = json.load(handle).get("protocol", {})
        return {k: v for k, v in protocol.items() if k != "fold"}
    return None


if __name__ == "__main__":
    argv = sys.argv[1:]
    folds_spec, argv = pop_option(argv, "folds")
    fold, argv = pop_option(argv, "fold")
    if fold is not None:
        sys.exit("cross_validate.py runs every fold: use --folds 1,3 to choose some")
    output_folder, train_args = pop_option(argv, "output_folder")

    # Only plain settings are needed here: the YAML's references resolved,
    # without building its objects (which would create folders). Bad
    # overrides are refused with a one-line error, as train.py does.
    hparams_file, _, overrides = sb.parse_arguments(argv)
    try:
        hparams = load_settings(hparams_file, overrides)
    except HparamsError as err:
        sys.exit(f"error: {err}")
    base = Path(output_folder or hparams["output_folder"])
    available = available_folds(hparams)
    folds = parse_folds(folds_spec, available)

    reports, names = [], []
    for k in folds:
        reports.append(run_fold(train_args, k, base / f"fold_{k}"))
        names.append(f"fold_{k}")

    aggregate = aggregate_reports(reports, names)
    result = {
        "dataset": hparams["dataset"],
        "synthetic_corpus": hparams["dataset"] == "embedded",
        "folds_run": folds,
        "all_folds": folds == available,
        "protocol": protocol_of(base / names[0]),
        "leakage": leakage_of(reports, names),
        **aggregate,
    }
    write_json(base / "cv_report.json", result)
    lists = [sorted((base / n).glob(f"**/{PARTITIONS_FILE}")) for n in names]
    if all(lists):
        merge_partitions([found[0] for found in lists], base / PARTITIONS_FILE)
    summary = format_aggregate(aggregate)
    for warning in result["leakage"]["warnings"]:
        summary += f"\n\nLeakage: {warning}."
    (base / "cv_report.md").write_text(summary + "\n", encoding="utf-8")
    if "pooled" in aggregate:  # not for a dimensional model alone
        plot_confusion_matrix(
            aggregate["pooled"]["confusion_matrix"],
            aggregate["labels"],
            base / "cv_confusion_matrix.png",
            title=f"Pooled over {len(folds)} folds",
        )
    print(f"Cross-validation ({result['dataset']}, folds {folds}):\n{summary}")
    print(f"Written: {base / 'cv_report.json'}, {base / 'cv_report.md'}")
