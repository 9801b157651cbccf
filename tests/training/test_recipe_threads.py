"""The recipes' ``num_threads``: set once the experiment is loaded."""

from pathlib import Path

import pytest
import torch

from speechbrain_lstm_ser.training.hparams import load_settings
from speechbrain_lstm_ser.training.recipe import load_experiment

HPARAMS = Path(__file__).resolve().parents[2] / "hparams"


# Each test starts with nothing applied and leaves torch as it found it.
pytestmark = pytest.mark.usefixtures("restore_threads")


@pytest.mark.parametrize("yaml", ["lstm.yaml", "asr_lstm.yaml", "commands_lstm.yaml"])
def test_every_recipe_yaml_chooses_its_threads(yaml):
    assert load_settings(HPARAMS / yaml)["num_threads"] == "auto"


def test_num_threads_is_applied(tmp_path):
    torch.set_num_threads(2)
    overrides = f"output_folder: {tmp_path}\nnum_threads: 1\nskip_prep: True"
    load_experiment(str(HPARAMS / "commands_lstm.yaml"), {}, overrides)
    assert torch.get_num_threads() == 1


def test_a_bad_num_threads_is_one_error_line(tmp_path):
    overrides = f"output_folder: {tmp_path}\nnum_threads: lots"
    with pytest.raises(SystemExit, match="^error: num_threads: threads must be a "):
        load_experiment(str(HPARAMS / "commands_lstm.yaml"), {}, overrides)
