"""The Brain every recipe of the project builds on, and its stage hooks.

A recipe's Brain computes the forward pass and the loss, and says which
statistics a stage yields and how a test report is written; what happens
around that is the same for every task and lives here, in :class:`Brain`:

- the training stage is timed and counts the seconds of audio it trained on,
  so every epoch logs its duration and its throughput (seconds of audio per
  second of training);
- after a validation epoch, :func:`end_validation_epoch` anneals the learning
  rate, logs the epoch, records it in the checkpointed
  :class:`~speechbrain_lstm_ser.training.history.TrainingHistory`, redraws
  ``train_curves.png`` and saves a checkpoint that keeps the best ones;
- after the test, the statistics are logged and the report is written, once,
  by the main process;
- speaker and utterance IDs can be replaced by salted pseudonyms.

:func:`training_summary` and :func:`run_facts` give the facts about the run
that every ``test_report.json`` carries.

All of it expects the hparams names of the project's YAML files:
``lr_annealing``, ``train_logger``, ``history``, ``output_folder``,
``epoch_counter``, ``dataset``, ``sample_rate``. The keys a YAML may leave
out are read once, with their defaults, into :class:`RecipeOptions`
(``brain.options``).

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Mapping

import speechbrain as sb
import torch

from speechbrain_lstm_ser.dataio.loader_augmentation import (
    LOADER_INPUT_SAMPLES,
    AugmentingCollate,
    loader_augmented,
    loader_preprocessed,
)
from speechbrain_lstm_ser.evaluation.plots import plot_training_curves
from speechbrain_lstm_ser.evaluation.privacy import Pseudonymizer, load_or_create_salt
from speechbrain_lstm_ser.nnet.models import PREPROCESS, preprocess_waveforms
from speechbrain_lstm_ser.processing.preprocess_cache import PreprocessCache

__all__ = [
    "Brain",
    "RecipeOptions",
    "end_validation_epoch",
    "run_facts",
    "training_summary",
]


@dataclasses.dataclass(frozen=True)
class RecipeOptions:
    """The keys a recipe's YAML may leave out, with their defaults.

    Read once from the hyperparameters (:meth:`from_hparams`): the Brains
    read these fields instead of optional keys of ``hparams``.

    Example
    -------
    >>> options = RecipeOptions.from_hparams({"calibrate": True, "lr": 0.1})
    >>> options.calibrate, options.normalization_reference
    (True, 'utterance')
    """

    #: Fit the temperature of the best checkpoint after training.
    calibrate: bool = False
    #: What the features are measured against: ``utterance`` or ``speaker``.
    normalization_reference: str = "utterance"
    #: Speaker mode, training: the share of utterances that are their own
    #: reference.
    reference_self_prob: float = 0.0
    #: Salted pseudonyms instead of speaker and utterance IDs in reports.
    pseudonymize_speakers: bool = False
    #: Where the pseudonyms' salt is kept.
    pseudonym_salt_file: str | None = None
    #: PyTorch threads: a count, ``auto`` or None (PyTorch's default).
    num_threads: int | str | None = None
    #: A published model to fine-tune from (a folder or Hub repo id).
    init_from: str | None = None
    #: Its signature policy: ``auto``, ``required`` or ``off``.
    init_from_verify: str = "auto"
    #: Public keys of the signers trusted for ``init_from``.
    init_from_trusted_keys: tuple = ()
    #: Epochs for which the fine-tuned encoder stays frozen.
    freeze_encoder_epochs: int = 0
    #: Learning rate of the pretrained part, relative to the rest.
    pretrained_lr_scale: float = 1.0
    #: Weight of the dimensional (CCC) loss; 0: no regression head.
    dimension_weight: float = 0.0
    #: Weight of the categorical cross-entropy (0: dimensions alone).
    category_weight: float = 1.0
    #: Bootstrap resamples of the test report's dimension intervals.
    dimension_bootstrap: int = 1000
    #: Weight of the speaker adversary's loss; 0: no adversary.
    speaker_adversary_weight: float = 0.0
    #: Its gradient reversal's final scale.
    speaker_adversary_scale: float = 1.0
    #: How fast the reversal scale rises to it (0: constant).
    speaker_adversary_ramp: float = 10.0
    #: The adversary's learning rate, as a share of ``lr``.
    speaker_adversary_lr_scale: float = 1.0
    #: Pre-process and augment training batches in the data loader
    #: (:mod:`~speechbrain_lstm_ser.dataio.loader_augmentation`).
    augment_in_loader: bool = False
    #: Pre-process training batches in the data loader, augment them in the
    #: step (the same batches and draws; overlapped with ``num_workers > 0``).
    preprocess_in_loader: bool = False
    #: Memory budget (MiB) for the pre-processed waveforms of training and
    #: validation utterances, kept after their first pass; 0: no cache
    #: (:mod:`~speechbrain_lstm_ser.processing.preprocess_cache`).
    preprocess_cache_mb: float = 0.0

    def training_collate(
        self, augment: bool, preprocess: bool, loader_kwargs: Mapping
    ) -> bool | None:
        """Whether the training loader collates with an ``AugmentingCollate``.

        Arguments
        ---------
        augment : bool
            The YAML's ``augment`` (training-time augmentation at all).
        preprocess : bool
            Whether the modules hold a ``preprocess`` module.
        loader_kwargs : mapping
            The training loader's options; a ``collate_fn`` there wins.

        Returns
        -------
        bool or None
            None: SpeechBrain's own collation; True: the loader also augments
            (``augment_in_loader``); False: it only pre-processes
            (``preprocess_in_loader``).

        Example
        -------
        >>> options = RecipeOptions(preprocess_in_loader=True)
        >>> options.training_collate(True, True, {})
        False
        >>> print(options.training_collate(True, True, {"collate_fn": print}))
        None
        """
        if "collate_fn" in loader_kwargs:
            return None
        if self.augment_in_loader and augment:
            return True
        if self.preprocess_in_loader and preprocess:
            return False
        return None

    @classmethod
    def from_hparams(cls, hparams) -> RecipeOptions:
        """The options of loaded hyperparameters (a mapping or a namespace).

        Arguments
        ---------
        hparams : mapping or object or None
            E.g. a Brain's ``hparams`` namespace.

        Returns
        -------
        RecipeOptions
        """
        if hparams is None:
            return cls()
        values = hparams if isinstance(hparams, Mapping) else vars(hparams)
        names = [f.name for f in dataclasses.fields(cls)]
        return cls(**{name: values[name] for name in names if name in values})


class Brain(sb.Brain):
    """``speechbrain.Brain`` with the stage hooks that every recipe shares.

    A recipe's Brain implements ``compute_forward`` and
    ``compute_objectives`` as usual, plus three small hooks:

    - :meth:`new_metrics`: the metric tracker of a validation or test stage,
      kept in ``self.metrics`` for ``compute_objectives`` to fill;
    - :meth:`stage_stats`: the statistics of a finished validation or test
      stage (logged, and stored as checkpoint metadata);
    - :meth:`write_test_report`: writes ``test_report.json`` and friends.

    Class attributes say how the best checkpoint is chosen (``best_key``,
    ``best_max``), what ``train_curves.png`` draws (``plot_metric``) and what
    the learning-rate scheduler takes (``anneal_with``: ``"epoch"``, or a
    statistic such as ``"loss"`` for ``NewBobScheduler``).

    It also trains distributed on CPUs: SpeechBrain 1.1.2 turns every
    BatchNorm into a ``SyncBatchNorm`` when it wraps modules for DDP, and
    PyTorch runs ``SyncBatchNorm`` on GPUs only, so ``torchrun ...
    --distributed_backend gloo`` fails on CPUs. Here, on CPUs, each process
    keeps plain BatchNorm (statistics of its own batch; DDP broadcasts the
    main process's running statistics). On GPUs nothing changes.

    Example
    -------
    >>> import torch
    >>> class Tiny(Brain):
    ...     def compute_forward(self, batch, stage):
    ...         return self.modules.model(batch[0])
    ...     def compute_objectives(self, predictions, batch, stage):
    ...         return torch.nn.functional.mse_loss(predictions, batch[1])
    >>> brain = Tiny(
    ...     {"model": torch.nn.Linear(3, 1)}, lambda p: torch.optim.SGD(p, 0.1)
    ... )
    >>> brain.fit(range(1), [(torch.ones(4, 3), torch.zeros(4, 1))])
    >>> brain.train_audio_s  # batches without a `sig` carry no audio
    0.0
    """

    #: The validation statistic that picks the checkpoint to keep and test.
    best_key = "loss"
    #: Whether a higher ``best_key`` is better.
    best_max = False
    #: The history column drawn in ``train_curves.png`` (values in [0, 1]).
    plot_metric = "valid_loss"
    #: What the learning-rate scheduler takes: "epoch" or a statistic's name.
    anneal_with = "epoch"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        #: The optional keys of the YAML, with their defaults.
        self.options = RecipeOptions.from_hparams(getattr(self, "hparams", None))
        #: Pre-processed training and validation waveforms, or None.
        self.preprocess_cache = None
        # (a negative budget is refused by name, not taken for 0)
        if self.options.preprocess_cache_mb != 0 and PREPROCESS in self.modules:
            PreprocessCache.check(self.modules[PREPROCESS])
            self.preprocess_cache = PreprocessCache(self.options.preprocess_cache_mb)

    # ------------------------------------------------------------ hooks ----
    def new_metrics(self, stage):
        """The metric tracker of a validation or test stage (``self.metrics``).

        Arguments
        ---------
        stage : speechbrain.Stage
            ``VALID`` or ``TEST``.

        Returns
        -------
        object or None
            Filled by ``compute_objectives``; None when the recipe keeps none.
        """
        return None

    def stage_stats(self, stage, stage_loss: float) -> dict:
        """The statistics of a finished validation or test stage.

        Arguments
        ---------
        stage : speechbrain.Stage
            ``VALID`` or ``TEST``.
        stage_loss : float
            The stage's average loss.

        Returns
        -------
        dict
            Logged, and stored as checkpoint metadata; holds ``loss`` and
            ``best_key``.
        """
        return {"loss": stage_loss}

    def curve_stats(self, stats: dict) -> dict:
        """What a validation epoch adds to the history: ``valid_<statistic>``.

        Arguments
        ---------
        stats : dict
            From :meth:`stage_stats`.

        Returns
        -------
        dict
            History columns (``train_loss``, ``valid_loss``, ``lr`` and the
            timing columns are added by :func:`end_validation_epoch`).
        """
        return {f"valid_{k}": v for k, v in stats.items() if k != "loss"}

    def write_test_report(self, stats: dict, stage_loss: float) -> None:
        """Writes the test report (called on the main process only).

        Arguments
        ---------
        stats : dict
            From :meth:`stage_stats` for the test stage.
        stage_loss : float
            The test loss.
        """

    def prepare_references(self, datasets, loader_kwargs) -> None:
        """Collects what a stage needs from whole datasets before training.

        Nothing here; e.g. the classification Brain collects speaker
        statistics for speaker normalisation.

        Arguments
        ---------
        datasets : mapping
            ``train``, ``valid`` and ``test`` datasets.
        loader_kwargs : mapping
            Data loader options for a pass over them.
        """

    # ------------------------------------------------- shared behaviour ----
    @property
    def pseudonyms(self) -> tuple[Pseudonymizer, Pseudonymizer]:
        """Speaker and utterance pseudonymizers (identity unless switched on).

        ``pseudonymize_speakers: True`` in the YAML replaces the IDs of
        reports by salted pseudonyms (``spk-...``, ``utt-...``); the salt is
        kept in ``pseudonym_salt_file``.
        """
        if not hasattr(self, "_pseudonyms"):
            salt = None
            if self.options.pseudonymize_speakers:
                salt = load_or_create_salt(self.options.pseudonym_salt_file)
            self._pseudonyms = (
                Pseudonymizer(salt, "spk-"),
                Pseudonymizer(salt, "utt-"),
            )
        return self._pseudonyms

    def model_waveforms(self, batch, stage) -> tuple[torch.Tensor, torch.Tensor]:
        """The model's input: ``batch.sig`` pre-processed, and augmented in training.

        What the training loader already did (``augment_in_loader``,
        ``preprocess_in_loader``) is not done again.

        Arguments
        ---------
        batch : speechbrain.dataio.batch.PaddedBatch
            With ``sig`` = (waveforms ``(batch, time)``, relative lengths
            ``lens`` in [0, 1]).
        stage : speechbrain.Stage
            Only ``TRAIN`` augments (with ``augment: True``).

        Returns
        -------
        wavs : torch.Tensor
            ``(batch, time')``.
        lens : torch.Tensor
            ``(batch,)`` relative lengths.
        """
        if loader_augmented(batch):
            return batch.sig
        if loader_preprocessed(batch):
            wavs, lens = batch.sig
        else:
            wavs, lens = self.preprocessed(batch, stage)
        if self._step_augments(batch, stage):
            wavs, lens = self.hparams.wav_augment(wavs, lens)
        return wavs, lens

    def preprocessed(self, batch, stage) -> tuple[torch.Tensor, torch.Tensor]:
        """``batch.sig`` through the ``preprocess`` module, or from the cache.

        With ``preprocess_cache_mb > 0``, training and validation batches
        are assembled from each utterance's kept result after its first pass
        (the same batch, bit for bit on the CPU); test batches, seen once,
        are pre-processed as they come.

        Arguments
        ---------
        batch : speechbrain.dataio.batch.PaddedBatch
            With ``sig`` = (waveforms ``(batch, time)``, relative lengths
            ``lens`` in [0, 1]) and the utterances' ``id``.
        stage : speechbrain.Stage
            The stage the batch belongs to (part of the cache's keys).

        Returns
        -------
        tuple of torch.Tensor
            ``(wavs, lens)`` as :meth:`model_waveforms` gives them, before
            any augmentation.
        """
        cache = self.preprocess_cache
        if cache is None or stage == sb.Stage.TEST or not hasattr(batch, "id"):
            return preprocess_waveforms(self.modules, *batch.sig)
        keys = [(stage, utterance) for utterance in batch.id]
        return cache(self.modules[PREPROCESS], keys, *batch.sig)

    def _step_augments(self, batch, stage) -> bool:
        """Whether this step runs ``wav_augment`` (training, not done by the loader)."""
        return (
            stage == sb.Stage.TRAIN
            and self.hparams.augment
            and not loader_augmented(batch)
        )

    def label_replicator(self, batch, stage):
        """``wav_augment.replicate_labels`` if this step augmented the batch, else None.

        The labels must follow an augmentation that changes the batch size;
        a batch augmented by the loader kept its size.

        Arguments
        ---------
        batch : speechbrain.dataio.batch.PaddedBatch
            The step's batch.
        stage : speechbrain.Stage
            The step's stage.

        Returns
        -------
        callable or None
        """
        if not self._step_augments(batch, stage):
            return None
        return self.hparams.wav_augment.replicate_labels

    def make_dataloader(
        self, dataset, stage, ckpt_prefix="dataloader-", **loader_kwargs
    ):
        """SpeechBrain's loader; the training one may pre-process and augment.

        With ``augment_in_loader`` (and ``augment``) its ``collate_fn`` is an
        :class:`~speechbrain_lstm_ser.dataio.loader_augmentation.AugmentingCollate`
        of the YAML's ``wav_augment`` and the ``preprocess`` module; else, with
        ``preprocess_in_loader``, one of the ``preprocess`` module alone
        (unless the loader options name their own ``collate_fn``).
        """
        preprocess = self.modules[PREPROCESS] if PREPROCESS in self.modules else None
        # (hparams.augment is read only with augment_in_loader: a Brain
        # without hparams keeps SpeechBrain's own loader)
        augment = self.options.augment_in_loader and self.hparams.augment
        augmenting = self.options.training_collate(
            augment, preprocess is not None, loader_kwargs
        )
        if (
            stage == sb.Stage.TRAIN
            and augmenting is not None
            and isinstance(dataset, sb.dataio.dataset.DynamicItemDataset)
        ):
            loader_kwargs["collate_fn"] = AugmentingCollate(
                self.hparams.wav_augment if augmenting else None, preprocess
            )
        return super().make_dataloader(dataset, stage, ckpt_prefix, **loader_kwargs)

    def batch_audio_seconds(self, batch) -> float:
        """Seconds of audio in a batch: relative lengths x padded length / rate.

        The audio as read: a batch the loader pre-processed (and trimmed)
        counts what it held before.

        Arguments
        ---------
        batch : speechbrain.dataio.batch.PaddedBatch
            With ``sig`` = (waveforms ``(batch, time)``, relative lengths
            ``lens`` in [0, 1]); other batches count as no audio.

        Returns
        -------
        float
        """
        sig = getattr(batch, "sig", None)
        if sig is None:
            return 0.0
        samples = getattr(batch, LOADER_INPUT_SAMPLES, None)
        if samples is None:
            wavs, lens = sig
            samples = float(lens.sum()) * wavs.shape[1]
        return samples / self.hparams.sample_rate

    def fit_batch(self, batch):
        """Counts the batch's seconds of audio, then trains on it."""
        self.train_audio_s += self.batch_audio_seconds(batch)
        return super().fit_batch(batch)

    def on_stage_start(self, stage, epoch=None):
        """Starts the epoch's clock, or sets up the stage's metric tracker."""
        if stage == sb.Stage.TRAIN:
            self.epoch_start = time.time()
            self.train_audio_s = 0.0
        else:
            self.metrics = self.new_metrics(stage)

    def on_stage_end(self, stage, stage_loss, epoch=None):
        """Logs, anneals the learning rate, checkpoints, and writes the report."""
        if stage == sb.Stage.TRAIN:
            self.train_loss = stage_loss
            self.train_time_s = time.time() - self.epoch_start
            # Every process trained on its share: the audio of all of them.
            self.train_audio_s = float(
                sb.utils.distributed.ddp_all_reduce(
                    torch.tensor(self.train_audio_s, dtype=torch.float64),
                    torch.distributed.ReduceOp.SUM,
                )
            )
            return
        stats = self.stage_stats(stage, stage_loss)
        if stage == sb.Stage.VALID:
            end_validation_epoch(
                self,
                epoch,
                stats,
                annealing_value=epoch
                if self.anneal_with == "epoch"
                else stats[self.anneal_with],
                curve_stats=self.curve_stats(stats),
                plot_metric=self.plot_metric,
                keep={("max_keys" if self.best_max else "min_keys"): [self.best_key]},
            )
        elif stage == sb.Stage.TEST:
            self.hparams.train_logger.log_stats(
                stats_meta={"Epoch loaded": self.hparams.epoch_counter.current},
                test_stats=stats,
            )
            if sb.utils.distributed.if_main_process():
                self.write_test_report(stats, stage_loss)

    def _wrap_distributed(self):
        """DDP-wraps the trainable modules; on CPUs without SyncBatchNorm."""
        if not self.distributed_launch or torch.device(self.device).type != "cpu":
            return super()._wrap_distributed()
        for name, module in self.modules.items():
            if any(p.requires_grad for p in module.parameters()):
                self.modules[name] = torch.nn.parallel.DistributedDataParallel(
                    module, find_unused_parameters=self.find_unused_parameters
                )


def end_validation_epoch(
    brain: sb.Brain,
    epoch: int,
    stats: dict,
    annealing_value: float,
    curve_stats: dict,
    plot_metric: str,
    keep: dict,
) -> None:
    """Anneals, logs, records, plots and checkpoints after a validation epoch.

    The log line and the history get the epoch's duration (``epoch_time_s``:
    training and validation) and the training throughput
    (``audio_seconds_per_second``: the seconds of audio trained on, which
    the history keeps as ``train_audio_s``, over the training stage's time).

    Arguments
    ---------
    brain : speechbrain.Brain
        The recipe's Brain; ``brain.train_loss`` holds the epoch's training
        loss, ``brain.epoch_start`` its start time and, when counted (see
        :class:`Brain`), ``brain.train_audio_s`` and ``brain.train_time_s``
        the audio and the time of its training stage.
    epoch : int
        The epoch that ended.
    stats : dict
        Validation statistics, logged and stored as checkpoint metadata.
    annealing_value : float
        What the learning-rate scheduler takes (the epoch for epoch-based
        schedulers, the validation metric for ``NewBobScheduler``).
    curve_stats : dict
        Statistics recorded in the history (``train_loss``, ``valid_loss``,
        ``lr`` and the timing columns above are added).
    plot_metric : str
        The history column drawn in ``train_curves.png`` (values in [0, 1]).
    keep : dict
        How the checkpointer picks the checkpoint to keep, e.g.
        ``{"max_keys": ["UA"]}`` or ``{"min_keys": ["WER"]}``.
    """
    hparams = brain.hparams
    old_lr, new_lr = hparams.lr_annealing(annealing_value)
    sb.nnet.schedulers.update_learning_rate(brain.optimizer, new_lr)
    timing = {"epoch_time_s": time.time() - brain.epoch_start}
    audio = getattr(brain, "train_audio_s", 0.0)
    seconds = getattr(brain, "train_time_s", 0.0)
    if audio > 0 and seconds > 0:
        timing["train_audio_s"] = audio
        timing["audio_seconds_per_second"] = audio / seconds
    # Plain numbers in the log line (its logger writes floats as 4.51e+02).
    shown = ("epoch_time_s", "audio_seconds_per_second")
    hparams.train_logger.log_stats(
        stats_meta={
            "epoch": epoch,
            "lr": old_lr,
            **{k: f"{v:.1f}" for k, v in timing.items() if k in shown},
        },
        train_stats={"loss": brain.train_loss},
        valid_stats=stats,
    )
    hparams.history.append(
        epoch,
        train_loss=brain.train_loss,
        valid_loss=stats["loss"],
        **curve_stats,
        lr=old_lr,
        **timing,
    )
    if sb.utils.distributed.if_main_process():
        plot_training_curves(
            hparams.history,
            os.path.join(hparams.output_folder, "train_curves.png"),
            metric=plot_metric,
        )
    brain.checkpointer.save_and_keep_only(meta=stats, **keep)


def training_summary(history) -> dict:
    """How long the model was trained: call it after ``fit``, before testing.

    Testing reloads the best checkpoint, and with it the history as it was
    at that epoch; this summary is taken before, from the whole history.

    Arguments
    ---------
    history : speechbrain_lstm_ser.training.history.TrainingHistory
        The checkpointed per-epoch statistics.

    Returns
    -------
    dict
        ``epochs_trained`` and ``train_time_s`` (training and validation
        time of the recorded epochs); where the epochs counted their audio,
        ``audio_seconds_per_second``: all the audio trained on over the time
        of all training stages.

    Example
    -------
    >>> from speechbrain_lstm_ser.training.history import TrainingHistory
    >>> history = TrainingHistory()
    >>> history.append(1, epoch_time_s=20.0)
    >>> history.append(2, epoch_time_s=22.5)
    >>> training_summary(history)
    {'epochs_trained': 2, 'train_time_s': 42.5}
    >>> history.append(3, epoch_time_s=20.0, train_audio_s=900.0,
    ...                audio_seconds_per_second=50.0)
    >>> training_summary(history)["audio_seconds_per_second"]
    50.0
    """
    summary = {
        "epochs_trained": len(history.epochs),
        "train_time_s": round(sum(history.column("epoch_time_s")), 1),
    }
    counted = [
        (e["train_audio_s"], e["train_audio_s"] / e["audio_seconds_per_second"])
        for e in history.epochs
        if e.get("audio_seconds_per_second")
    ]
    if counted:
        audio, seconds = (sum(x) for x in zip(*counted, strict=True))
        summary["audio_seconds_per_second"] = round(audio / seconds, 1)
    return summary


def run_facts(hparams, trained: dict) -> dict:
    """What a test report says about the run besides its metrics.

    Arguments
    ---------
    hparams : SimpleNamespace
        The Brain's hparams.
    trained : dict
        :func:`training_summary` taken after training.

    Returns
    -------
    dict
        ``dataset``, ``synthetic_corpus``, ``epoch_loaded`` (the tested
        checkpoint), ``epochs_trained``, ``train_time_s`` and (when counted)
        ``audio_seconds_per_second``.
    """
    return {
        "dataset": hparams.dataset,
        "synthetic_corpus": hparams.dataset == "embedded",
        "epoch_loaded": hparams.epoch_counter.current,
        **trained,
    }
