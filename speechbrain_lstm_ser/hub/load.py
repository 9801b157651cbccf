"""Loading exported models from a folder or a Hub repo id.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import ruamel.yaml

__all__ = [
    "HYPERPARAMS",
    "INTERFACE_PACKAGE",
    "materialize",
    "read_interface",
    "verify_model",
    "weights_only_loading",
]

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

    A local folder is used as it is. For a Hub repo id, the signed manifest
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
    """
    from speechbrain.utils.fetching import FetchConfig, fetch

    from speechbrain_lstm_ser.hub.signing import SIGNATURE_FILE, read_signature

    if Path(source).is_dir():
        return Path(source), True
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
        names = sorted(read_signature(savedir)["files"])
    except Exception:  # no signature in the repo (or not cached): unsigned
        stale = savedir / SIGNATURE_FILE
        if stale.is_symlink() or stale.exists():
            stale.unlink()
        get(hparams_file)
        with open(savedir / hparams_file, encoding="utf-8") as handle:
            tree = ruamel.yaml.YAML().load(handle)
        loadables = ((tree or {}).get("pretrainer") or {}).get("loadables") or {}
        names = [hparams_file] + [f"{name}.ckpt" for name in loadables]
    for name in names:
        get(name)
    return savedir, False


def verify_model(
    folder: str | os.PathLike,
    verify: str = "auto",
    trusted_keys=(),
    check_extra: bool = True,
):
    """Applies a verification policy to a model folder, before loading it.

    Arguments
    ---------
    folder : str or os.PathLike
        The files of the model (see :func:`materialize`).
    verify : str
        ``"auto"``: verify when signed, warn when not; ``"required"``:
        refuse unsigned models and signers outside ``trusted_keys``;
        ``"off"``: no signature check.
    trusted_keys : iterable
        Pinned public keys (paths, PEM text or key objects).
    check_extra : bool
        Refuse files the signature does not cover.

    Returns
    -------
    speechbrain_lstm_ser.hub.signing.Verification or None
    """
    import logging

    from speechbrain_lstm_ser.hub.signing import (
        SignatureError,
        load_public_key,
        verify_folder,
    )

    if verify not in ("auto", "required", "off"):
        raise ValueError(f"verify must be 'auto', 'required' or 'off', got {verify!r}")
    if verify == "off":
        return None
    keys = [
        k if hasattr(k, "verify") else load_public_key(k) for k in trusted_keys or ()
    ]
    if verify == "required" and not keys:
        raise ValueError(
            "verify='required' needs trusted_keys (the signer's public keys)"
        )
    result = verify_folder(folder, keys, check_extra=check_extra)
    log = logging.getLogger(__name__)
    if not result.signed:
        if verify == "required":
            raise SignatureError(
                folder, ["the model is not signed (signature.json missing)"]
            )
        log.warning(f"{folder}: the model is not signed; its files are not verified")
    elif not result.trusted:
        log.warning(
            f"{folder}: signature intact, signed by {result.signer}; pin that key "
            "(trusted_keys) to also check who signed it"
        )
    return result


@contextlib.contextmanager
def weights_only_loading():
    """Within the block, ``torch.load`` never unpickles arbitrary objects.

    SpeechBrain's loaders call ``torch.load`` without ``weights_only``; its
    default is True in recent torch, but an environment variable can turn it
    off. This forces it on for the duration of a model load.
    """
    import torch

    original = torch.load

    def load(*args, **kwargs):
        kwargs["weights_only"] = True
        return original(*args, **kwargs)

    torch.load = load
    try:
        yield
    finally:
        torch.load = original
