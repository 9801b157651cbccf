r"""Corrupted test conditions: noise, rooms, telephone band, lossy codecs.

Each condition turns the test waveforms into corrupted ones, deterministically
(every random draw comes from a generator seeded by the condition's seed and
the utterance's position), so two runs see the same corrupted test set:

- **additive noise** (:class:`NoiseCondition`) at an exact SNR, measured over
  the utterance's whole length (speech power over noise power, silences
  included): ``white`` (flat spectrum), ``pink`` (1/f power spectrum) and
  ``babble``, a sum of utterances of *other speakers of the evaluated set*
  (:func:`babble_noise`; on a test split these are test speakers, never
  training ones);
- **reverberation** (:class:`ReverbCondition`): the waveform convolved with
  a simulated room impulse response, :func:`room_impulse_response`, after
  Polack's statistical model: a direct path followed by Gaussian noise
  whose envelope decays by 60 dB in the target RT60 (frequency-independent
  decay; no early reflections geometry, no image sources). Its RT60 is
  checked by Schroeder's backward integration (:func:`schroeder_rt60`);
- **telephone band** (:class:`TelephoneCondition`): resampled to 8 kHz,
  band-passed to 300-3400 Hz, coded with G.711 μ-law or GSM 06.10 by
  libsndfile in memory, and resampled back;
- **lossy compression** (:class:`CodecCondition`): Opus or MP3 at their
  lowest quality setting in libsndfile, in memory (no external binaries).

:data:`CONDITION_GROUPS` names the groups ``sb-lstm-ser robustness
--conditions`` selects; :func:`build_conditions` builds them for
:func:`~speechbrain_lstm_ser.evaluation.robustness.gain_robustness`.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import io
import math  # noqa: F401  (the doctests use it)
import zlib
from collections.abc import Sequence
from functools import partial  # noqa: F401  (the doctests use it)

import numpy as np
import soundfile as sf
import torch
from scipy.signal import butter, fftconvolve, sosfiltfilt

from speechbrain_lstm_ser.dataio.audio import resample
from speechbrain_lstm_ser.dataio.synthetic.synthesis import colored_noise

__all__ = [
    "CONDITION_GROUPS",
    "CodecCondition",
    "NoiseCondition",
    "ReverbCondition",
    "TelephoneCondition",
    "add_noise_at_snr",
    "apply_condition",
    "babble_noise",
    "build_conditions",
    "codec_roundtrip",
    "pink_noise",
    "reverberate",
    "room_impulse_response",
    "schroeder_rt60",
    "telephone_channel",
]

#: The SNRs (dB) of every additive noise.
NOISE_SNRS = (20.0, 10.0, 5.0)
#: The reverberation times (s) of the simulated rooms.
ROOM_RT60S = (0.3, 0.6, 0.9)
#: The telephone codecs (libsndfile WAV subtypes at 8 kHz).
TELEPHONE_CODECS = {"μ-law": "ULAW", "GSM": "GSM610"}
#: The highest MP3 compression level this libsndfile accepts.
MP3_MAX_COMPRESSION = 0.99
#: The lossy codecs: name -> (libsndfile format, subtype, compression level).
LOSSY_CODECS = {
    "Opus": ("OGG", "OPUS", 1.0),
    "MP3": ("MP3", "MPEG_LAYER_III", MP3_MAX_COMPRESSION),
}


def _seed(seed: int, name: str) -> int:
    """A condition's own seed: the run's seed and the condition's name."""
    return zlib.crc32(f"{seed}:{name}".encode())


# ------------------------------------------------------------------ noise
def pink_noise(rng: np.random.Generator, n: int) -> np.ndarray:
    """Pink noise (power spectrum 1/f), unit RMS.

    The synthetic corpora's ``colored_noise(rng, n, "pink")`` (the same
    samples for the same generator).

    Arguments
    ---------
    rng : numpy.random.Generator
        Source of randomness.
    n : int
        Number of samples.

    Returns
    -------
    numpy.ndarray
        ``(n,)`` float64.

    Example
    -------
    >>> x = pink_noise(np.random.default_rng(0), 8000)
    >>> x.shape, round(float(np.sqrt(np.mean(x**2))), 3)
    ((8000,), 1.0)
    """
    return colored_noise(rng, n, "pink")


