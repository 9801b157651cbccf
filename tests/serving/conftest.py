"""A streaming model for the live-stream tests (slow tier only)."""

import pytest


@pytest.fixture(scope="session")
def streaming_base(streaming_trained):
    """The run's folder: ``data/`` (its corpus) and ``out/model``."""
    return streaming_trained


@pytest.fixture(scope="session")
def streaming_model(streaming_base):
    from speechbrain_lstm_ser.inference import StreamingEmotionRecognizer

    return StreamingEmotionRecognizer.from_hparams(
        source=str(streaming_base / "out" / "model")
    )
