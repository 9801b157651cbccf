"""The emotion dimensions beside the label: files, batches, timelines, streams.

Fast: untrained tiny model folders with and without a regression head
(``dimension_weight``), exported in seconds; every path must give the
model's own ``dimensions`` output (one encoder pass), and a categorical
model must answer as before.
"""

import json

import numpy as np
import pytest
import soundfile as sf
import torch
from untrained_models import SR, export_untrained, predict_as_long_file

from speechbrain_lstm_ser.cli import main
from speechbrain_lstm_ser.dataio.audio import read_audio
from speechbrain_lstm_ser.dataio.manifest import DIMENSIONS
from speechbrain_lstm_ser.inference import (
    EmotionRecognizer,
    StreamingEmotionRecognizer,
)
from speechbrain_lstm_ser.processing.vad import EnergyVAD

ATOL = 1e-5


@pytest.fixture(scope="module")
def dimensional_folder(tmp_path_factory):
    return export_untrained(tmp_path_factory.mktemp("dim"), dimension_weight=1.0)


@pytest.fixture(scope="module")
def categorical_folder(tmp_path_factory):
    return export_untrained(tmp_path_factory.mktemp("cat"))


@pytest.fixture(scope="module")
def dimensional(dimensional_folder):
    return EmotionRecognizer.from_hparams(source=str(dimensional_folder), verify="off")


@pytest.fixture(scope="module")
def categorical(categorical_folder):
    return EmotionRecognizer.from_hparams(source=str(categorical_folder), verify="off")


@pytest.fixture(scope="module")
def voice(tmp_path_factory):
    """4 s of a gliding, modulated harmonic tone in light noise (voice-like)."""
    t = np.arange(4 * SR) / SR
    pitch = 140 + 40 * np.sin(2 * np.pi * 0.5 * t)
    phase = 2 * np.pi * np.cumsum(pitch) / SR
    wav = sum(np.sin(k * phase) / k for k in range(1, 6))
    wav *= 0.2 * (0.6 + 0.4 * np.sin(2 * np.pi * 3 * t))
    wav += 0.01 * np.random.default_rng(0).standard_normal(t.size)  # wideband
    path = tmp_path_factory.mktemp("audio") / "voice.wav"
    sf.write(path, wav.astype(np.float32), SR)
    return path


def _close(got: torch.Tensor, expected: torch.Tensor, atol=ATOL) -> None:
    assert got.shape == expected.shape, (got.shape, expected.shape)
    assert torch.allclose(got, expected, atol=atol, rtol=0), (got, expected)


def _expected(model, wav: torch.Tensor) -> torch.Tensor:
    """The model's own ``dimensions`` output for ``(batch, time)`` waveforms."""
    with torch.no_grad():
        return model.model.dimensions(*model.prepare_batch(wav))


def test_files_and_batches_give_the_models_dimensions(dimensional, voice):
    assert dimensional.dimension_names == DIMENSIONS
    wav = read_audio(voice, SR).unsqueeze(0)
    expected = _expected(dimensional, wav)
    assert expected.shape == (1, 3)
    assert bool(((expected >= 0) & (expected <= 1)).all())

    found = dimensional.predict_file(voice, gate=False)
    assert list(found.dimensions) == list(DIMENSIONS)
    got = torch.tensor(list(found.dimensions.values()))
    _close(got, expected[0])
    # the label and the probabilities are those of classify_file
    out_prob, _, _, label = dimensional.classify_file(voice, gate=False)
    assert found.label == label[0]
    assert found.probabilities == pytest.approx(
        dict(zip(dimensional.labels, out_prob.exp()[0].tolist(), strict=True)),
        abs=1e-6,
    )
    # a batch: each row its own
    batch = torch.cat([wav, 0.5 * wav.flip(1)])
    rows = _expected(dimensional, batch)
    found = dimensional.predict_batch(batch, gate=False)
    got = torch.tensor([list(p.dimensions.values()) for p in found])
    _close(got, rows)
    out_prob, dims = dimensional.outputs(batch)
    _close(dims, rows)
    _close(out_prob, dimensional.classify_batch(batch)[0], atol=1e-6)


