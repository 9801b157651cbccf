"""``timeline``: emotion over time in long recordings, window by window.

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
from speechbrain_lstm_ser.cli.output import display_name, wants_progress
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
    add_label_options(timeline)
    timeline.set_defaults(handler=run_timeline)


def run_timeline(args: argparse.Namespace) -> int:
    """Runs ``timeline``: one answer (its segments) per file."""
    files, had_folder = audio_files(args.inputs)
    model = load_for(args, args.model, "timeline")
    labels = restrict_labels(model, args.labels)

    def work(path: Path) -> dict:
        segments = model.timeline(
            path,
            window=args.window,
            hop=args.hop,
            labels=labels,
            adapt=args.adapt,
            min_speech_ratio=0.0 if args.no_speech_gate else 0.3,
        )
        return {
            "file": display_name(path),
            "speech": bool(segments),
            "segments": [
                {
                    "start": s.start,
                    "end": s.end,
                    "label": s.label,
                    "score": round(s.score, 6),
                }
                for s in segments
            ],
        }

    progress = wants_progress(had_folder, args.quiet)
    return run_per_file(files, work, args.format, progress)
