"""``predict`` (each file's class, at any scale) and ``merge-shards``.

``predict`` streams its inputs through
:class:`speechbrain_lstm_ser.serving.batch.BatchPredictor`: length-sorted
batches, resumable ``--output``, shards (``--shard k/N``) that
``merge-shards`` joins. Without ``--output`` the results go to standard
output in input order (errors on standard error).

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from speechbrain_lstm_ser.cli.arguments import add_file_options, add_label_options
from speechbrain_lstm_ser.cli.inputs import AUDIO_EXTENSIONS, NO_AUDIO, read_speakers
from speechbrain_lstm_ser.cli.loading import enrol, load_for, restrict_labels
from speechbrain_lstm_ser.cli.output import (
    CommandError,
    display_name,
    errors_as_lines,
    one_line,
    output_failed,
    squeeze,
    table_rows,
    wants_progress,
    write,
)

__all__ = ["add_merge_parser", "add_predict_parser", "run_merge_shards", "run_predict"]


def add_predict_parser(sub) -> None:
    """The ``predict`` verb."""
    predict = sub.add_parser("predict", help="class (emotion, command) of each file")
    add_file_options(predict, inputs="*")
    predict.add_argument(
        "--speakers",
        help="CSV of path,speaker (relative paths: to the CSV): each speaker is "
        "enrolled with all of their files, and each file is classified against "
        "its speaker (speaker-normalised models); the files are the inputs",
    )
    predict.add_argument(
        "--output",
        help="write the results to this file as they come (.jsonl, .csv, or "
        ".parquet with pyarrow); a re-run with the same command skips the files "
        "already there",
    )
    predict.add_argument(
        "--restart",
        action="store_true",
        help="with --output: start again from nothing instead of resuming",
    )
    predict.add_argument(
        "--batch-size",
        type=int,
        default=16,
        help="files per batch (default: 16; the results are those of one file "
        "at a time, see docs/serving.md)",
    )
    predict.add_argument(
        "--sort-buffer",
        type=int,
        default=256,
        help="files read ahead and sorted by length before batching",
    )
    predict.add_argument(
        "--workers",
        type=int,
        default=1,
        help="processes decoding and resampling audio (0: the main process)",
    )
    predict.add_argument(
        "--shard",
        help="k/N: only every N-th file from the k-th (0-based); default: RANK / "
        "WORLD_SIZE (torchrun) or SLURM_ARRAY_TASK_ID / SLURM_ARRAY_TASK_COUNT; "
        "each shard writes OUTPUT.shard-k-of-N, joined by `sb-lstm-ser merge-shards`",
    )
    predict.add_argument(
        "--data-root", help="what $data_root stands for in SpeechBrain CSV manifests"
    )
    add_label_options(predict)
    predict.set_defaults(handler=run_predict)


def add_merge_parser(sub) -> None:
    """The ``merge-shards`` verb."""
    merge = sub.add_parser(
        "merge-shards",
        help="join the shard files of a sharded `predict --output FILE` into FILE",
    )
    merge.add_argument("output", help="the --output given to every shard")
    merge.add_argument(
        "--allow-incomplete",
        action="store_true",
        help="merge even when shards are missing or unfinished",
    )
    merge.set_defaults(handler=run_merge_shards)


def run_predict(args: argparse.Namespace) -> int:
    """Runs ``predict``; 0, 1 when a file failed, 2 when the run cannot start."""
    speakers = read_speakers(args.speakers)
    if not args.inputs and not speakers:
        raise CommandError(2, NO_AUDIO)
    model = load_for(args, args.model, "classify_file")
    labels = restrict_labels(model, args.labels)
    enrol(model, speakers)
    predictor, shard = _predictor(args, model, labels, speakers)
    try:
        summary = predictor.run(
            args.inputs,
            output=args.output,
            shard=shard,
            resume=not args.restart,
            progress=wants_progress(_listing(args) or bool(args.output), args.quiet),
            extensions=AUDIO_EXTENSIONS,
            data_root=args.data_root,
            emit=_emitter(args.format),
            extra_paths=[path for path in speakers if str(path) not in args.inputs],
        )
    except OSError as err:
        if args.output is None:  # standard output cannot be written
            return output_failed(err)
        raise CommandError(2, squeeze(err)) from None
    except ValueError as err:
        raise CommandError(2, squeeze(err)) from None
    return _summarise(summary)


def _predictor(args: argparse.Namespace, model, labels, speakers: dict[Path, str]):
    """The batch predictor and the shard of the inputs it runs on."""
    from speechbrain_lstm_ser.serving.batch import BatchPredictor
    from speechbrain_lstm_ser.serving.shards import Shard, shard_from_environment

    try:
        shard = Shard.parse(args.shard) if args.shard else shard_from_environment()
        predictor = BatchPredictor(
            model,
            batch_size=args.batch_size,
            sort_buffer=args.sort_buffer,
            workers=args.workers,
            labels=labels,
            speakers=speakers,
            name=display_name,
            gate=False if args.no_speech_gate else None,
        )
    except ValueError as err:
        raise CommandError(2, str(err)) from None
    return predictor, shard


def _listing(args: argparse.Namespace) -> bool:
    """Whether an input is a folder, a file list or a manifest (progress bar)."""
    from speechbrain_lstm_ser.serving.inputs import LIST_SUFFIXES, MANIFEST_SUFFIXES

    return any(
        Path(item).is_dir()
        or Path(item).suffix.lower() in LIST_SUFFIXES + MANIFEST_SUFFIXES
        for item in args.inputs
    )


def _emitter(fmt: str):
    """Prints a result row (``fmt``: jsonl or table), its errors and warnings."""

    def emit(row: dict) -> None:
        if row.get("error"):
            print(f"error: {one_line(row['error'])}", file=sys.stderr)
            return
        for note in row.get("warnings", ()):
            print(f"warning: {one_line(note)}", file=sys.stderr)
        write(json.dumps(row) if fmt == "jsonl" else "\n".join(table_rows(row)))

    return emit


def _summarise(summary) -> int:
    """The run's summary line(s) on standard error; the exit status."""
    total = summary.done + summary.failed
    if total + summary.skipped == 0:
        raise CommandError(2, NO_AUDIO)
    if summary.output is not None:
        rate = total / summary.seconds if summary.seconds else 0.0
        print(
            f"{summary.output}: {total} file(s) classified in {summary.seconds:.1f} s "
            f"({rate:.1f} files/s), {summary.skipped} already done, "
            f"{summary.failed + summary.previous_failed} error row(s)",
            file=sys.stderr,
        )
    failed = summary.failed + summary.previous_failed
    if failed:
        print(f"{failed} of {total + summary.skipped} file(s) failed", file=sys.stderr)
    return 1 if failed else 0


def run_merge_shards(args: argparse.Namespace) -> int:
    """Runs ``merge-shards``; 1 when a shard is missing or has error rows."""
    from speechbrain_lstm_ser.serving.shards import describe, merge_shards

    with errors_as_lines(1, OSError, ValueError):
        stats = merge_shards(args.output, allow_incomplete=args.allow_incomplete)
    print(describe(stats, args.output))
    return 1 if stats["errors"] else 0
