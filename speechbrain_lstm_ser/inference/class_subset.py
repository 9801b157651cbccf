"""Restricting a classifier's output to a subset of its classes (``labels=[...]``).

The probabilities are renormalised over the allowed classes
(``p_i / sum of the allowed p_j``), the others get probability 0
(log-probability ``-inf``), and the best class is one of the allowed ones.
Indices stay those of the full class list.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

__all__ = ["class_mask", "restrict_classes"]


def class_mask(labels: Sequence[str], classes: Sequence[str]) -> torch.Tensor:
    """The mask of a subset of the classes.

    Arguments
    ---------
    labels : sequence of str
        The allowed class names.
    classes : sequence of str
        All the model's class names, in output order.

    Returns
    -------
    torch.Tensor
        ``(classes,)`` booleans, True for the allowed classes.

    Raises
    ------
    ValueError
        For an empty subset or a name that is not one of ``classes``.

    Example
    -------
    >>> class_mask(["sad"], ["happy", "sad", "angry"])
    tensor([False,  True, False])
    >>> class_mask(["calm"], ["happy", "sad"])
    Traceback (most recent call last):
    ...
    ValueError: labels ['calm']: give classes of this model, among ['happy', 'sad']
    """
    if isinstance(labels, str) or not all(isinstance(x, str) for x in labels):
        raise ValueError(
            f"labels must be a list of class names, e.g. ['happy', 'sad'], got "
            f"{labels!r}"
        )
    known = list(classes)
    unknown = [label for label in labels if label not in known]
    if unknown or not labels:
        raise ValueError(
            f"labels {unknown or '[]'}: give classes of this model, among {known}"
        )
    mask = torch.zeros(len(known), dtype=torch.bool)
    mask[[known.index(label) for label in labels]] = True
    return mask


def restrict_classes(out_prob: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Log-probabilities renormalised over the classes of a mask.

    Arguments
    ---------
    out_prob : torch.Tensor
        ``(batch, classes)`` log-probabilities.
    mask : torch.Tensor
        ``(classes,)`` booleans from :func:`class_mask`.

    Returns
    -------
    torch.Tensor
        ``(batch, classes)``: ``log(p_i / sum of the allowed p_j)`` for the
        allowed classes, ``-inf`` for the others.

    Example
    -------
    >>> out_prob = torch.tensor([[0.5, 0.25, 0.25]]).log()
    >>> restrict_classes(out_prob, torch.tensor([False, True, True])).exp()
    tensor([[0.0000, 0.5000, 0.5000]])
    """
    mask = mask.to(out_prob.device)
    return torch.log_softmax(out_prob.masked_fill(~mask, float("-inf")), dim=-1)
