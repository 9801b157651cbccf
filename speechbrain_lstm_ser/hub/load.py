"""Loading exported models from a folder or a Hub repo id.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import contextlib
import os
import pickle
import re
from collections.abc import Iterable
from pathlib import Path

import ruamel.yaml

from speechbrain_lstm_ser.hub.closure import check_closed

__all__ = [
    "HYPERPARAMS",
    "INTERFACE_PACKAGE",
    "TRUST_STORE_ENV",
    "UnsafeCheckpointError",
    "materialize",
    "pinned_keys",
    "read_interface",
    "verify_model",
    "weights_only_loading",
]

#: Environment variable listing pinned public keys (the trust store):
#: ``.pub`` files, or folders whose ``*.pub`` files are all pinned, separated
#: by ``os.pathsep``.
TRUST_STORE_ENV = "SB_LSTM_SER_TRUSTED_KEYS"

# A Hugging Face Hub repo id: ``name`` or ``owner/name``.
_REPO_ID = re.compile(r"^[A-Za-z0-9][\w.-]*(/[A-Za-z0-9][\w.-]*)?$")

#: The YAML of an exported model folder.
HYPERPARAMS = "hyperparams.yaml"

#: Interfaces a model folder may name (never an arbitrary import path).
INTERFACE_PACKAGE = "speechbrain_lstm_ser.inference"


def read_interface(folder: str | os.PathLike) -> str:
    """The interface class a model folder declares, without loading anything.

    Arguments
    ---------
    folder : str or os.PathLike
        An exported model folder.

    Returns
    -------
    str
        Dotted class path, inside ``speechbrain_lstm_ser.inference``.
    """
    path = Path(folder) / HYPERPARAMS
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found: not an exported model folder")
    with open(path, encoding="utf-8") as handle:
        tree = ruamel.yaml.YAML().load(handle)  # round-trip: constructs nothing
    interface = str(tree.get("interface", "")) if tree else ""
    if not interface.startswith(INTERFACE_PACKAGE + "."):
        raise ValueError(
            f"{path}: `interface` must name a class of {INTERFACE_PACKAGE}, got "
            f"{interface or 'nothing'}"
        )
    return interface


def materialize(
    source: str | os.PathLike,
    savedir: str | os.PathLike | None = None,
    hparams_file: str = HYPERPARAMS,
) -> tuple[Path, bool]:
    """Makes the files of a model available locally, without loading them.

    A local folder is used as it is, once it is known to be closed (no
    file leaves it). For a Hub repo id, the signed manifest
    (``signature.json``) is fetched first and then exactly the files it
    lists; an unsigned repo gives its YAML and the ``<name>.ckpt`` of each
    loadable. Files go through SpeechBrain's fetching (HF cache,
    ``HF_HUB_OFFLINE``), recreated in ``savedir`` so that stale files from
    another model are never used.

    Arguments
    ---------
    source : str or os.PathLike
        A folder or a Hub repo id.
    savedir : str or os.PathLike, optional
        Where Hub files are linked; by default a folder per repo under the
        Hugging Face home (``$HF_HOME/speechbrain_lstm_ser/``).
    hparams_file : str
        The YAML's name.

    Returns
    -------
    folder : Path
        Where the files are.
    local : bool
        Whether ``source`` was a local folder (extra files are then checked).

    Raises
    ------
    FolderClosureError
        When a file leaves the model folder (a symbolic link out of it, a
        hard link, a FIFO or device): see :mod:`speechbrain_lstm_ser.hub.closure`.
    FileNotFoundError
        When ``source`` is neither a folder nor a Hub repo that can be fetched.
    """
    from speechbrain.utils.fetching import FetchConfig, fetch

    from speechbrain_lstm_ser.hub.signing import SIGNATURE_FILE, read_signature

    if Path(source).is_dir():
        check_closed(source)
        return Path(source), True
    if Path(source).exists():
        raise NotADirectoryError(f"{source}: a file, not a model folder")
    if not _REPO_ID.match(str(source)) or str(source).count("/") > 1:
        raise FileNotFoundError(
            f"{source}: no such model folder (and not a Hub repo id owner/name)"
        )
    if savedir is None:
        from huggingface_hub import constants

        savedir = (
            Path(constants.HF_HOME)
            / "speechbrain_lstm_ser"
            / str(source).replace("/", "--")
        )
    savedir = Path(savedir)
    fresh = FetchConfig(overwrite=True)

    def get(name: str) -> Path:
        return Path(
            fetch(name, source=str(source), savedir=savedir, fetch_config=fresh)
        )

    try:
        get(SIGNATURE_FILE)
    except Exception:  # no signature in the repo (or not cached): unsigned
        stale = savedir / SIGNATURE_FILE
        if os.path.lexists(stale):
            stale.unlink()
        try:
            get(hparams_file)
        except Exception as err:
            first = str(err).strip().splitlines()[0] if str(err).strip() else ""
            raise FileNotFoundError(
                f"{source}: no such model folder, and the Hub repo {source} "
                f"could not be fetched ({type(err).__name__}: {first})"
            ) from None
        check_closed(savedir, [hparams_file], hub_links=True)
        with open(savedir / hparams_file, encoding="utf-8") as handle:
            tree = ruamel.yaml.YAML().load(handle)
        loadables = ((tree or {}).get("pretrainer") or {}).get("loadables") or {}
        names = [hparams_file] + [f"{name}.ckpt" for name in loadables]
    else:  # a signature that cannot be read is refused, never "unsigned"
        check_closed(savedir, [SIGNATURE_FILE], hub_links=True)
        names = sorted(read_signature(savedir)["files"])
    for name in names:
        get(name)
    check_closed(savedir, [SIGNATURE_FILE, *names], hub_links=True)
    return savedir, False


def pinned_keys(trusted_keys: Iterable = ()) -> list:
    """The pinned public keys: those given, plus the trust store's.

    The trust store is the environment variable :data:`TRUST_STORE_ENV`
    (``SB_LSTM_SER_TRUSTED_KEYS``): ``.pub`` files, or folders whose ``*.pub``
    files are all pinned, separated by ``os.pathsep``. An entry that cannot
    be read is an error, never "no keys" (a broken store must not turn
    verification off).

    Arguments
    ---------
    trusted_keys : iterable
        Public keys: ``.pub`` paths, PEM text or key objects.

    Returns
    -------
    list of Ed25519PublicKey

    Example
    -------
    >>> import tempfile
    >>> from speechbrain_lstm_ser.hub.signing import generate_keypair
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = generate_keypair(folder / "lab.pem")
    >>> os.environ[TRUST_STORE_ENV] = str(folder)
    >>> len(pinned_keys([folder / "lab.pem.pub"]))  # given + store
    2
    >>> os.environ[TRUST_STORE_ENV] = str(folder / "missing.pub")
    >>> pinned_keys()
    Traceback (most recent call last):
    ...
    ValueError: SB_LSTM_SER_TRUSTED_KEYS: .../missing.pub does not exist...
    >>> del os.environ[TRUST_STORE_ENV]
    """
    from speechbrain_lstm_ser.hub.signing import load_public_key

    keys = [
        k if hasattr(k, "verify") else load_public_key(k) for k in trusted_keys or ()
    ]
    for entry in filter(None, os.environ.get(TRUST_STORE_ENV, "").split(os.pathsep)):
        path = Path(entry).expanduser()
        if path.is_dir():
            files = sorted(path.glob("*.pub"))
            if not files:
                raise ValueError(
                    f"{TRUST_STORE_ENV}: {path} holds no .pub key; fix or unset it"
                )
        elif path.is_file():
            files = [path]
        else:
            raise ValueError(
                f"{TRUST_STORE_ENV}: {path} does not exist; fix or unset it"
            )
        for file in files:
            try:
                keys.append(load_public_key(file))
            except ValueError as err:
                raise ValueError(f"{TRUST_STORE_ENV}: {err}") from None
    return keys


def verify_model(
    folder: str | os.PathLike,
    verify: str = "auto",
    trusted_keys: Iterable = (),
    check_extra: bool = True,
    hub_links: bool = False,
):
    """Applies the signature policy to a model folder, before loading it.

    Fail closed: as soon as a key is pinned (``trusted_keys``, or the trust
    store :data:`TRUST_STORE_ENV`), the folder must carry a valid signature
    by one of the pinned keys; a missing, unreadable or foreign signature is
    refused, whatever ``verify`` says. The table of every case is in
    ``docs/security.md``.

    Arguments
    ---------
    folder : str or os.PathLike
        The files of the model (see :func:`materialize`).
    verify : str
        ``"auto"``: with a key pinned, require its signature; with none,
        verify a signature when there is one and warn when there is not;
        ``"required"``: as ``auto``, and refuse to run without a pinned key;
        ``"off"``: no signature check (refused while a key is pinned).
    trusted_keys : iterable
        Pinned public keys (paths, PEM text or key objects), added to the
        trust store's.
    check_extra : bool
        Refuse files the signature does not cover.
    hub_links : bool
        ``folder`` is a savedir linked to a Hub snapshot (see
        :func:`~speechbrain_lstm_ser.hub.signing.verify_folder`).

    Returns
    -------
    speechbrain_lstm_ser.hub.signing.Verification or None
    """
    import logging

    from speechbrain_lstm_ser.hub.signing import SignatureError, verify_folder

    if verify not in ("auto", "required", "off"):
        raise ValueError(f"verify must be 'auto', 'required' or 'off', got {verify!r}")
    keys = pinned_keys(trusted_keys)
    log = logging.getLogger(__name__)
    if verify == "off":
        if keys:
            raise ValueError(
                "verify='off' while keys are pinned (trusted_keys or "
                f"${TRUST_STORE_ENV}): a pinned key always requires its signature"
            )
        log.warning(f"{folder}: signature not checked (verify='off')")
        return None
    if verify == "required" and not keys:
        raise ValueError(
            "verify='required' needs trusted_keys (the signer's public keys) or "
            f"${TRUST_STORE_ENV}"
        )
    result = verify_folder(folder, keys, check_extra=check_extra, hub_links=hub_links)
    if not result.signed:
        if keys:
            raise SignatureError(
                folder,
                [
                    "the model is not signed (signature.json missing), and a key "
                    "is pinned: an unsigned model is refused"
                ],
            )
        log.warning(f"{folder}: the model is not signed; its files are not verified")
    elif not result.trusted:
        log.warning(
            f"{folder}: signature intact, signed by {result.signer}, a key you have "
            "not pinned: anyone can re-sign a changed folder; pin the publisher's "
            f"key (trusted_keys, --trusted-key or ${TRUST_STORE_ENV})"
        )
    return result


class UnsafeCheckpointError(ValueError):
    """A checkpoint holding pickled Python objects, refused (nothing was run)."""


@contextlib.contextmanager
def weights_only_loading():
    """Within the block, ``torch.load`` never unpickles arbitrary objects.

    SpeechBrain's loaders call ``torch.load`` without ``weights_only``; its
    default is True in recent torch, but an environment variable can turn it
    off. This forces it on for the duration of a model load, and turns
    torch's refusal of a pickled object into one line
    (:class:`UnsafeCheckpointError`).
    """
    import torch

    original = torch.load

    def load(*args, **kwargs):
        kwargs["weights_only"] = True
        try:
            return original(*args, **kwargs)
        except pickle.UnpicklingError:
            source = args[0] if args else kwargs.get("f")
            name = (
                os.fspath(source)
                if isinstance(source, (str, os.PathLike))
                else getattr(source, "name", "a checkpoint")  # an open file
            )
            raise UnsafeCheckpointError(
                f"{name}: refused: the checkpoint holds pickled Python objects, "
                "not only weights (a model file may hold tensors only); get the "
                "model from a source you trust, or re-export it from its run"
            ) from None

    torch.load = load
    try:
        yield
    finally:
        torch.load = original
