"""``serve``: the HTTP service and web page.

The service is :mod:`speechbrain_lstm_ser.serving.service`.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import argparse

from speechbrain_lstm_ser.cli.arguments import add_model_options
from speechbrain_lstm_ser.cli.output import CommandError

__all__ = ["add_serve_parser", "run_serve"]


def add_serve_parser(sub) -> None:
    """The ``serve`` verb."""
    serve = sub.add_parser(
        "serve",
        help="HTTP service and web page: upload, timeline, live microphone",
        description="Serves a model over HTTP (needs the [serve] extra): "
        "POST /classify, POST /timeline, WebSocket /stream (16-bit PCM), a web "
        "page at /, API docs at /docs, /health. Binds 127.0.0.1 unless --host "
        "says otherwise. See docs/serving.md.",
    )
    serve.add_argument(
        "--model", required=True, help="exported model folder or Hub repo id"
    )
    serve.add_argument(
        "--streaming-model",
        help="a streaming model for /stream (default: --model if it can stream)",
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to bind")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--max-upload-mb", type=float, default=20.0, help="largest upload (MB)"
    )
    serve.add_argument(
        "--max-duration",
        type=float,
        default=600.0,
        help="longest upload (seconds); /classify takes at most the model's "
        "max_duration of it",
    )
    serve.add_argument(
        "--max-streams", type=int, default=4, help="concurrent WebSocket streams"
    )
    serve.add_argument(
        "--max-stream-seconds",
        type=float,
        default=3600.0,
        help="longest live stream (seconds of audio)",
    )
    add_model_options(serve)
    serve.set_defaults(handler=run_serve)


def run_serve(args: argparse.Namespace) -> int:
    """Runs ``serve`` until interrupted: loads the models as ``predict`` does."""
    _require_serve_extra()
    from speechbrain_lstm_ser.serving.service import ServiceLimits, run_service

    model, streamer, why = _load_models(args)
    limits = ServiceLimits(
        max_upload_bytes=int(args.max_upload_mb * 1e6),
        max_duration=args.max_duration,
        max_streams=args.max_streams,
        max_stream_seconds=args.max_stream_seconds,
    )
    try:
        run_service(
            model,
            streamer,
            limits,
            host=args.host,
            port=args.port,
            no_stream_reason=why,
        )
    except (OSError, ValueError) as err:
        raise CommandError(2, str(err)) from None
    return 0


def _require_serve_extra() -> None:
    """Ends the verb (status 2) when the ``[serve]`` extra is not installed."""
    try:
        from speechbrain_lstm_ser.serving.service import require_extra

        require_extra()
    except ImportError as err:
        raise CommandError(
            2,
            "serve needs the [serve] extra: "
            f'pip install "speechbrain-lstm-ser[serve]" ({err})',
        ) from None


def _load_models(args: argparse.Namespace) -> tuple:
    """The classifier, the streaming model (or None) and why there is none."""
    from speechbrain_lstm_ser.inference.load import load_model
    from speechbrain_lstm_ser.inference.streaming import StreamingEmotionRecognizer

    trust = {"verify": args.verify, "trusted_keys": args.trusted_key}
    options = {
        "savedir": args.savedir,
        "run_opts": {"device": args.device},
        "threads": None,
    }
    try:
        model = load_model(args.model, **options, **trust)
        if not hasattr(model, "classify_batch"):
            raise ValueError(f"{type(model).__name__} is not a classifier")
    except Exception as err:  # a model that cannot be loaded ends the run
        raise CommandError(2, f"cannot load model {args.model}: {err}") from None
    source = args.streaming_model or args.model
    try:
        streamer = StreamingEmotionRecognizer.from_hparams(
            source=source, **options, **trust
        )
    except Exception as err:
        if args.streaming_model:
            raise CommandError(
                2, f"cannot load streaming model {source}: {err}"
            ) from None
        return (
            model,
            None,
            (f"{args.model} cannot stream ({err}); start with --streaming-model"),
        )
    return model, streamer, "no streaming model (start with --streaming-model)"
