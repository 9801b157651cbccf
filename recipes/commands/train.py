#!/usr/bin/env python3
"""Recipe for training an LSTM spoken-command (keyword) recogniser.

The one-second clip is augmented during training (background noise from the
corpus's own ``_background_noise_`` recordings, speed, frequency drops),
turned into normalised filterbanks, encoded by a bidirectional LSTM, pooled
over time with attention and classified by an MLP head: the encoder, pooling
and head classes of the emotion recogniser, configured in the YAML. The
classes are the command words, "unknown" (all other words) and "silence"
(noise only), as in the usual 12-class Speech Commands task.

Out of the box it trains on the embedded synthetic corpus, generated on
first use (no download):

> python recipes/commands/train.py hparams/commands_lstm.yaml

After testing with the best checkpoint (highest validation accuracy), it
writes ``test_report.json`` (accuracy, per-class P/R/F1, confusion matrix,
by gender and by speaker), ``confusion_matrix.png``, ``predictions.csv``
and ``train_curves.png`` to the output folder.

To read the code, start from the bottom ("Recipe begins!").

Authors
 * speechbrain-lstm-ser developers 2026
"""

import os
import sys
import time

import speechbrain as sb
from speechbrain.utils.logger import get_logger

from speechbrain_lstm_ser.dataio.audio import read_audio
from speechbrain_lstm_ser.dataio.prepare_commands import prepare_commands_data
from speechbrain_lstm_ser.evaluation.classification import ClassificationMetrics
from speechbrain_lstm_ser.evaluation.reports import format_summary, write_report
from speechbrain_lstm_ser.export.folder import export_classifier
from speechbrain_lstm_ser.nnet.models import preprocess_waveforms
from speechbrain_lstm_ser.training.brain import (
    Brain,
    end_validation_epoch,
    run_facts,
    training_summary,
)
from speechbrain_lstm_ser.training.hparams import HparamsError, load_hparams

logger = get_logger(__name__)


class CommandBrain(Brain):
    """Trains and evaluates the command recogniser. See ``speechbrain.core.Brain``."""

    def compute_forward(self, batch, stage):
        """Waveforms -> class log-probabilities ``(batch, 1, classes)``."""
        batch = batch.to(self.device)
        wavs, lens = preprocess_waveforms(self.modules, *batch.sig)
        if stage == sb.Stage.TRAIN and self.hparams.augment:
            wavs, lens = self.hparams.wav_augment(wavs, lens)
        return self.modules.model(wavs, lens, epoch=self.hparams.epoch_counter.current)

    def compute_objectives(self, predictions, batch, stage):
        """Cross-entropy against the class labels; collects metrics."""
        labels, _ = batch.command_encoded
        if stage == sb.Stage.TRAIN and self.hparams.augment:
            labels = self.hparams.wav_augment.replicate_labels(labels)
        loss = self.hparams.compute_cost(predictions, labels)
        if stage != sb.Stage.TRAIN:
            self.metrics.append(
                batch.id, predictions, labels, gender=batch.gender, speaker=batch.spk_id
            )
        return loss

    def on_stage_start(self, stage, epoch=None):
        """Sets up the metric tracker of validation and test stages."""
        if stage == sb.Stage.TRAIN:
            self.epoch_start = time.time()
        else:
            self.metrics = ClassificationMetrics(self.hparams.labels)

    def on_stage_end(self, stage, stage_loss, epoch=None):
        """Logs, anneals the learning rate, checkpoints, and writes the report."""
        if stage == sb.Stage.TRAIN:
            self.train_loss = stage_loss
            return
        report = self.metrics.summarize()
        stats = {
            "loss": stage_loss,
            "accuracy": report["accuracy"],
            "UA": report["unweighted_accuracy"],
            "macro_F1": report["macro_f1"],
        }
        if stage == sb.Stage.VALID:
            end_validation_epoch(
                self,
                epoch,
                stats,
                annealing_value=epoch,
                curve_stats={
                    "valid_accuracy": stats["accuracy"],
                    "valid_UA": stats["UA"],
                },
                plot_metric="valid_accuracy",
                keep={"max_keys": ["accuracy"]},
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
                        "task": "commands",
                        **run_facts(self.hparams, self.trained),
                        "test_loss": stage_loss,
                    },
                )
                logger.info("Test results\n" + format_summary(report))


