r"""Waveform augmentation in the training data loader, beside the training step.

A recipe augments its training batches in ``compute_forward``, one batch
after the other, in the process that trains. The simulated channels of
multi-condition training (:mod:`speechbrain_lstm_ser.processing.channels`:
codec and telephone round trips through libsndfile, room responses) run on
the CPU whatever the device, and for a small model they cost more than the
model's own step. :class:`AugmentingCollate` moves that work into the data
loader: it collates a training batch as SpeechBrain does (``PaddedBatch``),
then pre-processes and augments its waveforms there. With
``num_workers > 0`` that happens in the loader's worker processes while the
main process trains on the previous batch.

Pre-processing alone moves with ``preprocess_in_loader: True``: the
recipe's ``preprocess`` module (DC removal, denoising, silence trimming) is
deterministic, so the batches the step receives are the ones it would have
made itself and every random draw of the augmentation stays in the step, on
the main process's generator: a seeded run trains as it does without the
option. With ``num_workers > 0`` the pre-processing then overlaps the step
(measured in ``docs/performance.md``, "Pre-processing in the loader": on 2
cores the worker slows a 2-thread step, so the option is off by default).

A recipe switches augmentation on with ``augment_in_loader: True`` in its YAML; the
project's :class:`~speechbrain_lstm_ser.training.brain.Brain` then gives its
training loader this collate, and the recipe's step skips what the loader
did (:func:`loader_augmented`). The augmentation is the YAML's own
``wav_augment`` (same objects, same draws per batch, babble still made of
the batch's other utterances); only where it runs changes. In a worker its
random draws come from the worker's generator, which PyTorch seeds from
the main process's: a seeded run still repeats itself.

Two things a step could do and a loader cannot, refused by name:

- change the batch size (``concat_original``, ``repeat_augment`` and the
  like): the labels would need the same replication, in another process;
- pre-process with trainable parameters: the loader keeps a copy on the
  CPU, which training would not update.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import copy
from collections.abc import Callable

import torch
from speechbrain.dataio.batch import PaddedBatch, PaddedData
from torch import nn

__all__ = [
    "LOADER_AUGMENTED",
    "LOADER_INPUT_SAMPLES",
    "LOADER_PREPROCESSED",
    "AugmentingCollate",
    "loader_augmented",
    "loader_preprocessed",
    "require_frozen",
]

#: The attribute a batch augmented by :class:`AugmentingCollate` carries.
LOADER_AUGMENTED = "loader_augmented"
#: The attribute a batch pre-processed by :class:`AugmentingCollate` carries.
LOADER_PREPROCESSED = "loader_preprocessed"
#: Samples of audio the batch held as read, before any pre-processing (the
#: trimmer shortens it): what a recipe's throughput counts.
LOADER_INPUT_SAMPLES = "loader_input_samples"

WaveformStep = Callable[[torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor]]


def loader_augmented(batch) -> bool:
    """Whether a batch's ``sig`` was already pre-processed and augmented.

    Arguments
    ---------
    batch : speechbrain.dataio.batch.PaddedBatch
        A batch from a data loader.

    Returns
    -------
    bool
        True for batches of :class:`AugmentingCollate`: the step then
        neither pre-processes nor augments them again.

    Example
    -------
    >>> batch = PaddedBatch([{"sig": torch.zeros(4)}])
    >>> loader_augmented(batch)
    False
    """
    return bool(getattr(batch, LOADER_AUGMENTED, False))


def loader_preprocessed(batch) -> bool:
    """Whether a batch's ``sig`` was already pre-processed (augmented or not).

    Arguments
    ---------
    batch : speechbrain.dataio.batch.PaddedBatch
        Any loader's batch; only :class:`AugmentingCollate` marks one.

    Returns
    -------
    bool
        True where the collate ran the ``preprocess`` module (with or without
        ``augment``): the step must not run it a second time.

    Example
    -------
    >>> from speechbrain_lstm_ser.processing.level import RemoveDC
    >>> batch = AugmentingCollate(None, RemoveDC())([{"sig": torch.ones(4)}])
    >>> loader_preprocessed(batch), loader_augmented(batch)
    (True, False)
    >>> batch.sig.data  # without its DC offset
    tensor([[0., 0., 0., 0.]])
    """
    return bool(getattr(batch, LOADER_PREPROCESSED, False))


def require_frozen(preprocess: nn.Module, setting: str, why: str, off: str) -> None:
    """Refuses a ``preprocess`` module with trainable parameters, naming the setting.

    What runs the pre-processing outside the training step (a loader's copy,
    a cache of its outputs) would not follow such a module as it trains.

    Arguments
    ---------
    preprocess : torch.nn.Module
        The recipe's ``preprocess`` module.
    setting : str
        The YAML key that asked for it (e.g. ``preprocess_cache_mb``).
    why : str
        What would go wrong, as a clause.
    off : str
        The setting's value that switches it off.

    Raises
    ------
    ValueError
        When ``preprocess`` has trainable parameters.

    Example
    -------
    >>> require_frozen(nn.Identity(), "preprocess_cache_mb", "stale", "0")
    >>> try:
    ...     require_frozen(nn.Linear(2, 2), "preprocess_cache_mb", "stale", "0")
    ... except ValueError as err:
    ...     print(err)  # doctest: +NORMALIZE_WHITESPACE
    preprocess_cache_mb: the preprocess module has trainable parameters
    (weight, bias); stale. Set preprocess_cache_mb: 0.
    """
    trainable = [n for n, p in preprocess.named_parameters() if p.requires_grad]
    if trainable:
        raise ValueError(
            f"{setting}: the preprocess module has trainable parameters "
            f"({', '.join(trainable[:3])}); {why}. Set {setting}: {off}."
        )


class AugmentingCollate:
    """Collates a training batch, then pre-processes and augments its waveforms.

    A ``collate_fn`` for a training ``DataLoader`` (picklable, so it also
    runs in worker processes). The batch is ``PaddedBatch(examples)``; its
    ``key`` entry, ``(waveforms (batch, time), relative lengths lens in
    [0, 1])``, goes through ``preprocess`` and then ``augment``, and the
    batch is marked (:func:`loader_preprocessed`, and
    :func:`loader_augmented` unless ``augment`` is None). Batches without
    ``key`` (e.g. cached SSL layers) pass unchanged and unmarked.

    Arguments
    ---------
    augment : callable or None
        ``(wavs, lens) -> (wavs, lens)``, e.g. a YAML's ``wav_augment``
        (``speechbrain.augment.augmenter.Augmenter``). It must keep the batch
        size. None: pre-processing only (the step augments).
    preprocess : torch.nn.Module, optional
        The recipe's ``preprocess`` module (run first, as in the step). A
        CPU copy is kept; it must have no trainable parameters.
    key : str
        The batch entry holding the waveforms.

    Example
    -------
    >>> def louder(wavs, lens):
    ...     return 2 * wavs, lens
    >>> collate = AugmentingCollate(louder)
    >>> batch = collate([{"sig": torch.ones(3)}, {"sig": torch.ones(2)}])
    >>> batch.sig.data
    tensor([[2., 2., 2.],
            [2., 2., 0.]])
    >>> loader_augmented(batch)
    True
    """

    def __init__(
        self,
        augment: WaveformStep | None,
        preprocess: nn.Module | None = None,
        key: str = "sig",
    ):
        if preprocess is not None:
            self.check(preprocess, augmenting=augment is not None)
            preprocess = copy.deepcopy(preprocess).to("cpu").eval()
        self.augment, self.preprocess, self.key = augment, preprocess, key

    @staticmethod
    def check(preprocess: nn.Module, augmenting: bool) -> None:
        """Refuses a ``preprocess`` module that the loader's copy could not follow.

        Arguments
        ---------
        preprocess : torch.nn.Module
            The recipe's ``preprocess`` module.
        augmenting : bool
            Whether the loader also augments (``augment_in_loader``, the
            setting then named) or only pre-processes (``preprocess_in_loader``).

        Raises
        ------
        ValueError
            When it has trainable parameters.
        """
        option = "augment_in_loader" if augmenting else "preprocess_in_loader"
        require_frozen(
            preprocess, option, "the loader would run a stale copy of it", "False"
        )

    def __call__(self, examples: list[dict]) -> PaddedBatch:
        """``PaddedBatch(examples)`` with its waveforms pre-processed and augmented."""
        batch = PaddedBatch(examples)
        if self.key not in examples[0]:
            return batch
        wavs, lens = getattr(batch, self.key)
        samples = float(lens.sum()) * wavs.shape[1]
        with torch.no_grad():
            if self.preprocess is not None:
                wavs, lens = self.preprocess(wavs, lens)
            if self.augment is not None:
                wavs, lens = self.augment(wavs, lens)
        if wavs.shape[0] != len(examples):
            raise ValueError(
                f"augment_in_loader: wav_augment turned a batch of {len(examples)} "
                f"into {wavs.shape[0]} (concat_original, repeat_augment or "
                "parallel_augment); the labels cannot follow in the loader. "
                "Set augment_in_loader: False, or keep the batch size."
            )
        setattr(batch, self.key, PaddedData(wavs, lens))
        setattr(batch, LOADER_PREPROCESSED, True)
        setattr(batch, LOADER_INPUT_SAMPLES, samples)
        setattr(batch, LOADER_AUGMENTED, self.augment is not None)
        return batch
