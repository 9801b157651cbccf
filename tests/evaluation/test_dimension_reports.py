"""The ``dimensions`` section of test reports: JSON, figure, text, Markdown, runs."""

import json

import numpy as np
import pytest

from speechbrain_lstm_ser.evaluation.classification import classification_report
from speechbrain_lstm_ser.evaluation.reports import (
    DIMENSION_SCATTER,
    dimension_section,
    format_markdown,
    format_summary,
    main,
    write_report,
)

PNG = b"\x89PNG\r\n\x1a\n"


def _section(folder=None, seed=0, noise=0.1):
    rng = np.random.default_rng(seed)
    ref = rng.random((24, 3))
    pred = np.clip(ref + noise * rng.standard_normal((24, 3)), 0, 1)
    return dimension_section(
        pred,
        ref,
        genders=["female", "male"] * 12,
        speakers=[f"spk{i % 3}" for i in range(24)],
        output_folder=folder,
        bootstrap=50,
    )


def test_multitask_report_keeps_the_categorical_part_and_adds_dimensions(tmp_path):
    rep = classification_report(["a", "b", "b"], ["a", "a", "b"], ["a", "b"])
    categorical = format_markdown(rep)
    rep["dimensions"] = _section(tmp_path)
    path = write_report(rep, tmp_path)
    data = json.loads(path.read_text())
    assert data["dimensions"]["overall"]["valence"]["n"] == 24
    assert (tmp_path / "confusion_matrix.png").read_bytes().startswith(PNG)
    assert (tmp_path / DIMENSION_SCATTER).read_bytes().startswith(PNG)
    text = format_markdown(data)
    assert text.startswith(categorical)  # categorical tables unchanged, first
    arousal = data["dimensions"]["overall"]["arousal"]
    low, high = arousal["ccc_ci"]
    assert f"| arousal | 24 | {arousal['ccc']:.3f} [{low:.3f}, {high:.3f}] |" in text
    assert "| female | arousal | 12 |" in text
    assert "| dimension | speakers | CCC mean ± std |" in text
    summary = format_summary(data)
    assert "UA (mean recall)" in summary and "per speaker valence: CCC" in summary


def test_dimensional_report_alone(tmp_path, capsys):
    rep = {"dimensions": _section()}
    path = write_report(rep, tmp_path, extra={"train_time_s": 60, "epochs_trained": 2})
    assert not (tmp_path / "confusion_matrix.png").exists()
    main([str(path), "--markdown"])
    out = capsys.readouterr().out
    assert out.startswith("| metric | value |")
    assert "| training time (epochs x (train + valid)) | 1.0 min for 2 epochs |" in out
    assert "| dimension | utterances | CCC | Pearson | MAE |" in out
    assert "UA" not in out
    main([str(path)])
    out = capsys.readouterr().out
    assert out.startswith("dimensions (CCC, Pearson, MAE; 95% bootstrap interval")
    assert "all     dominance" in out


def test_runs_give_mean_and_std_of_each_dimension(tmp_path, capsys):
    paths, ccc = [], []
    for seed in ("1", "2"):
        section = _section(seed=int(seed))
        ccc.append(section["overall"]["valence"]["ccc"])
        paths.append(write_report({"dimensions": section}, tmp_path / seed))
    main([str(p) for p in paths])
    out = capsys.readouterr().out
    mean, std = np.mean(ccc), np.std(ccc, ddof=1)
    assert (
        f"| CCC valence | {mean:.3f} ± {std:.3f} | {ccc[0]:.3f} | {ccc[1]:.3f} |" in out
    )
    assert "| CCC dominance (mean over speakers) |" in out
    assert "| UA |" not in out


def test_undefined_metrics_print_as_not_available():
    ref = np.tile([[0.2, 0.5, 0.8]], (4, 1))  # constant references: no Pearson
    section = dimension_section(
        ref, ref, genders=None, speakers=["a", "a", "b", "b"], bootstrap=20
    )
    text = format_markdown({"dimensions": section})
    assert "| arousal | 4 | n/a | n/a | 0.000 [0.000, 0.000] |" in text
    assert "CCC" in format_summary({"dimensions": section})


@pytest.mark.parametrize("shape", [(24, 2), (23, 3)])
def test_scatter_refuses_mismatched_arrays(tmp_path, shape):
    from speechbrain_lstm_ser.evaluation.plots import plot_dimension_scatter

    with pytest.raises(ValueError, match=r"must both be \(N, 3\)"):
        plot_dimension_scatter(np.zeros(shape), np.zeros((24, 3)), tmp_path / "x.png")
