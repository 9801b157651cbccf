"""Dimensional emotion in the classification Brain: objective, checks, YAML keys."""

import csv
import json
import math
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from speechbrain_lstm_ser.evaluation.dimensions import concordance_correlation
from speechbrain_lstm_ser.training.brain import RecipeOptions
from speechbrain_lstm_ser.training.dimensions import (
    DimensionObjective,
    check_dimension_columns,
    dimension_pipeline,
)
from speechbrain_lstm_ser.training.hparams import load_hparams, load_settings

HPARAMS = Path(__file__).resolve().parents[2] / "hparams"
EMOTION_YAMLS = ("lstm.yaml", "ssl_lstm.yaml", "streaming_lstm.yaml")
KEYS = ("dimension_weight", "category_weight", "dimension_bootstrap")


def test_the_pipeline_reads_unknown_as_nan():
    item = dimension_pipeline()("0.25", " ", "1")
    assert item.dtype == torch.float32
    assert item[0] == 0.25 and math.isnan(item[1]) and item[2] == 1.0


@pytest.mark.parametrize(
    "rows, message",
    [
        ({"train": [{"arousal": "0.5", "valence": "0.5"}]}, r"has no \['dominance'\]"),
        (
            {
                "train": [{"arousal": "0.5", "valence": "0.1", "dominance": "0.2"}],
                "test": [{"arousal": "0.5"}],
            },
            r"the test manifest has no \['valence', 'dominance'\]",
        ),
        (
            {"train": [{"arousal": "0.5", "valence": "0.5", "dominance": ""}]},
            r"no utterance of the train manifest has a known \['dominance'\]",
        ),
    ],
)
def test_manifests_that_cannot_train_the_head_are_refused_in_one_line(rows, message):
    with pytest.raises(ValueError, match=message):
        check_dimension_columns(rows)


def test_unknown_references_are_fine_outside_training():
    rows = {
        "train": [{"arousal": "0.1", "valence": "0.2", "dominance": "0.3"}],
        "test": [{"arousal": "", "valence": "", "dominance": ""}],
    }
    check_dimension_columns(rows)


def test_the_loss_weights_the_two_objectives():
    refs = torch.tensor([[0.1, 0.2, 0.3], [0.9, 0.5, 0.6], [0.4, 0.8, 0.1]])
    worse = refs.flip(0)  # a permutation: same moments, lower CCC
    ccc = 1 - torch.tensor(
        [concordance_correlation(worse[:, d], refs[:, d]) for d in range(3)]
    )
    ce = torch.tensor(1.3)
    multi = DimensionObjective(weight=0.5, category_weight=2.0)
    assert float(multi.loss(ce, worse, refs)) == pytest.approx(
        2.0 * 1.3 + 0.5 * float(ccc.mean()), abs=1e-5
    )
    alone = DimensionObjective(weight=1.0, category_weight=0.0)
    assert alone.alone and not multi.alone
    assert float(alone.loss(ce, worse, refs)) == pytest.approx(
        float(ccc.mean()), abs=1e-5
    )
    with pytest.raises(ValueError, match="both 0"):
        DimensionObjective(weight=0.0, category_weight=0.0)
    with pytest.raises(ValueError, match="category_weight must be >= 0"):
        DimensionObjective(weight=1.0, category_weight=-1.0)


def _filled(objective, rng, n=24, speakers=("s1", "s2", "s3")):
    refs = rng.random((n, 3))
    pred = np.clip(refs + 0.1 * rng.standard_normal((n, 3)), 0, 1)
    refs[2, 1] = np.nan  # valence unknown for one utterance
    objective.new_stage()
    for start in range(0, n, 8):
        part = slice(start, start + 8)
        objective.append(
            [f"u{i}" for i in range(start, min(n, start + 8))],
            torch.tensor(pred[part]),
            torch.tensor(refs[part]),
            ["female", "male"] * 4,
            [speakers[i % 3] for i in range(start, min(n, start + 8))],
        )
    return pred, refs


