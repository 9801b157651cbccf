"""Reading what earlier versions wrote (speechbrain_lstm_ser.hub.legacy).

The folders exported before the task models are read in
tests/nnet/test_models.py (test_a_folder_exported_before_the_task_models_loads,
test_a_run_of_the_former_yaml_loads_as_a_task_model), through the loaders
that apply these upgrades.
"""

import pytest
import torch
from speechbrain.lobes.features import Fbank
from speechbrain.processing.features import InputNormalization

from speechbrain_lstm_ser.hub.legacy import accept_earlier_versions
from speechbrain_lstm_ser.nnet.encoders import CRNNEncoder, LSTMEncoder
from speechbrain_lstm_ser.nnet.heads import ClassificationHead, CTCHead
from speechbrain_lstm_ser.nnet.models import CTCModel, UtteranceClassifierModel
from speechbrain_lstm_ser.nnet.pooling import AttentiveStatisticsPooling


def _tiny_classifier(hidden=6):
    return UtteranceClassifierModel(
        Fbank(n_mels=10),
        InputNormalization(norm_type="sentence"),
        LSTMEncoder(10, hidden),
        AttentiveStatisticsPooling(2 * hidden, 4),
        ClassificationHead(4 * hidden, 3, 8),
    ).eval()


def _tiny_ctc():
    return CTCModel(
        Fbank(n_mels=10),
        InputNormalization(norm_type="sentence"),
        CRNNEncoder(10, [4], hidden_size=6, time_stride=2, dnn_sizes=[8]),
        CTCHead(8, vocab_size=5),
    ).eval()


@pytest.mark.parametrize(
    ("build", "legacy"),
    [
        (_tiny_classifier, ("encoder", "pooling", "classifier")),
        (_tiny_ctc, ("encoder", "ctc_head")),
    ],
)
def test_training_checkpoints_of_the_former_module_list_load(build, legacy):
    trained, fresh = build(), build()
    old = torch.nn.ModuleList([getattr(trained, name) for name in legacy])
    accept_earlier_versions([fresh])
    fresh.load_state_dict(old.state_dict(), strict=True)
    for name, value in trained.state_dict().items():
        assert torch.equal(fresh.state_dict()[name], value), name


def test_a_head_saved_before_the_temperature_loads_with_one():
    trained = _tiny_classifier()
    trained.classifier.set_temperature(2.0)
    state = trained.state_dict()
    del state["classifier.temperature"]
    fresh = _tiny_classifier()
    fresh.classifier.set_temperature(3.0)
    with pytest.raises(RuntimeError, match="temperature"):
        fresh.load_state_dict(state, strict=True)  # the model alone: refused
    accept_earlier_versions([fresh])
    accept_earlier_versions([fresh])  # once is enough; twice changes nothing
    fresh.load_state_dict(state, strict=True)
    assert float(fresh.classifier.temperature) == 1.0
    for name, value in state.items():
        assert torch.equal(fresh.state_dict()[name], value), name


def test_a_current_state_is_loaded_unchanged():
    trained, fresh = _tiny_classifier(), _tiny_classifier()
    trained.classifier.set_temperature(1.5)
    accept_earlier_versions([fresh])
    fresh.load_state_dict(trained.state_dict(), strict=True)
    for name, value in trained.state_dict().items():
        assert torch.equal(fresh.state_dict()[name], value), name
