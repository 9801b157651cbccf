"""``timeline``: emotion over time in long recordings, window by window.

A dimensional model's segments carry ``dimensions`` (arousal, valence,
dominance); ``--plot FOLDER`` draws each file's arousal and valence over
time to ``FOLDER/<name>_dimensions.png``.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import argparse
from pathlib import Path

from speechbrain_lstm_ser.cli.arguments import (
    add_file_options,
    add_label_options,
    positive_seconds,
)
from speechbrain_lstm_ser.cli.inputs import audio_files
from speechbrain_lstm_ser.cli.loading import load_for, restrict_labels
from speechbrain_lstm_ser.cli.output import CommandError, display_name, wants_progress
from speechbrain_lstm_ser.cli.per_file import run_per_file

__all__ = ["add_timeline_parser", "run_timeline"]


def add_timeline_parser(sub) -> None:
    """The ``timeline`` verb."""
    timeline = sub.add_parser("timeline", help="emotion over time in long recordings")
    add_file_options(timeline)
    timeline.add_argument(
        "--window", type=positive_seconds, default=3.0, help="seconds"
    )
    timeline.add_argument("--hop", type=positive_seconds, default=1.5, help="seconds")
    timeline.add_argument(
        "--adapt",
        action="store_true",
        help="each window measured against the recording so far (running "
        "statistics; for speaker-normalised models)",
    )
    timeline.add_argument(
        "--plot",
        metavar="FOLDER",
        help="draw each file's arousal and valence over time to "
        "FOLDER/<name>_dimensions.png (a model with the dimensions)",
    )
    add_label_options(timeline)
    timeline.set_defaults(handler=run_timeline)


def run_timeline(args: argparse.Namespace) -> int:
    """Runs ``timeline``: one answer (its segments) per file."""
    files, had_folder = audio_files(args.inputs)
    model = load_for(args, args.model, "timeline")
    labels = restrict_labels(model, args.labels)
    names = model.dimension_names
    plots = _plot_names(args.plot, files, names)

    def work(path: Path) -> dict:
        segments = model.timeline(
            path,
            window=args.window,
            hop=args.hop,
            labels=labels,
            adapt=args.adapt,
            min_speech_ratio=0.0 if args.no_speech_gate else 0.3,
        )
        answer = {
            "file": display_name(path),
            "speech": bool(segments),
            "segments": [
                {
                    "start": s.start,
                    "end": s.end,
                    "label": s.label,
                    "score": None if s.score is None else round(s.score, 6),
                }
                | _dimensions(s.dimensions, names)
                for s in segments
            ],
        }
        if plots and segments:
            from speechbrain_lstm_ser.evaluation.plots import plot_dimension_timeline

            plot_dimension_timeline(segments, plots[path], names)
            answer["plot"] = str(plots[path])
        return answer

    progress = wants_progress(had_folder, args.quiet)
    return run_per_file(files, work, args.format, progress)


def _dimensions(values, names) -> dict:
    """``{"dimensions": {...}}`` of a dimensional model's segment, else nothing."""
    from speechbrain_lstm_ser.inference.prediction import named_dimensions

    return {} if values is None else {"dimensions": named_dimensions(values, names, 6)}


def _plot_names(folder: str | None, files: list[Path], names) -> dict[Path, Path]:
    """The PNG of each file for ``--plot FOLDER`` (none without the option)."""
    if folder is None:
        return {}
    if not {"arousal", "valence"} <= set(names):
        raise CommandError(
            2,
            "--plot draws arousal and valence, and this model predicts classes "
            "only: use a model trained with dimension_weight > 0 "
            "(docs/dimensional.md)",
        )
    out = Path(folder)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise CommandError(2, f"--plot {folder}: {err.strerror or err}") from None
    plots: dict[Path, Path] = {}
    for path in files:  # the same name twice: numbered
        name, count = f"{path.stem}_dimensions", 1
        while out / f"{name}.png" in plots.values():
            count += 1
            name = f"{path.stem}_dimensions_{count}"
        plots[path] = out / f"{name}.png"
    return plots
