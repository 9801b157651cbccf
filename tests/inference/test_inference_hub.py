"""Trained model -> export folder -> publish checks -> load (folder, Hub) -> infer."""

import csv
import json
import os
import shutil
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import ruamel.yaml
import soundfile as sf
import torch
from hub_cache import populate_hub_cache, run_offline
from recipe_runner import run_cli

from speechbrain_lstm_ser.export.card import (
    REQUIRED_METADATA,
    extract_snippet_code,
    read_front_matter,
)
from speechbrain_lstm_ser.inference import EmotionRecognizer
from speechbrain_lstm_ser.publish import PublishError, check_folder, publish

REPO_ID = "testuser/ser-lstm"


def _test_rows(trained):
    with open(trained.out / "manifests" / "test.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        row["path"] = row["wav"].replace("$data_root", str(trained.data))
    return rows


def _brain_predictions(trained):
    with open(trained.out / "predictions.csv", encoding="utf-8") as handle:
        return {row["ID"]: row for row in csv.DictReader(handle)}


def _python(code, env=None, cwd=None):
    proc = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        cwd=cwd,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def _hub_publish_dry_run(folder):
    """``python -m speechbrain_lstm_ser.hub publish FOLDER --dry-run``, offline."""
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "speechbrain_lstm_ser.hub",
            "publish",
            str(folder),
            "--repo-id",
            REPO_ID,
            "--dry-run",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )


def test_export_folder_is_complete_and_minimal(trained):
    files = sorted(p.name for p in trained.model.iterdir())
    assert files == sorted(
        [
            "README.md",
            "classifier.ckpt",
            "compute_features.ckpt",
            "encoder.ckpt",
            "fusion.ckpt",
            "example.wav",
            "hyperparams.yaml",
            "label_encoder.ckpt",
            "mean_var_norm.ckpt",
            "pooling.ckpt",
        ]
    )
    text = (trained.model / "hyperparams.yaml").read_text()
    tree = ruamel.yaml.YAML().load(text)  # round trip: constructs nothing
    # only what inference needs: no data, output, augmentation or training keys
    assert list(tree) == [
        "interface",
        "sample_rate",
        "normalization_reference",
        "preprocess",
        "compute_features",
        "reference_norm",
        "mean_var_norm",
        "encoder",
        "pooling",
        "classifier",
        "fusion",
        "label_encoder",
        "modules",
        "pretrainer",
    ]
    assert "paths" not in tree["pretrainer"]  # source= decides where files come from
    assert str(trained.data) not in text and str(trained.out) not in text


def test_model_card_metadata_matches_the_report(trained):
    card = (trained.model / "README.md").read_text()
    meta = read_front_matter(card)
    for key in REQUIRED_METADATA:
        assert meta[key], key
    assert meta["library_name"] == "speechbrain"
    assert meta["pipeline_tag"] == "audio-classification"
    report = json.loads((trained.out / "test_report.json").read_text())
    values = {
        m["type"]: m["value"] for m in meta["model-index"][0]["results"][0]["metrics"]
    }
    assert values["unweighted-accuracy"] == pytest.approx(
        report["unweighted_accuracy"], abs=1e-4
    )
    assert values["accuracy"] == pytest.approx(report["accuracy"], abs=1e-4)
    assert "synthetic speech" in card
    # data protection: no speaker IDs, transcripts or training paths
    for row in _test_rows(trained):
        assert row["spk_id"] not in card and row["text"] not in card
    assert str(trained.data) not in card


def test_folder_loading_reproduces_the_brain(trained, tmp_path):
    model = EmotionRecognizer.from_hparams(
        source=str(trained.model), savedir=str(tmp_path / "saved")
    )
    assert model.labels == ["neutral", "happy", "sad", "angry"]
    expected = _brain_predictions(trained)
    # The Brain tested the model alone; its fusion is fitted after (and
    # tested in tests/training/test_fusion_fit.py).
    model.model.fusion.weights.fill_(1.0)
    # The Brain tested each utterance against all of its speaker's test
    # utterances (the default speaker normalisation): enrol them the same way.
    rows = _test_rows(trained)
    assert len({row["spk_id"] for row in rows}) == 1
    model.enrol("test speaker", [row["path"] for row in rows])
    for row in rows:
        out_prob, score, index, labels = model.classify_file(
            row["path"], speaker="test speaker"
        )
        assert out_prob.shape == (1, 4)
        assert labels[0] == expected[row["ID"]]["prediction"]
        assert model.labels[int(index)] == labels[0]
        assert float(score.exp()) == pytest.approx(
            float(expected[row["ID"]]["score"]), abs=1e-4
        )


