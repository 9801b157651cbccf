"""PyTorch's thread count: the user's choice first, else the free cores."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from speechbrain_lstm_ser import threads
from speechbrain_lstm_ser.cli import build_parser, main
from speechbrain_lstm_ser.threads import (
    available_cores,
    busy_cores,
    choose_num_threads,
    configure_threads,
    parse_threads,
)

ROOT = Path(__file__).resolve().parents[1]

# Each test starts with nothing applied and leaves torch as it found it.
pytestmark = pytest.mark.usefixtures("restore_threads")


def test_parse_threads():
    assert parse_threads("auto") == "auto"
    assert parse_threads(" AUTO ") == "auto"
    assert parse_threads("3") == 3
    assert parse_threads(2) == 2
    for bad in ("0", "-1", "two", "1.5", 1.0, True, ""):
        with pytest.raises(ValueError, match="positive integer or 'auto'"):
            parse_threads(bad)


def test_an_explicit_request_wins():
    env = {"OMP_NUM_THREADS": "4"}
    choice = choose_num_threads(3, environ=env, cores=8, busy=7.0, current=5)
    assert choice == (3, "argument", "requested")


def test_omp_num_threads_is_honoured():
    choice = choose_num_threads(environ={"OMP_NUM_THREADS": "1"}, cores=8, busy=0.0)
    assert choice.num_threads == 1 and choice.source == "OMP_NUM_THREADS"
    # OpenMP's nested list: the first level counts
    assert choose_num_threads(environ={"OMP_NUM_THREADS": "3,2"}).num_threads == 3
    # not a count: chosen as if unset
    choice = choose_num_threads(environ={"OMP_NUM_THREADS": "many"}, cores=2, busy=0)
    assert choice.num_threads == 2 and choice.source == "auto"


@pytest.mark.parametrize(
    ("cores", "busy", "expected"),
    [
        (2, 0.0, 2),  # idle
        (2, 0.3, 2),  # a little background work
        (2, 1.0, 1),  # one core spinning elsewhere: the reported collapse
        (2, 0.6, 1),
        (2, 3.5, 1),  # never below one
        (1, 0.0, 1),
        (8, 2.6, 5),
        (8, 0.0, 8),
    ],
)
def test_auto_takes_the_free_cores(cores, busy, expected):
    choice = choose_num_threads(environ={}, cores=cores, busy=busy)
    assert choice.num_threads == expected and choice.source == "auto"


def test_a_count_set_with_torch_is_kept(monkeypatch):
    monkeypatch.setattr(threads, "_default_threads", lambda: 2)
    choice = choose_num_threads(environ={}, cores=2, busy=1.0, current=2)
    assert choice.source == "auto" and choice.num_threads == 1  # 2 is the default
    choice = choose_num_threads(environ={}, cores=2, busy=0.0, current=1)
    assert choice == (1, "torch.set_num_threads", "set earlier")
    # with OMP_NUM_THREADS=1, PyTorch starts with 1: that is the environment's
    env = {"OMP_NUM_THREADS": "1"}
    assert choose_num_threads(environ=env, current=1).source == "OMP_NUM_THREADS"
    assert choose_num_threads(environ=env, current=2).source == "torch.set_num_threads"


def test_an_earlier_request_stands_and_an_earlier_auto_is_revised(monkeypatch):
    monkeypatch.setattr(threads, "_default_threads", lambda: 2)
    monkeypatch.setattr(threads, "_applied", threads.ThreadChoice(1, "argument", ""))
    assert choose_num_threads(environ={}, cores=2, busy=0.0, current=1).num_threads == 1
    monkeypatch.setattr(threads, "_applied", threads.ThreadChoice(1, "auto", ""))
    assert choose_num_threads(environ={}, cores=2, busy=0.0, current=1).num_threads == 2


def test_available_cores_follow_the_affinity_and_the_quota(monkeypatch, tmp_path):
    monkeypatch.setattr(
        os, "sched_getaffinity", lambda pid: {0, 1, 2, 3}, raising=False
    )
    quota = tmp_path / "cpu.max"
    assert available_cores(quota) == 4  # no quota file
    quota.write_text("max 100000\n")
    assert available_cores(quota) == 4
    quota.write_text("150000 100000\n")
    assert available_cores(quota) == 2  # 1.5 cores, rounded up
    quota.write_text("20000 100000\n")
    assert available_cores(quota) == 1


def _fake_proc_stat(monkeypatch, samples, own_seconds, cores=2):
    """``/proc/stat`` and this process's CPU time as two given samples."""
    samples, own = iter(samples), iter(own_seconds)
    monkeypatch.setattr(threads, "_cpu_times", lambda cpus: next(samples))
    monkeypatch.setattr(threads, "_own_cpu_seconds", lambda: next(own))
    monkeypatch.setattr(threads.time, "sleep", lambda seconds: None)
    monkeypatch.setattr(threads, "available_cores", lambda: cores)


