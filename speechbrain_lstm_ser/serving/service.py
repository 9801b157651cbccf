"""The HTTP service of ``sb-lstm-ser serve``: uploads, timelines, live streams.

Endpoints (OpenAPI schema at ``/openapi.json``, a page listing it at ``/docs``):

- ``POST /classify``: an uploaded audio file (multipart field ``file``) →
  label, score, probabilities (as ``sb-lstm-ser predict``);
- ``POST /timeline?window=3&hop=1.5``: an uploaded long file → segments (as
  ``sb-lstm-ser timeline``);
- ``WebSocket /stream?rate=16000``: binary messages of 16-bit little-endian
  mono PCM in, one JSON message per ``hop`` out (the streaming model, as
  ``sb-lstm-ser stream``);
- a model with a regression head adds ``dimensions`` (arousal, valence,
  dominance in [0, 1]) to each answer, segment and message;
- ``GET /health``, and the web page at ``/`` (``static/``).

Safe by default: the CLI binds 127.0.0.1; uploads larger than
``max_upload_bytes`` get 413 before they are read in full, longer than
``max_duration`` 413, undecodable 415, too short or silent 422; more than
``max_streams`` live streams are refused (WebSocket close 1013). An upload
is decoded from memory; the classifier then reads a WAV of the decoded
samples that the service writes, under a name it chooses, in a private
temporary folder removed after the request: no client file name ever
reaches the disk. Model calls run one at a time in a worker thread, so
``/health`` answers while a request is computed.

FastAPI and uvicorn (the ``[serve]`` extra) are imported when the app is
built, never by the rest of the package.

Authors
 * speechbrain-lstm-ser developers 2026
"""

import io
import json
import tempfile
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf
import torch

from speechbrain_lstm_ser.dataio.audio import AudioError, resample, to_mono, write_audio
from speechbrain_lstm_ser.inference.checks import AudioWarning
from speechbrain_lstm_ser.inference.prediction import named_dimensions
from speechbrain_lstm_ser.serving.batch import prediction_row

__all__ = [
    "ServiceLimits",
    "create_app",
    "decode_upload",
    "require_extra",
    "run_service",
]

STATIC = Path(__file__).parent / "static"


def require_extra() -> None:
    """Raises ImportError unless the ``[serve]`` extra is installed."""
    import fastapi  # noqa: F401
    import multipart  # noqa: F401  (python-multipart)
    import uvicorn  # noqa: F401


@dataclass
class ServiceLimits:
    """What one client may ask of the service."""

    #: Largest upload (bytes): 413 beyond.
    max_upload_bytes: int = 20_000_000
    #: Longest upload (seconds): 413 beyond.
    max_duration: float = 600.0
    #: Live streams at once: 1013 (try again later) beyond.
    max_streams: int = 4
    #: Longest live stream (seconds of audio): closed with 1009 beyond.
    max_stream_seconds: float = 3600.0
    #: Largest WebSocket message (bytes of PCM): closed with 1009 beyond.
    max_message_bytes: int = 256_000


