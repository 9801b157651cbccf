"""Safe audio reading: any sample rate and channel count in, 16 kHz mono out.

Every failure is an :class:`AudioError` whose message names the file, says
what is wrong with it and what to do, so that a data pipeline or a batch
inference run can report it in one line and carry on with the next file.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

import numpy as np
import soundfile as sf
import torch
import torchaudio

__all__ = [
    "AudioError",
    "AudioInfo",
    "audio_info",
    "pad_waveforms",
    "read_audio",
    "resample",
    "to_mono",
    "wav_declared_frames",
    "write_audio",
]


class AudioError(ValueError):
    """An audio file that cannot be used, with the reason and the fix.

    Arguments
    ---------
    path : str or os.PathLike
        The offending file.
    reason : str
        What is wrong with it.
    fix : str
        What the user can do about it.
    """

    def __init__(self, path, reason: str, fix: str = ""):
        self.path = str(path)
        self.reason = reason
        self.fix = fix
        message = f"{self.path}: {reason}"
        if fix:
            message += f" ({fix})"
        super().__init__(message)


_SOUNDFILE_ERRORS = (sf.LibsndfileError, RuntimeError, TypeError)


def _check_file(path: str | os.PathLike) -> Path:
    """Raises :class:`AudioError` unless ``path`` is a readable, non-empty file."""
    path = Path(path)
    if not path.exists():
        raise AudioError(path, "file not found", "check the path or the manifest")
    if path.is_dir():
        raise AudioError(path, "is a directory, not an audio file")
    if not os.access(path, os.R_OK):
        raise AudioError(path, "permission denied", "make the file readable")
    if path.stat().st_size == 0:
        raise AudioError(path, "file is empty (0 bytes)", "remove or replace it")
    return path


def _unreadable(path: Path, err: Exception) -> AudioError:
    return AudioError(
        path,
        f"not a readable audio file ({err})",
        "convert it to WAV or FLAC, e.g. `ffmpeg -i IN -ar 16000 -ac 1 OUT.wav`",
    )


class AudioInfo(NamedTuple):
    """What :func:`audio_info` tells about a file without reading its samples."""

    frames: int
    sample_rate: int
    channels: int

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return self.frames / self.sample_rate


def audio_info(path: str | os.PathLike) -> AudioInfo:
    """Reads an audio file's header: frames, sample rate, channels.

    Fast (no samples are decoded), for data preparation to list durations
    and to find unusable files before training. Raises :class:`AudioError`
    for the same problems as :func:`read_audio` (missing, empty, not audio,
    no samples).

    Arguments
    ---------
    path : str or os.PathLike
        The audio file.

    Returns
    -------
    AudioInfo

    Example
    -------
    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "tone.wav")
    >>> write_audio(path, torch.zeros(4000, 2), 8000)
    >>> info = audio_info(path)
    >>> info, info.duration
    (AudioInfo(frames=4000, sample_rate=8000, channels=2), 0.5)
    """
    path = _check_file(path)
    try:
        info = sf.info(os.fsencode(path))  # bytes: any file name, even non-UTF-8
    except _SOUNDFILE_ERRORS as err:
        raise _unreadable(path, err) from None
    if info.frames <= 0:
        raise AudioError(path, "contains no samples", "remove or replace it")
    return AudioInfo(int(info.frames), int(info.samplerate), int(info.channels))


#: Data sizes that WAV writers put in a header when they do not know the
#: length (a stream piped into a file): not a truncation.
_UNKNOWN_WAV_SIZES = (0, 0xFFFFFFFF, 0x7FFFFFFF)


def wav_declared_frames(path: str | os.PathLike) -> int | None:
    """The frames a WAV file's header announces (None: not a WAV, or unknown).

    soundfile reads the samples that are there; a file cut short (an
    interrupted copy or recording) announces more. Compare with
    :func:`audio_info`'s ``frames`` to tell.

    Arguments
    ---------
    path : str or os.PathLike
        Any file.

    Returns
    -------
    int or None

    Example
    -------
    >>> import io, tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "cut.wav")
    >>> buffer = io.BytesIO()
    >>> sf.write(buffer, np.zeros(16000), 16000, format="WAV", subtype="PCM_16")
    >>> _ = open(path, "wb").write(buffer.getvalue()[:10000])
    >>> wav_declared_frames(path), audio_info(path).frames
    (16000, 4978)
    """
    try:
        with open(os.fsencode(path), "rb") as handle:
            head = handle.read(12)
            if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
                return None
            block_align = 0
            for _ in range(64):  # chunks before "data": fmt, LIST, fact, ...
                header = handle.read(8)
                if len(header) < 8:
                    return None
                kind, size = header[:4], int.from_bytes(header[4:], "little")
                if kind == b"fmt ":
                    fmt = handle.read(size)
                    if len(fmt) < 14:
                        return None
                    block_align = int.from_bytes(fmt[12:14], "little")
                    handle.seek(size % 2, os.SEEK_CUR)
                elif kind == b"data":
                    if not block_align or size in _UNKNOWN_WAV_SIZES:
                        return None
                    return size // block_align
                else:
                    handle.seek(size + size % 2, os.SEEK_CUR)
    except OSError:
        return None
    return None


#: A channel this far (dB) below the loudest one is silent, not mixed in.
SILENT_CHANNEL_DB = 40.0


def to_mono(wav: torch.Tensor) -> torch.Tensor:
    """Mixes a ``(time, channels)`` waveform down to ``(time,)``.

    The channels that carry signal are averaged; a channel more than
    :data:`SILENT_CHANNEL_DB` below the loudest one (an unconnected input,
    a muted side) is left out rather than averaged in, where it would only
    halve the level.

    Arguments
    ---------
    wav : torch.Tensor
        ``(time,)`` or ``(time, channels)``.

    Returns
    -------
    torch.Tensor
        ``(time,)``.

    Example
    -------
    >>> to_mono(torch.tensor([[1.0, 0.2], [0.5, 0.6]]))
    tensor([0.6000, 0.5500])
    >>> to_mono(torch.tensor([[1.0, 0.0], [0.5, 0.0]]))  # a silent channel
    tensor([1.0000, 0.5000])
    >>> to_mono(torch.tensor([[0.5], [-0.25]]))  # one channel
    tensor([ 0.5000, -0.2500])
    """
    if wav.dim() == 1:
        return wav
    if wav.shape[1] == 1:  # already mono: the mean of one channel is itself
        return wav[:, 0]
    power = wav.pow(2).mean(dim=0)
    floor = power.max() * 10 ** (-SILENT_CHANNEL_DB / 10)
    live = power > floor
    if not live.any():
        return wav.mean(dim=-1)
    return wav[:, live].mean(dim=-1)


def pad_waveforms(wavs: Sequence[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    """Batches waveforms of different lengths: zero-padded, with relative lengths.

    Arguments
    ---------
    wavs : sequence of torch.Tensor
        ``(time,)`` waveforms (at least one).

    Returns
    -------
    wavs : torch.Tensor
        ``(batch, time)``, each waveform followed by zeros.
    lens : torch.Tensor
        ``(batch,)`` relative lengths ``lens`` in [0, 1].

    Example
    -------
    >>> wavs, lens = pad_waveforms([torch.ones(4), torch.ones(2)])
    >>> wavs
    tensor([[1., 1., 1., 1.],
            [1., 1., 0., 0.]])
    >>> lens
    tensor([1.0000, 0.5000])
    """
    longest = max(len(wav) for wav in wavs)
    batch = torch.zeros(len(wavs), longest)
    for i, wav in enumerate(wavs):
        batch[i, : len(wav)] = wav
    return batch, torch.tensor([len(wav) / longest for wav in wavs])


def resample(wav: torch.Tensor, orig_sr: int, new_sr: int) -> torch.Tensor:
    """Resamples the last dimension of ``wav`` (band-limited sinc interpolation).

    Arguments
    ---------
    wav : torch.Tensor
        Waveform(s), time on the last dimension.
    orig_sr : int
        Its sample rate.
    new_sr : int
        The wanted sample rate.

    Returns
    -------
    torch.Tensor
        The resampled waveform(s).

    Example
    -------
    >>> resample(torch.zeros(44100), 44100, 16000).shape
    torch.Size([16000])
    """
    if orig_sr == new_sr:
        return wav
    return torchaudio.functional.resample(wav, orig_sr, new_sr)


def read_audio(
    path: str | os.PathLike,
    sample_rate: int = 16000,
    start: float | None = None,
    stop: float | None = None,
) -> torch.Tensor:
    """Reads an audio file as a mono float32 tensor at ``sample_rate``.

    Multi-channel audio is averaged to mono, other sample rates are
    resampled, integer PCM is scaled to [-1, 1]. Anything unusable (missing,
    unreadable, not audio, empty, non-finite samples) raises
    :class:`AudioError` naming the file; a wrong ``sample_rate``, ``start``
    or ``stop`` raises ``ValueError``. A truncated WAV gives the samples it
    holds (:func:`wav_declared_frames` tells how many it announces).

    Arguments
    ---------
    path : str or os.PathLike
        The audio file (any format libsndfile reads: wav, flac, ogg, ...).
    sample_rate : int
        The sample rate to return.
    start : float, optional
        Offset in seconds to start reading from.
    stop : float, optional
        Time in seconds to stop reading at.

    Returns
    -------
    torch.Tensor
        ``(time,)`` float32 waveform.

    Example
    -------
    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "tone.wav")
    >>> t = np.arange(8000) / 8000
    >>> stereo = np.stack([np.sin(2 * np.pi * 440 * t)] * 2, axis=1)
    >>> write_audio(path, torch.from_numpy(stereo).float(), 8000)
    >>> read_audio(path, sample_rate=16000).shape
    torch.Size([16000])
    """
    if isinstance(sample_rate, bool) or not isinstance(sample_rate, int):
        raise ValueError(f"sample_rate must be an integer, got {sample_rate!r}")
    if sample_rate <= 0:
        raise ValueError(f"sample_rate must be positive, got {sample_rate}")
    for name, value in (("start", start), ("stop", stop)):
        if value is not None and not (np.isfinite(value) and value >= 0):
            raise ValueError(f"{name} must be a time >= 0 in seconds, got {value}")
    path = _check_file(path)
    try:
        with sf.SoundFile(os.fsencode(path)) as handle:  # bytes: any file name
            file_sr = handle.samplerate
            first = 0 if start is None else int(round(start * file_sr))
            last = handle.frames if stop is None else int(round(stop * file_sr))
            if first:
                handle.seek(min(first, handle.frames))
            data = handle.read(max(last - first, 0), dtype="float32", always_2d=True)
    except _SOUNDFILE_ERRORS as err:
        raise _unreadable(path, err) from None
    if data.shape[0] == 0:
        raise AudioError(path, "contains no samples", "remove or replace it")
    if not np.isfinite(data).all():
        raise AudioError(path, "contains NaN or infinite samples", "re-export the file")
    wav = to_mono(torch.from_numpy(data))
    return resample(wav, file_sr, sample_rate).contiguous()


def write_audio(
    path: str | os.PathLike,
    wav: torch.Tensor | np.ndarray,
    sample_rate: int,
    subtype: str = "PCM_16",
) -> None:
    """Writes a ``(time,)`` or ``(time, channels)`` waveform, atomically.

    The file is written next to its destination and renamed into place, so
    an interrupted write never leaves a truncated file behind.

    Arguments
    ---------
    path : str or os.PathLike
        Destination; the format follows the extension.
    wav : torch.Tensor or numpy.ndarray
        Samples in [-1, 1] (floats) or int16.
    sample_rate : int
        The sample rate of ``wav``.
    subtype : str
        libsndfile subtype, ``PCM_16`` by default.
    """
    path = Path(path)
    if isinstance(wav, torch.Tensor):
        wav = wav.detach().cpu().numpy()
    tmp = path.with_name(f".{path.name}.tmp")
    sf.write(str(tmp), wav, sample_rate, subtype=subtype, format=_format_of(path))
    os.replace(tmp, path)


def _format_of(path: Path) -> str:
    """The libsndfile major format for a file name's extension."""
    ext = path.suffix.lower().lstrip(".")
    return {"wav": "WAV", "flac": "FLAC", "ogg": "OGG"}.get(ext, "WAV")
