"""The model card and the Markdown report say how the test set was split.

And the card lists the dimensions' CCCs when the report has them.
"""

import numpy as np

from speechbrain_lstm_ser.dataio.leakage import (
    SPEAKER_DEPENDENT,
    leakage_report,
    leakage_summary,
)
from speechbrain_lstm_ser.evaluation.classification import classification_report
from speechbrain_lstm_ser.evaluation.dimensions import dimension_report
from speechbrain_lstm_ser.evaluation.reports import format_markdown
from speechbrain_lstm_ser.export.card import CardOptions, read_front_matter, render_card


def _report(shared_speaker):
    splits = {
        "train": [{"ID": "1", "spk_id": "A"}, {"ID": "2", "spk_id": "B"}],
        "valid": [{"ID": "3", "spk_id": "C"}],
        "test": [{"ID": "4", "spk_id": shared_speaker}],
    }
    report = classification_report(["a", "b"], ["a", "a"], ["a", "b"])
    report["protocol"] = "EmoBox partitions of emodb"
    report["leakage"] = leakage_summary(leakage_report(splits))
    return report


def _card(report, **extra):
    options = CardOptions(
        title="t",
        task="Speech Emotion Recognition",
        pipeline_tag="audio-classification",
        interface="speechbrain_lstm_ser.inference.EmotionRecognizer",
        source="me/model",
        call=extra.pop("call", "classify_file({example})"),
        labels=["a", "b"],
        dataset="emodb",
        synthetic=False,
        description="d",
        report=report,
        **extra,
    )
    return render_card(options)


def test_a_speaker_dependent_split_is_flagged_in_card_and_report():
    report = _report(shared_speaker="A")
    card = _card(report)
    assert SPEAKER_DEPENDENT in card
    assert "1 of its speakers also train" in card
    assert "speakers unseen in training" not in card
    assert "| train-test | 1 | not checked |" in card
    assert "## Evaluation protocol" in card and "EmoBox partitions of emodb" in card
    markdown = format_markdown(report)
    assert f"**{SPEAKER_DEPENDENT}**" in markdown
    assert "| speakers in both train and test | 1 |" in markdown


def test_a_speaker_independent_split_says_so():
    report = _report(shared_speaker="D")
    card = _card(report)
    assert "speakers unseen in training" in card and SPEAKER_DEPENDENT not in card
    assert "| speakers in both train and test | 0 |" in format_markdown(report)
    report["init_from"] = {"source": "user/ser", "head": "published"}
    assert "Fine-tuned from `user/ser` (published)." in _card(report)
    report["init_from"]["source"] = "/home/me/models/ser"  # a local path: not named
    assert "/home/me" not in _card(report)


def test_the_card_states_the_temperature_and_the_test_ece():
    report = _report(shared_speaker="D")
    assert "temperature" not in _card(report)  # no calibration section
    report["calibration"] = {
        "temperature": 0.8123,
        "num_bins": 15,
        "fitted_on": "valid",
        "before": {"ece": 0.1, "mce": 0.3, "nll": 0.5},
        "after": {"ece": 0.0412, "mce": 0.2, "nll": 0.4},
    }
    card = _card(report)
    assert "temperature-scaled (T = 0.812, fitted on the validation split)" in card
    assert "test split 0.041 (15 bins; 0.100 without scaling)" in card
    report["calibration"]["fitted_on"] = None
    assert "not temperature-scaled (T = 0.812)" in _card(report)


def test_the_card_lists_the_cccs_when_the_report_has_them():
    report = classification_report(["a", "b"], ["a", "a"], ["a", "b"])
    plain = _card(report)
    assert "## Dimensions" not in plain
    assert "ccc" not in read_front_matter(plain)["metrics"]
    rng = np.random.default_rng(0)
    refs = rng.random((30, 3))
    pred = np.clip(refs + 0.1 * rng.standard_normal((30, 3)), 0, 1)
    section = dimension_report(
        pred, refs, genders=["female"] * 30, speakers=["s1", "s2"] * 15, bootstrap=20
    )
    report["dimensions"] = {"reference": "speaker", **section}
    card = _card(report)
    assert "## Dimensions" in card
    arousal = section["overall"]["arousal"]["ccc"]
    assert f"| arousal | {arousal:.4f} |" in card
    front = read_front_matter(card)
    assert "ccc" in front["metrics"]
    names = [m["name"] for m in front["model-index"][0]["results"][0]["metrics"]]
    assert names[-3:] == ["CCC arousal", "CCC valence", "CCC dominance"]


