r"""Late fusion of the emotion model with a linear classifier over prosodic functionals.

The LSTM learns its training generator's spectra more than the prosodic
relations that define the classes; a linear classifier over a classic set
of utterance functionals (:mod:`speechbrain_lstm_ser.nnet.prosodic_functionals`)
transfers better to new voices and synthesizers, and the two together beat
either on the validation domain (docs/performance.md, issue 23).
:class:`FunctionalsFusion` adds, class by class::

    log p(class) = log_softmax(w * log p_model + (1 - w) * log p_functionals)

with one linear head and one weight ``w`` per mode:

- ``speaker`` (an enrolled speaker, or the recipe's transductive test): all
  the functionals, z-scored over the speaker's clips, then by the training
  set's statistics of those z-scores;
- ``utterance`` (no speaker): the level-invariant functionals
  (:class:`~speechbrain_lstm_ser.nnet.prosodic_functionals.LevelInvariant`),
  z-scored by the training set's statistics, so that a recording's gain
  still changes nothing.

A freshly built module has ``w = 1`` in both modes: the model alone. The
recipe fits the heads and chooses the weights after training
(:mod:`speechbrain_lstm_ser.training.fusion`); the weights, heads and
statistics are buffers and parameters of this module, exported and loaded
with the other parts of the model. The functionals are numpy (they are not
part of the model's traced forward, nor of an ONNX export).

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from speechbrain_lstm_ser.nnet.prosodic_functionals import (
    LevelInvariant,
    ProsodicFunctionals,
)

__all__ = ["MODES", "FunctionalsFusion", "speaker_statistics"]

#: The fusion's modes, in the order of its ``weights``.
MODES = ("speaker", "utterance")

_TINY_STD = 1e-12


def speaker_statistics(functionals: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean and standard deviation of one speaker's clips' functionals.

    Arguments
    ---------
    functionals : torch.Tensor
        ``(clips, features)``.

    Returns
    -------
    mean, std : torch.Tensor
        ``(features,)`` each; a feature constant over the clips (e.g. one
        clip) has a std of 1, so its z-score is 0, never NaN.

    Example
    -------
    >>> mean, std = speaker_statistics(torch.tensor([[1.0, 5.0], [3.0, 5.0]]))
    >>> mean.tolist(), std.tolist()
    ([2.0, 5.0], [1.0, 1.0])
    """
    functionals = functionals.double()
    mean = functionals.mean(dim=0)
    std = functionals.std(dim=0, unbiased=False)
    return mean, torch.where(std > _TINY_STD, std, torch.ones_like(std))


