"""Utterance embedding models: a frame encoder followed by a pooling.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["UtteranceEncoder"]


class UtteranceEncoder(nn.Module):
    """Frames -> one vector per utterance: ``pooling(encoder(x, lens), lens)``.

    One module with the ``embedding_model(feats, lens)`` signature that
    SpeechBrain's classification recipes (speaker ID, IEMOCAP emotion,
    language ID) call, so our LSTM replaces their ECAPA-TDNN or x-vector
    in YAML alone.

    Arguments
    ---------
    encoder : torch.nn.Module
        ``(batch, time, features), lens -> (batch, time, hidden)``, e.g.
        ``LSTMEncoder``.
    pooling : torch.nn.Module
        ``(batch, time, hidden), lens -> (batch, 1, out)``, e.g.
        ``AttentiveStatisticsPooling``.

    Example
    -------
    >>> from speechbrain_lstm_ser.nnet.encoders import LSTMEncoder
    >>> from speechbrain_lstm_ser.nnet.pooling import MeanPooling
    >>> model = UtteranceEncoder(LSTMEncoder(20, 8), MeanPooling(16))
    >>> model(torch.rand(2, 30, 20), torch.tensor([1.0, 0.5])).shape
    torch.Size([2, 1, 16])
    """

    def __init__(self, encoder: nn.Module, pooling: nn.Module):
        super().__init__()
        self.encoder = encoder
        self.pooling = pooling

    def forward(
        self, x: torch.Tensor, lens: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Embeds ``x`` ``(batch, time, features)`` as ``(batch, 1, out)``."""
        return self.pooling(self.encoder(x, lens), lens)