def test_the_card_of_a_model_of_the_dimensions_alone_shows_no_accuracy():
    """``category_weight: 0``: its classifier is untrained; no UA, WA, F1, ECE."""
    from speechbrain_lstm_ser.export.card import DIMENSIONS_ONLY, example_method

    report = _report(shared_speaker="D")
    scores = {"ccc": 0.5, "ccc_ci": [0.4, 0.6], "pearson": 0.6, "mae": 0.2}
    report["dimensions"] = {"names": ["arousal"], "overall": {"arousal": scores}}
    report["calibration"] = {
        "temperature": 1.2,
        "num_bins": 15,
        "fitted_on": "valid",
        "before": {"ece": 0.1},
        "after": {"ece": 0.05},
    }
    report["by_gender"] = {
        "female": {"num_utterances": 2, "unweighted_accuracy": 0.5, "accuracy": 0.5}
    }
    report["normalization"] = {
        "reference": "speaker",
        "note": "transductive",
        "variants": {"single_utterance": {"UA": 0.5, "WA": 0.5, "utterances": 2}},
    }
    interface = "speechbrain_lstm_ser.inference.EmotionRecognizer"
    call = example_method(interface, classifier_trained=False) + "({example})"
    card = _card(report, classifier_trained=False, call=call)
    for absent in ("UA", "WA", "macro-F1", "temperature", "| gender |", "Classes:"):
        assert absent not in card, absent
    assert DIMENSIONS_ONLY in card and "| CCC arousal | 0.5000 |" in card
    assert "Features relative to the **speaker**" in card  # what it was measured with
    assert "model.predict_file(" in card and "classify_file" not in card
    front = read_front_matter(card)
    assert front["metrics"] == ["ccc"]
    assert "UA (mean per-class recall)" in _card(report)  # a trained one: as before


def test_the_card_names_the_features_and_their_floor():
    from speechbrain.processing.features import InputNormalization

    from speechbrain_lstm_ser.export.folder import describe_model
    from speechbrain_lstm_ser.nnet.features import FbankProsody
    from speechbrain_lstm_ser.nnet.normalization import RunningReferenceNormalization

    def features(floor):
        return FbankProsody(n_mels=20, n_fft=512, noise_floor_db=floor)

    floored = describe_model(
        {"compute_features": features(25.0), "mean_var_norm": InputNormalization()}
    )
    assert floored.startswith(
        "FbankProsody (floor 25 dB under the loudest frame) -> InputNormalization;"
    )
    assert describe_model({"compute_features": features(None)}).startswith(
        "FbankProsody;"
    )
    gated = FbankProsody(n_mels=20, noise_floor_db=25.0, voicing_gate_db=20.0)
    assert describe_model({"compute_features": gated}).startswith(
        "FbankProsody (floor 25 dB under the loudest frame; unvoiced 20 dB under it);"
    )
    gate_only = FbankProsody(n_mels=20, voicing_gate_db=20.0)
    assert describe_model({"compute_features": gate_only}).startswith(
        "FbankProsody (unvoiced 20 dB under the loudest frame);"
    )
    both_gates = FbankProsody(
        n_mels=20, noise_floor_db=25.0, voicing_gate_db=20.0, voicing_noise_gate_db=10.0
    )
    assert describe_model({"compute_features": both_gates}).startswith(
        "FbankProsody (floor 25 dB under the loudest frame; unvoiced 20 dB under it"
        " or within 10 dB of the noise level);"
    )
    over_noise = FbankProsody(n_mels=20, noise_floor_db=25.0, noise_floor_margin_db=6.0)
    assert describe_model({"compute_features": over_noise}).startswith(
        "FbankProsody (floor 25 dB under the loudest frame or 6 dB over the noise"
        " level);"
    )
    noise_gate_only = FbankProsody(n_mels=20, voicing_noise_gate_db=10.0)
    assert describe_model({"compute_features": noise_gate_only}).startswith(
        "FbankProsody (unvoiced within 10 dB of the noise level);"
    )
    running = describe_model(
        {"reference_norm": RunningReferenceNormalization(noise_floor_db=20.0)}
    )
    assert running.startswith(
        "RunningReferenceNormalization (floor 20 dB under the loudest frame so far);"
    )
