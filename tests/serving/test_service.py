"""The HTTP service: uploads, timelines, limits, streams; needs the [serve] extra."""

import io
import json

import numpy as np
import pytest
import soundfile as sf
import torch

pytest.importorskip("fastapi", reason='the [serve] extra: pip install ".[serve-test]"')
pytest.importorskip(
    "httpx", reason='the [serve-test] extra: pip install ".[serve-test]"'
)

from fastapi.testclient import TestClient  # noqa: E402
from starlette.websockets import WebSocketDisconnect  # noqa: E402

from speechbrain_lstm_ser.inference import EmotionRecognizer  # noqa: E402
from speechbrain_lstm_ser.serving.service import ServiceLimits, create_app  # noqa: E402


@pytest.fixture(scope="module")
def model(trained):
    return EmotionRecognizer.from_hparams(source=str(trained.model))


@pytest.fixture(scope="module")
def wav_path(trained):
    return sorted(trained.data.rglob("*.wav"))[0]


@pytest.fixture
def client(model):
    limits = ServiceLimits(max_upload_bytes=300_000, max_duration=20.0)
    return TestClient(create_app(model, None, limits, "this model cannot stream"))


def _healthy(client):
    health = client.get("/health").json()
    assert health["status"] == "ok" and health["streams"] == 0


def test_classify_matches_the_api(client, model, wav_path):
    # A hostile file name never reaches the disk: only the bytes are used.
    upload = {"file": ("../../etc/passwd.wav", wav_path.read_bytes(), "audio/wav")}
    response = client.post("/classify", files=upload)
    assert response.status_code == 200, response.text
    body = response.json()
    expected = model.classify_file(wav_path)[0].exp()[0]
    got = torch.tensor([body["probabilities"][c] for c in model.labels])
    torch.testing.assert_close(got, expected, atol=1e-5, rtol=0)
    assert body["label"] == model.labels[int(expected.argmax())]


def test_an_upload_without_speech_is_answered_as_predict_answers_it(client, model):
    # White noise: no class is claimed, as by predict and the Python API.
    noise = 0.3 * torch.randn(16000, generator=torch.Generator().manual_seed(0))
    buffer = io.BytesIO()
    sf.write(buffer, noise.numpy(), 16000, format="WAV")
    response = client.post("/classify", files={"file": ("n.wav", buffer.getvalue())})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["label"] is None and body["speech"] is False and body["reason"]
    assert "probabilities" not in body
    _healthy(client)


def test_timeline_matches_the_api(client, model, wav_path):
    response = client.post(
        "/timeline",
        files={"file": ("a.wav", wav_path.read_bytes(), "audio/wav")},
        params={"window": 1.0, "hop": 0.5},
    )
    assert response.status_code == 200, response.text
    segments = response.json()["segments"]
    expected = model.timeline(wav_path, window=1.0, hop=0.5)
    assert [(s["start"], s["label"]) for s in segments] == [
        (s.start, s.label) for s in expected
    ]


def test_bad_requests_get_a_clear_4xx_and_leave_it_healthy(client):
    not_audio = client.post("/classify", files={"file": ("x.wav", b"text" * 50)})
    assert (
        not_audio.status_code == 415
        and "not a readable audio" in not_audio.json()["error"]
    )
    big = client.post("/classify", files={"file": ("x.wav", b"0" * 400_000)})
    assert big.status_code == 413 and "300000 bytes" in big.json()["error"]
    buffer = io.BytesIO()
    sf.write(buffer, np.zeros(16000 * 30, dtype="float32"), 16000, format="WAV")
    small_but_long = client.post(
        "/classify",
        content=buffer.getvalue()[:44],  # a header announcing 30 s, then nothing
        headers={"content-type": "audio/wav"},
    )
    assert small_but_long.status_code in (413, 415, 422)
    malformed = client.post(
        "/classify",
        content=b"--b\r\nnonsense",
        headers={"content-type": "multipart/form-data; boundary=b"},
    )
    assert 400 <= malformed.status_code < 500 and "error" in malformed.json()
    silent = io.BytesIO()
    sf.write(silent, np.zeros(16000, dtype="float32"), 16000, format="WAV")
    refused = client.post("/classify", files={"file": ("s.wav", silent.getvalue())})
    assert refused.status_code == 422 and "silence" in refused.json()["error"]
    bad_window = client.post("/timeline", params={"window": -1}, content=b"")
    assert bad_window.status_code == 422
    _healthy(client)


def test_stream_without_a_streaming_model_says_why(client):
    with pytest.raises(WebSocketDisconnect) as closed:
        with client.websocket_connect("/stream") as socket:
            socket.receive_text()
    assert closed.value.code == 1003 and "cannot stream" in closed.value.reason
    _healthy(client)


def test_page_and_docs_are_served_without_the_internet(client):
    page = client.get("/")
    assert page.status_code == 200 and "/static/app.js" in page.text
    for name in ("app.js", "pcm-worklet.js", "style.css"):
        text = client.get(f"/static/{name}").text
        assert "http://" not in text and "https://" not in text, name
    assert client.get("/docs").status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/classify", "/timeline", "/health"} <= set(paths)


@pytest.mark.slow
def test_live_stream_matches_the_api_and_survives_a_disconnect(
    streaming_model, wav_path
):
    app = create_app(streaming_model, streaming_model, ServiceLimits(max_streams=1))
    client = TestClient(app)
    pcm, rate = sf.read(wav_path, dtype="int16")
    data = pcm.tobytes()
    received = []
    with client.websocket_connect("/stream?hop=0.2") as socket:
        with pytest.raises(WebSocketDisconnect) as busy:  # one stream at a time
            with client.websocket_connect("/stream") as second:
                second.receive_text()
        assert busy.value.code == 1013
        for first in range(0, len(data), 6400):
            socket.send_bytes(data[first : first + 6400])
        socket.send_text("end")
        while True:
            try:
                received.append(json.loads(socket.receive_text()))
            except WebSocketDisconnect:
                break
    chunks = [
        torch.from_numpy(pcm[i : i + 3200] / 32768.0) for i in range(0, len(pcm), 3200)
    ]
    expected = list(streaming_model.classify_stream(chunks, hop=0.2))
    assert [p["label"] for p in received] == [p.label for p in expected]
    for got, want in zip(received, expected, strict=True):
        probs = torch.tensor([got["probabilities"][c] for c in streaming_model.labels])
        torch.testing.assert_close(probs, want.probabilities.float(), atol=1e-3, rtol=0)
    # a client that goes away mid-stream
    with client.websocket_connect("/stream") as socket:
        socket.send_bytes(data[:6400])
    _healthy(client)
    with client.websocket_connect("/stream") as socket:
        socket.send_bytes(data[:32000])
        assert "label" in json.loads(socket.receive_text())


@pytest.mark.slow
def test_load_on_loopback_loses_nothing(trained, streaming_base, wav_path):
    """bench/serve_load.py, bounded: 8 clients for 15 s and one live stream."""
    pytest.importorskip("uvicorn", reason='pip install ".[serve-test]"')
    pytest.importorskip("websockets", reason='pip install ".[serve-test]"')
    from bench.serve_load import main

    result = main(
        [
            "--model",
            str(trained.model),
            "--streaming-model",
            str(streaming_base / "out" / "model"),
            "--audio",
            str(wav_path),
            "--clients",
            "8",
            "--seconds",
            "15",
        ]
    )
    assert result["requests"] > 0 and result["failed"] == 0, result["failures"]
    assert result["streams"] > 0 and result["healthy_after"]
    assert result["rss_growth_mb"] < 50
