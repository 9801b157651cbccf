"""Loading an exported model with the interface class its folder declares.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import os

from speechbrain_lstm_ser.hub.load import INTERFACE_PACKAGE, materialize, read_interface
from speechbrain_lstm_ser.inference.asr import SpeechRecognizer
from speechbrain_lstm_ser.inference.commands import CommandRecognizer
from speechbrain_lstm_ser.inference.emotion import EmotionRecognizer
from speechbrain_lstm_ser.inference.interface import AudioInterface

__all__ = ["INTERFACES", "interface_class", "load_model"]

#: The interface classes an exported model folder may name.
INTERFACES = (EmotionRecognizer, CommandRecognizer, SpeechRecognizer)


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
    folder, local = materialize(source, savedir)
    return interface_class(read_interface(folder)).from_hparams(
        source=str(source), savedir=None if local else folder, **kwargs
    )


def interface_class(interface: str) -> type[AudioInterface]:
    """The interface class a model folder names (ours only, never an import path).

    Arguments
    ---------
    interface : str
        Dotted path, e.g. ``speechbrain_lstm_ser.inference.EmotionRecognizer``.

    Returns
    -------
    type

    Example
    -------
    >>> interface_class("speechbrain_lstm_ser.inference.SpeechRecognizer").__name__
    'SpeechRecognizer'
    """
    classes = {f"{INTERFACE_PACKAGE}.{cls.__name__}": cls for cls in INTERFACES}
    if interface not in classes:
        raise ValueError(
            f"{interface} is not an interface of {INTERFACE_PACKAGE}; expected one "
            f"of {sorted(classes)}"
        )
    return classes[interface]
