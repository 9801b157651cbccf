"""The emotion recipe with an SSL front end (hparams/ssl_lstm.yaml), offline.

A tiny randomly initialised WavLM (2 layers of 32) stands in for
WavLM-base-plus: trained from the feature cache, tested, exported, signed,
reloaded (folder and offline Hub cache) and run by the CLI.
"""

import json
import shutil
import textwrap

import pytest
import torch

pytest.importorskip("transformers")

from hub_cache import populate_hub_cache, run_offline  # noqa: E402
from recipe_runner import run_cli, run_recipe  # noqa: E402

from speechbrain_lstm_ser.nnet.ssl import save_tiny_ssl_model  # noqa: E402

# Slow tier: trains the SSL recipe.
pytestmark = pytest.mark.slow

REPO_ID = "someone/ssl-emotion"


@pytest.fixture(scope="module")
def ssl_run(tmp_path_factory):
    base = tmp_path_factory.mktemp("ssl_recipe")
    tiny = save_tiny_ssl_model(base / "tiny_wavlm")
    overrides = {
        "prepare": "{valid_speakers: 1, test_speakers: 1, corpora: {embedded: "
        "{num_speakers: 6, utterances_per_emotion: 3, seed: 1234}}}",
        "number_of_epochs": "2",
        "batch_size": "8",
        "lstm_hidden": "16",
        "head_hidden": "16",
        "ssl_source": tiny,
        "ssl_hidden_size": "32",
        "ssl_layers": "[0, 1, 2]",
        "ssl_cache_folder": str(base / "cache"),
        "num_threads": "1",
    }
    log = run_recipe("emotion", "ssl_lstm.yaml", overrides, base / "data", base / "out")
    return base, overrides, log


def test_trains_from_the_cache_and_reports(ssl_run):
    base, _, _ = ssl_run
    report = json.loads((base / "out" / "test_report.json").read_text())
    assert report["num_utterances"] == 12 and 0 <= report["unweighted_accuracy"] <= 1
    assert set(report["by_gender"]) <= {"female", "male"}
    # training throughput counts the audio behind the cached frames
    assert report["audio_seconds_per_second"] > 0
    [stamp] = (base / "cache").glob("*/cache.json")
    stamp = json.loads(stamp.read_text())
    assert stamp["status"] == "done" and stamp["recordings"] == 72
    assert stamp["options"]["layers"] == [0, 1, 2]


def _rerun_on_the_same_cache(ssl_run, out, **changes):
    """One more epoch of the recipe on the cache; its clean layers are reused."""
    base, overrides, _ = ssl_run
    [folder] = (base / "cache").iterdir()
    before = {p.name: p.stat().st_mtime_ns for p in folder.glob("*.pt")}
    run_recipe(
        "emotion",
        "ssl_lstm.yaml",
        {**overrides, "number_of_epochs": "1", **changes},
        base / "data",
        out,
    )
    assert {p.name: p.stat().st_mtime_ns for p in folder.glob("*.pt")} == before
    return folder


def test_a_second_run_reuses_the_cache(ssl_run, tmp_path):
    _rerun_on_the_same_cache(ssl_run, tmp_path / "out", seed="7")


def test_multi_condition_training_from_cached_corrupted_copies(ssl_run, tmp_path):
    # the clean layers are reused; each of the 48 training recordings gets
    # two copies through the simulated channels, the 24 others none
    folder = _rerun_on_the_same_cache(ssl_run, tmp_path / "out", ssl_cache_copies="2")
    [copies] = folder.glob("copies-*")
    assert len(list(copies.glob("*.pt"))) == 2 * 48
    assert json.loads((copies / "cache.json").read_text())["options"]["augment"]
    report = json.loads((tmp_path / "out" / "test_report.json").read_text())
    assert report["num_utterances"] == 12


