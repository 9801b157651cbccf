r"""Structured pruning: remove whole LSTM units, then fine-tune.

Unstructured (weight-by-weight) magnitude pruning leaves dense matrices
full of zeros: no smaller on disk and no faster on a CPU unless stored and
run sparse. Removing whole hidden units shrinks every matrix that touches
them (the unit's gate rows, its recurrent column, the next layer's input
column, the pooling and head weights that read it), so the pruned model is
simply a smaller model of the same architecture, e.g. ``lstm_hidden: 48``
instead of 128: same code, same YAML, real savings.

Units are ranked by magnitude: the L2 norm of every LSTM weight attached to
the unit (its four gate rows in the input and recurrent matrices and its
recurrent column). The kept weights are copied into the smaller modules,
which are then fine-tuned with the ordinary recipe::

    # 1. write the pruned model as the first checkpoint of a new run
    #    (or: python -m speechbrain_lstm_ser.compression.pruning ...)
    sb-lstm-ser prune \
        results/emotion_lstm/1986/hyperparams.yaml hparams/lstm.yaml \
        --output_folder results/pruned48 --lstm_hidden 48
    # 2. fine-tune it: the recipe starts from that checkpoint (which has no
    #    optimizer state, hence allow_partial_load)
    python recipes/emotion/train.py hparams/lstm.yaml \
        --output_folder results/pruned48 --lstm_hidden 48 \
        --checkpointer "{allow_partial_load: True}" \
        --number_of_epochs 4 --lr 0.001

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import argparse
import os
import sys

import torch
from torch import nn

from speechbrain_lstm_ser.nnet.encoders import LSTMEncoder
from speechbrain_lstm_ser.nnet.heads import ClassificationHead
from speechbrain_lstm_ser.nnet.models import UtteranceClassifierModel
from speechbrain_lstm_ser.nnet.pooling import (
    AttentionPooling,
    AttentiveStatisticsPooling,
    LastStatePooling,
    MeanPooling,
)

__all__ = ["copy_normalizer", "lstm_unit_importance", "prune_into"]


def lstm_unit_importance(lstm: nn.LSTM) -> torch.Tensor:
    """The magnitude of each hidden unit of a one-layer, one-direction LSTM.

    Arguments
    ---------
    lstm : torch.nn.LSTM
        Without projections (``proj_size=0``).

    Returns
    -------
    torch.Tensor
        ``(hidden_size,)``: the L2 norm of the unit's gate rows (input and
        recurrent weights) and of its recurrent column.

    Example
    -------
    >>> lstm = nn.LSTM(3, 2, batch_first=True)
    >>> with torch.no_grad():
    ...     for p in lstm.parameters():
    ...         _ = p.zero_()
    ...     lstm.weight_ih_l0[1] = 1.0  # a weight of unit 1 (input gate)
    >>> lstm_unit_importance(lstm)
    tensor([0.0000, 1.7321])
    """
    hidden = lstm.hidden_size
    rows = torch.cat([lstm.weight_ih_l0, lstm.weight_hh_l0], dim=1)
    per_unit = rows.detach().pow(2).view(4, hidden, -1).sum(dim=(0, 2))
    per_unit = per_unit + lstm.weight_hh_l0.detach().pow(2).sum(dim=0)
    return per_unit.sqrt()


def _kept(importance: torch.Tensor, keep: int) -> torch.Tensor:
    """Indices of the ``keep`` largest values, in increasing index order."""
    return importance.topk(keep).indices.sort().values


def _gate_rows(units: torch.Tensor, hidden: int) -> torch.Tensor:
    return torch.cat([gate * hidden + units for gate in range(4)])


@torch.no_grad()
def _prune_encoder(trained: LSTMEncoder, target: LSTMEncoder) -> torch.Tensor:
    """Copies the largest units of ``trained`` into ``target``.

    Returns the positions, among ``trained``'s output features, of
    ``target``'s output features.
    """
    if trained.output is not None or trained.forward_layers[0].proj_size:
        raise ValueError("pruning supports LSTMEncoder without projections")
    if (
        len(trained.forward_layers) != len(target.forward_layers)
        or trained.bidirectional != target.bidirectional
        or target.output is not None
    ):
        raise ValueError("the target encoder must differ only in hidden_size")
    hidden = trained.forward_layers[0].hidden_size
    keep = target.forward_layers[0].hidden_size
    if keep > hidden:
        raise ValueError(f"cannot prune {hidden} units to {keep}")
    inputs = torch.arange(trained.forward_layers[0].input_size)
    for i, forward_lstm in enumerate(trained.forward_layers):
        directions = [(forward_lstm, target.forward_layers[i])]
        if trained.bidirectional:
            directions.append((trained.backward_layers[i], target.backward_layers[i]))
        outputs = []
        for d, (old, new) in enumerate(directions):
            units = _kept(lstm_unit_importance(old), keep)
            rows = _gate_rows(units, hidden)
            new.weight_ih_l0.copy_(old.weight_ih_l0[rows][:, inputs])
            new.weight_hh_l0.copy_(old.weight_hh_l0[rows][:, units])
            new.bias_ih_l0.copy_(old.bias_ih_l0[rows])
            new.bias_hh_l0.copy_(old.bias_hh_l0[rows])
            outputs.append(d * hidden + units)
        inputs = torch.cat(outputs)
    return inputs


@torch.no_grad()
def _copy_linear(old: nn.Linear, new: nn.Linear, columns=None, rows=None) -> None:
    weight = old.weight
    if rows is not None:
        weight = weight[rows]
    if columns is not None:
        weight = weight[:, columns]
    new.weight.copy_(weight)
    if old.bias is not None:
        new.bias.copy_(old.bias if rows is None else old.bias[rows])


def _prune_pooling(
    trained: nn.Module, target: nn.Module, kept: torch.Tensor, size: int
) -> torch.Tensor:
    """Copies the pooling weights that read ``kept`` encoder features.

    Returns the positions, among ``trained``'s pooled features, of
    ``target``'s pooled features.
    """
    if type(trained) is not type(target):
        raise ValueError(f"pooling {type(trained)} vs {type(target)}")
    if isinstance(trained, AttentiveStatisticsPooling):
        first, new_first = trained.attention[0], target.attention[0]
        parts = 3 if trained.global_context else 1
        columns = torch.cat([p * size + kept for p in range(parts)])
        _copy_linear(first, new_first, columns=columns)
        _copy_linear(trained.attention[2], target.attention[2], rows=kept)
        return torch.cat([kept, size + kept])
    if isinstance(trained, AttentionPooling):
        _copy_linear(trained.score[0], target.score[0], columns=kept)
        _copy_linear(trained.score[2], target.score[2])
        return kept
    if isinstance(trained, MeanPooling):
        return torch.cat([kept, size + kept]) if trained.return_std else kept
    if isinstance(trained, LastStatePooling):
        return kept
    raise ValueError(f"pruning does not support pooling {type(trained).__name__}")


@torch.no_grad()
def _prune_classifier(
    trained: ClassificationHead, target: ClassificationHead, kept: torch.Tensor
) -> None:
    """Copies the head, keeping the input columns of the ``kept`` features."""
    old_linears = [m for m in trained.modules() if isinstance(m, nn.Linear)]
    new_linears = [m for m in target.modules() if isinstance(m, nn.Linear)]
    if len(old_linears) != len(new_linears):
        raise ValueError("the target head must have the same layers")
    for i, (old, new) in enumerate(zip(old_linears, new_linears, strict=True)):
        _copy_linear(old, new, columns=kept if i == 0 else None)
    old_norms = [m for m in trained.modules() if isinstance(m, nn.BatchNorm1d)]
    new_norms = [m for m in target.modules() if isinstance(m, nn.BatchNorm1d)]
    for old, new in zip(old_norms, new_norms, strict=True):
        new.load_state_dict(old.state_dict())


def prune_into(
    trained: UtteranceClassifierModel, target: UtteranceClassifierModel
) -> None:
    """Fills a smaller model with the largest units of a trained one.

    The target's encoder must be the trained one with a smaller
    ``hidden_size`` (pooling and head sized to match, as the YAML derives
    them); the units kept are the ones of largest magnitude, chosen per
    layer and direction. The features and their normalisation are not
    touched (see :func:`copy_normalizer`).

    Arguments
    ---------
    trained : UtteranceClassifierModel
        With an :class:`~speechbrain_lstm_ser.nnet.encoders.LSTMEncoder`
        and a :class:`~speechbrain_lstm_ser.nnet.heads.ClassificationHead`.
    target : UtteranceClassifierModel
        The same architecture, freshly built with the smaller size;
        its encoder, pooling and classifier are overwritten.

    Example
    -------
    >>> from speechbrain.lobes.features import Fbank
    >>> from speechbrain.processing.features import InputNormalization
    >>> def model(hidden):
    ...     return UtteranceClassifierModel(
    ...         Fbank(n_mels=10), InputNormalization(norm_type="sentence"),
    ...         LSTMEncoder(10, hidden, num_layers=2),
    ...         AttentiveStatisticsPooling(2 * hidden, 8),
    ...         ClassificationHead(4 * hidden, 4, 16),
    ...     )
    >>> big, small = model(16), model(6)
    >>> prune_into(big, small)
    >>> small.eval()(torch.rand(2, 4000), torch.tensor([1.0, 0.7])).shape
    torch.Size([2, 1, 4])
    """
    kept = _prune_encoder(trained.encoder, target.encoder)
    size = trained.encoder.output_size
    pooled = _prune_pooling(trained.pooling, target.pooling, kept, size)
    _prune_classifier(
        trained.classifier,
        target.classifier,
        _with_functionals(trained, target, pooled),
    )


def _with_functionals(
    trained: UtteranceClassifierModel,
    target: UtteranceClassifierModel,
    pooled: torch.Tensor,
) -> torch.Tensor:
    """The kept columns of the head's input: the pooled ones, then all functionals.

    The functionals (if any) follow the pooled vector in the head's input
    and have no units to prune: their columns are all kept, and both models
    must compute the same ones.
    """
    ours, theirs = trained.functionals, target.functionals
    if ours is None and theirs is None:
        return pooled
    if ours is None or theirs is None or repr(ours) != repr(theirs):
        raise ValueError(
            f"the trained model's functionals ({ours}) differ from the target's "
            f"({theirs}): set utterance_functionals and the functionals' settings "
            "to the trained run's"
        )
    linears = [m for m in trained.classifier.modules() if isinstance(m, nn.Linear)]
    end = linears[0].in_features
    return torch.cat([pooled, torch.arange(end - ours.output_size, end)])


def copy_normalizer(trained: nn.Module, target: nn.Module) -> None:
    """Copies the statistics of a global ``InputNormalization``.

    Arguments
    ---------
    trained : speechbrain.processing.features.InputNormalization
        With statistics.
    target : speechbrain.processing.features.InputNormalization
        Overwritten.
    """
    target.count = trained.count
    target.glob_mean = trained.glob_mean.clone()
    target.glob_std = trained.glob_std.clone()


def main(argv: list[str] | None = None) -> None:
    """Command line: prune a trained run into a new run's first checkpoint."""
    from speechbrain_lstm_ser.training.hparams import (
        HparamsError,
        load_hparams,
        load_trained_modules,
        yaml_overrides,
    )

    parser = argparse.ArgumentParser(
        prog="sb-lstm-ser prune",
        description="Prune a trained emotion model to a smaller hidden size and "
        "write it as the first checkpoint of a new run, which the recipe then "
        "fine-tunes. Extra --key value pairs override the target YAML; they "
        "must be the ones the fine-tuning run will use.",
    )
    parser.add_argument("trained", help="the trained run's hyperparams.yaml")
    parser.add_argument("target", help="the YAML of the pruned model (recipe YAML)")
    args, rest = parser.parse_known_args(argv)
    overrides = yaml_overrides(parser, rest)

    try:
        source = load_trained_modules(args.trained)
        target = load_hparams(args.target, overrides)
    except HparamsError as err:
        sys.exit(f"error: {err}")
    prune_into(source["model"], target["model"])
    copy_normalizer(source["model"].mean_var_norm, target["model"].mean_var_norm)
    os.makedirs(target["save_folder"], exist_ok=True)
    checkpoint = target["checkpointer"].save_checkpoint(
        meta={"pruned_from": os.path.abspath(args.trained)}
    )
    before = sum(p.numel() for p in source["model"].parameters())
    after = sum(p.numel() for p in target["model"].parameters())
    print(f"pruned {before} -> {after} parameters; wrote {checkpoint.path}")


if __name__ == "__main__":
    main()
