"""Output layers: utterance-level classification and regression heads, CTC's layer.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import torch
from torch import nn

__all__ = [
    "CTCHead",
    "ClassificationHead",
    "DimensionHead",
    "EmotionClassifier",
    "hidden_blocks",
    "optional_head",
]


def hidden_blocks(
    input_size: int, hidden_size: int, num_hidden_layers: int, dropout: float
) -> tuple[nn.Sequential, int]:
    """(Linear, BatchNorm1d, ReLU, Dropout) x N: the hidden part of the MLP heads.

    Arguments
    ---------
    input_size : int
        Size of the input vectors.
    hidden_size : int
        Units of each hidden layer.
    num_hidden_layers : int
        Number of blocks (>= 0; 0: the identity).
    dropout : float
        Dropout probability of each block.

    Returns
    -------
    blocks : torch.nn.Sequential
        ``(batch, input_size) -> (batch, size)``.
    size : int
        The size of its output (``input_size`` without blocks).

    Example
    -------
    >>> blocks, size = hidden_blocks(8, 4, num_hidden_layers=2, dropout=0.1)
    >>> len(blocks), size, blocks.eval()(torch.rand(3, 8)).shape
    (8, 4, torch.Size([3, 4]))
    """
    layers: list[nn.Module] = []
    size = input_size
    for _ in range(num_hidden_layers):
        layers += [
            nn.Linear(size, hidden_size),
            nn.BatchNorm1d(hidden_size),
            nn.ReLU(),
            nn.Dropout(dropout),
        ]
        size = hidden_size
    return nn.Sequential(*layers), size


class ClassificationHead(nn.Module):
    """MLP head: (Linear, BatchNorm1d, ReLU, Dropout) x N, Linear, log-softmax.

    The head of the specification. It serves any utterance-level label set
    (emotions, spoken commands, speakers): only ``num_classes`` changes.

    In evaluation mode (``.eval()``: testing, inference, ONNX export) the
    logits are divided by the head's ``temperature`` before the
    log-softmax: a non-trainable buffer, 1.0 until a recipe fits it on the
    validation split (temperature scaling, see
    :mod:`speechbrain_lstm_ser.evaluation.calibration`). It is saved with
    the head's weights, so every checkpoint and exported model carries it
    (a state saved before it existed loads with 1.0 through
    :mod:`speechbrain_lstm_ser.hub.legacy`). Training mode always
    uses 1.0, and dividing by ``T > 0`` never changes the predicted class.

    Arguments
    ---------
    input_size : int
        Size of the pooled utterance vector.
    num_classes : int
        Number of output classes.
    hidden_size : int
        Units of each hidden layer.
    num_hidden_layers : int
        Number of Linear -> BatchNorm -> ReLU -> Dropout blocks (>= 0).
    dropout : float
        Dropout probability of the hidden blocks.

    Example
    -------
    >>> head = ClassificationHead(input_size=32, num_classes=4, hidden_size=16)
    >>> log_probs = head(torch.rand(5, 1, 32))
    >>> log_probs.shape
    torch.Size([5, 1, 4])
    >>> torch.allclose(log_probs.exp().sum(-1), torch.ones(5, 1))
    True
    >>> head = head.eval()
    >>> head.set_temperature(2.0)  # evaluation mode: log_softmax(logits / 2)
    >>> x = torch.rand(2, 32)
    >>> torch.allclose(head(x), torch.log_softmax(head.logits(x) / 2, dim=-1))
    True
    """

    def __init__(
        self,
        input_size: int,
        num_classes: int,
        hidden_size: int = 256,
        num_hidden_layers: int = 1,
        dropout: float = 0.2,
    ):
        super().__init__()
        self.hidden, size = hidden_blocks(
            input_size, hidden_size, num_hidden_layers, dropout
        )
        self.output = nn.Linear(size, num_classes)
        self.num_classes = num_classes
        self.register_buffer("temperature", torch.tensor(1.0))

    def set_temperature(self, temperature: float) -> None:
        """Sets the temperature that divides the logits in evaluation mode.

        Arguments
        ---------
        temperature : float
            ``T > 0`` (1.0: no scaling), e.g. from
            :func:`~speechbrain_lstm_ser.evaluation.calibration.fit_temperature`.
        """
        if not temperature > 0:
            raise ValueError(f"the temperature must be > 0, got {temperature}")
        with torch.no_grad():
            self.temperature.fill_(float(temperature))

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        """Unnormalised class scores, before any temperature.

        Arguments
        ---------
        x : torch.Tensor
            ``(batch, input_size)``.

        Returns
        -------
        torch.Tensor
            ``(batch, num_classes)``.
        """
        return self.output(self.hidden(x))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Class log-probabilities (temperature-scaled in evaluation mode).

        Arguments
        ---------
        x : torch.Tensor
            ``(batch, 1, input_size)`` as pooling returns it, or
            ``(batch, input_size)``.

        Returns
        -------
        torch.Tensor
            ``(batch, 1, num_classes)`` (or ``(batch, num_classes)``) log-probabilities.
        """
        squeeze = x.dim() == 3
        if squeeze:
            x = x.squeeze(1)
        logits = self.logits(x)
        if not self.training:
            logits = logits / self.temperature
        out = torch.log_softmax(logits, dim=-1)
        return out.unsqueeze(1) if squeeze else out