def test_batch_and_any_format_input(trained, tmp_path):
    model = EmotionRecognizer.from_hparams(source=str(trained.model))
    rows = _test_rows(trained)[:3]
    wavs = [model.load_audio(r["path"]) for r in rows]
    longest = max(len(w) for w in wavs)
    batch = torch.zeros(3, longest)
    for i, wav in enumerate(wavs):
        batch[i, : len(wav)] = wav
    lens = torch.tensor([len(w) / longest for w in wavs])
    _, _, _, batched = model.classify_batch(batch, lens)
    singles = [model.classify_file(r["path"])[3][0] for r in rows]
    assert batched == singles
    # 44.1 kHz stereo in, same decision as the 16 kHz mono original
    data, sr = sf.read(rows[0]["path"])
    import torchaudio.functional as F

    up = F.resample(torch.from_numpy(data).float(), sr, 44100).numpy()
    stereo = tmp_path / "stereo.wav"
    sf.write(stereo, np.stack([up, up], axis=1), 44100, subtype="PCM_24")
    assert model.classify_file(str(stereo))[3][0] == singles[0]


def test_usage_snippet_works_as_written(trained, tmp_path):
    code = extract_snippet_code((trained.model / "README.md").read_text())
    out = _python(code, cwd=tmp_path)
    assert out.strip(), "the snippet printed nothing"


def test_hub_repo_id_loads_offline_from_the_cache(trained, tmp_path):
    populate_hub_cache(tmp_path / "hub", REPO_ID, trained.model)
    rows = _test_rows(trained)
    code = textwrap.dedent(
        f"""
        import json
        from speechbrain_lstm_ser.inference.load import load_model
        model = load_model({REPO_ID!r}, savedir={str(tmp_path / "saved")!r})
        paths = {[r["path"] for r in rows]!r}
        model.enrol("s", paths)  # the Brain's speaker reference
        print(json.dumps([model.classify_file(p, speaker="s")[3][0] for p in paths]))
        print(model.classify_file({REPO_ID + "/example.wav"!r})[3][0])
        """
    )
    proc = run_offline(code, tmp_path / "hub")
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = proc.stdout.strip().splitlines()
    # the same fused model as the local folder gives
    local = EmotionRecognizer.from_hparams(source=str(trained.model))
    local.enrol("s", [r["path"] for r in rows])
    expected = [local.classify_file(r["path"], speaker="s")[3][0] for r in rows]
    assert json.loads(lines[0]) == expected
    assert lines[1] in ("neutral", "happy", "sad", "angry")


def test_publish_dry_run_checks_and_lists(trained):
    proc = _hub_publish_dry_run(trained.model)
    assert proc.returncode == 0, proc.stderr
    assert "would upload 10 files" in proc.stdout
    assert "encoder.ckpt" in proc.stdout and "example.wav ->" in proc.stdout


