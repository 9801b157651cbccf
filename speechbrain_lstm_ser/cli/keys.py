"""``keygen``, ``sign``, ``verify``: Ed25519 signatures of model folders.

The work is :mod:`speechbrain_lstm_ser.hub.signing`'s. Every failure is
one ``error:`` line and exit status 1. ``verify`` succeeds only for a
signature by a pinned key (``--trusted-key`` or
``$SB_LSTM_SER_TRUSTED_KEYS``); ``--allow-unpinned`` accepts another
signer with a warning (the signature then proves integrity only).

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from speechbrain_lstm_ser.cli.output import CommandError, errors_as_lines

__all__ = ["add_key_parsers", "run_keygen", "run_sign", "run_verify"]


def add_key_parsers(sub) -> None:
    """The ``keygen``, ``sign`` and ``verify`` verbs."""
    keygen = sub.add_parser("keygen", help="create an Ed25519 signing key pair")
    keygen.add_argument(
        "key", help="private key file to write (KEY.pub gets the public key)"
    )
    keygen.add_argument(
        "--overwrite", action="store_true", help="replace existing keys"
    )
    keygen.set_defaults(handler=run_keygen)
    sign = sub.add_parser("sign", help="sign every file of a model folder")
    sign.add_argument("folder", help="an exported model folder")
    sign.add_argument("--key", required=True, help="private key from `keygen`")
    sign.set_defaults(handler=run_sign)
    verify = sub.add_parser("verify", help="verify a model folder's signature")
    verify.add_argument("folder", help="a model folder")
    verify.add_argument(
        "--trusted-key",
        action="append",
        default=[],
        help="public key (.pub) of the publisher; repeatable (with "
        "$SB_LSTM_SER_TRUSTED_KEYS's); without a pinned signer, verify fails",
    )
    verify.add_argument(
        "--allow-unpinned",
        action="store_true",
        help="accept a valid signature by a key you have not pinned (integrity "
        "only: anyone can re-sign a changed folder); says so on stderr",
    )
    verify.set_defaults(handler=run_verify)


@contextmanager
def _signing_errors() -> Iterator[None]:
    """Errors of keys, signatures and folders as one ``error:`` line, status 1."""
    from speechbrain_lstm_ser.hub.closure import FolderClosureError
    from speechbrain_lstm_ser.hub.signing import SignatureError

    kinds = (SignatureError, FolderClosureError, ValueError, OSError)
    with errors_as_lines(1, *kinds):
        yield


def run_keygen(args: argparse.Namespace) -> int:
    """Runs ``keygen``: writes KEY and KEY.pub."""
    from speechbrain_lstm_ser.hub.signing import generate_keypair

    with _signing_errors():
        name = generate_keypair(args.key, overwrite=args.overwrite)
        print(
            f"{name}: private key {args.key} (keep it secret), "
            f"public key {args.key}.pub"
        )
    return 0


def run_sign(args: argparse.Namespace) -> int:
    """Runs ``sign``: writes the folder's signature."""
    from speechbrain_lstm_ser.hub.signing import sign_folder

    with _signing_errors():
        path = sign_folder(args.folder, args.key)
        print(f"signed: {path}")
    return 0


def run_verify(args: argparse.Namespace) -> int:
    """Runs ``verify``: 0 only for an intact signature by a pinned key.

    With ``--allow-unpinned``, by any key.
    """
    from speechbrain_lstm_ser.hub.load import TRUST_STORE_ENV, pinned_keys
    from speechbrain_lstm_ser.hub.signing import verify_folder

    with _signing_errors():
        result = verify_folder(args.folder, pinned_keys(args.trusted_key))
        if not result.signed:
            raise CommandError(1, f"{args.folder} is not signed")
        if result.trusted:
            print(
                f"OK: {len(result.files)} files, signed by {result.signer} (pinned key)"
            )
        elif args.allow_unpinned:
            print(
                f"OK (UNPINNED SIGNER): {len(result.files)} files, signed by "
                f"{result.signer}, a key you have not pinned"
            )
            print(
                "warning: --allow-unpinned: this proves only that the files "
                "match their signature; anyone can re-sign a changed folder",
                file=sys.stderr,
            )
        else:
            raise CommandError(
                1,
                f"{args.folder}: signature intact, but signed by "
                f"{result.signer}, which is not pinned; pass --trusted-key "
                f"PUBLISHER.pub (or set ${TRUST_STORE_ENV}), or "
                "--allow-unpinned to accept any signer",
            )
    return 0
