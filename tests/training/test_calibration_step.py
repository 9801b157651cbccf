"""The recipe's calibration step refuses, before training, what it cannot do."""

from types import SimpleNamespace

import pytest

from speechbrain_lstm_ser.training.recipe import fit_and_test


class _NoHead:
    """A Brain without a temperature-holding head (e.g. the ASR one)."""

    best_max, best_key = False, "WER"

    def __init__(self, calibrate):
        self.options = SimpleNamespace(calibrate=calibrate)
        self.hparams = SimpleNamespace(
            epoch_counter=None,
            dataloader_options={},
            test_dataloader_options={},
        )
        self.trained = False

    def prepare_references(self, datasets, loader_kwargs):
        """Nothing to collect (no speaker normalisation)."""

    def fit(self, **kwargs):
        self.trained = True
        raise KeyboardInterrupt  # stops the test here: training started


def test_calibrate_without_a_classification_head_stops_before_training():
    brain = _NoHead(calibrate=True)
    with pytest.raises(SystemExit, match="calibrate: True needs a classification"):
        fit_and_test(brain, {})
    assert not brain.trained


def test_without_calibrate_nothing_is_checked():
    brain = _NoHead(calibrate=False)
    with pytest.raises(KeyboardInterrupt):
        fit_and_test(brain, {"train": None, "valid": None})
    assert brain.trained
