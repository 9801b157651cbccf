#!/usr/bin/env python3
"""Recipe for training an LSTM speech emotion recogniser.

The waveform is cleaned (optional denoising, silence trimming), augmented
during training, turned into normalised filterbanks, encoded by a
bidirectional LSTM over packed sequences, pooled over time with attention
and classified by an MLP head (Linear, BatchNorm, ReLU, Dropout, Linear,
log-softmax) trained with cross-entropy.

Out of the box it trains on the embedded synthetic corpus, generated on
first use (no download):

> python recipes/emotion/train.py hparams/lstm.yaml

After testing with the best checkpoint (highest validation UA), it writes
``test_report.json`` (WA, UA, per-class P/R/F1, macro-F1, confusion matrix,
and all of these by gender and by speaker), ``confusion_matrix.png``,
``predictions.csv`` and ``train_curves.png`` to the output folder.

To read the code, start from the bottom ("Recipe begins!").

Authors
 * speechbrain-lstm-ser developers 2026
"""

import os
import sys
import time

import speechbrain as sb
import torch
from speechbrain.utils.logger import get_logger

from speechbrain_lstm_ser.dataio.audio import read_audio
from speechbrain_lstm_ser.dataio.manifest import (
    EMOTION_COLUMNS,
    ManifestError,
    read_manifest,
)
from speechbrain_lstm_ser.dataio.prepare_emotion import prepare_emotion_data
from speechbrain_lstm_ser.evaluation.classification import ClassificationMetrics
from speechbrain_lstm_ser.evaluation.privacy import Pseudonymizer, load_or_create_salt
from speechbrain_lstm_ser.evaluation.reports import format_summary, write_report
from speechbrain_lstm_ser.export.folder import export_classifier
from speechbrain_lstm_ser.nnet.losses import balanced_class_weights
from speechbrain_lstm_ser.training.brain import (
    Brain,
    end_validation_epoch,
    run_facts,
    training_summary,
)
from speechbrain_lstm_ser.training.hparams import HparamsError, load_hparams

logger = get_logger(__name__)


class EmotionBrain(Brain):
    """Trains and evaluates the emotion recogniser. See ``speechbrain.core.Brain``."""

    def compute_forward(self, batch, stage):
        """Waveforms -> class log-probabilities ``(batch, 1, classes)``."""
        batch = batch.to(self.device)
        wavs, lens = batch.sig
        wavs, lens = self.modules.preprocess(wavs, lens)
        if stage == sb.Stage.TRAIN and self.hparams.augment:
            wavs, lens = self.hparams.wav_augment(wavs, lens)
        feats = self.modules.compute_features(wavs)
        feats = self.modules.mean_var_norm(
            feats, lens, epoch=self.hparams.epoch_counter.current
        )
        encoded = self.modules.encoder(feats, lens)
        return self.modules.classifier(self.modules.pooling(encoded, lens))

    def compute_objectives(self, predictions, batch, stage):
        """Cross-entropy against the emotion labels; collects metrics."""
        emo, _ = batch.emo_encoded
        if stage == sb.Stage.TRAIN and self.hparams.augment:
            emo = self.hparams.wav_augment.replicate_labels(emo)
        loss = self.hparams.compute_cost(predictions, emo)
        if stage != sb.Stage.TRAIN:
            speakers, utterances = self.pseudonyms
            self.metrics.append(
                utterances.many(batch.id),
                predictions,
                emo,
                gender=batch.gender,
                speaker=speakers.many(batch.spk_id),
            )
        return loss

    @property
    def pseudonyms(self):
        """Speaker and utterance pseudonymizers (identity unless switched on)."""
        if not hasattr(self, "_pseudonyms"):
            salt = None
            if self.hparams.pseudonymize_speakers:
                salt = load_or_create_salt(self.hparams.pseudonym_salt_file)
            self._pseudonyms = (
                Pseudonymizer(salt, "spk-"),
                Pseudonymizer(salt, "utt-"),
            )
        return self._pseudonyms

    def on_stage_start(self, stage, epoch=None):
        """Sets up the metric tracker of validation and test stages."""
        if stage == sb.Stage.TRAIN:
            self.epoch_start = time.time()
        else:
            self.metrics = ClassificationMetrics(self.hparams.emotions)

    def on_stage_end(self, stage, stage_loss, epoch=None):
        """Logs, anneals the learning rate, checkpoints, and writes the report."""
        if stage == sb.Stage.TRAIN:
            self.train_loss = stage_loss
            return
        report = self.metrics.summarize()
        stats = {
            "loss": stage_loss,
            "WA": report["accuracy"],
            "UA": report["unweighted_accuracy"],
            "macro_F1": report["macro_f1"],
        }
        if stage == sb.Stage.VALID:
            end_validation_epoch(
                self,
                epoch,
                stats,
                annealing_value=epoch,
                curve_stats={"valid_UA": stats["UA"], "valid_WA": stats["WA"]},
                plot_metric="valid_UA",
                keep={"max_keys": ["UA"]},
            )
        elif stage == sb.Stage.TEST:
            self.hparams.train_logger.log_stats(
                stats_meta={"Epoch loaded": self.hparams.epoch_counter.current},
                test_stats=stats,
            )
            if sb.utils.distributed.if_main_process():
                write_report(
                    report,
                    self.hparams.output_folder,
                    rows=self.metrics.rows(),
                    extra={
                        **run_facts(self.hparams, self.trained),
                        "fold": self.hparams.fold,
                        "test_loss": stage_loss,
                    },
                )
                logger.info("Test results\n" + format_summary(report))


