"""Closed model folders: every file is a regular file that lives inside the folder.

A model folder is read by several hands (the signature check, SpeechBrain's
fetching, ``torch.load``, the label encoder), so a file that *points
elsewhere* would be read wherever it points: ``label_encoder.ckpt ->
/etc/shadow`` is opened and parsed, a FIFO blocks the hashing forever, a hard
link can be changed through its other name. :func:`check_closed` refuses,
before anything is read:

- a symbolic link whose target (resolved, all links followed) is outside the
  folder (links *inside* the folder are fine);
- a symlinked sub-folder (it can loop or leave);
- a file with more than one hard link (``st_nlink > 1``);
- anything that is not a regular file: FIFOs, sockets, devices.

What counts as "inside" is decided on the ORIGINAL model folder, never on a
SpeechBrain ``savedir`` (which symlinks every file to its source). Two
layouts of the Hugging Face Hub cache are recognised: a folder that *is* a
snapshot (``models--owner--name/snapshots/<rev>``), whose files are links
to ``../../blobs/<hash>`` (the repository's ``blobs`` folder counts as
inside), and a ``savedir`` filled from the Hub (``hub_links=True``), whose
files link to such a snapshot: each is checked against its snapshot.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

__all__ = [
    "FolderClosureError",
    "check_closed",
    "hub_snapshot_roots",
    "safe_relative",
]


class FolderClosureError(ValueError):
    """A model folder with a file that leaves it; nothing was read."""

    def __init__(self, folder, problems: Iterable[str]):
        self.problems = list(problems)
        super().__init__(
            f"{folder}: refused, files must stay inside the model folder "
            f"(nothing was loaded): {'; '.join(self.problems)}"
        )


def hub_snapshot_roots(folder: str | os.PathLike) -> tuple[Path, ...]:
    """Where the files of a folder may resolve: itself, plus a Hub snapshot's blobs.

    Arguments
    ---------
    folder : str or os.PathLike
        A model folder.

    Returns
    -------
    tuple of Path
        Resolved folders.

    Example
    -------
    >>> import tempfile
    >>> base = Path(tempfile.mkdtemp()).resolve()
    >>> snap = base / "models--me--ser" / "snapshots" / "abc"
    >>> snap.mkdir(parents=True)
    >>> [p.relative_to(base).as_posix() for p in hub_snapshot_roots(snap)]
    ['models--me--ser/snapshots/abc', 'models--me--ser/blobs']
    >>> len(hub_snapshot_roots(base))
    1
    """
    root = Path(folder).resolve()
    snapshot = _snapshot_of(root)
    if snapshot is None:
        return (root,)
    return (root, snapshot.parent.parent / "blobs")


def _snapshot_of(path: Path) -> Path | None:
    """The Hub snapshot folder ``models--*/snapshots/<rev>`` holding ``path``."""
    for candidate in (path, *path.parents):
        parent = candidate.parent
        if parent.name == "snapshots" and parent.parent.name.startswith(
            ("models--", "datasets--", "spaces--")
        ):
            return candidate
    return None


def safe_relative(name: str) -> bool:
    """Whether a manifest entry is a plain relative path inside its folder.

    Example
    -------
    >>> safe_relative("encoder.ckpt"), safe_relative("../x"), safe_relative("/etc/x")
    (True, False, False)
    """
    path = PurePosixPath(name)
    return (
        bool(name)
        and not path.is_absolute()
        and ".." not in path.parts
        and "\\" not in name
    )


def _inside(path: Path, roots: Iterable[Path]) -> bool:
    return any(path == root or path.is_relative_to(root) for root in roots)


def _check_file(path: Path, name: str, roots: tuple[Path, ...]) -> str | None:
    """The problem with one folder entry, or None when it is a closed regular file."""
    try:
        info = os.lstat(path)
    except OSError as err:
        return f"{name}: cannot be read ({err.strerror})"
    if stat.S_ISLNK(info.st_mode):
        try:
            target = path.resolve(strict=True)
        except (OSError, RuntimeError):
            return f"{name}: a broken or looping symbolic link"
        if not _inside(target, roots):
            return f"{name}: a symbolic link to {target}, outside the model folder"
        try:
            info = os.stat(target)
        except OSError as err:
            return f"{name}: cannot be read ({err.strerror})"
    if stat.S_ISDIR(info.st_mode):
        return f"{name}: a folder, where a file is expected"
    if not stat.S_ISREG(info.st_mode):
        return f"{name}: not a regular file (a FIFO, socket or device)"
    if info.st_nlink > 1:
        return (
            f"{name}: a hard link ({info.st_nlink} names): it can be changed "
            "from outside the folder; copy it"
        )
    return None


def _hub_linked_roots(path: Path, roots: tuple[Path, ...]) -> tuple[Path, ...]:
    """For a savedir entry linked to a Hub snapshot: that snapshot and its blobs."""
    if not path.is_symlink():
        return roots
    first = Path(os.readlink(path))
    if not first.is_absolute():
        first = path.parent / first
    snapshot = _snapshot_of(Path(os.path.abspath(first)))
    return hub_snapshot_roots(snapshot) if snapshot is not None else roots


def check_closed(
    folder: str | os.PathLike,
    names: Iterable[str] | None = None,
    hub_links: bool = False,
) -> list[str]:
    """Refuses a model folder whose files leave it; lists its files.

    Arguments
    ---------
    folder : str or os.PathLike
        The model folder (or a Hub snapshot, or with ``hub_links`` a
        ``savedir`` that SpeechBrain filled from the Hub).
    names : iterable of str, optional
        Only these relative paths (those that exist); by default every file
        under the folder, recursively.
    hub_links : bool
        Accept links to a Hugging Face Hub snapshot (and from it to its
        ``blobs``), as SpeechBrain's fetching makes them in a ``savedir``.

    Returns
    -------
    list of str
        The relative POSIX paths checked, sorted.

    Raises
    ------
    FolderClosureError
        Naming every file that leaves the folder, and how.

    Example
    -------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "encoder.ckpt").write_bytes(b"weights")
    >>> (folder / "alias.ckpt").symlink_to("encoder.ckpt")  # inside: fine
    >>> check_closed(folder)
    ['alias.ckpt', 'encoder.ckpt']
    >>> (folder / "label_encoder.ckpt").symlink_to("/etc/passwd")
    >>> try:
    ...     check_closed(folder)
    ... except FolderClosureError as err:
    ...     print(err.problems)
    ['label_encoder.ckpt: a symbolic link to /etc/passwd, outside the model folder']
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: no such model folder")
    roots = hub_snapshot_roots(folder)
    problems: list[str] = []
    if names is None:
        listed = []
        for parent, dirs, files in os.walk(folder, followlinks=False):
            base = Path(parent)
            for sub in list(dirs):
                if (base / sub).is_symlink():  # os.walk lists it, never enters
                    rel = (base / sub).relative_to(folder).as_posix()
                    problems.append(f"{rel}: a symlinked folder")
                    dirs.remove(sub)
            listed += [(base / f).relative_to(folder).as_posix() for f in files]
    else:
        names = list(names)
        unsafe = [n for n in names if not safe_relative(n)]
        problems += [
            f"{n!r}: not a plain relative path inside the folder" for n in unsafe
        ]
        listed = [n for n in names if n not in unsafe and os.path.lexists(folder / n)]
    for name in listed:
        path = folder / name
        entry_roots = _hub_linked_roots(path, roots) if hub_links else roots
        problem = _check_file(path, name, entry_roots)
        if problem:
            problems.append(problem)
    if problems:
        raise FolderClosureError(folder, problems)
    return sorted(listed)
