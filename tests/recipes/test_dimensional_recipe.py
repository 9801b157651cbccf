"""The emotion recipe with a regression head, end to end (slow tier).

Tiny manifests with dimension columns written here (values from the label
plus seeded noise, some unknown), ``--dimension_weight 1.0``: train, test
report with its ``dimensions`` section, export, load the folder, ONNX.
"""

import csv
import json
import math
import random

import pytest
import torch
from recipe_runner import ROOT, TINY, run_recipe

from speechbrain_lstm_ser.dataio.manifest import DIMENSIONS
from speechbrain_lstm_ser.dataio.prepare_emotion import prepare_emotion_data
from speechbrain_lstm_ser.training.hparams import load_settings

pytestmark = pytest.mark.slow

PREPARE = TINY["emotion"]["prepare"]
OVERRIDES = {
    **TINY["emotion"],
    "dimension_weight": "1.0",
    "dimension_bootstrap": "50",
    "skip_prep": "True",
}
#: (arousal, valence, dominance) centre of each class.
CENTRES = {
    "angry": (0.8, 0.2, 0.8),
    "happy": (0.7, 0.8, 0.6),
    "neutral": (0.4, 0.5, 0.5),
    "sad": (0.2, 0.2, 0.3),
}


def _add_dimensions(manifest_folder, seed=0):
    rng = random.Random(seed)
    for split in ("train", "valid", "test"):
        path = manifest_folder / f"{split}.csv"
        with open(path, newline="") as handle:
            rows = list(csv.DictReader(handle))
        for i, row in enumerate(rows):
            for name, centre in zip(DIMENSIONS, CENTRES[row["emo"]], strict=True):
                row[name] = f"{min(1.0, max(0.0, centre + rng.gauss(0, 0.08))):.4f}"
            if i % 7 == 3:
                row["dominance"] = ""  # unknown
        with open(path, "w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)


@pytest.fixture(scope="module")
def dimensional_run(tmp_path_factory):
    base = tmp_path_factory.mktemp("dimensional")
    data, manifests, out = base / "data", base / "manifests", base / "out"
    settings = load_settings(ROOT / "hparams" / "lstm.yaml", f"prepare: {PREPARE}")
    prepare_emotion_data(data, manifests, dict(settings["prepare"]))
    _add_dimensions(manifests)
    overrides = {**OVERRIDES, "manifest_folder": str(manifests)}
    log = run_recipe("emotion", "lstm.yaml", overrides, data, out)
    return out, log


def test_the_report_has_the_dimensions_and_their_predictions(dimensional_run):
    out, log = dimensional_run
    assert "(single utterance): CCC arousal" in log
    report = json.loads((out / "test_report.json").read_text())
    section = report["dimensions"]
    assert section["reference"] == "speaker"
    assert section["names"] == list(DIMENSIONS)
    for name in DIMENSIONS:
        assert math.isfinite(section["overall"][name]["ccc"])
    assert section["overall"]["dominance"]["n"] < section["overall"]["arousal"]["n"]
    assert "single_utterance" in section["variants"]
    with open(out / "dimension_predictions.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == report["num_utterances"]
    assert all(0.0 <= float(row["valence_pred"]) <= 1.0 for row in rows)
    history = (out / "train_log.txt").read_text()
    assert "valid CCC_arousal" in history


def test_the_exported_folder_loads_and_its_onnx_graph_gives_the_dimensions(
    dimensional_run, tmp_path
):
    from speechbrain_lstm_ser.dataio.audio import read_audio
    from speechbrain_lstm_ser.export.onnx import (
        ClassifierOnnxGraph,
        export_onnx,
        onnx_max_abs_diff,
        onnx_session,
    )
    from speechbrain_lstm_ser.inference import EmotionRecognizer

    out, _ = dimensional_run
    model = out / "model"
    assert (model / "regressor.ckpt").is_file()
    assert "## Dimensions" in (model / "README.md").read_text()
    recognizer = EmotionRecognizer.from_hparams(source=str(model), threads=1)
    wav = read_audio(model / "example.wav", 16000).unsqueeze(0)
    with torch.no_grad():
        dims = recognizer.model.dimensions(wav, torch.ones(1))
    assert dims.shape == (1, 3)
    graph = ClassifierOnnxGraph.from_model(recognizer.model)
    path = export_onnx(graph, tmp_path / "dimensional.onnx", example_samples=2000)
    outputs = [o.name for o in onnx_session(path).get_outputs()]
    assert outputs == ["probabilities", "dimensions"]
    wavs = 0.1 * torch.randn(2, 12000, generator=torch.Generator().manual_seed(0))
    assert onnx_max_abs_diff(graph, path, wavs, torch.tensor([1.0, 0.6])) < 1e-4


def test_the_dimensions_alone_export_a_folder_that_gives_no_label(tmp_path):
    """``--category_weight 0``: best by CCC, the folder says its classifier is
    untrained, the card lists no UA, inference gives the dimensions alone."""
    from speechbrain_lstm_ser.inference import EmotionRecognizer

    data, manifests, out = tmp_path / "data", tmp_path / "manifests", tmp_path / "out"
    settings = load_settings(ROOT / "hparams" / "lstm.yaml", f"prepare: {PREPARE}")
    prepare_emotion_data(data, manifests, dict(settings["prepare"]))
    _add_dimensions(manifests)
    overrides = {
        **OVERRIDES,
        "manifest_folder": str(manifests),
        "number_of_epochs": "1",
        "category_weight": "0",
    }
    run_recipe("emotion", "lstm.yaml", overrides, data, out)
    model = out / "model"
    assert "classifier_trained: false" in (model / "hyperparams.yaml").read_text()
    card = (model / "README.md").read_text()
    assert "UA" not in card and "| CCC arousal |" in card
    recognizer = EmotionRecognizer.from_hparams(source=str(model), threads=1)
    found = recognizer.predict_file(model / "example.wav", gate=False)
    assert found.label is None and list(found.dimensions) == list(DIMENSIONS)
    from speechbrain_lstm_ser.publish import check_folder

    check = check_folder(model)  # what publishing runs: predict_file on its example
    assert check.method == "predict_file" and "arousal" in check.prediction
