"""What inference checks before it answers: the input, the speech, the band.

Every inference path (``classify_file``, ``classify_batch``,
``predict_file``, ``predict_batch``, ``timeline``, the command line and the
batched / served predict built on them) goes through these checks, so that
bad input gives one clear error naming the input, and audio without speech
gives a "no speech" answer instead of a confident class:

* :func:`check_waveforms`: shapes, relative lengths, finite samples, a
  minimum duration, digital silence. A problem raises
  :class:`~speechbrain_lstm_ser.dataio.audio.AudioError` naming the file or
  the batch row (``wavs[2]``).
* :class:`SpeechGate`: the speech detector
  (:func:`~speechbrain_lstm_ser.processing.vad.default_vad`: Silero VAD, or
  the energy threshold without the ``silero-vad`` package) decides whether a
  clip holds speech at all.
* :func:`recording_warnings`: audio that is readable but outside what the
  model was trained on (narrowband audio, a truncated WAV) gets an
  :class:`AudioWarning` naming the file.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from typing import NamedTuple

import torch

from speechbrain_lstm_ser.dataio.audio import AudioError, wav_declared_frames
from speechbrain_lstm_ser.processing.vad import EnergyVAD, SileroVAD, default_vad

__all__ = [
    "NARROWBAND_HZ",
    "NARROWBAND_RATIO",
    "NO_SPEECH_FIX",
    "SILENCE_PEAK",
    "AudioWarning",
    "NoSpeechError",
    "SpeechCheck",
    "SpeechGate",
    "check_waveforms",
    "narrowband",
    "positive_seconds",
    "recording_warnings",
]

#: Peak amplitude under which a recording is digital silence (-80 dBFS).
SILENCE_PEAK = 1e-4

#: Audio with no energy above this frequency (Hz) is narrowband (telephone).
NARROWBAND_HZ = 4000.0

#: Energy above 1.25 x :data:`NARROWBAND_HZ` relative to the energy below
#: :data:`NARROWBAND_HZ` under which audio is narrowband (-45 dB). The
#: embedded corpus's espeak speech has -32 dB or more, 8 kHz copies of it
#: resampled to 16 kHz -56 dB or less (tests/inference/test_bad_input.py).
NARROWBAND_RATIO = 3e-5


class AudioWarning(UserWarning):
    """Audio that is classified but is outside what the model was trained on."""


class NoSpeechError(AudioError):
    """A clip in which the speech gate found no speech (see :class:`SpeechGate`).

    Raised by the calls whose return value cannot say "no speech"
    (``classify_file``, ``classify_batch(..., gate=True)``, SpeechBrain's
    tuple convention); ``predict_file`` / ``predict_batch`` return a
    no-speech :class:`~speechbrain_lstm_ser.inference.prediction.Prediction`
    instead.
    """


#: The fix a :class:`NoSpeechError` suggests.
NO_SPEECH_FIX = (
    "is it speech? gate=False (sb-lstm-ser --no-speech-gate) classifies it anyway"
)


def check_waveforms(
    wavs: torch.Tensor,
    wav_lens: torch.Tensor | None,
    sample_rate: int,
    min_duration: float,
    names: Sequence[str] | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Checks a batch of waveforms before a model sees it.

    The one validation of every inference path (files are read, then
    checked here as a batch of one).

    Arguments
    ---------
    wavs : torch.Tensor
        ``(batch, time)`` or ``(time,)`` waveforms at ``sample_rate``.
    wav_lens : torch.Tensor, optional
        ``(batch,)`` relative lengths in (0, 1]; all ones when omitted.
    sample_rate : int
        The rate of ``wavs``.
    min_duration : float
        Shorter waveforms (in seconds, after their relative length) are
        refused.
    names : sequence of str, optional
        What to call each row in errors (file names); ``wavs[i]`` otherwise.

    Returns
    -------
    wavs : torch.Tensor
        ``(batch, time)`` float.
    wav_lens : torch.Tensor
        ``(batch,)`` float.

    Raises
    ------
    AudioError
        One line naming the row (or file) and what is wrong: a wrong shape,
        an empty batch, lengths out of (0, 1], NaN or infinite samples, a
        waveform shorter than ``min_duration``, or digital silence.

    Example
    -------
    >>> wavs, lens = check_waveforms(torch.randn(2, 16000), None, 16000, 0.1)
    >>> wavs.shape, lens.tolist()
    (torch.Size([2, 16000]), [1.0, 1.0])
    >>> check_waveforms(torch.zeros(2, 16000), None, 16000, 0.1)
    Traceback (most recent call last):
    ...
    speechbrain_lstm_ser.dataio.audio.AudioError: wavs[0]: contains no signal ...
    >>> check_waveforms(torch.randn(1, 3), None, 16000, 0.1)
    Traceback (most recent call last):
    ...
    speechbrain_lstm_ser.dataio.audio.AudioError: wavs[0]: too short (0.000 s; ...
    """
    if not isinstance(wavs, torch.Tensor):
        raise AudioError("wavs", f"must be a torch.Tensor, got {type(wavs).__name__}")
    if wavs.dim() == 1:
        wavs = wavs.unsqueeze(0)
    if wavs.dim() != 2:
        raise AudioError(
            "wavs",
            f"expected waveforms of shape (batch, time), got {tuple(wavs.shape)}",
            "mix multi-channel audio down first (load_audio does)",
        )
    if not (wavs.is_floating_point() or wavs.dtype in _INTEGER_PCM):
        raise AudioError("wavs", f"samples of type {wavs.dtype} are not audio")
    if wavs.dtype in _INTEGER_PCM:
        wavs = wavs.float() / _INTEGER_PCM[wavs.dtype]
    batch, time = wavs.shape
    if batch == 0:
        raise AudioError("wavs", "the batch is empty", "give at least one waveform")
    if names is not None and len(names) != batch:
        raise ValueError(f"{len(names)} names for {batch} waveforms")
    names = list(names) if names is not None else [f"wavs[{i}]" for i in range(batch)]
    if wav_lens is None:
        wav_lens = torch.ones(batch)
    if not isinstance(wav_lens, torch.Tensor):
        wav_lens = torch.as_tensor(wav_lens)
    if wav_lens.shape != (batch,):
        raise AudioError(
            "wav_lens",
            f"expected shape ({batch},) (one relative length per waveform), got "
            f"{tuple(wav_lens.shape)}",
        )
    wav_lens = wav_lens.float()
    wavs = wavs.float()
    for i, name in enumerate(names):
        share = float(wav_lens[i])
        if not (0.0 < share <= 1.0):
            raise AudioError(
                f"wav_lens[{i}]",
                f"relative length {share} of {name} is outside (0, 1]",
                "give the share of the row that is real samples, e.g. "
                "pad_waveforms(...)[1]",
            )
        real = wavs[i, : max(1, min(time, round(share * time)))]
        if not torch.isfinite(real).all():
            raise AudioError(name, "contains NaN or infinite samples")
        seconds = round(share * time) / sample_rate
        if seconds < min_duration:
            raise AudioError(
                name,
                f"too short ({seconds:.3f} s; at least {min_duration} s of audio "
                "is needed)",
            )
        if real.abs().max() < SILENCE_PEAK:
            raise AudioError(
                name,
                "contains no signal (digital silence)",
                "check the microphone or the file",
            )
    return wavs, wav_lens


