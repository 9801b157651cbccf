#!/usr/bin/env python3
"""Recipe for training an LSTM speech emotion recogniser.

The waveform is cleaned (optional denoising, silence trimming), augmented
during training, turned into normalised filterbanks, encoded by a
bidirectional LSTM (padding changes nothing), pooled over time with attention
and classified by an MLP head (Linear, BatchNorm, ReLU, Dropout, Linear,
log-softmax) trained with cross-entropy.

Out of the box it trains on the embedded synthetic corpus, generated on
first use (no download):

> python recipes/emotion/train.py hparams/lstm.yaml

After testing with the best checkpoint (highest validation UA), it writes
``test_report.json`` (WA, UA, per-class P/R/F1, macro-F1, confusion matrix,
and all of these by gender and by speaker), ``confusion_matrix.png``,
``predictions.csv`` and ``train_curves.png`` to the output folder.

Each epoch logs its duration and its training throughput (seconds of
audio per second) to ``train_log.txt``; bad data or settings end the run
with one error line.

``--dimension_weight 1.0`` also trains arousal, valence and dominance
(a regression head on the same pooled vector, 1 - CCC loss; the manifests
need the columns): the test report gets a ``dimensions`` section, the
output folder ``dimension_predictions.csv`` (docs/dimensional.md).

``--partitions`` runs fixed folds (EmoBox's, or the ``partitions.json``
every run writes); the report says what the splits share (speakers,
identical recordings). ``--init_from`` fine-tunes a published model.

To read the code, start from the bottom ("Recipe begins!").

Authors
 * speechbrain-lstm-ser developers 2026
"""

import sys

import speechbrain as sb
import torch
from speechbrain.utils.logger import get_logger

from speechbrain_lstm_ser.dataio.audio import read_audio
from speechbrain_lstm_ser.dataio.feature_cache import recipe_feature_cache
from speechbrain_lstm_ser.dataio.leakage import split_facts
from speechbrain_lstm_ser.dataio.manifest import EMOTION_MANIFEST
from speechbrain_lstm_ser.dataio.prepare_emotion import prepare_emotion_data
from speechbrain_lstm_ser.export.folder import export_classifier
from speechbrain_lstm_ser.nnet.losses import balanced_class_weights
from speechbrain_lstm_ser.training.classification import (
    ClassifierBrain,
    class_label_encoder,
)
from speechbrain_lstm_ser.training.dimensions import (
    check_dimension_columns,
    dimension_pipeline,
)
from speechbrain_lstm_ser.training.finetune import setup_finetuning
from speechbrain_lstm_ser.training.fusion import fuse_exported_model, fuses
from speechbrain_lstm_ser.training.recipe import (
    check_manifests,
    export_on_main,
    fit_and_test,
    load_experiment,
    manifest_datasets,
    one_line_errors,
    prepare_on_main,
)

logger = get_logger(__name__)