def test_busy_cores_from_proc_stat(monkeypatch):
    before = {"cpu0": (100, 1000), "cpu1": (50, 1000)}
    after = {"cpu0": (110, 1010), "cpu1": (51, 1010)}  # cpu0 fully busy
    _fake_proc_stat(monkeypatch, [before, after], [0.0, 0.0])
    assert busy_cores(0.1) == pytest.approx(1.1)
    # this process's own CPU time is not another process's load
    _fake_proc_stat(monkeypatch, [before, after], [1.0, 1.05])
    assert busy_cores(0.1) == pytest.approx(0.6)
    # under a quota of 1 core out of 2: the busy share of the quota
    _fake_proc_stat(monkeypatch, [before, after], [0.0, 0.0], cores=1)
    assert busy_cores(0.1) == pytest.approx(0.55)


def test_busy_cores_without_proc_stat_uses_the_load_average(monkeypatch):
    def missing(cpus):
        raise OSError("no /proc/stat")

    monkeypatch.setattr(threads, "_cpu_times", missing)
    monkeypatch.setattr(os, "getloadavg", lambda: (1.25, 0.5, 0.1))
    assert busy_cores(0.0) == 1.25


def test_busy_cores_sees_a_busy_machine_as_at_least_what_it_is():
    assert busy_cores(0.05) >= 0.0  # the real /proc/stat parses


def test_configure_threads_applies_and_keeps_the_wait_policy(monkeypatch):
    monkeypatch.delenv("OMP_WAIT_POLICY", raising=False)
    monkeypatch.delenv("GOMP_SPINCOUNT", raising=False)
    choice = configure_threads(1)
    assert torch.get_num_threads() == 1 and choice.source == "argument"
    # torch is loaded: too late for the wait policy, so it is left alone
    assert "OMP_WAIT_POLICY" not in os.environ


def _wait_policy_of_a_fresh_process(**extra: str) -> str:
    """OMP_WAIT_POLICY after ``configure_threads`` ran before ``import torch``."""
    code = (
        "import os, sys; from speechbrain_lstm_ser.threads import configure_threads; "
        "assert 'torch' not in sys.modules; configure_threads(1); "
        "print(os.environ.get('OMP_WAIT_POLICY'))"
    )
    env = {k: v for k, v in os.environ.items() if k not in threads.WAIT_POLICY_ENV}
    proc = subprocess.run(
        [sys.executable, "-c", code],
        env={**env, **extra},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


@pytest.mark.slow
def test_waiting_threads_sleep_unless_the_user_set_the_policy():
    assert _wait_policy_of_a_fresh_process() == "PASSIVE"
    assert _wait_policy_of_a_fresh_process(OMP_WAIT_POLICY="ACTIVE") == "ACTIVE"
    # libgomp's own default written out (bench.threads' "old default")
    assert _wait_policy_of_a_fresh_process(GOMP_SPINCOUNT="300000") == "None"


def test_cli_threads_option():
    args = build_parser().parse_args(["predict", "--model", "m", "a.wav"])
    assert args.threads == "auto"
    for verb in ("predict", "timeline", "transcribe"):
        args = build_parser().parse_args(
            [verb, "--model", "m", "a.wav", "--threads", "2"]
        )
        assert args.threads == 2
    args = build_parser().parse_args(
        [
            "analyze",
            "--asr-model",
            "a",
            "--emotion-model",
            "e",
            "x.wav",
            "--threads",
            "1",
        ]
    )
    assert args.threads == 1


def test_cli_refuses_a_bad_thread_count(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["predict", "--model", "m", "a.wav", "--threads", "0"])
    assert exit_.value.code == 2
    assert "--threads: threads must be a positive integer or 'auto', got '0'" in (
        capsys.readouterr().err
    )


def test_cli_sets_the_threads_before_loading_the_model(tmp_path, capsys):
    torch.set_num_threads(2)
    status = main(
        ["predict", "--model", str(tmp_path / "no_model"), "a.wav", "--threads", "1"]
    )
    assert status == 2 and "cannot load model" in capsys.readouterr().err
    assert torch.get_num_threads() == 1


def test_from_hparams_takes_threads(trained, tmp_path):
    from speechbrain_lstm_ser.inference import EmotionRecognizer

    torch.set_num_threads(2)
    EmotionRecognizer.from_hparams(source=str(trained.model), threads=1)
    assert torch.get_num_threads() == 1
    # None leaves PyTorch alone
    torch.set_num_threads(2)
    EmotionRecognizer.from_hparams(source=str(trained.model), threads=None)
    assert torch.get_num_threads() == 2


@pytest.mark.parametrize(
    "name", sorted(p.name for p in (ROOT / "hparams").glob("*.yaml"))
)
def test_every_recipe_yaml_takes_num_threads(name):
    # `--num_threads 1` is how a recipe runs on a shared machine
    # (docs/performance.md#threads-on-a-busy-machine): each training YAML
    # must have the key, or the override is refused as unknown.
    keys = [
        line.split(":")[0]
        for line in (ROOT / "hparams" / name).read_text().splitlines()
        if line and not line[0].isspace() and not line.startswith("#")
    ]
    assert "num_threads" in keys, f"hparams/{name}: no num_threads key"
