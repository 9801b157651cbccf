"""Pitch trackers compared: accuracy and speed of the prosody features' F0.

Measures :class:`~speechbrain_lstm_ser.nnet.features.ProsodyFeatures` (a
batched torch port of librosa's YIN) against ``torchaudio``'s
``detect_pitch_frequency`` and, as references, librosa's ``pyin`` and
pyworld's Harvest (WORLD), on

- synthetic harmonic signals of known F0 (a glide, 8 harmonics with 1/k
  amplitudes, white noise at several SNRs) followed by noise alone: gross
  pitch error (GPE: share of the frames voiced in truth and estimate whose F0
  is more than 20 % off) and voicing decision error (VDE: share of all frames
  whose voiced / unvoiced decision differs);
- embedded-corpus speech (``data/embedded_emotion``), against pyworld's
  Harvest and against librosa's pyin: GPE, VDE, and the median absolute
  error in cents on frames both call voiced;
- speed: a batch of 16 utterances of 4 s on one thread, next to the
  ``Fbank`` and to a training step of the emotion recipe's model (forward,
  backward, AdamW) with either feature extractor.

::

    OMP_NUM_THREADS=1 python -m bench.prosody --utterances 24
    OMP_NUM_THREADS=1 python -m bench.prosody --speed_only

librosa and pyworld are not dependencies of the package: they are imported
here only: the accuracy needs both (the command says so when one is missing),
``--speed_only`` leaves out the timing of a missing one and lists it.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import types
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from speechbrain_lstm_ser.dataio.audio import read_audio
from speechbrain_lstm_ser.dataio.manifest import read_manifest
from speechbrain_lstm_ser.nnet.features import FbankProsody, ProsodyFeatures

__all__ = ["glide", "gross_pitch_error", "main", "voicing_error"]

SAMPLE_RATE = 16000
HOP_MS = 20


def glide(
    f0_start: float,
    f0_end: float,
    seconds: float,
    snr_db: float | None,
    seed: int = 0,
    sample_rate: int = SAMPLE_RATE,
) -> tuple[torch.Tensor, np.ndarray]:
    """A harmonic glide then as long of noise alone, and its true F0 per frame.

    Arguments
    ---------
    f0_start, f0_end : float
        F0 at the start and end of the glide (Hz, exponential glide).
    seconds : float
        Duration of the glide (the noise lasts as long).
    snr_db : float, optional
        White noise level relative to the harmonic signal (None: no noise;
        the second half is then silence).
    seed : int
        Seed of the noise.
    sample_rate : int
        Sampling rate (Hz).

    Returns
    -------
    wav : torch.Tensor
        ``(time,)`` waveform.
    f0 : numpy.ndarray
        ``(1 + time // hop,)`` true F0 at the frame centres, 0 where unvoiced.

    Example
    -------
    >>> wav, f0 = glide(100, 200, 1.0, 20)
    >>> wav.shape, f0.shape, float(f0[0]), float(f0[-1])
    (torch.Size([32000]), (101,), 100.0, 0.0)
    """
    n = int(seconds * sample_rate)
    t = np.arange(n) / sample_rate
    f0 = f0_start * (f0_end / f0_start) ** (t / seconds)
    phase = 2 * np.pi * np.cumsum(f0) / sample_rate
    voiced = sum(np.sin(k * phase) / k for k in range(1, 9) if k * f0.max() < 7000)
    voiced = 0.1 * voiced / np.sqrt(np.mean(voiced**2))
    rng = np.random.default_rng(seed)
    noise_level = 0.0 if snr_db is None else 0.1 * 10 ** (-snr_db / 20)
    wav = np.concatenate([voiced, np.zeros(n)]) + noise_level * rng.standard_normal(
        2 * n
    )
    hop = sample_rate * HOP_MS // 1000
    centres = np.arange(1 + 2 * n // hop) * hop
    # Frames whose window (32 ms) lies inside the glide are voiced.
    inside = centres + 256 < n
    truth = np.where(inside, np.interp(centres, np.arange(n), f0), 0.0)
    return torch.tensor(wav, dtype=torch.float32), truth


def gross_pitch_error(estimate: np.ndarray, reference: np.ndarray) -> float:
    """Share of the frames voiced in both (F0 > 0) that are more than 20 % off.

    Arguments
    ---------
    estimate, reference : numpy.ndarray
        F0 per frame (Hz), 0 where unvoiced.

    Returns
    -------
    float
        In ``[0, 1]`` (nan when no frame is voiced in both).

    Example
    -------
    >>> gross_pitch_error(np.array([100.0, 230, 0]), np.array([100.0, 115, 120]))
    0.5
    """
    both = (estimate > 0) & (reference > 0)
    if not both.any():
        return float("nan")
    ratio = estimate[both] / reference[both]
    return float(np.mean(np.abs(ratio - 1) > 0.2))


def voicing_error(estimate: np.ndarray, reference: np.ndarray) -> float:
    """Share of the frames whose voiced / unvoiced decision differs.

    Arguments
    ---------
    estimate, reference : numpy.ndarray
        F0 per frame (Hz), 0 where unvoiced.

    Returns
    -------
    float
        In ``[0, 1]``.

    Example
    -------
    >>> voicing_error(np.array([100.0, 0, 0, 90]), np.array([100.0, 110, 0, 0]))
    0.5
    """
    return float(np.mean((estimate > 0) != (reference > 0)))


def _cents(estimate: np.ndarray, reference: np.ndarray) -> float:
    both = (estimate > 0) & (reference > 0)
    if not both.any():
        return float("nan")
    return float(np.median(np.abs(1200 * np.log2(estimate[both] / reference[both]))))


def _ours(prosody: ProsodyFeatures, wav: torch.Tensor) -> np.ndarray:
    with torch.no_grad():
        feats = prosody(wav.unsqueeze(0))[0]
    f0 = feats[:, 0].exp().numpy()
    return np.where(feats[:, 1].numpy() >= 0.5, f0, 0.0)


def _torchaudio(wav: torch.Tensor, n_frames: int) -> np.ndarray:
    """The track of torchaudio (10 ms frames, no voicing) at our frame centres."""
    from torchaudio.functional import detect_pitch_frequency

    f0 = detect_pitch_frequency(wav, SAMPLE_RATE, freq_low=50, freq_high=600).numpy()
    index = np.clip(np.arange(n_frames) * HOP_MS // 10, 0, len(f0) - 1)
    return f0[index]


def _pyworld():
    if "pkg_resources" not in sys.modules:  # pyworld 0.3 imports it for nothing
        stub = types.ModuleType("pkg_resources")
        stub.get_distribution = lambda name: types.SimpleNamespace(version="?")
        sys.modules["pkg_resources"] = stub
    import pyworld

    return pyworld


def _harvest(wav: torch.Tensor) -> np.ndarray:
    pw = _pyworld()
    x = wav.double().numpy()
    f0, _ = pw.harvest(x, SAMPLE_RATE, f0_floor=50, f0_ceil=600, frame_period=HOP_MS)
    return f0


def _pyin(wav: torch.Tensor) -> np.ndarray:
    import librosa

    f0, voiced, _ = librosa.pyin(
        wav.numpy(),
        fmin=50,
        fmax=600,
        sr=SAMPLE_RATE,
        frame_length=1024,
        hop_length=SAMPLE_RATE * HOP_MS // 1000,
        center=True,
    )
    return np.where(voiced, np.nan_to_num(f0), 0.0)


def _fit(track: np.ndarray, n: int) -> np.ndarray:
    return np.pad(track[:n], (0, max(0, n - len(track))))


def _trackers(prosody: ProsodyFeatures) -> dict:
    return {
        "yin_torch (ours)": lambda w, n: _ours(prosody, w),
        "torchaudio detect_pitch_frequency": _torchaudio,
        "pyworld harvest": lambda w, n: _harvest(w),
        "librosa pyin": lambda w, n: _pyin(w),
    }


def measure_synthetic(prosody: ProsodyFeatures) -> dict:
    """GPE and VDE of each tracker on glides against the true F0."""
    cases = [
        (f0a, f0b, snr)
        for f0a, f0b in ((80, 160), (150, 400))
        for snr in (None, 20, 10, 5)
    ]
    results = {}
    for name, track in _trackers(prosody).items():
        rows = []
        for i, (f0a, f0b, snr) in enumerate(cases):
            wav, truth = glide(f0a, f0b, 1.5, snr, seed=i)
            est = _fit(track(wav, len(truth)), len(truth))
            rows.append((gross_pitch_error(est, truth), voicing_error(est, truth)))
        gpe, vde = np.nanmean(np.array(rows), axis=0)
        results[name] = {"gpe": round(float(gpe), 4), "vde": round(float(vde), 4)}
    return results


def measure_corpus(prosody: ProsodyFeatures, data_folder: Path, count: int) -> dict:
    """GPE, VDE and cents of each tracker against Harvest and pyin on speech."""
    rows = read_manifest(data_folder / "corpus.csv", required=("ID", "wav"))
    rng = np.random.default_rng(0)
    picked = [rows[i] for i in sorted(rng.choice(len(rows), count, replace=False))]
    wavs = [
        read_audio(r["wav"].replace("$data_root", str(data_folder)), SAMPLE_RATE)
        for r in picked
    ]
    tracks = {name: [] for name in _trackers(prosody)}
    for wav in wavs:
        n = 1 + len(wav) // (SAMPLE_RATE * HOP_MS // 1000)
        for name, track in _trackers(prosody).items():
            tracks[name].append(_fit(track(wav, n), n))
    results = {}
    for reference in ("pyworld harvest", "librosa pyin"):
        ref = np.concatenate(tracks[reference])
        for name, per_utt in tracks.items():
            if name == reference:
                continue
            est = np.concatenate(per_utt)
            results[f"{name} vs {reference}"] = {
                "gpe": round(gross_pitch_error(est, ref), 4),
                "vde": round(voicing_error(est, ref), 4),
                "median_abs_cents": round(_cents(est, ref), 1),
            }
    return results


def _best_time(fn, repeats: int) -> float:
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def _training_step(features):
    """Forward, backward and AdamW step of the emotion recipe's model."""
    from speechbrain.processing.features import InputNormalization

    from speechbrain_lstm_ser.nnet.encoders import LSTMEncoder
    from speechbrain_lstm_ser.nnet.heads import ClassificationHead
    from speechbrain_lstm_ser.nnet.models import UtteranceClassifierModel
    from speechbrain_lstm_ser.nnet.pooling import AttentiveStatisticsPooling

    torch.manual_seed(0)
    size = features(torch.zeros(1, SAMPLE_RATE)).shape[-1]
    model = UtteranceClassifierModel(
        features,
        InputNormalization(),
        LSTMEncoder(size, 128, num_layers=2, bidirectional=True, dropout=0.2),
        AttentiveStatisticsPooling(256, 64),
        ClassificationHead(512, 4, 128),
    ).train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)

    def step(wavs):
        lens = torch.ones(len(wavs))
        loss = model(wavs, lens, epoch=1).logsumexp(-1).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    return step


