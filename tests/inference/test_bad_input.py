"""Bad input gets one clear line, audio without speech gets "no speech".

Fast: a tiny untrained emotion model folder (built in a few seconds, no
training); the same cases on the session's trained model are in
tests/recipes/test_hostile_inputs.py (slow). The speech gate is checked on
the embedded corpus's generated (espeak) speech (``tiny_corpus``).
"""

import codecs
import io
import json
import math
import os
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch
import torchaudio
from untrained_models import LABELS, SR, export_untrained

from speechbrain_lstm_ser.cli import display_name, expand_inputs, main
from speechbrain_lstm_ser.dataio.audio import AudioError, read_audio
from speechbrain_lstm_ser.inference import EmotionRecognizer
from speechbrain_lstm_ser.inference.checks import (
    AudioWarning,
    NoSpeechError,
    SpeechGate,
    narrowband,
)
from speechbrain_lstm_ser.inference.live import run_live
from speechbrain_lstm_ser.inference.speakers import read_speaker_list


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """An exported emotion model folder, untrained (tiny; seconds to build)."""
    return export_untrained(tmp_path_factory.mktemp("run"))


@pytest.fixture(scope="module")
def model(folder):
    return EmotionRecognizer.from_hparams(source=str(folder), verify="off")


@pytest.fixture(scope="module")
def clips(tiny_corpus):
    """One generated utterance per speaker and emotion (24 clips)."""
    folder, _ = tiny_corpus
    chosen: dict[tuple[str, str], Path] = {}
    for path in sorted(folder.rglob("*.wav")):
        key = (path.parent.name, path.stem.split("_")[1])  # speaker, emotion
        chosen.setdefault(key, path)
    paths = sorted(chosen.values())[:24]
    assert len(paths) >= 12
    return paths


def _non_speech(kind: str, seconds: float = 2.0) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    if kind == "white-noise":
        return 0.3 * np.random.default_rng(0).standard_normal(t.size)
    if kind == "dc-offset":
        return np.full(t.size, 0.5)
    return np.sign(np.sin(2 * np.pi * 200 * t)) * 0.999  # full-scale square


def _one_line(err) -> str:
    message = str(err.value if hasattr(err, "value") else err)
    assert "\n" not in message, message
    return message


# ----------------------------------------- classify_batch checks its input


BATCH_CASES = {
    "zeros": (torch.zeros(1, SR), None, ["wavs[0]", "digital silence"]),
    "empty-waveform": (torch.zeros(1, 0), None, ["wavs[0]", "too short"]),
    "empty-batch": (torch.zeros(0, SR), None, ["wavs", "empty"]),
    "length-0": (torch.randn(1, SR), torch.tensor([0.0]), ["wav_lens[0]", "(0, 1]"]),
    "negative-length": (
        torch.randn(1, SR),
        torch.tensor([-0.5]),
        ["wav_lens[0]", "(0, 1]"],
    ),
    "length-5": (torch.randn(1, SR), torch.tensor([5.0]), ["wav_lens[0]", "(0, 1]"]),
    "nan-length": (
        torch.randn(1, SR),
        torch.tensor([math.nan]),
        ["wav_lens[0]", "(0, 1]"],
    ),
    "3-samples": (torch.randn(1, 3), None, ["wavs[0]", "too short"]),
    "nan": (torch.full((1, SR), math.nan), None, ["wavs[0]", "NaN or infinite"]),
    "inf": (
        torch.cat([torch.randn(1, SR), torch.full((1, 1), math.inf)], 1),
        None,
        ["wavs[0]", "NaN or infinite"],
    ),
    "3-d": (torch.randn(1, 2, SR), None, ["(batch, time)"]),
    "lens-shape": (torch.randn(2, SR), torch.ones(3), ["wav_lens", "(2,)"]),
}