class FunctionalsFusion(nn.Module):
    """The model's class log-probabilities fused with a functionals classifier.

    Arguments
    ---------
    num_classes : int
        The classes, in the model's output order.
    sample_rate : int
        Of the waveforms.
    f0_min, f0_max : float
        Pitch search range of the functionals (Hz).
    min_clips : int
        The fewest clips of a speaker whose statistics the ``speaker`` head
        trusts: with fewer (a spread from 1-3 clips means little), the
        ``utterance`` head is fused instead.
    f0_tracker : str
        The functionals' F0 tracker (see
        :class:`~speechbrain_lstm_ser.nnet.prosodic_functionals.ProsodicFunctionals`);
        the default is the first one, which models fitted before the choice
        were fitted with.

    Example
    -------
    >>> fusion = FunctionalsFusion(num_classes=4).eval()
    >>> t = torch.arange(16000) / 16000
    >>> wavs = torch.stack([0.3 * torch.sin(2 * torch.pi * f * t) for f in (120, 200)])
    >>> feats = fusion.extract(wavs, torch.ones(2))
    >>> feats.shape == (2, fusion.num_features)
    True
    >>> log_probs = torch.randn(2, 4).log_softmax(-1)
    >>> bool(torch.equal(fusion(log_probs, feats), log_probs))  # unfitted: w = 1
    True
    >>> fusion.weights.fill_(0.5)
    tensor([0.5000, 0.5000])
    >>> fused = fusion(log_probs, feats)
    >>> fused.shape, bool(torch.allclose(fused.exp().sum(-1), torch.ones(2)))
    (torch.Size([2, 4]), True)
    """

    def __init__(
        self,
        num_classes: int,
        sample_rate: int = 16000,
        f0_min: float = 60.0,
        f0_max: float = 500.0,
        min_clips: int = 10,
        f0_tracker: str = "autocorrelation",
    ):
        super().__init__()
        self.num_classes = num_classes
        self.min_clips = min_clips
        self.extractor = ProsodicFunctionals(
            sample_rate, f0_min=f0_min, f0_max=f0_max, f0_tracker=f0_tracker
        )
        keep = LevelInvariant(self.extractor).keep
        features = len(self.extractor.names)
        # Fitted, not trained: buffers, so no optimiser ever sees them.
        for mode, size in zip(MODES, (features, len(keep)), strict=True):
            self.register_buffer(f"{mode}_weight", torch.zeros(num_classes, size))
            self.register_buffer(f"{mode}_bias", torch.zeros(num_classes))
        self.register_buffer("utterance_index", torch.tensor(keep, dtype=torch.long))
        self.register_buffer("speaker_mean", torch.zeros(features))
        self.register_buffer("speaker_std", torch.ones(features))
        self.register_buffer("utterance_mean", torch.zeros(len(keep)))
        self.register_buffer("utterance_std", torch.ones(len(keep)))
        #: The model's weight per mode (:data:`MODES`); 1: the model alone.
        self.register_buffer("weights", torch.ones(len(MODES)))

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        """Loads a checkpoint written before the model had a fusion: unfitted."""
        for name, value in self.state_dict().items():
            state_dict.setdefault(prefix + name, value)
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    @property
    def num_features(self) -> int:
        """How many functionals :meth:`extract` gives per utterance."""
        return self.speaker_weight.shape[1]

    def weight(self, mode: str) -> float:
        """The model's weight in ``mode`` (``speaker`` or ``utterance``)."""
        return round(float(self.weights[MODES.index(mode)]), 6)

    def active(self, mode: str) -> bool:
        """Whether ``mode`` uses the functionals at all (its weight is under 1)."""
        return self.weight(mode) < 1.0

    def extract(self, wavs: torch.Tensor, lens: torch.Tensor) -> torch.Tensor:
        """The functionals ``(batch, features)`` of a batch of waveforms.

        Arguments
        ---------
        wavs : torch.Tensor
            ``(batch, time)`` pre-processed waveforms.
        lens : torch.Tensor
            ``(batch,)`` relative lengths: padding is left out.

        Returns
        -------
        torch.Tensor
            float64; a statistic that is undefined (no voiced frame, say) is 0.
        """
        assert wavs.ndim == 2, wavs.shape
        rows = []
        for wav, rel in zip(wavs.detach().cpu(), lens.cpu(), strict=True):
            samples = max(1, int(round(float(rel) * wav.shape[0])))
            rows.append(self.extractor(wav[:samples]))
        feats = np.nan_to_num(np.stack(rows), nan=0.0, posinf=0.0, neginf=0.0)
        return torch.from_numpy(feats)

    def head_log_probs(
        self,
        functionals: torch.Tensor,
        speaker: tuple[torch.Tensor, torch.Tensor] | None = None,
    ) -> torch.Tensor:
        """The functionals classifier's log-probabilities ``(batch, classes)``.

        Arguments
        ---------
        functionals : torch.Tensor
            ``(batch, features)`` from :meth:`extract`.
        speaker : tuple of torch.Tensor, optional
            ``(mean, std)``, each ``(batch, features)`` or ``(features,)``:
            the statistics of each row's speaker (:func:`speaker_statistics`);
            the ``speaker`` mode. None: the ``utterance`` mode.

        Returns
        -------
        torch.Tensor
        """
        functionals = functionals.to(self.speaker_mean.device, torch.float64)
        if speaker is None:
            mode, x = "utterance", functionals[:, self.utterance_index]
        else:
            mean, std = speaker
            mode = "speaker"
            x = (functionals - mean.to(functionals)) / std.to(functionals)
        x = (x - getattr(self, f"{mode}_mean").double()) / getattr(
            self, f"{mode}_std"
        ).double()
        weight = getattr(self, f"{mode}_weight").double()
        logits = x @ weight.T + getattr(self, f"{mode}_bias").double()
        return logits.log_softmax(dim=-1).float()

    def forward(
        self,
        log_probs: torch.Tensor,
        functionals: torch.Tensor,
        speaker: tuple[torch.Tensor, torch.Tensor] | None = None,
    ) -> torch.Tensor:
        """Fuses the model's ``(batch, classes)`` log-probabilities with the head's.

        Arguments
        ---------
        log_probs : torch.Tensor
            ``(batch, classes)`` of the model.
        functionals : torch.Tensor
            ``(batch, features)`` from :meth:`extract`.
        speaker : tuple of torch.Tensor, optional
            As for :meth:`head_log_probs` (None: the ``utterance`` mode).

        Returns
        -------
        torch.Tensor
            ``(batch, classes)`` log-probabilities; ``log_probs`` itself when
            the mode's weight is 1.
        """
        assert log_probs.ndim == 2, log_probs.shape
        w = self.weight("utterance" if speaker is None else "speaker")
        if w >= 1.0:
            return log_probs
        head = self.head_log_probs(functionals, speaker).to(log_probs)
        return (w * log_probs + (1.0 - w) * head).log_softmax(dim=-1)
