"""Speaker-adversarial training in a classification run.

With ``speaker_adversary_weight > 0`` the Brain trains a
:class:`~speechbrain_lstm_ser.nnet.adversary.SpeakerAdversary` on the task
model's utterance embeddings (the input of its classifier) to name the
training speaker, and the reversed gradient trains the encoder to hide it:
the classes have to be recognised from what is not specific to a speaker.
:class:`SpeakerAdversaryObjective` owns that head, its loss, the schedule
of its reversal scale and the share of training utterances it still
identifies (logged each epoch: near chance, the embeddings hide the
speakers). Only training uses it; checkpoints hold the head so a resumed
run continues, and exported models do not.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence

import torch
from torch import nn

from speechbrain_lstm_ser.training.param_groups import scaled_opt_class

__all__ = ["SpeakerAdversaryObjective", "reversal_schedule"]


def reversal_schedule(scale: float, ramp: float, progress: float) -> float:
    """The gradient reversal's scale at a point of training.

    ``scale * (2 / (1 + exp(-ramp * progress)) - 1)``: Ganin and Lempitsky's
    schedule, 0 at the start (the adversary first learns to identify the
    speakers) rising to ``scale``; ``ramp`` 0 keeps ``scale`` throughout.

    Arguments
    ---------
    scale : float
        The final scale (>= 0).
    ramp : float
        How fast it rises (>= 0; 10 in the paper; 0: no schedule).
    progress : float
        The share of training done, in ``[0, 1]``.

    Returns
    -------
    float

    Example
    -------
    >>> [round(reversal_schedule(1.0, 10.0, p), 3) for p in (0.0, 0.1, 0.5, 1.0)]
    [0.0, 0.462, 0.987, 1.0]
    >>> reversal_schedule(0.5, 0.0, 0.0)
    0.5
    """
    if ramp == 0:
        return float(scale)
    return float(scale) * (2.0 / (1.0 + math.exp(-ramp * progress)) - 1.0)


class SpeakerAdversaryObjective:
    """The speaker adversary's head, loss and schedule in a classification run.

    Arguments
    ---------
    head : torch.nn.Module
        A :class:`~speechbrain_lstm_ser.nnet.adversary.SpeakerAdversary`
        over the training speakers (its ``scale`` is set each epoch).
    speakers : sequence of str
        The training speakers, in the head's output order.
    weight : float
        ``speaker_adversary_weight``: the weight of its cross-entropy.
    scale : float
        ``speaker_adversary_scale``: the reversal's final scale.
    ramp : float
        ``speaker_adversary_ramp``: see :func:`reversal_schedule`.
    num_epochs : int
        The training's epochs (the schedule's progress is per epoch).
    lr_scale : float
        ``speaker_adversary_lr_scale``: the head's learning rate, as a share
        of the model's (see :meth:`optimizer`).

    Example
    -------
    >>> from speechbrain_lstm_ser.nnet.adversary import SpeakerAdversary
    >>> objective = SpeakerAdversaryObjective(
    ...     SpeakerAdversary(8, num_speakers=2, hidden_size=4), ["s1", "s2"],
    ...     weight=0.5, scale=1.0, ramp=10.0, num_epochs=4)
    >>> objective.on_epoch_start(1)
    >>> objective.head.scale
    0.0
    >>> loss = objective.loss(torch.rand(4, 1, 8), ["s1", "s2", "s2", "s1"])
    >>> loss.shape, objective.accuracy() is not None
    (torch.Size([]), True)
    >>> objective.loss(torch.rand(1, 1, 8), ["s9"])
    Traceback (most recent call last):
    ...
    ValueError: the speaker adversary knows the training speakers only; 's9' is not one
    """

    def __init__(
        self,
        head: nn.Module,
        speakers: Sequence[str],
        weight: float,
        scale: float = 1.0,
        ramp: float = 10.0,
        num_epochs: int = 1,
        lr_scale: float = 1.0,
    ):
        for key, value in (
            ("speaker_adversary_weight", weight),
            ("speaker_adversary_scale", scale),
            ("speaker_adversary_ramp", ramp),
        ):
            if not value >= 0:
                raise ValueError(f"{key} must be >= 0, got {value}")
        if not lr_scale > 0:
            raise ValueError(f"speaker_adversary_lr_scale must be > 0, got {lr_scale}")
        self.lr_scale = float(lr_scale)
        self.head = head
        self.index = {speaker: i for i, speaker in enumerate(speakers)}
        self.weight, self.scale, self.ramp = float(weight), float(scale), float(ramp)
        self.num_epochs = max(int(num_epochs), 1)
        self.correct = self.total = 0

    @classmethod
    def from_hparams(
        cls, hparams, options, speakers: Iterable[str]
    ) -> SpeakerAdversaryObjective | None:
        """The objective of a run, or ``None`` when ``speaker_adversary_weight`` is 0.

        Arguments
        ---------
        hparams : object
            A Brain's ``hparams``: ``speaker_adversary`` (a ``!name:``
            partial of the head, given ``num_speakers`` here) and
            ``number_of_epochs``.
        options : speechbrain_lstm_ser.training.brain.RecipeOptions
            ``speaker_adversary_weight``, ``_scale``, ``_ramp`` and
            ``_lr_scale``.
        speakers : iterable of str
            The speaker of each training utterance (read only when on).

        Returns
        -------
        SpeakerAdversaryObjective or None
        """
        if options.speaker_adversary_weight == 0:
            return None
        build: Callable[..., nn.Module] | None = getattr(
            hparams, "speaker_adversary", None
        )
        if build is None:
            raise ValueError(
                "speaker_adversary_weight > 0 needs a `speaker_adversary: "
                "!name:speechbrain_lstm_ser.nnet.adversary.SpeakerAdversary` "
                "in the YAML (hparams/lstm.yaml)"
            )
        speakers = sorted(set(speakers))
        return cls(
            build(num_speakers=len(speakers)),
            speakers,
            options.speaker_adversary_weight,
            options.speaker_adversary_scale,
            options.speaker_adversary_ramp,
            getattr(hparams, "number_of_epochs", 1),
            options.speaker_adversary_lr_scale,
        )

    def optimizer(self, opt_class: Callable) -> Callable:
        """Wraps an ``opt_class``: the head learns at :attr:`lr_scale` x the rate.

        Arguments
        ---------
        opt_class : callable
            The Brain's ``opt_class`` (parameters -> optimizer).

        Returns
        -------
        callable
            ``opt_class`` itself at scale 1; else parameters (or groups) ->
            the optimizer, the head's parameters in groups kept at
            ``lr_scale`` x the others' rate (see
            :func:`~speechbrain_lstm_ser.training.param_groups.scaled_opt_class`).
        """
        return scaled_opt_class(opt_class, self.head.parameters(), self.lr_scale)

    def on_epoch_start(self, epoch: int) -> None:
        """Sets the reversal scale of ``epoch`` (1-based) and resets the count."""
        progress = min(max(epoch - 1, 0) / self.num_epochs, 1.0)
        self.head.scale = reversal_schedule(self.scale, self.ramp, progress)
        self.correct = self.total = 0

    def loss(
        self,
        embeddings: torch.Tensor,
        speakers: Sequence[str],
        replicate: Callable[[torch.Tensor], torch.Tensor] | None = None,
    ) -> torch.Tensor:
        """The weighted cross-entropy of the head against the speakers.

        Arguments
        ---------
        embeddings : torch.Tensor
            ``(batch, 1, size)`` utterance embeddings (of the augmented
            batch, in training).
        speakers : sequence of str
            The speaker of each utterance of the batch before augmentation.
        replicate : callable, optional
            Repeats per-utterance targets like the augmentation repeated
            the batch (the Augmenter's ``replicate_labels``).

        Returns
        -------
        torch.Tensor
            A scalar.
        """
        unknown = [s for s in speakers if s not in self.index]
        if unknown:
            raise ValueError(
                "the speaker adversary knows the training speakers only; "
                f"{unknown[0]!r} is not one"
            )
        targets = torch.tensor(
            [self.index[s] for s in speakers], device=embeddings.device
        )
        if replicate is not None:
            targets = replicate(targets)
        log_probs = self.head(embeddings)
        self.correct += int((log_probs.argmax(-1) == targets).sum())
        self.total += len(targets)
        return self.weight * nn.functional.nll_loss(log_probs, targets)

    def accuracy(self) -> float | None:
        """The share of this epoch's training utterances the head identified."""
        return self.correct / self.total if self.total else None

    def log_line(self, epoch: int) -> str:
        """What the epoch's log says of the adversary."""
        accuracy = self.accuracy()
        shown = "n/a" if accuracy is None else f"{accuracy:.3f}"
        return (
            f"Epoch {epoch}: speaker adversary at reversal scale "
            f"{self.head.scale:.3f} identified {shown} of the training "
            f"utterances (chance {1 / len(self.index):.3f})"
        )