def add_noise_at_snr(
    wav: torch.Tensor, noise: np.ndarray | torch.Tensor, snr_db: float
) -> torch.Tensor:
    """``wav`` plus ``noise`` scaled to an exact SNR over the whole length.

    Arguments
    ---------
    wav : torch.Tensor
        ``(time,)`` waveform.
    noise : numpy.ndarray or torch.Tensor
        ``(time,)`` noise, any level (not silent).
    snr_db : float
        The ratio of the waveform's power to the added noise's, in dB.

    Returns
    -------
    torch.Tensor
        ``(time,)``, the dtype of ``wav``.

    Example
    -------
    >>> clean = torch.ones(100)
    >>> noisy = add_noise_at_snr(clean, np.resize([1.0, -1.0], 100), 20.0)
    >>> round(10 * math.log10(1 / float((noisy - clean).pow(2).mean())), 3)
    20.0
    """
    noise = torch.as_tensor(np.asarray(noise, dtype=np.float64))
    if noise.shape != wav.shape:
        raise ValueError(
            f"noise {tuple(noise.shape)} for a waveform {tuple(wav.shape)}"
        )
    signal_power = float(wav.double().pow(2).mean())
    noise_power = float(noise.pow(2).mean())
    if noise_power == 0.0:
        raise ValueError("the noise is silent")
    scale = np.sqrt(signal_power / (noise_power * 10.0 ** (snr_db / 10.0)))
    return (wav.double() + scale * noise).to(wav.dtype)


def babble_noise(
    wavs: Sequence[torch.Tensor],
    speakers: Sequence[str | None],
    index: int,
    talkers: int,
    rng: np.random.Generator,
) -> tuple[np.ndarray, list[int]]:
    """Babble for utterance ``index``: a sum of other speakers' utterances.

    Each talker is a different speaker from the target's (as many different
    ones as there are, then repeating), one of their utterances, at unit RMS,
    looped from a random offset to the target's length.

    Arguments
    ---------
    wavs : sequence of torch.Tensor
        The evaluated ``(time,)`` waveforms (the pool, target included).
    speakers : sequence of str or None
        The speaker of each waveform; None for one that holds no speech
        (a commands test split's background-noise "silence" clips): never a
        talker.
    index : int
        The target utterance.
    talkers : int
        How many utterances are summed.
    rng : numpy.random.Generator
        Source of randomness.

    Returns
    -------
    noise : numpy.ndarray
        ``(time,)`` of the target.
    chosen : list of int
        The indices of the utterances summed.

    Example
    -------
    >>> wavs = [torch.ones(4) * k for k in (1, 2, 3, 4)]
    >>> noise, chosen = babble_noise(
    ...     wavs, ["a", "a", "b", "c"], 0, 2, np.random.default_rng(0)
    ... )
    >>> sorted(chosen), noise.shape
    ([2, 3], (4,))
    """
    if len(wavs) != len(speakers):
        raise ValueError(f"{len(wavs)} waveforms for {len(speakers)} speakers")
    target = speakers[index]
    others: dict[str, list[int]] = {}
    for i, spk in enumerate(speakers):
        if spk is not None and spk != target:
            others.setdefault(spk, []).append(i)
    if not others:
        raise ValueError(
            "babble needs utterances of other speakers than the target's "
            f"({target!r}): the evaluated set has one speaker (is spk_id set?)"
        )
    names = sorted(others)
    order = [names[i] for i in rng.permutation(len(names))]
    n = len(wavs[index])
    noise = np.zeros(n)
    chosen = []
    for t in range(talkers):
        pool = others[order[t % len(order)]]
        pick = pool[int(rng.integers(len(pool)))]
        chosen.append(pick)
        source = wavs[pick].double().numpy()
        source = source / (np.sqrt(np.mean(source**2)) + 1e-12)
        offset = int(rng.integers(len(source)))
        noise += np.resize(np.roll(source, -offset), n)
    return noise, chosen


