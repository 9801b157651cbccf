"""Fine-tuning a published model: its weights start another training run.

``init_from: <source>`` in a recipe's YAML (an exported model folder, or a
Hugging Face Hub repo id) makes :func:`setup_finetuning`:

1. **load the published model as inference loads it**
   (:func:`load_published`): the files are fetched through SpeechBrain
   (:func:`~speechbrain_lstm_ser.hub.load.materialize`: the HF cache and
   ``HF_HUB_OFFLINE`` apply), the signature policy is applied
   (``init_from_verify``, ``init_from_trusted_keys``), the YAML is checked
   against the allow-list (:mod:`speechbrain_lstm_ser.hub.safe_yaml`), and
   its own SpeechBrain ``Pretrainer`` loads the weights with ``torch.load``
   restricted to weights;
2. **copy its weights into the recipe's model** (:func:`transfer_weights`):
   the feature extractor must compute the same features; the normaliser's
   statistics, the encoder and the pooling are copied exactly (the recipe's
   model settings must be the published model's: a mismatch is refused with
   the tensors that differ). The head is copied whole when the label sets
   are the same (in the same order); otherwise the head is new, its hidden
   layers are copied, and of its output layer (the head's last ``Linear``)
   the rows (weights and bias) of the labels both sets share are copied *by
   label name*, the rows of new labels keeping their fresh initialisation;
3. **set how the pretrained part trains** (:class:`FineTuning`): the
   normaliser keeps the published statistics (the encoder was trained on
   them); the encoder is frozen for the first ``freeze_encoder_epochs``
   epochs; the encoder and the pooling learn at ``pretrained_lr_scale`` x
   the learning rate (a separate optimizer parameter group, rescaled before
   every step, whatever the scheduler sets).

A run that resumes from its checkpoints is initialised the same way first,
and the checkpoint then overwrites the weights, as SpeechBrain's pretrainers
and checkpointers always combine.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import dataclasses
import logging
import os
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path

import torch
from hyperpyyaml import load_hyperpyyaml
from speechbrain.utils.checkpoints import (
    DEFAULT_LOAD_HOOKS,
    DEFAULT_SAVE_HOOKS,
    get_default_hook,
)
from torch import nn

from speechbrain_lstm_ser.hub.closure import FolderClosureError
from speechbrain_lstm_ser.hub.legacy import earlier_versions
from speechbrain_lstm_ser.hub.load import (
    HYPERPARAMS,
    materialize,
    verify_model,
    weights_only_loading,
)
from speechbrain_lstm_ser.hub.safe_yaml import check_hyperparams
from speechbrain_lstm_ser.hub.signing import SignatureError
from speechbrain_lstm_ser.nnet.models import UtteranceClassifierModel
from speechbrain_lstm_ser.training.brain import RecipeOptions
from speechbrain_lstm_ser.training.param_groups import scaled_opt_class

logger = logging.getLogger(__name__)

__all__ = [
    "FineTuning",
    "PublishedClassifier",
    "load_published",
    "output_layer",
    "setup_finetuning",
    "transfer_weights",
]


@dataclasses.dataclass
class PublishedClassifier:
    """A published utterance classifier, loaded.

    Arguments
    ---------
    source : str
        The folder or Hub repo id it was loaded from.
    model : UtteranceClassifierModel
        Its parts, with the published weights.
    labels : list of str
        Its classes, in output order.
    sample_rate : int
        The sample rate it works at.
    """

    source: str
    model: UtteranceClassifierModel
    labels: list[str]
    sample_rate: int


def load_published(
    source: str | os.PathLike,
    savedir: str | os.PathLike | None = None,
    verify: str = "auto",
    trusted_keys: Iterable = (),
    allowed: Iterable[str] = (),
) -> PublishedClassifier:
    """Loads a published classifier with the checks of inference.

    Arguments
    ---------
    source : str or os.PathLike
        An exported model folder or a Hub repo id.
    savedir : str or os.PathLike, optional
        Where Hub files are linked (default: a folder per repo under the
        Hugging Face home).
    verify : str
        Signature policy: ``auto``, ``required`` or ``off`` (see
        :func:`~speechbrain_lstm_ser.hub.load.verify_model`).
    trusted_keys : iterable
        Public keys whose signatures are trusted (with the trust store's,
        ``$SB_LSTM_SER_TRUSTED_KEYS``): with any key pinned, an unsigned or
        foreign model is refused.
    allowed : iterable of str
        Extra packages or functions the model's YAML may use.

    Returns
    -------
    PublishedClassifier
    """
    try:
        folder, local = materialize(source, savedir)
    except (FolderClosureError, SignatureError) as err:  # refused, not missing
        raise type(err)(f"init_from {source}", err.problems) from None
    except Exception as err:  # not a folder, and not fetched from the Hub
        raise FileNotFoundError(
            f"init_from {source}: not an exported model folder, and it could not "
            f"be fetched from the Hub ({type(err).__name__}: {err})"
        ) from None
    verify_model(folder, verify, trusted_keys, check_extra=local, hub_links=not local)
    check_hyperparams(folder / HYPERPARAMS, allowed)
    with weights_only_loading(), earlier_versions():
        with open(folder / HYPERPARAMS, encoding="utf-8") as handle:
            hparams = load_hyperpyyaml(handle)
        pretrainer = hparams["pretrainer"]
        pretrainer.collect_files(default_source=str(folder))
        pretrainer.load_collected()
    try:
        model = UtteranceClassifierModel.from_modules(hparams["modules"])
    except KeyError as err:
        raise ValueError(
            f"init_from {source} is not an utterance classifier: {err}"
        ) from None
    encoder = hparams["label_encoder"]
    labels = [encoder.ind2lab[i] for i in range(len(encoder))]
    return PublishedClassifier(
        str(source), model.eval(), labels, int(hparams["sample_rate"])
    )


def output_layer(head: nn.Module) -> tuple[str, nn.Linear]:
    """The output layer of a classification head: its last ``Linear``.

    Arguments
    ---------
    head : torch.nn.Module
        E.g. :class:`~speechbrain_lstm_ser.nnet.heads.ClassificationHead`.

    Returns
    -------
    name : str
        Its name in the head (the prefix of its ``state_dict`` keys).
    layer : torch.nn.Linear

    Example
    -------
    >>> from speechbrain_lstm_ser.nnet.heads import ClassificationHead
    >>> output_layer(ClassificationHead(8, 3, hidden_size=4))[0]
    'output'
    """
    linears = [(n, m) for n, m in head.named_modules() if isinstance(m, nn.Linear)]
    if not linears:
        raise ValueError(f"the head {type(head).__name__} has no Linear output layer")
    return linears[-1]


def _differences(
    own: Mapping[str, torch.Tensor], state: Mapping[str, torch.Tensor]
) -> list[str]:
    """What keeps ``state`` from loading into ``own``: names, then shapes."""
    missing = sorted(set(own) - set(state))
    unexpected = sorted(set(state) - set(own))
    shapes = [
        f"{key} {tuple(state[key].shape)} -> {tuple(own[key].shape)}"
        for key in sorted(set(own) & set(state))
        if state[key].shape != own[key].shape
    ]
    problems = [f"missing {missing}"] if missing else []
    problems += [f"not in this model {unexpected}"] if unexpected else []
    problems += [f"shapes (published -> this model) {shapes}"] if shapes else []
    return problems


def _copy_exact(
    own: Mapping[str, torch.Tensor], state: Mapping[str, torch.Tensor], what: str
) -> None:
    """Copies ``state`` into ``own`` (a ``state_dict``, sharing the module's storage).

    Same names and shapes, or an error naming the tensors that differ.
    """
    problems = _differences(own, state)
    if problems:
        raise ValueError(
            f"the published {what} does not fit this model's: {'; '.join(problems)}. "
            "Set the model settings (n_mels, lstm_hidden, lstm_layers, "
            "bidirectional, head_hidden, ...) to the published model's (see its "
            "hyperparams.yaml)"
        )
    with torch.no_grad():
        for key, value in state.items():
            own[key].copy_(value)


def _copy_statistics(source, target) -> None:
    """Copies a module's checkpointed state (e.g. normalisation statistics)."""
    save = get_default_hook(source, DEFAULT_SAVE_HOOKS)
    load = get_default_hook(target, DEFAULT_LOAD_HOOKS)
    if save is None or load is None:
        raise ValueError(f"cannot copy the state of a {type(source).__name__}")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "state.ckpt"
        save(source, path)
        with weights_only_loading():
            load(target, path, False)


def _check_features(ours: nn.Module, theirs: nn.Module, sample_rate: int) -> None:
    """Refuses a feature extractor that computes other features."""
    for key, doc in _FEATURE_SWITCHES.items():
        mine, wanted = (getattr(m, key, None) for m in (ours, theirs))
        if mine != wanted:
            # The likeliest mismatch since these became defaults: a model
            # published before them, fine-tuned with today's hparams/lstm.yaml.
            # (White noise, the probe below, has no voiced frame to gate.)
            value = "null" if wanted is None else f"{wanted:g}"
            raise ValueError(
                f"the published model reads its features with {key} {value}, "
                f"this recipe with {mine}: pass --{key} {value} ({doc})"
            )
    wav = torch.randn(1, sample_rate, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        a, b = ours(0.1 * wav), theirs(0.1 * wav)
    if a.shape != b.shape or not torch.allclose(a, b, rtol=1e-4, atol=1e-4):
        raise ValueError(
            f"this recipe computes other features than the published model "
            f"({tuple(a.shape)} vs {tuple(b.shape)} for 1 s of audio): set n_mels, "
            "hop_length, win_length, n_fft, noise_floor_db and sample_rate to the "
            "published model's (see its hyperparams.yaml)"
        )


#: Feature settings refused by name, with the override to pass: name -> where
#: documented (the probe in ``_check_features`` would name no override, and
#: being white noise it has no voiced frame for the voicing gate to cut).
_FEATURE_SWITCHES = {
    "noise_floor_db": "docs/emotion.md#noise-what-flips-the-labels-and-a-floor-"
    "under-the-filterbanks",
    "noise_floor_margin_db": "docs/emotion.md#noise-at-10-db-a-floor-over-the-"
    "noise-level",
    "voicing_gate_db": "docs/emotion.md#babble-a-voicing-gate",
    "voicing_noise_gate_db": "docs/emotion.md#louder-babble-a-gate-over-the-noise-"
    "level",
}

#: The settings of a level reference that change the features it gives.
_REFERENCE_SETTINGS = (
    "speech_floor_db",
    "level_channels",
    "per_channel",
    "floor_db",
    "noise_floor_db",
)


def _reference_settings(model: nn.Module) -> dict | None:
    """A model's level reference (``reference_norm``): its class and settings."""
    norm = getattr(model, "reference_norm", None)
    if norm is None:
        return None
    settings = {k: getattr(norm, k, None) for k in _REFERENCE_SETTINGS}
    return {"class": type(norm).__name__, **settings}


def _check_reference(ours: nn.Module, theirs: nn.Module) -> None:
    """Refuses a level reference (``reference_norm``) with other settings.

    Its settings change what the encoder reads, and it has no weights to
    copy, so a mismatch would pass silently.
    """
    mine, published = _reference_settings(ours), _reference_settings(theirs)
    if mine == published:
        return
    if mine is None or published is None:
        differs = f"published {published}, this recipe's {mine}"
    else:
        differs = ", ".join(
            f"{k}: published {published[k]!r}, this recipe's {mine[k]!r}"
            for k in mine
            if mine[k] != published[k]
        )
    raise ValueError(
        f"the published model's level reference (reference_norm) differs from "
        f"this recipe's ({differs}): set reference_norm's settings to the "
        "published model's (see its hyperparams.yaml)"
    )


def _check_functionals(ours: nn.Module, theirs: nn.Module) -> None:
    """Refuses utterance functionals (the head's extra inputs) that differ."""
    mine = getattr(ours, "functionals", None)
    published = getattr(theirs, "functionals", None)
    if repr(mine) != repr(published):
        raise ValueError(
            f"the published model's functionals ({published}) differ from this "
            f"recipe's ({mine}): set utterance_functionals (and the functionals' "
            "settings) to the published model's (see its hyperparams.yaml)"
        )


def _transfer_head(
    target: nn.Module,
    source: nn.Module,
    labels: Sequence[str],
    published: Sequence[str],
) -> dict:
    """Copies the head, whole or row by row for the labels both sets share."""
    if list(labels) == list(published):
        _copy_exact(target.state_dict(), source.state_dict(), "head")
        return {"head": "published", "labels_copied": list(labels), "labels_new": []}
    name, _ = output_layer(source)
    target_name, target_out = output_layer(target)
    if target_name != name:
        raise ValueError(
            f"the published head's output layer is `{name}`, this model's is "
            f"`{target_name}`: use the published head's architecture"
        )

    def hidden(module: nn.Module) -> dict[str, torch.Tensor]:
        return {
            k: v for k, v in module.state_dict().items() if not k.startswith(f"{name}.")
        }

    _copy_exact(hidden(target), hidden(source), "head's hidden layers")
    _, source_out = output_layer(source)
    if source_out.in_features != target_out.in_features:
        raise ValueError(
            f"the published output layer takes {source_out.in_features} inputs, "
            f"this model's {target_out.in_features}: set head_hidden to the "
            "published model's"
        )
    index = {label: i for i, label in enumerate(published)}
    copied = [label for label in labels if label in index]
    with torch.no_grad():
        for row, label in enumerate(labels):
            if label in index:
                target_out.weight[row].copy_(source_out.weight[index[label]])
                if target_out.bias is not None and source_out.bias is not None:
                    target_out.bias[row].copy_(source_out.bias[index[label]])
    return {
        "head": "new: hidden layers and the rows of shared labels copied",
        "labels_copied": copied,
        "labels_new": [label for label in labels if label not in index],
    }


def _transfer_regressor(
    target: nn.Module | None, source: nn.Module | None
) -> str | None:
    """Copies the published regression head when this model has one that fits.

    Returns what happened to the regressors (for the report; None when
    neither model has one); a published head that is not used, and a head
    that starts fresh, are said in the log in one line.
    """
    if source is None:
        if target is None:
            return None
        logger.info(
            "init_from: the published model has no regressor (dimensions): "
            "this model's regressor starts from its fresh initialisation"
        )
        return "new: the published model has none"
    if target is None:
        logger.warning(
            "init_from: skipped the published regressor (dimensions): this model "
            "has none (set dimension_weight > 0 to fine-tune it, docs/dimensional.md)"
        )
        return "skipped: this model has none"
    problems = _differences(target.state_dict(), source.state_dict())
    if problems:
        logger.warning(
            "init_from: skipped the published regressor (dimensions), another "
            f"shape than this model's: {'; '.join(problems)}; this model's "
            "regressor starts fresh"
        )
        return "new: the published regressor has another shape"
    _copy_exact(target.state_dict(), source.state_dict(), "regressor")
    return "published"


def transfer_weights(
    model: UtteranceClassifierModel,
    labels: Sequence[str],
    published: PublishedClassifier,
    sample_rate: int,
) -> dict:
    """Copies a published classifier's weights into a recipe's model.

    Arguments
    ---------
    model : UtteranceClassifierModel
        The recipe's model (its objects keep their identity: the optimizer
        and the checkpointer see the copied weights).
    labels : sequence of str
        The recipe's classes, in output order.
    published : PublishedClassifier
        From :func:`load_published`.
    sample_rate : int
        The recipe's sample rate.

    Returns
    -------
    dict
        ``source``, the parts copied, and for the head: ``head`` (published,
        or new), ``labels_copied`` and ``labels_new``; where either model
        has a regression head, ``regressor``: ``published`` (copied),
        ``new: ...`` (this model's starts fresh) or ``skipped: ...``.

    Example
    -------
    >>> from speechbrain.lobes.features import Fbank
    >>> from speechbrain.processing.features import InputNormalization
    >>> from speechbrain_lstm_ser.nnet.encoders import LSTMEncoder
    >>> from speechbrain_lstm_ser.nnet.heads import ClassificationHead
    >>> from speechbrain_lstm_ser.nnet.pooling import MeanPooling
    >>> def tiny(classes):
    ...     return UtteranceClassifierModel(
    ...         Fbank(n_mels=20), InputNormalization(), LSTMEncoder(20, 8),
    ...         MeanPooling(16), ClassificationHead(16, classes, 8))
    >>> old = PublishedClassifier("me/ser", tiny(3), ["sad", "happy", "angry"], 16000)
    >>> new = tiny(2)
    >>> facts = transfer_weights(new, ["happy", "bored"], old, 16000)
    >>> facts["labels_copied"], facts["labels_new"]
    (['happy'], ['bored'])
    >>> torch.equal(new.classifier.output.weight[0], old.model.classifier.output.weight[1])
    True
    """  # noqa: E501
    if published.sample_rate != sample_rate:
        raise ValueError(
            f"the published model works at {published.sample_rate} Hz, this "
            f"recipe at {sample_rate} Hz: set sample_rate: {published.sample_rate}"
        )
    theirs = published.model
    _check_features(model.compute_features, theirs.compute_features, sample_rate)
    _check_reference(model, theirs)
    _check_functionals(model, theirs)
    for part in ("compute_features", "encoder", "pooling"):
        _copy_exact(
            getattr(model, part).state_dict(),
            getattr(theirs, part).state_dict(),
            part.replace("_", " "),
        )
    _copy_statistics(theirs.mean_var_norm, model.mean_var_norm)
    head = _transfer_head(model.classifier, theirs.classifier, labels, published.labels)
    regressor = _transfer_regressor(model.regressor, theirs.regressor)
    copied = ["compute_features", "mean_var_norm", "encoder", "pooling"]
    facts = {"source": published.source, "copied": copied, **head}
    if regressor is not None:
        facts["regressor"] = regressor
        if regressor == "published":
            copied.append("regressor")
    return facts


class FineTuning:
    """How the pretrained part of a model trains.

    Arguments
    ---------
    model : UtteranceClassifierModel
        The model, initialised by :func:`transfer_weights`.
    freeze_encoder_epochs : int
        The encoder is frozen (no gradient, no update) during epochs
        ``1..freeze_encoder_epochs``.
    pretrained_lr_scale : float
        The encoder and the pooling learn at this share of the learning rate.
    facts : dict, optional
        What :func:`transfer_weights` copied (for the test report).

    Example
    -------
    >>> model = torch.nn.ModuleDict({"encoder": torch.nn.Linear(2, 2),
    ...                              "pooling": torch.nn.Identity(),
    ...                              "head": torch.nn.Linear(2, 1)})
    >>> tuning = FineTuning(model, freeze_encoder_epochs=1, pretrained_lr_scale=0.1)
    >>> build = tuning.optimizer(lambda groups: torch.optim.SGD(groups, lr=1.0))
    >>> optimizer = build(model.parameters())
    >>> [round(g["lr"], 3) for g in optimizer.param_groups]
    [1.0, 0.1]
    >>> tuning.on_epoch_start(1)
    >>> model["encoder"].weight.requires_grad
    False
    >>> tuning.on_epoch_start(2)
    >>> model["encoder"].weight.requires_grad
    True
    """

    def __init__(
        self,
        model: nn.Module,
        freeze_encoder_epochs: int = 0,
        pretrained_lr_scale: float = 1.0,
        facts: dict | None = None,
    ):
        if isinstance(freeze_encoder_epochs, bool) or freeze_encoder_epochs < 0:
            raise ValueError(
                f"freeze_encoder_epochs must be 0 or more, got {freeze_encoder_epochs}"
            )
        if not pretrained_lr_scale > 0:
            raise ValueError(
                f"pretrained_lr_scale must be positive, got {pretrained_lr_scale}"
            )
        parts = model if isinstance(model, nn.ModuleDict) else model._modules
        self.encoder = list(parts["encoder"].parameters())
        self.pretrained = self.encoder + list(parts["pooling"].parameters())
        self.freeze_encoder_epochs = int(freeze_encoder_epochs)
        self.pretrained_lr_scale = float(pretrained_lr_scale)
        self.facts = {
            **(facts or {}),
            "freeze_encoder_epochs": self.freeze_encoder_epochs,
            "pretrained_lr_scale": self.pretrained_lr_scale,
        }

    def on_epoch_start(self, epoch: int) -> None:
        """Freezes the encoder during the first epochs, then unfreezes it.

        Arguments
        ---------
        epoch : int
            The training epoch starting (1-based).
        """
        trainable = epoch > self.freeze_encoder_epochs
        for param in self.encoder:
            param.requires_grad_(trainable)

    def optimizer(self, opt_class: Callable) -> Callable:
        """Wraps an ``opt_class``: the pretrained part gets its own parameter group.

        Arguments
        ---------
        opt_class : callable
            The YAML's ``opt_class`` (parameters -> optimizer).

        Returns
        -------
        callable
            Parameters (or parameter groups) -> the optimizer, whose groups
            of pretrained parameters carry ``lr_scale`` and are set to
            ``lr_scale`` x the other groups' learning rate before each step.
        """
        return scaled_opt_class(opt_class, self.pretrained, self.pretrained_lr_scale)


def setup_finetuning(hparams: dict) -> FineTuning | None:
    """Initialises a recipe's model from ``init_from`` (nothing when null).

    Reads ``init_from``, ``init_from_verify``, ``init_from_trusted_keys``,
    ``freeze_encoder_epochs``, ``pretrained_lr_scale``, ``model``,
    ``emotions`` (the class set; or ``labels``) and ``sample_rate``. The
    Brain's optimizer is then :meth:`FineTuning.optimizer` of ``opt_class``.

    Arguments
    ---------
    hparams : dict
        The recipe's loaded hyperparameters (the model is initialised).

    Returns
    -------
    FineTuning or None
    """
    options = RecipeOptions.from_hparams(hparams)
    if not options.init_from:
        return None
    published = load_published(
        options.init_from,
        verify=options.init_from_verify,
        trusted_keys=options.init_from_trusted_keys or (),
    )
    labels = hparams.get("emotions") or hparams["labels"]
    facts = transfer_weights(
        hparams["model"], labels, published, int(hparams["sample_rate"])
    )
    # The encoder was trained on the published statistics: keep them.
    hparams["model"].mean_var_norm.update_until_epoch = 0
    return FineTuning(
        hparams["model"],
        options.freeze_encoder_epochs,
        options.pretrained_lr_scale,
        facts,
    )