class EmotionBrain(ClassifierBrain):
    """Trains and evaluates the emotion recogniser.

    The loss (cross-entropy against ``emo``), the metrics and the test
    report are the shared ``ClassifierBrain``'s, the epoch bookkeeping
    (timing, logging, learning-rate annealing, checkpointing, curves) the
    shared ``Brain``'s (``speechbrain_lstm_ser.training``).

    Arguments
    ---------
    *args, **kwargs
        As for ``ClassifierBrain``.
    finetuning : speechbrain_lstm_ser.training.finetune.FineTuning, optional
        Set with ``init_from``: freezes the encoder for its first epochs
        and says in the report what the training started from.
    """

    label_key, classes_key, accuracy_key = "emo", "emotions", "WA"
    best_key, best_max, plot_metric = "UA", True, "valid_UA"

    def __init__(self, *args, finetuning=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.finetuning = finetuning

    def compute_forward(self, batch, stage):
        """Waveforms -> class log-probabilities ``(batch, 1, classes)``.

        With a regression head (``dimension_weight > 0``), also its
        dimensions ``(batch, 3)``, from the same encoder pass.
        """
        batch = batch.to(self.device)
        if hasattr(batch, "ssl_layers"):  # the SSL feature cache: no waveforms
            layers, lens = batch.ssl_layers  # (batch, frames, layers, D)
            epoch = self.hparams.epoch_counter.current
            return self.modules.model(
                layers.transpose(1, 2), lens, epoch=epoch, **self.model_outputs
            )
        wavs, lens = self.model_waveforms(batch, stage)  # augmented in training
        feature_augment = None
        if stage == sb.Stage.TRAIN and self.hparams.augment:
            feature_augment = getattr(self.hparams, "feature_augment", None)
        return self.modules.model(
            wavs,
            lens,
            epoch=self.hparams.epoch_counter.current,
            reference=self.batch_reference(batch, stage),
            feature_augment=feature_augment,
            **self.model_outputs,  # with a regression head: and its dimensions
        )

    def batch_audio_seconds(self, batch):
        """Seconds of audio in a batch, also of cached SSL layers (frames x hop)."""
        if hasattr(batch, "ssl_layers"):
            layers, lens = batch.ssl_layers  # (batch, frames, layers, D)
            hop = self.hparams.compute_features.samples_per_frame
            return float(lens.sum()) * layers.shape[1] * hop / self.hparams.sample_rate
        return super().batch_audio_seconds(batch)

    def on_stage_start(self, stage, epoch=None):
        """Also freezes a fine-tuned encoder for its first epochs (``init_from``)."""
        super().on_stage_start(stage, epoch)
        if stage == sb.Stage.TRAIN and self.finetuning is not None:
            self.finetuning.on_epoch_start(epoch)

    def report_facts(self):
        """Run facts, fold (null: one split), leakage check, ``init_from``."""
        finetuning = self.finetuning
        return {
            **super().report_facts(),
            "fold": self.hparams.fold,
            **split_facts(self.hparams),
            "init_from": finetuning.facts if finetuning else None,
        }


def dataio_prepare(hparams, ssl_cache=None):
    """Creates the datasets and their data pipelines.

    Expects the manifests of ``prepare_emotion_data``. Audio of any sample
    rate or channel count is converted to ``sample_rate`` mono when loaded.
    A model with a regression head also reads the dimension columns
    (``dimensions``: ``nan`` where unknown).

    Arguments
    ---------
    hparams : dict
        The loaded hyperparameters.
    ssl_cache : speechbrain_lstm_ser.dataio.feature_cache.FeatureCache, optional
        A frozen SSL front end's layers, extracted once (``ssl_cache_folder``):
        the pipelines read them instead of the waveforms.

    Returns
    -------
    datasets : dict
        ``train``, ``valid`` and ``test`` ``DynamicItemDataset`` objects.
    label_encoder : speechbrain.dataio.encoder.CategoricalEncoder
        Class indices in the order of ``hparams["emotions"]``.
    """
    # Class indices follow the order of `emotions` in the YAML.
    label_encoder = class_label_encoder(hparams["save_folder"], hparams["emotions"])

    @sb.utils.data_pipeline.takes("wav")
    @sb.utils.data_pipeline.provides("sig")
    def audio_pipeline(wav):
        """Loads a waveform as mono float at the recipe's sample rate."""
        return read_audio(wav, hparams["sample_rate"])

    # A frozen SSL front end with ssl_cache_folder: its layers, extracted once.
    cache, signal = ssl_cache, "sig"
    if cache is not None:
        audio_pipeline, signal = cached_pipeline(cache), "ssl_layers"

    @sb.utils.data_pipeline.takes("emo")
    @sb.utils.data_pipeline.provides("emo", "emo_encoded")
    def label_pipeline(emo):
        """The emotion label and its index."""
        yield emo
        yield label_encoder.encode_label_torch(emo)

    dynamic_items = [audio_pipeline, label_pipeline]
    output_keys = ["id", signal, "emo_encoded", "spk_id", "gender"]
    if getattr(hparams["model"], "regressor", None) is not None:  # dimensions
        dynamic_items.append(dimension_pipeline())
        output_keys.append("dimensions")
    datasets = manifest_datasets(hparams, dynamic_items, output_keys)
    if cache is not None:
        # ssl_cache_copies: the training recordings also get corrupted copies,
        # one of which (or the clean one) is drawn each time they are read.
        cache.set_training_recordings(
            row["wav"] for row in datasets["train"].data.values()
        )
        wavs = [row["wav"] for d in datasets.values() for row in d.data.values()]
        sb.utils.distributed.run_on_main(cache.build, args=[wavs])
    return datasets, label_encoder


def cached_pipeline(cache):
    """Reads a recording's cached SSL layers ``(frames, layers, D)``."""

    @sb.utils.data_pipeline.takes("wav")
    @sb.utils.data_pipeline.provides("ssl_layers")
    def ssl_pipeline(wav):
        return cache.load(wav)  # a training recording: clean or one of its copies

    return ssl_pipeline


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


def prepare_data(hparams):
    """Runs ``prepare_emotion_data`` on the main process (unless ``skip_prep``)."""
    prepare_on_main(prepare_emotion_data, hparams)


# Recipe begins!
if __name__ == "__main__":
    # Reading command line arguments, loading the YAML with the overrides
    # (typos, malformed or wrongly typed overrides are refused with a one-line
    # error), creating the experiment directory.
    hparams_file, run_opts, overrides = sb.parse_arguments(sys.argv[1:])
    hparams = load_experiment(hparams_file, run_opts, overrides)

    # Data preparation (corpus generation for the embedded default), on the
    # main process only. Bad data gives a one-line error, not a traceback.
    prepare_data(hparams)

    # Every problem of the manifests (missing audio file, unknown label,
    # duplicate ID, ...) is reported at once, before training starts.
    rows = check_manifests(
        hparams, EMOTION_MANIFEST, allowed={"emo": hparams["emotions"]}
    )
    if getattr(hparams["model"], "regressor", None) is not None:  # dimensions
        with one_line_errors(hparams):
            check_dimension_columns(rows)

    # Create dataset objects "train", "valid", and "test".
    with one_line_errors(hparams):
        ssl_cache = recipe_feature_cache(hparams)
        datasets, label_encoder = dataio_prepare(hparams, ssl_cache)
        configure_class_weights(hparams, datasets["train"])
        # Fine-tuning (init_from): a published model's weights start training
        # (its optimizer gives the pretrained part its own learning rate).
        finetuning = setup_finetuning(hparams)
    opt_class = hparams["opt_class"]
    if finetuning is not None:
        opt_class = finetuning.optimizer(opt_class)

    emotion_brain = EmotionBrain(
        modules=hparams["modules"],
        opt_class=opt_class,
        hparams=hparams,
        run_opts=run_opts,
        checkpointer=hparams["checkpointer"],
        finetuning=finetuning,
    )

    # Training (resumed from the checkpoints where a run stopped), then the
    # test of the checkpoint with the best validation UA.
    fit_and_test(emotion_brain, datasets)

    # Export the best model as an inference folder (loadable with
    # EmotionRecognizer.from_hparams, publishable to the Hub), on the main
    # process.
    export = dict(
        title="LSTM speech emotion recognition",
        task="Speech Emotion Recognition",
        interface="speechbrain_lstm_ser.inference.EmotionRecognizer",
        # category_weight: 0 trains the dimensions alone: the folder says that
        # its classifier is untrained (inference then gives no label).
        classifier_trained=not (
            emotion_brain.dimensions is not None and emotion_brain.dimensions.alone
        ),
    )
    export_on_main(export_classifier, hparams, label_encoder, **export)

    # Late fusion (functionals_fusion): the exported model's functionals
    # classifier and weights are fitted and tested, then exported with it.
    if fuses(hparams, export["classifier_trained"]):
        with one_line_errors(hparams):
            sb.utils.distributed.run_on_main(fuse_exported_model, args=[hparams])
        export_on_main(export_classifier, hparams, label_encoder, **export)