def test_one_encoder_pass_gives_the_label_and_the_dimensions(dimensional, voice):
    calls = []
    hook = dimensional.model.encoder.register_forward_hook(lambda *_: calls.append(1))
    try:
        dimensional.predict_file(voice, gate=False)
    finally:
        hook.remove()
    assert len(calls) == 1


def test_the_tuple_keeps_its_four_members(dimensional, voice):
    assert len(dimensional.classify_file(voice, gate=False)) == 4
    assert len(dimensional.classify_batch(torch.randn(1, SR))) == 4


def test_timeline_windows_and_long_files(dimensional, voice):
    segments = dimensional.timeline(
        voice, window=2.0, hop=1.0, vad=EnergyVAD(), min_speech_ratio=0.0
    )
    assert [s.start for s in segments] == [0.0, 1.0, 2.0]
    for segment in segments:
        wav = read_audio(voice, SR, start=segment.start, stop=segment.end)
        expected = _expected(dimensional, wav.unsqueeze(0))[0]
        assert segment.dimensions.shape == (3,)
        _close(segment.dimensions, expected)
    # a file longer than max_duration: the mean over its windows
    found = predict_as_long_file(dimensional, voice)
    halves = [read_audio(voice, SR, start=s, stop=s + 2.0) for s in (0.0, 2.0)]
    expected = torch.cat([_expected(dimensional, w.unsqueeze(0)) for w in halves])
    got = torch.tensor(list(found.dimensions.values()))
    _close(got, expected.mean(0))


def test_a_categorical_model_answers_as_before(categorical, voice):
    assert categorical.dimension_names == ()
    found = categorical.predict_file(voice, gate=False)
    assert found.dimensions is None and found.label in categorical.labels
    segments = categorical.timeline(voice, vad=EnergyVAD(), min_speech_ratio=0.0)
    assert segments and all(s.dimensions is None for s in segments)
    assert categorical.outputs(torch.randn(1, SR))[1] is None
    with pytest.raises(ValueError, match="predicts classes only.*dimension_weight"):
        categorical.predictor.outputs(torch.randn(1, SR), dimensions=True)


@pytest.fixture(scope="module")
def streaming(tmp_path_factory):
    folder = export_untrained(
        tmp_path_factory.mktemp("stream"), "streaming_lstm.yaml", dimension_weight=1.0
    )
    return StreamingEmotionRecognizer.from_hparams(source=str(folder), verify="off")


def test_streaming_updates_carry_the_dimensions(streaming, voice):
    wav = read_audio(voice, SR)
    updates = list(streaming.classify_stream(wav.split(3000), hop=0.5, vad=False))
    assert updates and all(u.dimensions.shape == (3,) for u in updates)
    streamer = streaming.streamer
    _, whole = streamer.forward_frames(wav.unsqueeze(0), with_dimensions=True)
    # the whole recording's last frame is the model's dimensions output
    _close(whole[0, -1], _expected(streaming, wav.unsqueeze(0))[0])
    # each update is the frame it reports (unsmoothed)
    for update in updates:
        assert bool(((update.dimensions >= 0) & (update.dimensions <= 1)).all())
        frame = round((update.time * SR - streamer.lookahead) / streamer.hop)
        _close(whole[0, frame], update.dimensions)


def test_batch_runs_write_the_dimensions(dimensional, voice, tmp_path):
    from speechbrain_lstm_ser.serving.batch import BatchPredictor
    from speechbrain_lstm_ser.serving.results import ResultFile

    predictor = BatchPredictor(dimensional, batch_size=2, workers=0, gate=False)
    output = tmp_path / "out.csv"
    predictor.run([str(voice)], output=output)
    (row,) = list(ResultFile(output).rows())
    expected = _expected(dimensional, read_audio(voice, SR).unsqueeze(0))[0]
    got = torch.tensor([row["dimensions"][name] for name in DIMENSIONS])
    _close(got, expected, atol=1e-5)


def _cli(capsys, *argv) -> tuple[int, str, str]:
    status = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return status, out, err