class NoiseCondition:
    """Additive ``white``, ``pink`` or ``babble`` noise at an exact SNR.

    Arguments
    ---------
    kind : str
        ``white``, ``pink`` or ``babble``.
    snr_db : float
        Speech-to-noise ratio over the utterance, in dB.
    seed : int
        Seed of the noise; utterance ``i`` draws from ``[seed, i]``.
    speakers : sequence of str or None, optional
        The speaker of each evaluated waveform (babble only: its talkers
        are the other speakers of the evaluated set; None: no talker).
    talkers : int
        Utterances summed into the babble.

    Example
    -------
    >>> cond = NoiseCondition("white", 10.0, seed=1)
    >>> noisy = cond.apply_all([torch.ones(1000)])[0]
    >>> round(10 * math.log10(1 / float((noisy - 1).pow(2).mean())), 2)
    10.0
    """

    KINDS = ("white", "pink", "babble")

    def __init__(
        self,
        kind: str,
        snr_db: float,
        seed: int = 0,
        speakers: Sequence[str | None] | None = None,
        talkers: int = 4,
    ):
        if kind not in self.KINDS:
            raise ValueError(f"noise kind {kind!r} is not one of {self.KINDS}")
        if kind == "babble" and speakers is None:
            raise ValueError("babble noise needs the speaker of every waveform")
        self.kind, self.snr_db, self.seed = kind, snr_db, seed
        self.speakers = None if speakers is None else list(speakers)
        self.talkers = talkers
        #: The utterances each babble was made of (filled by apply_all).
        self.babble_sources: list[list[int]] = []

    def apply_all(self, wavs: Sequence[torch.Tensor]) -> list[torch.Tensor]:
        """The waveforms with their noise (the ``i``-th seeded by ``i``)."""
        out = []
        self.babble_sources = []
        for i, wav in enumerate(wavs):
            rng = np.random.default_rng([self.seed, i])
            if self.kind == "white":
                noise = rng.standard_normal(len(wav))
            elif self.kind == "pink":
                noise = pink_noise(rng, len(wav))
            else:
                noise, chosen = babble_noise(wavs, self.speakers, i, self.talkers, rng)
                self.babble_sources.append(chosen)
            out.append(add_noise_at_snr(wav, noise, self.snr_db))
        return out


# ------------------------------------------------------------------ rooms
def room_impulse_response(
    rt60: float,
    sample_rate: int,
    rng: np.random.Generator,
    drr_db: float = 0.0,
    predelay: float = 0.002,
) -> np.ndarray:
    """A simulated room impulse response (Polack's exponential-noise model).

    A unit direct path, then after ``predelay`` a Gaussian noise tail whose
    amplitude envelope is ``exp(-3 ln(10) t / rt60)`` (60 dB of energy decay
    in ``rt60`` seconds), scaled to the direct-to-reverberant ratio
    ``drr_db``; the whole response has unit energy (the reverberated speech
    keeps about its level). Length ``1.5 * rt60``. The decay is the same at
    every frequency.

    Arguments
    ---------
    rt60 : float
        Reverberation time in seconds (> 0).
    sample_rate : int
        Of the response.
    rng : numpy.random.Generator
        Source of the tail's noise.
    drr_db : float
        Energy of the direct path over the tail's, in dB.
    predelay : float
        Seconds between the direct path and the tail's start.

    Returns
    -------
    numpy.ndarray
        ``(samples,)`` float64.

    Example
    -------
    >>> h = room_impulse_response(0.5, 16000, np.random.default_rng(0))
    >>> len(h), round(float(np.sum(h**2)), 6), round(schroeder_rt60(h, 16000), 1)
    (12000, 1.0, 0.5)
    """
    if rt60 <= 0:
        raise ValueError(f"rt60 must be positive, got {rt60}")
    n = int(round(1.5 * rt60 * sample_rate))
    start = max(1, int(round(predelay * sample_rate)))
    t = np.arange(n - start) / sample_rate
    tail = rng.standard_normal(n - start) * np.exp(-3.0 * np.log(10.0) * t / rt60)
    tail *= np.sqrt(10.0 ** (-drr_db / 10.0) / np.sum(tail**2))
    h = np.zeros(n)
    h[0] = 1.0
    h[start:] = tail
    return h / np.sqrt(np.sum(h**2))


