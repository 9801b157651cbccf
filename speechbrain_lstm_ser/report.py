"""Evaluation reports: ``test_report.json``, a printed summary, and plots.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path

from speechbrain.utils.checkpoints import (
    mark_as_loader,
    mark_as_saver,
    register_checkpoint_hooks,
)

from speechbrain_lstm_ser.dataio.manifest import write_manifest

__all__ = [
    "TrainingHistory",
    "format_markdown",
    "format_summary",
    "plot_confusion_matrix",
    "plot_training_curves",
    "summary_cli",
    "write_json",
    "write_report",
]


def write_json(path: str | os.PathLike, data: dict) -> None:
    """Writes ``data`` as indented JSON, atomically.

    Arguments
    ---------
    path : str or os.PathLike
        Destination.
    data : dict
        JSON-serialisable content.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=2, sort_keys=False)
        handle.write("\n")
    os.replace(tmp, path)


@register_checkpoint_hooks
class TrainingHistory:
    """Per-epoch statistics, checkpointed with the model.

    Kept by the ``Checkpointer``, so that a resumed run's curves continue
    from the checkpoint it resumed (and forget epochs that were lost).

    Example
    -------
    >>> history = TrainingHistory()
    >>> history.append(1, train_loss=1.2, valid_loss=1.0, valid_UA=0.4)
    >>> history.column("valid_UA")
    [0.4]
    """

    def __init__(self):
        self.epochs: list[dict] = []

    def append(self, epoch: int, **stats: float) -> None:
        """Records the statistics of ``epoch`` (replacing an earlier record)."""
        self.epochs = [e for e in self.epochs if e["epoch"] != epoch]
        self.epochs.append({"epoch": epoch, **{k: float(v) for k, v in stats.items()}})
        self.epochs.sort(key=lambda e: e["epoch"])

    def column(self, name: str) -> list[float]:
        """The values of one statistic, epoch by epoch."""
        return [e[name] for e in self.epochs if name in e]

    @mark_as_saver
    def _save(self, path):
        with open(path, "w", encoding="utf-8") as handle:
            json.dump(self.epochs, handle)

    @mark_as_loader
    def _recover(self, path, end_of_epoch=True):
        del end_of_epoch
        with open(path, encoding="utf-8") as handle:
            self.epochs = json.load(handle)


