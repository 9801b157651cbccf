"""A corpus of hostile inputs: each gives a correct result or one clear error line.

Audio cases go through ``EmotionRecognizer.classify_file`` (what the CLI and
users call); manifest, corpus-folder and override cases go through every
recipe's command line (emotion, ASR, commands). A result must be a real
prediction (conversions are done inside), an error must be an
``AudioError`` / one ``error:`` line naming the file and what to do, never
a traceback from deep inside torch.
"""

import csv
import io
import json
import os
import shutil
import subprocess
import sys
import wave
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch
from recipe_runner import TINY, recipe_args, run_cli

import speechbrain_lstm_ser.inference.interface as interface_module
import speechbrain_lstm_ser.inference.timeline as timeline_module
from speechbrain_lstm_ser.dataio.audio import AudioError
from speechbrain_lstm_ser.inference import EmotionRecognizer

# Slow tier: runs every recipe on bad data, and long files (the fast checks of
# bad input are in tests/inference/test_bad_input.py).
pytestmark = pytest.mark.slow

SR = 16000
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def model(trained):
    return EmotionRecognizer.from_hparams(source=str(trained.model))


@pytest.fixture(scope="module")
def speech(trained):
    """A real test utterance (float, 16 kHz) and the model's label for it."""
    with open(trained.out / "manifests" / "test.csv", encoding="utf-8") as handle:
        row = next(csv.DictReader(handle))
    path = row["wav"].replace("$data_root", str(trained.data))
    data, sr = sf.read(path, dtype="float32")
    assert sr == SR
    return data, path


def _resample(data, sr):
    import torchaudio.functional as F

    return F.resample(torch.from_numpy(data), SR, sr).numpy()


def _expect_label(model, path, reference):
    _, _, _, labels = model.classify_file(path)
    assert labels[0] in model.labels
    if reference is not None:
        assert labels[0] == model.classify_file(reference)[3][0]


def _expect_error(model, path, words):
    with pytest.raises(AudioError) as info:
        model.classify_file(path)
    message = str(info.value)
    assert os.fsdecode(path) in message or str(path) in message, message
    assert "\n" not in message
    for word in words:
        assert word in message, message


# ---------------------------------------------------------------- broken files


def test_empty_file(model, tmp_path):
    (tmp_path / "a.wav").write_bytes(b"")
    _expect_error(model, tmp_path / "a.wav", ["empty"])


def test_zero_samples(model, tmp_path):
    sf.write(tmp_path / "a.wav", np.zeros(0), SR)
    _expect_error(model, tmp_path / "a.wav", ["no samples"])


def test_not_audio_with_a_wav_name(model, tmp_path):
    (tmp_path / "a.wav").write_text("<html>this is a web page</html>" * 10)
    _expect_error(model, tmp_path / "a.wav", ["not a readable audio file", "ffmpeg"])


def test_truncated_header(model, tmp_path, speech):
    buffer = io.BytesIO()
    sf.write(buffer, speech[0], SR, format="WAV")
    (tmp_path / "a.wav").write_bytes(buffer.getvalue()[:30])
    _expect_error(model, tmp_path / "a.wav", ["not a readable audio file"])


def test_truncated_data_still_reads_what_is_there(model, tmp_path, speech):
    buffer = io.BytesIO()
    sf.write(buffer, speech[0], SR, format="WAV", subtype="PCM_16")
    (tmp_path / "a.wav").write_bytes(buffer.getvalue()[: len(buffer.getvalue()) // 2])
    with pytest.warns(UserWarning, match="a.wav: truncated file"):
        _expect_label(model, tmp_path / "a.wav", None)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf], ids=["nan", "inf", "-inf"])
def test_non_finite_samples(model, tmp_path, speech, bad):
    data = speech[0].copy()
    data[100] = bad
    sf.write(tmp_path / "a.wav", data, SR, subtype="FLOAT")
    _expect_error(model, tmp_path / "a.wav", ["NaN or infinite"])


def test_directory_with_an_audio_name(model, tmp_path):
    (tmp_path / "a.wav").mkdir()
    _expect_error(model, tmp_path / "a.wav", ["directory"])


def test_missing_file(model, tmp_path):
    _expect_error(model, tmp_path / "nope.wav", ["not found"])


def test_dangling_symlink(model, tmp_path):
    os.symlink(tmp_path / "gone.wav", tmp_path / "a.wav")
    _expect_error(model, tmp_path / "a.wav", ["not found"])


