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
YAML): :meth:`ClassifierBrain.calibrate` fits a temperature on the
validation split after training and stores it in the best checkpoint's
head, and the test report says how calibrated the model is before and
after (:mod:`speechbrain_lstm_ser.evaluation.calibration`).

:func:`class_label_encoder` gives the label encoder such a recipe's data
pipeline encodes with: class indices in the order of the YAML's list.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import os
import random
from collections.abc import Mapping, Sequence

import speechbrain as sb
import torch
from speechbrain.dataio.encoder import CategoricalEncoder
from speechbrain.utils.checkpoints import DEFAULT_SAVE_HOOKS, get_default_hook
from speechbrain.utils.logger import get_logger

from speechbrain_lstm_ser.evaluation.calibration import (
    expected_calibration_error,
    fit_temperature,
    negative_log_likelihood,
    scale_log_probs,
)
from speechbrain_lstm_ser.evaluation.classification import ClassificationMetrics
from speechbrain_lstm_ser.evaluation.reports import format_summary, write_report
from speechbrain_lstm_ser.nnet.models import preprocess_waveforms
from speechbrain_lstm_ser.training.brain import Brain, run_facts
from speechbrain_lstm_ser.training.references import (
    batch_enrolment_reference,
    collect_references,
    reference_mode,
)

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
    labels of augmented copies), the class list named by
    :attr:`classes_key`, and what :class:`Brain` reads. Speaker and
    utterance IDs in the reports are pseudonymised when the YAML says
    ``pseudonymize_speakers: True``.

    With ``normalization_reference: speaker`` (and a model with a
    ``reference_norm``), the features of every utterance are measured
    against its speaker's (see :mod:`speechbrain_lstm_ser.training.references`):
    :meth:`prepare_references` collects the statistics of every split,
    :meth:`batch_reference` gives ``compute_forward`` the reference of a
    batch, and the test report adds the single-utterance figure and those
    with a few enrolment clips.

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

    @property
    def reference_mode(self) -> str:
        """``speaker``, ``utterance`` or ``global`` (see :func:`reference_mode`)."""
        return reference_mode(self.hparams)

    def prepare_references(self, datasets: Mapping, loader_kwargs: Mapping) -> None:
        """Collects every split's speaker statistics (speaker mode only).

        Arguments
        ---------
        datasets : mapping
            ``train``, ``valid`` and ``test`` datasets.
        loader_kwargs : mapping
            Data loader options for the pass over them.
        """
        self.references = {}
        if self.reference_mode != "speaker":
            return
        model = self.hparams.model
        for name, dataset in datasets.items():
            self.references[name] = collect_references(
                model, self.modules, dataset, loader_kwargs, self.device
            )
        self.reference_rng = random.Random(self.hparams.seed)

    def batch_reference(self, batch, stage) -> torch.Tensor | None:
        """The ``(batch, channels)`` reference of a batch, or ``None``.

        Training draws a random subset of each speaker's training utterances
        (``reference_self_prob``: the share that are their own reference);
        validation and test use all of the speaker's utterances of the split.
        ``None`` (each utterance its own reference) outside speaker mode.
        """
        if self.reference_mode != "speaker":
            return None
        if stage == sb.Stage.TRAIN:
            refs = self.references["train"]
            self_prob = getattr(self.hparams, "reference_self_prob", 0.0)
            rows = [
                refs.draw_reference(utt, spk, self.reference_rng, self_prob)
                for utt, spk in zip(batch.id, batch.spk_id, strict=True)
            ]
            return torch.stack(rows).to(self.device)
        split = "valid" if stage == sb.Stage.VALID else "test"
        return self.references[split].batch_reference(batch.spk_id).to(self.device)

    def track_reference_variants(self, batch, labels: torch.Tensor) -> None:
        """Test stage, speaker mode: the single-utterance and enrolment figures."""
        if self.reference_mode != "speaker":
            return
        wavs, lens = preprocess_waveforms(self.modules, *batch.sig)
        model = self.modules.model
        speakers, utterances = self.pseudonyms
        ids, spk = utterances.many(batch.id), speakers.many(batch.spk_id)

        def track(name, predictions, keep):
            index = keep.nonzero().reshape(-1).tolist()
            self.variant_metrics[name].append(
                [ids[i] for i in index],
                predictions[index],
                labels[index],
                gender=[batch.gender[i] for i in index],
                speaker=[spk[i] for i in index],
            )

        everyone = torch.ones(len(batch.id), dtype=torch.bool)
        track("single_utterance", model(wavs, lens), everyone)
        for clips in self.enrolment_clips:
            drawn = batch_enrolment_reference(
                self.references["test"],
                batch.id,
                batch.spk_id,
                clips,
                seed=self.hparams.seed,
            )
            if drawn is not None:
                reference, keep = drawn
                predictions = model(wavs, lens, reference=reference.to(self.device))
                track(f"enrolment_{clips}", predictions, keep)

    #: What :meth:`calibrate` found (None when it did not run).
    calibration_fit: dict | None = None

    @property
    def classes(self) -> list[str]:
        """The class names, in class-index order (the YAML's list)."""
        return getattr(self.hparams, self.classes_key)

    @property
    def head(self) -> torch.nn.Module | None:
        """The model's classification head, if it holds a ``temperature``.

        ``hparams.model.classifier``, e.g. a
        :class:`~speechbrain_lstm_ser.nnet.heads.ClassificationHead`; None
        for a YAML without a task model or with a head of its own.
        """
        head = getattr(getattr(self.hparams, "model", None), "classifier", None)
        return head if hasattr(head, "set_temperature") else None

    @property
    def temperature(self) -> float:
        """The temperature of the model's head (1.0 without one)."""
        head = self.head
        return float(head.temperature) if head is not None else 1.0

    def on_fit_start(self):
        """Recovers the latest checkpoint; training runs at temperature 1.

        A checkpoint calibrated by an earlier run, or a published model
        fine-tuned from (``init_from``), may hold another temperature:
        training and validation start from 1.0, and :meth:`calibrate` fits
        it again after training.
        """
        super().on_fit_start()
        if self.head is not None:
            self.head.set_temperature(1.0)

    def calibrate(
        self, valid_set, loader_kwargs: Mapping | None = None, **best
    ) -> float:
        """Fits the temperature of the best checkpoint on the validation split.

        Loads the checkpoint that testing will load (``max_key`` /
        ``min_key``), computes its log-probabilities on ``valid_set`` at
        temperature 1, fits ``T`` (see
        :func:`~speechbrain_lstm_ser.evaluation.calibration.fit_temperature`),
        sets it in the head and writes it into that checkpoint's files, so
        that testing, the exported model and a reloaded checkpoint all apply
        it. The result is logged and kept in :attr:`calibration_fit`.

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
        head = self.head
        if head is None:
            raise ValueError(
                "calibrate: True needs a model whose `classifier` is a "
                "speechbrain_lstm_ser.nnet.heads.ClassificationHead (it holds the "
                "temperature); set calibrate: False for another head"
            )
        if self.checkpointer is not None:
            self.checkpointer.recover_if_possible(**best)
        head.set_temperature(1.0)
        if not isinstance(valid_set, torch.utils.data.DataLoader):
            valid_set = self.make_dataloader(
                valid_set, sb.Stage.VALID, ckpt_prefix=None, **(loader_kwargs or {})
            )
        self.modules.eval()
        self.metrics = self.new_metrics(sb.Stage.VALID)
        for batch in valid_set:
            self.evaluate_batch(batch, stage=sb.Stage.VALID)
        log_probs, targets = self.metrics.log_probs_and_targets()
        temperature = fit_temperature(log_probs, targets)
        head.set_temperature(temperature)
        scaled = scale_log_probs(log_probs.double(), temperature)
        self.calibration_fit = {
            "fitted_on": "valid",
            "valid_utterances": len(targets),
            "valid_nll_before": negative_log_likelihood(log_probs, targets),
            "valid_nll_after": negative_log_likelihood(scaled, targets),
            "valid_ece_before": expected_calibration_error(log_probs, targets),
            "valid_ece_after": expected_calibration_error(scaled, targets),
        }
        sb.utils.distributed.run_on_main(self._save_temperature, kwargs=best)
        fit = self.calibration_fit
        self.hparams.train_logger.log_stats(
            stats_meta={
                "calibration": "temperature scaling",
                "T": f"{temperature:.4f}",
            },
            valid_stats={
                "NLL before": fit["valid_nll_before"],
                "NLL after": fit["valid_nll_after"],
                "ECE before": fit["valid_ece_before"],
                "ECE after": fit["valid_ece_after"],
            },
        )
        return temperature

    def _save_temperature(self, **best) -> None:
        """Rewrites the parameter files of the checkpoint that hold the head."""
        if self.checkpointer is None:
            return
        ckpt = self.checkpointer.find_checkpoint(**best)
        if ckpt is None:
            return
        head = self.head
        for name, obj in self.checkpointer.recoverables.items():
            holds_head = isinstance(obj, torch.nn.Module) and any(
                module is head for module in obj.modules()
            )
            if not holds_head or name not in ckpt.paramfiles:
                continue
            hook = self.checkpointer.custom_save_hooks.get(name) or get_default_hook(
                obj, DEFAULT_SAVE_HOOKS
            )
            path = ckpt.paramfiles[name]
            staged = path.with_name(f".{path.name}.tmp")
            hook(obj, staged)
            os.replace(staged, path)

    def compute_objectives(self, predictions, batch, stage):
        """Cross-entropy against the class labels; collects metrics."""
        labels, _ = getattr(batch, f"{self.label_key}_encoded")
        if stage == sb.Stage.TRAIN and self.hparams.augment:
            labels = self.hparams.wav_augment.replicate_labels(labels)
        loss = self.hparams.compute_cost(predictions, labels)
        if stage == sb.Stage.TEST:
            self.track_reference_variants(batch, labels)
        if stage != sb.Stage.TRAIN:
            speakers, utterances = self.pseudonyms
            self.metrics.append(
                utterances.many(batch.id),
                predictions,
                labels,
                gender=batch.gender,
                speaker=speakers.many(batch.spk_id),
            )
        return loss

    def new_metrics(self, stage):
        """The tracker of validation and test predictions."""
        names = ["single_utterance", *(f"enrolment_{n}" for n in self.enrolment_clips)]
        self.variant_metrics = {n: ClassificationMetrics(self.classes) for n in names}
        return ClassificationMetrics(self.classes)

    def stage_stats(self, stage, stage_loss: float) -> dict:
        """Loss, accuracy (as :attr:`accuracy_key`), UA and macro-F1."""
        report = self.metrics.summarize()
        return {
            "loss": stage_loss,
            self.accuracy_key: report["accuracy"],
            "UA": report["unweighted_accuracy"],
            "macro_F1": report["macro_f1"],
        }

    def report_facts(self) -> dict:
        """What ``test_report.json`` says about the run besides its metrics.

        Returns
        -------
        dict
            :func:`~speechbrain_lstm_ser.training.brain.run_facts`; a recipe
            may add its own fields.
        """
        return {
            **run_facts(self.hparams, self.trained),
            "normalization": self.normalization_facts(),
        }

    def normalization_facts(self) -> dict:
        """What the features were measured against, for the report and card."""
        mode = self.reference_mode
        facts = {"reference": mode}
        if mode == "speaker":
            facts["note"] = (
                "speaker-normalised and transductive: each test speaker's "
                "reference is the mean of all of that speaker's test utterances "
                "(unlabelled); single_utterance gives the figures without "
                "speaker information, enrolment_<n> with n other clips of the "
                "speaker"
            )
            variants = {}
            for name, metrics in self.variant_metrics.items():
                if metrics.ids:
                    summary = metrics.summarize()
                    variants[name] = {
                        "WA": summary["accuracy"],
                        "UA": summary["unweighted_accuracy"],
                        "macro_F1": summary["macro_f1"],
                        "utterances": len(metrics.ids),
                    }
            facts["variants"] = variants
        elif mode == "utterance":
            facts["note"] = "each utterance is its own reference (level-invariant)"
        else:
            facts["note"] = "global statistics only: the level of the recording counts"
        return facts

    def write_test_report(self, stats: dict, stage_loss: float) -> None:
        """``test_report.json``, ``confusion_matrix.png``, ``predictions.csv``.

        The report's ``calibration`` section (and
        ``reliability_diagram.png``) says how calibrated the tested model
        is, before and after its temperature.
        """
        report = self.metrics.summarize()
        calibration = self.metrics.calibration(self.temperature)
        if calibration is not None:
            report["calibration"] = {
                **calibration,
                "fitted_on": None,
                **(self.calibration_fit or {}),
            }
        facts = {**self.report_facts(), "test_loss": stage_loss}
        write_report(
            report,
            self.hparams.output_folder,
            rows=self.metrics.rows(),
            extra=facts,
        )
        # as test_report.json has it: with the normalisation and its variants
        logger.info("Test results\n" + format_summary({**facts, **report}))


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
