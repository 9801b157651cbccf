"""Speaker references for training and evaluation (speaker normalisation).

With ``normalization_reference: speaker`` a classification recipe measures
every utterance's features against its speaker's baseline (see
:mod:`speechbrain_lstm_ser.nnet.normalization`):

- **training**: a random subset of the speaker's *training* utterances
  (from one clip to all of them; sometimes the utterance alone), drawn anew
  for every utterance of every batch, so one model serves any number of
  enrolment clips;
- **validation and test**: all of the speaker's utterances in that split.
  This is *transductive*: the test speakers' own unlabelled test utterances
  make their reference (labels are never used). The test report also gives
  the single-utterance figure (each utterance its own reference, no speaker
  information) and the figures with 1, 3, 5 and 10 enrolment clips (other
  utterances of the same speaker, drawn at random).

The statistics come from the clean (pre-processed, not augmented) audio,
once per split, before training and before the test.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import random
import zlib
from collections.abc import Mapping, Sequence

import torch
from speechbrain.dataio.dataloader import make_dataloader

from speechbrain_lstm_ser.nnet.models import TaskModel, preprocess_waveforms
from speechbrain_lstm_ser.nnet.normalization import SpeakerReferences

__all__ = [
    "REFERENCES",
    "collect_references",
    "enrolment_reference",
    "reference_mode",
]

#: The values of ``normalization_reference`` in a recipe's YAML.
REFERENCES = ("utterance", "speaker")


def reference_mode(hparams) -> str:
    """The recipe's ``normalization_reference`` (``utterance`` when absent).

    Arguments
    ---------
    hparams : object or mapping
        The loaded hyperparameters (a Brain's ``hparams`` namespace or a dict).

    Returns
    -------
    str
        ``"utterance"``, ``"speaker"`` or ``"global"`` (a model without
        ``reference_norm``).

    Raises
    ------
    ValueError
        For any other value, naming the key and the choices.
    """
    get = hparams.get if isinstance(hparams, Mapping) else hparams.__dict__.get
    model = get("model")
    if model is not None and getattr(model, "reference_norm", None) is None:
        return "global"
    mode = get("normalization_reference", "utterance")
    if mode not in REFERENCES:
        raise ValueError(
            f"normalization_reference: {mode!r} is not one of {list(REFERENCES)}"
        )
    return mode


def collect_references(
    model: TaskModel,
    modules: Mapping,
    dataset,
    loader_kwargs: Mapping | None = None,
    device: str | torch.device = "cpu",
) -> SpeakerReferences:
    """The reference statistics of every utterance of a dataset.

    Arguments
    ---------
    model : TaskModel
        A model with a ``reference_norm``.
    modules : mapping
        The modules (for the waveform pre-processing).
    dataset : speechbrain.dataio.dataset.DynamicItemDataset
        Provides ``id``, ``sig`` and ``spk_id``.
    loader_kwargs : mapping, optional
        Data loader options (batch size, workers); never shuffled.
    device : str or torch.device
        Where the features are computed.

    Returns
    -------
    SpeakerReferences
    """
    options = {**(loader_kwargs or {}), "shuffle": False}
    options.pop("drop_last", None)
    references = SpeakerReferences()
    with dataset.output_keys_as(["id", "sig", "spk_id"]), torch.no_grad():
        for batch in make_dataloader(dataset, **options):
            batch = batch.to(device)
            wavs, lens = preprocess_waveforms(modules, *batch.sig)
            total, count = model.reference_statistics(wavs, lens)
            references.add_batch(batch.id, batch.spk_id, total, count)
    return references


def enrolment_reference(
    references: SpeakerReferences,
    utterance: str,
    speaker: str,
    clips: int,
    seed: int = 0,
) -> torch.Tensor | None:
    """The reference of ``clips`` other utterances of the speaker.

    The clips are drawn at random (the same ones for the same utterance,
    seed and count) from the speaker's utterances other than ``utterance``.

    Arguments
    ---------
    references : SpeakerReferences
        The statistics of the split.
    utterance : str
        The utterance to classify (never one of its own enrolment clips).
    speaker : str
        Its speaker.
    clips : int
        How many enrolment clips.
    seed : int
        Seeds the draw.

    Returns
    -------
    torch.Tensor or None
        ``(channels,)``; ``None`` when the speaker has fewer other clips.

    Example
    -------
    >>> refs = SpeakerReferences()
    >>> for i in range(4):
    ...     refs.add(f"u{i}", "s", torch.tensor([float(i)]), 1.0)
    >>> enrolment_reference(refs, "u0", "s", 3)
    tensor([2.])
    >>> enrolment_reference(refs, "u0", "s", 4) is None
    True
    """
    others = [u for u in references.utterances(speaker) if u != utterance]
    if len(others) < clips:
        return None
    rng = random.Random(zlib.crc32(f"{seed}/{clips}/{utterance}".encode()))
    return references.reference(rng.sample(others, clips))


def batch_enrolment_reference(
    references: SpeakerReferences,
    utterances: Sequence[str],
    speakers: Sequence[str],
    clips: int,
    seed: int = 0,
) -> tuple[torch.Tensor, torch.Tensor] | None:
    """:func:`enrolment_reference` for a batch: ``(reference, kept)``.

    ``kept`` marks the utterances whose speaker has enough other clips; the
    reference rows of the others are zeros. ``None`` when none is kept.
    """
    rows = [
        enrolment_reference(references, u, s, clips, seed)
        for u, s in zip(utterances, speakers, strict=True)
    ]
    kept = torch.tensor([r is not None for r in rows])
    if not kept.any():
        return None
    size = next(r for r in rows if r is not None).shape
    filled = [r if r is not None else torch.zeros(size) for r in rows]
    return torch.stack(filled), kept