def measure_speed(
    prosody: ProsodyFeatures, repeats: int, missing: Sequence[str] = ()
) -> dict:
    """Milliseconds for a batch of 16 utterances of 4 s (one utterance for refs).

    The reference trackers whose package is in ``missing`` are left out.
    """
    from speechbrain.lobes.features import Fbank

    wavs = 0.1 * torch.randn(
        16, 4 * SAMPLE_RATE, generator=torch.Generator().manual_seed(0)
    )
    # A training batch's padding: lengths spread evenly over 2-4 s, so that
    # a third of the batch is padding (``bench.profile`` counts 35 %).
    lens = torch.linspace(0.5, 1.0, len(wavs))
    padded = wavs * (torch.arange(wavs.shape[1]) < lens.unsqueeze(1) * wavs.shape[1])
    fbank = Fbank(n_mels=80, hop_length=20, win_length=32, n_fft=512)
    fbank_prosody = FbankProsody()
    with torch.no_grad():
        ms = {
            "fbank (batch 16 x 4 s)": _best_time(lambda: fbank(wavs), repeats),
            "yin_torch (batch 16 x 4 s)": _best_time(lambda: prosody(wavs), repeats),
            "yin_torch (batch 16 x 2-4 s, padded)": _best_time(
                lambda: prosody(padded, lens), repeats
            ),
            "fbank+prosody (batch 16 x 2-4 s, padded)": _best_time(
                lambda: fbank_prosody(padded, lens), repeats
            ),
        }
        ms["torchaudio detect_pitch_frequency (batch 16 x 4 s)"] = _best_time(
            lambda: _torchaudio(wavs, 1), 1
        )
    for name, features in (("fbank", fbank), ("fbank+prosody", FbankProsody())):
        step = _training_step(features)
        ms[f"training step with {name} (batch 16 x 4 s)"] = _best_time(
            lambda step=step: step(wavs), repeats
        )
    for name, module, track in (
        ("pyworld harvest", "pyworld", _harvest),
        ("librosa pyin", "librosa", _pyin),
    ):
        if module not in missing:
            ms[f"{name} (1 x 4 s)"] = _best_time(lambda t=track: t(wavs[0]), 1)
    return {k: round(1000 * v, 1) for k, v in ms.items()}


