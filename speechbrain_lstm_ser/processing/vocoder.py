r"""An LPC vocoder that renders emotion prosody onto neutral speech.

The ``resynthesis`` validation domain (``dataio/synthetic/domains.py``)
renders the four emotion profiles a second way: espeak-ng speaks each sentence
at the speaker's own, neutral prosody, and this vocoder then imposes the
utterance's emotion as *global* changes of the whole contour, the way another
synthesizer's controls would (a duration stretch, a mean F0 and a pitch
spread), rather than through espeak-ng's own intonation and timing rules,
which the embedded corpus trains on. A model that learnt espeak-ng's frame-by-frame
rendering of each emotion rather than the utterance-level relations that
define the classes (rate, pitch level and range against the speaker) loses
accuracy here.

The vocoder is the classic source-filter one (Atal and Hanauer 1971): every
5 ms an all-pole envelope (linear prediction of the pre-emphasised signal,
Levinson-Durbin on a lag-windowed autocorrelation) and a gain; the F0 and
voicing of :class:`~speechbrain_lstm_ser.nnet.features.ProsodyFeatures` (YIN,
its log-F0 interpolated over unvoiced frames). Synthesis reads the frames at
the stretched rate and drives each frame's filter with a pulse train at the
new F0 (voiced) mixed with white noise (unvoiced) by the voicing probability.
It sounds buzzy, as such vocoders do: another timbre, the same words.

**What it is not**: a model of human emotional speech, nor a transformation
a model meets in the wild; it renders synthetic speech for validation only.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import scipy.linalg
import scipy.signal
import torch

from speechbrain_lstm_ser.nnet.features import ProsodyFeatures

__all__ = ["LPCFrames", "LPCVocoder", "ProsodyChange"]

#: Pre-emphasis of the analysis (and de-emphasis of the synthesis).
PRE_EMPHASIS = 0.97


@dataclasses.dataclass(frozen=True)
class ProsodyChange:
    """A global change of an utterance's prosody.

    Arguments
    ---------
    stretch : float
        Duration multiplier (> 1: slower).
    f0_scale : float
        Multiplier of the mean F0 of the voiced frames.
    range_scale : float
        Multiplier of each frame's log-F0 distance from that mean (0: a
        monotone at the mean; 1: the contour as it was).

    Example
    -------
    >>> ProsodyChange(stretch=1.2, f0_scale=0.9, range_scale=0.6).stretch
    1.2
    """

    stretch: float = 1.0
    f0_scale: float = 1.0
    range_scale: float = 1.0

    def __post_init__(self):
        if not (self.stretch > 0 and self.f0_scale > 0 and self.range_scale >= 0):
            raise ValueError(
                f"ProsodyChange: stretch and f0_scale must be positive and "
                f"range_scale non-negative, got {self}"
            )


@dataclasses.dataclass
class LPCFrames:
    """An utterance analysed by :meth:`LPCVocoder.analyse`, one row per 5 ms frame.

    Arguments
    ---------
    lpc : numpy.ndarray
        ``(frames, order + 1)`` all-pole filter coefficients, ``lpc[:, 0] == 1``.
    gain : numpy.ndarray
        ``(frames,)`` the prediction error's RMS: the excitation's level.
    log_f0 : numpy.ndarray
        ``(frames,)`` natural log of F0 in Hz, interpolated over unvoiced frames.
    voicing : numpy.ndarray
        ``(frames,)`` voicing probability in ``[0, 1]``.
    """

    lpc: np.ndarray
    gain: np.ndarray
    log_f0: np.ndarray
    voicing: np.ndarray


class LPCVocoder:
    """Analyses a waveform into LPC frames and resynthesises it with new prosody.

    Arguments
    ---------
    sample_rate : int
        Of the waveforms.
    hop_length : float
        Frame hop (ms).
    win_length : float
        Analysis window (ms) of the envelope.
    order : int, optional
        Linear prediction order (default ``sample_rate / 1000 + 2``).
    voicing_threshold : float
        Frames with a voicing probability at least this count towards the
        mean F0 that :class:`ProsodyChange` scales around.

    Example
    -------
    >>> t = np.arange(16000) / 16000
    >>> vowel = np.sin(2 * np.pi * 150 * t) + 0.5 * np.sin(2 * np.pi * 300 * t)
    >>> vocoder = LPCVocoder(16000)
    >>> frames = vocoder.analyse(0.1 * vowel)
    >>> round(float(np.exp(frames.log_f0[100])))  # Hz
    150
    >>> out = vocoder.synthesise(frames, ProsodyChange(stretch=1.5, f0_scale=1.2))
    >>> round(len(out) / 16000, 1)  # seconds
    1.5
    >>> round(float(np.exp(vocoder.analyse(out).log_f0[150])))
    180
    """

    def __init__(
        self,
        sample_rate: int,
        hop_length: float = 5.0,
        win_length: float = 30.0,
        order: int | None = None,
        voicing_threshold: float = 0.5,
    ):
        self.sample_rate = sample_rate
        self.hop = int(round(sample_rate * hop_length / 1000.0))
        self.order = order or sample_rate // 1000 + 2
        size = int(round(sample_rate * win_length / 1000.0))
        self.window = np.hanning(size + 1)[:-1]
        self.voicing_threshold = voicing_threshold
        # A Gaussian lag window: 60 Hz of smoothing keeps the envelope off
        # the harmonics of high voices.
        lags = np.arange(self.order + 1)
        self.lag_window = np.exp(-0.5 * (2 * math.pi * 60.0 * lags / sample_rate) ** 2)
        self.prosody = ProsodyFeatures(
            sample_rate=sample_rate, hop_length=hop_length, win_length=32
        )

    def analyse(self, wav: np.ndarray) -> LPCFrames:
        """The frames of a mono waveform (floats, any level).

        Arguments
        ---------
        wav : numpy.ndarray
            ``(samples,)``.

        Returns
        -------
        LPCFrames
            One frame per hop, centred on ``t * hop``.
        """
        with torch.no_grad():
            prosody = self.prosody(torch.as_tensor(wav, dtype=torch.float32)[None])
        log_f0, voicing = prosody[0, :, 0].double(), prosody[0, :, 1].double()
        emphasised = scipy.signal.lfilter([1.0, -PRE_EMPHASIS], [1.0], wav)
        half, size = len(self.window) // 2, len(self.window)
        padded = np.pad(emphasised, (half, half + self.hop))
        n_frames = len(log_f0)
        segments = (
            np.lib.stride_tricks.sliding_window_view(padded, size)[:: self.hop][
                :n_frames
            ]
            * self.window
        )
        spectrum = np.fft.rfft(segments, n=2 * size)
        autocorr = np.fft.irfft(np.abs(spectrum) ** 2, n=2 * size)
        autocorr = autocorr[:, : self.order + 1] * self.lag_window
        lpc = np.zeros((n_frames, self.order + 1))
        lpc[:, 0] = 1.0
        gain = np.zeros(n_frames)
        power = np.sum(self.window**2)
        for t, r in enumerate(autocorr):
            if r[0] <= 1e-12 * power:  # silence: no envelope, no excitation
                continue
            r = r.copy()
            r[0] *= 1.0 + 1e-4  # white-noise correction: a stable filter
            a = scipy.linalg.solve_toeplitz(r[: self.order], -r[1:])
            lpc[t, 1:] = a
            gain[t] = math.sqrt(max(r[0] + float(a @ r[1:]), 0.0) / power)
        return LPCFrames(lpc, gain, log_f0.numpy(), voicing.numpy())

    def synthesise(
        self, frames: LPCFrames, change: ProsodyChange, seed: int = 0
    ) -> np.ndarray:
        """A waveform from ``frames`` with the prosody changed.

        Arguments
        ---------
        frames : LPCFrames
            From :meth:`analyse`.
        change : ProsodyChange
            The duration, mean F0 and range to impose.
        seed : int
            Of the unvoiced excitation's noise.

        Returns
        -------
        numpy.ndarray
            ``(round(frames * stretch) * hop,)`` float64 samples, at the
            analysed signal's level only roughly (rescale as needed).
        """
        n_in = len(frames.gain)
        voiced = frames.voicing >= self.voicing_threshold
        mean = frames.log_f0[voiced].mean() if voiced.any() else frames.log_f0.mean()
        log_f0 = (
            mean
            + change.range_scale * (frames.log_f0 - mean)
            + math.log(change.f0_scale)
        )
        n_out = max(1, int(round(n_in * change.stretch)))
        source = np.arange(n_out) / change.stretch  # input frame of each output frame
        index = np.clip(np.round(source).astype(int), 0, n_in - 1)
        gain = np.interp(source, np.arange(n_in), frames.gain)
        # Per sample: F0 and voicing interpolated at its input frame position.
        position = np.arange(n_out * self.hop) / self.hop / change.stretch
        f0 = np.exp(np.interp(position, np.arange(n_in), log_f0))
        voicing = np.clip(np.interp(position, np.arange(n_in), frames.voicing), 0, 1)
        cycles = np.floor(np.cumsum(f0 / self.sample_rate))
        pulses = np.diff(cycles, prepend=0.0) > 0
        # A pulse of sqrt(period) every period: unit power, like the noise.
        voiced_part = pulses * np.sqrt(self.sample_rate / f0)
        noise = np.random.default_rng(seed).standard_normal(len(position))
        excitation = np.sqrt(voicing) * voiced_part + np.sqrt(1 - voicing) * noise
        out = np.zeros(len(position))
        state = np.zeros(self.order)
        for k in range(n_out):  # each frame's filter, the state carried over
            span = slice(k * self.hop, (k + 1) * self.hop)
            out[span], state = scipy.signal.lfilter(
                [gain[k]], frames.lpc[index[k]], excitation[span], zi=state
            )
        return scipy.signal.lfilter([1.0], [1.0, -PRE_EMPHASIS], out)
