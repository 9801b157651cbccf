"""A dimensional model's rows: prediction_row, the result files, shard merges."""

import pytest

from speechbrain_lstm_ser.inference.prediction import Prediction
from speechbrain_lstm_ser.serving.batch import prediction_row
from speechbrain_lstm_ser.serving.results import ResultFile
from speechbrain_lstm_ser.serving.shards import Shard, merge_shards, shard_path

LABELS = ["sad", "happy"]
DIMS = ["arousal", "valence", "dominance"]
PROBS = {"sad": 0.25, "happy": 0.75}
VALUES = {"arousal": 0.8, "valence": 0.625, "dominance": 0.5}


def _rows():
    return [
        {"file": "a.wav", "label": "happy", "score": 0.75, "speech": True}
        | {"probabilities": PROBS, "dimensions": VALUES},
        {"file": "b.wav", "error": "b.wav: file not found"},
    ]


def test_prediction_row_has_the_dimensions_only_when_the_model_does():
    found = Prediction("happy", 0.75, PROBS, True, dimensions=VALUES)
    row = prediction_row(found, LABELS)
    assert row["dimensions"] == VALUES and row["label"] == "happy"
    plain = prediction_row(found._replace(dimensions=None), LABELS)
    assert "dimensions" not in plain
    silent = prediction_row(Prediction(None, None, None, False, "no speech"), [])
    assert "dimensions" not in silent


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_result_files_keep_the_dimensions(tmp_path, suffix):
    out = ResultFile(tmp_path / f"p{suffix}", LABELS, DIMS)
    assert out.start() == set()
    out.write(_rows())
    if suffix == ".csv":
        header = out.path.read_text().splitlines()[0]
        assert header == "file,label,score,sad,happy,arousal,valence,dominance,error"
    again = ResultFile(out.path, LABELS, DIMS)
    assert again.start() == {"a.wav", "b.wav"}
    assert again.read_labels() == LABELS and again.read_dimensions() == DIMS
    rows = list(again.rows())
    assert rows[0]["dimensions"] == VALUES and rows[0]["probabilities"] == PROBS
    assert rows[1] == {"file": "b.wav", "error": "b.wav: file not found"}


def test_a_categorical_csv_is_not_resumed_by_a_dimensional_model(tmp_path):
    out = ResultFile(tmp_path / "p.csv", LABELS)
    out.start()
    assert out.read_dimensions() == []
    with pytest.raises(ValueError, match=r"dimension columns \[\], this model"):
        ResultFile(out.path, LABELS, DIMS).start()


def test_shards_merge_with_their_dimensions(tmp_path):
    output = tmp_path / "p.csv"
    for index in range(2):
        part = ResultFile(shard_path(output, Shard(index, 2)), LABELS, DIMS)
        part.start()
        row = _rows()[0] | {"file": f"{index}.wav"}
        part.write([row])
        part.finish({})
    merge_shards(output)
    merged = list(ResultFile(output).rows())
    assert [r["dimensions"] for r in merged] == [VALUES, VALUES]


def test_parquet_has_a_column_per_dimension(tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    out = ResultFile(tmp_path / "p.parquet", LABELS, DIMS)
    out.start()
    out.write(_rows())
    out.finish({})
    table = pq.read_table(out.path).to_pydict()
    assert table["arousal"] == [0.8, None] and table["dominance"] == [0.5, None]
    assert table["happy"] == [0.75, None]


def test_csv_rows_without_probabilities_no_speech_or_dimensions_alone(tmp_path):
    """No speech, and a model of the dimensions alone: empty class cells."""
    silent = prediction_row(Prediction(None, None, None, False, "no speech"), LABELS)
    alone = prediction_row(Prediction(None, None, None, True, dimensions=VALUES), [])
    out = ResultFile(tmp_path / "p.csv", LABELS, DIMS)
    out.start()
    out.write([{"file": "s.wav"} | silent, {"file": "d.wav"} | alone])
    lines = out.path.read_text().splitlines()
    assert lines[1].startswith("s.wav,,,,")
    assert lines[2].startswith("d.wav,,,,,0.8,0.625,0.5")