def test_validation_ccc_is_over_the_whole_stage_with_unknowns_left_out():
    objective = DimensionObjective(weight=1.0)
    pred, refs = _filled(objective, np.random.default_rng(0))
    stats = objective.stage_stats()
    known = ~np.isnan(refs[:, 1])
    expected = concordance_correlation(pred[known, 1], refs[known, 1])
    assert stats["CCC_valence"] == pytest.approx(expected)
    names = ["CCC_arousal", "CCC_valence", "CCC_dominance"]
    assert stats["CCC"] == pytest.approx(np.mean([stats[k] for k in names]))


def test_the_test_report_section_and_the_predictions_file(tmp_path):
    objective = DimensionObjective(weight=1.0, bootstrap=20, seed=3)
    pred, refs = _filled(objective, np.random.default_rng(1))
    metrics = objective.metrics
    objective.single_utterance.append(
        metrics.ids,
        np.clip(pred + 0.05, 0, 1),
        refs,
        genders=metrics.groups["genders"],
        speakers=metrics.groups["speakers"],
    )
    section = objective.report_section("speaker", tmp_path)
    assert (tmp_path / "valence_arousal.png").is_file()
    json.dumps(section)  # serialisable
    assert section["reference"] == "speaker"
    assert section["names"] == ["arousal", "valence", "dominance"]
    assert section["overall"]["valence"]["n"] == 23
    assert sorted(section["per_speaker"]) == ["s1", "s2", "s3"]
    single = section["variants"]["single_utterance"]["overall"]["arousal"]["ccc"]
    assert single != section["overall"]["arousal"]["ccc"]
    assert "(single utterance): CCC arousal 0." in objective.summary_line(section)
    objective.write_predictions(tmp_path)
    with open(tmp_path / "dimension_predictions.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 24 and rows[2]["valence"] == ""
    assert float(rows[0]["arousal_pred"]) == pytest.approx(pred[0, 0], abs=1e-6)


def test_the_objective_follows_the_model():
    model = SimpleNamespace(regressor=None)
    off = RecipeOptions()
    assert DimensionObjective.from_hparams(SimpleNamespace(model=model), off) is None
    on = RecipeOptions(dimension_weight=1.0)
    with pytest.raises(ValueError, match="has no regressor"):
        DimensionObjective.from_hparams(SimpleNamespace(model=model), on)
    hparams = SimpleNamespace(model=SimpleNamespace(regressor=object()), seed=7)
    objective = DimensionObjective.from_hparams(hparams, on)
    assert (objective.weight, objective.seed, objective.bootstrap) == (1.0, 7, 1000)


@pytest.mark.parametrize("name", EMOTION_YAMLS)
def test_every_emotion_yaml_has_the_keys_off_by_default(name):
    settings = load_settings(HPARAMS / name)
    assert [settings[k] for k in KEYS] == [0.0, 1.0, 1000]
    assert RecipeOptions.from_hparams(settings).dimension_weight == 0.0


@pytest.mark.slow  # builds the default YAML twice: seconds
def test_switched_off_the_default_model_is_unchanged_and_on_it_has_the_head():
    off = load_hparams(HPARAMS / "lstm.yaml", "n_mels: 20\nlstm_hidden: 8")
    assert off["model"].regressor is None
    assert not any("regressor" in k for k in off["model"].state_dict())
    on = load_hparams(
        HPARAMS / "lstm.yaml", "n_mels: 20\nlstm_hidden: 8\ndimension_weight: 1.0"
    )
    head = on["model"].regressor
    assert type(head).__name__ == "DimensionHead"
    assert head.hidden[0].in_features == on["classifier"].hidden[0].in_features
    # the same parts and the same initial weights before the head
    for key, value in off["model"].state_dict().items():
        torch.testing.assert_close(on["model"].state_dict()[key], value)
