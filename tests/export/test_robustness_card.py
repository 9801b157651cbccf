"""The model card's robustness section, read from `sb-lstm-ser robustness --json`."""

import json

import pytest

from speechbrain_lstm_ser.export.robustness_card import (
    ROBUSTNESS_END,
    ROBUSTNESS_START,
    read_robustness,
    with_robustness,
)

CARD = "---\nlibrary_name: speechbrain\n---\n# m\n\n## Results\n\n## Limitations\n\nx\n"


def _summary(model, ua=0.6):
    return {
        "model": str(model),
        "manifest": "run/manifests/test.csv",
        "seed": 0,
        "groups": ["noise", "reverb"],
        "domain_paths": {"emotion_flite": "data/emotion_flite"},
        "utterances": 320,
        "conditions": {
            "clean": {"utterance": {"UA": ua, "delta_UA": 0.0, "unchanged": 1.0}},
            "white noise 20 dB": {
                "utterance": {"UA": 0.5, "delta_UA": -0.1, "unchanged": 0.8}
            },
        },
        "domains": {
            "emotion_flite": {
                "utterances": 384,
                "speakers": 8,
                "utterance": {"UA": 0.4, "delta_UA": -0.2},
            }
        },
    }


def test_the_section_lists_every_row_before_the_limitations(tmp_path):
    card = with_robustness(CARD, _summary(tmp_path))
    section = card[card.index(ROBUSTNESS_START) : card.index(ROBUSTNESS_END)]
    assert section.index("## Robustness") < section.index("| condition |")
    assert "| white noise 20 dB | 0.500 | -10.0 | 80.0 % |" in section
    assert "| domain emotion_flite (384 utt., 8 spk.) | 0.400 | -20.0 | – |" in section
    assert "320 utterances of `test.csv`" in section and "noise, reverb" in section
    # a single-utterance table (a model that is not speaker-normalised) says so
    assert "no per-speaker column" in section and "(speaker)" not in section
    assert card.index(ROBUSTNESS_END) < card.index("## Limitations")
    assert card.startswith(CARD.split("## Limitations")[0])


def test_measuring_again_replaces_the_section(tmp_path):
    once = with_robustness(CARD, _summary(tmp_path, ua=0.6))
    again = with_robustness(once, _summary(tmp_path, ua=0.7))
    assert again.count("## Robustness") == 1
    assert "| clean | 0.700 |" in again and "| clean | 0.600 |" not in again
    assert with_robustness("# no limitations\n", _summary(tmp_path)).endswith(
        ROBUSTNESS_END + "\n"
    )


def test_a_table_of_another_model_or_no_table_is_refused(tmp_path):
    model = tmp_path / "model"
    model.mkdir()
    path = tmp_path / "r.json"
    path.write_text(json.dumps(_summary(model)))
    assert read_robustness(path, model)["utterances"] == 320
    with pytest.raises(ValueError, match=r"r.json: measured .*other.*--model"):
        read_robustness(path, tmp_path / "other")
    gain_only = {"model": str(model), "conditions": {}, "failures": []}
    path.write_text(json.dumps(gain_only))
    with pytest.raises(ValueError, match="no cross-domain UA table.*--conditions all"):
        read_robustness(path, model)
    path.write_text("{not json")
    with pytest.raises(ValueError, match="r.json: not a readable robustness JSON"):
        read_robustness(path)