_INTEGER_PCM = {torch.int16: 32768.0, torch.int32: 2147483648.0}


class SpeechCheck(NamedTuple):
    """What :class:`SpeechGate` found in one clip."""

    #: Whether the clip holds speech.
    speech: bool
    #: Seconds of speech found (a streaming detector stops at enough).
    seconds: float
    #: Why it is not speech (None when it is).
    reason: str | None = None


class SpeechGate:
    """Decides whether a clip holds speech at all, before it is classified.

    A clip passes when its speech detector finds at least ``min_speech``
    seconds of speech, or ``min_share`` of the clip for clips shorter than
    ``min_speech / min_share``. Noise, a constant (DC) signal, tones and
    square waves have none: Silero VAD gives them speech probabilities
    under 0.05. Generated (espeak) speech of the embedded corpus passes at
    0 dB and at -20 dB (at least 0.38 s found in every clip:
    tests/inference/test_bad_input.py).

    With the energy fallback (no ``silero-vad`` package), any loud sound
    counts as speech: the gate then only refuses near-silence.

    Arguments
    ---------
    sample_rate : int
        The rate of the clips.
    min_speech : float
        Seconds of speech a clip needs.
    min_share : float
        The share of a short clip that is enough.
    vad : EnergyVAD, optional
        The detector (default: :func:`default_vad`, made on first use).

    Example
    -------
    >>> gate = SpeechGate(16000)
    >>> noise = 0.3 * torch.randn(16000, generator=torch.Generator().manual_seed(0))
    >>> gate(noise)  # doctest: +NORMALIZE_WHITESPACE
    SpeechCheck(speech=False, seconds=0.0,
                reason='no speech detected (0.000 s of speech; 0.200 s needed)')
    """

    def __init__(
        self,
        sample_rate: int = 16000,
        min_speech: float = 0.2,
        min_share: float = 0.25,
        vad: EnergyVAD | None = None,
    ):
        if not (min_speech > 0 and 0 < min_share <= 1):
            raise ValueError(
                f"min_speech must be > 0 s and min_share in (0, 1], got "
                f"{min_speech}, {min_share}"
            )
        self.sample_rate = sample_rate
        self.min_speech = min_speech
        self.min_share = min_share
        self._vad = vad

    @property
    def vad(self) -> EnergyVAD:
        """The speech detector."""
        if self._vad is None:
            self._vad = default_vad(sample_rate=self.sample_rate)
        return self._vad

    def __call__(self, wav: torch.Tensor) -> SpeechCheck:
        """Checks one ``(time,)`` clip at :attr:`sample_rate`.

        A detector that streams (Silero VAD) stops once it has found enough
        speech: ``seconds`` is then the speech found so far.
        """
        wav = wav.detach().float().cpu()
        wav = wav - wav.mean()  # a DC offset is no speech
        hop = self.vad.hop / self.sample_rate
        needed = min(self.min_speech, self.min_share * wav.numel() / self.sample_rate)
        if isinstance(self.vad, SileroVAD):
            state, count = self.vad.init_state(), 0
            for block in wav.split(self.sample_rate // 2):
                probs, state = self.vad.step(block, state)
                count += int((probs > self.vad.threshold).sum())
                if count * hop + 1e-9 >= needed:
                    return SpeechCheck(True, round(count * hop, 3))
            seconds = round(count * hop, 3)
        else:
            seconds = round(float(self.vad.speech_frames(wav).sum()) * hop, 3)
        return self._decide(seconds, needed)

    def _decide(self, seconds: float, needed: float) -> SpeechCheck:
        if seconds + 1e-9 >= needed and seconds > 0:
            return SpeechCheck(True, seconds)
        return SpeechCheck(
            False,
            seconds,
            f"no speech detected ({seconds:.3f} s of speech; {needed:.3f} s needed)",
        )

    def batch(self, wavs: torch.Tensor, wav_lens: torch.Tensor) -> list[SpeechCheck]:
        """Checks each row of a ``(batch, time)`` batch (its real samples only).

        The decisions of :meth:`__call__` on each row alone; with Silero VAD
        the rows go through the detector together (one model call per 32 ms
        window for the whole batch), and ``seconds`` is all the speech of the
        row (no early stop).
        """
        time = wavs.shape[1]
        sizes = [max(1, round(float(n) * time)) for n in wav_lens]
        if not isinstance(self.vad, SileroVAD):
            return [self(wavs[i, :n]) for i, n in enumerate(sizes)]
        wavs = wavs.detach().float().cpu()[:, : max(sizes)].clone()
        for i, n in enumerate(sizes):  # each row's DC offset, then its padding
            wavs[i, :n] -= wavs[i, :n].mean()
            wavs[i, n:] = 0.0
        speech = self.vad.batch_probabilities(wavs) > self.vad.threshold
        hop = self.vad.hop / self.sample_rate
        found = []
        for i, n in enumerate(sizes):
            at_model_rate = math.ceil(n * self.vad.model_rate / self.sample_rate)
            windows = -(-at_model_rate // self.vad.window)  # the last one padded
            seconds = round(float(speech[i, :windows].sum()) * hop, 3)
            needed = min(self.min_speech, self.min_share * n / self.sample_rate)
            found.append(self._decide(seconds, needed))
        return found


def narrowband(wav: torch.Tensor, sample_rate: int) -> bool:
    """Whether a waveform has (almost) no energy above :data:`NARROWBAND_HZ`.

    True for telephone-band audio, e.g. an 8 kHz recording resampled to
    16 kHz: the model was trained on wideband speech and its answers on such
    audio are not to be trusted.

    Arguments
    ---------
    wav : torch.Tensor
        ``(time,)`` waveform.
    sample_rate : int
        Its rate.

    Returns
    -------
    bool

    Example
    -------
    >>> import torchaudio
    >>> noise = torch.randn(16000, generator=torch.Generator().manual_seed(0))
    >>> narrowband(noise, 16000)
    False
    >>> phone = torchaudio.functional.resample(
    ...     torchaudio.functional.resample(noise, 16000, 8000), 8000, 16000)
    >>> narrowband(phone, 16000)
    True
    """
    if sample_rate <= 2 * NARROWBAND_HZ:
        return True
    wav = wav.detach().float().cpu()
    power = torch.fft.rfft(wav - wav.mean()).abs().pow(2)
    freqs = torch.fft.rfftfreq(wav.numel(), 1.0 / sample_rate)
    # Resamplers roll off slowly above their cut-off: the band checked starts
    # a quarter above it.
    high = float(power[freqs > NARROWBAND_HZ * 1.25].sum())
    low = float(power[(freqs > 100.0) & (freqs < NARROWBAND_HZ)].sum())
    return low > 0 and high < NARROWBAND_RATIO * low


def recording_warnings(
    path: str | os.PathLike,
    file_rate: int,
    wav: torch.Tensor | None,
    sample_rate: int,
    frames: int | None = None,
    local: str | os.PathLike | None = None,
) -> list[str]:
    """Warnings about a readable file the model may still misjudge.

    Arguments
    ---------
    path : str or os.PathLike
        The file (named in each warning).
    file_rate : int
        Its own sample rate.
    wav : torch.Tensor, optional
        Its ``(time,)`` samples at ``sample_rate`` (the band check is skipped
        without them).
    sample_rate : int
        The model's rate.
    frames : int, optional
        The frames soundfile reads (compared with what a WAV header
        announces).
    local : str or os.PathLike, optional
        The file on disk, when ``path`` is another name for it (a Hub path).

    Returns
    -------
    list of str
        One line per warning, each naming the file; empty when all is well.
    """
    name = os.fsdecode(path)
    out = []
    if file_rate < sample_rate and file_rate <= 2 * NARROWBAND_HZ:
        out.append(
            f"{name}: narrowband audio (recorded at {file_rate} Hz; the model "
            f"was trained on {sample_rate} Hz wideband speech): the answer may "
            "be wrong"
        )
    elif wav is not None and wav.numel() >= 512 and narrowband(wav, sample_rate):
        out.append(
            f"{name}: narrowband audio (no energy above {NARROWBAND_HZ / 1000:g} "
            "kHz, e.g. telephone audio resampled up; the model was trained on "
            "wideband speech): the answer may be wrong"
        )
    declared = wav_declared_frames(path if local is None else local)
    if frames is not None and declared is not None and declared > frames:
        out.append(
            f"{name}: truncated file (its header announces {declared / file_rate:.2f}"
            f" s, it holds {frames / file_rate:.2f} s): only what is there is "
            "classified"
        )
    return out


def positive_seconds(value: float, what: str) -> float:
    """``value`` as a positive finite float, or one ValueError naming ``what``.

    Example
    -------
    >>> positive_seconds(1.5, "window")
    1.5
    >>> positive_seconds(float("nan"), "hop")
    Traceback (most recent call last):
    ...
    ValueError: hop must be a positive number of seconds, got nan
    """
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{what} must be a number, got {value!r}") from None
    if not math.isfinite(number) or number <= 0:
        raise ValueError(f"{what} must be a positive number of seconds, got {value}")
    return number