class EmotionClassifier(ClassificationHead):
    """Deprecated name of :class:`ClassificationHead` (same layers, same weights).

    Kept here because the ``hyperparams.yaml`` of model folders exported
    before the rename names this import path (the rest of reading such
    folders is :mod:`speechbrain_lstm_ser.hub.legacy`'s); new YAML files
    should use ``ClassificationHead``.

    Arguments
    ---------
    *args, **kwargs
        As for :class:`ClassificationHead`.
    """

    def __init__(self, *args, **kwargs):
        warnings.warn(
            "speechbrain_lstm_ser.nnet.heads.EmotionClassifier is deprecated: it "
            "is the head of any utterance classifier, now named ClassificationHead",
            DeprecationWarning,
            stacklevel=2,
        )
        super().__init__(*args, **kwargs)


class DimensionHead(nn.Module):
    """Regression head: (Linear, BatchNorm1d, ReLU, Dropout) x N, Linear, sigmoid.

    The same MLP as :class:`ClassificationHead`, on the same pooled vector,
    with ``num_dimensions`` outputs squashed to ``[0, 1]``: arousal, valence
    and dominance in the order and range of
    :data:`~speechbrain_lstm_ser.dataio.manifest.DIMENSIONS`
    (docs/dimensional.md). Trained with
    :class:`~speechbrain_lstm_ser.nnet.losses.ConcordanceLoss`.

    Arguments
    ---------
    input_size : int
        Size of the pooled utterance vector.
    num_dimensions : int
        Number of outputs (3: arousal, valence, dominance).
    hidden_size : int
        Units of each hidden layer.
    num_hidden_layers : int
        Number of Linear -> BatchNorm -> ReLU -> Dropout blocks (>= 0).
    dropout : float
        Dropout probability of the hidden blocks.

    Example
    -------
    >>> head = DimensionHead(input_size=32, hidden_size=16)
    >>> dims = head(torch.rand(5, 1, 32))
    >>> dims.shape, bool(((dims > 0) & (dims < 1)).all())
    (torch.Size([5, 1, 3]), True)
    >>> head.eval()(torch.rand(2, 32)).shape
    torch.Size([2, 3])
    """

    def __init__(
        self,
        input_size: int,
        num_dimensions: int = 3,
        hidden_size: int = 256,
        num_hidden_layers: int = 1,
        dropout: float = 0.2,
    ):
        super().__init__()
        self.hidden, size = hidden_blocks(
            input_size, hidden_size, num_hidden_layers, dropout
        )
        self.output = nn.Linear(size, num_dimensions)
        self.num_dimensions = num_dimensions

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The dimensions, each in ``[0, 1]``.

        Arguments
        ---------
        x : torch.Tensor
            ``(batch, 1, input_size)`` as pooling returns it, or
            ``(batch, input_size)``.

        Returns
        -------
        torch.Tensor
            ``(batch, 1, num_dimensions)`` (or ``(batch, num_dimensions)``).
        """
        squeeze = x.dim() == 3
        if squeeze:
            x = x.squeeze(1)
        out = torch.sigmoid(self.output(self.hidden(x)))
        return out.unsqueeze(1) if squeeze else out


def optional_head(weight: float, head: Callable[[], nn.Module]) -> nn.Module | None:
    """``head()`` when its loss ``weight`` is positive, else ``None``.

    How a YAML gives the task model a head only when it is switched on
    (``regressor: !apply:...optional_head [!ref <dimension_weight>,
    !ref <dimension_head>]`` with ``dimension_head: !name:...DimensionHead``):
    off, nothing is built, so the model has the same parameters and the
    run the same random draws as without the head.

    Arguments
    ---------
    weight : float or bool
        The head's loss weight (>= 0), or a switch (e.g. the YAML's
        ``utterance_functionals``, which builds the optional ``functionals``
        part the same way).
    head : callable
        Builds the head (e.g. a ``!name:`` partial of :class:`DimensionHead`).

    Returns
    -------
    torch.nn.Module or None

    Example
    -------
    >>> optional_head(0.0, lambda: DimensionHead(8)) is None
    True
    >>> type(optional_head(1.0, lambda: DimensionHead(8))).__name__
    'DimensionHead'
    """
    if not weight >= 0:
        raise ValueError(f"a loss weight must be >= 0, got {weight}")
    return head() if weight > 0 else None


class CTCHead(nn.Module):
    """Frame-level output layer for CTC: (Dropout), Linear, log-softmax.

    Maps every encoder frame to log-probabilities over the ``vocab_size``
    tokens of a tokenizer plus the CTC blank, which takes the **last** index
    (``blank_index == vocab_size``): token IDs then pass unchanged between
    the tokenizer and the network (sentencepiece's ``<unk>`` keeps ID 0).

    Arguments
    ---------
    input_size : int
        Size of the encoder frames.
    vocab_size : int
        Number of tokenizer units (without the blank).
    dropout : float
        Dropout applied to the frames before the projection.

    Example
    -------
    >>> head = CTCHead(input_size=32, vocab_size=10)
    >>> log_probs = head(torch.rand(2, 50, 32))
    >>> log_probs.shape, head.blank_index
    (torch.Size([2, 50, 11]), 10)
    >>> torch.allclose(log_probs.exp().sum(-1), torch.ones(2, 50))
    True
    """

    def __init__(self, input_size: int, vocab_size: int, dropout: float = 0.0):
        super().__init__()
        if vocab_size < 1:
            raise ValueError(f"vocab_size must be >= 1, got {vocab_size}")
        self.dropout = nn.Dropout(dropout)
        self.output = nn.Linear(input_size, vocab_size + 1)
        self.vocab_size = vocab_size
        self.blank_index = vocab_size

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Per-frame log-probabilities.

        Arguments
        ---------
        x : torch.Tensor
            ``(batch, time, input_size)`` encoder output.

        Returns
        -------
        torch.Tensor
            ``(batch, time, vocab_size + 1)``; the blank is the last index.
        """
        return torch.log_softmax(self.output(self.dropout(x)), dim=-1)