@pytest.mark.parametrize("case", list(BATCH_CASES), ids=list(BATCH_CASES))
def test_classify_batch_refuses_bad_input_in_one_line(model, case):
    wavs, lens, words = BATCH_CASES[case]
    for call in (model.classify_batch, model.predict_batch):
        with pytest.raises(AudioError) as info:
            call(wavs, lens)
        message = _one_line(info)
        for word in words:
            assert word in message, message


def test_batch_and_file_refuse_with_the_same_check(model, tmp_path):
    sf.write(tmp_path / "zeros.wav", np.zeros(SR), SR)
    with pytest.raises(AudioError) as from_file:
        model.classify_file(tmp_path / "zeros.wav")
    with pytest.raises(AudioError) as from_batch:
        model.classify_batch(torch.zeros(1, SR))
    assert from_file.value.reason == from_batch.value.reason
    assert from_file.value.path == str(tmp_path / "zeros.wav")


def test_int16_batches_are_scaled_like_files(model):
    wav = (0.3 * torch.randn(SR)).clamp(-1, 1)
    pcm = (wav * 32767).round().to(torch.int16)
    floats = model.classify_batch(wav.unsqueeze(0))[0]
    ints = model.classify_batch(pcm.unsqueeze(0))[0]
    torch.testing.assert_close(ints, floats, atol=2e-3, rtol=0)


# ----------------------------------------------------- the speech gate


@pytest.mark.parametrize("kind", ["white-noise", "dc-offset", "square-wave"])
def test_non_speech_gets_no_speech_never_a_class(model, tmp_path, kind):
    path = tmp_path / f"{kind}.wav"
    sf.write(path, _non_speech(kind), SR)
    found = model.predict_file(path)
    assert (found.label, found.score, found.probabilities) == (None, None, None)
    assert found.speech is False and "no speech" in found.reason
    with pytest.raises(NoSpeechError) as info:
        model.classify_file(path)
    assert str(path) in _one_line(info) and "gate=False" in str(info.value)
    assert model.timeline(path, window=1.0, hop=1.0) == []
    assert model.predict_file(path, gate=False).label in LABELS  # gate off
    wav = torch.from_numpy(_non_speech(kind)).float().unsqueeze(0)
    with pytest.raises(NoSpeechError, match=r"wavs\[0\]"):
        model.classify_batch(wav, gate=True)
    assert model.classify_batch(wav)[3][0] in LABELS  # the model on tensors


def _gate_passes(paths):
    gate = SpeechGate(SR)
    for path in paths:
        wav = read_audio(path)
        for version in (wav, 0.1 * wav, 0.1 * wav + 0.1):  # 0 dB, -20 dB, DC
            found = gate(version)
            assert found.speech, (path.name, found)


def test_gate_passes_generated_speech_at_any_level(clips):
    by_emotion = {path.stem.split("_")[1]: path for path in clips}
    assert len(by_emotion) == 4
    _gate_passes(sorted(by_emotion.values())[:2])


@pytest.mark.slow
def test_gate_passes_every_utterance_of_the_corpus(tiny_corpus):
    _gate_passes(sorted(tiny_corpus[0].rglob("*.wav")))