def test_unreadable_permissions(model, tmp_path, speech, monkeypatch):
    sf.write(tmp_path / "a.wav", speech[0], SR)
    os.chmod(tmp_path / "a.wav", 0)
    # Tests may run as root, who can read anything: ask the check itself.
    monkeypatch.setattr(os, "access", lambda path, mode: False)
    _expect_error(model, tmp_path / "a.wav", ["permission denied"])


# -------------------------------------------------- odd but valid: a result


def test_clipped(model, tmp_path, speech):
    sf.write(tmp_path / "a.wav", np.clip(speech[0] * 50, -1, 1), SR)
    _expect_label(model, tmp_path / "a.wav", None)


def test_all_silence(model, tmp_path):
    sf.write(tmp_path / "a.wav", np.zeros(SR * 2), SR)
    _expect_error(model, tmp_path / "a.wav", ["digital silence"])


def test_two_milliseconds(model, tmp_path, speech):
    sf.write(tmp_path / "a.wav", speech[0][:32], SR)
    _expect_error(model, tmp_path / "a.wav", ["too short", "0.002"])


@pytest.mark.parametrize("rate", [8000, 22050, 44100, 48000])
def test_other_sample_rates(model, tmp_path, speech, rate):
    sf.write(tmp_path / "a.wav", _resample(speech[0], rate), rate)
    if rate == 8000:  # classified, with a word that it is narrowband
        with pytest.warns(UserWarning, match="a.wav: narrowband audio"):
            _expect_label(model, tmp_path / "a.wav", None)
    else:
        _expect_label(model, tmp_path / "a.wav", speech[1])


@pytest.mark.parametrize("channels", [2, 6])
def test_multichannel(model, tmp_path, speech, channels):
    sf.write(tmp_path / "a.wav", np.stack([speech[0]] * channels, axis=1), SR)
    _expect_label(model, tmp_path / "a.wav", speech[1])


@pytest.mark.parametrize(
    "name, subtype",
    [
        ("a.wav", "PCM_24"),
        ("a.wav", "FLOAT"),
        ("a.wav", "PCM_U8"),
        ("a.flac", "PCM_16"),
        ("a.ogg", "VORBIS"),
    ],
    ids=["24-bit", "float", "8-bit", "flac", "ogg"],
)
def test_formats(model, tmp_path, speech, name, subtype):
    sf.write(tmp_path / name, speech[0], SR, subtype=subtype)
    lossless = subtype in ("PCM_24", "FLOAT")
    _expect_label(model, tmp_path / name, speech[1] if lossless else None)


def test_mp3(model, tmp_path, speech):
    path = tmp_path / "a.mp3"
    try:
        sf.write(path, speech[0], SR, format="MP3")
    except sf.LibsndfileError:  # a libsndfile without MP3: a clear error
        path.write_bytes(b"ID3\x03\x00\x00\x00\x00\x00\x00" + b"\xff\xfb" * 500)
        _expect_error(model, path, ["not a readable audio file"])
    else:
        _expect_label(model, path, None)