def dataio_prepare(hparams):
    """Creates the datasets and their data pipelines.

    Expects the manifests of ``prepare_emotion_data``. Audio of any sample
    rate or channel count is converted to ``sample_rate`` mono when loaded.

    Arguments
    ---------
    hparams : dict
        The loaded hyperparameters.

    Returns
    -------
    datasets : dict
        ``train``, ``valid`` and ``test`` ``DynamicItemDataset`` objects.
    label_encoder : speechbrain.dataio.encoder.CategoricalEncoder
        Class indices in the order of ``hparams["emotions"]``.
    """

    @sb.utils.data_pipeline.takes("wav")
    @sb.utils.data_pipeline.provides("sig")
    def audio_pipeline(wav):
        """Loads a waveform as mono float at the recipe's sample rate."""
        return read_audio(wav, hparams["sample_rate"])

    label_encoder = sb.dataio.encoder.CategoricalEncoder()

    @sb.utils.data_pipeline.takes("emo")
    @sb.utils.data_pipeline.provides("emo", "emo_encoded")
    def label_pipeline(emo):
        """The emotion label and its index."""
        yield emo
        yield label_encoder.encode_label_torch(emo)

    roots = {
        "data_root": hparams["data_folder"],
        "audio_cache": hparams["audio_cache_folder"],
    }
    datasets = {}
    for split in ("train", "valid", "test"):
        # Every problem of a manifest (missing file, unknown label, duplicate
        # ID, ...) is reported at once, before training starts.
        read_manifest(
            hparams[f"{split}_annotation"],
            required=EMOTION_COLUMNS,
            check_files=True,
            replacements=roots,
            allowed={"emo": hparams["emotions"]},
        )
        datasets[split] = sb.dataio.dataset.DynamicItemDataset.from_csv(
            csv_path=hparams[f"{split}_annotation"],
            replacements=roots,
            dynamic_items=[audio_pipeline, label_pipeline],
            output_keys=["id", "sig", "emo_encoded", "spk_id", "gender"],
        )

    # Class indices follow the order of `emotions` in the YAML.
    lab_enc_file = os.path.join(hparams["save_folder"], "label_encoder.txt")
    label_encoder.load_or_create(
        path=lab_enc_file, from_iterables=[hparams["emotions"]]
    )
    label_encoder.expect_len(len(hparams["emotions"]))
    if list(label_encoder.lab2ind) != list(hparams["emotions"]):
        raise ValueError(
            f"{lab_enc_file} holds the classes {list(label_encoder.lab2ind)}, not "
            f"{list(hparams['emotions'])}: this output folder belongs to another "
            "experiment. Use another --output_folder."
        )
    return datasets, label_encoder


def configure_class_weights(hparams, train_set):
    """Applies ``class_weights`` (null, "balanced" or a list) to the loss."""
    weights = hparams["class_weights"]
    if weights is None:
        return
    if weights == "balanced":
        with train_set.output_keys_as(["emo"]):
            counts = {label: 0 for label in hparams["emotions"]}
            for item in train_set:
                counts[item["emo"]] += 1
        weights = balanced_class_weights([counts[e] for e in hparams["emotions"]])
        named = dict(zip(hparams["emotions"], weights, strict=True))
        logger.info(f"Balanced class weights: {named}")
    if len(weights) != len(hparams["emotions"]):
        raise ValueError(
            f"class_weights has {len(weights)} values for "
            f"{len(hparams['emotions'])} emotions"
        )
    hparams["compute_cost"].class_weights = torch.tensor(weights, dtype=torch.float)


