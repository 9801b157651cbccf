r"""Prosodic and spectral functionals of an utterance: the classic SER features.

A classic speech emotion system describes an utterance by *functionals*
(statistics over frames) of its prosody and spectral balance, eGeMAPS-like:
F0 level, range and slopes, loudness, jitter- and shimmer-like changes, HNR,
alpha ratio, Hammarberg index, spectral slopes, MFCC 1-12, voicing, rate and
pauses. :class:`ProsodicFunctionals` computes such a set from a waveform with
numpy and torchaudio alone (no openSMILE, whose licence forbids commercial
use); :class:`LevelInvariant` keeps the ones a recording's gain does not move.

They are what the late fusion of the emotion model reads
(:class:`speechbrain_lstm_ser.nnet.fusion.FunctionalsFusion`), and what the
classic baseline of ``bench.classic`` classifies.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
import torchaudio

from speechbrain_lstm_ser.nnet.features import ProsodyFeatures

__all__ = ["F0_TRACKERS", "LEVEL_DEPENDENT", "LevelInvariant", "ProsodicFunctionals"]

#: The F0 trackers of :class:`ProsodicFunctionals`.
F0_TRACKERS = ("autocorrelation", "yin")


def _stats(values: np.ndarray, prefix: str, which: Sequence[str]) -> dict:
    """Named statistics of ``values`` (0 for each when there are none)."""
    if values.size == 0:
        return {f"{prefix}_{w}": 0.0 for w in which}
    p20, p50, p80 = np.percentile(values, [20, 50, 80])
    every = {
        "mean": values.mean(),
        "std": values.std(),
        "p20": p20,
        "p50": p50,
        "p80": p80,
        "range2080": p80 - p20,
    }
    return {f"{prefix}_{w}": float(every[w]) for w in which}


def _segments(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Lengths (frames) of the runs of True and of False in ``mask``."""
    if mask.size == 0:
        return np.zeros(0), np.zeros(0)
    edges = np.flatnonzero(np.diff(mask.astype(np.int8))) + 1
    runs = np.split(mask, edges)
    lengths = np.array([len(r) for r in runs])
    values = np.array([r[0] for r in runs])
    return lengths[values], lengths[~values]