class RequestError(Exception):
    """A client error: an HTTP status and one line saying what to change."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def decode_upload(data: bytes, sample_rate: int, max_duration: float) -> torch.Tensor:
    """Decodes an uploaded file from memory to a ``(time,)`` waveform.

    Arguments
    ---------
    data : bytes
        The file's bytes (any format libsndfile reads).
    sample_rate : int
        The model's rate (resampled to).
    max_duration : float
        Longer files are refused (413), read no further than the header.

    Returns
    -------
    torch.Tensor

    Example
    -------
    >>> buffer = io.BytesIO()
    >>> sf.write(buffer, np.zeros((8000, 2)), 8000, format="WAV")
    >>> decode_upload(buffer.getvalue(), 16000, 60.0).shape
    torch.Size([16000])
    >>> decode_upload(b"not audio", 16000, 60.0)
    Traceback (most recent call last):
    ...
    speechbrain_lstm_ser.serving.service.RequestError: not a readable audio file...
    """
    if not data:
        raise RequestError(422, "the upload is empty")
    try:
        with sf.SoundFile(io.BytesIO(data)) as handle:
            duration = handle.frames / handle.samplerate
            if duration > max_duration:
                raise RequestError(
                    413,
                    f"{duration:.1f} s of audio; this service takes {max_duration} s",
                )
            rate = handle.samplerate
            samples = handle.read(dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError, TypeError) as err:
        reason = str(err).rsplit(": ", 1)[-1]  # not the BytesIO's repr
        raise RequestError(
            415, f"not a readable audio file ({reason}); send WAV, FLAC or OGG"
        ) from None
    if samples.shape[0] == 0:
        raise RequestError(422, "the file has no samples")
    if not np.isfinite(samples).all():
        raise RequestError(422, "the file has NaN or infinite samples")
    return resample(to_mono(torch.from_numpy(samples)), rate, sample_rate).contiguous()


class _Models:
    """The loaded models and the lock that runs them one call at a time."""

    def __init__(self, model, streamer, limits: ServiceLimits, no_stream_reason: str):
        self.model = model
        self.streamer = streamer
        self.limits = limits
        self.no_stream_reason = no_stream_reason
        self.lock = threading.Lock()
        self.streams = 0

    def _with_file(self, wav: torch.Tensor, work):
        """Runs ``work(path)`` on a WAV of ``wav`` in a private temporary folder."""
        with tempfile.TemporaryDirectory(prefix="sb-lstm-ser-") as folder:
            path = Path(folder) / "upload.wav"
            write_audio(path, wav.cpu(), self.model.sample_rate, subtype="FLOAT")
            with self.lock:
                try:
                    return work(path)
                except AudioError as err:
                    raise RequestError(422, err.reason) from None
                except ValueError as err:
                    raise RequestError(422, str(err)) from None

    def classify(self, data: bytes) -> dict:
        wav = decode_upload(data, self.model.sample_rate, self.limits.max_duration)

        def work(path):  # no speech: a row with label null, as predict's
            with warnings.catch_warnings():  # they go into the row
                warnings.simplefilter("ignore", AudioWarning)
                found = self.model.predict_file(path)
            return prediction_row(found, self.model.labels)

        return {"duration": round(wav.numel() / self.model.sample_rate, 3)} | (
            self._with_file(wav, work)
        )

    def timeline(self, data: bytes, window: float, hop: float) -> dict:
        wav = decode_upload(data, self.model.sample_rate, self.limits.max_duration)

        def work(path):
            return self.model.timeline(path, window=window, hop=hop)

        segments = self._with_file(wav, work)
        return {
            "duration": round(wav.numel() / self.model.sample_rate, 3),
            "labels": self.model.labels,
            "segments": [
                {
                    "start": s.start,
                    "end": s.end,
                    "label": s.label,
                    "score": None if s.score is None else round(s.score, 6),
                    "probabilities": None
                    if s.probabilities is None
                    else [round(float(p), 6) for p in s.probabilities],
                }
                | _dimensions(s.dimensions, self.model.dimension_names, 6)
                for s in segments
            ],
        }


def _dimensions(values, names, digits: int) -> dict:
    """``{"dimensions": {...}}`` of a dimensional model's answer, else nothing."""
    if values is None:
        return {}
    return {"dimensions": named_dimensions(values, names, digits)}


async def _read_limited(request, limit: int, shown: int) -> bytes:
    """The request body, refused (413) past ``limit`` bytes without reading on."""
    declared = request.headers.get("content-length")
    too_big = RequestError(413, f"upload over the limit of {shown} bytes")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise too_big
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_big
        chunks.append(chunk)
    return b"".join(chunks)