# Recipe begins!
if __name__ == "__main__":
    # Reading command line arguments.
    hparams_file, run_opts, overrides = sb.parse_arguments(sys.argv[1:])

    # Initialize ddp (useful only for multi-GPU DDP training).
    sb.utils.distributed.ddp_init_group(run_opts)

    # Load hyperparameters file with command-line overrides (typos, malformed
    # or wrongly typed overrides are refused with a one-line error).
    try:
        hparams = load_hparams(hparams_file, overrides)
    except HparamsError as err:
        sys.exit(f"error: {err}")

    # Create experiment directory
    sb.create_experiment_directory(
        experiment_directory=hparams["output_folder"],
        hyperparams_to_save=hparams_file,
        overrides=overrides,
    )

    # Data preparation (corpus generation for the embedded default), on the
    # main process only. Bad data gives a one-line error, not a traceback.
    if not hparams["skip_prep"]:
        try:
            sb.utils.distributed.run_on_main(
                prepare_emotion_data,
                kwargs={
                    "dataset": hparams["dataset"],
                    "data_folder": hparams["data_folder"],
                    "manifest_folder": hparams["manifest_folder"],
                    "emotions": hparams["emotions"],
                    "label_map": hparams["label_map"],
                    "valid_speakers": hparams["valid_speakers"],
                    "test_speakers": hparams["test_speakers"],
                    "seed": hparams["split_seed"],
                    "corpus_options": hparams.get(f"{hparams['dataset']}_corpus"),
                    "fold": hparams["fold"],
                    "num_folds": hparams["num_folds"],
                    "fold_valid": hparams["fold_valid"],
                    "audio_cache_folder": hparams["audio_cache_folder"],
                    "sample_rate": hparams["sample_rate"],
                },
            )
        except (ValueError, OSError) as err:
            # One line on the console; the traceback goes to the log file.
            logger.debug("Data preparation failed", exc_info=True)
            log_file = os.path.join(hparams["output_folder"], "log.txt")
            sys.exit(f"Data preparation failed: {err} (traceback in {log_file})")

    # The salt of the report pseudonyms, made once, on the main process.
    if hparams["pseudonymize_speakers"]:
        sb.utils.distributed.run_on_main(
            load_or_create_salt, args=[hparams["pseudonym_salt_file"]]
        )

    # Create dataset objects "train", "valid", and "test".
    try:
        datasets, label_encoder = dataio_prepare(hparams)
    except ManifestError as err:
        sys.exit(f"error: {err}")
    configure_class_weights(hparams, datasets["train"])

    emotion_brain = EmotionBrain(
        modules=hparams["modules"],
        opt_class=hparams["opt_class"],
        hparams=hparams,
        run_opts=run_opts,
        checkpointer=hparams["checkpointer"],
    )

    # Training: everything with changing state is in the Checkpointer, so a
    # run that is stopped at any point resumes where it left off.
    emotion_brain.fit(
        epoch_counter=emotion_brain.hparams.epoch_counter,
        train_set=datasets["train"],
        valid_set=datasets["valid"],
        train_loader_kwargs=hparams["dataloader_options"],
        valid_loader_kwargs=hparams["test_dataloader_options"],
    )

    # Testing reloads the best checkpoint (and the history as it was then):
    # take the facts about the whole training first.
    emotion_brain.trained = training_summary(hparams["history"])

    # Test with the checkpoint of the best validation UA.
    emotion_brain.evaluate(
        test_set=datasets["test"],
        max_key="UA",
        test_loader_kwargs=hparams["test_dataloader_options"],
    )

    # Export the best model as an inference folder (loadable with
    # EmotionRecognizer.from_hparams, publishable to the Hub).
    # On the main process only, and all processes wait for it.
    if hparams["export_folder"]:
        sb.utils.distributed.run_on_main(
            export_classifier,
            args=[
                hparams,
                label_encoder,
                os.path.join(hparams["output_folder"], "test_report.json"),
            ],
            kwargs={
                "title": "LSTM speech emotion recognition",
                "task": "Speech Emotion Recognition",
                "interface": "speechbrain_lstm_ser.inference.EmotionRecognizer",
            },
        )
