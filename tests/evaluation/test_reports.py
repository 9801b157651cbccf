import json

from speechbrain.utils.checkpoints import Checkpointer

from speechbrain_lstm_ser.evaluation.classification import classification_report
from speechbrain_lstm_ser.evaluation.plots import plot_training_curves
from speechbrain_lstm_ser.evaluation.reports import format_summary, write_report
from speechbrain_lstm_ser.training.history import TrainingHistory

PNG = b"\x89PNG\r\n\x1a\n"


def test_report_files(tmp_path):
    rep = classification_report(
        ["a", "b", "b"],
        ["a", "a", "b"],
        ["a", "b"],
        groups={"gender": ["female", "male", "male"]},
    )
    path = write_report(
        rep, tmp_path, rows=[{"ID": "u1", "prediction": "a"}], extra={"epoch": 3}
    )
    data = json.loads(path.read_text())
    assert data["epoch"] == 3 and data["accuracy"] == rep["accuracy"]
    assert (tmp_path / "confusion_matrix.png").read_bytes().startswith(PNG)
    assert (tmp_path / "predictions.csv").read_text().startswith("ID,prediction")
    text = format_summary(rep)
    assert "UA (mean recall): 0.7500" in text and "female" in text
    assert "ECE" not in text  # no calibration section: nothing said
    assert not (tmp_path / "reliability_diagram.png").exists()


def test_calibration_section_is_written_drawn_and_printed(tmp_path):
    import torch

    from speechbrain_lstm_ser.evaluation.calibration import calibration_report
    from speechbrain_lstm_ser.evaluation.reports import format_markdown

    rep = classification_report(["a", "b", "b"], ["a", "a", "b"], ["a", "b"])
    log_probs = torch.tensor([[0.9, 0.1], [0.6, 0.4], [0.2, 0.8]]).log()
    calibration = calibration_report(log_probs, torch.tensor([0, 1, 1]), 1.5)
    rep["calibration"] = {**calibration, "fitted_on": "valid"}
    path = write_report(rep, tmp_path)
    data = json.loads(path.read_text())
    assert data["calibration"]["temperature"] == 1.5
    assert len(data["calibration"]["reliability"]) == 15
    assert (tmp_path / "reliability_diagram.png").read_bytes().startswith(PNG)
    ece = calibration["after"]["ece"]
    assert f"ECE (15 bins): {ece:.4f}" in format_summary(rep)
    assert "(fitted on valid)" in format_summary(rep)
    assert f"| ECE (15 bins; at T = 1) | {ece:.3f} (" in format_markdown(rep)


def test_history_is_checkpointed(tmp_path):
    history = TrainingHistory()
    history.append(1, train_loss=2.0, valid_UA=0.3)
    history.append(2, train_loss=1.5, valid_UA=0.5)
    ckpt = Checkpointer(tmp_path / "ckpt", recoverables={"history": history})
    ckpt.save_checkpoint()
    history.append(3, train_loss=1.0, valid_UA=0.6)
    restored = TrainingHistory()
    Checkpointer(
        tmp_path / "ckpt", recoverables={"history": restored}
    ).recover_if_possible()
    assert restored.column("valid_UA") == [0.3, 0.5]
    plot_training_curves(history, tmp_path / "curves.png")
    assert (tmp_path / "curves.png").read_bytes().startswith(PNG)


def test_report_command_gives_mean_and_std_over_runs(tmp_path, capsys):
    from speechbrain_lstm_ser.evaluation.reports import main

    paths = []
    for seed, predictions in (("1", ["a", "b", "b", "a"]), ("2", ["a", "a", "b", "a"])):
        rep = classification_report(
            ["a", "a", "b", "b"],
            predictions,
            ["a", "b"],
            groups={"gender": ["female", "male", "female", "male"]},
        )
        paths.append(write_report(rep, tmp_path / seed))
    main([str(p) for p in paths])
    out = capsys.readouterr().out
    # run 1: a 1/2, b 1/2 -> UA 0.5; run 2: a 2/2, b 1/2 -> UA 0.75
    assert "| metric (2 runs) | mean ± std | 1 | 2 |" in out
    assert "| UA | 0.625 ± 0.177 | 0.500 | 0.750 |" in out
    assert "| UA female |" in out and "| UA male |" in out


def test_fused_figures_are_rows_of_the_report_and_of_the_runs(tmp_path, capsys):
    from speechbrain_lstm_ser.evaluation.reports import format_markdown, main

    paths = []
    for seed, fused in (("1", 0.8), ("2", 0.9)):
        rep = classification_report(["a", "b"], ["a", "a"], ["a", "b"])
        rep["fusion"] = {
            "weights": {"speaker": 0.2, "utterance": 1.0},
            "test": {
                "speaker": {"unweighted_accuracy": fused},
                "single_utterance": {"unweighted_accuracy": 0.5},
            },
        }
        paths.append(write_report(rep, tmp_path / seed))
    one = json.loads(paths[0].read_text())
    markdown = format_markdown(one)
    assert "| fusion weight of the model (w) | speaker 0.2, utterance 1.0 |" in markdown
    assert "| UA fused with the functionals, speaker's baseline | 0.800 |" in markdown
    assert "UA fused with the functionals, single utterance: 0.5000" in format_summary(
        one
    )
    main([str(p) for p in paths])
    out = capsys.readouterr().out
    row = "| UA fused with the functionals, speaker's baseline | 0.850 ± 0.071 |"
    assert row in out
