"""A streaming model for the live-stream tests (slow tier only)."""

import pytest
from recipe_runner import run_recipe

# hparams/streaming_lstm.yaml, tiny: 6 speakers, 2 epochs.
OVERRIDES = {
    "prepare": "{valid_speakers: 1, test_speakers: 1, corpora: {embedded: "
    "{num_speakers: 6, utterances_per_emotion: 3, seed: 1234}}}",
    "number_of_epochs": "2",
    "batch_size": "8",
    "lstm_hidden": "32",
    "head_hidden": "32",
}


@pytest.fixture(scope="session")
def streaming_base(tmp_path_factory):
    """The run's folder: ``data/`` (its corpus) and ``out/model``."""
    base = tmp_path_factory.mktemp("serving_streaming")
    run_recipe("emotion", "streaming_lstm.yaml", OVERRIDES, base / "data", base / "out")
    return base


@pytest.fixture(scope="session")
def streaming_model(streaming_base):
    from speechbrain_lstm_ser.inference import StreamingEmotionRecognizer

    return StreamingEmotionRecognizer.from_hparams(
        source=str(streaming_base / "out" / "model")
    )