def dataio_prepare(hparams):
    """Creates the datasets and their data pipelines.

    Expects the manifests of ``prepare_commands_data``: a row is a whole file,
    or (silence) a ``start`` / ``stop`` segment of a noise recording. Audio
    of any sample rate or channel count is converted to ``sample_rate`` mono.

    Arguments
    ---------
    hparams : dict
        The loaded hyperparameters.

    Returns
    -------
    datasets : dict
        ``train``, ``valid`` and ``test`` ``DynamicItemDataset`` objects.
    label_encoder : speechbrain.dataio.encoder.CategoricalEncoder
        Class indices in the order of ``hparams["labels"]``.
    """

    @sb.utils.data_pipeline.takes("wav", "start", "stop")
    @sb.utils.data_pipeline.provides("sig")
    def audio_pipeline(wav, start, stop):
        """Loads a clip (or a segment) as mono float at the recipe's rate."""
        return read_audio(
            wav,
            hparams["sample_rate"],
            start=float(start) if start else None,
            stop=float(stop) if stop else None,
        )

    label_encoder = sb.dataio.encoder.CategoricalEncoder()

    @sb.utils.data_pipeline.takes("command")
    @sb.utils.data_pipeline.provides("command", "command_encoded")
    def label_pipeline(command):
        """The class label and its index."""
        yield command
        yield label_encoder.encode_label_torch(command)

    datasets = {}
    for split in ("train", "valid", "test"):
        datasets[split] = sb.dataio.dataset.DynamicItemDataset.from_csv(
            csv_path=hparams[f"{split}_annotation"],
            replacements={"data_root": hparams["data_folder"]},
            dynamic_items=[audio_pipeline, label_pipeline],
            output_keys=["id", "sig", "command_encoded", "spk_id", "gender"],
        )

    # Class indices follow the order of `labels` in the YAML.
    lab_enc_file = os.path.join(hparams["save_folder"], "label_encoder.txt")
    label_encoder.load_or_create(path=lab_enc_file, from_iterables=[hparams["labels"]])
    label_encoder.expect_len(len(hparams["labels"]))
    if list(label_encoder.lab2ind) != list(hparams["labels"]):
        raise ValueError(
            f"{lab_enc_file} holds the classes {list(label_encoder.lab2ind)}, not "
            f"{list(hparams['labels'])}: this output folder belongs to another "
            "experiment. Use another --output_folder."
        )
    return datasets, label_encoder


def has_rows(csv_path):
    """Whether a CSV file exists and has at least one row below its header."""
    if not os.path.isfile(csv_path):
        return False
    with open(csv_path, encoding="utf-8") as handle:
        return sum(1 for line in handle if line.strip()) > 1


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
    # main process only.
    if not hparams["skip_prep"]:
        sb.utils.distributed.run_on_main(
            prepare_commands_data,
            kwargs={
                "dataset": hparams["dataset"],
                "data_folder": hparams["data_folder"],
                "manifest_folder": hparams["manifest_folder"],
                "commands": hparams["commands"],
                "unknown_label": hparams["unknown_label"],
                "silence_label": hparams["silence_label"],
                "unknown_share": hparams["unknown_share"],
                "silence_share": hparams["silence_share"],
                "split": hparams["split"],
                "valid_speakers": hparams["valid_speakers"],
                "test_speakers": hparams["test_speakers"],
                "seed": hparams["split_seed"],
                "corpus_options": hparams["embedded_corpus"]
                if hparams["dataset"] == "embedded"
                else {},
            },
        )

    # Background-noise augmentation needs recordings to draw from.
    noise_csv = hparams["noise_csv"]
    if hparams["augment"] and noise_csv and not has_rows(noise_csv):
        raise ValueError(
            f"{noise_csv} lists no background-noise recording (the corpus has no "
            "_background_noise_ folder): set --noise_csv null to augment with "
            "synthetic noise instead"
        )

    # Create dataset objects "train", "valid", and "test".
    datasets, label_encoder = dataio_prepare(hparams)

    command_brain = CommandBrain(
        modules=hparams["modules"],
        opt_class=hparams["opt_class"],
        hparams=hparams,
        run_opts=run_opts,
        checkpointer=hparams["checkpointer"],
    )

    # Training: everything with changing state is in the Checkpointer, so a
    # run that is stopped at any point resumes where it left off.
    command_brain.fit(
        epoch_counter=command_brain.hparams.epoch_counter,
        train_set=datasets["train"],
        valid_set=datasets["valid"],
        train_loader_kwargs=hparams["dataloader_options"],
        valid_loader_kwargs=hparams["test_dataloader_options"],
    )

    # Testing reloads the best checkpoint (and the history as it was then).
    command_brain.trained = training_summary(hparams["history"])

    # Test with the checkpoint of the highest validation accuracy.
    command_brain.evaluate(
        test_set=datasets["test"],
        max_key="accuracy",
        test_loader_kwargs=hparams["test_dataloader_options"],
    )

    # Export the best model as an inference folder (loadable with
    # CommandRecognizer.from_hparams, publishable to the Hub).
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
                "title": "LSTM spoken-command recognition",
                "task": "Spoken Command Recognition",
                "interface": "speechbrain_lstm_ser.inference.CommandRecognizer",
            },
        )
