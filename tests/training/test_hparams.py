"""The recipe YAMLs: the preparation's options block, includes, overrides."""

from pathlib import Path

import pytest
from hyperpyyaml import resolve_references

from speechbrain_lstm_ser.dataio.prepare_asr import ASRPrepOptions
from speechbrain_lstm_ser.dataio.prepare_commands import CommandsPrepOptions
from speechbrain_lstm_ser.dataio.prepare_emotion import EmotionPrepOptions
from speechbrain_lstm_ser.training.hparams import HparamsError, load_settings

HPARAMS = Path(__file__).resolve().parents[2] / "hparams"
OPTIONS = {
    "lstm.yaml": EmotionPrepOptions,
    "ssl_lstm.yaml": EmotionPrepOptions,
    "streaming_lstm.yaml": EmotionPrepOptions,
    "commands_lstm.yaml": CommandsPrepOptions,
    "asr_lstm.yaml": ASRPrepOptions,
}


@pytest.mark.parametrize("name", sorted(OPTIONS))
def test_the_prepare_block_builds_the_options_object(name):
    settings = load_settings(HPARAMS / name)
    options = OPTIONS[name](**settings["prepare"])
    assert options.dataset == settings["dataset"] == "embedded"
    assert options.corpus == dict(settings["prepare"]["corpora"]["embedded"])
    assert options.corpus["sample_rate"] == settings["sample_rate"]


def test_the_emotion_yamls_share_their_preparation_options():
    blocks = [load_settings(HPARAMS / n)["prepare"] for n in sorted(OPTIONS)[2:]]
    assert sorted(OPTIONS)[2:] == ["lstm.yaml", "ssl_lstm.yaml", "streaming_lstm.yaml"]
    assert blocks[0] == blocks[1] == blocks[2]


def test_top_level_and_nested_overrides_reach_the_options(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # the include is found relative to the YAML
    settings = load_settings(
        HPARAMS / "lstm.yaml",
        "dataset: iemocap\nemotions: [sad, angry]\n"
        "prepare: {valid_speakers: 2, corpora: {iemocap: {sessions: [1, 2]}}}",
    )
    options = EmotionPrepOptions(**settings["prepare"])
    assert (options.dataset, options.emotions) == ("iemocap", ["sad", "angry"])
    assert options.valid_speakers == 2 and options.test_speakers == 0.15
    assert options.corpus == {"sessions": [1, 2], "dialogs": "both"}


def test_an_unknown_option_is_named_with_the_valid_ones():
    settings = load_settings(HPARAMS / "lstm.yaml", "prepare: {valid_speaker: 2}")
    with pytest.raises(ValueError, match="unknown option 'valid_speaker' .*valid: "):
        EmotionPrepOptions(**settings["prepare"])


def test_the_saved_hyperparams_are_self_contained(tmp_path):
    """The results folder's copy holds the included block and loads alone.

    ``speechbrain.create_experiment_directory`` writes ``hyperparams.yaml``
    as ``resolve_references`` of the recipe's YAML file and overrides.
    """
    with open(HPARAMS / "lstm.yaml", encoding="utf-8") as handle:
        resolved = resolve_references(handle, "prepare: {seed: 7}").getvalue()
    saved = tmp_path / "hyperparams.yaml"
    saved.write_text(resolved)
    assert "!include" not in resolved
    assert load_settings(saved)["prepare"]["seed"] == 7


def test_a_moved_key_is_pointed_to_its_block():
    with pytest.raises(HparamsError, match=r'--prepare "\{valid_speakers: 2\}"'):
        load_settings(HPARAMS / "lstm.yaml", "valid_speakers: 2")


def _augmenters(node):
    """Every ``!new:...Augmenter`` node of a YAML's settings, nested ones too."""
    tag = getattr(getattr(node, "tag", None), "value", None) or ""
    if tag.endswith(".Augmenter"):
        yield node
    if isinstance(node, dict):
        for value in node.values():
            yield from _augmenters(value)
    elif isinstance(node, list):
        for value in node:
            yield from _augmenters(value)


@pytest.mark.parametrize("name", sorted(OPTIONS))
def test_every_listed_augmentation_can_be_drawn(name):
    # SpeechBrain's Augmenter applies the FIRST N entries (N drawn from
    # min..max) unless it shuffles: an entry after max_augmentations would be
    # listed but never applied.
    found = list(_augmenters(load_settings(HPARAMS / name)))
    assert found, f"{name} has no Augmenter"
    for augmenter in found:
        listed = len(augmenter["augmentations"])
        drawn = augmenter.get("max_augmentations") or listed
        if not augmenter.get("shuffle_augmentations", False):
            assert listed <= drawn, (name, listed, drawn)
