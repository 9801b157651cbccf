"""The recipe refuses pre-processing settings it cannot honour, in one line."""

from pathlib import Path

import pytest

from speechbrain_lstm_ser.training.recipe import load_experiment

HPARAMS = Path(__file__).resolve().parents[2] / "hparams" / "lstm.yaml"

# A preprocess pipeline with a trainable step (one line, as
# `--preprocess "{steps: [...]}"` reaches the YAML).
TRAINABLE = (
    "preprocess: {steps: [!new:torch.nn.Linear {in_features: 2, out_features: 2}]}"
)

pytestmark = pytest.mark.usefixtures("restore_threads")


def _load(tmp_path, *lines):
    overrides = "\n".join([f"output_folder: {tmp_path}", "skip_prep: True", *lines])
    return load_experiment(str(HPARAMS), {}, overrides)


@pytest.mark.parametrize(
    "lines, words",
    [
        (
            ["preprocess_cache_mb: 64"],
            "preprocess_cache_mb: the preprocess module has trainable parameters "
            "(steps.0.weight, steps.0.bias); kept waveforms would go stale as it "
            "trains. Set preprocess_cache_mb: 0.",
        ),
        (
            ["preprocess_cache_mb: 0", "preprocess_in_loader: True"],
            "preprocess_in_loader: the preprocess module has trainable parameters "
            "(steps.0.weight, steps.0.bias); the loader would run a stale copy of it. "
            "Set preprocess_in_loader: False.",
        ),
        (
            ["preprocess_cache_mb: 0", "augment: True", "augment_in_loader: True"],
            "augment_in_loader: the preprocess module has trainable parameters",
        ),
    ],
    ids=["cache", "preprocess-in-loader", "augment-in-loader"],
)
def test_a_trainable_preprocess_module_is_one_error_line(tmp_path, lines, words):
    with pytest.raises(SystemExit) as exit_info:
        _load(tmp_path, TRAINABLE, *lines)
    assert str(exit_info.value).startswith(f"error: {words}")


def test_a_trainable_preprocess_module_runs_where_nothing_keeps_its_output(tmp_path):
    hparams = _load(tmp_path, TRAINABLE, "preprocess_cache_mb: 0")
    assert hparams["modules"]["preprocess"].steps[0].weight.requires_grad


def test_the_default_pre_processing_passes(tmp_path):
    hparams = _load(tmp_path)
    assert hparams["preprocess_cache_mb"] > 0


def test_a_negative_cache_budget_is_one_error_line(tmp_path):
    with pytest.raises(SystemExit, match="^error: preprocess_cache_mb: -5 is negative"):
        _load(tmp_path, "preprocess_cache_mb: -5")
