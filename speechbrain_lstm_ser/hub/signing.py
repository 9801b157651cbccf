"""Signed model folders: a SHA-256 manifest of every file, signed with Ed25519.

``signature.json`` in a model folder holds::

    {"format": "speechbrain-lstm-ser/signature-v1",
     "files": {"encoder.ckpt": "<sha256 hex>", ...},   # every other file
     "key": "ed25519:<fingerprint>",                    # who signed
     "public_key": "<base64 raw key>",
     "signature": "<base64 Ed25519 signature>"}

The signature covers the canonical JSON (sorted keys, no spaces) of
``{"format": ..., "files": ...}``. Anyone can verify it with any Ed25519
library; trust comes from the public keys a user pins, never from the key
stored in the file. A changed byte in any file, a missing or an extra file,
or a signer outside the pinned keys is reported with the file's name.

Every file must stay inside the folder (no link out, hard link or special
file: :mod:`speechbrain_lstm_ser.hub.closure`); signing and verifying refuse
such a folder before hashing anything.

Why Ed25519 with our manifest rather than the OpenSSF ``model-signing``
format (a Sigstore bundle around a DSSE envelope and an in-toto statement):
offline, that format signs with ECDSA keys and gives the same pinned-key
trust as this one, at the price of sigstore, protobuf and pydantic in every
install; its keyless flow needs the Sigstore services online. The choice and
the mapping between the two are in ``docs/security.md``.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from speechbrain_lstm_ser.hub.closure import check_closed, safe_relative

__all__ = [
    "SIGNATURE_FILE",
    "SignatureError",
    "Verification",
    "fingerprint",
    "generate_keypair",
    "load_public_key",
    "sign_folder",
    "verify_folder",
]

SIGNATURE_FILE = "signature.json"
FORMAT = "speechbrain-lstm-ser/signature-v1"
_CHUNK = 1 << 20


class SignatureError(ValueError):
    """A model folder that fails verification; one line naming each file and reason."""

    def __init__(self, folder, problems: Sequence[str]):
        self.problems = list(problems)
        super().__init__(
            f"{folder}: signature verification failed (nothing was loaded): "
            + "; ".join(self.problems)
        )


@dataclasses.dataclass(frozen=True)
class Verification:
    """The outcome of :func:`verify_folder`."""

    signed: bool
    signer: str | None = None
    trusted: bool = False
    files: tuple[str, ...] = ()


def fingerprint(public_key: Ed25519PublicKey) -> str:
    """A short, stable name for a public key: ``ed25519:<16 hex>``.

    Arguments
    ---------
    public_key : Ed25519PublicKey
        The key.

    Returns
    -------
    str
    """
    raw = public_key.public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    return "ed25519:" + hashlib.sha256(raw).hexdigest()[:16]


def generate_keypair(private_path: str | os.PathLike, overwrite: bool = False) -> str:
    """Creates an Ed25519 key pair: ``<private_path>`` and ``<private_path>.pub``.

    The private key is written readable by its owner only (mode 0600).

    Arguments
    ---------
    private_path : str or os.PathLike
        Where to write the private key (PEM, PKCS#8).
    overwrite : bool
        Replace existing files (refused by default: keys are not regenerated
        by accident).

    Returns
    -------
    str
        The key's fingerprint.

    Example
    -------
    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "key.pem")
    >>> generate_keypair(path).startswith("ed25519:")
    True
    >>> oct(os.stat(path).st_mode & 0o777)
    '0o600'
    """
    private_path = Path(private_path)
    public_path = Path(f"{private_path}.pub")
    existing = [str(p) for p in (private_path, public_path) if p.exists()]
    if existing and not overwrite:
        raise FileExistsError(
            f"{', '.join(existing)} already exist; not overwriting keys"
        )
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    private_path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    os.chmod(private_path, 0o600)
    public_path.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return fingerprint(key.public_key())


def _load_private_key(path: str | os.PathLike) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as err:
        raise ValueError(f"{path}: not a readable PEM private key ({err})") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path}: not an Ed25519 key (use `sb-lstm-ser keygen`)")
    return key


def load_public_key(key: str | os.PathLike | bytes) -> Ed25519PublicKey:
    """Reads a public key from a PEM file, PEM text or bytes.

    Arguments
    ---------
    key : str, os.PathLike or bytes
        A ``.pub`` file written by :func:`generate_keypair`, or its content.

    Returns
    -------
    Ed25519PublicKey
    """
    if isinstance(key, bytes):
        data = key
    elif isinstance(key, str) and key.lstrip().startswith("-----BEGIN"):
        data = key.encode()
    else:
        try:
            data = Path(key).read_bytes()
        except OSError as err:
            raise ValueError(f"{key}: cannot read the public key ({err})") from None
    try:
        public = serialization.load_pem_public_key(data)
    except ValueError as err:
        raise ValueError(f"{key!r}: not a PEM public key ({err})") from None
    if not isinstance(public, Ed25519PublicKey):
        raise ValueError(f"{key!r}: not an Ed25519 public key")
    return public


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def _folder_files(folder: Path) -> list[str]:
    """Relative POSIX paths of the files of a closed folder (signature excluded).

    Raises :class:`~speechbrain_lstm_ser.hub.closure.FolderClosureError` for
    a file that leaves the folder (nothing is hashed through a link out, a
    FIFO or a device).
    """
    return [name for name in check_closed(folder) if name != SIGNATURE_FILE]


def _payload(files: dict[str, str]) -> bytes:
    return json.dumps(
        {"format": FORMAT, "files": files}, sort_keys=True, separators=(",", ":")
    ).encode("utf-8")


def sign_folder(folder: str | os.PathLike, private_key: str | os.PathLike) -> Path:
    """Signs every file of a model folder; writes ``signature.json``.

    Arguments
    ---------
    folder : str or os.PathLike
        The model folder (an existing signature is replaced).
    private_key : str or os.PathLike
        A private key file from :func:`generate_keypair`.

    Returns
    -------
    Path
        The signature file.
    """
    folder = Path(folder)
    key = _load_private_key(private_key)
    path = folder / SIGNATURE_FILE
    if os.path.lexists(path) and (path.is_symlink() or not path.is_file()):
        raise ValueError(
            f"{path}: not a regular file; remove it, then sign again (it is "
            "replaced by the new signature)"
        )
    files = {name: _sha256(folder / name) for name in _folder_files(folder)}
    if not files:
        raise ValueError(f"{folder}: nothing to sign")
    payload = _payload(files)
    public = key.public_key()
    document = {
        "format": FORMAT,
        "files": files,
        "key": fingerprint(public),
        "public_key": base64.b64encode(
            public.public_bytes(
                serialization.Encoding.Raw, serialization.PublicFormat.Raw
            )
        ).decode(),
        "signature": base64.b64encode(key.sign(payload)).decode(),
    }
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        tmp.write_text(
            json.dumps(document, indent=2, sort_keys=True) + "\n", encoding="utf-8"
        )
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def read_signature(folder: str | os.PathLike) -> dict | None:
    """The parsed ``signature.json`` of a folder, or None when unsigned."""
    path = Path(folder) / SIGNATURE_FILE
    if not os.path.lexists(path):
        return None
    if not path.is_file():
        raise SignatureError(
            folder, [f"{SIGNATURE_FILE} is unreadable (not a regular file)"]
        )
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise SignatureError(
            folder, [f"{SIGNATURE_FILE} is unreadable ({err})"]
        ) from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise SignatureError(folder, [f"{SIGNATURE_FILE} is not a {FORMAT} signature"])
    files = document.get("files")
    if not isinstance(files, dict) or not all(
        isinstance(v, str) for v in files.values()
    ):
        raise SignatureError(folder, [f"{SIGNATURE_FILE} has no valid file list"])
    unsafe = [name for name in files if not safe_relative(name)]
    if unsafe:
        raise SignatureError(folder, [f"{SIGNATURE_FILE} lists unsafe paths {unsafe}"])
    return document


def verify_folder(
    folder: str | os.PathLike,
    trusted_keys: Iterable[Ed25519PublicKey] = (),
    check_extra: bool = True,
    hub_links: bool = False,
) -> Verification:
    """Verifies a folder's signature and every file it lists.

    The folder must be closed first (no file may be a link out of it, a
    hard link or a special file: :mod:`speechbrain_lstm_ser.hub.closure`).

    Arguments
    ---------
    folder : str or os.PathLike
        A model folder.
    trusted_keys : iterable of Ed25519PublicKey
        Pinned keys; when given, the signer must be one of them.
    check_extra : bool
        Also refuse files that the signature does not list (for a folder
        fetched file by file, only the listed files are there anyway).
    hub_links : bool
        The folder is a ``savedir`` whose files link into a Hugging Face
        Hub snapshot (only the signature and the files it lists are checked).

    Returns
    -------
    Verification
        ``signed=False`` for an unsigned folder (the caller decides).

    Raises
    ------
    SignatureError
        Listing every problem: a bad signature, a signer outside the pinned
        keys, a missing, changed or extra file.
    FolderClosureError
        For a file that leaves the folder (nothing is hashed).
    """
    folder = Path(folder)
    if check_extra:
        check_closed(folder)
    else:
        check_closed(folder, [SIGNATURE_FILE], hub_links=hub_links)
    document = read_signature(folder)
    if document is None:
        return Verification(signed=False)
    files = document["files"]
    if not check_extra:
        check_closed(folder, files, hub_links=hub_links)
    problems = []
    try:
        raw = base64.b64decode(document.get("public_key", ""), validate=True)
        public = Ed25519PublicKey.from_public_bytes(raw)
        public.verify(
            base64.b64decode(document.get("signature", ""), validate=True),
            _payload(files),
        )
    except (ValueError, InvalidSignature):
        raise SignatureError(
            folder, [f"{SIGNATURE_FILE}: the signature does not match its file list"]
        ) from None
    signer = fingerprint(public)
    trusted_names = {fingerprint(k) for k in trusted_keys}
    if trusted_names and signer not in trusted_names:
        problems.append(
            f"signed by {signer}, which is not among the trusted keys "
            f"{sorted(trusted_names)}"
        )
    for name, expected in sorted(files.items()):
        path = folder / name
        if not path.is_file():
            problems.append(f"{name}: missing (it was signed)")
        elif _sha256(path) != expected:
            problems.append(f"{name}: content changed since signing (SHA-256 mismatch)")
    if check_extra:
        for name in _folder_files(folder):
            if name not in files:
                problems.append(f"{name}: not covered by the signature (extra file)")
    if problems:
        raise SignatureError(folder, problems)
    return Verification(True, signer, bool(trusted_names), tuple(sorted(files)))
