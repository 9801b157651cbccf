"""Restricting a classifier's output to some of its classes (``labels=[...]``)."""

import csv
import json

import pytest
import torch
from recipe_runner import run_cli

from speechbrain_lstm_ser.dataio.audio import pad_waveforms, read_audio
from speechbrain_lstm_ser.inference import EmotionRecognizer


@pytest.fixture(scope="module")
def model_and_files(trained, tmp_path_factory):
    model = EmotionRecognizer.from_hparams(
        source=str(trained.model), savedir=str(tmp_path_factory.mktemp("saved"))
    )
    with open(trained.out / "manifests" / "test.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    files = [row["wav"].replace("$data_root", str(trained.data)) for row in rows[:4]]
    return model, files


def test_probabilities_are_renormalised_over_the_allowed_classes(model_and_files):
    model, files = model_and_files
    assert model.labels == ["neutral", "happy", "sad", "angry"]
    allowed = ["sad", "happy"]
    for path in files:
        full, _, _, _ = model.classify_file(path)
        sub, score, index, label = model.classify_file(path, labels=allowed)
        p_full, p_sub = full.exp()[0], sub.exp()[0]
        assert p_sub[0] == 0 and p_sub[3] == 0  # neutral, angry: excluded
        assert float(p_sub.sum()) == pytest.approx(1.0, abs=1e-5)
        expected = p_full[[1, 2]] / p_full[[1, 2]].sum()
        assert torch.allclose(p_sub[[1, 2]], expected, rtol=1e-4, atol=1e-6)
        best = 1 if p_full[1] >= p_full[2] else 2
        assert int(index) == best and label == [model.labels[best]]
        assert float(score) == pytest.approx(float(sub[0, best]))
    # a batch gives the same
    # (whole clips: their first samples are digital silence, which is refused)
    wavs, lens = pad_waveforms([read_audio(files[0]), read_audio(files[1])])
    one = model.classify_batch(wavs, lens, labels=allowed)[0]
    assert torch.isinf(one[:, [0, 3]]).all() and torch.isfinite(one[:, [1, 2]]).all()
    # a single allowed class is certain
    assert float(model.classify_file(files[0], labels=["angry"])[0][0, 3]) == 0.0


def test_unknown_or_empty_subsets_are_refused(model_and_files):
    model, files = model_and_files
    with pytest.raises(ValueError, match=r"\['bored'\].*among \['neutral'"):
        model.classify_file(files[0], labels=["happy", "bored"])
    with pytest.raises(ValueError, match="give classes of this model"):
        model.classify_file(files[0], labels=[])
    with pytest.raises(ValueError, match="list of class names"):
        model.classify_file(files[0], labels="happy")


@pytest.mark.slow
def test_cli_predict_labels(trained, model_and_files):
    _, files = model_and_files
    proc = run_cli(
        "predict", "--model", trained.model, "--labels", "happy,sad", files[0]
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert list(result["probabilities"]) == ["happy", "sad"]
    assert sum(result["probabilities"].values()) == pytest.approx(1.0, abs=1e-5)
    assert result["label"] in ("happy", "sad")
    proc = run_cli("predict", "--model", trained.model, "--labels", "bored", files[0])
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines()[-1].startswith("error: --labels: ")
