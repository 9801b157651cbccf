"""The bench's dimensional rows: CCC measurement and paired CCC differences (fast)."""

import csv
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

from bench.compare import compare_dimensions, paired_ccc_bootstrap
from bench.measure import TestSet as MeasuredSet
from bench.measure import dimension_accuracy
from speechbrain_lstm_ser.evaluation.dimensions import concordance_correlation
from speechbrain_lstm_ser.nnet.models import preprocess_waveforms
from speechbrain_lstm_ser.training.hparams import load_hparams

ROOT = Path(__file__).resolve().parents[2]
RATE = 16000
TINY = {"lstm_hidden": 8, "head_hidden": 8, "n_mels": 20}


def test_the_paired_difference_is_that_of_the_two_cccs():
    rng = np.random.default_rng(0)
    truth = rng.random(40)
    good = truth + 0.1 * rng.standard_normal(40)
    poor = truth + 0.5 * rng.standard_normal(40)
    delta, low, high = paired_ccc_bootstrap(truth, good, poor, resamples=200)
    expected = concordance_correlation(poor, truth) - concordance_correlation(
        good, truth
    )
    assert delta == pytest.approx(expected, abs=1e-6)
    assert low < delta < high < 0  # clearly worse: the whole interval below 0
    # swapped, the difference changes sign; the same model, no difference
    assert paired_ccc_bootstrap(truth, poor, good, resamples=200)[0] == -delta
    assert paired_ccc_bootstrap(truth, good, good, resamples=50) == (0.0, 0.0, 0.0)
    assert paired_ccc_bootstrap([0.5], [0.5], [0.4]) == (None, None, None)


def _manifest(path: Path, rows: list[list]) -> Path:
    with open(path, "w", newline="") as handle:
        csv.writer(handle).writerows(
            [["ID", "duration", "wav", "arousal", "valence", "dominance"], *rows]
        )
    return path


def test_rows_are_compared_in_the_modes_they_share(tmp_path):
    ids = [f"u{i}" for i in range(12)]
    truth = np.linspace(0.1, 0.9, 12)
    manifest = _manifest(
        tmp_path / "test.csv",
        # valence unknown for the first utterance: left out of its CCC
        [[u, 1.0, "x.wav", f"{t:.4f}", "" if i == 0 else f"{t:.4f}", f"{t:.4f}"]
         for i, (u, t) in enumerate(zip(ids, truth, strict=True))],
    )  # fmt: skip
    exact = {u: [t, t, t] for u, t in zip(ids, truth, strict=True)}
    shifted = {u: [t + 0.1, t, 0.5] for u, t in zip(ids, truth, strict=True)}
    results = {
        "lstm": {"dimension_predictions": {"speaker": exact, "utterance": exact}},
        "svr": {"dimension_predictions": {"speaker": shifted}},
        "svm": {"UA": 0.5},  # no dimensions: nothing added
    }
    compare_dimensions(results, "lstm", manifest, resamples=30)
    delta = results["svr"]["delta_CCC_vs_reference"]
    assert list(delta) == ["speaker"]  # the only mode both rows have
    ccc = concordance_correlation(truth + 0.1, truth)
    assert delta["speaker"]["arousal"][0] == pytest.approx(ccc - 1, abs=1e-6)
    assert delta["speaker"]["valence"] == [0.0, 0.0, 0.0]
    assert delta["speaker"]["dominance"][0] == -1.0  # a constant guess: CCC 0
    assert results["lstm"]["delta_CCC_vs_reference"]["utterance"]["valence"] == [
        0.0,
        0.0,
        0.0,
    ]
    assert "delta_CCC_vs_reference" not in results["svm"]
    # no reference row, or one without dimensions: nothing compared
    results = {"svr": {"dimension_predictions": {"speaker": shifted}}}
    compare_dimensions(results, None, manifest)
    compare_dimensions({**results, "svm": {"UA": 0.5}}, "svm", manifest)
    assert "delta_CCC_vs_reference" not in results["svr"]


