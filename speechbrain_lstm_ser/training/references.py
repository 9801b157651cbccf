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
:class:`SpeakerReferenceSampler` holds them for a classification Brain: it
draws the reference of every batch and tracks the test predictions of the
single-utterance and enrolment variants.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import random
import zlib
from collections.abc import Mapping, Sequence

import torch
from speechbrain.dataio.dataloader import make_dataloader

from speechbrain_lstm_ser.evaluation.classification import ClassificationMetrics
from speechbrain_lstm_ser.nnet import normalization
from speechbrain_lstm_ser.nnet.models import TaskModel, preprocess_waveforms
from speechbrain_lstm_ser.nnet.normalization import REFERENCES, SpeakerReferences

__all__ = [
    "REFERENCES",
    "SpeakerReferenceSampler",
    "collect_references",
    "enrolment_reference",
    "reference_mode",
]


def reference_mode(hparams) -> str:
    """The reference of a recipe's model and ``normalization_reference``.

    :func:`~speechbrain_lstm_ser.nnet.normalization.reference_mode` of its
    ``model`` and setting (``utterance`` when absent).

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
    return normalization.reference_mode(
        get("model"), get("normalization_reference", "utterance")
    )


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


class SpeakerReferenceSampler:
    """The speaker references of a classification run, and their test variants.

    Holds every split's statistics (:meth:`collect`), gives a batch its
    references (:meth:`batch_reference`) and, at test time, tracks the
    predictions without speaker information and with a few enrolment clips
    (:meth:`track_variants`, :meth:`variant_summaries`).

    Arguments
    ---------
    seed : int
        Seeds the training draws and the enrolment clips.
    self_prob : float
        In training, the share of utterances that are their own reference
        (``reference_self_prob``).
    enrolment_clips : sequence of int
        The enrolment clip counts of the test variants.

    Example
    -------
    >>> sampler = SpeakerReferenceSampler(seed=1)
    >>> sampler.new_variants(["neutral", "sad"])
    >>> list(sampler.variants)
    ['single_utterance', 'enrolment_1', 'enrolment_3', 'enrolment_5', 'enrolment_10']
    >>> sampler.variant_summaries()  # nothing tested yet
    {}
    """

    def __init__(
        self,
        seed: int,
        self_prob: float = 0.0,
        enrolment_clips: Sequence[int] = (1, 3, 5, 10),
    ):
        self.seed, self.self_prob = seed, self_prob
        self.enrolment_clips = tuple(enrolment_clips)
        self.references: dict[str, SpeakerReferences] = {}
        self.rng = random.Random(seed)
        self.variants: dict[str, ClassificationMetrics] = {}

    def collect(self, model, modules, datasets: Mapping, loader_kwargs, device) -> None:
        """Collects the statistics of every split (see :func:`collect_references`).

        Arguments
        ---------
        model : TaskModel
            A model with a ``reference_norm``.
        modules : mapping
            The Brain's modules (for the waveform pre-processing).
        datasets : mapping
            ``train``, ``valid`` and ``test`` datasets.
        loader_kwargs : mapping
            Data loader options for the pass over them.
        device : str or torch.device
            Where the features are computed.
        """
        for name, dataset in datasets.items():
            self.references[name] = collect_references(
                model, modules, dataset, loader_kwargs, device
            )
        self.rng = random.Random(self.seed)

    def batch_reference(self, batch, split: str) -> torch.Tensor:
        """The ``(batch, channels)`` references of a batch of ``split``.

        ``train`` draws a random subset of each speaker's training utterances
        (``self_prob`` of the time the utterance alone); ``valid`` and
        ``test`` use all of the speaker's utterances of the split.
        """
        if split == "train":
            refs = self.references["train"]
            rows = [
                refs.draw_reference(utt, spk, self.rng, self.self_prob)
                for utt, spk in zip(batch.id, batch.spk_id, strict=True)
            ]
            return torch.stack(rows)
        return self.references[split].batch_reference(batch.spk_id)

    def new_variants(self, classes: Sequence[str]) -> None:
        """Starts tracking the variants of a test stage afresh."""
        names = ["single_utterance", *(f"enrolment_{n}" for n in self.enrolment_clips)]
        self.variants = {n: ClassificationMetrics(classes) for n in names}

    def track_variants(self, model, wavs, lens, batch, labels, ids, speakers):
        """Classifies a test batch without, then with enrolment references.

        Arguments
        ---------
        model : TaskModel
            The model under test.
        wavs, lens : torch.Tensor
            The batch's pre-processed waveforms ``(batch, time)`` and
            relative lengths ``lens`` in [0, 1].
        batch : speechbrain.dataio.batch.PaddedBatch
            With ``id``, ``spk_id`` and ``gender``.
        labels : torch.Tensor
            ``(batch,)`` class indices.
        ids, speakers : list of str
            The utterance and speaker IDs the reports show (pseudonyms).
        """

        def track(name, predictions, keep):
            index = keep.nonzero().reshape(-1).tolist()
            self.variants[name].append(
                [ids[i] for i in index],
                predictions[index],
                labels[index],
                gender=[batch.gender[i] for i in index],
                speaker=[speakers[i] for i in index],
            )

        everyone = torch.ones(len(batch.id), dtype=torch.bool)
        track("single_utterance", model(wavs, lens), everyone)
        for clips in self.enrolment_clips:
            drawn = batch_enrolment_reference(
                self.references["test"], batch.id, batch.spk_id, clips, seed=self.seed
            )
            if drawn is not None:
                reference, keep = drawn
                predictions = model(wavs, lens, reference=reference.to(wavs.device))
                track(f"enrolment_{clips}", predictions, keep)

    def variant_summaries(self) -> dict:
        """WA, UA, macro-F1 and count of every variant that was tested."""
        summaries = {}
        for name, metrics in self.variants.items():
            if metrics.ids:
                summary = metrics.summarize()
                summaries[name] = {
                    "WA": summary["accuracy"],
                    "UA": summary["unweighted_accuracy"],
                    "macro_F1": summary["macro_f1"],
                    "utterances": len(metrics.ids),
                }
        return summaries
