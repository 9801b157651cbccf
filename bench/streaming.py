"""Measures live emotion recognition: compute per chunk, latency, reaction time.

For a streaming model (an exported folder of ``hparams/streaming_lstm.yaml``)
and chunks of 100, 200 and 500 ms, on one thread:

- compute time per chunk (p50 / p99; CPU time of the thread, so that other
  processes on a shared machine do not count) of the model (features, LSTM, pooling,
  head: ``StreamingEmotionRecognizer.classify_chunk`` without VAD), and of
  the Silero VAD on the same chunk;
- the real-time factor (model compute / audio duration);
- the algorithmic latency: the look-ahead of the features plus one frame hop
  (what the model waits for before it can emit a frame), and with the
  chunk's own buffering;
- the reaction time: test utterances of the corpus joined into one stream,
  each emotion segment following one of another emotion; for each segment,
  the time from its start to the first prediction with its true label (and
  the share of segments where that happens before the segment ends).

``python -m bench.streaming --help`` lists the options.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import argparse
import csv
import random
import statistics
import time
from pathlib import Path

import torch

from bench.options import add_trusted_key_option
from speechbrain_lstm_ser.dataio.audio import read_audio
from speechbrain_lstm_ser.inference.streaming import StreamingEmotionRecognizer
from speechbrain_lstm_ser.processing.vad import SileroVAD


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def chunk_costs(
    model: StreamingEmotionRecognizer, wav: torch.Tensor, chunk: int
) -> tuple[list[float], list[float]]:
    """Seconds of compute per chunk: the model's, and the VAD's."""
    context = model.make_streaming_context(hop=chunk / model.sample_rate, vad=False)
    vad = SileroVAD(sample_rate=model.sample_rate)
    vad_state = vad.init_state()
    model_costs, vad_costs = [], []
    for piece in wav.split(chunk):
        if piece.numel() < chunk:
            break
        begin = time.thread_time()
        model.classify_chunk(context, piece)
        model_costs.append(time.thread_time() - begin)
        begin = time.thread_time()
        _, vad_state = vad.step(piece, vad_state)
        vad_costs.append(time.thread_time() - begin)
    return model_costs, vad_costs


def emotion_stream(
    manifest: Path, data_root: Path, count: int, seed: int, rate: int
) -> tuple[torch.Tensor, list[tuple[float, float, str]]]:
    """Test utterances in a stream, no two neighbours of the same emotion."""
    with open(manifest, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    rng = random.Random(seed)
    rng.shuffle(rows)
    chosen: list[dict] = []
    for row in rows:
        if not chosen or row["emo"] != chosen[-1]["emo"]:
            chosen.append(row)
        if len(chosen) == count:
            break
    pieces, segments, offset = [], [], 0
    for row in chosen:
        wav = read_audio(row["wav"].replace("$data_root", str(data_root)), rate)
        segments.append((offset / rate, (offset + wav.numel()) / rate, row["emo"]))
        pieces.append(wav)
        offset += wav.numel()
    return torch.cat(pieces), segments


def reaction_times(
    model: StreamingEmotionRecognizer,
    wav: torch.Tensor,
    segments: list[tuple[float, float, str]],
    hop: float,
) -> list[float | None]:
    """Per segment: seconds from its start to the first right label (None: never)."""
    predictions = list(
        model.classify_stream(wav.split(int(hop * model.sample_rate)), hop, vad=False)
    )
    out = []
    for start, end, emotion in segments:
        hits = [p.time for p in predictions if start < p.time <= end]
        right = [
            p.time for p in predictions if start < p.time <= end and p.label == emotion
        ]
        out.append(right[0] - start if right and hits else None)
    return out


def main(argv: list[str] | None = None) -> list[dict]:
    """Runs the benchmark and prints markdown tables; returns the rows."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.streaming", description=__doc__
    )
    parser.add_argument(
        "--model",
        default="results/emotion_streaming_lstm/1986/model",
        help="an exported streaming model folder",
    )
    parser.add_argument(
        "--manifest",
        default="results/emotion_streaming_lstm/1986/manifests/test.csv",
        help="test manifest of the run (for the reaction time)",
    )
    parser.add_argument("--data-root", default="data/embedded_emotion")
    parser.add_argument("--chunks", default="100,200,500", help="milliseconds")
    parser.add_argument("--seconds", type=float, default=60.0, help="audio per size")
    parser.add_argument("--segments", type=int, default=60)
    parser.add_argument("--seed", type=int, default=1986)
    add_trusted_key_option(parser)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    model = StreamingEmotionRecognizer.from_hparams(
        source=args.model, trusted_keys=args.trusted_key
    )
    rate = model.sample_rate
    wav, segments = emotion_stream(
        Path(args.manifest), Path(args.data_root), args.segments, args.seed, rate
    )
    bench_wav = wav[: int(args.seconds * rate)]
    lookahead = 1000 * model.streamer.lookahead / rate
    frame = 1000 * model.streamer.hop / rate
    print(
        f"one thread; {bench_wav.numel() / rate:.0f} s of test speech per chunk size; "
        f"look-ahead {lookahead:.0f} ms + frame hop {frame:.0f} ms"
    )
    print(
        "| chunk | model p50 (ms) | model p99 (ms) | RTF | VAD p50 (ms) "
        "| VAD p99 (ms) | algorithmic latency (ms) | + chunk buffering (ms) "
        "| reaction median (s) | reached |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    rows = []
    for chunk_ms in (int(c) for c in args.chunks.split(",")):
        chunk = chunk_ms * rate // 1000
        costs, vad_costs = chunk_costs(model, bench_wav, chunk)
        reactions = reaction_times(model, wav, segments, chunk_ms / 1000)
        reached = [r for r in reactions if r is not None]
        row = {
            "chunk_ms": chunk_ms,
            "p50_ms": 1000 * statistics.median(costs),
            "p99_ms": 1000 * _percentile(costs, 0.99),
            "rtf": sum(costs) / (len(costs) * chunk_ms / 1000),
            "vad_p50_ms": 1000 * statistics.median(vad_costs),
            "vad_p99_ms": 1000 * _percentile(vad_costs, 0.99),
            "algorithmic_ms": lookahead + frame,
            "with_chunk_ms": lookahead + frame + chunk_ms,
            "reaction_median_s": statistics.median(reached) if reached else None,
            "reached": len(reached) / len(reactions),
        }
        rows.append(row)
        median = row["reaction_median_s"]
        print(
            f"| {chunk_ms} ms | {row['p50_ms']:.2f} | {row['p99_ms']:.2f} "
            f"| {row['rtf']:.4f} | {row['vad_p50_ms']:.2f} | {row['vad_p99_ms']:.2f} "
            f"| {row['algorithmic_ms']:.0f} | {row['with_chunk_ms']:.0f} "
            f"| {'-' if median is None else f'{median:.2f}'} "
            f"| {row['reached']:.0%} of {len(reactions)} |"
        )
    return rows


if __name__ == "__main__":
    main()
