"""Training an utterance classifier: one label per utterance.

The emotion and the spoken-command recipes (and the distillation recipe,
through the emotion one) train the same kind of model the same way: a
cross-entropy loss against the class index of each utterance, validation
and test metrics from
:class:`~speechbrain_lstm_ser.evaluation.classification.ClassificationMetrics`
(accuracy, UA, macro-F1, by gender and speaker) and a classification
``test_report.json``. :class:`ClassifierBrain` does all of that; a recipe's
Brain says which manifest column holds the label and which YAML key lists
the classes, and computes its forward pass.

It also calibrates the model's confidences (``calibrate: True`` in the
YAML): :meth:`ClassifierBrain.calibrate` runs the validation split through
the best checkpoint and its
:class:`~speechbrain_lstm_ser.training.calibration.TemperatureCalibrator`
fits a temperature and stores it in that checkpoint; the test report says
how calibrated the model is before and after
(:mod:`speechbrain_lstm_ser.evaluation.calibration`). With speaker
normalisation, a
:class:`~speechbrain_lstm_ser.training.references.SpeakerReferenceSampler`
gives every batch its reference.

:func:`class_label_encoder` gives the label encoder such a recipe's data
pipeline encodes with: class indices in the order of the YAML's list.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

import speechbrain as sb
import torch
from speechbrain.dataio.encoder import CategoricalEncoder
from speechbrain.utils.logger import get_logger

from speechbrain_lstm_ser.evaluation.classification import ClassificationMetrics
from speechbrain_lstm_ser.evaluation.reports import (
    format_summary,
    normalization_section,
    write_report,
)
from speechbrain_lstm_ser.nnet.models import preprocess_waveforms
from speechbrain_lstm_ser.nnet.normalization import reference_mode
from speechbrain_lstm_ser.training.adversary import SpeakerAdversaryObjective
from speechbrain_lstm_ser.training.brain import Brain, run_facts
from speechbrain_lstm_ser.training.calibration import (
    TemperatureCalibrator,
    temperature_head,
)
from speechbrain_lstm_ser.training.dimensions import DimensionObjective
from speechbrain_lstm_ser.training.references import SpeakerReferenceSampler

__all__ = ["ClassifierBrain", "class_label_encoder"]

logger = get_logger(__name__)


class ClassifierBrain(Brain):
    """The Brain of utterance classification (emotion, spoken commands).

    A recipe's subclass implements ``compute_forward`` (waveforms -> class
    log-probabilities ``(batch, 1, classes)``) and sets the class attributes
    below; the loss, the metrics, the stage statistics and the test report
    are the same for every classification task. The epoch bookkeeping is
    :class:`~speechbrain_lstm_ser.training.brain.Brain`'s.

    The YAML provides ``compute_cost`` (e.g. SpeechBrain's ``nll_loss``),
    ``augment`` and ``wav_augment`` (its ``replicate_labels`` repeats the
    labels of augmented copies), ``model``, ``seed``, the class list named
    by :attr:`classes_key`, and what :class:`Brain` reads. Speaker and
    utterance IDs in the reports are pseudonymised when the YAML says
    ``pseudonymize_speakers: True``.

    Two objects do the rest: :attr:`calibrator` (the temperature of the
    model's head, see :meth:`calibrate`) and, with ``normalization_reference:
    speaker`` (and a model with a ``reference_norm``), :attr:`speaker_references`,
    set by :meth:`prepare_references`: :meth:`batch_reference` gives
    ``compute_forward`` the reference of a batch, and the test report adds
    the single-utterance figure and those with a few enrolment clips. A
    model with a regression head (``dimension_weight > 0``) adds a third,
    :attr:`dimensions`: ``compute_forward`` then asks the model for
    :attr:`model_outputs` and gets ``(log_probs, dimensions)``. With
    ``speaker_adversary_weight > 0``, :meth:`prepare_references` also builds
    :attr:`adversary` for the training speakers: the model then returns its
    embeddings too, and training adds the adversary's loss.

    Example
    -------
    >>> class EmotionBrain(ClassifierBrain):
    ...     label_key, classes_key, accuracy_key = "emo", "emotions", "WA"
    ...     best_key, best_max, plot_metric = "UA", True, "valid_UA"
    >>> EmotionBrain.label_key + "_encoded"  # the batch field of class indices
    'emo_encoded'
    """

    #: The manifest column of the class label; its data pipeline also
    #: provides the class index as ``<label_key>_encoded``.
    label_key = "label"
    #: The YAML key of the class list (class-index order).
    classes_key = "labels"
    #: The name of plain accuracy among the stage statistics (e.g. ``WA``).
    accuracy_key = "accuracy"
    best_key, best_max, plot_metric = "accuracy", True, "valid_accuracy"

    #: Enrolment clip counts reported besides the speaker-normalised test.
    enrolment_clips = (1, 3, 5, 10)
    #: Speaker mode: the statistics of every split (see :meth:`prepare_references`).
    speaker_references: SpeakerReferenceSampler | None = None
    #: The speaker adversary of training (see :meth:`prepare_references`).
    adversary: SpeakerAdversaryObjective | None = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        head = temperature_head(self.hparams.model)
        #: Fits and stores the temperature of the model's head (None for a
        #: head without one).
        self.calibrator = (
            TemperatureCalibrator(head, self.checkpointer) if head is not None else None
        )
        #: The regression head's loss, metrics and report (None without one).
        self.dimensions = DimensionObjective.from_hparams(self.hparams, self.options)
        if self.dimensions is not None and self.dimensions.alone:
            self.best_key, self.best_max, self.plot_metric = "CCC", True, "valid_CCC"

    @property
    def model_outputs(self) -> dict:
        """What ``compute_forward`` asks the model for besides the classes.

        ``with_dimensions`` when the model has a regression head (``forward``
        then returns ``(log_probs, dimensions)``), ``with_embeddings`` with a
        speaker adversary (the embeddings come last), else ``{}``.
        """
        outputs = {}
        if self.dimensions is not None:
            outputs["with_dimensions"] = True
        if self.adversary is not None:
            outputs["with_embeddings"] = True
        return outputs

    @property
    def reference_mode(self) -> str:
        """``speaker``, ``utterance`` or ``global`` (see :func:`reference_mode`)."""
        return reference_mode(self.hparams.model, self.options.normalization_reference)

    @property
    def classes(self) -> list[str]:
        """The class names, in class-index order (the YAML's list)."""
        return getattr(self.hparams, self.classes_key)

    def prepare_references(self, datasets: Mapping, loader_kwargs: Mapping) -> None:
        """Collects every split's speaker statistics (speaker mode only).

        Also builds the speaker adversary for the training split's speakers
        (``speaker_adversary_weight > 0``): trained and checkpointed with
        the model, never exported.

        Arguments
        ---------
        datasets : mapping
            ``train``, ``valid`` and ``test`` datasets.
        loader_kwargs : mapping
            Data loader options for the pass over them.
        """
        self.prepare_adversary(datasets["train"])
        self.speaker_references = None
        if self.reference_mode != "speaker":
            return
        self.speaker_references = SpeakerReferenceSampler(
            self.hparams.seed, self.options.reference_self_prob, self.enrolment_clips
        )
        self.speaker_references.collect(
            self.hparams.model, self.modules, datasets, loader_kwargs, self.device
        )

    def prepare_adversary(self, train_set) -> None:
        """Builds :attr:`adversary` for the speakers of ``train_set`` (if on).

        Its head joins the trained modules (so the optimizer, built when
        fitting starts, updates it, at ``speaker_adversary_lr_scale`` times
        the learning rate) and the checkpoints (so a resumed run continues
        it).

        Arguments
        ---------
        train_set : speechbrain.dataio.dataset.DynamicItemDataset
            The training split (its ``spk_id`` column).
        """
        speakers = (row["spk_id"] for row in train_set.data.values())
        self.adversary = SpeakerAdversaryObjective.from_hparams(
            self.hparams, self.options, speakers
        )
        if self.adversary is None:
            return
        if self.distributed_launch:
            raise ValueError(
                "speaker_adversary_weight > 0 is not supported with distributed "
                "training yet: train on one process, or set it to 0"
            )
        self.modules["speaker_adversary"] = self.adversary.head.to(self.device)
        self.opt_class = self.adversary.optimizer(self.opt_class)
        if self.checkpointer is not None:
            self.checkpointer.add_recoverable("speaker_adversary", self.adversary.head)

    def batch_reference(self, batch, stage) -> torch.Tensor | None:
        """The ``(batch, channels)`` reference of a batch, or ``None``.

        Training draws a random subset of each speaker's training utterances
        (``reference_self_prob``: the share that are their own reference);
        validation and test use all of the speaker's utterances of the split.
        ``None`` (each utterance its own reference) outside speaker mode.
        """
        if self.speaker_references is None:
            if self.reference_mode == "speaker":
                raise RuntimeError(
                    "a speaker-normalised model needs its speaker references: "
                    "call prepare_references(datasets, loader_kwargs) first"
                )
            return None
        split = {sb.Stage.TRAIN: "train", sb.Stage.VALID: "valid"}.get(stage, "test")
        return self.speaker_references.batch_reference(batch, split).to(self.device)

    def on_stage_start(self, stage, epoch=None):
        """Also sets the speaker adversary's reversal scale for the epoch."""
        super().on_stage_start(stage, epoch)
        if stage == sb.Stage.TRAIN and self.adversary is not None:
            self.adversary.on_epoch_start(epoch)

    def on_stage_end(self, stage, stage_loss, epoch=None):
        """Also logs how well the speaker adversary identified the speakers."""
        if stage == sb.Stage.TRAIN and self.adversary is not None:
            logger.info(self.adversary.log_line(epoch))
        super().on_stage_end(stage, stage_loss, epoch)

    def on_fit_start(self):
        """Recovers the latest checkpoint; training runs at temperature 1.

        A checkpoint calibrated by an earlier run, or a published model
        fine-tuned from (``init_from``), may hold another temperature:
        training and validation start from 1.0, and :meth:`calibrate` fits
        it again after training.
        """
        super().on_fit_start()
        if self.calibrator is not None:
            self.calibrator.reset()

    def calibrate(
        self, valid_set, loader_kwargs: Mapping | None = None, **best
    ) -> float:
        """Fits the temperature of the best checkpoint on the validation split.

        Loads the checkpoint that testing will load (``max_key`` /
        ``min_key``), computes its log-probabilities on ``valid_set`` at
        temperature 1 and lets :attr:`calibrator` fit ``T``, set it in the
        head and store it in that checkpoint, so that testing, the exported
        model and a reloaded checkpoint all apply it. The result is logged.

        Arguments
        ---------
        valid_set : Dataset or DataLoader
            The validation split.
        loader_kwargs : mapping, optional
            Its data loader options (e.g. ``test_dataloader_options``).
        **best
            ``max_key=...`` or ``min_key=...``: the checkpoint to calibrate.

        Returns
        -------
        float
            The temperature.
        """
        if self.calibrator is None:
            raise ValueError(
                "calibrate: True needs a model whose `classifier` is a "
                "speechbrain_lstm_ser.nnet.heads.ClassificationHead (it holds the "
                "temperature); set calibrate: False for another head"
            )
        if self.checkpointer is not None:
            self.checkpointer.recover_if_possible(**best)
        self.calibrator.reset()
        if not isinstance(valid_set, torch.utils.data.DataLoader):
            valid_set = self.make_dataloader(
                valid_set, sb.Stage.VALID, ckpt_prefix=None, **(loader_kwargs or {})
            )
        self.modules.eval()
        self.metrics = self.new_metrics(sb.Stage.VALID)
        for batch in valid_set:
            self.evaluate_batch(batch, stage=sb.Stage.VALID)
        self.calibrator.fit(*self.metrics.log_probs_and_targets())
        self.calibrator.store(**best)
        stats_meta, valid_stats = self.calibrator.log_line()
        self.hparams.train_logger.log_stats(
            stats_meta=stats_meta, valid_stats=valid_stats
        )
        return self.calibrator.temperature

    def compute_objectives(self, predictions, batch, stage):
        """Cross-entropy against the class labels; collects metrics.

        With a regression head (:attr:`dimensions`), ``predictions`` is
        ``(log_probs, dimensions)`` and its weighted loss is added; with a
        speaker adversary (:attr:`adversary`), the embeddings come last and
        training adds its loss.
        """
        dimensions, adversary = self.dimensions, self.adversary
        if isinstance(predictions, tuple):
            predictions, *outputs = predictions
            dims = outputs.pop(0) if dimensions is not None else None
            embeddings = outputs.pop(0) if adversary is not None else None
        replicate = self.label_replicator(batch, stage)
        labels, _ = getattr(batch, f"{self.label_key}_encoded")
        if replicate is not None:  # the batch this step augmented
            labels = replicate(labels)
        loss = self.hparams.compute_cost(predictions, labels)
        if dimensions is not None:
            targets = dimensions.targets(batch, replicate)
            loss = dimensions.loss(loss, dims, targets)
        if stage == sb.Stage.TRAIN:
            if adversary is not None:
                loss = loss + adversary.loss(embeddings, batch.spk_id, replicate)
            return loss
        speakers, utterances = self.pseudonyms
        ids, spk = utterances.many(batch.id), speakers.many(batch.spk_id)
        if stage == sb.Stage.TEST and self.speaker_references is not None:
            wavs, lens = preprocess_waveforms(self.modules, *batch.sig)
            self.speaker_references.track_variants(
                self.modules.model, wavs, lens, batch, labels, ids, spk
            )
            if dimensions is not None:
                dimensions.append_single_utterance(
                    self.hparams.model, wavs, lens, ids, targets, batch.gender, spk
                )
        self.metrics.append(ids, predictions, labels, gender=batch.gender, speaker=spk)
        if dimensions is not None:
            dimensions.append(ids, dims, targets, batch.gender, spk)
        return loss

    def new_metrics(self, stage):
        """The tracker of validation and test predictions."""
        if self.speaker_references is not None:
            self.speaker_references.new_variants(self.classes)
        if self.dimensions is not None:
            self.dimensions.new_stage()
        return ClassificationMetrics(self.classes)

    def stage_stats(self, stage, stage_loss: float) -> dict:
        """Loss, accuracy (as :attr:`accuracy_key`), UA and macro-F1."""
        report = self.metrics.summarize()
        stats = {
            "loss": stage_loss,
            self.accuracy_key: report["accuracy"],
            "UA": report["unweighted_accuracy"],
            "macro_F1": report["macro_f1"],
        }
        if self.dimensions is not None:  # CCC and CCC_<dimension>
            stats.update(self.dimensions.stage_stats())
        return stats

    def report_facts(self) -> dict:
        """What ``test_report.json`` says about the run besides its metrics.

        Returns
        -------
        dict
            :func:`~speechbrain_lstm_ser.training.brain.run_facts` and the
            ``normalization`` section
            (:func:`~speechbrain_lstm_ser.evaluation.reports.normalization_section`);
            a recipe may add its own fields.
        """
        references = self.speaker_references
        variants = references.variant_summaries() if references is not None else None
        return {
            **run_facts(self.hparams, self.trained),
            "normalization": normalization_section(self.reference_mode, variants),
        }

    def write_test_report(self, stats: dict, stage_loss: float) -> None:
        """``test_report.json``, ``confusion_matrix.png``, ``predictions.csv``.

        The report's ``calibration`` section (and
        ``reliability_diagram.png``) says how calibrated the tested model
        is, before and after its temperature. With a regression head, the
        report's ``dimensions`` section and ``dimension_predictions.csv``
        (:class:`~speechbrain_lstm_ser.training.dimensions.DimensionObjective`).
        """
        report = self.metrics.summarize()
        calibrator = self.calibrator
        temperature = calibrator.temperature if calibrator is not None else 1.0
        calibration = self.metrics.calibration(temperature)
        if calibration is not None:
            fit = calibrator.result if calibrator is not None else None
            report["calibration"] = {**calibration, "fitted_on": None, **(fit or {})}
        facts = {**self.report_facts(), "test_loss": stage_loss}
        dimensions, summary = self.dimensions, ""
        if dimensions is not None:
            report["dimensions"] = dimensions.report_section(
                self.reference_mode, self.hparams.output_folder
            )
            dimensions.write_predictions(self.hparams.output_folder)
            summary = "\n" + dimensions.summary_line(report["dimensions"])
            summary = summary.rstrip()
        write_report(
            report,
            self.hparams.output_folder,
            rows=self.metrics.rows(),
            extra=facts,
        )
        # as test_report.json has it: with the normalisation and its variants
        logger.info("Test results\n" + format_summary({**facts, **report}) + summary)


def class_label_encoder(
    save_folder: str | os.PathLike, classes: Sequence[str]
) -> CategoricalEncoder:
    """The label encoder of a classification run: indices in ``classes`` order.

    Created on the first run and saved as ``label_encoder.txt`` in
    ``save_folder``; a resumed run loads it back.

    Arguments
    ---------
    save_folder : str or os.PathLike
        The experiment's save folder.
    classes : sequence of str
        The class names, in class-index order (the YAML's list).

    Returns
    -------
    speechbrain.dataio.encoder.CategoricalEncoder

    Raises
    ------
    ValueError
        When the saved encoder holds other classes (the folder belongs to
        another experiment).

    Example
    -------
    >>> import tempfile
    >>> folder = tempfile.mkdtemp()
    >>> class_label_encoder(folder, ["neutral", "sad"]).lab2ind
    {'neutral': 0, 'sad': 1}
    >>> class_label_encoder(folder, ["sad", "neutral"])
    Traceback (most recent call last):
    ...
    ValueError: ...label_encoder.txt holds the classes ['neutral', 'sad'], not ...
    """
    label_encoder = CategoricalEncoder()
    lab_enc_file = os.path.join(save_folder, "label_encoder.txt")
    label_encoder.load_or_create(path=lab_enc_file, from_iterables=[classes])
    label_encoder.expect_len(len(classes))
    if list(label_encoder.lab2ind) != list(classes):
        raise ValueError(
            f"{lab_enc_file} holds the classes {list(label_encoder.lab2ind)}, not "
            f"{list(classes)}: this output folder belongs to another "
            "experiment. Use another --output_folder."
        )
    return label_encoder
