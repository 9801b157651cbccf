"""``sb-lstm-ser`` verbs that wrap a module's command: export-onnx, prune, report.

They run on a tiny untrained run of ``hparams/lstm.yaml`` (a checkpoint saved
straight after building the modules, no training); the ONNX and int8 files
themselves are tested in ``tests/export/test_onnx.py``, pruning in
``tests/compression/test_compression.py``. The export runs in its own process, as
users run it (a second ONNX export in one process gets a fixed time axis).
``publish`` needs an exported folder: see ``test_inference_hub.py``.
"""

import json
import subprocess
import sys
from pathlib import Path

import onnx
import pytest
import torch
from hyperpyyaml import load_hyperpyyaml, resolve_references
from recipe_runner import run_cli

from speechbrain_lstm_ser.cli import build_parser, main
from speechbrain_lstm_ser.evaluation.classification import classification_report
from speechbrain_lstm_ser.evaluation.reports import write_report

ROOT = Path(__file__).resolve().parents[1]
HPARAMS = ROOT / "hparams" / "lstm.yaml"
TINY = ["--lstm_hidden", "8", "--head_hidden", "8", "--n_mels", "20"]


def _overrides(args):
    """``--key value`` pairs as the YAML text SpeechBrain recipes make of them."""
    pairs = zip(args[::2], args[1::2], strict=True)
    return "\n".join(f"{key[2:]}: {value}" for key, value in pairs)


def _error_lines(stderr):
    """The command's error lines (libraries print their own notes too)."""
    return [line for line in stderr.splitlines() if line.startswith("error:")]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """A run folder as the recipe leaves it: hyperparams.yaml and a checkpoint."""
    out = tmp_path_factory.mktemp("run")
    overrides = _overrides(["--output_folder", str(out), *TINY])
    with open(HPARAMS, encoding="utf-8") as handle:
        (out / "hyperparams.yaml").write_text(
            resolve_references(handle, overrides).getvalue(), encoding="utf-8"
        )
    with open(out / "hyperparams.yaml", encoding="utf-8") as handle:
        hparams = load_hyperpyyaml(handle)
    torch.manual_seed(0)
    feats = hparams["compute_features"](0.1 * torch.randn(2, 16000))
    hparams["mean_var_norm"](feats, torch.ones(2))  # global statistics
    hparams["checkpointer"].save_checkpoint(meta={"UA": 0.5})
    return out


def test_every_verb_is_in_the_help(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--help"])
    assert info.value.code == 0
    text = capsys.readouterr().out
    for verb in ("publish", "export-onnx", "prune", "report", "predict"):
        assert verb in text
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    assert {"publish", "export-onnx", "prune", "report"} <= set(sub.choices)


def test_every_verb_is_one_handler_of_its_own():
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    handlers = {verb: p.get_default("handler") for verb, p in sub.choices.items()}
    names = {verb: handler.__name__ for verb, handler in handlers.items()}
    assert all(name == "run_" + verb.replace("-", "_") for verb, name in names.items())
    assert len(set(handlers.values())) == len(handlers)


@pytest.mark.slow
def test_export_onnx_writes_the_model_and_its_int8_copy(run, tmp_path):
    # the training YAML itself, pointed at the run by YAML overrides
    path = tmp_path / "model.onnx"
    args = ["--output_folder", run, *TINY]
    proc = run_cli("export-onnx", HPARAMS, "--onnx", path, "--int8", *args)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "max |onnxruntime - PyTorch| on probabilities" in proc.stdout
    int8 = tmp_path / "model.int8.onnx"
    assert f"wrote {int8}" in proc.stdout
    ops = [node.op_type for node in onnx.load(str(int8)).graph.node]
    assert "DynamicQuantizeLSTM" in ops
    meta = {p.key: p.value for p in onnx.load(str(path)).metadata_props}
    assert json.loads(meta["labels"]) == ["neutral", "happy", "sad", "angry"]


@pytest.mark.slow
def test_the_module_alias_exports_without_int8(run, tmp_path):
    path = tmp_path / "m.onnx"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "speechbrain_lstm_ser.export.onnx",
            str(run / "hyperparams.yaml"),
            "--onnx",
            str(path),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert f"wrote {path}" in proc.stdout and "int8" not in proc.stdout
    assert path.exists() and not (tmp_path / "m.int8.onnx").exists()


def test_export_onnx_without_a_checkpoint_is_one_error_line(tmp_path, capsys):
    args = ["--output_folder", str(tmp_path / "empty"), *TINY]
    status = main(
        ["export-onnx", str(HPARAMS), "--onnx", str(tmp_path / "m.onnx"), *args]
    )
    errors = _error_lines(capsys.readouterr().err)
    assert status == 1
    assert len(errors) == 1 and errors[0].startswith("error: no checkpoint in")


def test_prune_writes_the_first_checkpoint_of_a_smaller_run(run, tmp_path, capsys):
    target = tmp_path / "pruned"
    args = ["--output_folder", str(target), *TINY]
    args[args.index("--lstm_hidden") + 1] = "4"
    assert main(["prune", str(run / "hyperparams.yaml"), str(HPARAMS), *args]) == 0
    out = capsys.readouterr().out
    assert out.startswith("pruned ") and str(target / "save") in out
    assert list((target / "save").glob("CKPT+*/model.ckpt"))


def test_prune_of_a_missing_run_is_one_error_line(tmp_path, capsys):
    status = main(["prune", str(tmp_path / "nothing.yaml"), str(HPARAMS)])
    errors = _error_lines(capsys.readouterr().err)
    assert status == 1
    assert len(errors) == 1 and "nothing.yaml" in errors[0]


@pytest.fixture()
def report(tmp_path):
    rep = classification_report(
        ["a", "b", "b"],
        ["a", "a", "b"],
        ["a", "b"],
        groups={"gender": ["female", "male", "male"]},
    )
    return write_report(rep, tmp_path)


def test_report_prints_text_or_markdown(report, capsys):
    assert main(["report", str(report)]) == 0
    assert "UA (mean recall): 0.7500" in capsys.readouterr().out
    assert main(["report", str(report), "--markdown"]) == 0
    assert "| UA (unweighted accuracy) | 0.750 |" in capsys.readouterr().out


def test_report_errors_are_one_line(tmp_path, capsys):
    assert main(["report", str(tmp_path / "missing.json")]) == 1
    errors = _error_lines(capsys.readouterr().err)
    assert len(errors) == 1 and "missing.json" in errors[0]
    (tmp_path / "other.json").write_text("{}")
    assert main(["report", str(tmp_path / "other.json")]) == 1
    errors = _error_lines(capsys.readouterr().err)
    assert len(errors) == 1 and errors[0].startswith(
        f"error: {tmp_path / 'other.json'}"
    )
    assert "not a test report" in errors[0]


def test_publish_of_a_non_model_folder_fails(tmp_path, capsys):
    status = main(["publish", str(tmp_path), "--repo-id", "someone/ser", "--dry-run"])
    assert status == 1
    assert capsys.readouterr().err.startswith(f"error: {tmp_path} is not ready")


def test_unknown_options_of_other_verbs_are_refused(capsys):
    with pytest.raises(SystemExit) as info:
        main(["verify", "folder", "--bogus", "1"])
    assert info.value.code == 2
    assert "unrecognized arguments: --bogus 1" in capsys.readouterr().err
