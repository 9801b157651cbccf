"""The parser of ``sb-lstm-ser``: one sub-command per verb, each with its handler.

Each verb's module builds its sub-parser and sets its handler
(``set_defaults(handler=run_VERB)``); :func:`build_parser` puts them in
the order ``sb-lstm-ser -h`` lists them.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import argparse

from speechbrain_lstm_ser.cli.delegated import add_delegated_parsers
from speechbrain_lstm_ser.cli.keys import add_key_parsers
from speechbrain_lstm_ser.cli.predict import add_merge_parser, add_predict_parser
from speechbrain_lstm_ser.cli.publish import add_publish_parser
from speechbrain_lstm_ser.cli.robustness import add_robustness_parser
from speechbrain_lstm_ser.cli.serve import add_serve_parser
from speechbrain_lstm_ser.cli.stream import add_stream_parser
from speechbrain_lstm_ser.cli.timeline import add_timeline_parser
from speechbrain_lstm_ser.cli.transcribe import (
    add_analyze_parser,
    add_transcribe_parser,
)

__all__ = ["build_parser"]

#: The verbs' parser builders, in the order of ``sb-lstm-ser -h``.
VERB_PARSERS = (
    add_predict_parser,
    add_transcribe_parser,
    add_analyze_parser,
    add_timeline_parser,
    add_stream_parser,
    add_merge_parser,
    add_serve_parser,
    add_key_parsers,
    add_publish_parser,
    add_robustness_parser,
    add_delegated_parsers,
)


def build_parser() -> argparse.ArgumentParser:
    """The parser of ``sb-lstm-ser``; ``args.handler(args)`` runs the verb.

    Returns
    -------
    argparse.ArgumentParser

    Example
    -------
    >>> sub = next(a for a in build_parser()._actions if a.dest == "command")
    >>> sorted(sub.choices)  # doctest: +NORMALIZE_WHITESPACE
    ['analyze', 'export-onnx', 'keygen', 'merge-shards', 'predict', 'prune',
     'publish', 'report', 'robustness', 'serve', 'sign', 'stream', 'timeline',
     'transcribe', 'verify']
    >>> build_parser().parse_args(["verify", "model/"]).handler.__name__
    'run_verify'
    """
    parser = argparse.ArgumentParser(
        prog="sb-lstm-ser",
        description="Run, export, compress, report on and publish "
        "speechbrain-lstm-ser models.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for add_parser in VERB_PARSERS:
        add_parser(sub)
    return parser
