"""Training killed with SIGKILL mid-epoch resumes and ends with the same epochs."""

import json
import re
import shutil
import signal
import subprocess
import time

import pytest

# Slow tier: kills and resumes a training.
pytestmark = pytest.mark.slow


def _intra_epoch_checkpoint_of(save_folder, epoch):
    """Whether a complete mid-epoch checkpoint of ``epoch`` exists."""
    for ckpt in save_folder.glob("CKPT+*"):
        meta = ckpt / "CKPT.yaml"
        counter = ckpt / "counter.ckpt"
        try:
            if (
                "end-of-epoch: false" in meta.read_text()
                and counter.read_text().strip() == str(epoch)
            ):
                return True
        except OSError:
            continue
    return False


def test_sigkill_mid_epoch_then_resume(trained, tmp_path):
    out = tmp_path / "out"
    # The recipe's YAML with a time-based mid-epoch checkpoint every 30 ms
    # (SpeechBrain's command line only takes whole minutes): a tiny epoch
    # trains in well under a second, so the interval must be far shorter
    # than an epoch for a checkpoint to land inside epoch 2 on any machine.
    yaml, count = re.subn(
        r"^ckpt_interval_minutes: 5\b",
        "ckpt_interval_minutes: 0.0005",
        trained.hparams.read_text(),
        flags=re.M,
    )
    assert count == 1
    hparams = tmp_path / "lstm.yaml"
    hparams.write_text(yaml)
    # its includes, beside it as beside the original
    shutil.copytree(trained.hparams.parent / "common", tmp_path / "common")
    args = trained.run_args(trained.data, out, batch_size="2", number_of_epochs="2")
    args[2] = str(hparams)
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 600
    try:
        while not _intra_epoch_checkpoint_of(out / "save", 2):
            if proc.poll() is not None:
                pytest.fail("training ended before it could be killed mid-epoch 2")
            if time.time() > deadline:
                pytest.fail("no mid-epoch checkpoint appeared")
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert not (out / "test_report.json").exists()
    log_before = (
        (out / "train_log.txt").read_text() if (out / "train_log.txt").exists() else ""
    )
    assert "epoch: 2," not in log_before  # killed inside epoch 2

    resumed = subprocess.run(args, capture_output=True, text=True, timeout=900)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    text = resumed.stdout + resumed.stderr
    assert "Going into epoch 1" not in text  # it did not start over
    assert "Going into epoch 2" in text
    epochs = [
        int(e)
        for e in re.findall(
            r"^epoch: (\d+),", (out / "train_log.txt").read_text(), re.M
        )
    ]
    assert epochs == [1, 2]  # each epoch logged exactly once, none lost
    report = json.loads((out / "test_report.json").read_text())
    assert report["epochs_trained"] == 2
    assert not any(
        p.name.startswith("CKPT") for p in (out / "save" / ".staging").glob("*")
    )
