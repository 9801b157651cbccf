"""bench.plan.Plan: which models run, in which order (fast: no training)."""

import pytest

from bench.plan import Plan

CONFIG = """
reference: base
dimension_reference: dims
models:
  base: {description: the reference}
  small: {parent: base, kind: prune}
  small_int8: {parent: small, kind: onnx_int8}
  timed: {budget: wallclock}
  svm: {kind: classic}
  dims: {hparams: {dimension_weight: 1.0}}
  svr: {kind: classic_regression, classic: {normalisation: global}}
"""


@pytest.fixture
def config(tmp_path):
    path = tmp_path / "models.yaml"
    path.write_text(CONFIG)
    return path


def test_parents_come_first_once(config):
    plan = Plan(config, budget="epochs")
    assert plan.order(["small_int8", "svm", "small"]) == [
        "base",
        "small",
        "small_int8",
        "svm",
    ]
    assert plan.kind("small") == "prune" and plan.kind("base") == "train"


def test_a_wallclock_budget_puts_the_reference_first(config):
    assert Plan(config, budget="mixed").order(["timed"]) == ["base", "timed"]
    assert Plan(config, budget="mixed").wallclock("timed")
    # with every model on epochs, the reference is not needed
    assert Plan(config, budget="epochs").order(["timed"]) == ["timed"]
    assert not Plan(config, budget="epochs").wallclock("timed")


def test_an_unknown_model_is_one_clear_error(config):
    with pytest.raises(KeyError, match="unknown model 'nope'; known: "):
        Plan(config).order(["nope"])


def test_the_dimensional_rows_and_their_reference(config, tmp_path):
    plan = Plan(config, budget="epochs")
    assert plan.dimension_reference == "dims"
    assert plan.kind("svr") == "classic_regression" and plan.kind("dims") == "train"
    assert plan.order(["svr", "dims"]) == ["svr", "dims"]
    # optional: a configuration without it compares no CCCs
    path = tmp_path / "plain.yaml"
    path.write_text("reference: base\nmodels:\n  base: {}\n")
    assert Plan(path).dimension_reference is None
