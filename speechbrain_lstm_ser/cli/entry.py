"""The entry point of ``sb-lstm-ser``: parse, set up the process, run the verb.

A verb's handler returns the exit status, or raises
:class:`speechbrain_lstm_ser.cli.output.CommandError`, printed here as
one ``error:`` line. An output that cannot be written (``> /dev/full``, a
closed pipe) ends the command with one ``error:`` line and status 1.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import argparse
import errno
import logging
import sys

from speechbrain_lstm_ser.cli.delegated import DELEGATED
from speechbrain_lstm_ser.cli.output import CommandError, output_failed
from speechbrain_lstm_ser.cli.parser import build_parser

__all__ = ["main"]

#: Errors of writing the output (a full disk, a closed pipe): one line.
OUTPUT_ERRNOS = (errno.ENOSPC, errno.EPIPE, errno.EDQUOT, errno.EFBIG, errno.EIO)


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``sb-lstm-ser``; returns the exit status.

    Arguments
    ---------
    argv : list of str, optional
        The arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        0 on success; 1 or 2 (as each verb documents) after an ``error:`` line.
    """
    try:
        status = _run_verb(_parse(argv))
        sys.stdout.flush()
    except OSError as err:
        if err.errno not in OUTPUT_ERRNOS:
            raise
        return output_failed(err)
    return status


def _parse(argv: list[str] | None) -> argparse.Namespace:
    """The verb's arguments; ``args.rest``: those a delegated verb passes on."""
    parser = build_parser()
    args, rest = parser.parse_known_args(argv)
    if rest and args.command not in DELEGATED:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    args.rest = rest
    return args


def _run_verb(args: argparse.Namespace) -> int:
    """Sets up logging and threads, then runs the verb's handler."""
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    if hasattr(args, "threads"):  # the verbs that run models; before torch loads
        from speechbrain_lstm_ser.threads import configure_threads

        configure_threads(args.threads)
    if args.command != "report":  # the only verb that never loads SpeechBrain
        _quiet_speechbrain()
    try:
        return args.handler(args)
    except CommandError as err:
        print(f"error: {err.message}", file=sys.stderr)
        return err.status


def _quiet_speechbrain() -> None:
    """Keeps SpeechBrain's INFO chatter out of the command's output.

    Each of its loggers sets its own level; warnings and errors still show.
    """
    import speechbrain.inference.interfaces  # noqa: F401  (creates its loggers)
    import speechbrain.utils.parameter_transfer  # noqa: F401

    for name in list(logging.root.manager.loggerDict):
        if name == "speechbrain" or name.startswith("speechbrain."):
            logging.getLogger(name).setLevel(logging.WARNING)
