"""bench.plan.Plan: which models run, in which order (fast: no training)."""

import pytest

from bench.plan import Plan

CONFIG = """
reference: base
models:
  base: {description: the reference}
  small: {parent: base, kind: prune}
  small_int8: {parent: small, kind: onnx_int8}
  timed: {budget: wallclock}
  svm: {kind: classic}
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
