"""``python -m speechbrain_lstm_ser.hub publish FOLDER --repo-id user/name``.

An alias of ``sb-lstm-ser publish`` (:mod:`speechbrain_lstm_ser.cli`), kept
for the commands already written down; the arguments are the same.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import sys

from speechbrain_lstm_ser.cli import build_parser
from speechbrain_lstm_ser.cli import main as cli_main


def main(argv: list[str] | None = None) -> int:
    """Runs ``sb-lstm-ser publish`` with the given arguments."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] in (["-h"], ["--help"]):
        argv = ["publish", "--help"]
    if argv[:1] != ["publish"]:
        build_parser().error(
            "python -m speechbrain_lstm_ser.hub only runs `publish`; "
            "use sb-lstm-ser for the other commands"
        )
    return cli_main(argv)


if __name__ == "__main__":
    sys.exit(main())
