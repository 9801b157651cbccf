"""``python -m speechbrain_lstm_ser.cli``: the same as ``sb-lstm-ser``."""

import sys

from speechbrain_lstm_ser.cli.entry import main

if __name__ == "__main__":
    sys.exit(main())
