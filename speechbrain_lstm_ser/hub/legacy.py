"""Reading what earlier versions wrote: run checkpoints and model folders.

Two upgrades of a state as it is loaded (``load_state_dict`` pre-hooks):

- a run's ``model.ckpt`` from before the task models: the recipes' YAML
  checkpointed ``model: !new:torch.nn.ModuleList`` of the trained parts, so
  its keys start with the part's index (``0.forward_layers...``). Those keys
  get the parts' names (:data:`LEGACY_ORDER`), and the state of parts that
  were not in that list (the feature extractor's fixed buffers) is kept as
  it is (:func:`upgrade_module_list_state`);
- a classification head saved before temperature scaling (no
  ``temperature``) loads with T = 1.0 (:func:`default_temperature`).

And the settings an exported folder's ``hyperparams.yaml`` gained after
some folders were written: :data:`FOLDER_DEFAULTS` holds what a folder
without one means (e.g. ``classifier_trained``: an older folder's classifier
was trained), and :func:`folder_setting` reads a setting with that default.

The states' upgrades are applied where states are read:
:func:`accept_earlier_versions` on the objects a training YAML builds
(``training.hparams.load_hparams``: runs resumed, best checkpoints loaded
for export or pruning), and
:func:`earlier_versions` around SpeechBrain's parameter transfer of a model
folder (the inference interfaces, fine-tuning's ``init_from``). The head's
former class name, ``nnet.heads.EmotionClassifier``, stays importable where
the YAML of such folders names it.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import contextlib
import weakref
from collections.abc import Iterable, Iterator, Mapping

import torch
from speechbrain.utils.checkpoints import DEFAULT_TRANSFER_HOOKS
from torch import nn

from speechbrain_lstm_ser.nnet.heads import ClassificationHead
from speechbrain_lstm_ser.nnet.models import (
    CTCModel,
    TaskModel,
    UtteranceClassifierModel,
)

__all__ = [
    "CLASSIFIER_TRAINED",
    "FOLDER_DEFAULTS",
    "LEGACY_ORDER",
    "accept_earlier_versions",
    "default_temperature",
    "earlier_versions",
    "folder_setting",
    "upgrade_module_list_state",
]

#: The key of an exported folder whose categorical head was never trained:
#: ``classifier_trained: false`` (a model trained with ``category_weight: 0``,
#: for the dimensions alone; docs/dimensional.md).
CLASSIFIER_TRAINED = "classifier_trained"

#: Settings of an exported folder's ``hyperparams.yaml`` that earlier
#: versions did not write, with what a folder without them holds.
FOLDER_DEFAULTS: dict[str, object] = {CLASSIFIER_TRAINED: True}

#: The parts of each task model's former ``model: ModuleList`` checkpoint.
LEGACY_ORDER: dict[type[TaskModel], tuple[str, ...]] = {
    UtteranceClassifierModel: ("encoder", "pooling", "classifier"),
    CTCModel: ("encoder", "ctc_head"),
}

# The modules given the pre-hooks (each once).
_ACCEPTING: weakref.WeakSet = weakref.WeakSet()


def folder_setting(hparams, key: str):
    """A setting of an exported folder, or what a folder without it means.

    Arguments
    ---------
    hparams : mapping or object
        The folder's hyperparameters (a mapping, or an interface's
        ``hparams`` namespace).
    key : str
        A key of :data:`FOLDER_DEFAULTS`.

    Returns
    -------
    object

    Example
    -------
    >>> folder_setting({}, CLASSIFIER_TRAINED)  # written before the key existed
    True
    >>> folder_setting({"classifier_trained": False}, CLASSIFIER_TRAINED)
    False
    """
    values = hparams if isinstance(hparams, Mapping) else vars(hparams)
    return values.get(key, FOLDER_DEFAULTS[key])


def _legacy_order(model: TaskModel) -> tuple[str, ...]:
    for kind, order in LEGACY_ORDER.items():
        if isinstance(model, kind):
            return order
    return ()


def upgrade_module_list_state(
    model: TaskModel, state_dict: dict, prefix: str = ""
) -> None:
    """Renames a former ``ModuleList`` checkpoint's keys to the task model's, in place.

    Arguments
    ---------
    model : TaskModel
        The model the state is loaded into.
    state_dict : dict
        The state; a current one is left as it is.
    prefix : str
        The model's prefix in ``state_dict``.

    Example
    -------
    >>> from speechbrain.lobes.features import Fbank
    >>> from speechbrain.processing.features import InputNormalization
    >>> from speechbrain_lstm_ser.nnet.encoders import LSTMEncoder
    >>> from speechbrain_lstm_ser.nnet.pooling import MeanPooling
    >>> def build():
    ...     return UtteranceClassifierModel(
    ...         Fbank(n_mels=10), InputNormalization(), LSTMEncoder(10, 4),
    ...         MeanPooling(8), ClassificationHead(8, 3, 4))
    >>> trained, fresh = build(), build()
    >>> old = nn.ModuleList([trained.encoder, trained.pooling, trained.classifier])
    >>> state = old.state_dict()
    >>> upgrade_module_list_state(fresh, state)
    >>> fresh.load_state_dict(state, strict=True)
    <All keys matched successfully>
    """
    order = _legacy_order(model)
    renamed = {}
    for key in list(state_dict):
        index, _, rest = key[len(prefix) :].partition(".")
        if key.startswith(prefix) and index.isdigit() and int(index) < len(order):
            renamed[f"{prefix}{order[int(index)]}.{rest}"] = state_dict.pop(key)
    if not renamed:
        return
    state_dict.update(renamed)
    for name in model.MODULES:
        if name not in order:
            for key, value in getattr(model, name).state_dict().items():
                state_dict.setdefault(f"{prefix}{name}.{key}", value)


def default_temperature(head: nn.Module, state_dict: dict, prefix: str = "") -> None:
    """A head's state saved before the temperature existed gets T = 1.0, in place.

    Arguments
    ---------
    head : torch.nn.Module
        The classification head the state is loaded into.
    state_dict : dict
        The state.
    prefix : str
        The head's prefix in ``state_dict``.

    Example
    -------
    >>> head = ClassificationHead(4, 2, 3)
    >>> state = head.state_dict()
    >>> del state["temperature"]
    >>> default_temperature(head, state)
    >>> state["temperature"]
    tensor(1.)
    """
    state_dict.setdefault(f"{prefix}temperature", torch.tensor(1.0))


def _module_list_hook(module, state_dict, prefix, *_):
    upgrade_module_list_state(module, state_dict, prefix)


def _temperature_hook(module, state_dict, prefix, *_):
    default_temperature(module, state_dict, prefix)


def accept_earlier_versions(modules: Iterable[nn.Module]) -> None:
    """Lets these modules load states written by earlier versions.

    Every task model and classification head in them (sub-modules
    included) upgrades a state as it is loaded (with ``load_state_dict``,
    a ``Checkpointer`` or a ``Pretrainer``); a current state is unchanged.

    Arguments
    ---------
    modules : iterable of torch.nn.Module
        E.g. the modules of a training YAML.

    Example
    -------
    >>> head = ClassificationHead(4, 2, 3)
    >>> state = head.state_dict()
    >>> del state["temperature"]
    >>> accept_earlier_versions([head])
    >>> head.load_state_dict(state, strict=True)
    <All keys matched successfully>
    """
    for module in modules:
        for part in module.modules():
            if part in _ACCEPTING:
                continue
            if isinstance(part, TaskModel) and _legacy_order(part):
                part.register_load_state_dict_pre_hook(_module_list_hook)
            elif isinstance(part, ClassificationHead):
                part.register_load_state_dict_pre_hook(_temperature_hook)
            _ACCEPTING.add(part)


@contextlib.contextmanager
def earlier_versions() -> Iterator[None]:
    """Within the block, SpeechBrain's parameter transfer accepts earlier versions.

    A ``Pretrainer``'s ``load_collected`` (loading an exported model folder)
    gives each module :func:`accept_earlier_versions` before its state is
    loaded.
    """
    original = DEFAULT_TRANSFER_HOOKS[nn.Module]

    def transfer(module, path):
        accept_earlier_versions([module])
        original(module, path)

    DEFAULT_TRANSFER_HOOKS[nn.Module] = transfer
    try:
        yield
    finally:
        DEFAULT_TRANSFER_HOOKS[nn.Module] = original
