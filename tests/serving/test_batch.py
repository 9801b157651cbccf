"""Batch inference: batches match single files, runs resume, shards merge."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import soundfile as sf
import torch
from recipe_runner import run_cli

from speechbrain_lstm_ser.inference import EmotionRecognizer
from speechbrain_lstm_ser.serving.batch import BatchPredictor
from speechbrain_lstm_ser.serving.inputs import iter_audio_files
from speechbrain_lstm_ser.serving.results import ResultFile
from speechbrain_lstm_ser.serving.shards import Shard, merge_shards

# Padded batches give the probabilities of one file at a time, to float
# tolerance (the task models count each file's frames from its samples:
# nnet/lengths.py; before, up to 0.007 apart on the tiny model).
BATCH_TOLERANCE = 1e-5


@pytest.fixture(scope="module")
def model(trained):
    return EmotionRecognizer.from_hparams(source=str(trained.model))


@pytest.fixture(scope="module")
def folder(trained, tmp_path_factory):
    """24 corpus files of different lengths, and two bad ones."""
    out = tmp_path_factory.mktemp("batch") / "in"
    files = sorted((trained.data).rglob("*.wav"))[:24]
    for i, path in enumerate(files):
        (out / f"s{i % 3}").mkdir(parents=True, exist_ok=True)
        shutil.copy(path, out / f"s{i % 3}" / f"{i:02d}.wav")
    (out / "broken.wav").write_text("not audio" * 20)
    sf.write(out / "silent.wav", np.zeros(16000), 16000)
    return out


def _rows(path):
    return {row["file"]: row for row in ResultFile(path).rows()}


def _alone(model, path):
    return model.classify_file(path)[0].exp()[0]


def test_batches_match_one_file_at_a_time(model, folder):
    rows = []
    predictor = BatchPredictor(model, batch_size=5, sort_buffer=12, workers=0)
    summary = predictor.run([folder], emit=rows.append)
    assert summary.done == 24 and summary.failed == 2
    assert [r["file"] for r in rows] == [  # input order
        str(p) for p in iter_audio_files([folder], (".wav",))
    ]
    worst = 0.0
    for row in rows:
        if "error" in row:
            continue
        alone = _alone(model, row["file"])
        got = torch.tensor([row["probabilities"][c] for c in model.labels])
        worst = max(worst, float((got - alone).abs().max()))
        assert row["label"] == model.labels[int(alone.argmax())]
    assert worst < BATCH_TOLERANCE
    # One file per batch: exactly the single-file forward pass.
    single = []
    BatchPredictor(model, batch_size=1, workers=0).run([folder], emit=single.append)
    for row in single[:6]:
        if "error" not in row:
            got = torch.tensor([row["probabilities"][c] for c in model.labels])
            torch.testing.assert_close(
                got, _alone(model, row["file"]), atol=1e-5, rtol=0
            )


def test_bad_files_are_rows_with_their_error(model, folder, tmp_path):
    out = tmp_path / "p.csv"
    summary = BatchPredictor(model, batch_size=8, workers=1).run([folder], out)
    rows = _rows(out)
    assert len(rows) == 26 and summary.failed == 2
    assert "silence" in rows[str(folder / "silent.wav")]["error"]
    assert "not a readable audio file" in rows[str(folder / "broken.wav")]["error"]
    assert ResultFile(out).finished()


class _KilledError(Exception):
    pass


def test_a_run_killed_mid_way_resumes_without_loss_or_duplicates(
    model, folder, tmp_path, monkeypatch
):
    clean = tmp_path / "clean.jsonl"
    BatchPredictor(model, batch_size=4, sort_buffer=8, workers=0).run([folder], clean)
    out = tmp_path / "p.jsonl"
    real_write = ResultFile.write
    calls = []

    def dying_write(self, rows):
        calls.append(len(rows))
        if len(calls) == 3:  # the kill: half a line on disk, then nothing
            with open(self.journal, "a") as handle:
                handle.write(json.dumps(rows[0])[:25])
            raise _KilledError
        real_write(self, rows)

    monkeypatch.setattr(ResultFile, "write", dying_write)
    with pytest.raises(_KilledError):
        BatchPredictor(model, batch_size=4, sort_buffer=8, workers=0).run([folder], out)
    monkeypatch.setattr(ResultFile, "write", real_write)
    assert not ResultFile(out).finished()
    summary = BatchPredictor(model, batch_size=4, sort_buffer=8, workers=0).run(
        [folder], out
    )
    assert summary.skipped == sum(calls[:2]) > 0
    lines = out.read_text().splitlines()
    keys = [json.loads(line)["file"] for line in lines]
    assert len(keys) == len(set(keys)) == 26
    assert _rows(out) == _rows(clean)


def test_shards_split_the_inputs_and_merge(model, folder, tmp_path):
    out = tmp_path / "p.jsonl"
    # One file per batch: the shards' batches are not the whole run's, and
    # other padding can change probabilities (and so a near-tie's label).
    predictor = BatchPredictor(model, batch_size=1, workers=0)
    predictor.run([folder], out, shard=Shard(0, 2))
    with pytest.raises(ValueError, match="shard 1 missing"):
        merge_shards(out)
    predictor.run([folder], out, shard=Shard(1, 2))
    stats = merge_shards(out)
    assert stats["rows"] == 26 and stats["duplicates"] == 0 and stats["errors"] == 2
    whole = tmp_path / "whole.jsonl"
    predictor.run([folder], whole)
    assert _rows(out) == _rows(whole)


def test_file_lists_and_manifests(model, folder, tmp_path):
    wavs = sorted(folder.rglob("0*.wav"))[:3]
    listing = tmp_path / "files.txt"
    listing.write_text("".join(f"{p}\n" for p in wavs))
    manifest = tmp_path / "test.csv"
    manifest.write_text(
        "ID,duration,wav\n"
        + "".join(
            f"u{i},1.0,$data_root/{p.relative_to(folder)}\n" for i, p in enumerate(wavs)
        )
    )
    rows = []
    predictor = BatchPredictor(model, workers=0)
    predictor.run([listing, manifest], emit=rows.append, data_root=str(folder))
    assert [r["file"] for r in rows] == [str(p) for p in wavs] * 2
    with pytest.raises(ValueError, match="--data-root"):
        predictor.run([manifest], emit=rows.append)


def test_parquet_output(model, folder, tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    out = tmp_path / "p.parquet"
    BatchPredictor(model, workers=0).run([folder], out)
    table = pq.read_table(out).to_pylist()
    assert len(table) == 26 and set(model.labels) < set(table[0])


@pytest.mark.slow
def test_cli_output_resume_and_merge(trained, folder, tmp_path):
    out = tmp_path / "p.csv"
    args = ["predict", "--model", trained.model, folder, "--output", out]
    first = run_cli(*args, "--shard", "0/2")
    second = run_cli(*args, "--shard", "1/2")
    assert first.returncode == second.returncode == 1  # the two bad files
    merged = run_cli("merge-shards", out)
    assert merged.returncode == 1 and "26 row(s), 2 error(s)" in merged.stdout
    again = run_cli(*args, "--shard", "1/2")
    assert "already done" in again.stderr and "0 file(s) classified" in again.stderr


@pytest.mark.slow
def test_sigkill_then_rerun_loses_and_duplicates_nothing(trained, tmp_path):
    """A real SIGKILL of `predict --output` mid-run, then the same command."""
    folder = tmp_path / "many"
    files = sorted(trained.data.rglob("*.wav"))
    for k in range(4):  # 4 x 72 files
        for i, path in enumerate(files):
            (folder / str(k)).mkdir(parents=True, exist_ok=True)
            os.symlink(path, folder / str(k) / f"{i:03d}.wav")
    out = tmp_path / "p.jsonl"
    command = [
        sys.executable,
        "-m",
        "speechbrain_lstm_ser.cli",
        "predict",
        "--model",
        str(trained.model),
        str(folder),
        "--output",
        str(out),
        "--batch-size",
        "4",
        "--sort-buffer",
        "8",
        "--threads",
        "1",
    ]
    proc = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.time() + 240
    while time.time() < deadline and (
        not out.exists() or out.read_text().count("\n") < 40
    ):
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    before = out.read_text().count("\n")
    assert 0 < before < 4 * len(files)
    with open(out, "a") as handle:  # as if the kill had cut a line
        handle.write('{"file": "/half')
    rerun = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    keys = [json.loads(line)["file"] for line in out.read_text().splitlines()]
    assert len(keys) == len(set(keys)) == 4 * len(files)
    assert f"{before} already done" in rerun.stderr
