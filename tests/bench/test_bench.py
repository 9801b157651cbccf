"""The benchmark, run as users run it, on a tiny corpus with tiny models.

Covers every step: training with the recipe, pruning + fine-tuning,
distillation, ONNX export + int8 quantisation with the package's command,
measurement in a fresh process, and the comparison table.
"""

import csv
import json
import re

import pytest
from preparations import prepare_tiny_corpus
from recipe_runner import run_bench

# Slow tier: trains and measures every row of a mini-benchmark.
pytestmark = pytest.mark.slow

SMALL = (
    "lstm_hidden: {hidden}\n      head_hidden: 8\n      n_mels: 20\n      batch_size: 8"
)
try:
    import sklearn  # noqa: F401  (the classic baseline needs the bench extra)

    CLASSIC = """
  tiny_svm:
    kind: classic
    classic: {features: functionals, normalisation: speaker}
  tiny_svr:
    kind: classic_regression
    classic: {features: functionals, normalisation: speaker}
"""
except ImportError:
    CLASSIC = ""
try:
    import transformers  # noqa: F401  (the SSL row needs the ssl extra)

    SSL = """
  tiny_ssl:
    hparams_file: ssl_lstm.yaml
    ssl:
      tiny: {hidden_size: 16, num_layers: 1}
    hparams:
      lstm_hidden: 8
      head_hidden: 8
      batch_size: 8
      ssl_layers: [0, 1]
"""
except ImportError:
    SSL = ""
CONFIG = f"""
reference: tiny
dimension_reference: tiny_dims
models:
  tiny:
    description: a tiny BiLSTM
    hparams:
      {SMALL.format(hidden=8)}
  tiny_dims:
    description: a tiny BiLSTM with the dimensions' head
    hparams:
      {SMALL.format(hidden=8)}
      dimension_weight: 1.0
  tiny_int8:
    kind: onnx_int8
    parent: tiny
  tiny_pruned:
    kind: prune
    parent: tiny
    hparams:
      {SMALL.format(hidden=4)}
  tiny_kd:
    kind: distill
    parent: tiny
    hparams:
      {SMALL.format(hidden=4)}
{CLASSIC}{SSL}"""


@pytest.fixture(scope="module")
def bench(tiny_corpus, tmp_path_factory):
    base = tmp_path_factory.mktemp("bench")
    prepare_tiny_corpus(tiny_corpus, base / "manifests")
    config = base / "models.yaml"
    config.write_text(CONFIG)
    stdout = run_bench(
        "run",
        "--config",
        str(config),
        "--manifests",
        str(base / "manifests"),
        "--data_folder",
        str(tiny_corpus[0]),
        "--output",
        str(base / "out"),
        "--epochs",
        "1",
        "--train_steps",
        "1",
        "--repeats",
        "1",
        "--bootstrap",
        "20",
        "--device",
        "cpu",
        "--train_threads",
        "1",
        "--conditions",
        "telephone",
    )
    return base / "out", stdout


def test_every_model_is_measured(bench):
    out, stdout = bench
    summary = json.loads((out / "bench.json").read_text())
    everything = summary["models"]
    names = ["tiny", "tiny_dims", "tiny_int8", "tiny_pruned", "tiny_kd"]
    extra = (["tiny_svm", "tiny_svr"] if CLASSIC else []) + (
        ["tiny_ssl"] if SSL else []
    )
    assert list(everything) == names + extra
    # every row with classes (the SVR has dimensions only: test_dimensional_rows)
    models = {n: r for n, r in everything.items() if n != "tiny_svr"}
    for name, result in models.items():
        assert 0 <= result["UA"] <= 1, name
        assert result["rtf_batch1"] > 0 and result["rtf_batch16"] > 0, name
        assert result["peak_rss_mb"] > result["rss_after_imports_mb"] > 0, name
        assert len(result["predictions"]) == result["test_utterances"] == 12, name
    trained = ("tiny", "tiny_dims", "tiny_pruned", "tiny_kd")
    for name in trained + (("tiny_ssl",) if SSL else ()):
        assert models[name]["training"]["audio_seconds_per_second"] > 0
        assert models[name]["epochs_trained"] == 1
    assert "| tiny_kd |" in stdout and "ΔUA vs ref" in stdout
    # every row, classic or neural, has the robustness conditions
    for name, result in models.items():
        robustness = result["robustness"]
        assert list(robustness) == ["0 dB", "-20 dB", "-10 dB", "+6 dB", "DC"], name
        assert robustness["0 dB"]["UA"] == pytest.approx(result["UA"]), name
        assert 0 <= robustness["-20 dB"]["unchanged"] <= 1, name
    # ... and the cross-domain table of the selected conditions
    for name, result in models.items():
        transfer = result["transfer"]["conditions"]
        assert list(transfer) == ["clean", "telephone μ-law", "telephone GSM"], name
        assert f"**{name}**: cross-domain" in stdout
    robustness_table = stdout.split("| model | UA 0 dB |")[1]
    for name in models:
        assert f"| {name} |" in robustness_table
    if CLASSIC:
        assert models["tiny_svm"]["feature_set"] == "functionals"
        assert "tiny_svm: " in stdout and "RBF SVM" in stdout
    assert (out / "bench.md").read_text().startswith("| model |")


