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

Each epoch logs its duration and its training throughput (seconds of
audio per second) to ``train_log.txt``; bad data or settings end the run
with one error line.

To read the code, start from the bottom ("Recipe begins!").

Authors
 * speechbrain-lstm-ser developers 2026
"""

import os
import sys

import speechbrain as sb
from speechbrain.utils.logger import get_logger

from speechbrain_lstm_ser.dataio.audio import read_audio
from speechbrain_lstm_ser.dataio.manifest import COMMANDS_MANIFEST
from speechbrain_lstm_ser.dataio.prepare_commands import prepare_commands_data
from speechbrain_lstm_ser.evaluation.classification import ClassificationMetrics
from speechbrain_lstm_ser.evaluation.reports import format_summary, write_report
from speechbrain_lstm_ser.export.folder import export_classifier
from speechbrain_lstm_ser.nnet.models import preprocess_waveforms
from speechbrain_lstm_ser.training.brain import Brain, run_facts
from speechbrain_lstm_ser.training.recipe import (
    check_manifests,
    data_roots,
    export_on_main,
    fit_and_test,
    load_experiment,
    one_line_errors,
    prepare_on_main,
)

logger = get_logger(__name__)


class CommandBrain(Brain):
    """Trains and evaluates the command recogniser.

    The epoch bookkeeping (timing, logging, learning-rate annealing,
    checkpointing, curves, the test report on the main process) is the
    shared ``speechbrain_lstm_ser.training.brain.Brain``'s.
    """

    best_key, best_max, plot_metric = "accuracy", True, "valid_accuracy"

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

    def new_metrics(self, stage):
        """The tracker of validation and test predictions."""
        return ClassificationMetrics(self.hparams.labels)

    def stage_stats(self, stage, stage_loss):
        """Loss, accuracy (the checkpoint-selection key), UA and macro-F1."""
        report = self.metrics.summarize()
        return {
            "loss": stage_loss,
            "accuracy": report["accuracy"],
            "UA": report["unweighted_accuracy"],
            "macro_F1": report["macro_f1"],
        }

    def write_test_report(self, stats, stage_loss):
        """``test_report.json``, ``confusion_matrix.png``, ``predictions.csv``."""
        report = self.metrics.summarize()
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
            replacements=data_roots(hparams),
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
    # Reading command line arguments, loading the YAML with the overrides
    # (typos, malformed or wrongly typed overrides are refused with a one-line
    # error), creating the experiment directory.
    hparams_file, run_opts, overrides = sb.parse_arguments(sys.argv[1:])
    hparams = load_experiment(hparams_file, run_opts, overrides)

    # Data preparation (corpus generation for the embedded default), on the
    # main process only. Bad data gives a one-line error, not a traceback.
    prepare_on_main(
        prepare_commands_data,
        hparams,
        dataset=hparams["dataset"],
        data_folder=hparams["data_folder"],
        manifest_folder=hparams["manifest_folder"],
        commands=hparams["commands"],
        unknown_label=hparams["unknown_label"],
        silence_label=hparams["silence_label"],
        unknown_share=hparams["unknown_share"],
        silence_share=hparams["silence_share"],
        split=hparams["split"],
        valid_speakers=hparams["valid_speakers"],
        test_speakers=hparams["test_speakers"],
        seed=hparams["split_seed"],
        corpus_options=hparams["embedded_corpus"]
        if hparams["dataset"] == "embedded"
        else {},
    )

    # Every problem of the manifests (missing audio file, unknown label,
    # duplicate ID, ...) is reported at once, before training starts.
    check_manifests(hparams, COMMANDS_MANIFEST, allowed={"command": hparams["labels"]})

    # Background-noise augmentation needs recordings to draw from.
    noise_csv = hparams["noise_csv"]
    if hparams["augment"] and noise_csv and not has_rows(noise_csv):
        sys.exit(
            f"error: {noise_csv} lists no background-noise recording (the corpus "
            "has no _background_noise_ folder): set --noise_csv null to augment "
            "with synthetic noise instead"
        )

    # Create dataset objects "train", "valid", and "test".
    with one_line_errors(hparams):
        datasets, label_encoder = dataio_prepare(hparams)

    command_brain = CommandBrain(
        modules=hparams["modules"],
        opt_class=hparams["opt_class"],
        hparams=hparams,
        run_opts=run_opts,
        checkpointer=hparams["checkpointer"],
    )

    # Training (resumed from the checkpoints where a run stopped), then the
    # test of the checkpoint with the highest validation accuracy.
    fit_and_test(command_brain, datasets)

    # Export the best model as an inference folder (loadable with
    # CommandRecognizer.from_hparams, publishable to the Hub), on the main
    # process.
    export_on_main(
        export_classifier,
        hparams,
        label_encoder,
        title="LSTM spoken-command recognition",
        task="Spoken Command Recognition",
        interface="speechbrain_lstm_ser.inference.CommandRecognizer",
    )