def _missing_references() -> list[str]:
    """The reference trackers' packages that are not installed."""
    missing = []
    try:
        _pyworld()
    except ImportError:
        missing.append("pyworld")
    try:
        import librosa  # noqa: F401
    except ImportError:
        missing.append("librosa")
    return missing


def main(argv=None) -> dict:
    """Runs the measurements and prints them as JSON.

    Arguments
    ---------
    argv : list of str, optional
        Command-line arguments (``sys.argv`` if omitted).

    Returns
    -------
    dict
        ``synthetic``, ``corpus`` and ``speed_ms``.
    """
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--data_folder", type=Path, default=Path("data/embedded_emotion")
    )
    parser.add_argument("--utterances", type=int, default=40)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument(
        "--speed_only", action="store_true", help="skip the accuracy measurements"
    )
    args = parser.parse_args(argv)
    torch.manual_seed(0)
    prosody = ProsodyFeatures(sample_rate=SAMPLE_RATE, hop_length=HOP_MS)
    results = {}
    missing = _missing_references()
    if missing and not args.speed_only:
        sys.exit(
            f"error: the accuracy is measured against {' and '.join(missing)}, "
            f"not installed: pip install {' '.join(missing)} (or --speed_only)"
        )
    if missing:
        results["not_installed"] = missing
    if not args.speed_only:
        results["synthetic"] = measure_synthetic(prosody)
        results["corpus"] = measure_corpus(prosody, args.data_folder, args.utterances)
    results["speed_ms"] = measure_speed(prosody, args.repeats, missing)
    results["threads"] = torch.get_num_threads()
    text = json.dumps(results, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")
    return results


if __name__ == "__main__":
    main()
