"""bench.enrolment: accuracy against how much of the speaker the model has."""

import json

import pytest

from bench import enrolment


def test_enrolment_bench_agrees_with_the_recipes_test_report(trained, tmp_path):
    out = tmp_path / "enrolment.json"
    results = enrolment.main([str(trained.out), "--output", str(out)])
    report = json.loads((trained.out / "test_report.json").read_text())
    variants = report["normalization"]["variants"]
    # "all" is the recipe's speaker-normalised test, "none" its single-utterance
    # figure: the same model, the same references, through the inference API.
    # The recipe tests padded batches, the API one clip at a time: other
    # kernels (another CPU) may flip one near-tie of the tiny model, so the
    # UAs may differ by one utterance's weight in one class, and no more.
    # The bench measures the model's references alone (a fusion is off).
    classes = report["per_class"].values()
    one = max(1 / (len(classes) * c["support"]) for c in classes)
    assert results["enrolment"]["all"] == pytest.approx(
        report["unweighted_accuracy"], abs=one + 1e-9
    )
    assert results["none"] == pytest.approx(
        variants["single_utterance"]["UA"], abs=one + 1e-9
    )
    assert set(results["enrolment"]) == {1, 3, 5, 10, "all"}
    assert set(results["running"]) == {"1", "2-5", "6-10", "11-20"}  # 12 each
    assert json.loads(out.read_text())["none"] == results["none"]