class ProsodicFunctionals:
    """Prosodic and spectral functionals of an utterance, numpy and torchaudio only.

    An eGeMAPS-like set (F0, loudness, spectral balance, MFCCs, voicing,
    rate) for when openSMILE is not installed. The DC offset is removed
    first. Frames of 25 ms (F0: 40 ms) every 10 ms; speech frames are those
    within ``speech_db`` dB of the loudest frame, voiced frames the speech
    frames whose voicing strength exceeds ``voicing_threshold``. The HNR
    comes from the normalised autocorrelation peak (lags of ``f0_min`` to
    ``f0_max``, Boersma's window correction); F0 and the voicing strength
    from the ``f0_tracker``:

    - ``autocorrelation``: that peak's lag and height, frame by frame (the
      first tracker, kept for the models fitted with it);
    - ``yin``: :class:`~speechbrain_lstm_ser.nnet.features.ProsodyFeatures`'
      YIN with its octave guard and pYIN-like voicing probability, on the
      same frames, without its voicing gates. Its F0 percentiles separate
      the emotions far better (the autocorrelation peak's octave errors
      scatter them), but in babble it follows the other talkers' pitch:
      not the fusion's default (docs/performance.md, "Our functionals
      with the YIN tracker").

    Arguments
    ---------
    sample_rate : int
        Of the waveforms.
    f0_min, f0_max : float
        Pitch search range (Hz).
    voicing_threshold : float
        Normalised autocorrelation above which a frame is voiced.
    speech_db : float
        Frames more than this below the loudest are silence.
    n_mfcc : int
        MFCCs 1..n_mfcc (c0, the level, is left out).
    f0_tracker : str
        One of :data:`F0_TRACKERS`: where F0 and voicing come from.

    Example
    -------
    >>> t = torch.arange(16000) / 16000
    >>> wav = 0.3 * torch.sin(2 * torch.pi * 150 * t) * (t < 0.6)
    >>> extract = ProsodicFunctionals()
    >>> feats = extract(wav)
    >>> feats.shape == (len(extract.names),)
    True
    >>> f0 = feats[extract.names.index("f0_p50")]  # semitones from 27.5 Hz
    >>> round(float(27.5 * 2 ** (f0 / 12)))
    150
    """

    name = "functionals"

    def __init__(
        self,
        sample_rate: int = 16000,
        f0_min: float = 60.0,
        f0_max: float = 500.0,
        voicing_threshold: float = 0.45,
        speech_db: float = 40.0,
        n_mfcc: int = 12,
        f0_tracker: str = "autocorrelation",
    ):
        if f0_tracker not in F0_TRACKERS:
            raise ValueError(
                f"ProsodicFunctionals: f0_tracker {f0_tracker!r} is not one of "
                f"{list(F0_TRACKERS)}"
            )
        self.sample_rate = sample_rate
        self.f0_tracker = f0_tracker
        self.f0_min, self.f0_max = f0_min, f0_max
        self.voicing_threshold = voicing_threshold
        self.speech_db = speech_db
        self.n_mfcc = n_mfcc
        self.hop = sample_rate // 100
        self.win = int(0.025 * sample_rate)
        self.pitch_win = int(0.040 * sample_rate)
        self.n_fft = 512
        self.freqs = np.fft.rfftfreq(self.n_fft, 1 / sample_rate)
        mel = torchaudio.functional.melscale_fbanks(
            self.n_fft // 2 + 1, 20.0, sample_rate / 2, 40, sample_rate
        )
        dct = torchaudio.functional.create_dct(n_mfcc + 1, 40, "ortho")
        self.mel, self.dct = mel.double().numpy(), dct.double().numpy()
        self.yin = None
        if f0_tracker == "yin":
            self.name = "functionals-yin"
            self.yin = ProsodyFeatures(
                sample_rate,
                hop_length=1000.0 * self.hop / sample_rate,
                win_length=1000.0 * self.pitch_win / sample_rate,
                f0_min=f0_min,
                f0_max=f0_max,
            )
        self.names = list(self._features(np.zeros(sample_rate)).keys())

    @property
    def config(self) -> str:
        """What determines the features (for caches)."""
        config = (
            self.name,
            self.sample_rate,
            self.f0_min,
            self.f0_max,
            self.voicing_threshold,
            self.speech_db,
            self.n_mfcc,
        )
        # the first tracker's configuration as it always was (cached files)
        return repr(config if self.yin is None else (*config, self.f0_tracker))

    def _frames(self, x: np.ndarray, size: int) -> np.ndarray:
        """``(frames, size)`` windows centred every ``hop`` samples."""
        padded = np.pad(x, (size // 2, size // 2))
        view = np.lib.stride_tricks.sliding_window_view(padded, size)
        return view[:: self.hop][: len(x) // self.hop + 1]

    def _pitch(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """F0 (Hz), voicing strength and autocorrelation peak of each frame."""
        f0, peak = self._autocorrelation_pitch(x)
        if self.yin is None:
            return f0, peak, peak
        with torch.no_grad():
            yin = self.yin(torch.from_numpy(x).float()[None])[0].double().numpy()
        n = min(len(f0), len(yin))
        return np.exp(yin[:n, 0]), yin[:n, 1], peak[:n]

    def _autocorrelation_pitch(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """F0 (Hz) and normalised autocorrelation peak of each frame."""
        frames = self._frames(x, self.pitch_win)
        window = np.hanning(self.pitch_win)
        n_fft = 1 << (2 * self.pitch_win - 1).bit_length()

        def autocorr(signal):
            spectrum = np.fft.rfft(signal, n_fft)
            return np.fft.irfft(spectrum * spectrum.conj(), n_fft)[
                ..., : self.pitch_win
            ]

        r_x = autocorr(frames * window)
        r_w = autocorr(window)
        norm = r_x / np.maximum(r_x[:, :1], 1e-20) / np.maximum(r_w / r_w[0], 1e-3)
        low = int(self.sample_rate / self.f0_max)
        high = min(int(self.sample_rate / self.f0_min), self.pitch_win // 2)
        band = norm[:, low : high + 1]
        best = band.argmax(axis=1)
        strength = band[np.arange(len(band)), best]
        # parabolic interpolation of the peak
        left = band[np.arange(len(band)), np.maximum(best - 1, 0)]
        right = band[np.arange(len(band)), np.minimum(best + 1, band.shape[1] - 1)]
        curve = left - 2 * strength + right
        shift = np.where(curve < 0, 0.5 * (left - right) / np.minimum(curve, -1e-12), 0)
        lag = low + best + np.clip(shift, -0.5, 0.5)
        return self.sample_rate / lag, strength

    def _features(self, x: np.ndarray) -> dict[str, float]:
        x = x.astype(np.float64) - x.mean()
        frames = self._frames(x, self.win) * np.hanning(self.win)
        power = np.abs(np.fft.rfft(frames, self.n_fft)) ** 2 + 1e-12
        level = 10 * np.log10(power.mean(axis=1))  # dB, frame loudness
        speech = level > level.max() - self.speech_db
        f0, strength, peak = self._pitch(x)
        n = min(len(f0), len(level))
        f0, strength, peak, speech = f0[:n], strength[:n], peak[:n], speech[:n]
        voiced = speech & (strength > self.voicing_threshold)
        unvoiced = speech & ~voiced
        seconds = len(x) / self.sample_rate
        semitones = 12 * np.log2(f0[voiced] / 27.5)
        feats: dict[str, float] = {}
        every = ("mean", "std", "p20", "p50", "p80", "range2080")
        feats.update(_stats(semitones, "f0", every))
        # F0 slopes (semitones / s) and jitter-like frame-to-frame changes
        both = voiced[1:] & voiced[:-1]
        steps = np.diff(12 * np.log2(f0[:n] / 27.5))[both]
        steps = steps[np.abs(steps) < 3] * 100  # octave jumps are tracking errors
        feats.update(_stats(steps[steps > 0], "f0_rising", ("mean", "std")))
        feats.update(_stats(-steps[steps < 0], "f0_falling", ("mean", "std")))
        feats.update(_stats(np.abs(steps) / 100, "f0_jitter", ("mean",)))
        loud = level[:n]
        feats.update(_stats(loud[speech], "loudness", every))
        feats.update(_stats(np.abs(np.diff(loud)[both]), "shimmer_db", ("mean",)))
        hnr = 10 * np.log10(
            np.clip(peak[voiced], 1e-3, 0.999)
            / (1 - np.clip(peak[voiced], 1e-3, 0.999))
        )
        feats.update(_stats(hnr, "hnr", ("mean", "std")))
        # spectral balance
        spec = power[:n]
        band = lambda lo, hi: (self.freqs >= lo) & (self.freqs < hi)  # noqa: E731
        alpha = 10 * np.log10(
            spec[:, band(50, 1000)].sum(1) / spec[:, band(1000, 5000)].sum(1)
        )
        hammarberg = 10 * np.log10(
            spec[:, band(0, 2000)].max(1) / spec[:, band(2000, 5000)].max(1)
        )
        db = 10 * np.log10(spec)

        def slope(lo, hi):
            mask = band(lo, hi)
            f = self.freqs[mask] - self.freqs[mask].mean()
            return (db[:, mask] - db[:, mask].mean(1, keepdims=True)) @ f / (f @ f)

        centroid = (spec * self.freqs).sum(1) / spec.sum(1)
        normed = spec / spec.sum(1, keepdims=True)
        flux = np.r_[0.0, ((np.diff(normed, axis=0)) ** 2).sum(1)]
        for name, values in {
            "alpha_ratio": alpha,
            "hammarberg": hammarberg,
            "slope0_500": slope(0, 500) * 1000,
            "slope500_1500": slope(500, 1500) * 1000,
            "centroid": centroid / 1000,
            "flux": flux * 100,
        }.items():
            feats.update(_stats(values[voiced], f"{name}_voiced", ("mean", "std")))
            feats.update(_stats(values[unvoiced], f"{name}_unvoiced", ("mean",)))
        mfcc = np.log(spec @ self.mel + 1e-10) @ self.dct
        for i in range(1, self.n_mfcc + 1):
            feats.update(_stats(mfcc[speech, i], f"mfcc{i}", ("mean", "std")))
        # voicing, rate and pauses
        voiced_runs, unvoiced_runs = _segments(voiced[speech.argmax() :])
        peaks = (loud[1:-1] > loud[:-2]) & (loud[1:-1] >= loud[2:]) & speech[1:-1]
        feats.update(
            {
                "voiced_ratio": float(voiced.sum() / max(speech.sum(), 1)),
                "voiced_segments_per_s": len(voiced_runs) / seconds,
                "loudness_peaks_per_s": float(peaks.sum()) / seconds,
                "speech_seconds": float(speech.sum()) / 100,
            }
        )
        feats.update(_stats(voiced_runs / 100, "voiced_segment_s", ("mean", "std")))
        feats.update(_stats(unvoiced_runs / 100, "pause_s", ("mean", "std")))
        return feats

    def __call__(self, wav: torch.Tensor) -> np.ndarray:
        """``(time,)`` waveform -> ``(features,)``."""
        return np.array(list(self._features(wav.double().numpy()).values()))


#: Name parts of the functionals a gain moves: loudness and sound level (and
#: their rates, conservatively) and spectral flux (a difference of magnitudes).
LEVEL_DEPENDENT = ("loudness", "equivalentsoundlevel", "flux")


class LevelInvariant:
    """The functionals of another extractor that a recording's gain leaves alone.

    Every functional whose name contains one of :data:`LEVEL_DEPENDENT`
    (case-insensitive) is left out; F0, voicing, rate, spectral balance and
    shape (alpha ratio, Hammarberg index, slopes, MFCC 1-n without c0),
    jitter, shimmer in dB and HNR remain.

    Arguments
    ---------
    extractor : ProsodicFunctionals or EGeMAPSFunctionals
        Anything with ``name``, ``names``, ``config`` and ``__call__``.

    Example
    -------
    >>> full = ProsodicFunctionals()
    >>> kept = LevelInvariant(full)
    >>> "loudness_mean" in kept.names, "f0_mean" in kept.names, kept.name
    (False, True, 'functionals, level-invariant')
    >>> t = torch.arange(16000) / 16000
    >>> noise = 0.01 * torch.randn(16000, generator=torch.Generator().manual_seed(0))
    >>> wav = 0.3 * torch.sin(2 * torch.pi * 150 * t) * (t < 0.6) + noise
    >>> bool(np.allclose(kept(wav), kept(0.1 * wav), atol=1e-3))  # -20 dB
    True
    >>> bool(np.allclose(full(wav), full(0.1 * wav), atol=1e-3))  # loudness moves
    False
    """

    def __init__(self, extractor):
        self.extractor = extractor
        self.keep = [
            i
            for i, n in enumerate(extractor.names)
            if not any(part in n.lower() for part in LEVEL_DEPENDENT)
        ]
        self.names = [extractor.names[i] for i in self.keep]
        self.name = f"{extractor.name}, level-invariant"
        self.config = repr((self.name, extractor.config))

    def __call__(self, wav: torch.Tensor) -> np.ndarray:
        """``(time,)`` waveform -> ``(len(names),)``."""
        return self.extractor(wav)[self.keep]