@pytest.mark.slow
def test_sb_lstm_ser_publish_is_the_same_command(trained, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # the dry run needs no network
    proc = run_cli("publish", trained.model, "--repo-id", REPO_ID, "--dry-run")
    assert proc.returncode == 0, proc.stderr
    assert "would upload 10 files" in proc.stdout
    assert "encoder.ckpt" in proc.stdout and "example.wav ->" in proc.stdout
    bad = run_cli("publish", trained.model, "--repo-id", "no-slash", "--dry-run")
    errors = [line for line in bad.stderr.splitlines() if line.startswith("error:")]
    assert bad.returncode == 1 and len(errors) == 1 and "user/name" in errors[0]


@pytest.mark.slow
def test_publish_refuses_a_broken_folder(trained, tmp_path):
    broken = tmp_path / "broken"
    shutil.copytree(trained.model, broken)
    (broken / "encoder.ckpt").unlink()
    card = (broken / "README.md").read_text().replace("library_name: speechbrain\n", "")
    (broken / "README.md").write_text(card)
    with pytest.raises(PublishError) as info:
        check_folder(broken)
    message = str(info.value)
    assert "encoder.ckpt" in message and "library_name" in message
    proc = _hub_publish_dry_run(broken)
    assert proc.returncode == 1 and "encoder.ckpt" in proc.stderr


class FakeHubApi:
    """Records the calls publish makes, and what the uploaded folder held."""

    def __init__(self):
        self.calls = []

    def create_repo(self, **kwargs):
        self.calls.append(("create_repo", kwargs))

    def upload_folder(self, **kwargs):
        folder = kwargs["folder_path"]
        files = sorted(os.listdir(folder))
        with open(os.path.join(folder, "README.md"), encoding="utf-8") as handle:
            card = handle.read()
        self.calls.append(("upload_folder", kwargs, files, card))


def test_publish_uploads_with_a_hub_snippet(trained):
    api = FakeHubApi()
    before = (trained.model / "README.md").read_text()
    message = publish(trained.model, REPO_ID, private=True, api=api)
    assert "published" in message
    (name, kwargs), upload = api.calls[0], api.calls[1]
    assert name == "create_repo"
    assert kwargs == {
        "repo_id": REPO_ID,
        "repo_type": "model",
        "private": True,
        "exist_ok": True,
    }
    assert upload[0] == "upload_folder"
    assert upload[1]["repo_id"] == REPO_ID and upload[1]["repo_type"] == "model"
    assert upload[2] == sorted(os.listdir(trained.model))
    snippet = extract_snippet_code(upload[3])
    assert f'source="{REPO_ID}"' in snippet and f"{REPO_ID}/example.wav" in snippet
    assert (trained.model / "README.md").read_text() == before  # local card untouched
    with pytest.raises(ValueError, match="user/name"):
        publish(trained.model, "no-slash", api=api)


def test_publish_puts_the_robustness_table_on_the_uploaded_card(trained, tmp_path):
    summary = {
        "model": str(trained.model),
        "utterances": 8,
        "conditions": {"clean": {"utterance": {"UA": 0.5, "delta_UA": 0.0}}},
    }
    measured = tmp_path / "robustness.json"
    measured.write_text(json.dumps(summary))
    dry = publish(trained.model, REPO_ID, dry_run=True, robustness=measured)
    assert "the card gets the robustness table" in dry and "(1 rows)" in dry
    api = FakeHubApi()
    publish(trained.model, REPO_ID, api=api, robustness=measured)
    card = api.calls[1][3]
    assert "## Robustness" in card and "| clean | 0.500 | +0.0 | – |" in card
    assert "## Robustness" not in (trained.model / "README.md").read_text()
    summary["model"] = str(tmp_path / "another")
    measured.write_text(json.dumps(summary))
    with pytest.raises(ValueError, match="measured the model .*another"):
        publish(trained.model, REPO_ID, api=api, robustness=measured)


def test_cli_predicts_a_folder_with_a_broken_file(trained, tmp_path):
    folder = tmp_path / "inputs"
    (folder / "sub").mkdir(parents=True)
    rows = _test_rows(trained)[:2]
    shutil.copy(rows[0]["path"], folder / "a.wav")
    shutil.copy(rows[1]["path"], folder / "sub" / "b.wav")
    (folder / "broken.wav").write_text("not audio")
    proc = run_cli("predict", "--model", str(trained.model), str(folder))
    assert proc.returncode == 1
    results = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [os.path.basename(r["file"]) for r in results] == ["a.wav", "b.wav"]
    # No speaker given: each file is its own reference, as in the API.
    alone = EmotionRecognizer.from_hparams(source=str(trained.model))
    out_prob = alone.classify_file(rows[0]["path"])[0].exp()[0]
    got = torch.tensor([results[0]["probabilities"][c] for c in alone.labels])
    torch.testing.assert_close(got, out_prob, atol=1e-5, rtol=0)
    assert sum(results[0]["probabilities"].values()) == pytest.approx(1.0, abs=1e-4)
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "broken.wav" in errors[0]
    table = run_cli(
        "predict",
        "--format",
        "table",
        "--model",
        str(trained.model),
        str(folder / "a.wav"),
    )
    assert table.returncode == 0 and table.stdout.count("\t") == 2


def test_timeline_skips_silence_and_streams(trained, tmp_path, monkeypatch):
    rows = _test_rows(trained)[:3]
    sr = 16000
    silence = np.zeros(3 * sr)
    parts = [silence]
    for row in rows:
        data, _ = sf.read(row["path"])
        parts += [data, silence]
    long_wav = tmp_path / "long.wav"
    sf.write(long_wav, np.concatenate(parts), sr)
    model = EmotionRecognizer.from_hparams(source=str(trained.model))
    spans = []
    import speechbrain_lstm_ser.inference.timeline as emotion

    real_read = emotion.read_audio

    def spy(path, sample_rate=16000, start=None, stop=None):
        spans.append((stop or 1e9) - (start or 0.0))
        return real_read(path, sample_rate, start=start, stop=stop)

    monkeypatch.setattr(emotion, "read_audio", spy)
    segments = model.timeline(long_wav, window=2.0, hop=1.0, batch_size=4)
    assert max(spans) <= 2.0 + 1e-9  # never more than one window read at a time
    assert segments, "speech windows must be found"
    assert all(s.label in model.labels and 0 < s.score <= 1 for s in segments)
    # no window lies entirely inside the leading 3 s of silence
    assert all(s.start >= 1.0 for s in segments)
    starts = [s.start for s in segments]
    assert starts == sorted(starts)
