"""bench.speaker_probe: how much speaker identity the embeddings hold."""

import csv
import json

import numpy as np
import pytest
import soundfile as sf
import torch
from untrained_models import export_untrained

from bench.speaker_probe import alternate_halves, main, probe_accuracy


def test_every_other_utterance_of_each_speaker_by_id_trains_the_probe():
    ids = ["u3", "u1", "u2", "v2", "v1", "u4"]
    speakers = ["a", "a", "a", "b", "b", "a"]
    # a: u1 u2 u3 u4 -> u1, u3 train; b: v1 v2 -> v1 trains
    assert alternate_halves(ids, speakers).tolist() == [
        True, True, False, False, True, False,
    ]  # fmt: skip


@pytest.mark.parametrize(
    "spread, expected",
    [(0.1, 1.0), (None, 1 / 3)],  # None: one point for everybody
)
def test_the_probe_names_separable_speakers_and_no_others(spread, expected):
    speakers = ["a", "b", "c"] * 10
    ids = [f"{i:02d}" for i in range(30)]
    if spread is None:
        x = np.ones((30, 4))
    else:
        rng = np.random.default_rng(0)
        centres = {"a": [0, 0], "b": [3, 0], "c": [0, 3]}
        x = np.array([centres[s] for s in speakers]) + rng.normal(0, spread, (30, 2))
    accuracy = probe_accuracy(x, speakers, alternate_halves(ids, speakers))
    assert accuracy == pytest.approx(expected)


def test_the_command_probes_both_modes_of_a_speaker_normalised_model(tmp_path, capsys):
    model = export_untrained(tmp_path)
    gen = torch.Generator().manual_seed(0)
    rows = []
    for speaker, pitch in (("s1", 150.0), ("s2", 260.0)):
        for i in range(4):
            t = torch.arange(16000) / 16000
            wav = 0.3 * torch.sin(2 * torch.pi * pitch * (1 + 0.02 * i) * t)
            wav += 0.01 * torch.randn(16000, generator=gen)
            path = tmp_path / f"{speaker}_{i}.wav"
            sf.write(path, wav.numpy(), 16000)
            rows.append({"ID": path.stem, "wav": str(path), "emo": "neutral",
                         "spk_id": speaker, "gender": "female"})  # fmt: skip
    manifest = tmp_path / "train.csv"
    with open(manifest, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    main(["--model", str(model), "--manifest", str(manifest),
          "--json", str(tmp_path / "probe.json")])  # fmt: skip
    out = capsys.readouterr().out
    assert "8 utterances of 2 speakers (chance 0.500, 1 thread(s))" in out
    result = json.loads((tmp_path / "probe.json").read_text())
    assert result["speakers"] == 2 and result["chance"] == 0.5
    for mode in ("single_utterance", "speaker"):
        assert result[mode] in (0.0, 0.25, 0.5, 0.75, 1.0)  # 4 held out
