"""Reading what earlier versions wrote (speechbrain_lstm_ser.hub.legacy).

Whole folders and runs of earlier versions are read in tests/nnet/test_models.py
(the former ModuleList checkpoints, a run of the former YAML, a folder exported
before the task models), through the loaders that apply these upgrades.
"""

import logging

import pytest
import torch
from speechbrain.utils.checkpoints import DEFAULT_TRANSFER_HOOKS, get_default_hook
from torch import nn

from speechbrain_lstm_ser.hub.legacy import accept_earlier_versions, earlier_versions
from speechbrain_lstm_ser.nnet.heads import ClassificationHead


def _state_without_temperature(seed=0):
    torch.manual_seed(seed)
    head = ClassificationHead(6, 3, 4).eval()
    head.set_temperature(2.0)
    state = head.state_dict()
    del state["temperature"]
    return state


def test_a_head_saved_before_the_temperature_loads_with_t_1(tmp_path):
    # moved from tests/nnet/test_heads_losses.py with the upgrade itself
    from speechbrain_lstm_ser.training.checkpoints import AtomicCheckpointer

    old = ClassificationHead(10, 4, hidden_size=8)
    state = {k: v for k, v in old.state_dict().items() if k != "temperature"}
    new = ClassificationHead(10, 4, hidden_size=8)
    new.set_temperature(3.0)
    with pytest.raises(RuntimeError, match="temperature"):
        new.load_state_dict(state, strict=True)  # the head alone: refused
    accept_earlier_versions([new])
    accept_earlier_versions([new])  # once is enough; twice changes nothing
    new.load_state_dict(state, strict=True)  # no missing key
    assert float(new.temperature) == 1.0
    torch.testing.assert_close(new.output.weight, old.output.weight)
    # nested, as in a model's checkpoint, recovered strictly by SpeechBrain
    model = nn.ModuleDict({"classifier": ClassificationHead(10, 4, hidden_size=8)})
    checkpointer = AtomicCheckpointer(tmp_path, {"model": model})
    ckpt = checkpointer.save_checkpoint()
    saved = torch.load(ckpt.paramfiles["model"])
    del saved["classifier.temperature"]
    torch.save(saved, ckpt.paramfiles["model"])
    model["classifier"].set_temperature(2.0)
    accept_earlier_versions([model])  # as load_hparams does for a YAML's modules
    checkpointer.recover_if_possible()
    assert float(model["classifier"].temperature) == 1.0


def test_a_current_state_is_loaded_unchanged():
    trained, fresh = ClassificationHead(6, 3, 4), ClassificationHead(6, 3, 4)
    trained.set_temperature(1.5)
    accept_earlier_versions([torch.nn.ModuleList([fresh])])  # sub-modules too
    fresh.load_state_dict(trained.state_dict(), strict=True)
    assert float(fresh.temperature) == 1.5


def test_parameter_transfer_accepts_earlier_versions_inside_the_block(tmp_path, caplog):
    path = tmp_path / "classifier.ckpt"
    torch.save(_state_without_temperature(), path)
    original = get_default_hook(ClassificationHead(6, 3, 4), DEFAULT_TRANSFER_HOOKS)
    head = ClassificationHead(6, 3, 4)
    head.set_temperature(3.0)
    with caplog.at_level(logging.WARNING), earlier_versions():
        get_default_hook(head, DEFAULT_TRANSFER_HOOKS)(head, str(path))
    assert float(head.temperature) == 1.0
    assert not [r for r in caplog.records if "temperature" in r.getMessage()]
    after = get_default_hook(ClassificationHead(6, 3, 4), DEFAULT_TRANSFER_HOOKS)
    assert after is original  # restored after the block


def test_the_objects_of_a_training_yaml_accept_earlier_versions(tmp_path):
    from speechbrain_lstm_ser.training.hparams import load_hparams

    path = tmp_path / "hparams.yaml"
    path.write_text(
        "head: !new:speechbrain_lstm_ser.nnet.heads.ClassificationHead [6, 3, 4]\n"
        "modules: {classifier: !ref <head>}\n"
    )
    hparams = load_hparams(path)  # what recipes and load_trained_modules call
    hparams["head"].set_temperature(3.0)
    hparams["head"].load_state_dict(_state_without_temperature(), strict=True)
    assert float(hparams["head"].temperature) == 1.0
