"""Command-line options that several bench scripts share.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import argparse

__all__ = ["add_trusted_key_option"]


def add_trusted_key_option(parser: argparse.ArgumentParser) -> None:
    """``--trusted-key``: the signers a script's model may come from.

    Used by ``bench.enrolment`` and ``bench.streaming``, which load an
    exported model (``trusted_keys`` of ``from_hparams``).

    Example
    -------
    >>> parser = argparse.ArgumentParser()
    >>> add_trusted_key_option(parser)
    >>> parser.parse_args(["--trusted-key", "a.pub"]).trusted_key
    ['a.pub']
    """
    parser.add_argument(
        "--trusted-key",
        action="append",
        default=[],
        help="public key (.pub) of the model's signer; with any key pinned (or "
        "$SB_LSTM_SER_TRUSTED_KEYS), an unsigned or foreign model is refused",
    )
