"""Figures of a run (PNGs): confusion matrix, reliability, training, dimensions.

The last: predicted against reference arousal, valence and dominance, and
the valence-arousal plane, for dimensional models; and a recording's
dimensions over time (``sb-lstm-ser timeline --plot``).

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np

from speechbrain_lstm_ser.dataio.manifest import DIMENSIONS
from speechbrain_lstm_ser.evaluation.dimensions import concordance_correlation

__all__ = [
    "plot_confusion_matrix",
    "plot_dimension_scatter",
    "plot_dimension_timeline",
    "plot_reliability_diagram",
    "plot_training_curves",
]


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


def plot_dimension_scatter(
    predictions,
    references,
    path: str | os.PathLike,
    names: Sequence[str] = DIMENSIONS,
    max_points: int = 3000,
    seed: int = 0,
    max_segments: int = 300,
) -> None:
    """Draws predicted against reference dimensions, and the valence-arousal plane.

    One panel per dimension (prediction against reference, the diagonal
    = perfect, the CCC in the panel's title), and, when ``names`` holds
    ``valence`` and ``arousal``, a panel of the valence-arousal plane with
    each utterance's reference (grey) and prediction (blue), joined by a
    segment when there are few: a model that regresses to the mean draws
    its predictions as a small cloud in the middle of the references. Rows
    whose reference is ``nan`` are left out of the panels that need it.

    Arguments
    ---------
    predictions : array_like
        Shape ``(N, len(names))``.
    references : array_like
        Shape ``(N, len(names))``; ``nan`` = unknown.
    path : str or os.PathLike
        Output image.
    names : sequence of str
        The columns' dimensions.
    max_points : int
        At most this many utterances are drawn (a seeded random subset; the
        CCCs in the titles use every row).
    seed : int
        Seed of that subset.
    max_segments : int
        Reference-prediction segments are drawn up to this many utterances.

    Example
    -------
    >>> import tempfile
    >>> rng = np.random.default_rng(0)
    >>> ref = rng.random((50, 3))
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     plot_dimension_scatter(ref * 0.8 + 0.1, ref, f"{folder}/va.png")
    """
    pred = np.asarray(predictions, dtype=np.float64)
    ref = np.asarray(references, dtype=np.float64)
    if pred.shape != ref.shape or pred.ndim != 2 or pred.shape[1] != len(names):
        raise ValueError(
            f"predictions {pred.shape} and references {ref.shape} must both be "
            f"(N, {len(names)}) for the dimensions {tuple(names)}"
        )
    shown = np.arange(len(pred))
    if len(shown) > max_points:
        shown = np.sort(np.random.default_rng(seed).choice(shown, max_points, False))
    plane = "valence" in names and "arousal" in names
    panels = len(names) + plane
    fig = _figure(3.6 * panels, 3.8)
    alpha = float(np.clip(30 / max(1, len(shown)) ** 0.5, 0.15, 0.8))
    for d, name in enumerate(names):
        ax = fig.add_subplot(1, panels, d + 1)
        known = ~np.isnan(ref[:, d])
        ccc = concordance_correlation(pred[known, d], ref[known, d])
        rows = shown[known[shown]]
        ax.scatter(ref[rows, d], pred[rows, d], s=6, alpha=alpha, color="tab:blue")
        ax.plot([0, 1], [0, 1], "--", color="gray")
        ax.set(xlim=(0, 1), ylim=(0, 1), xlabel=f"reference {name}")
        ax.set_ylabel(f"predicted {name}")
        ax.set_title(f"{name}: CCC {ccc:.3f} (n = {int(known.sum())})")
        ax.grid(alpha=0.3)
    if plane:
        v, a = names.index("valence"), names.index("arousal")
        rows = shown[~np.isnan(ref[shown][:, [v, a]]).any(axis=1)]
        ax = fig.add_subplot(1, panels, panels)
        if len(rows) <= max_segments:
            ax.plot(
                np.stack([ref[rows, v], pred[rows, v]]),
                np.stack([ref[rows, a], pred[rows, a]]),
                color="gray",
                alpha=alpha / 2,
                linewidth=0.5,
            )
        ax.scatter(ref[rows, v], ref[rows, a], s=6, color="gray", label="reference")
        ax.scatter(
            pred[rows, v],
            pred[rows, a],
            s=6,
            alpha=alpha,
            color="tab:blue",
            label="predicted",
        )
        ax.set(xlim=(0, 1), ylim=(0, 1), xlabel="valence", ylabel="arousal")
        ax.set_title("valence-arousal plane")
        ax.legend(loc="lower right", fontsize=8)
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(str(path))


def plot_dimension_timeline(
    segments,
    path: str | os.PathLike,
    names: Sequence[str] = DIMENSIONS,
    shown: Sequence[str] = ("arousal", "valence"),
    title: str = "Emotion dimensions over time",
) -> None:
    """Draws a recording's dimensions (arousal, valence) over time, to a PNG.

    One line per dimension in ``shown``, a point at the centre of each
    window; the line breaks where windows were skipped (no speech).

    Arguments
    ---------
    segments : sequence of TimelineSegment
        A dimensional model's ``timeline`` (each with ``start``, ``end``
        and ``dimensions``, ``(len(names),)`` in ``[0, 1]``).
    path : str or os.PathLike
        Output image.
    names : sequence of str
        The order of each segment's ``dimensions``.
    shown : sequence of str
        The dimensions drawn.
    title : str
        Figure title.

    Example
    -------
    >>> import tempfile
    >>> from types import SimpleNamespace as Segment
    >>> segments = [
    ...     Segment(start=t, end=t + 3.0, dimensions=np.array([0.2 + t / 20, 0.6, 0.5]))
    ...     for t in (0.0, 1.5, 3.0, 9.0)
    ... ]
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     plot_dimension_timeline(segments, f"{folder}/dimensions.png")
    """
    unknown = [name for name in shown if name not in names]
    if unknown:
        raise ValueError(f"cannot draw {unknown}: the dimensions are {list(names)}")
    if not segments or any(s.dimensions is None for s in segments):
        raise ValueError(
            "the timeline has no dimensions to draw: its model predicts classes "
            "only, or no window held speech"
        )
    times, rows = [], []
    for k, segment in enumerate(segments):
        if k and segment.start > segments[k - 1].end:  # skipped windows: a gap
            times.append(np.nan)
            rows.append(np.full(len(names), np.nan))
        times.append((segment.start + segment.end) / 2)
        rows.append(np.asarray(segment.dimensions, dtype=np.float64))
    values = np.stack(rows)
    fig = _figure(max(6.0, min(16.0, 0.05 * segments[-1].end + 5.0)), 3.6)
    ax = fig.add_subplot(1, 1, 1)
    for name in shown:
        ax.plot(times, values[:, names.index(name)], marker=".", label=name)
    ax.axhline(0.5, linestyle="--", color="gray", linewidth=0.8)
    ax.set(ylim=(0, 1), xlabel="time (s)", ylabel="predicted value", title=title)
    ax.legend(loc="upper right", fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(str(path))
