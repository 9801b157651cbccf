"""bench.noise_stages: the stage swaps, on a stand-in front end."""

import types

import pytest
import torch

from bench.noise_stages import stage_table, swap_channels


class _Front:
    """Features: the waveform as (frames, 2 mels + 3 prosody); the label: whether
    the first filterbank's mean exceeds the reference's (0 without one)."""

    recognizer = types.SimpleNamespace(labels=["low", "high"])

    def bounds(self, wav):
        return 0, wav.numel()

    def features(self, wav, bounds):
        return wav[bounds[0] : bounds[1]].reshape(-1, 5)

    def statistics(self, feats):
        return feats.sum(0), torch.tensor([float(len(feats))])

    def label(self, feats, reference):
        level = 0.0 if reference is None else float(reference[0])
        return int(float(feats[:, 0].mean()) > level + 0.5)


def test_only_the_swapped_stage_comes_back():
    gen = torch.Generator().manual_seed(0)
    clean = [0.5 * torch.rand(20, generator=gen) for _ in range(6)]
    noisy = []
    for wav in clean:
        wav = wav.clone().reshape(4, 5)
        wav[:, 0] += 1.0  # the noise moves the first filterbank only
        noisy.append(wav.reshape(-1))
    labels = ["low"] * 6
    table = stage_table(_Front(), clean, noisy, labels, ["a", "a", "a", "b", "b", "b"])
    assert table["utterance: noisy"]["unchanged"] == 0.0
    assert table["utterance: noisy + clean filterbanks"]["unchanged"] == 1.0
    assert table["utterance: noisy + clean log-F0"]["unchanged"] == 0.0
    assert table["utterance: clean + noisy filterbanks"]["unchanged"] == 0.0
    # against a reference from the same (noisy) utterances, the shift cancels
    assert table["speaker: noisy"]["unchanged"] == 1.0


def test_features_of_other_frames_are_refused():
    with pytest.raises(ValueError, match="same bounds"):
        swap_channels(torch.zeros(3, 5), torch.zeros(4, 5), [0])
