"""`sb-lstm-ser serve` without the [serve] extra, and the verbs' argument errors."""

import sys

from speechbrain_lstm_ser.cli import main


def test_serve_without_the_extra_says_how_to_install_it(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "fastapi", None)  # import fastapi fails
    monkeypatch.delitem(sys.modules, "speechbrain_lstm_ser.serving.service", False)
    assert main(["serve", "--model", "unused"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and 'pip install "speechbrain-lstm-ser[serve]"' in err[0]


def test_merge_shards_without_shards_is_one_error_line(tmp_path, capsys):
    assert main(["merge-shards", str(tmp_path / "p.csv")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: no shard files")