def schroeder_rt60(
    h: np.ndarray, sample_rate: int, fit_db: tuple[float, float] = (-5.0, -25.0)
) -> float:
    """RT60 of an impulse response by Schroeder's backward integration.

    The energy decay curve ``EDC(t) = sum_{s >= t} h(s)^2`` in dB is fitted
    by a line between ``fit_db`` (T20 by default) and extrapolated to -60 dB.

    Arguments
    ---------
    h : numpy.ndarray
        ``(samples,)`` impulse response.
    sample_rate : int
        Its sample rate.
    fit_db : tuple of float
        The EDC levels (dB, from 0) the line is fitted between.

    Returns
    -------
    float
        Seconds.

    Example
    -------
    >>> t = np.arange(8000) / 8000
    >>> round(schroeder_rt60(np.exp(-3 * np.log(10) * t / 0.4), 8000), 2)
    0.4
    """
    energy = np.cumsum(np.asarray(h, dtype=np.float64)[::-1] ** 2)[::-1]
    edc = 10.0 * np.log10(energy / energy[0] + 1e-300)
    hi, lo = fit_db
    region = np.nonzero((edc <= hi) & (edc >= lo))[0]
    if len(region) < 2:
        raise ValueError(f"the decay never spans {hi} to {lo} dB")
    slope = np.polyfit(region / sample_rate, edc[region], 1)[0]
    return float(-60.0 / slope)


def reverberate(wav: torch.Tensor, response: np.ndarray) -> torch.Tensor:
    """``wav`` convolved with a room's impulse ``response``, cut to its length.

    Arguments
    ---------
    wav : torch.Tensor
        ``(time,)`` waveform.
    response : numpy.ndarray
        ``(samples,)`` impulse response (e.g. :func:`room_impulse_response`).

    Returns
    -------
    torch.Tensor
        ``(time,)``, the dtype of ``wav``.

    Example
    -------
    >>> reverberate(torch.tensor([1.0, 0.0, 0.0]), np.array([0.5, 0.25]))
    tensor([0.5000, 0.2500, 0.0000])
    """
    wet = fftconvolve(wav.double().numpy(), response)[: len(wav)]
    return torch.from_numpy(wet).to(wav.dtype)


class ReverbCondition:
    """Each waveform in a simulated room of the given RT60.

    Utterance ``i`` gets its own response (seeded by ``[seed, i]``) of the
    same RT60 and direct-to-reverberant ratio; the output keeps the input's
    length (the tail past the end is cut).

    Arguments
    ---------
    rt60 : float
        Seconds.
    sample_rate : int
        Of the waveforms.
    seed : int
        Seed of the responses.
    drr_db : float
        Direct-to-reverberant ratio, dB.

    Example
    -------
    >>> out = ReverbCondition(0.3, 8000, seed=0).apply_all([torch.ones(400)])
    >>> out[0].shape
    torch.Size([400])
    """

    def __init__(
        self, rt60: float, sample_rate: int, seed: int = 0, drr_db: float = 0.0
    ):
        self.rt60, self.sample_rate, self.seed, self.drr_db = (
            rt60,
            sample_rate,
            seed,
            drr_db,
        )

    def apply_all(self, wavs: Sequence[torch.Tensor]) -> list[torch.Tensor]:
        """The waveforms, reverberated."""
        out = []
        for i, wav in enumerate(wavs):
            h = room_impulse_response(
                self.rt60,
                self.sample_rate,
                np.random.default_rng([self.seed, i]),
                self.drr_db,
            )
            out.append(reverberate(wav, h))
        return out