def test_dimensional_rows_are_scored_and_compared_by_ccc(bench):
    out, stdout = bench
    models = json.loads((out / "bench.json").read_text())["models"]
    dims = models["tiny_dims"]
    assert list(dims["dimensions"]) == ["utterance", "speaker"]
    for mode, report in dims["dimensions"].items():
        assert report["overall"]["arousal"]["n"] == 12, mode
        assert len(dims["dimension_predictions"][mode]) == 12, mode
    assert dims["delta_CCC_vs_reference"]["speaker"]["valence"] == [0.0, 0.0, 0.0]
    # per speaker, the bench predicts what the recipe's test did (batched there)
    with open(out / "runs" / "tiny_dims" / "dimension_predictions.csv") as handle:
        recipe = {
            row["ID"]: float(row["valence_pred"]) for row in csv.DictReader(handle)
        }
    speaker = dims["dimension_predictions"]["speaker"]
    assert {i: v[1] for i, v in speaker.items()} == pytest.approx(recipe, abs=0.01)
    assert "dimensions" not in models["tiny"]  # no regression head
    assert "| CCC arousal |" in stdout and "| tiny_dims | per speaker |" in stdout
    assert "| tiny | - | - |" in stdout.split("| CCC arousal |")[1]
    if CLASSIC:
        svr = models["tiny_svr"]
        assert svr["kind"] == "classic_regression" and "UA" not in svr
        assert list(svr["dimensions"]) == ["speaker"]
        delta = svr["delta_CCC_vs_reference"]
        assert list(delta) == ["speaker"] and len(delta["speaker"]["arousal"]) == 3
        assert "| tiny_svr | per speaker |" in stdout


@pytest.mark.skipif(not SSL, reason='needs pip install ".[ssl]"')
def test_the_ssl_row_trains_from_its_cache_with_a_tiny_model(bench):
    out, stdout = bench
    result = json.loads((out / "bench.json").read_text())["models"]["tiny_ssl"]
    assert result["ssl_source"] == "ssl_models/tiny_wavlm_16x1"
    assert (out / "ssl_models" / "tiny_wavlm_16x1" / "config.json").is_file()
    [stamp] = (out / "ssl_feature_cache").glob("*/cache.json")
    stamp = json.loads(stamp.read_text())
    assert stamp["status"] == "done" and stamp["options"]["layers"] == [0, 1]
    hparams = (out / "runs" / "tiny_ssl" / "hparams.yaml").read_text()
    assert "SSLLayerFeatures" in hparams and "lstm_hidden: 8" in hparams
    assert "tiny_ssl: SSL front end ssl_models/tiny_wavlm_16x1 (a tiny" in stdout


def test_compressed_models_are_smaller(bench):
    out, _ = bench
    models = json.loads((out / "bench.json").read_text())["models"]
    int8 = out / "runs" / "tiny_int8"
    assert (
        models["tiny_int8"]["size_bytes"] == (int8 / "model.int8.onnx").stat().st_size
    )
    assert models["tiny_int8"]["size_bytes"] < (int8 / "model.onnx").stat().st_size
    assert models["tiny_pruned"]["params"] < models["tiny"]["params"]
    assert models["tiny_kd"]["params"] == models["tiny_pruned"]["params"]
    assert models["tiny"]["delta_UA_vs_reference"] == [0.0, 0.0, 0.0]


def test_each_model_can_be_reproduced_from_its_commands(bench):
    out, _ = bench
    commands = (out / "runs" / "tiny" / "commands.sh").read_text()
    assert "recipes/emotion/train.py" in commands and "--number_of_epochs 1" in commands
    pruned = (out / "runs" / "tiny_pruned" / "commands.sh").read_text()
    assert "speechbrain_lstm_ser.compression.pruning" in pruned
    export_log = (
        out / "runs" / "tiny_int8" / "speechbrain_lstm_ser.cli.log"
    ).read_text()
    parity = float(re.search(r"on probabilities: ([0-9.e+-]+)", export_log).group(1))
    assert parity <= 1e-4
