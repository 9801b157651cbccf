"""Baseline modules for the benchmark, usable in the recipe's YAML.

They fit the recipe's interfaces (``encoder(feats, lens)``,
``pooling(encoded, lens)``) but deliberately ignore the lengths: they are
what a plain PyTorch model does, and what ours are compared against.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["PaddedLSTM", "Passthrough", "UnmaskedMeanPooling"]


class PaddedLSTM(nn.Module):
    """A plain ``nn.LSTM`` run over the padded batch: no packing, no masking.

    Padding frames are read like speech, so an utterance's encoding depends
    on the batch it is in.

    Arguments
    ---------
    input_size : int
        Features per frame.
    hidden_size : int
        Units per direction.
    num_layers : int
        Stacked layers.
    bidirectional : bool
        Also read backwards (through the padding first).
    dropout : float
        Dropout between layers.

    Example
    -------
    >>> enc = PaddedLSTM(20, 16)
    >>> enc(torch.rand(2, 30, 20), torch.tensor([1.0, 0.5])).shape
    torch.Size([2, 30, 32])
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int = 128,
        num_layers: int = 2,
        bidirectional: bool = True,
        dropout: float = 0.0,
    ):
        super().__init__()
        self.lstm = nn.LSTM(
            input_size,
            hidden_size,
            num_layers=num_layers,
            bidirectional=bidirectional,
            dropout=dropout,
            batch_first=True,
        )

    def forward(
        self, x: torch.Tensor, lens: torch.Tensor | None = None
    ) -> torch.Tensor:
        """``(batch, time, features)`` -> ``(batch, time, units)``; ignores ``lens``."""
        return self.lstm(x)[0]


class UnmaskedMeanPooling(nn.Module):
    """The mean over all frames, padding included.

    Example
    -------
    >>> UnmaskedMeanPooling()(torch.ones(2, 5, 3), torch.tensor([1.0, 0.2])).shape
    torch.Size([2, 1, 3])
    """

    def forward(
        self, x: torch.Tensor, lens: torch.Tensor | None = None
    ) -> torch.Tensor:
        """``(batch, time, features)`` -> ``(batch, 1, features)``; ignores ``lens``."""
        return x.mean(dim=1, keepdim=True)


class Passthrough(nn.Module):
    """Returns its input: for encoders that pool themselves (ECAPA-TDNN).

    Example
    -------
    >>> x = torch.rand(2, 1, 8)
    >>> Passthrough()(x, torch.ones(2)) is x
    True
    """

    def forward(
        self, x: torch.Tensor, lens: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Returns ``x`` unchanged."""
        return x
