"""A model trained on the dimensions alone (``category_weight: 0``).

Its folder says ``classifier_trained: false``; inference then answers the
dimensions with a label of None (``-`` in tables), says so once when the
model loads, and refuses the calls whose answer is a label. Fast: untrained
tiny folders, exported in seconds.
"""

import json
import logging
import shutil

import pytest
import torch
from untrained_models import SR, export_untrained, predict_as_long_file

from speechbrain_lstm_ser.cli import main
from speechbrain_lstm_ser.dataio.manifest import DIMENSIONS
from speechbrain_lstm_ser.inference import (
    EmotionRecognizer,
    StreamingEmotionRecognizer,
)
from speechbrain_lstm_ser.processing.vad import EnergyVAD

ATOL = 1e-5
ONLY = {"dimension_weight": 1.0, "category_weight": 0, "classifier_trained": False}


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return export_untrained(tmp_path_factory.mktemp("only"), **ONLY)


@pytest.fixture(scope="module")
def model(folder):
    return EmotionRecognizer.from_hparams(source=str(folder), verify="off")


@pytest.fixture(scope="module")
def voice():
    """4 s of a gliding harmonic tone (voice-like), as ``(time,)`` samples."""
    t = torch.arange(4 * SR) / SR
    phase = 2 * torch.pi * torch.cumsum(140 + 40 * torch.sin(torch.pi * t), 0) / SR
    wav = sum(torch.sin(k * phase) / k for k in range(1, 6))
    noise = 0.01 * torch.randn(t.numel(), generator=torch.Generator().manual_seed(0))
    return 0.2 * wav * (0.6 + 0.4 * torch.sin(6 * torch.pi * t)) + noise  # wideband


@pytest.fixture(scope="module")
def voice_file(voice, tmp_path_factory):
    import soundfile as sf

    path = tmp_path_factory.mktemp("audio") / "voice.wav"
    sf.write(path, voice.numpy(), SR)
    return path


def _dimensions(model, wav):
    with torch.no_grad():
        return model.model.dimensions(*model.prepare_batch(wav.reshape(1, -1)))[0]


def test_the_folder_records_it_and_the_card_lists_no_accuracy(folder):
    text = (folder / "hyperparams.yaml").read_text()
    assert "classifier_trained: false" in text
    card = (folder / "README.md").read_text()
    assert "Dimensions only" in card and "Classes:" not in card
    assert "UA" not in card and "predict_file(" in card


def test_loading_says_so_in_one_log_line(folder, caplog):
    with caplog.at_level(logging.WARNING):
        EmotionRecognizer.from_hparams(source=str(folder), verify="off")
    [line] = [r.getMessage() for r in caplog.records if "category_weight" in r.message]
    assert line.startswith(str(folder)) and "no label" in line and "\n" not in line


def test_predictions_give_the_dimensions_and_no_label(model, voice, voice_file):
    found = model.predict_file(voice_file, gate=False)
    assert (found.label, found.score, found.probabilities) == (None, None, None)
    assert found.speech and list(found.dimensions) == list(DIMENSIONS)
    got = torch.tensor(list(found.dimensions.values()))
    torch.testing.assert_close(got, _dimensions(model, voice), rtol=0, atol=ATOL)
    [row] = model.predict_batch(voice.unsqueeze(0), gate=False)
    assert (
        row.label is None
        and row.speech
        and row.dimensions == pytest.approx(found.dimensions, abs=ATOL)
    )


def test_calls_that_answer_a_label_are_refused_naming_the_model(model, voice):
    for call in (
        lambda: model.classify_file("any.wav"),
        lambda: model.classify_batch(voice.unsqueeze(0)),
    ):
        with pytest.raises(ValueError, match="category_weight > 0") as error:
            call()
        assert str(model.source) in str(error.value)
        assert "predict_file" in str(error.value)


def test_timelines_and_long_files_give_the_dimensions(model, voice_file):
    segments = model.timeline(
        voice_file, window=2.0, hop=2.0, vad=EnergyVAD(), min_speech_ratio=0.0
    )
    assert len(segments) == 2
    assert all(s.label is None and s.score is None for s in segments)
    assert all(s.dimensions.shape == (3,) for s in segments)
    found = predict_as_long_file(model, voice_file)  # the mean of 2 windows
    assert found.label is None and found.speech
    mean = torch.stack([s.dimensions for s in segments]).mean(0)
    got = torch.tensor(list(found.dimensions.values()))
    torch.testing.assert_close(got, mean, rtol=0, atol=ATOL)