def test_exported_folder_is_self_contained(ssl_run, tmp_path):
    base, overrides, _ = ssl_run
    model = base / "out" / "model"
    text = (model / "hyperparams.yaml").read_text()
    assert overrides["ssl_source"] not in text  # the config, not the source
    assert "SSLLayerFeatures" in text and "model_type: wavlm" in text
    # Moved away from the SSL model's folder, the export still loads and runs.
    shutil.rmtree(overrides["ssl_source"])
    try:
        from speechbrain_lstm_ser.inference import EmotionRecognizer

        recognizer = EmotionRecognizer.from_hparams(source=str(model))
        out_prob, score, index, labels = recognizer.classify_file(
            str(model / "example.wav")
        )
        assert labels[0] in ("neutral", "happy", "sad", "angry")
        assert torch.allclose(out_prob.exp().sum(-1), torch.ones(1), atol=1e-5)
    finally:
        save_tiny_ssl_model(overrides["ssl_source"])


def test_cli_predict_timeline_sign_and_verify(ssl_run, tmp_path):
    base, _, _ = ssl_run
    model = tmp_path / "model"
    shutil.copytree(base / "out" / "model", model)
    wav = model / "example.wav"
    predict = run_cli("predict", "--model", model, wav)
    assert predict.returncode == 0, predict.stderr[-2000:]
    assert json.loads(predict.stdout.splitlines()[0])["label"]
    timeline = run_cli(
        "timeline", "--model", model, wav, "--window", "1.0", "--hop", "1.0"
    )
    assert timeline.returncode == 0, timeline.stderr[-2000:]
    assert run_cli("keygen", tmp_path / "me.pem").returncode == 0
    assert run_cli("sign", model, "--key", tmp_path / "me.pem").returncode == 0
    ok = run_cli("verify", model, "--trusted-key", tmp_path / "me.pem.pub")
    assert ok.returncode == 0, ok.stderr[-2000:]
    required = run_cli(
        "predict", "--model", model, "--verify", "required",
        "--trusted-key", tmp_path / "me.pem.pub", wav,
    )  # fmt: skip
    assert required.returncode == 0, required.stderr[-2000:]
    # Tampering with the SSL weights breaks the signature.
    state = torch.load(model / "compute_features.ckpt", weights_only=True)
    state["layer_weights"] = state["layer_weights"] + 1
    torch.save(state, model / "compute_features.ckpt")
    assert run_cli("verify", model).returncode != 0