def test_wav_written_by_the_stdlib(model, tmp_path, speech):
    with wave.open(str(tmp_path / "a.wav"), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(SR)
        handle.writeframes((speech[0] * 32767).astype("<i2").tobytes())
    _expect_label(model, tmp_path / "a.wav", speech[1])


def test_non_utf8_file_name(model, tmp_path, speech, trained):
    raw = os.fsencode(tmp_path) + b"/caf\xe9.wav"
    with open(raw, "wb") as handle:
        sf.write(handle, speech[0], SR, format="WAV")
    path = os.fsdecode(raw)
    _expect_label(model, path, speech[1])
    proc = run_cli(
        "predict", "--format", "table", "--model", str(trained.model), path, text=False
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert b"caf\\xe9.wav" in proc.stdout


def test_thirty_minutes_is_chunked(model, tmp_path, speech, monkeypatch):
    path = tmp_path / "long.wav"
    with sf.SoundFile(path, "w", SR, 1, subtype="PCM_16") as handle:
        silence = np.zeros(SR * 60, dtype="float32")
        talk = silence.copy()
        talk[: len(speech[0])] = speech[0]
        for minute in range(30):
            handle.write(talk if minute % 10 == 0 else silence)
    assert sf.info(path).duration == 30 * 60
    spans = []
    real = timeline_module.read_audio

    def spy(p, sample_rate=SR, start=None, stop=None):
        spans.append((stop if stop is not None else 1e9) - (start or 0.0))
        return real(p, sample_rate, start=start, stop=stop)

    # every reading of a file to classify: whole (read_checked) or by windows
    monkeypatch.setattr(interface_module, "read_audio", spy)
    monkeypatch.setattr(timeline_module, "read_audio", spy)
    out_prob, score, index, labels = model.classify_file(path)
    assert labels[0] in model.labels
    assert torch.allclose(out_prob.exp().sum(), torch.tensor(1.0), atol=1e-4)
    assert max(spans) <= model.long_window + 1e-6  # never the whole file


# ------------------ the trained model: no silent answers (issue 22, 4-10)

BATCH_CASES = {
    "zeros": (torch.zeros(1, SR), None, "digital silence"),
    "empty": (torch.zeros(1, 0), None, "too short"),
    "length-0": (None, torch.tensor([0.0]), "(0, 1]"),
    "negative-length": (None, torch.tensor([-1.0]), "(0, 1]"),
    "3-samples": (torch.full((1, 3), 0.1), None, "too short"),
    "nan": (torch.full((1, SR), float("nan")), None, "NaN or infinite"),
    "inf": (torch.full((1, SR), float("inf")), None, "NaN or infinite"),
    "length-5": (None, torch.tensor([5.0]), "(0, 1]"),
}


@pytest.mark.slow
@pytest.mark.parametrize("case", list(BATCH_CASES), ids=list(BATCH_CASES))
def test_classify_batch_checks_like_classify_file(model, speech, case):
    wavs, lens, words = BATCH_CASES[case]
    if wavs is None:
        wavs = torch.from_numpy(speech[0]).unsqueeze(0)
    with pytest.raises(AudioError) as info:
        model.classify_batch(wavs, lens)
    assert words in str(info.value) and "\n" not in str(info.value)


def _non_speech(kind):
    t = np.arange(2 * SR) / SR
    return {
        "white-noise": 0.3 * np.random.default_rng(0).standard_normal(t.size),
        "dc-offset": np.full(t.size, 0.5),
        "square-wave": np.sign(np.sin(2 * np.pi * 200 * t)) * 0.999,
    }[kind]


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["white-noise", "dc-offset", "square-wave"])
def test_non_speech_is_no_speech_in_predict_and_timeline(
    model, trained, tmp_path, kind
):
    path = tmp_path / f"{kind}.wav"
    sf.write(path, _non_speech(kind), SR)
    found = model.predict_file(path)
    assert found.label is None and not found.speech and "no speech" in found.reason
    with pytest.raises(AudioError, match="no speech"):
        model.classify_file(path)
    assert model.timeline(path) == []
    proc = run_cli("predict", "--model", str(trained.model), str(path))
    assert proc.returncode == 0 and "Traceback" not in proc.stderr
    result = json.loads(proc.stdout)
    assert result["label"] is None and result["speech"] is False


@pytest.mark.slow
def test_real_speech_passes_the_gate(model, trained):
    with open(trained.out / "manifests" / "test.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        path = row["wav"].replace("$data_root", str(trained.data))
        assert model.predict_file(path).speech, path


@pytest.mark.slow
def test_narrowband_and_truncated_files_warn(model, tmp_path, speech):
    sf.write(tmp_path / "8k.wav", _resample(speech[0], 8000), 8000)
    buffer = io.BytesIO()
    sf.write(buffer, speech[0], SR, format="WAV", subtype="PCM_16")
    (tmp_path / "cut.wav").write_bytes(buffer.getvalue()[: len(buffer.getvalue()) // 2])
    for name, word in (("8k.wav", "narrowband"), ("cut.wav", "truncated")):
        with pytest.warns(UserWarning, match=word) as caught:
            found = model.predict_file(tmp_path / name)
        assert found.label in model.labels and str(tmp_path / name) in found.warnings[0]
        assert str(tmp_path / name) in str(caught[0].message)


@pytest.mark.slow
def test_enrol_is_all_or_nothing(model, speech, tmp_path):
    (tmp_path / "bad.wav").write_text("not audio" * 50)
    model.forget()
    with pytest.raises(AudioError, match="bad.wav"):
        model.enrol("s", [speech[1], tmp_path / "bad.wav"])
    assert "s" not in model.speakers.speakers
    assert model.enrol("s", [speech[1]]) == 1
    with pytest.raises(ValueError, match="no clip given"):
        model.enrol("t", [])
    model.forget()


@pytest.mark.slow
def test_cli_output_and_argument_errors_are_one_line(trained, speech, tmp_path):
    with open("/dev/full", "wb") as full:
        proc = subprocess.run(
            [sys.executable, "-m", "speechbrain_lstm_ser.cli", "predict"]
            + ["--model", str(trained.model), speech[1]],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=300,
        )
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "error: cannot write the output: No space left on device" in proc.stderr
    for args in (["--window", "0"], ["--hop", "-1"]):
        proc = run_cli("timeline", "--model", str(trained.model), *args, speech[1])
        assert proc.returncode == 2 and "Traceback" not in proc.stderr
        assert f"argument {args[0]}" in proc.stderr
    raw = os.fsencode(tmp_path) + b"/two\nlines\xff.wav"
    with open(raw, "wb") as handle:
        sf.write(handle, speech[0], SR, format="WAV")
    (tmp_path / "sub.wav").mkdir()
    proc = run_cli(
        "predict", "--format", "table", "--model", str(trained.model), str(tmp_path)
    )
    assert proc.returncode == 0, proc.stderr  # the folder sub.wav is no file
    [row] = proc.stdout.splitlines()
    assert row.startswith(str(tmp_path) + "/two\\nlines\\xff.wav\t")


# ------------------------------------------------ a batch run goes on


def test_cli_lists_every_bad_file_and_goes_on(trained, tmp_path, speech):
    folder = tmp_path / "batch"
    folder.mkdir()
    sf.write(folder / "good1.wav", speech[0], SR)
    sf.write(folder / "good2.flac", speech[0], SR)
    (folder / "empty.wav").write_bytes(b"")
    (folder / "text.wav").write_text("not audio" * 50)
    sf.write(folder / "silent.wav", np.zeros(SR), SR)
    proc = run_cli("predict", "--model", str(trained.model), str(folder))
    assert proc.returncode == 1
    done = [
        os.path.basename(json.loads(line)["file"]) for line in proc.stdout.splitlines()
    ]
    assert done == ["good1.wav", "good2.flac"]
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 3
    for name in ("empty.wav", "text.wav", "silent.wav"):
        assert sum(name in line for line in errors) == 1
    assert "Traceback" not in proc.stderr


# ------------------------------------------ manifests and overrides (recipe)


@pytest.fixture
def run_recipe(trained, tmp_path):
    """Runs the recipe on copies of the trained run's manifests."""
    manifests = tmp_path / "manifests"
    shutil.copytree(trained.out / "manifests", manifests)

    def run(edit=None, **extra):
        if edit:
            edit(manifests / "train.csv")
        options = {"number_of_epochs": "1", **extra}
        args = trained.run_args(
            trained.data,
            tmp_path / "out",
            skip_prep="True",
            manifest_folder=str(manifests),
            **options,
        )
        return subprocess.run(args, capture_output=True, text=True, timeout=600)

    return run


def _edit_rows(change):
    def edit(path):
        with open(path, encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
        fields = list(rows[0])
        rows = change(rows)
        with open(path, "w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=fields)
            writer.writeheader()
            writer.writerows(rows)

    return edit


def _first(rows, **values):
    rows[0].update(values)
    return rows


def _corrupt_first_audio(rows_path):
    """The first row's audio becomes a `.wav` file that is not audio."""
    bad = rows_path.parent / "corrupt.wav"
    bad.write_text("<html>not audio</html>" * 50)
    _edit_rows(lambda rows: _first(rows, wav=str(bad)))(rows_path)


RECIPE_CASES = {
    "missing-audio-file": (
        _edit_rows(lambda rows: _first(rows, wav="$data_root/wavs/nowhere.wav")),
        {},
        ["audio file not found", "nowhere.wav"],
    ),
    "unknown-label": (
        _edit_rows(lambda rows: _first(rows, emo="bored")),
        {},
        ["'bored'", "label_map"],
    ),
    "corrupt-audio-file": (
        _corrupt_first_audio,
        {},
        ["corrupt.wav", "not a readable audio file"],
    ),
    "duplicate-ids": (_edit_rows(lambda rows: rows + rows[:1]), {}, ["duplicate ID"]),
    "empty-manifest": (_edit_rows(lambda rows: []), {}, ["no rows"]),
    "path-escaping-the-root": (
        _edit_rows(lambda rows: _first(rows, wav="$data_root/../../etc/passwd")),
        {},
        ["leaves its root folder"],
    ),
    "malformed-override": (None, {"lstm_hidden": "[32, 64"}, ["malformed override"]),
    "wrong-type-override": (
        None,
        {"number_of_epochs": "three"},
        ["expects an integer"],
    ),
    "negative-cache-budget": (
        None,
        {"preprocess_cache_mb": "-5"},
        ["preprocess_cache_mb: -5 is negative; use 0 for no cache"],
    ),
    "unknown-override-key": (
        None,
        {"lstm_hiden": "64"},
        ["did you mean 'lstm_hidden'"],
    ),
}


@pytest.mark.parametrize("case", list(RECIPE_CASES), ids=list(RECIPE_CASES))
def test_recipe_refuses_bad_data_in_one_clear_message(run_recipe, case):
    edit, overrides, words = RECIPE_CASES[case]
    proc = run_recipe(edit, **overrides)
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    for word in words:
        assert word in proc.stderr, proc.stderr[-3000:]


# ------------------------- every recipe: bad data, preparation and overrides

# The tiny configurations of the recipes' own tests.
TASKS = {
    "asr": ("asr_lstm.yaml", TINY["asr"], {"dataset": "librispeech"}),
    "commands": (
        "commands_lstm.yaml",
        TINY["commands"],
        {"dataset": "speech_commands"},
    ),
}


def _recipe_args(task, data, out, **extra):
    hparams, overrides, _ = TASKS[task]
    options = {**overrides, "data_folder": str(data), "output_folder": str(out)}
    script = ROOT / "recipes" / task / "train.py"
    return recipe_args(script, ROOT / "hparams" / hparams, {**options, **extra})


@pytest.fixture(scope="module", params=list(TASKS))
def prepared(request, tmp_path_factory):
    """A task, its generated corpus and manifests (one recipe run of 1 epoch)."""
    task = request.param
    base = tmp_path_factory.mktemp(task)
    data, out = base / "data", base / "out"
    proc = subprocess.run(
        _recipe_args(task, data, out), capture_output=True, text=True, timeout=900
    )
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
    return task, data, out / "manifests"


def _rows(**values):
    return _edit_rows(lambda rows: _first(rows, **values))


# task -> case -> (edit of train.csv, overrides, words of the error)
TASK_CASES = {
    "missing-audio-file": (
        _rows(wav="$data_root/nowhere/gone.wav"),
        {},
        ["train.csv", "audio file not found", "gone.wav"],
    ),
    "corrupt-audio-file": (
        _corrupt_first_audio,
        {},
        ["corrupt.wav", "not a readable audio file"],
    ),
    "malformed-override": (None, {"lstm_hidden": "[32, 64"}, ["malformed override"]),
    "unknown-override-key": (
        None,
        {"lstm_hiden": "64"},
        ["did you mean 'lstm_hidden'"],
    ),
}
ONLY = {
    ("commands", "unknown-label"): (
        _rows(command="bored"),
        {},
        ["train.csv", "command 'bored'"],
    ),
    ("asr", "empty-transcript"): (_rows(wrd=""), {}, ["train.csv", "empty wrd"]),
}


def _run_case(task, data, manifests, tmp_path, edit, overrides):
    copy = tmp_path / "manifests"
    shutil.copytree(manifests, copy)
    if edit:
        edit(copy / "train.csv")
    return subprocess.run(
        _recipe_args(
            task,
            data,
            tmp_path / "out",
            skip_prep="True",
            manifest_folder=copy,
            **overrides,
        ),
        capture_output=True,
        text=True,
        timeout=600,
    )


def _assert_one_clear_error(proc, words):
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    assert "Traceback" not in proc.stdout, proc.stdout[-3000:]
    for word in words:
        assert word in proc.stderr, proc.stderr[-3000:]


@pytest.mark.parametrize("case", list(TASK_CASES) + ["task-specific"])
def test_every_recipe_refuses_bad_data_in_one_clear_message(prepared, case, tmp_path):
    task, data, manifests = prepared
    if case == "task-specific":
        [(edit, overrides, words)] = [v for k, v in ONLY.items() if k[0] == task]
    else:
        edit, overrides, words = TASK_CASES[case]
    proc = _run_case(task, data, manifests, tmp_path, edit, overrides)
    _assert_one_clear_error(proc, words)


def test_every_recipe_names_a_missing_corpus_folder_in_one_line(prepared, tmp_path):
    task, _, _ = prepared
    folder = tmp_path / "no_corpus_here"
    proc = subprocess.run(
        _recipe_args(task, folder, tmp_path / "out", **TASKS[task][2]),
        capture_output=True,
        text=True,
        timeout=600,
    )
    _assert_one_clear_error(proc, [str(folder), "does not exist"])
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("Data preparation failed: ") and str(folder) in last