async def _file_field(request, limit: int) -> bytes:
    """The ``file`` part of a multipart upload, or a raw audio body."""
    body = await _read_limited(request, limit + 65536, limit)  # + part headers
    kind = request.headers.get("content-type", "")
    if not kind.startswith("multipart/form-data"):
        if len(body) > limit:
            raise RequestError(413, f"upload over the limit of {limit} bytes")
        return body
    from starlette.datastructures import UploadFile
    from starlette.formparsers import MultiPartParser

    async def replay():
        yield body

    try:
        form = await MultiPartParser(request.headers, replay()).parse()
    except Exception as err:  # python-multipart's errors: a malformed request
        raise RequestError(400, f"malformed multipart upload ({err})") from None
    part = form.get("file")
    if not isinstance(part, UploadFile):
        raise RequestError(422, "no file: send the audio as the multipart field 'file'")
    data = await part.read()
    if len(data) > limit:
        raise RequestError(413, f"upload over the limit of {limit} bytes")
    return data


#: The /classify request body in the OpenAPI schema (the route reads the raw
#: request, so FastAPI cannot infer it): a multipart ``file`` field.
_UPLOAD_BODY = {
    "requestBody": {
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": {"type": "string", "format": "binary"}},
                    "required": ["file"],
                }
            }
        }
    }
}


def create_app(
    model,
    streamer=None,
    limits: ServiceLimits | None = None,
    no_stream_reason: str = "no streaming model",
):
    """The FastAPI application serving ``model`` (and ``streamer`` on /stream).

    Arguments
    ---------
    model : UtteranceClassifier
        For /classify and /timeline.
    streamer : StreamingEmotionRecognizer, optional
        For /stream (None: /stream refuses with ``no_stream_reason``).
    limits : ServiceLimits, optional
        Upload, duration and stream limits.
    no_stream_reason : str
        Why /stream is off, told to its clients.

    Returns
    -------
    fastapi.FastAPI
    """
    from fastapi import FastAPI
    from fastapi.responses import JSONResponse

    models = _Models(model, streamer, limits or ServiceLimits(), no_stream_reason)
    app = FastAPI(
        title="speechbrain-lstm-ser",
        description="Speech emotion recognition: uploads, timelines, live streams.",
        docs_url=None,  # the default pages load scripts from a CDN
        redoc_url=None,
    )
    app.state.models = models

    @app.exception_handler(RequestError)
    async def request_error(_request, err: RequestError):
        return JSONResponse({"error": err.message}, status_code=err.status)

    _add_upload_routes(app, models)
    _add_stream_route(app, models)
    _add_pages(app)
    return app


def _add_upload_routes(app, models: _Models) -> None:
    """``GET /health``, ``POST /classify``, ``POST /timeline``."""
    from fastapi import Request
    from starlette.concurrency import run_in_threadpool

    limits = models.limits

    @app.get("/health")
    async def health() -> dict:
        """Liveness, the classes, and the live streams open."""
        return {
            "status": "ok",
            "labels": models.model.labels,
            "sample_rate": models.model.sample_rate,
            "streaming": models.streamer is not None,
            "streams": models.streams,
            "max_streams": limits.max_streams,
        }

    @app.post("/classify", openapi_extra=_UPLOAD_BODY)
    async def classify(request: Request) -> dict:
        """Classifies an uploaded file (multipart field ``file``, or the raw body)."""
        data = await _file_field(request, limits.max_upload_bytes)
        return await run_in_threadpool(models.classify, data)

    @app.post("/timeline")
    async def timeline(request: Request, window: float = 3.0, hop: float = 1.5) -> dict:
        """The emotion over time of an uploaded file (windows of ``window`` s)."""
        if not (0 < window <= 60 and 0 < hop <= 60):
            raise RequestError(422, "window and hop must be in (0, 60] seconds")
        data = await _file_field(request, limits.max_upload_bytes)
        return await run_in_threadpool(models.timeline, data, window, hop)


def _stream_refusal(models: _Models, rate: int, hop: float) -> tuple[int, str] | None:
    """Why a live stream is refused (WebSocket close code, reason), or None."""
    limits = models.limits
    if models.streamer is None:
        return 1003, models.no_stream_reason[:120]
    if models.streams >= limits.max_streams:
        return 1013, f"{limits.max_streams} streams already open"
    if not (8000 <= rate <= 96000) or not (0.02 <= hop <= 10):
        return 1008, "rate in [8000, 96000], hop in [0.02, 10]"
    return None


