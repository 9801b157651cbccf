"""recipes/emotion/distill.py, run as users run it; the trained recipe teaches."""

import csv
import json
import subprocess
from pathlib import Path

import pytest
import torch
from hyperpyyaml import load_hyperpyyaml
from recipe_runner import recipe_args

from speechbrain_lstm_ser.inference import EmotionRecognizer

# Slow tier: trains a teacher and a student.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
DISTILL = ROOT / "recipes" / "emotion" / "distill.py"
HPARAMS = ROOT / "hparams" / "lstm.yaml"

# A student smaller than the teacher of conftest.py (32 units), 1 epoch.
STUDENT = {
    "number_of_epochs": "1",
    "batch_size": "8",
    "lstm_hidden": "8",
    "head_hidden": "8",
    "n_mels": "40",
}


def _distill(out, **extra):
    options = {**STUDENT, "output_folder": str(out), **extra}
    args = recipe_args(DISTILL, HPARAMS, options)
    return subprocess.run(args, capture_output=True, text=True, timeout=900)


def _params(module_state):
    return sum(t.numel() for t in module_state.values())


@pytest.fixture(scope="module")
def student(trained, tmp_path_factory):
    out = tmp_path_factory.mktemp("student") / "out"
    proc = _distill(out, teacher=trained.out, distill_temperature="3.0")
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
    return out, proc.stdout + proc.stderr


def test_student_trains_and_tests_on_the_teachers_data(trained, student):
    out, log = student
    saved = (out / "hyperparams.yaml").read_text()
    with open(out / "hyperparams.yaml", encoding="utf-8") as handle:
        hparams = load_hyperpyyaml(handle)
    # the run records its teacher and distillation settings, and reads the
    # teacher's manifests (the teacher never heard the student's test speakers)
    assert hparams["teacher"] == str(trained.out)
    assert hparams["distill_temperature"] == 3.0 and hparams["distill_alpha"] == 0.5
    for split in ("train", "valid", "test"):
        assert hparams[f"{split}_annotation"] == str(
            trained.out / "manifests" / f"{split}.csv"
        ), saved
    assert hparams["skip_prep"] is True
    assert not (out / "manifests").exists()
    report = json.loads((out / "test_report.json").read_text())
    teacher_report = json.loads((trained.out / "test_report.json").read_text())
    assert report["num_utterances"] == teacher_report["num_utterances"] == 12
    assert report["epochs_trained"] == 1 and report["audio_seconds_per_second"] > 0
    with open(out / "predictions.csv", encoding="utf-8") as handle:
        ids = {row["ID"] for row in csv.DictReader(handle)}
    with open(trained.out / "predictions.csv", encoding="utf-8") as handle:
        assert ids == {row["ID"] for row in csv.DictReader(handle)}
    assert (out / "distill.py").is_file()  # the script of the experiment
    assert "audio_seconds_per_second" in (out / "train_log.txt").read_text()
    assert "Test results" in log


def test_student_is_smaller_and_normalises_with_the_teachers_statistics(
    trained, student
):
    out, _ = student
    # The best and the latest checkpoints are kept (one folder when the last
    # epoch is the best); every one holds the same frozen statistics.
    teacher_ckpts = sorted((trained.out / "save").glob("CKPT+*"))
    student_ckpts = sorted((out / "save").glob("CKPT+*"))
    assert teacher_ckpts and student_ckpts
    for teacher_ckpt in teacher_ckpts:
        for student_ckpt in student_ckpts:
            teacher = torch.load(teacher_ckpt / "model.ckpt", map_location="cpu")
            student_model = torch.load(student_ckpt / "model.ckpt", map_location="cpu")
            assert _params(student_model) < _params(teacher) / 4
            teacher_norm = torch.load(
                teacher_ckpt / "normalizer.ckpt", map_location="cpu"
            )
            student_norm = torch.load(
                student_ckpt / "normalizer.ckpt", map_location="cpu"
            )
            for key in ("glob_mean", "glob_std"):
                assert torch.equal(student_norm[key], teacher_norm[key]), key


def test_exported_student_loads_and_predicts(student, trained):
    out, _ = student
    model = EmotionRecognizer.from_hparams(source=str(out / "model"))
    assert model.labels == ["neutral", "happy", "sad", "angry"]
    with open(trained.out / "manifests" / "test.csv", encoding="utf-8") as handle:
        row = next(csv.DictReader(handle))
    path = row["wav"].replace("$data_root", str(trained.data))
    assert model.classify_file(path)[3][0] in model.labels


def test_teacher_can_be_an_exported_model_folder(trained, tmp_path):
    # the student then prepares its data itself, as train.py does
    out = tmp_path / "out"
    data = {
        k: v
        for k, v in trained.overrides.items()
        if k not in STUDENT and k != "output_folder"
    }
    proc = _distill(out, teacher=trained.model, **data)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
    assert (out / "manifests" / "test.csv").is_file()
    assert json.loads((out / "test_report.json").read_text())["num_utterances"] == 12


@pytest.mark.parametrize(
    "extra, words",
    [
        ({}, ["needs a teacher", "--teacher"]),
        ({"teacher": "/nowhere/run"}, ["/nowhere/run", "no such run folder"]),
        ({"teacher": "TEACHER", "emotions": "[neutral, sad]"}, ["not the teacher's"]),
    ],
    ids=["no-teacher", "missing-teacher", "other-classes"],
)
def test_bad_teacher_is_one_clear_line(trained, tmp_path, extra, words):
    extra = {k: (trained.out if v == "TEACHER" else v) for k, v in extra.items()}
    proc = _distill(tmp_path / "out", **extra)
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr + proc.stdout
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("error: ")
    for word in words:
        assert word in last, last
