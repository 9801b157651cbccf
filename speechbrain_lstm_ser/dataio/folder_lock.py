"""One writer at a time per data folder, across processes.

Generating a corpus (or a domain) is idempotent for one process, but two
processes that start it together (the benchmark's parallel trainings, two
recipes sharing a ``--data_folder``) would write the same files at once.
:func:`folder_lock` makes the second one wait for the first; it then finds
the finished corpus and skips.

The lock is an advisory ``flock`` on a hidden file beside the folder
(``.<name>.lock`` in its parent), so the folder itself holds only what the
generator writes. On a system without ``fcntl`` (Windows) no lock is taken.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

try:
    import fcntl
except ImportError:  # Windows: no advisory locks
    fcntl = None

__all__ = ["folder_lock", "lock_path", "one_writer_per_folder"]

logger = logging.getLogger(__name__)

Result = TypeVar("Result")


def lock_path(folder: str | os.PathLike) -> Path:
    """The lock file of ``folder``: ``.<name>.lock`` beside it.

    Arguments
    ---------
    folder : str or os.PathLike
        The data folder.

    Returns
    -------
    Path

    Example
    -------
    >>> path = lock_path("data/embedded/")
    >>> path.name, path.parent.name
    ('.embedded.lock', 'data')
    """
    folder = Path(os.path.abspath(folder))  # also normalises "corpus/" and "a/../b"
    return folder.parent / f".{folder.name}.lock"


@contextlib.contextmanager
def folder_lock(folder: str | os.PathLike) -> Iterator[None]:
    """Holds the exclusive lock of ``folder`` for the ``with`` block.

    Blocks while another process holds it, saying so in the log.

    Arguments
    ---------
    folder : str or os.PathLike
        The data folder (its parent is created if needed). Where the lock
        file cannot be created (a read-only parent), no lock is taken.

    Example
    -------
    >>> import tempfile
    >>> folder = os.path.join(tempfile.mkdtemp(), "corpus")
    >>> with folder_lock(folder):
    ...     with folder_lock(os.path.join(folder, "..", "other")):
    ...         "two folders, two locks"
    'two folders, two locks'
    """
    if fcntl is None:
        yield
        return
    path = lock_path(folder)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(path, "a+b")
    except OSError as error:
        # A read-only place (a finished corpus on a shared disk): nothing
        # will be written there, so there is nothing to serialise; a
        # generator that must write fails there with its own message.
        logger.debug(f"{folder}: no lock ({error}); going on without one.")
        yield
        return
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            logger.info(
                f"Another process is writing {Path(folder)}; waiting for it "
                f"to finish (lock {path})."
            )
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def one_writer_per_folder(
    generate: Callable[..., Result],
) -> Callable[..., Result]:
    """Decorates ``generate(data_folder, ...)`` to run under :func:`folder_lock`.

    Arguments
    ---------
    generate : callable
        A generator whose first argument (or keyword ``data_folder``) is
        the folder it writes.

    Returns
    -------
    callable
        The same generator, one process at a time per folder.

    Example
    -------
    >>> import tempfile
    >>> @one_writer_per_folder
    ... def touch(data_folder):
    ...     Path(data_folder).mkdir()
    ...     return sorted(os.listdir(Path(data_folder).parent))
    >>> touch(os.path.join(tempfile.mkdtemp(), "corpus"))
    ['.corpus.lock', 'corpus']
    """

    @functools.wraps(generate)
    def locked(*args, **kwargs):
        folder = kwargs["data_folder"] if "data_folder" in kwargs else args[0]
        with folder_lock(folder):
            return generate(*args, **kwargs)

    return locked
