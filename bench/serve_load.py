"""A bounded load test of ``sb-lstm-ser serve`` on loopback (127.0.0.1 only).

Starts the service on a free port of 127.0.0.1, then ``--clients`` threads
each POST an audio file to ``/classify`` in a loop for ``--seconds``; with
``--streaming-model``, one more client streams the file over ``/stream``
again and again. Prints the request latencies (p50, p99, max), the
requests that failed or got no answer (expected: 0), and the service's
resident memory after a warm-up and at the end (growth expected under 50
MB). Needs the ``[serve]`` extra (and ``websockets`` for the stream).

``python -m bench.serve_load --help`` lists the options.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

HOST = "127.0.0.1"  # never anything else: this is a loopback test


def free_port() -> int:
    """A TCP port free on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def multipart(data: bytes, name: str = "audio.wav") -> tuple[bytes, str]:
    """A multipart/form-data body with one ``file`` field."""
    boundary = uuid.uuid4().hex
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="{name}"\r\nContent-Type: audio/wav\r\n\r\n'
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, f"multipart/form-data; boundary={boundary}"


def rss_mb(pid: int) -> float:
    """Resident memory of a process (MB)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def wait_healthy(port: int, timeout: float = 120.0) -> dict:
    """Polls ``/health`` until it answers."""
    deadline = time.time() + timeout
    while True:
        try:
            conn = http.client.HTTPConnection(HOST, port, timeout=5)
            conn.request("GET", "/health")
            return json.loads(conn.getresponse().read())
        except OSError:
            if time.time() > deadline:
                raise
            time.sleep(0.5)


def percentile(values: list[float], q: float) -> float:
    """The ``q`` quantile (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


class Load:
    """Clients that load the service at ``port`` until ``stop``; what they saw.

    Each :meth:`client` POSTs ``audio`` to ``/classify`` again and again
    (its latencies are kept), :meth:`streamer` streams it over ``/stream``
    (streams are counted, not timed); every failure is kept.

    Arguments
    ---------
    port : int
        The service's port on :data:`HOST`.
    audio : str or Path
        The file every client sends.
    stop : float
        When the clients stop (``time.time()``).
    """

    def __init__(self, port: int, audio: str | Path, stop: float):
        self.port = port
        self.audio = audio
        self.stop = stop
        self.body, self.kind = multipart(Path(audio).read_bytes())
        self.latencies: list[float] = []
        self.failures: list[str] = []
        self.streams = 0
        self.lock = threading.Lock()

    def client(self) -> None:
        """POSTs to ``/classify`` until :attr:`stop`."""
        conn = http.client.HTTPConnection(HOST, self.port, timeout=60)
        headers = {"Content-Type": self.kind}
        while time.time() < self.stop:
            start = time.perf_counter()
            try:
                conn.request("POST", "/classify", self.body, headers)
                response = conn.getresponse()
                answer = response.read()
                ok = response.status == 200 and b'"label"' in answer
            except OSError as err:
                ok, answer = False, str(err).encode()
                conn = http.client.HTTPConnection(HOST, self.port, timeout=60)
            with self.lock:
                if ok:
                    self.latencies.append(time.perf_counter() - start)
                else:
                    self.failures.append(answer[:200].decode(errors="replace"))

    def streamer(self) -> None:
        """Streams the file over ``/stream`` (100 ms chunks) until :attr:`stop`."""
        import soundfile as sf
        from websockets.sync.client import connect

        pcm = sf.read(self.audio, dtype="int16")[0].tobytes()
        while time.time() < self.stop:
            try:
                with connect(f"ws://{HOST}:{self.port}/stream") as ws:
                    for first in range(0, len(pcm), 3200):
                        ws.send(pcm[first : first + 3200])
                    ws.send("end")
                    answers = [json.loads(m) for m in ws]
                ok = bool(answers) and all("label" in a for a in answers)
            except Exception as err:  # noqa: BLE001 - any failure counts
                ok, answers = False, [str(err)]
            with self.lock:  # streams are counted, not timed
                if not ok:
                    self.failures.append(f"stream: {answers[:1]}")
                else:
                    self.streams += 1

    def latency_ms(self) -> dict:
        """p50, p99 and max of the request latencies (ms; None without any)."""
        if not self.latencies:
            return {"p50_ms": None, "p99_ms": None, "max_ms": None}
        return {
            "p50_ms": 1000 * percentile(self.latencies, 0.5),
            "p99_ms": 1000 * percentile(self.latencies, 0.99),
            "max_ms": 1000 * max(self.latencies),
        }


def serve_command(args: argparse.Namespace, port: int) -> list[str]:
    """``sb-lstm-ser serve`` of ``--model`` on ``port`` of :data:`HOST`, one thread."""
    command = [
        sys.executable,
        "-m",
        "speechbrain_lstm_ser.cli",
        "serve",
        "--model",
        args.model,
        "--host",
        HOST,
        "--port",
        str(port),
        "--threads",
        "1",
    ]
    if args.streaming_model:
        command += ["--streaming-model", args.streaming_model]
    return command


def run(args: argparse.Namespace) -> dict:
    """Starts the service, loads it, stops it; returns the measurements."""
    port = free_port()
    server = subprocess.Popen(
        serve_command(args, port),
        env={**os.environ, "OMP_NUM_THREADS": "1"},
        stderr=subprocess.PIPE,
    )
    try:
        health = wait_healthy(port)
        load = Load(port, args.audio, stop=time.time() + args.seconds)
        warm = time.time() + min(10.0, args.seconds / 4)
        threads = [threading.Thread(target=load.client) for _ in range(args.clients)]
        if args.streaming_model:
            threads.append(threading.Thread(target=load.streamer))
        for thread in threads:
            thread.start()
        time.sleep(max(0.0, warm - time.time()))
        rss_warm = rss_mb(server.pid)
        for thread in threads:
            thread.join()
        rss_end = rss_mb(server.pid)
        still = wait_healthy(port, timeout=10)
        return {
            "labels": health["labels"],
            "requests": len(load.latencies),
            "failed": len(load.failures),
            "failures": load.failures[:3],
            **load.latency_ms(),
            "rss_warm_mb": rss_warm,
            "rss_end_mb": rss_end,
            "rss_growth_mb": rss_end - rss_warm,
            "streams": load.streams,
            "healthy_after": still["status"] == "ok",
        }
    finally:
        server.terminate()
        server.wait(timeout=30)


def main(argv: list[str] | None = None) -> dict:
    """Runs the load test and prints its results."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", required=True, help="exported model folder")
    parser.add_argument("--streaming-model", help="also stream over /stream")
    parser.add_argument("--audio", required=True, help="the file every client sends")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args(argv)
    result = run(args)
    print(
        f"{args.clients} clients x {args.seconds:.0f} s on {HOST} (service: 1 PyTorch "
        f"thread; cores: {os.cpu_count()}): {result['requests']} requests, "
        f"{result['failed']} failed; latency p50 {result['p50_ms']:.0f} ms, p99 "
        f"{result['p99_ms']:.0f} ms, max {result['max_ms']:.0f} ms; "
        f"{result['streams']} streams; memory {result['rss_warm_mb']:.0f} MB after "
        f"warm-up, {result['rss_end_mb']:.0f} MB at the end "
        f"({result['rss_growth_mb']:+.1f} MB); healthy after: {result['healthy_after']}"
    )
    if result["failures"]:
        print("first failures:", result["failures"])
    return result


if __name__ == "__main__":
    main()
