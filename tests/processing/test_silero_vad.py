"""Silero VAD: finds speech in noise, streams chunk by chunk, falls back cleanly."""

import csv
import logging
import sys

import pytest
import torch
from speechbrain.augment.time_domain import pink_noise_like

from speechbrain_lstm_ser.dataio.audio import read_audio
from speechbrain_lstm_ser.processing.vad import EnergyVAD, SileroVAD, default_vad

RATE = 16000


@pytest.fixture(scope="module")
def speech_in_noise(tiny_corpus):
    """One clip between 1 s pauses, pink noise at 10 dB SNR; the speech bounds."""
    folder, _ = tiny_corpus
    with open(folder / "corpus.csv", newline="", encoding="utf-8") as handle:
        row = next(csv.DictReader(handle))
    clip = read_audio(row["wav"].replace("$data_root", str(folder)), RATE)
    loud = torch.nonzero(clip.abs() > 1e-3).flatten()
    pause = torch.zeros(RATE)
    wav = torch.cat([pause, clip, pause])
    torch.manual_seed(0)
    noise = pink_noise_like(wav.unsqueeze(0))[0]
    speech_power = clip[loud[0] : loud[-1]].pow(2).mean()
    noise *= torch.sqrt(speech_power / 10 / noise.pow(2).mean())
    bounds = ((RATE + int(loud[0])) / RATE, (RATE + int(loud[-1])) / RATE)
    return wav + noise, bounds


def test_silero_finds_the_speech_in_noise(speech_in_noise):
    wav, (start, end) = speech_in_noise
    vad = SileroVAD()
    segments = vad.frames_to_segments(vad.speech_frames(wav))
    assert len(segments) >= 1
    assert abs(segments[0][0] - start) < 0.3
    assert abs(segments[-1][1] - end) < 0.3
    assert vad.speech_ratio(torch.zeros(RATE)) == 0.0


def test_streaming_steps_give_the_whole_signal_probabilities(speech_in_noise):
    wav, _ = speech_in_noise
    vad = SileroVAD()
    whole = vad.speech_probabilities(wav)
    state, parts = vad.init_state(), []
    for chunk in wav.split(1234):
        probs, state = vad.step(chunk, state)
        parts.append(probs)
    streamed = torch.cat(parts)
    # the same windows, the same model state: the same probabilities
    assert streamed.numel() == wav.numel() // 512
    assert torch.allclose(streamed, whole[: streamed.numel()], atol=1e-5)


def test_other_sample_rates_are_resampled_for_the_model(speech_in_noise):
    wav, (start, _) = speech_in_noise
    import torchaudio

    wav22 = torchaudio.functional.resample(wav, RATE, 22050)
    vad = SileroVAD(sample_rate=22050)
    segments = vad.frames_to_segments(vad.speech_frames(wav22))
    assert segments and abs(segments[0][0] - start) < 0.3


def test_default_is_silero_and_falls_back_to_energy(monkeypatch, caplog):
    assert isinstance(default_vad(RATE), SileroVAD)
    monkeypatch.setitem(sys.modules, "silero_vad", None)  # not installed
    with caplog.at_level(logging.WARNING):
        vad = default_vad(RATE, max_segment=5.0)
    assert type(vad) is EnergyVAD and vad.max_segment == 5.0
    assert "pip install silero-vad" in caplog.text
    with pytest.raises(ImportError, match="silero-vad"):
        SileroVAD().speech_frames(torch.zeros(RATE))


def test_segment_options_are_energy_vads_and_others_are_refused():
    vad = SileroVAD(min_silence=0.5)
    assert vad.min_silence == 0.5 and vad.max_segment == EnergyVAD().max_segment
    with pytest.raises(TypeError, match="unknown option 'threshold_db'"):
        SileroVAD(threshold_db=-30.0)