def test_cli_predict_and_timeline_show_the_dimensions(
    dimensional_folder, dimensional, voice, tmp_path, capsys
):
    common = ["--model", dimensional_folder, "--no-speech-gate", "--quiet"]
    status, out, _ = _cli(capsys, "predict", *common, voice)
    assert status == 0
    row = json.loads(out)
    expected = _expected(dimensional, read_audio(voice, SR).unsqueeze(0))[0]
    got = torch.tensor([row["dimensions"][name] for name in DIMENSIONS])
    _close(got, expected)
    status, out, _ = _cli(capsys, "predict", *common, "--format", "table", voice)
    assert status == 0 and out.rstrip().split("\t")[-3].startswith("arousal=")
    plots = tmp_path / "plots"
    argv = ["timeline", *common, "--window", "2", "--hop", "2", "--plot", plots]
    status, out, _ = _cli(capsys, *argv, voice)
    answer = json.loads(out)
    assert status == 0 and len(answer["segments"]) == 2
    assert all(set(s["dimensions"]) == set(DIMENSIONS) for s in answer["segments"])
    assert answer["plot"] == str(plots / "voice_dimensions.png")
    assert (plots / "voice_dimensions.png").read_bytes()[:4] == b"\x89PNG"


def test_cli_of_a_categorical_model_is_unchanged(
    categorical_folder, voice, tmp_path, capsys
):
    common = ["--model", categorical_folder, "--no-speech-gate", "--quiet"]
    status, out, _ = _cli(capsys, "predict", *common, voice)
    assert status == 0 and "dimensions" not in json.loads(out)
    status, out, err = _cli(capsys, "timeline", *common, "--plot", tmp_path, voice)
    assert status == 2 and out == ""
    assert "error: --plot draws arousal and valence" in err


def test_the_live_stream_prints_the_dimensions(streaming, voice):
    import io

    from speechbrain_lstm_ser.inference.live import run_live

    pcm = (read_audio(voice, SR) * 32767).to(torch.int16).numpy().tobytes()
    out, err = io.StringIO(), io.StringIO()
    args = {"stdin": io.BytesIO(pcm), "out": out, "err": err, "vad": False}
    assert run_live(streaming, hop=1.0, fmt="jsonl", **args) == 0
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert len(lines) == 4 and err.getvalue() == ""
    for line in lines:
        assert list(line["dimensions"]) == list(DIMENSIONS)
        assert all(0 <= v <= 1 for v in line["dimensions"].values())
    args["stdin"] = io.BytesIO(pcm)
    assert run_live(streaming, hop=1.0, fmt="table", **args) == 0
    assert " A 0." in out.getvalue().splitlines()[-1]


def test_robustness_reports_each_dimensions_ccc_per_condition(
    dimensional, voice, tmp_path
):
    """``sb-lstm-ser robustness`` on a dimensional model: CCC per condition too."""
    from speechbrain_lstm_ser.evaluation.robustness import (
        dimension_predictor,
        evaluate_classifier,
    )

    wav, _ = sf.read(voice, dtype="float32")
    rows = ["ID,duration,wav,spk_id,gender,emo,text,arousal,valence,dominance"]
    for i in range(4):
        path = tmp_path / f"u{i}.wav"
        sf.write(path, wav[: SR * (i + 1) // 2] * (0.3 + 0.2 * i), SR)
        rows.append(f"u{i},1.0,{path},s{i % 2},female,happy,,0.{i + 2},0.5,0.{7 - i}")
    manifest = tmp_path / "test.csv"
    manifest.write_text("\n".join(rows) + "\n")

    summary = evaluate_classifier(dimensional, manifest)
    dims = summary["dimensions"]
    assert list(dims) == list(summary["conditions"])
    assert set(dims["0 dB"]["CCC"]) == set(DIMENSIONS)
    assert all(v == 0.0 for v in dims["0 dB"]["delta_CCC"].values() if v is not None)
    expected = [
        _expected(
            dimensional,
            torch.from_numpy(wav[: SR * (i + 1) // 2] * (0.3 + 0.2 * i))[None],
        )
        for i in range(4)
    ]
    got = torch.tensor(dims["0 dB"]["predictions"])
    _close(got, torch.cat(expected))
    assert isinstance(summary["dimension_failures"], list)

    by_speaker = dimension_predictor(dimensional, ["s0", "s1", "s0", "s1"])
    assert len(by_speaker([torch.from_numpy(wav[:SR])] * 4)) == 4


def test_robustness_of_a_categorical_model_has_no_dimensions(categorical):
    from speechbrain_lstm_ser.evaluation.robustness import dimension_predictor

    with pytest.raises(ValueError, match="no regressor"):
        dimension_predictor(categorical)
