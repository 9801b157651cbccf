"""Fitting the functionals fusion, and the recipe's fused model end to end."""

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from speechbrain_lstm_ser.evaluation.robustness import read_labelled_audio
from speechbrain_lstm_ser.inference.load import load_model
from speechbrain_lstm_ser.nnet.fusion import FunctionalsFusion
from speechbrain_lstm_ser.training.fusion import (
    fit_fusion,
    fit_logistic,
    fuse_exported_model,
    selection_source,
)
from speechbrain_lstm_ser.training.hparams import load_hparams


def test_fit_logistic_is_scikit_learns_balanced_logistic_regression():
    sklearn = pytest.importorskip("sklearn.linear_model")
    rng = np.random.default_rng(0)
    x = rng.normal(size=(120, 5))
    y = (x[:, 0] + 0.5 * x[:, 1] + rng.normal(scale=0.8, size=120) > 0.4).astype(int)
    y[x[:, 2] > 1.0] = 2  # three classes, unbalanced
    ref = sklearn.LogisticRegression(C=0.5, class_weight="balanced", max_iter=5000)
    ref.fit(x, y)
    weight, bias = fit_logistic(torch.from_numpy(x), torch.from_numpy(y), 3, c=0.5)
    ours = (torch.from_numpy(x) @ weight.T + bias).softmax(-1).numpy()
    assert np.allclose(ours, ref.predict_proba(x), atol=1e-3)  # solvers' tolerances


@pytest.fixture(scope="module")
def splits(trained):
    manifests = trained.out / "manifests"
    return {
        name: read_labelled_audio(manifests / f"{name}.csv", trained.data, 16000, "emo")
        for name in ("train", "valid", "test")
    }


def test_the_recipe_exports_the_fused_model_it_tested(trained):
    report = json.loads((trained.out / "test_report.json").read_text())
    section = report["fusion"]
    model = load_model(trained.model)
    fusion = model.model.fusion
    assert {m: fusion.weight(m) for m in ("speaker", "utterance")} == section["weights"]
    assert section["selection"] == "valid"
    assert section["seconds"] > 0
    for fit in section["fit"].values():  # JSON keys: the weights as text
        best = max(fit["tried"], key=lambda w: fit["tried"][w])  # the first best
        assert fit["weight"] == float(best)
        assert fit["tried"][best] == fit["UA"]
    assert (
        "## Late fusion with prosodic functionals"
        in (trained.model / "README.md").read_text()
    )


def test_fit_fusion_chooses_the_best_weight_on_the_selection_set(trained, splits):
    model = load_model(trained.model)
    fit = fit_fusion(
        model, splits["train"], splits["valid"], splits["test"], [1.0], [0.0, 1.0]
    )
    for mode, result in fit.items():
        assert set(result["tried"]) == {0.0, 1.0}
        assert result["UA"] == max(result["tried"].values())
        assert model.model.fusion.weight(mode) == result["weight"]
    with pytest.raises(ValueError, match=r"fusion_weights must be values in \[0, 1\]"):
        fit_fusion(model, splits["train"], splits["valid"], splits["valid"], [1.0], [2])


def test_few_enrolled_clips_fall_back_to_the_utterance_head(trained, splits):
    model = load_model(trained.model)
    fusion = model.model.fusion
    fusion.weights.copy_(torch.tensor([0.0, 1.0]))  # speaker: functionals alone
    test = splits["test"]
    speaker = test.speakers[0]
    clips = [w for w, s in zip(test.wavs, test.speakers, strict=True) if s == speaker]
    wav = clips[0][None]
    alone = model.outputs(wav)[0]
    fusion.min_clips = len(clips) + 1
    model.enrol_waveforms(speaker, clips)
    assert model.enrolment.functionals_statistics([speaker]) is None
    model.forget()
    fusion.min_clips = len(clips)
    model.enrol_waveforms(speaker, clips)
    fused = model.outputs(wav, speaker=speaker)[0]
    feats = fusion.extract(*model.prepare_batch(wav))
    expected = fusion.head_log_probs(
        feats, model.enrolment.functionals_statistics([speaker])
    )
    assert torch.allclose(fused, expected, atol=1e-5)
    assert alone.shape == fused.shape


def test_a_selection_domain_that_cannot_be_used_is_named(trained, tmp_path):
    hparams = {
        "export_folder": trained.model,
        "sample_rate": 16000,
        "data_folder": trained.data,
        **{
            f"{split}_annotation": trained.out / "manifests" / f"{split}.csv"
            for split in ("train", "valid", "test")
        },
    }
    missing = tmp_path / "no_domain"
    with pytest.raises(ValueError, match="no_domain: no such domain folder"):
        fuse_exported_model({**hparams, "fusion_selection": missing})
    manifest = tmp_path / "other.csv"
    rows = (trained.out / "manifests" / "valid.csv").read_text().splitlines()
    row = rows[1].replace(",neutral,", ",bored,")
    row = row.replace("$data_root", str(trained.data))
    manifest.write_text("\n".join([rows[0], row]))
    with pytest.raises(ValueError, match=r"labels \['bored'\] are not among"):
        fuse_exported_model({**hparams, "fusion_selection": manifest})


def test_auto_selection_is_the_generated_validation_domain_for_the_embedded_corpus(
    monkeypatch, tmp_path
):
    from speechbrain_lstm_ser.dataio.synthetic import domains

    made = []
    monkeypatch.setattr(
        domains,
        "generate_domain_corpus",
        lambda folder, options: made.append((folder, options.domain)),
    )
    folder = str(tmp_path / "validation")
    hparams = {"fusion_selection": "auto", "validation_domain": f"{folder}/x/.."}
    assert selection_source({**hparams, "dataset": "embedded"}) == folder
    assert made == [(folder, "validation")]
    assert selection_source({**hparams, "dataset": "ravdess"}) == "valid"
    assert len(made) == 1


def test_the_default_yaml_has_the_fusion_and_can_switch_it_off():
    yaml = Path(__file__).resolve().parents[2] / "hparams" / "lstm.yaml"
    small = "n_mels: 20\nlstm_hidden: 8\nhead_hidden: 8"
    on = load_hparams(yaml, small)
    assert isinstance(on["model"].fusion, FunctionalsFusion)
    assert on["model"].fusion.min_clips == 10
    assert "fusion" in on["model"].parts()
    off = load_hparams(yaml, small + "\nfunctionals_fusion: False")
    assert off["model"].fusion is None and "fusion" not in off["model"].parts()
    # the fusion adds buffers only: the trained parameters are the same
    assert [n for n, _ in on["model"].named_parameters()] == [
        n for n, _ in off["model"].named_parameters()
    ]