def test_the_cli_prints_a_dash_for_the_label(folder, voice_file, capsys):
    common = ["--model", str(folder), "--no-speech-gate", "--quiet"]
    assert main(["predict", *common, str(voice_file)]) == 0
    row = json.loads(capsys.readouterr().out)
    assert row["label"] is None and row["speech"] and "probabilities" not in row
    assert list(row["dimensions"]) == list(DIMENSIONS)
    assert main(["predict", *common, "--format", "table", str(voice_file)]) == 0
    cells = capsys.readouterr().out.rstrip().split("\t")
    assert cells[1:3] == ["-", "-"] and cells[3].startswith("arousal=")
    argv = ["timeline", *common, "--window", "2", "--hop", "2", str(voice_file)]
    assert main(argv) == 0
    answer = json.loads(capsys.readouterr().out)
    assert [s["label"] for s in answer["segments"]] == [None, None]


def test_a_folder_without_the_key_classifies_as_before(tmp_path, voice):
    folder = export_untrained(tmp_path, dimension_weight=1.0)
    assert "classifier_trained" not in (folder / "hyperparams.yaml").read_text()
    model = EmotionRecognizer.from_hparams(source=str(folder), verify="off")
    assert model.classifier_trained
    found = model.predict_batch(voice.unsqueeze(0), gate=False)[0]
    assert found.label in model.labels and found.dimensions is not None
    assert len(model.classify_batch(voice.unsqueeze(0))) == 4


def test_a_folder_that_says_it_without_a_regressor_is_refused(tmp_path):
    (tmp_path / "cat").mkdir()
    folder = export_untrained(tmp_path / "cat")
    broken = shutil.copytree(folder, tmp_path / "broken")
    yaml = broken / "hyperparams.yaml"
    yaml.write_text("classifier_trained: false\n" + yaml.read_text())
    with pytest.raises(ValueError, match="no regressor"):
        EmotionRecognizer.from_hparams(source=str(broken), verify="off")
    (tmp_path / "none").mkdir()
    with pytest.raises(ValueError, match="nothing of it was trained"):
        export_untrained(tmp_path / "none", classifier_trained=False)


def test_streams_give_the_dimensions_and_no_label(tmp_path, voice):
    folder = export_untrained(tmp_path, "streaming_lstm.yaml", **ONLY)
    streaming = StreamingEmotionRecognizer.from_hparams(
        source=str(folder), verify="off"
    )
    updates = list(streaming.classify_stream(voice.split(3000), hop=1.0, vad=False))
    assert len(updates) == 4
    assert all(u.label is None and u.probabilities is None for u in updates)
    assert all(u.dimensions.shape == (3,) for u in updates)

    from speechbrain_lstm_ser.inference.live import format_json, format_line

    line = json.loads(format_json(updates[-1], streaming.labels))
    assert line["label"] is None and list(line["dimensions"]) == list(DIMENSIONS)
    assert " A 0." in format_line(updates[-1])


def test_robustness_gives_the_dimension_table_alone(folder, voice_file, tmp_path):
    """``sb-lstm-ser robustness``: no class table (the labels would be the
    untrained head's), the CCC table of the gain conditions instead."""
    import csv

    manifest = tmp_path / "test.csv"
    rows = [
        {"ID": f"u{i}", "wav": str(voice_file), "spk_id": "s1", "emo": "neu"}
        | {name: f"{0.2 + 0.15 * i:.2f}" for name in DIMENSIONS}
        for i in range(4)
    ]
    with open(manifest, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    out = tmp_path / "robust.json"
    argv = ["robustness", "--model", str(folder), "--manifest", str(manifest)]
    assert main([*argv, "--json", str(out)]) == 0
    summary = json.loads(out.read_text())
    assert summary["conditions"] == {} and summary["failures"] == []
    assert set(summary["dimensions"]) >= {"0 dB", "-20 dB"}
