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

from speechbrain_lstm_ser.dataio.audio import read_audio
from speechbrain_lstm_ser.dataio.manifest import COMMANDS_MANIFEST
from speechbrain_lstm_ser.dataio.prepare_commands import prepare_commands_data
from speechbrain_lstm_ser.export.folder import export_classifier
from speechbrain_lstm_ser.training.classification import (
    ClassifierBrain,
    class_label_encoder,
)
from speechbrain_lstm_ser.training.recipe import (
    check_manifests,
    export_on_main,
    fit_and_test,
    load_experiment,
    manifest_datasets,
    one_line_errors,
    prepare_on_main,
)


class CommandBrain(ClassifierBrain):
    """Trains and evaluates the command recogniser.

    The loss (cross-entropy against ``command``), the metrics and the test
    report are the shared ``ClassifierBrain``'s, the epoch bookkeeping
    (timing, logging, learning-rate annealing, checkpointing, curves) the
    shared ``Brain``'s (``speechbrain_lstm_ser.training``).
    """

    label_key, classes_key = "command", "labels"
    best_key, best_max, plot_metric = "accuracy", True, "valid_accuracy"

    def compute_forward(self, batch, stage):
        """Waveforms -> class log-probabilities ``(batch, 1, classes)``."""
        batch = batch.to(self.device)
        wavs, lens = self.model_waveforms(batch, stage)  # augmented in training
        feature_augment = None
        if stage == sb.Stage.TRAIN and self.hparams.augment:
            feature_augment = getattr(self.hparams, "feature_augment", None)
        return self.modules.model(
            wavs,
            lens,
            epoch=self.hparams.epoch_counter.current,
            feature_augment=feature_augment,
        )

    def report_facts(self):
        """The task's name, then the run's facts."""
        return {"task": "commands", **super().report_facts()}


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
    # Class indices follow the order of `labels` in the YAML.
    label_encoder = class_label_encoder(hparams["save_folder"], hparams["labels"])

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

    @sb.utils.data_pipeline.takes("command")
    @sb.utils.data_pipeline.provides("command", "command_encoded")
    def label_pipeline(command):
        """The class label and its index."""
        yield command
        yield label_encoder.encode_label_torch(command)

    datasets = manifest_datasets(
        hparams,
        dynamic_items=[audio_pipeline, label_pipeline],
        output_keys=["id", "sig", "command_encoded", "spk_id", "gender"],
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
    prepare_on_main(prepare_commands_data, hparams)

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
