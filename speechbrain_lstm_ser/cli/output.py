r"""What ``sb-lstm-ser`` prints: result lines, file names, one-line errors.

Results go to standard output (JSON lines or a table), one line each;
errors and warnings go to standard error, one line each, starting
``error:`` / ``warning:``. A verb that must stop raises
:class:`CommandError`; :func:`speechbrain_lstm_ser.cli.entry.main` prints it.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = [
    "CommandError",
    "display_name",
    "errors_as_lines",
    "one_line",
    "output_failed",
    "squeeze",
    "table_rows",
    "wants_progress",
    "write",
]


class CommandError(Exception):
    """Ends a verb: one ``error:`` line on standard error and an exit status.

    Arguments
    ---------
    status : int
        The exit status (each verb keeps its own: 1 or 2).
    message : str
        The line after ``error:``, naming what is wrong and how to fix it.

    Example
    -------
    >>> err = CommandError(2, "no audio files found in the given inputs")
    >>> err.status, err.message
    (2, 'no audio files found in the given inputs')
    """

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def one_line(message) -> str:
    r"""A message on one line (a file name with a newline stays one line).

    Example
    -------
    >>> one_line("a\nb  c")
    'a b  c'
    """
    return " ".join(str(message).splitlines())


def squeeze(message) -> str:
    r"""A message on one line, every run of white space one space.

    Example
    -------
    >>> squeeze("is not ready:\n  - no model card")
    'is not ready: - no model card'
    """
    return " ".join(str(message).split())


@contextmanager
def errors_as_lines(status: int, *kinds: type[Exception]) -> Iterator[None]:
    r"""Turns the ``kinds`` of errors raised inside into a :class:`CommandError`.

    The error's message becomes the one line (:func:`squeeze`).

    Example
    -------
    >>> with errors_as_lines(1, OSError):
    ...     raise FileNotFoundError("no such\nfile")
    Traceback (most recent call last):
    ...
    speechbrain_lstm_ser.cli.output.CommandError: no such file
    """
    try:
        yield
    except kinds as err:
        raise CommandError(status, squeeze(err)) from None


def display_name(path: Path | str) -> str:
    r"""A file name on one line, printable, that maps back to the file's bytes.

    Backslashes are doubled; newlines, tabs, other control characters and
    bytes that are not UTF-8 are backslash escapes (``\n``, ``\t``,
    ``\xNN``). ``codecs.escape_decode(name.encode())[0]`` gives the bytes
    of the name back.

    Example
    -------
    >>> display_name(Path(os.fsdecode(b"caf\xe9.wav")))
    'caf\\xe9.wav'
    >>> print(display_name("a\nb.wav"), display_name("caf\u00e9.wav"))
    a\nb.wav café.wav
    >>> import codecs
    >>> codecs.escape_decode(display_name("a\\x41\n.wav").encode())[0]
    b'a\\x41\n.wav'
    """
    text = os.fsencode(path).decode("utf-8", "surrogateescape")
    out = []
    for char in text:
        code = ord(char)
        if char == "\\":
            out.append("\\\\")
        elif 0xDC80 <= code <= 0xDCFF:  # a byte that is not UTF-8
            out.append(f"\\x{code - 0xDC00:02x}")
        elif char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\x{code:02x}")
        elif not char.isprintable():  # e.g. U+2028, a line separator
            out.append("".join(f"\\x{b:02x}" for b in char.encode("utf-8")))
        else:
            out.append(char)
    return "".join(out)


_ESCAPES = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}


def table_rows(result: dict) -> list[str]:
    r"""Tab-separated rows, one line each (names and texts escaped).

    Example
    -------
    >>> table_rows({"file": "a.wav", "label": None, "score": None})
    ['a.wav\t(no speech)\t-']
    >>> table_rows({"file": "b.wav", "text": "two\nlines"})
    ['b.wav\ttwo\\nlines']
    >>> table_rows({"file": "c.wav", "label": "sad", "score": 0.5,
    ...             "dimensions": {"arousal": 0.25, "valence": 0.3}})
    ['c.wav\tsad\t0.500\tarousal=0.250\tvalence=0.300']
    >>> table_rows({"file": "d.wav", "label": None, "score": None, "speech": True,
    ...             "dimensions": {"arousal": 0.25}})
    ['d.wav\t-\t-\tarousal=0.250']
    """
    name = result["file"]  # already display_name()
    if "text" in result:
        return [f"{name}\t{display_name(result['text'])}"]
    if "segments" in result:
        rows = []
        for s in result["segments"]:
            span = f"{s['start']:.2f}-{s['end']:.2f}"
            what = s.get("label") or s.get("emotion") or "-"
            score = "-" if s.get("score") is None else f"{s['score']:.3f}"
            text = f"\t{display_name(s['text'])}" if "text" in s else ""
            dims = _dimension_cells(s)
            rows.append(f"{name}\t{span}\t{what}\t{score}{dims}{text}")
        return rows or [f"{name}\t-\t(no speech)\t-"]
    if result["label"] is None and not result.get("dimensions"):  # no speech
        return [f"{name}\t(no speech)\t-"]
    score = "-" if result.get("score") is None else f"{result['score']:.3f}"
    dims = _dimension_cells(result)  # a model of the dimensions alone: label "-"
    return [f"{name}\t{result['label'] or '-'}\t{score}{dims}"]


def _dimension_cells(result: dict) -> str:
    """Tab-separated ``arousal=0.800`` cells of a dimensional answer, else nothing."""
    values = result.get("dimensions") or {}
    return "".join(f"\t{key}={value:.3f}" for key, value in values.items())


def write(text: str) -> None:
    """Prints a line of the command's output (may raise OSError)."""
    print(text, flush=True)


def output_failed(err: OSError) -> int:
    """One line for an output that cannot be written; the exit status."""
    # What is still buffered would fail again at exit: send it nowhere.
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass
    if isinstance(err, BrokenPipeError):  # the reader left (| head): quietly
        return 1
    print(f"error: cannot write the output: {err.strerror or err}", file=sys.stderr)
    return 1


def wants_progress(listing: bool, quiet: bool) -> bool:
    """Whether to show a progress bar: a listing of files, on a terminal."""
    return listing and not quiet and sys.stderr.isatty()