# --------------------------------------------------------- codecs, phone
def codec_roundtrip(
    wav: np.ndarray,
    sample_rate: int,
    format: str,
    subtype: str,
    compression_level: float | None = None,
) -> tuple[np.ndarray, int]:
    """Encodes and decodes ``wav`` with libsndfile, in memory.

    Arguments
    ---------
    wav : numpy.ndarray
        ``(time,)`` samples in [-1, 1] (clipped to it).
    sample_rate : int
        Its sample rate (the codec's).
    format : str
        A ``soundfile`` format (``WAV``, ``OGG``, ``MP3``).
    subtype : str
        A ``soundfile`` subtype (``ULAW``, ``GSM610``, ``OPUS``, ...).
    compression_level : float, optional
        libsndfile's compression level in [0, 1] (1: smallest file).

    Returns
    -------
    decoded : numpy.ndarray
        ``(time,)`` float64, cut or zero-padded to the input's length.
    num_bytes : int
        The size of the encoded file.

    Example
    -------
    >>> x = np.sin(np.arange(8000) / 4) * 0.5
    >>> y, size = codec_roundtrip(x, 8000, "WAV", "ULAW")
    >>> len(y), size < 2 * 8000, float(np.max(np.abs(y - x))) < 0.02
    (8000, True, True)
    """
    if not sf.check_format(format, subtype):
        raise ValueError(
            f"this libsndfile ({sf.__libsndfile_version__}) cannot write "
            f"{format}/{subtype}"
        )
    buffer = io.BytesIO()
    kwargs = (
        {} if compression_level is None else {"compression_level": compression_level}
    )
    sf.write(
        buffer,
        np.clip(np.asarray(wav, dtype=np.float64), -1.0, 1.0),
        sample_rate,
        format=format,
        subtype=subtype,
        **kwargs,
    )
    size = len(buffer.getvalue())
    buffer.seek(0)
    decoded, _ = sf.read(buffer, dtype="float64", always_2d=False)
    out = np.zeros(len(wav))
    out[: min(len(wav), len(decoded))] = decoded[: len(wav)]
    return out, size


def telephone_channel(
    wav: torch.Tensor,
    sample_rate: int,
    subtype: str = "ULAW",
    band: tuple[float, float] = (300.0, 3400.0),
) -> torch.Tensor:
    """A narrowband telephone channel: 8 kHz, 300-3400 Hz, a telephone codec.

    Arguments
    ---------
    wav : torch.Tensor
        ``(time,)`` waveform.
    sample_rate : int
        Its rate (the output has the same).
    subtype : str
        ``ULAW`` (G.711 μ-law), ``ALAW`` or ``GSM610`` (GSM 06.10 full rate).
    band : tuple of float
        Pass band in Hz (4th-order Butterworth, zero phase).

    Returns
    -------
    torch.Tensor
        ``(time,)`` at ``sample_rate``, band-limited below 4 kHz (the
        resampler's images are removed by a 10th-order low pass at the band's
        top + 200 Hz).

    Example
    -------
    >>> out = telephone_channel(torch.randn(16000) * 0.1, 16000, "GSM610")
    >>> out.shape
    torch.Size([16000])
    """
    narrow = resample(wav.float(), sample_rate, 8000).double().numpy()
    sos = butter(4, band, btype="bandpass", fs=8000, output="sos")
    narrow = sosfiltfilt(sos, narrow)
    coded, _ = codec_roundtrip(narrow, 8000, "WAV", subtype)
    back = resample(torch.from_numpy(coded).float(), 8000, sample_rate)
    if sample_rate > 8000:  # the resampler's images of the codec's noise
        sos = butter(10, band[1] + 200.0, btype="lowpass", fs=sample_rate, output="sos")
        back = torch.from_numpy(sosfiltfilt(sos, back.double().numpy()).copy())
    out = torch.zeros(len(wav))
    out[: min(len(wav), len(back))] = back[: len(wav)]
    return out.to(wav.dtype)


class TelephoneCondition:
    """Every waveform through :func:`telephone_channel`.

    Example
    -------
    >>> TelephoneCondition(16000, "ULAW").apply_all([torch.zeros(800)])[0].shape
    torch.Size([800])
    """

    def __init__(self, sample_rate: int, subtype: str = "ULAW"):
        self.sample_rate, self.subtype = sample_rate, subtype

    def apply_all(self, wavs: Sequence[torch.Tensor]) -> list[torch.Tensor]:
        """The waveforms through the telephone channel."""
        return [telephone_channel(w, self.sample_rate, self.subtype) for w in wavs]


