import os

import numpy as np
import pytest
import soundfile as sf
import torch

from speechbrain_lstm_ser.dataio.audio import AudioError, read_audio, write_audio


def _tone(sr, seconds=0.5, channels=1):
    t = np.arange(int(sr * seconds)) / sr
    wav = 0.5 * np.sin(2 * np.pi * 300 * t)
    return np.stack([wav] * channels, axis=1) if channels > 1 else wav


@pytest.mark.parametrize("sr", [8000, 16000, 22050, 44100, 48000])
def test_resampled_to_target_rate(tmp_path, sr):
    path = tmp_path / "a.wav"
    sf.write(path, _tone(sr), sr)
    wav = read_audio(path, sample_rate=16000)
    assert wav.dtype == torch.float32 and wav.dim() == 1
    assert abs(len(wav) - 8000) <= 1
    # a 300 Hz tone stays a 300 Hz tone
    spectrum = np.abs(np.fft.rfft(wav.numpy()))
    assert abs(np.argmax(spectrum) * 16000 / len(wav) - 300) < 5


def test_multichannel_is_mixed_down(tmp_path):
    path = tmp_path / "six.wav"
    data = np.zeros((1600, 6))
    data[:, 0] = 0.6
    sf.write(path, data, 16000, subtype="FLOAT")
    wav = read_audio(path)
    assert wav.shape == (1600,)
    # Silent channels are left out, not averaged in (which would lower the level).
    assert torch.allclose(wav, torch.full((1600,), 0.6))
    data[:, 1] = 0.2  # two channels with signal: averaged
    sf.write(path, data, 16000, subtype="FLOAT")
    assert torch.allclose(read_audio(path), torch.full((1600,), 0.4))


def test_formats_and_subtypes(tmp_path):
    for name, subtype in [
        ("a.flac", "PCM_24"),
        ("b.wav", "PCM_24"),
        ("c.wav", "FLOAT"),
    ]:
        sf.write(tmp_path / name, _tone(16000), 16000, subtype=subtype)
        assert read_audio(tmp_path / name).abs().max() == pytest.approx(0.5, abs=1e-3)


def test_segment(tmp_path):
    path = tmp_path / "a.wav"
    sf.write(path, np.arange(16000) / 16000, 16000, subtype="FLOAT")
    part = read_audio(path, start=0.25, stop=0.5)
    assert len(part) == 4000
    assert part[0].item() == pytest.approx(0.25)


@pytest.mark.parametrize(
    "make, reason",
    [
        (lambda p: None, "file not found"),
        (lambda p: p.write_bytes(b""), "empty"),
        (
            lambda p: p.write_text("this is not audio at all " * 20),
            "not a readable audio",
        ),
        (lambda p: sf.write(p, np.zeros(0), 16000), "no samples"),
        (
            lambda p: sf.write(p, np.array([0.1, np.nan, 0.2]), 16000, subtype="FLOAT"),
            "NaN",
        ),
    ],
)
def test_bad_files_raise_one_clear_error(tmp_path, make, reason):
    path = tmp_path / "bad.wav"
    make(path)
    with pytest.raises(AudioError) as info:
        read_audio(path)
    message = str(info.value)
    assert str(path) in message and reason in message
    assert "\n" not in message


def test_directory_is_not_audio(tmp_path):
    with pytest.raises(AudioError, match="directory"):
        read_audio(tmp_path)


def test_write_is_atomic_and_round_trips(tmp_path):
    path = tmp_path / "out.wav"
    write_audio(path, torch.tensor([0.0, 0.5, -0.5]), 16000)
    assert sorted(os.listdir(tmp_path)) == ["out.wav"]
    assert read_audio(path).tolist() == pytest.approx([0.0, 0.5, -0.5], abs=1e-4)
