"""End-of-stage bookkeeping that every recipe of the project does the same way.

A recipe's ``Brain.on_stage_end`` computes its own statistics (UA, accuracy,
WER, ...); what it does with them after a validation epoch is common to all:
anneal the learning rate, log the epoch, record it in the checkpointed
:class:`~speechbrain_lstm_ser.training.history.TrainingHistory`, redraw
``train_curves.png`` and save a checkpoint that keeps the best ones.
:func:`end_validation_epoch` does exactly that; :func:`training_summary` and
:func:`run_facts` give the facts about the run that every
``test_report.json`` carries.

Both expect the hparams names of the project's YAML files: ``lr_annealing``,
``train_logger``, ``history``, ``output_folder``, ``epoch_counter``,
``dataset``.

:class:`Brain` is the base of the recipes' Brains: ``sb.Brain`` that also
trains under ``torchrun`` on CPUs (the gloo backend).

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import os
import time

import speechbrain as sb
import torch

from speechbrain_lstm_ser.evaluation.plots import plot_training_curves

__all__ = ["Brain", "end_validation_epoch", "run_facts", "training_summary"]


class Brain(sb.Brain):
    """``speechbrain.Brain`` that also trains distributed on CPUs.

    SpeechBrain 1.1.2 turns every BatchNorm into a ``SyncBatchNorm`` when it
    wraps modules for DDP, and PyTorch runs ``SyncBatchNorm`` on GPUs only, so
    ``torchrun ... --distributed_backend gloo`` fails on CPUs. Here, on CPUs,
    each process keeps plain BatchNorm (statistics of its own batch; DDP
    broadcasts the main process's running statistics). On GPUs nothing
    changes. Everything else is ``speechbrain.Brain``.

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
    """

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

    Arguments
    ---------
    brain : speechbrain.Brain
        The recipe's Brain; ``brain.train_loss`` holds the epoch's training
        loss and ``brain.epoch_start`` its start time.
    epoch : int
        The epoch that ended.
    stats : dict
        Validation statistics, logged and stored as checkpoint metadata.
    annealing_value : float
        What the learning-rate scheduler takes (the epoch for epoch-based
        schedulers, the validation metric for ``NewBobScheduler``).
    curve_stats : dict
        Statistics recorded in the history (``train_loss``, ``valid_loss``,
        ``lr`` and ``epoch_time_s`` are added).
    plot_metric : str
        The history column drawn in ``train_curves.png`` (values in [0, 1]).
    keep : dict
        How the checkpointer picks the checkpoint to keep, e.g.
        ``{"max_keys": ["UA"]}`` or ``{"min_keys": ["WER"]}``.
    """
    hparams = brain.hparams
    old_lr, new_lr = hparams.lr_annealing(annealing_value)
    sb.nnet.schedulers.update_learning_rate(brain.optimizer, new_lr)
    hparams.train_logger.log_stats(
        stats_meta={"epoch": epoch, "lr": old_lr},
        train_stats={"loss": brain.train_loss},
        valid_stats=stats,
    )
    hparams.history.append(
        epoch,
        train_loss=brain.train_loss,
        valid_loss=stats["loss"],
        **curve_stats,
        lr=old_lr,
        epoch_time_s=time.time() - brain.epoch_start,
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
        time of the recorded epochs).

    Example
    -------
    >>> from speechbrain_lstm_ser.training.history import TrainingHistory
    >>> history = TrainingHistory()
    >>> history.append(1, epoch_time_s=20.0)
    >>> history.append(2, epoch_time_s=22.5)
    >>> training_summary(history)
    {'epochs_trained': 2, 'train_time_s': 42.5}
    """
    return {
        "epochs_trained": len(history.epochs),
        "train_time_s": round(sum(history.column("epoch_time_s")), 1),
    }


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
        checkpoint), ``epochs_trained`` and ``train_time_s``.
    """
    return {
        "dataset": hparams.dataset,
        "synthetic_corpus": hparams.dataset == "embedded",
        "epoch_loaded": hparams.epoch_counter.current,
        **trained,
    }
