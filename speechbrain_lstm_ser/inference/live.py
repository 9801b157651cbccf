"""Live audio in, one line per hop out: what ``sb-lstm-ser stream`` runs.

Audio comes from standard input (raw 16-bit little-endian mono PCM, e.g.
piped from ``arecord``, ``sox`` or ``ffmpeg``) or from the microphone (the
``sounddevice`` package, ``pip install speechbrain-lstm-ser[live]``). Each
prediction is printed as one line: on a terminal, the label, a confidence bar
and speech / no speech; otherwise (piped) one JSON object per line.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from typing import BinaryIO, TextIO

import numpy as np
import torch

from speechbrain_lstm_ser.dataio.manifest import DIMENSIONS
from speechbrain_lstm_ser.inference.checks import positive_seconds
from speechbrain_lstm_ser.inference.prediction import named_dimensions
from speechbrain_lstm_ser.inference.streaming import (
    StreamingEmotionRecognizer,
    StreamPrediction,
)

__all__ = ["format_json", "format_line", "microphone_chunks", "pcm_chunks", "run_live"]

#: Width of the confidence bar on a terminal (characters).
BAR_WIDTH = 20


def pcm_chunks(stream: BinaryIO, samples: int) -> Iterator[np.ndarray]:
    """Chunks of 16-bit little-endian mono PCM read from a binary stream.

    Arguments
    ---------
    stream : binary file
        E.g. ``sys.stdin.buffer``.
    samples : int
        Samples per chunk (the last one may be shorter).

    Yields
    ------
    numpy.ndarray
        ``(samples,)`` float32 in [-1, 1].

    Example
    -------
    >>> import io
    >>> raw = np.array([0, 16384, -32768], dtype="<i2").tobytes()
    >>> [c.tolist() for c in pcm_chunks(io.BytesIO(raw), 2)]
    [[0.0, 0.5], [-1.0]]
    """
    while True:
        data = stream.read(2 * samples)
        if not data:
            return
        data = data[: len(data) // 2 * 2]  # a trailing odd byte is dropped
        if data:
            yield np.frombuffer(data, dtype="<i2").astype(np.float32) / 32768.0


def microphone_chunks(sample_rate: int, samples: int) -> Iterator[np.ndarray]:
    """Chunks from the default microphone (``sounddevice``), until interrupted.

    Arguments
    ---------
    sample_rate : int
        Recording rate (the model's).
    samples : int
        Samples per chunk.

    Yields
    ------
    numpy.ndarray
        ``(samples,)`` float32 in [-1, 1].
    """
    try:
        import sounddevice
    except (ImportError, OSError) as error:
        raise RuntimeError(
            "the microphone needs the sounddevice package and PortAudio: "
            "pip install 'speechbrain-lstm-ser[live]' (or pipe audio into standard "
            f"input, see docs/streaming.md); {error}"
        ) from error
    with sounddevice.InputStream(
        samplerate=sample_rate, channels=1, dtype="float32", blocksize=samples
    ) as mic:
        while True:
            data, _ = mic.read(samples)
            yield data[:, 0].copy()


def format_line(prediction: StreamPrediction) -> str:
    """One terminal line: time, label, confidence bar, dimensions, speech.

    A dimensional model's line shows arousal, valence and dominance
    (``A``, ``V``, ``D``) after the confidence.

    Arguments
    ---------
    prediction : StreamPrediction
        As the streaming recogniser yields it.

    Returns
    -------
    str

    Example
    -------
    >>> p = StreamPrediction(1.2, "happy", torch.tensor([0.25, 0.75]), True)
    >>> format_line(p)
    '   1.20 s  happy       ###############.....  0.75  speech'
    >>> format_line(p._replace(label=None, speech=False))
    '   1.20 s  -           ....................     -  no speech'
    >>> format_line(p._replace(dimensions=torch.tensor([0.8, 0.7, 0.5])))
    '   1.20 s  happy       ###############.....  0.75  A 0.80 V 0.70 D 0.50  speech'
    >>> format_line(p._replace(label=None, probabilities=None,  # dimensions alone
    ...                        dimensions=torch.tensor([0.8, 0.7, 0.5])))
    '   1.20 s  -           ....................     -  A 0.80 V 0.70 D 0.50  speech'
    """
    speech = {True: "speech", False: "no speech", None: ""}[prediction.speech]
    dims = ""
    if prediction.dimensions is not None and prediction.speech is not False:
        values = zip(DIMENSIONS, prediction.dimensions.tolist(), strict=False)
        dims = "".join(f"{name[0].upper()} {value:.2f} " for name, value in values)
        dims += " "
    if prediction.label is None:
        return (
            f"{prediction.time:7.2f} s  {'-':<10}  {'.' * BAR_WIDTH}     -  "
            f"{dims}{speech}".rstrip()
        )
    confidence = float(prediction.probabilities.max())
    filled = int(round(confidence * BAR_WIDTH))
    bar = "#" * filled + "." * (BAR_WIDTH - filled)
    return (
        f"{prediction.time:7.2f} s  {prediction.label:<10}  {bar}  "
        f"{confidence:.2f}  {dims}{speech}".rstrip()
    )


def format_json(
    prediction: StreamPrediction,
    labels: list[str],
    dimensions: tuple[str, ...] = DIMENSIONS,
) -> str:
    """One JSON line: time, label, confidence, speech, every class probability.

    A dimensional model's line adds ``dimensions`` (named by
    ``dimensions``), null without speech as the probabilities are; a model
    of the dimensions alone has a null label and probabilities.

    Example
    -------
    >>> p = StreamPrediction(1.2, "happy", torch.tensor([0.25, 0.75]), None)
    >>> format_json(p, ["sad", "happy"])
    '{"time": 1.2, "label": "happy", "confidence": 0.75, "speech": null, \
"probabilities": {"sad": 0.25, "happy": 0.75}}'
    >>> format_json(p._replace(label=None, speech=False), ["sad", "happy"])
    '{"time": 1.2, "label": null, "confidence": null, "speech": false, \
"probabilities": null}'
    >>> dimensional = p._replace(dimensions=torch.tensor([0.8, 0.7, 0.5]))
    >>> format_json(dimensional, ["sad", "happy"])
    '{"time": 1.2, "label": "happy", "confidence": 0.75, "speech": null, \
"probabilities": {"sad": 0.25, "happy": 0.75}, \
"dimensions": {"arousal": 0.8, "valence": 0.7, "dominance": 0.5}}'
    >>> format_json(dimensional._replace(label=None, probabilities=None), [])
    '{"time": 1.2, "label": null, "confidence": null, "speech": null, \
"probabilities": null, "dimensions": {"arousal": 0.8, "valence": 0.7, "dominance": 0.5}}'
    """  # noqa: E501
    found = prediction.probabilities  # None: a model of the dimensions alone
    probs = [] if found is None else [round(float(p), 4) for p in found]
    heard = prediction.label is not None  # no speech: no class claimed
    line = {
        "time": prediction.time,
        "label": prediction.label,
        "confidence": max(probs) if heard else None,
        "speech": prediction.speech,
        "probabilities": dict(zip(labels, probs, strict=True)) if heard else None,
    }
    if prediction.dimensions is not None:
        named = named_dimensions(prediction.dimensions, dimensions, 4)
        line["dimensions"] = None if prediction.speech is False else named
    return json.dumps(line)


def run_live(
    model: StreamingEmotionRecognizer,
    source: str = "stdin",
    chunk: float = 0.2,
    hop: float = 0.2,
    smoothing: float = 0.0,
    vad: bool = True,
    input_rate: int | None = None,
    fmt: str = "auto",
    stdin: BinaryIO | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Streams live audio through ``model`` and prints one line per hop.

    Stops at the end of the input or on Ctrl-C (exit status 0 for both);
    standard input that ends before any audio is an error (one line on
    ``err``, exit status 1), as is an output that cannot be written (a full
    disk; a closed pipe ends the run quietly).

    Arguments
    ---------
    model : StreamingEmotionRecognizer
        The streaming model.
    source : str
        ``"stdin"`` (raw 16-bit mono PCM) or ``"mic"``.
    chunk : float
        Seconds of audio read at a time.
    hop, smoothing, vad
        See :meth:`StreamingEmotionRecognizer.make_streaming_context`.
    input_rate : int, optional
        Sample rate of standard input (default: the model's); other rates
        are resampled chunk by chunk.
    fmt : str
        ``"table"`` (terminal lines), ``"jsonl"``, or ``"auto"``: table on a
        terminal, JSON lines when piped.
    stdin, out, err : file, optional
        Input, output and error streams (default: the process's).

    Returns
    -------
    int
        The exit status.

    Raises
    ------
    ValueError
        For a ``chunk`` that is not a positive number of seconds or an
        ``input_rate`` that is not a positive integer (one line).
    """
    out = out or sys.stdout
    err = err or sys.stderr
    positive_seconds(chunk, "--chunk")
    if input_rate is not None and (
        isinstance(input_rate, bool)
        or not isinstance(input_rate, int)
        or input_rate < 1
    ):
        raise ValueError(f"--rate must be a positive integer (Hz), got {input_rate}")
    rate = input_rate or model.sample_rate
    samples = max(1, int(round(chunk * rate)))
    if source == "mic":
        chunks = microphone_chunks(model.sample_rate, samples)
        rate = model.sample_rate
    else:
        chunks = pcm_chunks(stdin or sys.stdin.buffer, samples)
    if fmt == "auto":
        fmt = "table" if out.isatty() else "jsonl"
    labels = model.labels
    context = model.make_streaming_context(hop=hop, smoothing=smoothing, vad=vad)
    heard = False
    try:
        for data in chunks:
            heard = True
            wav = torch.from_numpy(data)
            if rate != model.sample_rate:
                import torchaudio

                wav = torchaudio.functional.resample(wav, rate, model.sample_rate)
            for prediction in model.classify_chunk(context, wav):
                line = (
                    format_line(prediction)
                    if fmt == "table"
                    else format_json(prediction, labels, model.dimension_names)
                )
                print(line, file=out, flush=True)
    except KeyboardInterrupt:
        pass
    except BrokenPipeError:
        return 0
    except OSError as error:  # e.g. > /dev/full
        print(f"error: cannot write the output: {error}", file=err)
        return 1
    if not heard and source == "stdin":
        print(
            "error: standard input ended before any audio: pipe raw 16-bit mono "
            "PCM into it (e.g. arecord -q -f S16_LE -r 16000 -c 1 -t raw | ...)",
            file=err,
        )
        return 1
    return 0
