"""An optimizer whose fine-tuned pretrained layers learn at their own rate.

Used by ``hparams/ssl_lstm.yaml`` when the top layers of the SSL model are
fine-tuned (``ssl_finetune_layers``): they learn at ``ssl_lr`` while the
layer weighting, the LSTM, the pooling and the head learn at ``lr``. The
ratio is kept through the learning-rate annealing (which sets every group's
rate to the annealed ``lr``): before each step, the fine-tuned group's rate is
set to ``lr_scale`` times the others'.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable

import torch

__all__ = ["ScaledLearningRate", "scaled_opt_class", "scaled_optimizer"]


def scaled_optimizer(
    opt_class: Callable, params: Iterable, scaled: set[int], lr_scale: float
) -> torch.optim.Optimizer:
    """An optimizer whose ``scaled`` parameters learn at ``lr_scale`` x the rest's rate.

    Each parameter group (or the one group of plain parameters) is split in
    two: the parameters whose ``id`` is in ``scaled`` form a group carrying
    ``lr_scale``. Before every step, such a group's rate is set to
    ``lr_scale`` x the rate of the other groups (the annealing sets every
    group's rate to the annealed one).

    Arguments
    ---------
    opt_class : callable
        Parameter groups -> optimizer (e.g. ``!name:torch.optim.AdamW``).
    params : iterable
        Tensors, or parameter groups (dicts).
    scaled : set of int
        The ``id`` of each parameter learning at the scaled rate.
    lr_scale : float
        Their share of the learning rate.

    Returns
    -------
    torch.optim.Optimizer

    Example
    -------
    >>> fast, slow = torch.nn.Linear(2, 2), torch.nn.Linear(2, 2)
    >>> optimizer = scaled_optimizer(
    ...     lambda groups: torch.optim.SGD(groups, lr=1.0),
    ...     [*fast.parameters(), *slow.parameters()],
    ...     {id(p) for p in slow.parameters()},
    ...     lr_scale=0.1,
    ... )
    >>> [g["lr"] for g in optimizer.param_groups]
    [1.0, 0.1]
    """
    params = list(params)
    groups = params if params and isinstance(params[0], dict) else None
    split = []
    for group in groups or [{"params": params}]:
        members = list(group["params"])
        rest = [p for p in members if id(p) not in scaled]
        mine = [p for p in members if id(p) in scaled]
        if rest:
            split.append({**group, "params": rest})
        if mine:
            split.append({**group, "params": mine, "lr_scale": lr_scale})
    optimizer = opt_class(split)
    _rescale(optimizer)
    optimizer.register_step_pre_hook(lambda opt, *_: _rescale(opt))
    return optimizer


def scaled_opt_class(
    opt_class: Callable, params: Iterable[torch.Tensor], lr_scale: float
) -> Callable:
    """Wraps an ``opt_class`` so that ``params`` learn at ``lr_scale`` x the rate.

    Arguments
    ---------
    opt_class : callable
        Parameters (or groups) -> optimizer, e.g. a Brain's ``opt_class``.
    params : iterable of torch.Tensor
        The parameters learning at the scaled rate.
    lr_scale : float
        Their share of the learning rate.

    Returns
    -------
    callable
        ``opt_class`` itself at scale 1; else parameters (or groups) ->
        :func:`scaled_optimizer`'s optimizer.

    Example
    -------
    >>> part = torch.nn.Linear(2, 2)
    >>> sgd = lambda groups: torch.optim.SGD(groups, lr=1.0)
    >>> scaled_opt_class(sgd, part.parameters(), 1.0) is sgd
    True
    >>> build = scaled_opt_class(sgd, [part.bias], 0.5)
    >>> [g["lr"] for g in build(part.parameters()).param_groups]
    [1.0, 0.5]
    """
    if lr_scale == 1.0:
        return opt_class
    scaled = {id(p) for p in params}
    return functools.partial(
        scaled_optimizer, opt_class, scaled=scaled, lr_scale=lr_scale
    )


def _rescale(optimizer: torch.optim.Optimizer) -> None:
    """Sets every ``lr_scale`` group to its share of the base learning rate."""
    base = next((g["lr"] for g in optimizer.param_groups if "lr_scale" not in g), None)
    if base is None:
        return
    for group in optimizer.param_groups:
        if "lr_scale" in group:
            group["lr"] = base * group["lr_scale"]


class ScaledLearningRate:
    """``opt_class`` for a YAML: one module's fine-tuned parameters at ``lr_scale``.

    Arguments
    ---------
    opt_class : callable
        The optimizer, e.g. ``!name:torch.optim.AdamW`` with its ``lr``.
    module : torch.nn.Module
        Its ``finetuned_parameters()`` (e.g.
        :meth:`~speechbrain_lstm_ser.nnet.ssl.SSLLayerFeatures.finetuned_parameters`)
        learn at ``lr_scale`` x the others' rate; none: a plain optimizer.
    lr_scale : float
        Their share of the learning rate (``ssl_lr / lr`` in the YAML).

    Example
    -------
    >>> import functools
    >>> class Part(torch.nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.top, self.head = torch.nn.Linear(2, 2), torch.nn.Linear(2, 2)
    ...     def finetuned_parameters(self):
    ...         return list(self.top.parameters())
    >>> part = Part()
    >>> build = ScaledLearningRate(
    ...     functools.partial(torch.optim.SGD, lr=0.1), part, lr_scale=0.01
    ... )
    >>> optimizer = build(part.parameters())
    >>> [round(g["lr"], 4) for g in optimizer.param_groups]
    [0.1, 0.001]
    """

    def __init__(self, opt_class: Callable, module: torch.nn.Module, lr_scale: float):
        if not lr_scale > 0:
            raise ValueError(f"the learning rate scale must be positive: {lr_scale}")
        self.opt_class = opt_class
        self.module = module
        self.lr_scale = float(lr_scale)

    def __call__(self, params: Iterable) -> torch.optim.Optimizer:
        """Builds the optimizer over ``params`` (tensors or parameter groups)."""
        scaled = {id(p) for p in getattr(self.module, "finetuned_parameters", list)()}
        if not scaled:
            return self.opt_class(list(params))
        return scaled_optimizer(self.opt_class, params, scaled, self.lr_scale)
