"""The late fusion of a model and the classic baseline (bench/fusion.py), end to end."""

import json

import pytest

from bench.fusion import WEIGHTS, LateFusion, fusion_baselines, main, run_fusion
from speechbrain_lstm_ser.evaluation.robustness import (
    classifier_predictor,
    read_labelled_audio,
    speaker_predictor,
)
from speechbrain_lstm_ser.inference.load import load_model


@pytest.fixture(scope="module")
def selection(trained, tmp_path_factory):
    """The run's validation split as a domain folder (absolute paths)."""
    folder = tmp_path_factory.mktemp("fusion") / "selection"
    folder.mkdir()
    text = (trained.out / "manifests" / "valid.csv").read_text()
    (folder / "corpus.csv").write_text(text.replace("$data_root", str(trained.data)))
    return folder


@pytest.fixture(scope="module")
def baselines(trained, tmp_path_factory):
    pytest.importorskip("sklearn")
    cache = tmp_path_factory.mktemp("fusion_cache")
    return fusion_baselines(trained.out / "manifests", trained.data, cache=cache)


def test_weight_one_is_the_model_alone_in_both_modes(trained, baselines):
    model = load_model(trained.model)
    test = read_labelled_audio(trained.out / "manifests" / "test.csv", trained.data)
    alone = {
        "utterance": classifier_predictor(model)(test.wavs),
        "speaker": speaker_predictor(model, test.speakers)(test.wavs),
    }
    for mode, (baseline, svm) in baselines.items():
        fusion = LateFusion(model, baseline, svm, mode, weight=1.0)
        assert fusion.predictor(test.speakers)(test.wavs) == alone[mode], mode
        # weight 0: the calibrated SVM's own decision
        fusion.weight = 0.0
        inputs = baseline.inputs(test.wavs, test.speakers)
        expected = [str(label) for label in svm.predict(inputs)]
        assert fusion.predictor(test.speakers)(test.wavs) == expected, mode


def test_the_weight_is_chosen_on_the_selection_domain_and_the_table_follows(
    trained, selection, baselines
):
    result = run_fusion(
        trained.out, selection, trained.data, groups=["gain"], baselines=baselines
    )
    assert result["selection"] == "selection"
    for mode in ("speaker", "utterance"):
        search = result["weight_search"][mode]
        assert [float(w) for w in search] == list(WEIGHTS)
        best = max(search.values())
        assert search[str(result["weights"][mode])] == best
        # the selection domain is a row of the table, measured at that weight
        assert result["domains"]["selection"][mode]["UA"] == pytest.approx(best)
        # a gain-invariant model and level-invariant (or per-speaker) functionals
        for name in ("-20 dB", "+6 dB"):
            assert result["conditions"][name][mode]["unchanged"] >= 0.9, (mode, name)
    assert list(result["conditions"]) == ["clean", "-20 dB", "-10 dB", "+6 dB", "DC"]


@pytest.mark.slow
def test_the_command_writes_one_json_per_run(trained, selection, tmp_path):
    pytest.importorskip("sklearn")
    main(
        [
            "--run",
            str(trained.out),
            "--data_folder",
            str(trained.data),
            "--selection",
            str(selection),
            "--output_dir",
            str(tmp_path),
        ]
    )
    result = json.loads((tmp_path / f"{trained.out.name}.json").read_text())
    assert set(result["weights"]) == {"speaker", "utterance"}
    assert list(result["conditions"]) == ["clean"]
