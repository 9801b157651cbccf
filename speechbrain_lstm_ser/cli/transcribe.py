"""``transcribe`` and ``analyze``: transcripts, and speech segments with emotions.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import argparse
from pathlib import Path

from speechbrain_lstm_ser.cli.arguments import add_file_options
from speechbrain_lstm_ser.cli.inputs import audio_files
from speechbrain_lstm_ser.cli.loading import load_for
from speechbrain_lstm_ser.cli.output import display_name, wants_progress
from speechbrain_lstm_ser.cli.per_file import run_per_file

__all__ = [
    "add_analyze_parser",
    "add_transcribe_parser",
    "run_analyze",
    "run_transcribe",
]


def add_transcribe_parser(sub) -> None:
    """The ``transcribe`` verb."""
    transcribe = sub.add_parser("transcribe", help="transcript of each file")
    add_file_options(transcribe)
    transcribe.set_defaults(handler=run_transcribe)


def add_analyze_parser(sub) -> None:
    """The ``analyze`` verb."""
    analyze = sub.add_parser("analyze", help="speech segments: transcript and emotion")
    add_file_options(analyze, models=("--asr-model", "--emotion-model"))
    analyze.set_defaults(handler=run_analyze)


def run_transcribe(args: argparse.Namespace) -> int:
    """Runs ``transcribe``: one transcript per file."""
    files, had_folder = audio_files(args.inputs)
    model = load_for(args, args.model, "transcribe_file")

    def work(path: Path) -> dict:
        return {"file": display_name(path), "text": model.transcribe_file(path)}

    progress = wants_progress(had_folder, args.quiet)
    return run_per_file(files, work, args.format, progress)


def run_analyze(args: argparse.Namespace) -> int:
    """Runs ``analyze``: each file's speech segments, transcribed and classified."""
    files, had_folder = audio_files(args.inputs)
    asr = load_for(args, args.asr_model, "transcribe_batch")
    emotion = load_for(args, args.emotion_model, "classify_batch")

    def work(path: Path) -> dict:
        from speechbrain_lstm_ser.inference.analyze import analyze_file

        segments = analyze_file(path, asr, emotion)
        return {
            "file": display_name(path),
            "segments": [
                {
                    "start": s.start,
                    "end": s.end,
                    "text": s.text,
                    "emotion": s.emotion,
                    "score": None if s.score is None else round(s.score, 6),
                }
                for s in segments
            ],
        }

    progress = wants_progress(had_folder, args.quiet)
    return run_per_file(files, work, args.format, progress)
