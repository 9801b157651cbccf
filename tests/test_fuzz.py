"""Property-based checks: no input of the command line or the audio reader
gives a traceback.

Hypothesis draws the inputs (derandomized: the same examples on every run,
a bounded number of them); no model is trained or loaded beyond a missing
folder's error.
"""

import contextlib
import io
import os
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from speechbrain_lstm_ser.cli import build_parser, display_name, main
from speechbrain_lstm_ser.dataio.audio import (
    AudioError,
    audio_info,
    read_audio,
    wav_declared_frames,
)
from speechbrain_lstm_ser.inference.checks import check_waveforms

FUZZ = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)

MISSING = "/nonexistent/sb-lstm-ser-fuzz"
VERBS = ["predict", "timeline", "stream", "report", "transcribe", "analyze"]
OPTIONS = [
    "--model",
    "--asr-model",
    "--emotion-model",
    "--window",
    "--hop",
    "--chunk",
    "--rate",
    "--smoothing",
    "--labels",
    "--speakers",
    "--format",
    "--verify",
    "--input",
    "--adapt",
    "--no-vad",
    "--no-speech-gate",
    "--quiet",
    "--markdown",
]
VALUES = [
    MISSING,
    MISSING + ".wav",
    MISSING + ".csv",
    "0",
    "-1",
    "1.5",
    "nan",
    "inf",
    "-inf",
    "1e309",
    "",
    " ",
    "happy,sad",
    ",,",
    "table",
    "jsonl",
    "stdin",
    "\udcff",
    "a\nb",
    "--",
    "-",
]


@FUZZ
@given(
    verb=st.sampled_from(VERBS),
    tokens=st.lists(st.sampled_from(OPTIONS + VALUES), max_size=8),
)
def test_the_command_line_never_gives_a_traceback(verb, tokens):
    argv = [verb, *tokens]
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = main(argv)
        except SystemExit as exit_:  # argparse: usage and one error line
            status = exit_.code
    assert status in (0, 1, 2), (argv, status, err.getvalue())
    assert "Traceback" not in err.getvalue(), (argv, err.getvalue())
    if status:
        errors = [line for line in err.getvalue().splitlines() if "error:" in line]
        assert errors, (argv, err.getvalue())


@FUZZ
@given(
    number=st.one_of(
        st.floats(allow_nan=True, allow_infinity=True).map(repr),
        st.integers(-(10**20), 10**20).map(str),
        st.text(max_size=6),
    ),
    option=st.sampled_from(
        [
            ("timeline", "--window"),
            ("timeline", "--hop"),
            ("stream", "--rate"),
            ("stream", "--chunk"),
            ("stream", "--hop"),
            ("stream", "--smoothing"),
        ]
    ),
)
def test_numeric_options_are_checked_when_parsed(number, option):
    verb, flag = option
    argv = [verb, "--model", MISSING, f"{flag}={number}"]
    argv += ["a.wav"] if verb == "timeline" else []
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        try:
            args = build_parser().parse_args(argv)
        except SystemExit as exit_:
            assert exit_.code == 2 and f"argument {flag}" in err.getvalue()
            return
    value = getattr(args, flag[2:])
    assert np.isfinite(value) and (value > 0 or (flag == "--smoothing" and value == 0))


@FUZZ
@given(st.binary(min_size=1, max_size=200))
def test_display_names_are_one_line_and_map_back(raw):
    raw = raw.replace(b"/", b"_").replace(b"\0", b"_")
    shown = display_name(Path(os.fsdecode(raw)))
    assert shown.isprintable() and "\n" not in shown
    import codecs

    assert codecs.escape_decode(shown.encode("utf-8"))[0] == raw


def _wav_bytes() -> bytes:
    buffer = io.BytesIO()
    wav = 0.1 * np.sin(np.arange(800) / 3.0)
    sf.write(buffer, wav, 16000, format="WAV", subtype="PCM_16")
    return buffer.getvalue()


WAV = _wav_bytes()


@FUZZ
@given(
    head=st.sampled_from([b"", WAV[:12], WAV[:44], WAV[:100], WAV]),
    noise=st.binary(max_size=300),
    flips=st.lists(st.tuples(st.integers(0, len(WAV) - 1), st.integers(0, 255))),
    start=st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True)),
    stop=st.one_of(st.none(), st.floats(-1, 10)),
    rate=st.sampled_from([16000, 8000, 0, -16000]),
)
def test_the_audio_reader_raises_only_one_line_errors(
    head, noise, flips, start, stop, rate
):
    data = bytearray(head + noise)
    for where, value in flips:
        if where < len(data):
            data[where] = value
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.wav"
        path.write_bytes(bytes(data))
        wav_declared_frames(path)  # never raises
        for call in (
            lambda: audio_info(path),
            lambda: read_audio(path, rate, start=start, stop=stop),
        ):
            try:
                result = call()
            except ValueError as err:  # AudioError, or a wrong argument
                assert "\n" not in str(err)
                if isinstance(err, AudioError):
                    assert str(path) in str(err)
                continue
            if isinstance(result, torch.Tensor):
                assert result.dim() == 1 and torch.isfinite(result).all()


@FUZZ
@given(
    shape=st.lists(st.integers(0, 5), min_size=0, max_size=3),
    fill=st.sampled_from([0.0, 0.5, float("nan"), float("inf"), 1e-9]),
    lens=st.one_of(
        st.none(), st.lists(st.floats(allow_nan=True, allow_infinity=True), max_size=4)
    ),
)
def test_the_waveform_check_raises_only_one_line_errors(shape, fill, lens):
    wavs = torch.full(
        [n * 500 if i == len(shape) - 1 else n for i, n in enumerate(shape)], fill
    )
    lens = None if lens is None else torch.tensor(lens)
    try:
        out, out_lens = check_waveforms(wavs, lens, 16000, 0.1)
    except ValueError as err:
        assert "\n" not in str(err)
        return
    assert out.dim() == 2 and torch.isfinite(out).all()
    assert ((out_lens > 0) & (out_lens <= 1)).all()
