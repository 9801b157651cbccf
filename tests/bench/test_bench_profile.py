"""The training profiler, run as users run it, on a tiny corpus and model."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
import speechbrain as sb
from recipe_runner import run_bench

from bench.profile import PHASES

# Slow tier: profiles an epoch of the recipe.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]


def test_profile_splits_an_epoch_and_compares_with_the_bare_model(
    tiny_corpus, tmp_path
):
    folder, options = tiny_corpus
    out = tmp_path / "out"
    stdout = run_bench(
        "profile",
        "--batches",
        "2",
        "--threads",
        "1",
        "2",
        "--json",
        str(tmp_path / "profile.json"),
        "--data_folder",
        str(folder),
        "--output_folder",
        str(out),
        "--prepare",
        # the fixture's corpus (its other options are the YAML's)
        json.dumps(
            {
                "valid_speakers": 1,
                "test_speakers": 1,
                "corpora": {
                    "embedded": {
                        "num_speakers": options.num_speakers,
                        "utterances_per_emotion": options.utterances_per_emotion,
                    }
                },
            }
        ),
        "--batch_size",
        "4",
        "--lstm_hidden",
        "8",
        "--head_hidden",
        "8",
        "--n_mels",
        "20",
        timeout=600,
    )
    summary = json.loads((tmp_path / "profile.json").read_text())
    assert summary["cpu"] and summary["cores"] >= 1 and summary["device"] == "cpu"
    assert [run["threads"] for run in summary["runs"]] == [1, 2]
    for run in summary["runs"]:
        assert run["batches"] == 2 and run["utterances"] == 8
        # the second epoch is timed; the first filled the pre-processing cache
        assert run["epochs"] == 2 and 0 <= run["preprocess_cache_hits"] <= 1
        assert list(run["phases"]) == list(PHASES)
        seconds = [p["seconds"] for p in run["phases"].values()]
        assert min(seconds) >= 0 and run["total_s"] > 0
        assert abs(sum(p["share"] for p in run["phases"].values()) - 1) < 0.01
        assert run["phases"]["encoder forward"]["seconds"] > 0
        assert run["phases"]["backward"]["seconds"] > 0
        assert run["phases"]["checkpointing"]["seconds"] > 0
        assert 0 < run["padding_share"] < 1
        speeds = run["audio_s_per_s"]
        assert speeds["training"] > 0 and speeds["bare_lstm"] > 0
        assert speeds["model"] > 0
        ratio = run["bare_lstm_s"] / run["total_s"]
        assert abs(run["training_vs_bare_lstm"] - ratio) < 0.01
    assert "| training / bare LSTM |" in stdout
    assert "epoch 2 of 2" in stdout and "from the cache" in stdout
    assert "| 1 thread s | % | 2 threads s | % |" in stdout
    # the manifests are prepared; no checkpoint is left in the output folder
    assert (out / "manifests" / "train.csv").is_file()
    assert not list(out.rglob("CKPT*"))


def test_profile_refuses_a_bad_override(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "bench.profile", "--lstm_hiden", "8"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode != 0
    assert "unknown key 'lstm_hiden'" in proc.stderr


def test_profiled_step_is_the_recipes_step(tmp_path):
    """ProfiledBrain mirrors the recipe's forward pass: same outputs, same loss."""
    import random
    import runpy

    import torch
    from speechbrain.dataio.batch import PaddedBatch

    from bench.profile import ProfiledBrain, _Timer
    from speechbrain_lstm_ser.training.hparams import load_hparams

    recipe = runpy.run_path(str(ROOT / "recipes" / "emotion" / "train.py"))
    # The profile measures utterances against themselves (no speaker
    # statistics; the same cost as a speaker's reference).
    overrides = {
        "output_folder": str(tmp_path),
        "lstm_hidden": 8,
        "n_mels": 20,
        "normalization_reference": "utterance",
    }
    gen = torch.Generator().manual_seed(0)
    batch = PaddedBatch(
        [
            {
                "id": str(i),
                "sig": 0.1 * torch.randn(8000 + 1000 * i, generator=gen),
                "emo_encoded": torch.tensor([i % 4]),
            }
            for i in range(4)
        ]
    )
    results = []
    for brain_class in (recipe["EmotionBrain"], ProfiledBrain):
        hparams = load_hparams(ROOT / "hparams" / "lstm.yaml", overrides)
        brain = brain_class(
            modules=hparams["modules"],
            opt_class=hparams["opt_class"],
            hparams=hparams,
            run_opts={"device": "cpu"},
        )
        # what ProfiledBrain.on_fit_start and on_stage_start set
        brain.timer, brain.epoch = _Timer("cpu"), 1
        brain.audio_s, brain.utterances = 0.0, 0
        brain.modules.train()
        torch.manual_seed(1)
        random.seed(1)
        out = brain.compute_forward(batch, sb.Stage.TRAIN)
        loss = brain.compute_objectives(out, batch, sb.Stage.TRAIN)
        results.append((out, loss))
    (recipe_out, recipe_loss), (profiled_out, profiled_loss) = results
    assert torch.equal(recipe_out, profiled_out)
    assert torch.equal(recipe_loss, profiled_loss)
