"""Shared fixtures: small generated corpora and fixed seeds."""

import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch

# Two cores on CI machines: keep torch from oversubscribing them.
torch.set_num_threads(min(2, os.cpu_count() or 1))


@pytest.fixture
def restore_threads(monkeypatch):
    """A test that sets threads starts with none applied; torch's count is restored."""
    from speechbrain_lstm_ser import threads

    before = torch.get_num_threads()
    monkeypatch.setattr(threads, "_applied", None)
    yield
    torch.set_num_threads(before)


def _tier(item) -> str:
    return "slow" if item.get_closest_marker("slow") else "fast"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A failing test names its tier, and how to re-run that tier."""
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        tier = _tier(item)
        command = "python -m pytest -m slow" if tier == "slow" else "python -m pytest"
        report.sections.append(("tier", f"{tier} tier ({command})"))
        report.user_properties.append(("tier", tier))


def pytest_terminal_summary(terminalreporter):
    """Lists the failed tests by tier at the end of the run."""
    failed = terminalreporter.stats.get("failed", [])
    tiers: dict[str, list[str]] = {}
    for report in failed:
        tier = dict(report.user_properties).get("tier", "fast")
        tiers.setdefault(tier, []).append(report.nodeid)
    for tier, nodeids in sorted(tiers.items()):
        terminalreporter.write_sep("=", f"failed in the {tier} tier: {len(nodeids)}")
        for nodeid in nodeids:
            terminalreporter.write_line(nodeid)


def _quiet_lazy_modules():
    """Gives SpeechBrain's not-yet-imported lazy modules a ``__file__`` of None.

    Hypothesis reads ``__file__`` of every module in ``sys.modules``; on a
    lazy module that imports its target (transformers, numba, ... and the
    deprecated redirects: slow, noisy), or raises ImportError when it cannot
    (numba's transducer loss without numba), which stops the test run. Any
    other attribute still imports the target as before.
    """
    from speechbrain.utils.importutils import LazyModule

    for module in list(sys.modules.values()):
        if isinstance(module, LazyModule) and module.lazy_module is None:
            module.__file__ = None


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items):
    """Before Hypothesis's plugin scans the modules (see above)."""
    _quiet_lazy_modules()


@pytest.fixture(autouse=True)
def _seed(request):
    torch.manual_seed(0)
    if request.node.get_closest_marker("hypothesis"):
        _quiet_lazy_modules()  # modules imported since collection


@pytest.fixture(scope="session")
def tiny_corpus(tmp_path_factory):
    """A 6-speaker embedded corpus (72 utterances), generated once per session."""
    from speechbrain_lstm_ser.dataio.synthetic.emotion import (
        EmbeddedCorpusOptions,
        generate_embedded_corpus,
    )

    folder = tmp_path_factory.mktemp("corpus") / "embedded"
    options = EmbeddedCorpusOptions(num_speakers=6, utterances_per_emotion=3)
    generate_embedded_corpus(folder, options)
    return folder, options


# The emotion recipe trained once on a tiny generated corpus (session-wide).
ROOT = Path(__file__).resolve().parents[1]
RECIPE = ROOT / "recipes" / "emotion" / "train.py"
HPARAMS = ROOT / "hparams" / "lstm.yaml"

# A tiny but complete configuration: 6 speakers (4 train, 1 valid, 1 test).
OVERRIDES = {
    "prepare": "{valid_speakers: 1, test_speakers: 1, corpora: {embedded: "
    "{num_speakers: 6, utterances_per_emotion: 3, seed: 1234}}}",
    "number_of_epochs": "3",
    "batch_size": "8",
    "lstm_hidden": "32",
    "head_hidden": "32",
    "n_mels": "40",
    "lr": "0.005",
    # num_threads: auto picks the count from the machine's load, and the
    # trained weights differ in the last bits with the thread count: pinned,
    # so that the session's tiny model does not depend on what else runs.
    "num_threads": "1",
}
#: The emotion runs of hparams/lstm.yaml choose their fusion's weights on the
#: tiny validation split, not on the 880 utterances of the validation domain
#: that the default (fusion_selection: auto) generates for the embedded corpus.
FUSION_ON_VALID = {"fusion_selection": "valid"}


def run_args(data, out, **extra):
    from recipe_runner import recipe_args

    options = {**OVERRIDES, **FUSION_ON_VALID}
    options.update(data_folder=str(data), output_folder=str(out))
    return recipe_args(RECIPE, HPARAMS, {**options, **extra})


@pytest.fixture(scope="session")
def trained(tmp_path_factory):
    """Runs the recipe once; gives its folders, log, overrides and CLI builder."""
    base = tmp_path_factory.mktemp("recipe")
    data, out = base / "data", base / "out"
    proc = subprocess.run(
        run_args(data, out), capture_output=True, text=True, timeout=900
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return SimpleNamespace(
        data=data,
        out=out,
        model=out / "model",
        log=proc.stdout + proc.stderr,
        overrides={
            **OVERRIDES,
            **FUSION_ON_VALID,
            "data_folder": str(data),
            "output_folder": str(out),
        },
        hparams=HPARAMS,
        run_args=run_args,
    )


# hparams/streaming_lstm.yaml in the tiny configuration above, two epochs
# (slow tier: the streaming recipe's tests and the service's live stream).
STREAMING_OVERRIDES = {**OVERRIDES, "number_of_epochs": "2"}


@pytest.fixture(scope="session")
def streaming_trained(tmp_path_factory):
    """The streaming run's folder: ``data/`` (its corpus) and ``out/`` (run, model).

    Shared: tests that change the model folder work on a copy.
    """
    from recipe_runner import run_recipe

    base = tmp_path_factory.mktemp("streaming")
    run_recipe(
        "emotion",
        "streaming_lstm.yaml",
        STREAMING_OVERRIDES,
        base / "data",
        base / "out",
    )
    return base
