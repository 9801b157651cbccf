"""Figures of a run: confusion matrix, reliability diagram, training curves (PNGs).

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import os
from collections.abc import Sequence

__all__ = ["plot_confusion_matrix", "plot_reliability_diagram", "plot_training_curves"]


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


def plot_reliability_diagram(
    calibration: dict,
    path: str | os.PathLike,
    title: str = "Reliability diagram",
) -> None:
    """Draws accuracy against confidence per confidence bin, to a PNG.

    A calibrated model's bars reach the diagonal; bars below it are
    over-confident bins. The title gives the ECE before and after the
    temperature.

    Arguments
    ---------
    calibration : dict
        The ``calibration`` section of a test report (see
        :func:`~speechbrain_lstm_ser.evaluation.calibration.calibration_report`):
        ``reliability`` (the bins), ``temperature``, ``before``, ``after``.
    path : str or os.PathLike
        Output image.
    title : str
        Figure title.
    """
    bins = [b for b in calibration["reliability"] if b["count"]]
    width = (
        calibration["reliability"][0]["upper"] - calibration["reliability"][0]["lower"]
    )
    fig = _figure(5.0, 5.0)
    ax = fig.add_subplot(1, 1, 1)
    ax.bar(
        [b["lower"] for b in bins],
        [b["accuracy"] for b in bins],
        width=width,
        align="edge",
        edgecolor="black",
        color="tab:blue",
        label="accuracy",
    )
    ax.plot(
        [b["confidence"] for b in bins],
        [b["confidence"] for b in bins],
        "o",
        color="tab:red",
        label="mean confidence",
    )
    ax.plot([0, 1], [0, 1], "--", color="gray", label="calibrated")
    ax.set_xlim(0.0, 1.0)
    ax.set_ylim(0.0, 1.0)
    ax.set_xlabel("confidence (probability of the predicted class)")
    ax.set_ylabel("accuracy")
    ax.set_title(
        f"{title}\nT = {calibration['temperature']:.3g}, ECE "
        f"{calibration['before']['ece']:.3f} -> {calibration['after']['ece']:.3f}"
    )
    ax.legend(loc="lower right")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(str(path))


def plot_training_curves(
    history,
    path: str | os.PathLike,
    metric: str = "valid_UA",
) -> None:
    """Draws train/valid loss and a validation metric per epoch, to a PNG.

    Arguments
    ---------
    history : speechbrain_lstm_ser.training.history.TrainingHistory
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
