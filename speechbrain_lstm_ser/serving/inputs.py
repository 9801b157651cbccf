"""The audio files of a batch run, streamed: folders, file lists, manifests.

Nothing is listed in full in memory: a folder is walked one directory at a
time (each sorted, so that every process of a sharded run sees the same
order), a file list or manifest is read line by line.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

__all__ = ["LIST_SUFFIXES", "MANIFEST_SUFFIXES", "iter_audio_files"]

#: A file input with one of these suffixes lists one audio path per line
#: (relative paths: to the current directory, as ``find`` writes them).
LIST_SUFFIXES = (".txt", ".lst", ".list")
#: A file input with one of these suffixes is a manifest: CSV with a header
#: (SpeechBrain's ``wav`` column, or ``path`` / ``file``) or JSON lines with
#: one of those keys; relative paths are relative to the manifest's folder.
MANIFEST_SUFFIXES = (".csv", ".jsonl")
#: The manifest columns tried, in order, for the audio path.
PATH_COLUMNS = ("wav", "path", "file")


def _walk(folder: Path, extensions: Sequence[str]) -> Iterator[Path]:
    """Audio files under ``folder``, depth first, each directory sorted."""
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError:
        return  # an unreadable sub-folder holds nothing we can classify
    for entry in entries:
        if entry.is_dir(follow_symlinks=False):
            yield from _walk(Path(entry.path), extensions)
        elif os.path.splitext(entry.name)[1].lower() in extensions:
            yield Path(entry.path)


def _resolve(value: str, base: Path, data_root: str | None, source: Path) -> Path:
    if "$data_root" in value:
        if data_root is None:
            raise ValueError(
                f"{source}: paths use $data_root; give the corpus folder with "
                "--data-root"
            )
        value = value.replace("$data_root", data_root)
    path = Path(value)
    return path if path.is_absolute() else base / path


def _manifest(path: Path, data_root: str | None) -> Iterator[Path]:
    base = path.parent
    with open(path, encoding="utf-8", newline="") as handle:
        if path.suffix.lower() == ".csv":
            reader = csv.DictReader(handle)
            column = next(
                (c for c in PATH_COLUMNS if c in (reader.fieldnames or [])), None
            )
            if column is None:
                raise ValueError(
                    f"{path}: no audio column; a manifest needs one of "
                    f"{list(PATH_COLUMNS)} in its header"
                )
            for row in reader:
                yield _resolve(row[column], base, data_root, path)
            return
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                value = next(row[c] for c in PATH_COLUMNS if c in row)
            except (json.JSONDecodeError, StopIteration, TypeError):
                raise ValueError(
                    f"{path}:{number}: not a JSON object with one of "
                    f"{list(PATH_COLUMNS)}"
                ) from None
            yield _resolve(str(value), base, data_root, path)


def _file_list(path: Path) -> Iterator[Path]:
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            line = line.rstrip("\r\n")
            if line.strip() and not line.lstrip().startswith("#"):
                yield Path(line)


def iter_audio_files(
    inputs: Iterable[str | os.PathLike],
    extensions: Sequence[str],
    data_root: str | None = None,
) -> Iterator[Path]:
    r"""Every audio file named by the inputs, in a fixed order, streamed.

    Arguments
    ---------
    inputs : iterable of path
        Audio files, folders (searched recursively for ``extensions``), file
        lists (:data:`LIST_SUFFIXES`) and manifests (:data:`MANIFEST_SUFFIXES`).
    extensions : sequence of str
        Lower-case suffixes of audio files, e.g. ``(".wav", ".flac")``.
    data_root : str, optional
        What ``$data_root`` stands for in a SpeechBrain manifest.

    Yields
    ------
    Path
        A missing or unreadable file is yielded too: it is reported when read.

    Example
    -------
    >>> import tempfile
    >>> root = Path(tempfile.mkdtemp())
    >>> (root / "b").mkdir()
    >>> for name in ("b/2.wav", "1.WAV", "notes.md"):
    ...     _ = (root / name).write_bytes(b"")
    >>> _ = (root / "list.txt").write_text(f"{root}/x.flac\n")
    >>> [p.relative_to(root).as_posix() for p in iter_audio_files(
    ...     [root, root / "list.txt"], (".wav", ".flac"))]
    ['1.WAV', 'b/2.wav', 'x.flac']
    """
    for item in inputs:
        path = Path(item)
        suffix = path.suffix.lower()
        if path.is_dir():
            yield from _walk(path, tuple(extensions))
        elif suffix in LIST_SUFFIXES and path.is_file():
            yield from _file_list(path)
        elif suffix in MANIFEST_SUFFIXES and path.is_file():
            yield from _manifest(path, data_root)
        else:
            yield path
