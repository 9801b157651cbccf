"""The service's answers carry a dimensional model's dimensions (untrained model)."""

import pytest
import torch
from untrained_models import export_untrained

pytest.importorskip("fastapi", reason='the [serve] extra: pip install ".[serve-test]"')
pytest.importorskip(
    "httpx", reason='the [serve-test] extra: pip install ".[serve-test]"'
)

from fastapi.testclient import TestClient  # noqa: E402

from speechbrain_lstm_ser.dataio.manifest import DIMENSIONS  # noqa: E402
from speechbrain_lstm_ser.inference import EmotionRecognizer  # noqa: E402
from speechbrain_lstm_ser.serving.service import ServiceLimits, create_app  # noqa: E402


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    folder = export_untrained(tmp_path_factory.mktemp("dim"), dimension_weight=1.0)
    return EmotionRecognizer.from_hparams(source=str(folder), verify="off")


@pytest.fixture(scope="module")
def speech(tiny_corpus):
    folder, _ = tiny_corpus
    return sorted(folder.rglob("*.wav"))[0]


def _client(model) -> TestClient:
    limits = ServiceLimits(max_upload_bytes=600_000, max_duration=20.0)
    return TestClient(create_app(model, None, limits, "this model cannot stream"))


def _values(answer: dict) -> torch.Tensor:
    assert list(answer["dimensions"]) == list(DIMENSIONS)
    return torch.tensor([answer["dimensions"][n] for n in DIMENSIONS])


def test_classify_answers_the_dimensions(model, speech, monkeypatch):
    monkeypatch.setattr(model, "gate_speech", False)  # Silero VAD: slow tier
    upload = {"file": ("a.wav", speech.read_bytes(), "audio/wav")}
    body = _client(model).post("/classify", files=upload).json()
    expected = model.predict_file(speech).dimensions
    want = torch.tensor([expected[n] for n in DIMENSIONS])
    assert torch.allclose(_values(body), want, atol=1e-5, rtol=0)


@pytest.mark.slow
def test_timeline_segments_answer_the_dimensions(model, speech):
    upload = {"file": ("a.wav", speech.read_bytes(), "audio/wav")}
    params = {"window": 1.0, "hop": 0.5}
    client = _client(model)
    segments = client.post("/timeline", files=upload, params=params).json()["segments"]
    windows = model.timeline(speech, window=1.0, hop=0.5)
    assert segments and len(segments) == len(windows)
    for answer, window in zip(segments, windows, strict=True):
        assert torch.allclose(_values(answer), window.dimensions, atol=1e-5, rtol=0)


def test_a_model_of_the_dimensions_alone_answers_a_null_label(
    tmp_path, speech, monkeypatch
):
    folder = export_untrained(
        tmp_path,
        dimension_weight=1.0,
        category_weight=0,
        classifier_trained=False,
    )
    only = EmotionRecognizer.from_hparams(source=str(folder), verify="off")
    monkeypatch.setattr(only, "gate_speech", False)
    upload = {"file": ("a.wav", speech.read_bytes(), "audio/wav")}
    body = _client(only).post("/classify", files=upload).json()
    assert body["label"] is None and body["speech"] is True
    assert "probabilities" not in body
    expected = only.predict_file(speech).dimensions
    want = torch.tensor([expected[n] for n in DIMENSIONS])
    assert torch.allclose(_values(body), want, atol=1e-5, rtol=0)
