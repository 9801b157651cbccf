"""``python -m speechbrain_lstm_ser.hub publish FOLDER --repo-id user/name``.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import argparse
import logging
import sys

from speechbrain_lstm_ser.publish import PublishError, publish


def main(argv: list[str] | None = None) -> int:
    """Parses the command line and runs the sub-command."""
    parser = argparse.ArgumentParser(
        prog="python -m speechbrain_lstm_ser.hub",
        description="Publish exported models to the Hugging Face Hub.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    pub = sub.add_parser(
        "publish",
        help="check a model folder and upload it",
        description="Check an exported model folder (files, model card, a real "
        "load and run of its example clip) and upload it to a Hub model repo. "
        "The token comes from HF_TOKEN or `huggingface-cli login`.",
    )
    pub.add_argument("folder", help="an exported model folder (<output_folder>/model)")
    pub.add_argument("--repo-id", required=True, help="user/name on the Hub")
    pub.add_argument("--private", action="store_true", help="create a private repo")
    pub.add_argument(
        "--dry-run", action="store_true", help="check and list, upload nothing"
    )
    pub.add_argument(
        "--sign-key", help="private key (sb-lstm-ser keygen) to sign the upload with"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    try:
        print(
            publish(
                args.folder,
                args.repo_id,
                private=args.private,
                dry_run=args.dry_run,
                sign_key=args.sign_key,
            )
        )
    except (PublishError, ValueError, FileNotFoundError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