class CodecCondition:
    """Every waveform encoded and decoded by a lossy codec, in memory.

    Arguments
    ---------
    sample_rate : int
        Of the waveforms (and of the coded stream).
    format, subtype : str
        As for :func:`codec_roundtrip` (``OGG``/``OPUS``, ``MP3``/``MPEG_LAYER_III``).
    compression_level : float
        libsndfile's level in [0, 1].

    Example
    -------
    >>> cond = CodecCondition(16000, "OGG", "OPUS", 1.0)
    >>> out = cond.apply_all([torch.randn(16000) * 0.1])
    >>> out[0].shape, cond.kbps < 24
    (torch.Size([16000]), True)
    """

    def __init__(
        self, sample_rate: int, format: str, subtype: str, compression_level: float
    ):
        self.sample_rate, self.format, self.subtype = sample_rate, format, subtype
        self.compression_level = compression_level
        #: The realised bitrate of the last :meth:`apply_all`, kbit/s.
        self.kbps = float("nan")

    def apply_all(self, wavs: Sequence[torch.Tensor]) -> list[torch.Tensor]:
        """The waveforms, coded and decoded."""
        out, total_bytes, total_samples = [], 0, 0
        for wav in wavs:
            coded, size = codec_roundtrip(
                wav.double().numpy(),
                self.sample_rate,
                self.format,
                self.subtype,
                self.compression_level,
            )
            total_bytes += size
            total_samples += len(wav)
            out.append(torch.from_numpy(coded).to(wav.dtype))
        self.kbps = 8 * total_bytes / max(total_samples / self.sample_rate, 1e-9) / 1e3
        return out


# ----------------------------------------------------------------- groups
#: The corruption groups ``sb-lstm-ser robustness --conditions`` selects
#: (with ``gain``, the level and DC conditions of ``robustness``).
CONDITION_GROUPS = ("noise", "reverb", "telephone", "codec")


def build_conditions(
    groups: Sequence[str],
    sample_rate: int,
    speakers: Sequence[str] | None = None,
    seed: int = 0,
) -> dict:
    """The conditions of the selected corruption groups, in a fixed order.

    Arguments
    ---------
    groups : sequence of str
        Any of :data:`CONDITION_GROUPS`.
    sample_rate : int
        Of the evaluated waveforms.
    speakers : sequence of str, optional
        The speaker of each evaluated waveform (needed by ``noise``: babble).
    seed : int
        The seed of every random draw (each condition derives its own from it
        and its name).

    Returns
    -------
    dict
        Name -> an object whose ``apply_all(wavs)`` corrupts the whole set.

    Example
    -------
    >>> list(build_conditions(["reverb", "telephone"], 16000))
    ['room RT60 0.3 s', 'room RT60 0.6 s', 'room RT60 0.9 s', \
'telephone μ-law', 'telephone GSM']
    """
    unknown = [g for g in groups if g not in CONDITION_GROUPS]
    if unknown:
        raise ValueError(
            f"unknown condition group(s) {unknown}; choose among "
            f"{', '.join(CONDITION_GROUPS)}"
        )
    conditions: dict = {}
    if "noise" in groups:
        for kind in NoiseCondition.KINDS:
            for snr in NOISE_SNRS:
                name = f"{kind} noise {snr:g} dB"
                conditions[name] = NoiseCondition(
                    kind, snr, _seed(seed, name), speakers
                )
    if "reverb" in groups:
        for rt60 in ROOM_RT60S:
            name = f"room RT60 {rt60:g} s"
            conditions[name] = ReverbCondition(rt60, sample_rate, _seed(seed, name))
    if "telephone" in groups:
        for label, subtype in TELEPHONE_CODECS.items():
            conditions[f"telephone {label}"] = TelephoneCondition(sample_rate, subtype)
    if "codec" in groups:
        for label, (fmt, subtype, level) in LOSSY_CODECS.items():
            conditions[f"codec {label}"] = CodecCondition(
                sample_rate, fmt, subtype, level
            )
    return conditions


def apply_condition(condition, wavs: Sequence[torch.Tensor]) -> list[torch.Tensor]:
    """The waveforms under one condition (a per-waveform function or a set-wide one).

    Example
    -------
    >>> apply_condition(partial(torch.mul, other=2.0), [torch.ones(2)])
    [tensor([2., 2.])]
    """
    if hasattr(condition, "apply_all"):
        return list(condition.apply_all(list(wavs)))
    return [condition(w) for w in wavs]
