"""The spoken-command recipe, run as users run it, on a tiny generated corpus."""

import csv
import json

import pytest
from recipe_runner import TINY, run_recipe, train_tiny

# Slow tier: trains the commands recipe.
pytestmark = pytest.mark.slow

LABELS = [
    "yes",
    "no",
    "up",
    "down",
    "left",
    "right",
    "on",
    "off",
    "stop",
    "go",
    "unknown",
    "silence",
]

OVERRIDES = TINY["commands"]


@pytest.fixture(scope="session")
def commands_trained(tmp_path_factory):
    return train_tiny(tmp_path_factory, "commands", "commands_lstm.yaml")


def test_report_is_complete_and_consistent(commands_trained):
    data, out, log = commands_trained
    report = json.loads((out / "test_report.json").read_text())
    assert report["labels"] == LABELS
    assert report["task"] == "commands" and report["synthetic_corpus"] is True
    matrix = report["confusion_matrix"]
    total = sum(map(sum, matrix))
    assert total == report["num_utterances"]
    assert report["accuracy"] == pytest.approx(
        sum(matrix[i][i] for i in range(len(LABELS))) / total
    )
    support = {c: report["per_class"][c]["support"] for c in LABELS}
    assert all(support[c] == 1 for c in LABELS[:10])  # one test speaker, 1 take
    assert support["silence"] >= 1
    # the test speaker's gender, and "unknown" for the noise-only clips
    genders = set(report["by_gender"])
    assert "unknown" in genders and len(genders & {"female", "male"}) == 1
    assert sum(v["num_utterances"] for v in report["by_gender"].values()) == total
    for name in ("confusion_matrix.png", "train_curves.png", "predictions.csv"):
        assert (out / name).stat().st_size > 0, name
    with open(out / "manifests" / "noise.csv", encoding="utf-8") as handle:
        noise = list(csv.DictReader(handle))
    assert len(noise) == 4  # the corpus's _background_noise_ recordings
    assert (data / "validation_list.txt").is_file()
    assert "WA (accuracy)" in log


def test_second_run_resumes_instead_of_retraining(commands_trained):
    data, out, _ = commands_trained
    text = run_recipe("commands", "commands_lstm.yaml", OVERRIDES, data, out)
    assert "skipping preparation" in text
    assert "Going into epoch" not in text


def test_exported_model_round_trips(commands_trained, tmp_path):
    import torch
    from hub_cache import populate_hub_cache, run_offline

    from speechbrain_lstm_ser.dataio.audio import read_audio
    from speechbrain_lstm_ser.export.card import read_front_matter
    from speechbrain_lstm_ser.inference import CommandRecognizer
    from speechbrain_lstm_ser.publish import check_folder

    data, out, _ = commands_trained
    model_dir = out / "model"
    report = json.loads((out / "test_report.json").read_text())
    meta = read_front_matter((model_dir / "README.md").read_text())
    metrics = {
        m["type"]: m["value"] for m in meta["model-index"][0]["results"][0]["metrics"]
    }
    assert metrics["accuracy"] == pytest.approx(report["accuracy"], abs=1e-4)
    model = CommandRecognizer.from_hparams(source=str(model_dir))
    assert model.labels == LABELS
    with open(out / "predictions.csv", encoding="utf-8") as handle:
        expected = {r["ID"]: r for r in csv.DictReader(handle)}
    with open(out / "manifests" / "test.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    paths = [r["wav"].replace("$data_root", str(data)) for r in rows]
    words = [p for p, r in zip(paths, rows, strict=True) if not r["start"]]
    # One-second clips, all the same length: the Brain's batches hold no
    # padding, so files one by one give its very scores.
    for row, path in zip(rows, paths, strict=True):
        # silence rows are a segment of a background-noise recording
        start, stop = (float(row[k]) if row[k] else None for k in ("start", "stop"))
        wav = read_audio(path, start=start, stop=stop).unsqueeze(0)
        out_prob, _, _, labels = model.classify_batch(wav, torch.ones(1))
        assert float(out_prob.exp().max()) == pytest.approx(
            float(expected[row["ID"]]["score"]), abs=1e-4
        )
        assert labels[0] == expected[row["ID"]]["prediction"]
    assert check_folder(model_dir).prediction in LABELS
    populate_hub_cache(tmp_path / "hub", "someone/commands-lstm", model_dir)
    code = (
        "import json\n"
        "from speechbrain_lstm_ser.inference.load import load_model\n"
        "model = load_model('someone/commands-lstm', "
        f"savedir={str(tmp_path / 'saved')!r})\n"
        f"print(json.dumps([model.classify_file(p)[3][0] for p in {words!r}]))\n"
    )
    proc = run_offline(code, tmp_path / "hub")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == [
        expected[r["ID"]]["prediction"] for r in rows if not r["start"]
    ]
