"""Dimensional emotion in a classification run: arousal, valence, dominance.

With ``dimension_weight > 0`` in an emotion YAML the task model gets a
regression head (``regressor``, a
:class:`~speechbrain_lstm_ser.nnet.heads.DimensionHead` on the same pooled
vector as the classifier) and the run trains it with the YAML's
``dimension_cost`` (1 - CCC per dimension,
:class:`~speechbrain_lstm_ser.nnet.losses.ConcordanceLoss`), beside the
categorical cross-entropy or, with ``category_weight: 0``, alone::

    loss = category_weight * cross_entropy + dimension_weight * (1 - CCC)

:class:`DimensionObjective` is that part of the classification Brain: the
weighted loss, the validation CCCs (``CCC_arousal``, ``CCC_valence``,
``CCC_dominance`` and their mean ``CCC``, which picks the best checkpoint
when the dimensions train alone), and at the test the ``dimensions``
section of ``test_report.json``
(:func:`~speechbrain_lstm_ser.evaluation.dimensions.dimension_report`: CCC,
Pearson and MAE overall, per gender and per speaker, with bootstrap
intervals; in speaker mode also without speaker information,
``single_utterance``) and ``dimension_predictions.csv``.

The manifests carry the references in the columns of
:data:`~speechbrain_lstm_ser.dataio.manifest.DIMENSIONS`, in ``[0, 1]``, an
empty cell where a dimension of an utterance is unknown:
:func:`dimension_pipeline` reads them (unknown: ``nan``, left out of the
loss and the metrics) and :func:`check_dimension_columns` refuses
manifests that cannot train the head, in one line.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence

import numpy as np
import speechbrain as sb
import torch

from speechbrain_lstm_ser.dataio.manifest import (
    DIMENSIONS,
    dimension_value,
    write_manifest,
)
from speechbrain_lstm_ser.evaluation.dimensions import DimensionMetrics
from speechbrain_lstm_ser.evaluation.reports import dimension_section
from speechbrain_lstm_ser.nnet.losses import ConcordanceLoss

__all__ = [
    "DimensionObjective",
    "check_dimension_columns",
    "dimension_pipeline",
]

#: The file of per-utterance dimension predictions beside ``test_report.json``.
PREDICTIONS_FILE = "dimension_predictions.csv"


def dimension_pipeline(names: Sequence[str] = DIMENSIONS):
    """The data pipeline of the dimension references: ``dimensions`` ``(dims,)``.

    Arguments
    ---------
    names : sequence of str
        The manifest columns, in output order.

    Returns
    -------
    callable
        A ``@takes(*names) @provides("dimensions")`` pipeline (a batch
        then holds ``dimensions``: ``(batch, dims)`` floats, ``nan`` where
        unknown).

    Example
    -------
    >>> pipeline = dimension_pipeline()
    >>> pipeline("0.1", "", "0.9")
    tensor([0.1000,    nan, 0.9000])
    """

    @sb.utils.data_pipeline.takes(*names)
    @sb.utils.data_pipeline.provides("dimensions")
    def pipeline(*values):
        return torch.tensor([dimension_value(v) for v in values], dtype=torch.float)

    return pipeline


def check_dimension_columns(
    rows: Mapping[str, Sequence[Mapping]], names: Sequence[str] = DIMENSIONS
) -> None:
    """Refuses manifests that cannot train or test a regression head.

    Every split needs the columns (which the emotion manifest's schema
    leaves optional, and whose values it checks: empty, or a number in
    ``[0, 1]``); the training split needs a known value of every dimension.

    Arguments
    ---------
    rows : mapping
        Split -> the manifest's rows (``check_manifests`` returns them).
    names : sequence of str
        The dimension columns.

    Raises
    ------
    ValueError
        One line naming the split, the column and the fix.

    Example
    -------
    >>> check_dimension_columns({"train": [{"arousal": "0.5"}]}, ["arousal"])
    >>> check_dimension_columns({"train": [{"arousal": ""}]}, ["arousal"])
    Traceback (most recent call last):
    ...
    ValueError: dimension_weight > 0: no utterance of the train manifest has a known ['arousal']; ...
    """  # noqa: E501
    for split, split_rows in rows.items():
        missing = [n for n in names if split_rows and n not in split_rows[0]]
        if missing:
            raise ValueError(
                f"dimension_weight > 0 needs the columns {list(names)} in every "
                f"manifest; the {split} manifest has no {missing} (a corpus "
                "without dimensions: set dimension_weight: 0, docs/dimensional.md)"
            )
        known = {
            name: sum(not math.isnan(dimension_value(row[name])) for row in split_rows)
            for name in names
        }
        unknown = [n for n, count in known.items() if count == 0]
        if split == "train" and unknown:
            raise ValueError(
                f"dimension_weight > 0: no utterance of the train manifest has "
                f"a known {unknown}; the regression head cannot learn them"
            )


class DimensionObjective:
    """The regression head's loss, metrics and report in a classification run.

    Arguments
    ---------
    weight : float
        ``dimension_weight``: the weight of ``cost``.
    category_weight : float
        The weight of the categorical cross-entropy (0: dimensions alone).
    cost : callable, optional
        ``(predictions, targets) -> loss`` on ``(batch, dims)``;
        :class:`~speechbrain_lstm_ser.nnet.losses.ConcordanceLoss` if omitted.
    names : sequence of str
        The dimensions, in the regressor's output order.
    bootstrap : int
        Bootstrap resamples of the test report's intervals (0: none).
    seed : int
        Seeds the bootstrap.

    Example
    -------
    >>> objective = DimensionObjective(weight=1.0, category_weight=0.5)
    >>> refs = torch.tensor([[0.1, 0.2, float("nan")], [0.9, 0.6, 0.3],
    ...                      [0.5, 0.4, 0.8]])
    >>> loss = objective.loss(torch.tensor(2.0), refs.nan_to_num(0.5), refs)
    >>> round(loss.item(), 4)  # 0.5 * 2.0 + 1.0 * (1 - 1)
    1.0
    >>> objective.new_stage()
    >>> objective.append(["a", "b", "c"], refs.nan_to_num(0.5), refs,
    ...                  genders=["female"] * 3, speakers=["s1", "s1", "s2"])
    >>> stats = objective.stage_stats()
    >>> stats["CCC_arousal"], stats["CCC"]
    (1.0, 1.0)
    """

    def __init__(
        self,
        weight: float,
        category_weight: float = 1.0,
        cost=None,
        names: Sequence[str] = DIMENSIONS,
        bootstrap: int = 1000,
        seed: int = 0,
    ):
        for key, value in (
            ("dimension_weight", weight),
            ("category_weight", category_weight),
        ):
            if not value >= 0:
                raise ValueError(f"{key} must be >= 0, got {value}")
        if weight == 0 and category_weight == 0:
            raise ValueError("dimension_weight and category_weight are both 0")
        self.weight, self.category_weight = float(weight), float(category_weight)
        self.cost = cost if cost is not None else ConcordanceLoss()
        self.names = tuple(names)
        self.bootstrap, self.seed = int(bootstrap), int(seed)
        self.new_stage()

    @classmethod
    def from_hparams(cls, hparams, options) -> DimensionObjective | None:
        """The objective of a run, or ``None`` when its model has no regressor.

        Arguments
        ---------
        hparams : object
            A Brain's ``hparams``: ``model``, ``seed`` and the optional
            ``dimension_cost``.
        options : speechbrain_lstm_ser.training.brain.RecipeOptions
            ``dimension_weight``, ``category_weight``, ``dimension_bootstrap``.

        Returns
        -------
        DimensionObjective or None
        """
        regressor = getattr(getattr(hparams, "model", None), "regressor", None)
        if regressor is None:
            if options.dimension_weight > 0:
                raise ValueError(
                    "dimension_weight > 0 but the YAML's model has no regressor: "
                    "give its `model` a `regressor: !ref <regressor>` "
                    "(hparams/lstm.yaml, docs/dimensional.md)"
                )
            return None
        get = vars(hparams).get
        return cls(
            options.dimension_weight,
            options.category_weight,
            get("dimension_cost"),
            bootstrap=options.dimension_bootstrap,
            seed=get("seed", 0),
        )

    @property
    def alone(self) -> bool:
        """Whether the dimensions train alone (``category_weight: 0``)."""
        return self.category_weight == 0

    @staticmethod
    def targets(batch, replicate=None) -> torch.Tensor:
        """The batch's references ``(batch, dims)`` (``nan``: unknown).

        Arguments
        ---------
        batch : speechbrain.dataio.batch.PaddedBatch
            With ``dimensions`` (:func:`dimension_pipeline`).
        replicate : callable, optional
            The training augmentation's ``replicate_labels``: repeats the
            references of augmented copies.

        Returns
        -------
        torch.Tensor
        """
        targets, _ = batch.dimensions
        return replicate(targets) if replicate is not None else targets

    def loss(
        self, category_loss: torch.Tensor, predictions: torch.Tensor, targets
    ) -> torch.Tensor:
        """``category_weight * category_loss + weight * cost(predictions, targets)``.

        Arguments
        ---------
        category_loss : torch.Tensor
            The cross-entropy of the batch (a scalar).
        predictions : torch.Tensor
            ``(batch, dims)`` regressor outputs.
        targets : torch.Tensor
            ``(batch, dims)`` references, ``nan`` where unknown.

        Returns
        -------
        torch.Tensor
            A scalar.
        """
        dimensional = self.cost(predictions, targets.to(predictions.device))
        if self.alone:
            return self.weight * dimensional
        return self.category_weight * category_loss + self.weight * dimensional

    # ------------------------------------------------------------ metrics ----
    def new_stage(self) -> None:
        """Forgets the predictions of the previous validation or test stage."""
        #: The stage's predictions (speaker-normalised in speaker mode).
        self.metrics = DimensionMetrics(self.names)
        #: Speaker mode, test: the predictions without speaker information.
        self.single_utterance = DimensionMetrics(self.names)

    def append(
        self,
        ids: Sequence[str],
        predictions: torch.Tensor,
        targets: torch.Tensor,
        genders: Sequence[str],
        speakers: Sequence[str],
    ) -> None:
        """Keeps a batch's predictions and references.

        Arguments
        ---------
        ids : sequence of str
            Utterance IDs (as the reports show them).
        predictions, targets : torch.Tensor
            ``(batch, dims)``.
        genders, speakers : sequence of str
            One per utterance.
        """
        self.metrics.append(
            ids, predictions, targets, genders=genders, speakers=speakers
        )

    def append_single_utterance(
        self, model, wavs, lens, ids, targets, genders, speakers
    ) -> None:
        """Speaker mode, test: the batch's dimensions without speaker information.

        Arguments
        ---------
        model : speechbrain_lstm_ser.nnet.models.UtteranceClassifierModel
            The model under test.
        wavs, lens : torch.Tensor
            The batch's pre-processed waveforms ``(batch, time)`` and
            relative lengths ``lens`` in [0, 1].
        ids, targets, genders, speakers
            As for :meth:`append`.
        """
        with torch.no_grad():
            dims = model.dimensions(wavs, lens)
        self.single_utterance.append(
            ids, dims, targets, genders=genders, speakers=speakers
        )

    def stage_stats(self) -> dict:
        """``CCC_<dimension>`` over the stage, and their mean ``CCC``.

        Returns
        -------
        dict
            Undefined CCCs (fewer than 2 known references) are ``nan`` and
            left out of the mean.
        """
        stats = {f"CCC_{name}": ccc for name, ccc in self.metrics.ccc().items()}
        defined = [v for v in stats.values() if not math.isnan(v)]
        stats["CCC"] = float(np.mean(defined)) if defined else math.nan
        return stats

    def report_section(
        self, reference: str, output_folder: str | os.PathLike | None = None
    ) -> dict:
        """The ``dimensions`` section of ``test_report.json``.

        Arguments
        ---------
        reference : str
            What the features were measured against at the test
            (``speaker``, ``utterance``, ``global``).
        output_folder : str or os.PathLike, optional
            Where to draw the valence-arousal scatter plot
            (:func:`~speechbrain_lstm_ser.evaluation.reports.dimension_section`).

        Returns
        -------
        dict
            :func:`~speechbrain_lstm_ser.evaluation.dimensions.dimension_report`
            of the test, with ``reference`` and, when tracked (speaker
            mode), ``variants.single_utterance``.
        """
        settings = dict(bootstrap=self.bootstrap, seed=self.seed)
        metrics = self.metrics
        section = {"reference": reference}
        section.update(
            dimension_section(
                *metrics.arrays(),
                genders=metrics.groups.get("genders"),
                speakers=metrics.groups.get("speakers"),
                output_folder=output_folder,
                names=self.names,
                **settings,
            )
        )
        if self.single_utterance.ids:
            section["variants"] = {
                "single_utterance": self.single_utterance.summarize(**settings)
            }
        return section

    def summary_line(self, section: Mapping) -> str:
        """The test's CCCs without speaker information, in one line (or "").

        The report's summary
        (:func:`~speechbrain_lstm_ser.evaluation.reports.format_summary`)
        gives the section's main figures; this adds those of its
        ``single_utterance`` variant (speaker mode).

        Arguments
        ---------
        section : mapping
            From :meth:`report_section`.

        Returns
        -------
        str
        """
        single = (section.get("variants") or {}).get("single_utterance")
        if not single:
            return ""
        scores = ", ".join(
            f"{name} {_fmt(single['overall'][name]['ccc'])}" for name in self.names
        )
        return (
            f"dimensions without speaker information (single utterance): CCC {scores}"
        )

    def write_predictions(self, folder: str | os.PathLike) -> None:
        """Writes ``dimension_predictions.csv``: one row per test utterance.

        Columns ``ID``, then each dimension's reference (``<dimension>``,
        empty where unknown) and prediction (``<dimension>_pred``), as
        :meth:`~speechbrain_lstm_ser.evaluation.dimensions.DimensionMetrics.rows`
        gives them.

        Arguments
        ---------
        folder : str or os.PathLike
            The output folder (beside ``test_report.json``).
        """
        rows = self.metrics.rows()
        if rows:
            write_manifest(os.path.join(folder, PREDICTIONS_FILE), rows, list(rows[0]))


def _fmt(value) -> str:
    """A CCC for a log line (``n/a`` when undefined)."""
    return "n/a" if value is None else f"{value:.4f}"
