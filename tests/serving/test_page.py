"""The web page in a real headless Chromium: microphone stream and file timeline.

Slow tier. Needs Debian's ``chromium`` and ``chromium-driver`` packages and
the ``[serve-test]`` extra (selenium); skips with the reason otherwise.
``SERVING_SCREENSHOT=docs/serving.png`` also saves the screenshot there.
"""

import base64
import os
import shutil
import socket
import threading
import time

import numpy as np
import pytest
import soundfile as sf
import torch

pytestmark = pytest.mark.slow

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")


@pytest.fixture(scope="module")
def browser():
    pytest.importorskip("selenium", reason='pip install ".[serve-test]"')
    if not (CHROMIUM and DRIVER):
        pytest.skip(
            "needs chromium and chromedriver: apt-get install chromium chromium-driver"
        )
    return CHROMIUM, DRIVER


@pytest.fixture(scope="module")
def service(streaming_model):
    pytest.importorskip("uvicorn", reason='pip install ".[serve-test]"')
    import uvicorn

    from speechbrain_lstm_ser.serving.service import create_app

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    app = create_app(streaming_model, streaming_model)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def test_page_streams_and_plots_like_the_api(
    browser, service, streaming_model, streaming_base, tmp_path
):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    corpus = sorted((streaming_base / "data").rglob("*.wav"))
    parts = [sf.read(p, dtype="float32")[0] for p in corpus[:3]]
    speech = np.concatenate(parts)
    mic = tmp_path / "mic.wav"
    sf.write(mic, speech, 16000, subtype="PCM_16")
    options = webdriver.ChromeOptions()
    options.binary_location = browser[0]
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--use-fake-device-for-media-stream",
        "--use-fake-ui-for-media-stream",
        f"--use-file-for-fake-audio-capture={mic}",
        "--window-size=1000,900",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(browser[1]), options=options)
    try:
        driver.get(service + "/?keep=1")
        wait = WebDriverWait(driver, 60)
        wait.until(lambda d: d.find_element(By.ID, "status").text == "ready")
        driver.find_element(By.ID, "start").click()
        wait.until(
            lambda d: d.execute_script("return window.sbSer.received.length") >= 15
        )
        driver.find_element(By.ID, "stop").click()
        time.sleep(0.5)
        received = driver.execute_script("return window.sbSer.received")
        chunks = driver.execute_script(
            "return window.sbSer.kept.map("
            "b => btoa(String.fromCharCode(...new Uint8Array(b))))"
        )
        assert driver.find_element(By.ID, "label").text == received[-1]["label"]
        pcm = [np.frombuffer(base64.b64decode(c), dtype="<i2") for c in chunks]
        expected = list(
            streaming_model.classify_stream(
                [torch.from_numpy(c.astype(np.float32) / 32768.0) for c in pcm], hop=0.2
            )
        )
        assert len(expected) >= len(received)
        for got, want in zip(received, expected, strict=False):
            assert got["label"] == want.label
            probs = torch.tensor(
                [got["probabilities"][c] for c in streaming_model.labels]
            )
            torch.testing.assert_close(
                probs, want.probabilities.float(), atol=1e-3, rtol=0
            )
        # A file's timeline, chosen through the file input.
        driver.find_element(By.ID, "picker").send_keys(str(mic))
        wait.until(lambda d: d.execute_script("return !!window.sbSer.timeline"))
        segments = driver.execute_script("return window.sbSer.timeline.segments")
        api = streaming_model.timeline(mic)
        assert [(s["start"], s["label"]) for s in segments] == [
            (s.start, s.label) for s in api
        ]
        shot = tmp_path / "page.png"
        driver.save_screenshot(str(shot))
        assert shot.read_bytes()[:4] == b"\x89PNG"
        if os.environ.get("SERVING_SCREENSHOT"):
            shutil.copy(shot, os.environ["SERVING_SCREENSHOT"])
    finally:
        driver.quit()
