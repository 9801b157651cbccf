"""Pseudonyms for speaker and utterance IDs in reports.

Corpus speaker IDs (and utterance IDs, which usually contain them) identify
people. With pseudonymisation on, reports carry ``spk-<hash>`` instead: a
salted SHA-256, stable for one salt (so per-speaker results can still be
compared across runs of one experiment) and meaningless without it.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path

__all__ = ["Pseudonymizer", "load_or_create_salt"]


def load_or_create_salt(path: str | os.PathLike) -> str:
    """Reads a salt, or creates a random one readable by its owner only.

    Arguments
    ---------
    path : str or os.PathLike
        Where the salt is kept (e.g. the experiment's save folder).

    Returns
    -------
    str
    """
    path = Path(path)
    if path.is_file():
        return path.read_text(encoding="utf-8").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    salt = secrets.token_hex(16)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(salt + "\n")
    return salt


class Pseudonymizer:
    """Maps identifiers to salted pseudonyms (or leaves them, when disabled).

    Arguments
    ---------
    salt : str or None
        The secret; None disables pseudonymisation.
    prefix : str
        Prefix of the pseudonyms.

    Example
    -------
    >>> pseudo = Pseudonymizer("secret", prefix="spk-")
    >>> pseudo("Ses01_F"), pseudo("Ses01_F") == pseudo("Ses01_F")
    ('spk-8525b574f0f1', True)
    >>> Pseudonymizer(None)("Ses01_F")
    'Ses01_F'
    """

    def __init__(self, salt: str | None, prefix: str = ""):
        self.salt = salt
        self.prefix = prefix

    def __call__(self, value: str) -> str:
        """The pseudonym of ``value``."""
        if self.salt is None:
            return value
        digest = hashlib.sha256(f"{self.salt}\0{value}".encode()).hexdigest()
        return f"{self.prefix}{digest[:12]}"

    def many(self, values) -> list[str]:
        """Pseudonyms of several values."""
        return [self(v) for v in values]
