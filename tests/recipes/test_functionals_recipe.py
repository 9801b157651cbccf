"""The emotion recipe with ``--utterance_functionals True``, end to end (slow tier).

A tiny run trains, tests and exports; the exported folder holds the
functionals' definition (and no checkpoint for them), loads back with them
and classifies its example clip.
"""

import pytest
import torch
from recipe_runner import run_recipe

from speechbrain_lstm_ser.nnet.functionals import UtteranceFunctionals

pytestmark = pytest.mark.slow

OVERRIDES = {
    "fusion_selection": "valid",  # not the generated validation domain
    "prepare": "{valid_speakers: 1, test_speakers: 1, corpora: {embedded: "
    "{num_speakers: 6, utterances_per_emotion: 3, seed: 1234}}}",
    "number_of_epochs": "1",
    "batch_size": "8",
    "lstm_hidden": "16",
    "head_hidden": "16",
    "n_mels": "20",
    "num_threads": "1",
    "utterance_functionals": "True",
}


def test_a_run_with_functionals_exports_a_folder_that_loads_them(tmp_path):
    from speechbrain_lstm_ser.dataio.audio import read_audio
    from speechbrain_lstm_ser.inference import EmotionRecognizer

    data, out = tmp_path / "data", tmp_path / "out"
    run_recipe("emotion", "lstm.yaml", OVERRIDES, data, out)
    model = out / "model"
    text = (model / "hyperparams.yaml").read_text()
    assert "functionals: !new:speechbrain_lstm_ser.nnet.functionals." in text
    assert not (model / "functionals.ckpt").exists()  # no state
    recognizer = EmotionRecognizer.from_hparams(source=str(model), verify="off")
    assert isinstance(recognizer.model.functionals, UtteranceFunctionals)
    wav = read_audio(model / "example.wav", 16000).unsqueeze(0)
    with torch.no_grad():
        log_probs = recognizer.model(wav, torch.ones(1))
    assert log_probs.shape == (1, 1, 4) and bool(log_probs.isfinite().all())
