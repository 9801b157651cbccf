"""``stream``: live emotion from standard input or a microphone.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import argparse
import sys

from speechbrain_lstm_ser.cli.arguments import (
    add_model_options,
    positive_seconds,
    sample_rate,
    seconds_or_zero,
)
from speechbrain_lstm_ser.cli.output import CommandError, squeeze

__all__ = ["add_stream_parser", "run_stream"]


def add_stream_parser(sub) -> None:
    """The ``stream`` verb."""
    stream = sub.add_parser(
        "stream",
        help="live emotion, one line per hop, from standard input or a microphone",
        description="Reads raw 16-bit mono PCM from standard input (e.g. "
        "`arecord -q -f S16_LE -r 16000 -c 1 -t raw | sb-lstm-ser stream --model M`) "
        "or the microphone (--input mic, needs the [live] extra) and prints one "
        "line per hop; stops at the end of the input or on Ctrl-C. The model "
        "must be a streaming one (hparams/streaming_lstm.yaml).",
    )
    stream.add_argument(
        "--model", required=True, help="exported model folder or Hub repo id"
    )
    stream.add_argument(
        "--input",
        choices=("auto", "stdin", "mic"),
        default="auto",
        help="auto: standard input when it is piped, else the microphone",
    )
    stream.add_argument(
        "--rate",
        type=sample_rate,
        help="sample rate of standard input (default: model's)",
    )
    stream.add_argument(
        "--chunk", type=positive_seconds, default=0.2, help="seconds read at once"
    )
    stream.add_argument(
        "--hop", type=positive_seconds, default=0.2, help="seconds between lines"
    )
    stream.add_argument(
        "--smoothing",
        type=seconds_or_zero,
        default=0.0,
        help="time constant (s) of the displayed probabilities' moving average",
    )
    stream.add_argument("--no-vad", action="store_true", help="no speech detection")
    stream.add_argument(
        "--format",
        choices=("auto", "table", "jsonl"),
        default="auto",
        help="auto: table on a terminal, JSON lines when piped",
    )
    add_model_options(stream, threads=False)
    stream.set_defaults(handler=run_stream)


def run_stream(args: argparse.Namespace) -> int:
    """Runs ``stream`` until the input ends; 2 when it cannot start."""
    from speechbrain_lstm_ser.inference.live import run_live
    from speechbrain_lstm_ser.inference.streaming import StreamingEmotionRecognizer

    try:
        model = StreamingEmotionRecognizer.from_hparams(
            source=args.model,
            savedir=args.savedir,
            verify=args.verify,
            trusted_keys=args.trusted_key,
            run_opts={"device": args.device},
        )
    except Exception as err:  # a model that cannot be loaded ends the run
        raise CommandError(
            2, f"cannot load model {args.model}: {squeeze(err)}"
        ) from None
    source = args.input
    if source == "auto":
        source = "mic" if sys.stdin.isatty() else "stdin"
    try:
        return run_live(
            model,
            source=source,
            chunk=args.chunk,
            hop=args.hop,
            smoothing=args.smoothing,
            vad=not args.no_vad,
            input_rate=args.rate,
            fmt=args.format,
        )
    except (RuntimeError, ValueError) as err:
        raise CommandError(2, str(err)) from None
