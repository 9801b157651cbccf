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


@pytest.mark.parametrize("atomic", [True, False])
def test_the_temperature_is_stored_in_the_best_checkpoint_only(tmp_path, atomic):
    import torch
    from speechbrain.utils.checkpoints import Checkpointer

    from speechbrain_lstm_ser.nnet.heads import ClassificationHead
    from speechbrain_lstm_ser.training.calibration import TemperatureCalibrator
    from speechbrain_lstm_ser.training.checkpoints import AtomicCheckpointer

    head = ClassificationHead(input_size=4, num_classes=2)
    counter = torch.nn.Linear(1, 1)  # another recoverable, saved unchanged
    kind = AtomicCheckpointer if atomic else Checkpointer
    checkpointer = kind(tmp_path, {"model": head, "other": counter})
    best = checkpointer.save_checkpoint(meta={"UA": 0.9})
    checkpointer.save_checkpoint(meta={"UA": 0.5})  # the latest, not the best
    checkpointer.recover_if_possible(max_key="UA")
    calibrator = TemperatureCalibrator(head, checkpointer)
    head.set_temperature(2.5)
    calibrator.store(max_key="UA")

    found = checkpointer.find_checkpoints()
    assert len(found) == 2  # stored in place: no new checkpoint
    stored = checkpointer.find_checkpoint(max_key="UA")
    assert stored.path == best.path and stored.meta == best.meta  # time stamp kept
    assert checkpointer.find_checkpoint().meta["UA"] == 0.5  # still the latest
    other = checkpointer.find_checkpoint(min_key="UA")
    for ckpt, expected in ((stored, 2.5), (other, 1.0)):
        state = torch.load(ckpt.paramfiles["model"], map_location="cpu")
        assert float(state["temperature"]) == expected
    assert not list(tmp_path.glob(".staging/CKPT*"))
