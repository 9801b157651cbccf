"""The audio files a verb runs on: files as given, folders searched, speaker lists.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from speechbrain_lstm_ser.cli.output import CommandError

__all__ = ["AUDIO_EXTENSIONS", "audio_files", "expand_inputs", "read_speakers"]

#: File extensions searched for in folders.
AUDIO_EXTENSIONS = (".wav", ".flac", ".ogg", ".mp3", ".opus", ".aiff", ".aif", ".au")

#: The error of a run with nothing to do.
NO_AUDIO = "no audio files found in the given inputs"


def expand_inputs(inputs: Iterable[str]) -> tuple[list[Path], bool]:
    """Files as given, folders expanded recursively to their audio files.

    Arguments
    ---------
    inputs : iterable of str
        Paths from the command line.

    Returns
    -------
    files : list of Path
        In the order given, each folder's files sorted.
    had_folder : bool
        Whether any input was a folder (shows a progress bar).

    Example
    -------
    >>> expand_inputs(["missing.wav"])
    ([PosixPath('missing.wav')], False)
    """
    files: list[Path] = []
    had_folder = False
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            had_folder = True
            files += sorted(
                p
                for p in path.rglob("*")
                if p.suffix.lower() in AUDIO_EXTENSIONS and not p.is_dir()
            )
        else:
            files.append(path)  # a missing file is reported when it is read
    return files, had_folder


def audio_files(inputs: Iterable[str]) -> tuple[list[Path], bool]:
    """:func:`expand_inputs`, ending the verb (status 2) when nothing is found."""
    files, had_folder = expand_inputs(inputs)
    if not files:
        raise CommandError(2, NO_AUDIO)
    return files, had_folder


def read_speakers(csv: str | None) -> dict[Path, str]:
    """``--speakers``: each file's speaker; status 2 for an unreadable list.

    Without the option: empty.
    """
    if not csv:
        return {}
    from speechbrain_lstm_ser.inference.speakers import read_speaker_list

    try:
        return dict(read_speaker_list(csv))
    except ValueError as err:
        raise CommandError(2, f"--speakers: {err}") from None
