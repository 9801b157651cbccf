"""Options that several ``sb-lstm-ser`` verbs share, and their checked types.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import argparse
import math

__all__ = [
    "add_file_options",
    "add_label_options",
    "add_model_options",
    "positive_seconds",
    "sample_rate",
    "seconds_or_zero",
    "threads_arg",
]


def positive_seconds(text: str) -> float:
    """``--window``, ``--hop``, ``--chunk``: a positive number of seconds.

    Example
    -------
    >>> positive_seconds("1.5")
    1.5
    >>> positive_seconds("0")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: must be a positive number of seconds, got '0'
    """
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(
            f"must be a positive number of seconds, got {text!r}"
        )
    return value


def seconds_or_zero(text: str) -> float:
    """``--smoothing``: a number of seconds, 0 or more."""
    if text.strip() in ("0", "0.0"):
        return 0.0
    return positive_seconds(text)


def sample_rate(text: str) -> int:
    """``--rate``: a positive integer (Hz)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"must be a sample rate in Hz (an integer), got {text!r}"
        ) from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive rate in Hz, got {text}")
    return value


def threads_arg(text: str) -> int | str:
    """``--threads``: a positive integer or ``auto`` (argparse's type)."""
    from speechbrain_lstm_ser.threads import parse_threads

    try:
        return parse_threads(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def add_model_options(parser: argparse.ArgumentParser, threads: bool = True) -> None:
    """How a verb loads its model: the options of ``load_model``.

    ``--savedir``, ``--device``, ``--threads``, ``--verify``, ``--trusted-key``
    (:func:`speechbrain_lstm_ser.inference.load.load_model`).

    Arguments
    ---------
    parser : argparse.ArgumentParser
        The verb's parser.
    threads : bool
        Whether the verb takes ``--threads`` (``stream`` does not).
    """
    parser.add_argument(
        "--savedir", help="where Hub files are linked (default: HF cache)"
    )
    parser.add_argument("--device", default="cpu", help="cpu, cuda, cuda:1, ...")
    if threads:
        parser.add_argument(
            "--threads",
            type=threads_arg,
            default="auto",
            help="PyTorch threads: N, or auto (default: OMP_NUM_THREADS if set, "
            "else the cores not busy with other processes)",
        )
    parser.add_argument(
        "--verify",
        choices=("auto", "required", "off"),
        default="auto",
        help="signature policy: auto = with a pinned key, require its "
        "signature; without one, check if signed and warn if not "
        "(docs/security.md)",
    )
    parser.add_argument(
        "--trusted-key",
        action="append",
        default=[],
        help="public key (.pub) whose signature you trust; repeatable; with "
        "any key pinned (here or in $SB_LSTM_SER_TRUSTED_KEYS), an unsigned "
        "or foreign model is refused",
    )


def add_file_options(
    parser: argparse.ArgumentParser, models=("--model",), inputs: str = "+"
) -> None:
    """The inputs, model(s) and output format of a verb that runs on files."""
    parser.add_argument("inputs", nargs=inputs, help="audio files and/or folders")
    for flag in models:
        parser.add_argument(
            flag, required=True, help="exported model folder or Hub repo id"
        )
    add_model_options(parser)
    parser.add_argument("--format", choices=("jsonl", "table"), default="jsonl")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def add_label_options(parser: argparse.ArgumentParser) -> None:
    """``--labels`` and ``--no-speech-gate`` of the classifying verbs."""
    parser.add_argument(
        "--labels",
        help="comma-separated classes, e.g. happy,sad: the output is restricted "
        "to them (probabilities renormalised over them)",
    )
    parser.add_argument(
        "--no-speech-gate",
        action="store_true",
        help="classify audio in which the speech detector finds no speech "
        "(default: such files get label null, speech false; timeline: such "
        "windows are skipped)",
    )