@pytest.fixture(scope="module")
def test_set(tmp_path_factory):
    """Four utterances of two speakers, with their dimensions."""
    root = tmp_path_factory.mktemp("dims")
    rng = np.random.default_rng(0)
    t = np.arange(3 * RATE // 10) / RATE
    rows = []
    for i in range(4):  # a tone in noise: each utterance its own spectrum
        wav = np.sin(2 * np.pi * (200 + 150 * i) * t) + rng.standard_normal(t.size)
        # then a pause, 20 dB quieter: the noise level the voicing is gated over
        # (a sound that never gets quieter reads as noise throughout)
        pause = 0.1 * rng.standard_normal(RATE // 10)
        sf.write(
            root / f"u{i}.wav", (0.05 + 0.05 * i) * np.concatenate([wav, pause]), RATE
        )
        rows.append(
            [f"u{i}", 0.4, f"{root}/u{i}.wav", f"s{i % 2}", "female", "happy",
             f"{i / 3:.2f}", f"{1 - i / 3:.2f}", "0.5"]
        )  # fmt: skip
    path = root / "test.csv"
    with open(path, "w", newline="") as handle:
        csv.writer(handle).writerows(
            [["ID", "duration", "wav", "spk_id", "gender", "emo", "arousal",
              "valence", "dominance"], *rows]
        )  # fmt: skip
    return MeasuredSet(path, root, RATE)


@pytest.fixture(scope="module")
def hparams(test_set):
    """The default model, tiny and untrained, with its regression head."""
    overrides = {**TINY, "dimension_weight": 1.0}
    hparams = load_hparams(ROOT / "hparams" / "lstm.yaml", overrides)
    torch.manual_seed(0)
    with torch.no_grad():  # global normalisation statistics of the test tones
        feats = hparams["compute_features"](torch.stack(test_set.wavs))
        hparams["mean_var_norm"](feats, torch.ones(len(feats)))
        for weight in hparams["model"].regressor.parameters():  # not constant
            weight.normal_(0.0, 0.5)
    return hparams


def test_a_model_with_a_regressor_is_scored_in_both_modes(hparams, test_set):
    result = dimension_accuracy(hparams, test_set, bootstrap=20)
    assert list(result["dimensions"]) == ["utterance", "speaker"]
    references = np.array(
        [[round(i / 3, 2), round(1 - i / 3, 2), 0.5] for i in range(4)]
    )
    for mode, report in result["dimensions"].items():
        predicted = np.array(list(result["dimension_predictions"][mode].values()))
        assert predicted.shape == (4, 3) and report["bootstrap"]["resamples"] == 20
        assert report["overall"]["arousal"]["ccc"] == pytest.approx(
            concordance_correlation(predicted[:, 0], references[:, 0]), abs=1e-5
        )
        assert report["overall"]["dominance"]["ccc"] in (0.0, None)  # constant
        assert sorted(report["per_speaker"]) == ["s0", "s1"]
    # against its speaker, an utterance is normalised otherwise than alone
    speaker = result["dimension_predictions"]["speaker"]["u0"]
    alone = result["dimension_predictions"]["utterance"]["u0"]
    assert not np.allclose(speaker, alone)
    # the first mode is each utterance alone: the model's own dimensions (on
    # the pre-processed waveform, as everywhere: the default denoises)
    wav = test_set.wavs[0][None]
    with torch.no_grad():
        cleaned = preprocess_waveforms(hparams["modules"], wav, torch.ones(1))
        direct = hparams["model"].dimensions(*cleaned)
    assert np.allclose(alone, direct[0].numpy(), atol=1e-5)


def test_a_model_without_a_regressor_has_no_dimensions(hparams, test_set, monkeypatch):
    monkeypatch.setattr(hparams["model"], "regressor", None)
    assert dimension_accuracy(hparams, test_set) == {}
