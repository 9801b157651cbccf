"""The loop of the verbs that answer file by file: timeline, transcribe, analyze.

Each file's answer is one output line (or table rows); a file that cannot
be read gets one ``error:`` line and the others are still processed; a
file answered with a warning gets a ``warning:`` line and a ``"warnings"``
field.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import json
import sys
import warnings
from collections.abc import Callable
from pathlib import Path

from speechbrain_lstm_ser.cli.output import one_line, output_failed, table_rows, write

__all__ = ["run_per_file"]


def run_per_file(
    files: list[Path],
    work: Callable[[Path], dict],
    fmt: str,
    progress: bool,
) -> int:
    """Applies ``work`` to each file and prints each answer; the exit status.

    Arguments
    ---------
    files : list of Path
        The inputs.
    work : callable
        A file's answer (a dict with its ``"file"``); raises AudioError.
    fmt : str
        ``jsonl`` or ``table``.
    progress : bool
        Whether to show a progress bar on standard error.

    Returns
    -------
    int
        0, or 1 when a file failed or the output cannot be written.
    """
    from tqdm import tqdm

    from speechbrain_lstm_ser.dataio.audio import AudioError

    failed = 0
    for path in tqdm(files, disable=not progress, file=sys.stderr, unit="file"):
        try:
            result = _answer(work, path)
        except AudioError as err:
            failed += 1
            tqdm.write(f"error: {one_line(err)}", file=sys.stderr)  # bar intact
            continue
        try:
            write(_formatted(result, fmt))
        except OSError as err:
            return output_failed(err)
    if failed:
        print(f"{failed} of {len(files)} file(s) failed", file=sys.stderr)
    return 1 if failed else 0


def _formatted(result: dict, fmt: str) -> str:
    """A result as its output line(s): JSON (``jsonl``) or table rows."""
    return json.dumps(result) if fmt == "jsonl" else "\n".join(table_rows(result))


def _answer(work: Callable[[Path], dict], path: Path) -> dict:
    """``work(path)``; its audio warnings printed and listed in the answer."""
    from tqdm import tqdm

    from speechbrain_lstm_ser.inference.checks import AudioWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", AudioWarning)
        result = work(path)
    notes = [str(w.message) for w in caught if w.category is AudioWarning]
    for note in notes:
        tqdm.write(f"warning: {one_line(note)}", file=sys.stderr)
    for other in caught:  # any other warning, shown as Python would
        if other.category is not AudioWarning:
            warnings.showwarning(
                other.message, other.category, other.filename, other.lineno
            )
    if notes:
        result["warnings"] = notes
    return result
