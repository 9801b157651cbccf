"""Loading exported models from a folder or a Hub repo id.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path

import ruamel.yaml

from speechbrain_lstm_ser.hub.export import HYPERPARAMS

__all__ = ["INTERFACE_PACKAGE", "interface_class", "load_model", "read_interface"]

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


def load_model(
    source: str | os.PathLike, savedir: str | os.PathLike | None = None, **kwargs
):
    """Loads a model folder or Hub repo with the interface it declares.

    Arguments
    ---------
    source : str or os.PathLike
        An exported folder (its ``hyperparams.yaml`` names the interface) or
        a Hub repo id (fetched through SpeechBrain, so the HF cache and
        ``HF_HUB_OFFLINE=1`` apply).
    savedir : str or os.PathLike, optional
        Where fetched files are linked.
    **kwargs
        Passed to ``from_hparams`` (e.g. ``run_opts={"device": "cuda"}``).

    Returns
    -------
    speechbrain.inference.interfaces.Pretrained
    """
    from speechbrain.utils.fetching import fetch

    folder = Path(source)
    if not folder.is_dir():
        folder = Path(fetch(HYPERPARAMS, source=str(source), savedir=savedir)).parent
    interface = read_interface(folder)
    return interface_class(interface).from_hparams(
        source=str(source), savedir=savedir, **kwargs
    )


def interface_class(interface: str):
    """Imports an interface class named by a model folder (ours only)."""
    if not interface.startswith(INTERFACE_PACKAGE + "."):
        raise ValueError(f"{interface} is not an interface of {INTERFACE_PACKAGE}")
    module_name, class_name = interface.rsplit(".", 1)
    return getattr(importlib.import_module(module_name), class_name)