def test_the_batched_gate_decides_as_one_clip_at_a_time(clips):
    # Silero VAD over a padded batch (one call per window for all rows) gives
    # each row the decision it gets alone: speech of several lengths and
    # levels (with a DC offset), noise, a square wave, a short clip.
    speech = [read_audio(path) for path in clips[:3]]
    rows = [
        speech[0],
        0.1 * speech[1] + 0.1,
        speech[2][: SR // 2],
        torch.from_numpy(_non_speech("white-noise", 0.7)).float(),
        torch.from_numpy(_non_speech("square-wave", 1.3)).float(),
        speech[0][: SR // 5],
    ]
    sizes = [row.numel() for row in rows]
    wavs = torch.stack(
        [torch.nn.functional.pad(r, (0, max(sizes) - r.numel())) for r in rows]
    )
    lens = torch.tensor(sizes) / max(sizes)
    gate = SpeechGate(SR)
    batched = gate.batch(wavs, lens)
    alone = [gate(row) for row in rows]
    assert [b.speech for b in batched] == [a.speech for a in alone]
    assert [b.speech for b in batched][:5] == [True, True, True, False, False]
    for b, a in zip(batched, alone, strict=True):
        if not a.speech:  # no early stop without speech: the same seconds
            assert b.seconds == pytest.approx(a.seconds, abs=0.07)


def test_predict_batch_answers_per_row(model, clips):
    speech = read_audio(clips[0])
    noise = torch.from_numpy(_non_speech("white-noise", 1.0)).float()
    wavs = torch.zeros(3, speech.numel())
    wavs[0], wavs[1, : noise.numel()], wavs[2] = speech, noise, speech
    lens = torch.tensor([1.0, noise.numel() / speech.numel(), 1.0])
    first, second, third = model.predict_batch(wavs, lens)
    assert first.speech and first.label in LABELS and third.speech
    assert not second.speech and second.label is None
    alone = model.predict_batch(speech.unsqueeze(0))[0]
    assert alone.probabilities == pytest.approx(first.probabilities, abs=1e-4)


# ------------------------------------------------------------- warnings


def _phone(wav: torch.Tensor) -> torch.Tensor:
    return torchaudio.functional.resample(
        torchaudio.functional.resample(wav, SR, 8000), 8000, SR
    )


def test_narrowband_is_told_apart_from_generated_speech(clips):
    for path in clips:
        wav = read_audio(path)
        assert not narrowband(wav, SR), path.name
        assert narrowband(_phone(wav), SR), path.name


def _warnings_of(call):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = call()
    return result, [str(w.message) for w in caught if w.category is AudioWarning]


def test_narrowband_and_truncated_files_warn_naming_the_file(model, clips, tmp_path):
    wav = read_audio(clips[0])
    sf.write(tmp_path / "clean.wav", wav.numpy(), SR)
    sf.write(tmp_path / "8k.wav", _phone(wav)[::2].numpy(), 8000)
    sf.write(tmp_path / "up.wav", _phone(wav).numpy(), SR)
    buffer = io.BytesIO()
    sf.write(buffer, wav.numpy(), SR, format="WAV", subtype="PCM_16")
    data = buffer.getvalue()
    (tmp_path / "cut.wav").write_bytes(data[: len(data) * 2 // 3])
    found, notes = _warnings_of(lambda: model.predict_file(tmp_path / "clean.wav"))
    assert notes == [] and found.warnings == ()
    for name, words in (
        ("8k.wav", ["narrowband", "8000 Hz"]),
        ("up.wav", ["narrowband", "4 kHz"]),
        ("cut.wav", ["truncated", "announces"]),
    ):
        found, notes = _warnings_of(lambda n=name: model.predict_file(tmp_path / n))
        assert found.label in LABELS  # classified, with the warning
        assert len(notes) == 1 and list(found.warnings) == notes, notes
        assert str(tmp_path / name) in notes[0]
        for word in words:
            assert word in notes[0], notes[0]
    _, notes = _warnings_of(lambda: model.classify_file(tmp_path / "cut.wav"))
    assert len(notes) == 1


# ----------------------------------------------------------- enrolment


def test_enrol_is_all_or_nothing(model, clips, tmp_path):
    assert model.model.reference_norm is not None
    (tmp_path / "bad.wav").write_text("not audio" * 40)
    model.forget()
    with pytest.raises(AudioError, match="bad.wav"):
        model.enrol("ann", [clips[0], tmp_path / "bad.wav"])
    assert "ann" not in model.speakers.speakers  # the good clip was not kept
    assert model.enrol("ann", [clips[0]]) == 1
    with pytest.raises(ValueError, match="no clip given"):
        model.enrol("bob", [])
    sf.write(tmp_path / "noise.wav", _non_speech("white-noise"), SR)
    with pytest.raises(NoSpeechError):
        model.enrol("ann", [clips[1], tmp_path / "noise.wav"])
    assert model.enrol("ann", [clips[1]]) == 2  # once each, not twice
    model.forget()


# ------------------------------------------------------- the command line


def _run(capsys, *argv):
    status = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return status, out, err


def _errors(err):
    return [line for line in err.splitlines() if line.startswith("error:")]


def test_cli_predict_says_no_speech_and_warns(folder, clips, tmp_path, capsys):
    sf.write(tmp_path / "noise.wav", _non_speech("white-noise"), SR)
    sf.write(tmp_path / "8k.wav", _phone(read_audio(clips[0]))[::2].numpy(), 8000)
    status, out, err = _run(
        capsys,
        "predict",
        "--model",
        folder,
        tmp_path / "noise.wav",
        tmp_path / "8k.wav",
    )
    assert status == 0, err
    noise, phone = (json.loads(line) for line in out.splitlines())
    assert noise["label"] is None and noise["speech"] is False
    assert "no speech" in noise["reason"] and "probabilities" not in noise
    assert phone["label"] in LABELS and phone["speech"] is True
    assert len(phone["warnings"]) == 1 and "narrowband" in phone["warnings"][0]
    warned = [line for line in err.splitlines() if line.startswith("warning:")]
    assert len(warned) == 1 and "8k.wav" in warned[0]
    status, out, _ = _run(
        capsys, "predict", "--no-speech-gate", "--model", folder, tmp_path / "noise.wav"
    )
    assert status == 0 and json.loads(out)["label"] in LABELS
    status, out, _ = _run(
        capsys,
        "timeline",
        "--model",
        folder,
        "--format",
        "table",
        tmp_path / "noise.wav",
    )
    assert status == 0 and out.splitlines() == [
        f"{tmp_path / 'noise.wav'}\t-\t(no speech)\t-"
    ]


def test_cli_table_rows_stay_one_line_and_map_back(folder, clips, tmp_path, capsys):
    names = [b"new\nline.wav", b"caf\xe9.wav", b"back\\xe9.wav", b"tab\t.wav"]
    for raw in names:
        with open(os.fsencode(tmp_path) + b"/" + raw, "wb") as handle:
            handle.write(Path(clips[0]).read_bytes())
    status, out, err = _run(
        capsys, "predict", "--format", "table", "--model", folder, tmp_path
    )
    assert status == 0, err
    rows = out.splitlines()
    assert len(rows) == len(names)
    printed = {codecs.escape_decode(row.split("\t")[0].encode())[0] for row in rows}
    assert printed == {os.fsencode(tmp_path) + b"/" + raw for raw in names}


def test_a_folder_with_an_audio_name_is_not_a_file(tmp_path):
    (tmp_path / "sub.wav").mkdir()
    sf.write(tmp_path / "sub.wav" / "a.wav", np.zeros(10), SR)
    files, had_folder = expand_inputs([str(tmp_path)])
    assert files == [tmp_path / "sub.wav" / "a.wav"] and had_folder


def test_cli_output_that_cannot_be_written_is_one_line(
    folder, clips, monkeypatch, capsys
):
    with open("/dev/full", "w", encoding="utf-8") as full:
        monkeypatch.setattr(sys, "stdout", full)
        status = main(["predict", "--model", str(folder), str(clips[0])])
    err = capsys.readouterr().err
    assert status == 1 and "Traceback" not in err
    assert _errors(err) == ["error: cannot write the output: No space left on device"]


ARGUMENT_CASES = {
    "timeline-window-0": (["timeline", "--window", "0"], "--window"),
    "timeline-hop-negative": (["timeline", "--hop", "-1"], "--hop"),
    "timeline-window-nan": (["timeline", "--window", "nan"], "--window"),
    "stream-rate-0": (["stream", "--rate", "0"], "--rate"),
    "stream-rate-negative": (["stream", "--rate", "-8000"], "--rate"),
    "stream-chunk-nan": (["stream", "--chunk", "nan"], "--chunk"),
    "stream-chunk-0": (["stream", "--chunk", "0"], "--chunk"),
    "stream-smoothing-negative": (["stream", "--smoothing", "-1"], "--smoothing"),
}


@pytest.mark.parametrize("case", list(ARGUMENT_CASES), ids=list(ARGUMENT_CASES))
def test_bad_arguments_are_one_usage_error(case, capsys):
    argv, option = ARGUMENT_CASES[case]
    extra = ["a.wav"] if argv[0] == "timeline" else []
    with pytest.raises(SystemExit) as info:
        main([*argv, "--model", "/nonexistent/model", *extra])
    assert info.value.code == 2
    err = capsys.readouterr().err
    [line] = [x for x in err.splitlines() if "error:" in x]
    assert f"argument {option}" in line and "Traceback" not in err


def test_empty_labels_are_refused(folder, clips, capsys):
    status, out, err = _run(
        capsys, "predict", "--labels", "", "--model", folder, clips[0]
    )
    assert status == 2 and out == ""
    assert _errors(err) == [
        "error: --labels: no class given; name classes of the model, e.g. "
        "--labels happy,sad, or leave the option out"
    ]


@pytest.mark.parametrize(
    "text, words",
    [
        (b"path,speaker\na.wav,ann\na.wav,ann\n", ["line 3", "listed again"]),
        (b"path,speaker\na.wav,ann\na.wav,bob\n", ["line 3", "speaker ann"]),
        (b"path,speaker\ncaf\xe9.wav,ann\n", ["not UTF-8", "save the list"]),
    ],
    ids=["duplicate-row", "two-speakers", "not-utf8"],
)
def test_bad_speaker_lists_name_the_file(folder, tmp_path, capsys, text, words):
    (tmp_path / "list.csv").write_bytes(text)
    with pytest.raises(ValueError) as info:
        read_speaker_list(tmp_path / "list.csv")
    assert str(tmp_path / "list.csv") in _one_line(info)
    for word in words:
        assert word in str(info.value)
    status, _, err = _run(
        capsys, "predict", "--model", folder, "--speakers", tmp_path / "list.csv"
    )
    assert status == 2 and len(_errors(err)) == 1
    assert str(tmp_path / "list.csv") in _errors(err)[0]


@pytest.mark.parametrize(
    "content", [b"{}", b"[1, 2]", b"\xff\xfe", b"{not json"], ids=str
)
def test_report_errors_name_the_file(tmp_path, capsys, content):
    path = tmp_path / "test_report.json"
    path.write_bytes(content)
    status, out, err = _run(capsys, "report", path)
    assert status == 1 and out == ""
    [line] = _errors(err)
    assert str(path) in line


class _StubStream:
    """What run_live needs of a streaming model."""

    sample_rate = SR
    labels = LABELS

    def make_streaming_context(self, **kwargs):
        return None

    def classify_chunk(self, context, chunk):
        return []


def test_empty_standard_input_is_one_error_line():
    err = io.StringIO()
    status = run_live(
        _StubStream(), source="stdin", stdin=io.BytesIO(b""), out=io.StringIO(), err=err
    )
    assert status == 1
    assert err.getvalue().startswith("error: standard input ended before any audio")
    for bad in ({"chunk": math.nan}, {"chunk": 0}, {"input_rate": -8000}):
        with pytest.raises(ValueError, match="--chunk|--rate"):
            run_live(_StubStream(), stdin=io.BytesIO(b"\0\0"), **bad)


def test_display_name_of_plain_names_is_unchanged():
    assert display_name("speech/a b-ü.wav") == "speech/a b-ü.wav"
