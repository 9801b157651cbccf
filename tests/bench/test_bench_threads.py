"""The thread benchmark, run as users run it, on a few files of a tiny model."""

import json

import pytest
from recipe_runner import run_bench

from bench.threads import busy_process, pick_files

# Slow tier: times the CLI under load.
pytestmark = pytest.mark.slow


def test_pick_files_spreads_over_the_folder(tmp_path):
    for i in range(10):
        (tmp_path / f"{i:02d}.wav").write_bytes(b"")
    (tmp_path / "notes.txt").write_text("not audio")
    assert [p.name for p in pick_files(tmp_path, 3)] == ["00.wav", "03.wav", "06.wav"]
    with pytest.raises(ValueError, match="holds 10 audio files, 11 asked"):
        pick_files(tmp_path, 11)


def test_the_busy_process_spins_and_stops():
    with busy_process() as spinner:
        assert spinner.poll() is None
    assert spinner.poll() is not None


def test_bench_threads_times_each_setting(trained, tmp_path):
    out = tmp_path / "threads.json"
    args = ["--model", trained.model, "--audio", trained.data, "--files", 2]
    args += ["--json", out, "--settings", "auto", "1", "old", "--conditions", "busy"]
    stdout = run_bench("threads", *args, timeout=600)
    rows = json.loads(out.read_text())
    assert [r["setting"] for r in rows] == ["auto", "1", "old"]
    assert all(r["condition"] == "busy" and r["files"] == 2 for r in rows)
    assert all(r["wall_s"] > 0 and r["cpu_s"] > 0 for r in rows)
    assert "| busy | old |" in stdout
