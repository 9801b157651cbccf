"""Measures speech detection: Silero VAD against the energy threshold.

Builds long recordings from the clips of a corpus (the embedded emotion
corpus by default): clips separated by pauses of known length, with pink
noise added at known signal-to-noise ratios. The true speech boundaries are
those of the clean clips (first and last 10 ms frame above -50 dBFS). Each
VAD's segments are compared with them: a detected boundary (a segment start
or end) is right when a true boundary of the same kind is within
``--tolerance`` seconds, each true boundary matched at most once; precision
= right detected / detected, recall = matched true / true. Also the share of
10 ms frames classified right (speech or not).

``python -m bench.vad --help`` lists the options.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import argparse
import csv
import random
import time
from pathlib import Path

import torch
from speechbrain.augment.time_domain import pink_noise_like

from speechbrain_lstm_ser.dataio.audio import read_audio
from speechbrain_lstm_ser.processing.vad import EnergyVAD, SileroVAD

RATE = 16000


def speech_bounds(wav: torch.Tensor, floor_db: float = -50.0) -> tuple[int, int]:
    """First and last sample of the 10 ms frames above ``floor_db`` dBFS."""
    frame = RATE // 100
    frames = wav[: wav.numel() // frame * frame].view(-1, frame)
    loud = 10 * torch.log10(frames.pow(2).mean(dim=1) + 1e-12) > floor_db
    index = torch.nonzero(loud).flatten()
    if index.numel() == 0:
        return 0, 0
    return int(index[0]) * frame, (int(index[-1]) + 1) * frame


def build_recording(
    paths: list[str], rng: random.Random, pause: tuple[float, float]
) -> tuple[torch.Tensor, list[tuple[float, float]]]:
    """Clips joined by random pauses; returns the signal and true segments (s)."""
    pieces, truth, offset = [], [], 0
    for path in paths:
        gap = torch.zeros(int(rng.uniform(*pause) * RATE))
        wav = read_audio(path, RATE)
        start, end = speech_bounds(wav)
        pieces += [gap, wav]
        offset += gap.numel()
        truth.append(((offset + start) / RATE, (offset + end) / RATE))
        offset += wav.numel()
    pieces.append(torch.zeros(int(pause[1] * RATE)))
    return torch.cat(pieces), truth


def add_noise(wav: torch.Tensor, snr_db: float | None, seed: int) -> torch.Tensor:
    """``wav`` plus pink noise at ``snr_db`` (speech power over noise power)."""
    if snr_db is None:
        return wav
    torch.manual_seed(seed)
    noise = pink_noise_like(wav.unsqueeze(0)).squeeze(0)
    speech = wav[wav.abs() > 1e-4]
    power = speech.pow(2).mean() / (10 ** (snr_db / 10))
    return wav + noise * torch.sqrt(power / noise.pow(2).mean())


def boundary_scores(
    found: list[tuple[float, float]],
    truth: list[tuple[float, float]],
    tolerance: float,
) -> tuple[int, int, int]:
    """``(right detected, detected, true)`` boundaries, starts and ends apart."""
    right = 0
    for side in (0, 1):
        free = [seg[side] for seg in truth]
        for seg in found:
            near = [t for t in free if abs(t - seg[side]) <= tolerance]
            if near:
                free.remove(min(near, key=lambda t: abs(t - seg[side])))
                right += 1
    return right, 2 * len(found), 2 * len(truth)


def frame_accuracy(
    found: list[tuple[float, float]], truth: list[tuple[float, float]], seconds: float
) -> float:
    """Share of 10 ms frames where the detection agrees with the truth."""
    count = int(seconds * 100)

    def mask(segments):
        out = torch.zeros(count, dtype=torch.bool)
        for start, end in segments:
            out[int(start * 100) : int(end * 100)] = True
        return out

    return float((mask(found) == mask(truth)).float().mean())


def main(argv: list[str] | None = None) -> list[dict]:
    """Runs the comparison and prints a markdown table; returns its rows."""
    parser = argparse.ArgumentParser(prog="python -m bench.vad", description=__doc__)
    parser.add_argument("--corpus", default="data/embedded_emotion/corpus.csv")
    parser.add_argument("--clips", type=int, default=40, help="clips per recording")
    parser.add_argument("--snrs", default="clean,20,10,5,0", help="dB, or clean")
    parser.add_argument("--tolerance", type=float, default=0.2, help="seconds")
    parser.add_argument("--seed", type=int, default=1986)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    root = Path(args.corpus).parent
    with open(args.corpus, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    rng = random.Random(args.seed)
    chosen = rng.sample(rows, min(args.clips, len(rows)))
    paths = [row["wav"].replace("$data_root", str(root)) for row in chosen]
    clean, truth = build_recording(paths, rng, pause=(0.5, 1.5))
    seconds = clean.numel() / RATE
    vads = {
        "silero": SileroVAD(sample_rate=RATE),
        "energy": EnergyVAD(sample_rate=RATE),
    }
    print(
        f"{len(paths)} clips, {seconds:.0f} s, pauses 0.5-1.5 s, pink noise; "
        f"boundary tolerance {args.tolerance} s"
    )
    print(
        "| SNR | VAD | boundary precision | boundary recall | frame accuracy "
        "| compute (RTF) |"
    )
    print("|---|---|---|---|---|---|")
    results = []
    for snr in args.snrs.split(","):
        snr_db = None if snr == "clean" else float(snr)
        wav = add_noise(clean, snr_db, args.seed)
        for name, vad in vads.items():
            begin = time.perf_counter()
            found = vad.frames_to_segments(vad.speech_frames(wav))
            rtf = (time.perf_counter() - begin) / seconds
            right, detected, true = boundary_scores(found, truth, args.tolerance)
            row = {
                "snr": snr,
                "vad": name,
                "precision": right / max(detected, 1),
                "recall": right / max(true, 1),
                "frame_accuracy": frame_accuracy(found, truth, seconds),
                "rtf": rtf,
            }
            results.append(row)
            print(
                f"| {snr} | {name} | {row['precision']:.3f} | {row['recall']:.3f} "
                f"| {row['frame_accuracy']:.3f} | {rtf:.4f} |"
            )
    return results


if __name__ == "__main__":
    main()
