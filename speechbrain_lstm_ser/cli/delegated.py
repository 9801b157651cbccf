"""``export-onnx``, ``prune``, ``report``: verbs whose module parses the arguments.

Each hands the arguments it does not know (``args.rest``) to the ``main``
of the module doing the work (:mod:`speechbrain_lstm_ser.export.onnx`,
:mod:`speechbrain_lstm_ser.compression.pruning`,
:mod:`speechbrain_lstm_ser.evaluation.reports`), so ``sb-lstm-ser VERB -h``
prints that module's options. Any error is one ``error:`` line, status 1.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

from speechbrain_lstm_ser.cli.output import CommandError, squeeze

__all__ = [
    "DELEGATED",
    "add_delegated_parsers",
    "run_export_onnx",
    "run_prune",
    "run_report",
]

#: Verbs whose arguments the module doing the work parses (``VERB -h``).
DELEGATED = ("export-onnx", "prune", "report")


def add_delegated_parsers(sub) -> None:
    """The ``export-onnx``, ``prune`` and ``report`` verbs (no ``-h`` of their own)."""
    export = sub.add_parser(
        "export-onnx",
        help="export a trained run to ONNX (waveform to probabilities)",
        add_help=False,
        allow_abbrev=False,
    )
    export.add_argument(
        "--int8",
        action="store_true",
        help="also write an int8 dynamically quantised copy (<name>.int8.onnx)",
    )
    export.set_defaults(handler=run_export_onnx)
    sub.add_parser(
        "prune",
        help="prune a trained run into a smaller model's first checkpoint",
        add_help=False,
    ).set_defaults(handler=run_prune)
    sub.add_parser(
        "report",
        help="summarise a test_report.json (any task), text or Markdown",
        add_help=False,
    ).set_defaults(handler=run_report)


def run_export_onnx(args: argparse.Namespace) -> int:
    """The ONNX export's own command, then (``--int8``) the quantised copy.

    The int8 step lives here because ``export.quantization`` imports
    ``export.onnx``: the export module cannot call it back.
    """

    def export() -> None:
        from speechbrain_lstm_ser.export.onnx import main as export_main

        path = export_main(args.rest)
        if args.int8:
            from speechbrain_lstm_ser.export.quantization import quantize_onnx_int8

            copy = quantize_onnx_int8(path, path.with_suffix(".int8.onnx"))
            print(f"wrote {copy} ({copy.stat().st_size / 1e6:.2f} MB)")

    return _delegate(args.command, export)


def run_prune(args: argparse.Namespace) -> int:
    """Runs :func:`speechbrain_lstm_ser.compression.pruning.main`."""

    def prune() -> None:
        from speechbrain_lstm_ser.compression.pruning import main as prune_main

        prune_main(args.rest)

    return _delegate(args.command, prune)


def run_report(args: argparse.Namespace) -> int:
    """Runs :func:`speechbrain_lstm_ser.evaluation.reports.main`."""

    def report() -> None:
        from speechbrain_lstm_ser.evaluation.reports import main as report_main

        report_main(args.rest)

    return _delegate(args.command, report)


def _delegate(command: str, work: Callable[[], object]) -> int:
    """Runs ``work``; its errors, any kind, as one ``error:`` line (status 1).

    argparse's usage errors and ``--help`` (a SystemExit with a status) end
    the process as argparse ends it.
    """
    try:
        work()
    except SystemExit as err:
        if not isinstance(err.code, str):  # argparse's usage errors, --help
            raise
        message = err.code.removeprefix("error: ")  # the module's one-line error
    except (OSError, ValueError) as err:
        message = str(err)
    except KeyError as err:
        message = f"{command}: missing key {err} (is it the right kind of file?)"
    except Exception as err:  # anything else: still one line, not a traceback
        message = f"{command}: {type(err).__name__}: {err}"
    else:
        return 0
    raise CommandError(1, squeeze(message))
