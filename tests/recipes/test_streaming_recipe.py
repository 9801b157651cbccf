"""The streaming emotion model end to end: recipe, export, signing, API, CLI."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

# Slow tier: trains the streaming recipe.
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def streaming_run(streaming_trained):
    """hparams/streaming_lstm.yaml trained for 2 epochs on a tiny corpus."""
    return streaming_trained / "out"


@pytest.fixture(scope="module")
def recognizer(streaming_run):
    from speechbrain_lstm_ser.inference import StreamingEmotionRecognizer

    return StreamingEmotionRecognizer.from_hparams(source=str(streaming_run / "model"))


def _test_wav(run: Path) -> Path:
    with open(run / "manifests" / "test.csv", encoding="utf-8") as handle:
        handle.readline()
        wav = handle.readline().split(",")[2]
    return Path(wav.replace("$data_root", str(run.parent / "data")))


def test_recipe_reports_and_exports_the_streaming_model(streaming_run):
    report = json.loads((streaming_run / "test_report.json").read_text())
    assert 0.0 <= report["unweighted_accuracy"] <= 1.0
    assert report["by_gender"]
    hyperparams = (streaming_run / "model" / "hyperparams.yaml").read_text()
    assert "CausalFbank" in hyperparams
    assert "DecayingAttentiveStatisticsPooling" in hyperparams


def test_file_streaming_equals_the_whole_recording(recognizer, streaming_run):
    path = _test_wav(streaming_run)
    wav = torch.from_numpy(sf.read(path, dtype="float32")[0])
    streamer = recognizer.streamer
    with torch.no_grad():
        whole = streamer.forward_frames(wav.unsqueeze(0))[0].exp()
    predictions = list(
        recognizer.classify_file_streaming(path, chunk_size=0.13, hop=0.1, vad=False)
    )
    assert len(predictions) >= int(wav.numel() / 16000 / 0.1) - 1
    times = [p.time for p in predictions]
    assert times == sorted(times)
    for p in predictions:
        frame = round((p.time * 16000 - streamer.lookahead) / streamer.hop)
        assert torch.allclose(p.probabilities, whole[frame], atol=1e-4)
        assert p.label == recognizer.labels[int(whole[frame].argmax())]
    # the whole-utterance interface classifies the same model's last frame
    out_prob, _, _, _ = recognizer.classify_batch(wav.unsqueeze(0))
    assert torch.allclose(out_prob.exp()[0], whole[-1], atol=1e-4)


def test_chunks_of_any_type_smoothing_and_speech_flags(recognizer, streaming_run):
    wav = sf.read(_test_wav(streaming_run), dtype="int16")[0]
    silence = np.zeros(16000, dtype=np.int16)
    stream = np.concatenate([silence, wav])
    chunks = [stream[i : i + 3000] for i in range(0, stream.size, 3000)]
    plain = list(recognizer.classify_stream(chunks, hop=0.2))
    smooth = list(recognizer.classify_stream(chunks, hop=0.2, smoothing=1.0))
    assert len(plain) == len(smooth) > 0
    assert not plain[1].speech  # the leading second of silence
    assert plain[1].label is None  # no class claimed without speech
    assert any(p.speech for p in plain)
    spread = torch.stack([p.probabilities for p in plain]).std(dim=0).sum()
    assert torch.stack([p.probabilities for p in smooth]).std(dim=0).sum() < spread
    context = recognizer.make_streaming_context(hop=0.2, vad=False)
    with pytest.raises(ValueError, match="mono"):
        recognizer.classify_chunk(context, torch.zeros(2, 100))


def test_signed_folder_loads_with_a_required_signature(streaming_run, tmp_path):
    from speechbrain_lstm_ser.hub.signing import generate_keypair, sign_folder
    from speechbrain_lstm_ser.inference import StreamingEmotionRecognizer

    key = tmp_path / "me.pem"
    generate_keypair(key)
    folder = shutil.copytree(streaming_run / "model", tmp_path / "model")  # shared
    sign_folder(folder, key)
    model = StreamingEmotionRecognizer.from_hparams(
        source=str(folder),
        verify="required",
        trusted_keys=[f"{key}.pub"],
    )
    assert model.latency == pytest.approx((256 + 320) / 16000)


def test_cli_stream_reads_pcm_from_standard_input(streaming_run):
    wav = sf.read(_test_wav(streaming_run), dtype="int16")[0]
    pcm = np.concatenate([np.zeros(8000, np.int16), wav]).astype("<i2").tobytes()
    command = [sys.executable, "-m", "speechbrain_lstm_ser.cli", "stream"]
    command += ["--model", str(streaming_run / "model"), "--hop", "0.25"]
    proc = subprocess.run(command, input=pcm, capture_output=True, timeout=300)
    assert proc.returncode == 0, proc.stderr.decode()[-2000:]
    lines = [json.loads(line) for line in proc.stdout.decode().splitlines()]
    seconds = len(pcm) / 2 / 16000
    assert abs(len(lines) - seconds / 0.25) <= 1
    labels = set(next(x for x in lines if x["probabilities"])["probabilities"])
    assert all(isinstance(line["speech"], bool) for line in lines)
    # no speech: no class claimed (label, confidence, probabilities null)
    assert all(
        line["label"] in labels if line["speech"] else line["label"] is None
        for line in lines
    )
    assert any(line["label"] is None for line in lines)  # the leading silence
    table = subprocess.run(
        [*command, "--format", "table", "--no-vad"],
        input=pcm,
        capture_output=True,
        timeout=300,
    )
    assert table.returncode == 0
    rows = table.stdout.decode().splitlines()
    assert len(rows) == len(lines) and "#" in rows[0] and " s  " in rows[0]


def test_recipe_trains_with_augmentation_in_loader_workers(streaming_trained, tmp_path):
    """``augment_in_loader`` with a worker: the recipe trains, tests and exports.

    ``num_threads: auto`` leaves the augmenting worker its core.
    """
    from recipe_runner import TINY, run_recipe

    tiny = {k: v for k, v in TINY["emotion"].items() if k != "fusion_selection"}
    overrides = {
        **tiny,  # the streaming YAML has no late fusion to select
        "number_of_epochs": "1",
        "augment_in_loader": "True",
        "dataloader_options": "{batch_size: 8, shuffle: True, num_workers: 1, "
        "drop_last: True}",
        "num_threads": "auto",
    }
    log = run_recipe(
        "emotion",
        "streaming_lstm.yaml",
        overrides,
        streaming_trained / "data",
        tmp_path / "out",
    )
    assert "1 for loader workers" in log
    report = json.loads((tmp_path / "out" / "test_report.json").read_text())
    assert 0.0 <= report["unweighted_accuracy"] <= 1.0
    assert (tmp_path / "out" / "model" / "hyperparams.yaml").is_file()
