"""The emotion recipe with a speaker adversary, end to end (slow tier).

``--speaker_adversary_weight 1.0`` on a tiny corpus: the adversary trains
(its epoch lines in the log), is checkpointed, resumes with the run, and
the exported model has no speaker head (it would name the training
speakers) yet loads and classifies.
"""

import subprocess

import pytest
from recipe_runner import ROOT, TINY, recipe_args, run_recipe

from speechbrain_lstm_ser.inference import EmotionRecognizer

pytestmark = pytest.mark.slow

OVERRIDES = {**TINY["emotion"], "speaker_adversary_weight": "1.0"}


@pytest.fixture(scope="module")
def adversarial_run(tmp_path_factory):
    base = tmp_path_factory.mktemp("adversary")
    data, out = base / "data", base / "out"
    first = run_recipe("emotion", "lstm.yaml", OVERRIDES, data, out)
    resumed = run_recipe(
        "emotion", "lstm.yaml", {**OVERRIDES, "number_of_epochs": "3"}, data, out
    )
    return out, first, resumed


def test_a_bad_setting_ends_the_run_in_one_line(adversarial_run, tmp_path):
    out, _, _ = adversarial_run
    args = recipe_args(
        ROOT / "recipes" / "emotion" / "train.py",
        ROOT / "hparams" / "lstm.yaml",
        {
            **OVERRIDES,
            "speaker_adversary_lr_scale": "0",
            "data_folder": str(out.parent / "data"),
            "output_folder": str(tmp_path / "bad"),
        },
    )
    proc = subprocess.run(args, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 1, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, proc.stderr[-3000:]
    assert errors[0].startswith("error: speaker_adversary_lr_scale must be > 0, got 0")


def test_the_adversary_trains_on_the_training_speakers(adversarial_run):
    _, first, _ = adversarial_run
    # 4 training speakers; the reversal starts at 0 and rises.
    assert "Epoch 1: speaker adversary at reversal scale 0.000" in first
    assert "(chance 0.250)" in first
    assert "Epoch 2: speaker adversary at reversal scale 0.987" in first


def test_it_is_checkpointed_and_resumes_with_the_run(adversarial_run):
    out, _, resumed = adversarial_run
    checkpoints = list((out / "save").glob("CKPT*"))
    assert checkpoints and all(
        (c / "speaker_adversary.ckpt").is_file() for c in checkpoints
    )
    assert "Epoch 3: speaker adversary" in resumed
    assert "Epoch 1: speaker adversary" not in resumed


def test_the_exported_model_has_no_speaker_head_and_classifies(adversarial_run):
    out, _, _ = adversarial_run
    model = out / "model"
    assert not list(model.glob("*adversary*"))
    assert "adversary" not in (model / "hyperparams.yaml").read_text()
    recognizer = EmotionRecognizer.from_hparams(
        source=str(model), savedir=str(out / "loaded")
    )
    prediction = recognizer.predict_file(str(model / "example.wav"))
    assert prediction.label in ("neutral", "happy", "sad", "angry")