def _add_stream_route(app, models: _Models) -> None:
    """``WebSocket /stream``: live predictions of the streaming model."""
    from fastapi import WebSocket, WebSocketDisconnect
    from starlette.concurrency import run_in_threadpool

    @app.websocket("/stream")
    async def stream(
        websocket: WebSocket, rate: int = 16000, hop: float = 0.2, vad: bool = True
    ):
        """16-bit little-endian mono PCM in (binary messages), predictions out."""
        refusal = _stream_refusal(models, rate, hop)
        if refusal is not None:
            code, reason = refusal
            await websocket.accept()
            await websocket.close(code=code, reason=reason)
            return
        models.streams += 1
        try:
            await websocket.accept()
            await _stream(websocket, models, rate, hop, vad, run_in_threadpool)
        except (WebSocketDisconnect, OSError):
            pass  # the client went away: nothing to answer
        finally:
            models.streams -= 1


def _add_pages(app) -> None:
    """The web page at ``/``, the API page at ``/docs``, and ``/static``."""
    from fastapi.responses import FileResponse
    from fastapi.staticfiles import StaticFiles

    @app.get("/", include_in_schema=False)
    async def page():
        return FileResponse(STATIC / "index.html")

    @app.get("/docs", include_in_schema=False)
    async def docs():
        return FileResponse(STATIC / "api.html")

    app.mount("/static", StaticFiles(directory=STATIC), name="static")


async def _stream(websocket, models: _Models, rate: int, hop: float, vad, offload):
    streamer, limits = models.streamer, models.limits
    context = streamer.make_streaming_context(hop=hop, vad=vad)
    labels = streamer.labels
    heard = 0.0
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return
        data = message.get("bytes")
        if data is None:
            if (message.get("text") or "").strip() == "end":
                await websocket.close(code=1000)
                return
            await websocket.close(code=1003, reason="send binary 16-bit PCM, or 'end'")
            return
        if len(data) > limits.max_message_bytes:
            await websocket.close(code=1009, reason="message too large")
            return
        if len(data) % 2:
            await websocket.close(code=1007, reason="odd byte count: not 16-bit PCM")
            return
        chunk = np.frombuffer(data, dtype="<i2").astype(np.float32) / 32768.0
        heard += chunk.size / rate
        if heard > limits.max_stream_seconds:
            await websocket.close(code=1009, reason="stream longer than the limit")
            return
        wav = torch.from_numpy(chunk)
        if rate != streamer.sample_rate:
            wav = resample(wav, rate, streamer.sample_rate)

        def step(wav=wav):
            with models.lock:
                return streamer.classify_chunk(context, wav)

        for prediction in await offload(step):
            found = prediction.probabilities  # None: a model of the dimensions alone
            probs = [] if found is None else [round(float(p), 4) for p in found]
            await websocket.send_text(
                json.dumps(
                    {
                        "time": prediction.time,
                        "label": prediction.label,
                        "confidence": max(probs) if probs else None,
                        "speech": prediction.speech,
                        "probabilities": dict(zip(labels, probs, strict=True))
                        if probs
                        else None,
                    }
                    | _dimensions(prediction.dimensions, streamer.dimension_names, 4)
                )
            )


def run_service(
    model,
    streamer=None,
    limits: ServiceLimits | None = None,
    host: str = "127.0.0.1",
    port: int = 8000,
    no_stream_reason: str = "no streaming model",
) -> None:
    """Serves with uvicorn until interrupted.

    Arguments
    ---------
    model, streamer, limits, no_stream_reason
        See :func:`create_app`.
    host : str
        Address to bind (127.0.0.1: this machine only).
    port : int
        TCP port.
    """
    import uvicorn

    app = create_app(model, streamer, limits, no_stream_reason)
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level="warning",
        ws_max_size=(limits or ServiceLimits()).max_message_bytes + 1024,
    )
