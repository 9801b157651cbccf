"""The emotion recipe under torchrun (2 processes, gloo, CPU), against one process."""

import csv
import json
import os
import re
import subprocess
import sys

import pytest
import torch

from speechbrain_lstm_ser.dataio.audio import read_audio
from speechbrain_lstm_ser.export.onnx import ClassifierOnnxGraph
from speechbrain_lstm_ser.training.hparams import load_trained_modules

# Slow tier: trains with two processes.
pytestmark = pytest.mark.slow

# The tiny configuration of the recipe's own test, for one epoch.
EPOCHS = {"number_of_epochs": "1"}


def _run(command, env=None):
    proc = subprocess.run(command, capture_output=True, text=True, timeout=900, env=env)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
    return proc.stdout + proc.stderr


@pytest.fixture(scope="module")
def runs(trained, tmp_path_factory):
    base = tmp_path_factory.mktemp("ddp")
    data, single, ddp = trained.data, base / "single", base / "ddp"
    _args = trained.run_args
    _run(_args(data, single, **EPOCHS))
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    log = _run(
        [
            sys.executable,
            "-m",
            "torch.distributed.run",
            "--standalone",
            "--nproc_per_node=2",
            *_args(data, ddp, **EPOCHS)[1:],
            "--distributed_backend",
            "gloo",
        ],
        env=env,
    )
    return single, ddp, log


def _checkpoint(out):
    checkpoints = list((out / "save").glob("CKPT+*"))
    assert len(checkpoints) == 1, checkpoints
    return checkpoints[0]


def _keys(tree, prefix=""):
    if not isinstance(tree, dict):
        return set()
    keys = set()
    for key, value in tree.items():
        keys |= {prefix + key} | _keys(value, prefix + key + ".")
    return keys


def test_each_process_trained_on_half_of_the_data(runs):
    single, ddp, _ = runs

    def optimizer_steps(out):
        text = (_checkpoint(out) / "brain.ckpt").read_text()
        return int(re.search(r"optimizer_step: (\d+)", text).group(1))

    # 48 training utterances, batches of 8: 6 steps alone, 3 per process
    assert optimizer_steps(single) == 6
    assert optimizer_steps(ddp) == 3


def test_checkpoint_has_the_single_process_format(runs):
    single, ddp, _ = runs
    one, two = _checkpoint(single), _checkpoint(ddp)
    assert sorted(p.name for p in one.iterdir()) == sorted(
        p.name for p in two.iterdir()
    )
    model_one = torch.load(one / "model.ckpt", map_location="cpu")
    model_two = torch.load(two / "model.ckpt", map_location="cpu")
    assert list(model_one) == list(model_two)  # no DDP "module." prefixes
    for key in model_one:
        assert model_one[key].shape == model_two[key].shape, key
    assert (two / "counter.ckpt").read_text().strip() == "1"
    norm_one = torch.load(one / "normalizer.ckpt", map_location="cpu")
    norm_two = torch.load(two / "normalizer.ckpt", map_location="cpu")
    assert norm_one.keys() == norm_two.keys()


def test_report_and_predictions_are_written_once_and_complete(runs):
    single, ddp, _ = runs
    report_one = json.loads((single / "test_report.json").read_text())
    report_two = json.loads((ddp / "test_report.json").read_text())
    assert _keys(report_one) == _keys(report_two)
    assert report_two["num_utterances"] == report_one["num_utterances"] == 12
    with open(ddp / "predictions.csv", encoding="utf-8") as handle:
        ids = [row["ID"] for row in csv.DictReader(handle)]
    assert len(ids) == len(set(ids)) == 12
    # one log line per epoch: only the main process logs
    log = (ddp / "train_log.txt").read_text()
    assert len(re.findall(r"^epoch: 1,", log, flags=re.M)) == 1
    # the inference folder is exported once, by the main process
    assert sorted(p.name for p in (ddp / "model").iterdir()) == sorted(
        p.name for p in (single / "model").iterdir()
    )


def test_ddp_checkpoint_reloads_in_one_process_and_reproduces_predictions(runs):
    _, ddp, _ = runs
    hparams = load_trained_modules(ddp / "hyperparams.yaml")
    graph = ClassifierOnnxGraph.from_model(hparams["model"])
    preprocess = hparams["modules"]["preprocess"]
    with open(ddp / "predictions.csv", encoding="utf-8") as handle:
        expected = {row["ID"]: row["prediction"] for row in csv.DictReader(handle)}
    with open(hparams["test_annotation"], encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    with torch.no_grad():
        for row in rows:
            wav = read_audio(row["wav"].replace("$data_root", hparams["data_folder"]))
            probs = graph(*preprocess(wav[None], torch.ones(1)))
            assert hparams["emotions"][int(probs.argmax())] == expected[row["ID"]]


def test_throughput_is_logged_and_counts_the_audio_of_every_process(runs):
    single, ddp, _ = runs

    def epoch_of(out):
        [epoch] = json.loads((_checkpoint(out) / "history.ckpt").read_text())
        return epoch

    one, two = epoch_of(single), epoch_of(ddp)
    # Every training utterance once: alone, or half in each process (the
    # main process adds the other's audio); float32 lengths, summed in
    # another order.
    assert two["train_audio_s"] == pytest.approx(one["train_audio_s"], rel=1e-5)
    for out, epoch in ((single, one), (ddp, two)):
        assert epoch["audio_seconds_per_second"] > 0
        assert epoch["epoch_time_s"] > 0
        log = (out / "train_log.txt").read_text()
        logged = re.search(
            r"^epoch: 1, .*audio_seconds_per_second: ([0-9.]+)", log, re.M
        )
        assert float(logged.group(1)) == pytest.approx(
            epoch["audio_seconds_per_second"], abs=0.051
        )
        report = json.loads((out / "test_report.json").read_text())
        assert report["audio_seconds_per_second"] == pytest.approx(
            epoch["audio_seconds_per_second"], abs=0.051
        )
