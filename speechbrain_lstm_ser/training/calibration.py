"""Calibrating a trained classifier: the temperature of its best checkpoint.

With ``calibrate: True`` in a classification YAML, after training, the
checkpoint that testing will load is calibrated by **temperature scaling**
(:func:`~speechbrain_lstm_ser.evaluation.calibration.fit_temperature`): its
log-probabilities on the validation split give ``T``, which is set in the
model's head (a :class:`~speechbrain_lstm_ser.nnet.heads.ClassificationHead`
keeps it as a buffer, saved with the model) and stored in that checkpoint,
so that testing, the exported model and a reloaded checkpoint all apply it.

:class:`TemperatureCalibrator` does the fitting and the storing; the
classification Brain runs the validation pass that feeds it
(:meth:`~speechbrain_lstm_ser.training.classification.ClassifierBrain.calibrate`).
The checkpoint is stored again through the checkpointer's public
``save_checkpoint``, under its own name and with its own meta data (its
time stamp included), so it stays the one that is recovered.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import torch
from speechbrain.utils.checkpoints import CKPT_PREFIX, Checkpointer

from speechbrain_lstm_ser.evaluation.calibration import (
    expected_calibration_error,
    fit_temperature,
    negative_log_likelihood,
    scale_log_probs,
)

__all__ = ["TemperatureCalibrator", "temperature_head"]


def temperature_head(model: torch.nn.Module | None) -> torch.nn.Module | None:
    """The model's classification head, if it holds a ``temperature``.

    Arguments
    ---------
    model : torch.nn.Module or None
        A task model (its head is ``model.classifier``).

    Returns
    -------
    torch.nn.Module or None
        The head, e.g. a
        :class:`~speechbrain_lstm_ser.nnet.heads.ClassificationHead`; None
        for no model or a head without ``set_temperature``.

    Example
    -------
    >>> temperature_head(torch.nn.Linear(2, 2)) is None
    True
    """
    head = getattr(model, "classifier", None)
    return head if hasattr(head, "set_temperature") else None


class TemperatureCalibrator:
    """Fits the temperature of a head and stores it in a checkpoint.

    Arguments
    ---------
    head : torch.nn.Module
        A head with a ``temperature`` and ``set_temperature`` (see
        :func:`temperature_head`).
    checkpointer : speechbrain.utils.checkpoints.Checkpointer, optional
        Where the calibrated checkpoint is stored (nothing is stored without).

    Example
    -------
    >>> from speechbrain_lstm_ser.nnet.heads import ClassificationHead
    >>> head = ClassificationHead(input_size=4, num_classes=2)
    >>> calibrator = TemperatureCalibrator(head)
    >>> log_probs = torch.log(torch.tensor([[0.99, 0.01]] * 3 + [[0.01, 0.99]]))
    >>> fit = calibrator.fit(log_probs, torch.tensor([0, 0, 1, 1]))
    >>> calibrator.temperature > 1.0  # over-confident: softened
    True
    >>> fit["fitted_on"], fit["valid_utterances"]
    ('valid', 4)
    """

    def __init__(self, head: torch.nn.Module, checkpointer: Checkpointer | None = None):
        self.head = head
        self.checkpointer = checkpointer
        #: What :meth:`fit` found (None before).
        self.result: dict | None = None

    @property
    def temperature(self) -> float:
        """The head's temperature."""
        return float(self.head.temperature)

    def reset(self) -> None:
        """Back to temperature 1 (training, and before fitting)."""
        self.head.set_temperature(1.0)

    def fit(self, log_probs: torch.Tensor, targets: torch.Tensor) -> dict:
        """Fits ``T`` on validation outputs at temperature 1 and sets it in the head.

        Arguments
        ---------
        log_probs : torch.Tensor
            ``(batch, classes)`` log-probabilities of the validation split,
            computed at temperature 1.
        targets : torch.Tensor
            ``(batch,)`` class indices.

        Returns
        -------
        dict
            ``fitted_on``, ``valid_utterances``, and the validation NLL and
            ECE before and after scaling (also kept in :attr:`result`).
        """
        temperature = fit_temperature(log_probs, targets)
        self.head.set_temperature(temperature)
        scaled = scale_log_probs(log_probs.double(), temperature)
        self.result = {
            "fitted_on": "valid",
            "valid_utterances": len(targets),
            "valid_nll_before": negative_log_likelihood(log_probs, targets),
            "valid_nll_after": negative_log_likelihood(scaled, targets),
            "valid_ece_before": expected_calibration_error(log_probs, targets),
            "valid_ece_after": expected_calibration_error(scaled, targets),
        }
        return self.result

    def store(self, **best) -> None:
        """Saves the recovered checkpoint again, with the head's temperature.

        Call it on every process (as ``Checkpointer.save_checkpoint``), with
        the state of the checkpoint recovered: every recoverable is saved
        as it is, under the checkpoint's own name and meta data.

        Arguments
        ---------
        **best
            ``max_key=...`` or ``min_key=...``: the checkpoint to store.
        """
        if self.checkpointer is None:
            return
        ckpt = self.checkpointer.find_checkpoint(**best)
        if ckpt is None:
            return
        self.checkpointer.save_checkpoint(
            meta=ckpt.meta,
            end_of_epoch=ckpt.meta.get("end-of-epoch", True),
            name=ckpt.path.name.removeprefix(f"{CKPT_PREFIX}+"),
        )

    def log_line(self) -> tuple[dict, dict]:
        """The ``stats_meta`` and ``valid_stats`` of the training log's line."""
        fit = self.result or {}
        meta = {"calibration": "temperature scaling", "T": f"{self.temperature:.4f}"}
        stats = {
            "NLL before": fit.get("valid_nll_before"),
            "NLL after": fit.get("valid_nll_after"),
            "ECE before": fit.get("valid_ece_before"),
            "ECE after": fit.get("valid_ece_after"),
        }
        return meta, stats