def _figure(width: float, height: float):
    """A matplotlib figure that never touches a display or global state."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100)
    FigureCanvasAgg(fig)
    return fig


def plot_confusion_matrix(
    matrix: Sequence[Sequence[int]],
    labels: Sequence[str],
    path: str | os.PathLike,
    title: str = "Confusion matrix",
) -> None:
    """Draws a row-normalised confusion matrix with counts, to a PNG.

    Arguments
    ---------
    matrix : sequence of sequence of int
        Rows = reference class, columns = predicted class.
    labels : sequence of str
        Class names.
    path : str or os.PathLike
        Output image.
    title : str
        Figure title.
    """
    size = max(4.0, 0.9 * len(labels) + 2.0)
    fig = _figure(size + 1.0, size)
    ax = fig.add_subplot(1, 1, 1)
    rows = [[c / max(1, sum(row)) for c in row] for row in matrix]
    image = ax.imshow(rows, cmap="Blues", vmin=0.0, vmax=1.0)
    fig.colorbar(image, ax=ax, fraction=0.046, label="fraction of reference class")
    ax.set_xticks(range(len(labels)), labels, rotation=45, ha="right")
    ax.set_yticks(range(len(labels)), labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("reference")
    ax.set_title(title)
    for i, row in enumerate(matrix):
        for j, count in enumerate(row):
            ax.text(
                j,
                i,
                f"{count}\n{rows[i][j]:.0%}",
                ha="center",
                va="center",
                fontsize=8,
                color="white" if rows[i][j] > 0.5 else "black",
            )
    fig.tight_layout()
    fig.savefig(str(path))


def plot_training_curves(
    history: TrainingHistory,
    path: str | os.PathLike,
    metric: str = "valid_UA",
) -> None:
    """Draws train/valid loss and a validation metric per epoch, to a PNG.

    Arguments
    ---------
    history : TrainingHistory
        The per-epoch statistics.
    path : str or os.PathLike
        Output image.
    metric : str
        The validation metric drawn on the right panel.
    """
    fig = _figure(10.0, 4.0)
    epochs = [e["epoch"] for e in history.epochs]
    ax = fig.add_subplot(1, 2, 1)
    for name in ("train_loss", "valid_loss"):
        values = history.column(name)
        if values:
            ax.plot(
                epochs[: len(values)], values, marker="o", label=name.replace("_", " ")
            )
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    ax.legend()
    ax.grid(alpha=0.3)
    ax = fig.add_subplot(1, 2, 2)
    values = history.column(metric)
    ax.plot(epochs[: len(values)], values, marker="o", color="tab:green")
    ax.set_xlabel("epoch")
    ax.set_ylabel(metric.replace("_", " "))
    ax.set_ylim(0.0, 1.0)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(str(path))


def format_summary(report: dict, groups: Sequence[str] = ("gender",)) -> str:
    """A plain-text summary of a report (what the recipe prints).

    Arguments
    ---------
    report : dict
        From :func:`speechbrain_lstm_ser.metrics.classification_report`.
    groups : sequence of str
        Breakdowns to include as tables (``by_<name>`` must exist).

    Returns
    -------
    str
    """
    lines = [
        f"utterances: {report['num_utterances']}",
        f"WA (accuracy): {report['accuracy']:.4f}   "
        f"UA (mean recall): {report['unweighted_accuracy']:.4f}   "
        f"macro-F1: {report['macro_f1']:.4f}",
        "",
        f"{'class':<14}{'precision':>10}{'recall':>10}{'F1':>10}{'support':>10}",
    ]
    for label, scores in report["per_class"].items():
        lines.append(
            f"{label:<14}{scores['precision']:>10.4f}{scores['recall']:>10.4f}"
            f"{scores['f1']:>10.4f}{scores['support']:>10d}"
        )
    for group in groups:
        table = report.get(f"by_{group}")
        if not table:
            continue
        lines += ["", f"{group:<14}{'n':>6}{'WA':>10}{'UA':>10}{'macro-F1':>10}"]
        for value, scores in table.items():
            lines.append(
                f"{value:<14}{scores['num_utterances']:>6d}{scores['accuracy']:>10.4f}"
                f"{scores['unweighted_accuracy']:>10.4f}{scores['macro_f1']:>10.4f}"
            )
    labels = report["labels"]
    width = max(8, *(len(x) + 2 for x in labels))
    lines += ["", "confusion (rows = reference, columns = predicted)"]
    lines.append(" " * width + "".join(f"{x:>{width}}" for x in labels))
    for label, row in zip(labels, report["confusion_matrix"], strict=True):
        lines.append(f"{label:<{width}}" + "".join(f"{c:>{width}d}" for c in row))
    return "\n".join(lines)


def write_report(
    report: dict,
    output_folder: str | os.PathLike,
    rows: Sequence[dict] | None = None,
    extra: dict | None = None,
) -> Path:
    """Writes ``test_report.json``, ``confusion_matrix.png`` and predictions.

    Arguments
    ---------
    report : dict
        From :func:`speechbrain_lstm_ser.metrics.classification_report`.
    output_folder : str or os.PathLike
        Where to write.
    rows : sequence of dict, optional
        Per-utterance predictions, written to ``predictions.csv``.
    extra : dict, optional
        More top-level fields for the JSON (e.g. the checkpoint's epoch).

    Returns
    -------
    Path
        The path of ``test_report.json``.
    """
    folder = Path(output_folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "test_report.json"
    write_json(path, {**(extra or {}), **report})
    plot_confusion_matrix(
        report["confusion_matrix"], report["labels"], folder / "confusion_matrix.png"
    )
    if rows:
        write_manifest(folder / "predictions.csv", rows, list(rows[0]))
    return path


def format_markdown(report: dict) -> str:
    """A Markdown summary of a report: headline metrics, classes, genders.

    Arguments
    ---------
    report : dict
        A ``test_report.json`` as written by :func:`write_report`.

    Returns
    -------
    str
    """
    lines = [
        "| metric | value |",
        "|---|---|",
        f"| UA (unweighted accuracy) | {report['unweighted_accuracy']:.3f} |",
        f"| WA (accuracy) | {report['accuracy']:.3f} |",
        f"| macro-F1 | {report['macro_f1']:.3f} |",
        f"| test utterances | {report['num_utterances']} |",
    ]
    if "train_time_s" in report:
        lines.append(
            f"| training time (epochs x (train + valid)) | "
            f"{report['train_time_s'] / 60:.1f} min for "
            f"{report.get('epochs_trained', '?')} epochs |"
        )
    lines += [
        "",
        "| class | precision | recall | F1 | support |",
        "|---|---|---|---|---|",
    ]
    for label, s in report["per_class"].items():
        lines.append(
            f"| {label} | {s['precision']:.3f} | {s['recall']:.3f} | "
            f"{s['f1']:.3f} | {s['support']} |"
        )
    if report.get("by_gender"):
        lines += [
            "",
            "| gender | utterances | WA | UA | macro-F1 |",
            "|---|---|---|---|---|",
        ]
        for value, s in report["by_gender"].items():
            lines.append(
                f"| {value} | {s['num_utterances']} | {s['accuracy']:.3f} | "
                f"{s['unweighted_accuracy']:.3f} | {s['macro_f1']:.3f} |"
            )
    return "\n".join(lines)


def summary_cli(
    description: str,
    summary: Callable[[dict], str],
    markdown: Callable[[dict], str],
    argv: list[str] | None = None,
) -> None:
    """Prints a ``test_report.json`` as text, or as Markdown with ``--markdown``.

    Arguments
    ---------
    description : str
        The command's help text.
    summary : callable
        Report -> plain-text summary.
    markdown : callable
        Report -> Markdown tables (as in the README).
    argv : list of str, optional
        The arguments (default: ``sys.argv[1:]``).
    """
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("report", help="path of a test_report.json")
    parser.add_argument(
        "--markdown", action="store_true", help="Markdown tables (as in the README)"
    )
    args = parser.parse_args(argv)
    with open(args.report, encoding="utf-8") as handle:
        report = json.load(handle)
    print(markdown(report) if args.markdown else summary(report))


def main(argv: list[str] | None = None) -> None:
    """``python -m speechbrain_lstm_ser.report REPORT.json [--markdown]``."""
    summary_cli("Summarise a test_report.json.", format_summary, format_markdown, argv)


if __name__ == "__main__":
    main()
