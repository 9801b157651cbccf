"""The SVR baseline for dimensions on a tiny table of generated tones."""

import csv
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

import bench.classic_regression
from bench.classic_regression import bench_row, main, read_dimensional_audio

pytest.importorskip("sklearn")

ROOT = Path(__file__).resolve().parents[2]
RATE = 16000
COLUMNS = [
    "ID",
    "duration",
    "wav",
    "spk_id",
    "gender",
    "arousal",
    "valence",
    "dominance",
]


def _tone(arousal: float, valence: float, speaker: int) -> np.ndarray:
    """Louder and higher with arousal, rising with valence, 0.4 s."""
    t = np.arange(int(0.4 * RATE)) / RATE
    f0 = (110 + 40 * speaker) * 2 ** (arousal - 0.5) * (1 + 0.3 * (valence - 0.5) * t)
    phase = 2 * np.pi * np.cumsum(f0) / RATE
    return (0.05 + 0.4 * arousal) * (np.sin(phase) + 0.3 * np.sin(2 * phase))


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    """train: speakers 0-1, valid: 2, test: 3; 8 utterances each."""
    root = tmp_path_factory.mktemp("dims")
    rng = np.random.default_rng(0)
    for split, speakers in (("train", (0, 1)), ("valid", (2,)), ("test", (3,))):
        rows = []
        for speaker in speakers:
            for i in range(8):
                a, v = rng.random(2)
                uid = f"s{speaker}_{i}"
                sf.write(root / f"{uid}.wav", _tone(a, v, speaker), RATE)
                rows.append(
                    [uid, 0.4, f"$data_root/{uid}.wav", f"s{speaker}",
                     "female" if speaker % 2 else "male",
                     f"{a:.4f}", f"{v:.4f}", f"{(a + v) / 2:.4f}"]
                )  # fmt: skip
        if split == "test":
            rows[0][6] = ""  # one unknown valence
        with open(root / f"{split}.csv", "w", newline="") as handle:
            csv.writer(handle).writerows([COLUMNS, *rows])
    return root


def test_the_baseline_trains_tunes_and_reports(table, tmp_path, capsys):
    out = tmp_path / "svr.json"
    main(
        ["--manifests", str(table), "--data_folder", str(table), "--features",
         "functionals", "--normalisation", "speaker", "--bootstrap", "50",
         "--output", str(out)]
    )  # fmt: skip
    result = json.loads(out.read_text())
    assert result["kind"] == "classic_regression" and result["test_utterances"] == 8
    run = result["runs"]["speaker"]
    assert len(run["tuning"]) == 3 * 5 * 3 * 3  # dimensions x C x gamma x epsilon
    assert run["chosen"]["arousal"]["valid_CCC"] == max(
        t["valid_CCC"] for t in run["tuning"] if t["dimension"] == "arousal"
    )
    overall = run["dimensions"]["overall"]
    assert overall["valence"]["n"] == 7 and overall["arousal"]["n"] == 8
    assert len(run["predictions"]["s3_0"]) == 3
    assert run["params"] > 0 and run["size_bytes"] > 0
    # relative to its speaker, the level and pitch carry arousal, the glide valence
    assert overall["arousal"]["ccc"] > 0.3 and overall["valence"]["ccc"] > 0.3
    assert list(run["robustness"]) == ["0 dB", "-20 dB", "-10 dB", "+6 dB", "DC"]
    assert run["robustness"]["0 dB"]["CCC"]["arousal"] == pytest.approx(
        overall["arousal"]["ccc"]
    )
    assert isinstance(run["robustness_failures"], list)
    out = capsys.readouterr().out
    assert "functionals (70), speaker z-scoring, test CCC: arousal" in out
    assert "gain invariance (CCC within 0.02): " in out


def test_a_run_is_a_bench_row_in_its_reference_mode(table, tmp_path):
    out = tmp_path / "svr.json"
    main(
        ["--manifests", str(table), "--data_folder", str(table), "--features",
         "functionals", "--normalisation", "global", "--bootstrap", "0",
         "--output", str(out)]
    )  # fmt: skip
    result = json.loads(out.read_text())
    row = bench_row(result, "global")
    run = result["runs"]["global"]
    # global z-scoring uses no speaker information: single utterance
    assert row["dimensions"] == {"utterance": run["dimensions"]}
    assert row["dimension_predictions"] == {"utterance": run["predictions"]}
    assert row["dimension_robustness"] == run["robustness"]
    assert "robustness" not in row and "UA" not in row  # no classes
    assert row["normalisation"] == "global" and row["params"] == run["params"]
    assert row["kind"] == "classic_regression" and row["peak_rss_mb"] > 0


def test_a_manifest_is_read_once(table, monkeypatch):
    calls = []
    read = bench.classic_regression.read_manifest
    monkeypatch.setattr(
        bench.classic_regression,
        "read_manifest",
        lambda *args, **kwargs: calls.append(args) or read(*args, **kwargs),
    )
    audio = read_dimensional_audio(table / "test.csv", table)
    assert len(calls) == 1 and len(audio.wavs) == 8
    assert audio.speakers == ["s3"] * 8 and np.isnan(audio.targets[0, 1])
    with pytest.raises(ValueError, match=r"test.csv: its wav paths start with "):
        read_dimensional_audio(table / "test.csv")


@pytest.mark.slow
def test_the_command_runs_both_normalisations(table, tmp_path):
    out = tmp_path / "svr.json"
    command = [
        sys.executable, "-m", "bench.classic_regression", "--manifests", str(table),
        "--data_folder", str(table), "--features", "functionals", "--output", str(out),
    ]  # fmt: skip
    proc = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(out.read_text())
    assert list(result["runs"]) == ["speaker", "global"]
    assert result["runs"]["global"]["dimensions"]["bootstrap"]["resamples"] == 1000
    assert "global z-scoring, test CCC" in proc.stdout


@pytest.mark.parametrize("value", ["1.7", "high"])
def test_bad_dimension_values_are_one_line(table, tmp_path, value):
    with open(table / "valid.csv", newline="") as handle:
        rows = list(csv.reader(handle))
    rows[1][5] = value  # the first utterance's arousal
    bad = tmp_path / "valid.csv"
    with open(bad, "w", newline="") as handle:
        csv.writer(handle).writerows(rows)
    with pytest.raises(
        ValueError, match=rf"row 2: arousal '{value}' is not a number in"
    ):
        read_dimensional_audio(bad, table)


@pytest.mark.slow
def test_the_baseline_reads_the_prepared_embedded_corpus(tiny_corpus, tmp_path):
    """The manifests of the real preparation: their dimension columns, split."""
    from preparations import prepare_tiny_corpus

    from bench.classic import manifest_splits
    from bench.classic_regression import run_classic_regression

    folder = tiny_corpus[0]
    out = tmp_path / "manifests"
    prepare_tiny_corpus(tiny_corpus, out)
    result = run_classic_regression(
        *manifest_splits(out),
        data_folder=folder,
        features="functionals",
        normalisations=("speaker",),
        bootstrap=100,
    )
    overall = result["runs"]["speaker"]["dimensions"]["overall"]
    assert result["test_utterances"] == 12
    assert all(overall[name]["n"] == 12 for name in ("arousal", "valence", "dominance"))
    # the embedded corpus renders arousal in rate, level and pitch range
    assert overall["arousal"]["ccc"] > 0.5