def test_the_robustness_table_runs_single_utterance(ssl_run, tmp_path):
    # no reference_norm: no per-speaker column (enrolment would refuse it),
    # one line saying so instead of an error for the whole table
    base, _, _ = ssl_run
    out = tmp_path / "robustness.json"
    proc = run_cli(
        "robustness", "--model", base / "out" / "model",
        "--manifest", base / "out" / "manifests" / "test.csv",
        "--data_folder", base / "data", "--conditions", "gain,telephone",
        "--json", out,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = proc.stdout.splitlines()
    assert lines[0] == "| condition | UA (utterance) | ΔUA | unchanged |"
    assert lines[-1].startswith("per speaker: not measured: ")
    summary = json.loads(out.read_text())
    assert list(summary["conditions"])[-1] == "telephone GSM"
    assert set(summary["conditions"]["clean"]) == {"utterance"}


def test_loads_from_an_offline_hub_cache(ssl_run, tmp_path):
    base, _, _ = ssl_run
    populate_hub_cache(tmp_path / "hub", REPO_ID, base / "out" / "model")
    code = textwrap.dedent(
        f"""
        from speechbrain_lstm_ser.inference.load import load_model
        model = load_model({REPO_ID!r}, savedir={str(tmp_path / "saved")!r})
        print(model.classify_file({REPO_ID + "/example.wav"!r})[3][0])
        """
    )
    proc = run_offline(code, tmp_path / "hub")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip().splitlines()[-1] in ("neutral", "happy", "sad", "angry")


def test_a_model_yaml_naming_a_hub_ssl_source_is_refused(ssl_run, tmp_path):
    from speechbrain_lstm_ser.hub.safe_yaml import UnsafeModelError, check_hyperparams

    base, _, _ = ssl_run
    model = tmp_path / "model"
    shutil.copytree(base / "out" / "model", model)
    check_hyperparams(model / "hyperparams.yaml")  # as exported: accepted
    text = (model / "hyperparams.yaml").read_text()
    hostile = text.replace(
        "  source:\n", "  source: evil/weights\n  trust_remote_code: true\n", 1
    )
    assert hostile != text
    (model / "hyperparams.yaml").write_text(hostile)
    with pytest.raises(UnsafeModelError) as err:
        check_hyperparams(model / "hyperparams.yaml")
    assert "trust_remote_code" in str(err.value) and "evil/weights" in str(err.value)


def test_live_features_and_finetuned_top_layer(ssl_run, tmp_path):
    """No cache: the SSL model runs on every batch, its top layer trains at ssl_lr."""
    base, overrides, _ = ssl_run
    run_recipe(
        "emotion",
        "ssl_lstm.yaml",
        {
            **overrides,
            "number_of_epochs": "1",
            "ssl_cache_folder": "null",
            "ssl_finetune_layers": "1",
            "augment": "True",
        },
        base / "data",
        tmp_path / "out",
    )
    report = json.loads((tmp_path / "out" / "test_report.json").read_text())
    assert report["num_utterances"] == 12


def test_cross_validation_shares_one_feature_cache(tmp_path):
    """cross_validate.py with the SSL YAML: every fold trains from one cache."""
    import subprocess
    import sys

    from miniature_corpora import make_iemocap
    from recipe_runner import ROOT

    from speechbrain_lstm_ser.dataio.manifest import read_manifest

    data = make_iemocap(tmp_path / "corpus", sessions=2)
    tiny = save_tiny_ssl_model(tmp_path / "tiny_wavlm")
    out, cache = tmp_path / "out", tmp_path / "cache"
    options = {
        "dataset": "iemocap",
        "prepare": "{corpora: {iemocap: {sessions: [1, 2]}}}",
        "num_folds": "2",
        "number_of_epochs": "1",
        "batch_size": "4",
        "lstm_hidden": "16",
        "head_hidden": "16",
        "ssl_source": tiny,
        "ssl_hidden_size": "32",
        "ssl_cache_folder": str(cache),
        "data_folder": str(data),
        "output_folder": str(out),
    }
    args = [
        sys.executable,
        str(ROOT / "recipes" / "emotion" / "cross_validate.py"),
        str(ROOT / "hparams" / "ssl_lstm.yaml"),
    ]
    for key, value in options.items():
        args += [f"--{key}", value]
    proc = subprocess.run(
        [*args, "--noprogressbar"], capture_output=True, text=True, timeout=900
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    report = json.loads((out / "cv_report.json").read_text())
    assert report["protocol"]["kind"] == "leave-one-session-out cross-validation"
    assert report["folds_run"] == [1, 2] and report["all_folds"] is True
    assert report["metrics"]["UA_female"]["n"] == 1
    assert report["metrics"]["UA_male"]["n"] == 1
    assert report["leakage"]["speaker_independent"] is True
    # One cache for both folds: every recording extracted once, by fold 1.
    [stamp] = cache.glob("*/cache.json")
    stamp = json.loads(stamp.read_text())
    recordings = sum(
        len(read_manifest(out / "fold_1" / "manifests" / f"{split}.csv"))
        for split in ("train", "valid", "test")
    )
    assert stamp["status"] == "done" and stamp["recordings"] == recordings
    extracted = [
        (out / f"fold_{k}" / "log.txt").read_text().count("recordings extracted")
        for k in (1, 2)
    ]
    assert extracted == [1, 0]
    for k in (1, 2):
        fold = json.loads((out / f"fold_{k}" / "test_report.json").read_text())
        assert fold["fold"] == k and set(fold["by_gender"]) <= {"female", "male"}
        assert (out / f"fold_{k}" / "model" / "hyperparams.yaml").is_file()
