"""``publish``: check a model folder and upload it to the Hugging Face Hub.

The work is :mod:`speechbrain_lstm_ser.publish`'s.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import argparse

from speechbrain_lstm_ser.cli.output import CommandError

__all__ = ["add_publish_parser", "run_publish"]


def add_publish_parser(sub) -> None:
    """The ``publish`` verb."""
    publish = sub.add_parser(
        "publish",
        help="check a model folder and upload it to the Hugging Face Hub",
        description="Check an exported model folder (files, model card, a real "
        "load and run of its example clip) and upload it to a Hub model repo. "
        "The token comes from HF_TOKEN or `huggingface-cli login`.",
    )
    publish.add_argument(
        "folder", help="an exported model folder (<output_folder>/model)"
    )
    publish.add_argument("--repo-id", required=True, help="user/name on the Hub")
    publish.add_argument("--private", action="store_true", help="create a private repo")
    publish.add_argument(
        "--dry-run", action="store_true", help="check and list, upload nothing"
    )
    publish.add_argument(
        "--sign-key", help="private key (sb-lstm-ser keygen) to sign the upload with"
    )
    publish.add_argument(
        "--robustness",
        help="the JSON `sb-lstm-ser robustness --conditions all --json` wrote for "
        "this folder: the uploaded card lists its table",
    )
    publish.set_defaults(handler=run_publish)


def run_publish(args: argparse.Namespace) -> int:
    """Runs ``publish`` (``--dry-run``: lists what would be uploaded); 1 on errors."""
    from speechbrain_lstm_ser.publish import PublishError, publish

    try:
        print(
            publish(
                args.folder,
                args.repo_id,
                private=args.private,
                dry_run=args.dry_run,
                sign_key=args.sign_key,
                robustness=args.robustness,
            )
        )
    except (PublishError, ValueError, FileNotFoundError) as err:
        raise CommandError(1, str(err)) from None
    return 0
