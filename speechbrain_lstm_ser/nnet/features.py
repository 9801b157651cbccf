r"""Prosody beside the filterbanks: per-frame log-F0, voicing and log-energy.

:class:`ProsodyFeatures` turns waveforms into three channels per frame, on
exactly the frames of SpeechBrain's ``Fbank`` (same hop, same centred
windows, same count ``1 + time // hop``); :class:`FbankProsody` appends them
to the ``Fbank`` output, a drop-in ``compute_features`` for the task models::

    wavs (batch, time) -> (batch, frames, n_mels + 3)
        channels: n_mels log-mel filterbanks (dB), log-F0 (ln Hz),
                  voicing probability [0, 1], log-energy (dB)

The channels are additive in the domain where speakers differ: a speaker's
pitch baseline is an offset of log-F0, a gain an offset of the energy (in
dB, as the filterbanks), so mean subtraction per utterance or per speaker
removes them; a gain changes the energy channel only.

**Pitch tracker: YIN, ported to batched torch from librosa's ``yin``**
(de Cheveigné & Kawahara 2002; librosa 0.11, ISC licence, maintained): the
cumulative mean normalised difference (CMND) of each frame through FFTs, the
first trough under ``trough_threshold`` (else the global minimum) between
``f0_max`` and ``f0_min``, parabolic interpolation. Differences to librosa:
the frames are the ``Fbank``'s (centred on ``t * hop``), and no absolute
thresholds (librosa zeroes values under 1e-6, which makes quiet signals
lose their pitch): the result is gain invariant. Candidates measured
(``python -m bench.prosody``, numbers in ``docs/emotion.md``):

- ``torchaudio.functional.detect_pitch_frequency``: its own 10 ms frames
  that are not centred, no voicing output, integer lags only, a 30-frame
  median filter that shortens and shifts the track, a loop over every lag
  (slow), and an NCCF divided by the energies squared (not gain invariant).
  Many octave errors on speech; not usable as a feature.
- librosa ``pyin`` (HMM-smoothed YIN) and pyworld (WORLD's DIO / Harvest)
  are good references but numpy / C, one utterance at a time and far slower
  than a training step: used only as references in the measurement.
- This YIN port: batched, on any device, deterministic, a few times the
  cost of the ``Fbank`` (``python -m bench.prosody --speed_only``: 1.5x on
  an AMD EPYC, 3-5x on an Intel Xeon), and close to the references
  (gross pitch errors of 5 % against pyworld, 2 % against pyin on the
  embedded corpus).

**Voicing** has the form of pYIN's frame-level voicing probability (Mauch
& Dixon 2014, librosa's ``pyin`` before its HMM): the YIN threshold is drawn
from a Beta(``voicing_beta``) prior, and a frame is voiced for the
thresholds above its lowest CMND trough ``m``, so ``p = 1 - BetaCDF(m)``, in
closed form for integer parameters. pYIN's prior Beta(2, 18) (mean 0.1)
suits clean speech; on the embedded corpus (half of it noisy) voiced frames
have troughs up to ~0.4 (median 0.11) and unvoiced ones above ~0.6, noise
alone 0.6 to 0.8. The default Beta(5, 5) puts ``p = 0.5`` at ``m = 0.5``,
which gives the lowest voicing error against both references (Beta(2, 18):
0.40 against Harvest, Beta(5, 5): 0.14); noise and silence get ``p`` near 0.

**Unvoiced frames** carry log-F0 interpolated linearly between the
neighbouring voiced frames (held flat before the first and after the last),
as Kaldi's pitch features do, rather than 0: a speaker's pitch baseline then
remains one offset on every frame (a 0 would mix into every mean with the
voicing rate), and the LSTM sees no jump of ~5 units at each voicing
boundary; the voicing channel says which frames are measured. An utterance
with no voiced frame gets the geometric middle of ``f0_min`` and ``f0_max``.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import math

import torch
from speechbrain.lobes.features import Fbank
from speechbrain.utils.autocast import fwd_default_precision
from torch import nn

from speechbrain_lstm_ser.nnet.encoders import absolute_lengths
from speechbrain_lstm_ser.nnet.lengths import frame_quantile, stft_frame_count
from speechbrain_lstm_ser.nnet.spectral_floor import SpectralFloor, white_noise_shape

__all__ = ["FbankProsody", "ProsodyFeatures"]

#: Names of the channels :class:`ProsodyFeatures` returns, in order.
PROSODY_CHANNELS = ("log_f0", "voicing", "log_energy")


def _beta_survival(x: torch.Tensor, a: int, b: int) -> torch.Tensor:
    """``1 - BetaCDF(x; a, b)`` for integer ``a, b``, in closed form.

    ``I_x(a, b) = P(Binomial(a + b - 1, x) >= a)``, so the survival is the
    probability of fewer than ``a`` successes.
    """
    n = a + b - 1
    x = x.clamp(0.0, 1.0)
    terms = [math.comb(n, j) * x**j * (1.0 - x) ** (n - j) for j in range(a)]
    return torch.stack(terms).sum(0).clamp(0.0, 1.0)


def _lowpass(factor: int, taps_per_factor: int = 16) -> torch.Tensor:
    """A Blackman-windowed sinc low-pass for decimating by ``factor``.

    Odd length (zero phase around its centre), cut-off at 0.8 of the new
    Nyquist frequency, unit gain at DC.
    """
    if factor == 1:
        return torch.ones(1)
    n = taps_per_factor * factor + 1
    t = torch.arange(n, dtype=torch.float64) - (n - 1) / 2
    cutoff = 0.8 / factor  # of the old Nyquist frequency
    window = torch.blackman_window(n, periodic=False, dtype=torch.float64)
    taps = cutoff * torch.sinc(cutoff * t) * window
    return (taps / taps.sum()).float()


def _shifted_copies(taps: torch.Tensor, stride: int, copies: int = 16) -> torch.Tensor:
    """``copies`` of ``taps``, each ``stride`` further: ``(copies, 1, length)``.

    ``length = len(taps) + (copies - 1) * stride``.

    A ``conv1d`` with these as its output channels and a stride of ``copies *
    stride`` computes the outputs of the one-channel ``conv1d(x, taps,
    stride=stride)``, ``copies`` at each step, in a fraction of the time on
    the CPU (oneDNN is slow on a single output channel): the same products
    and sums, plus products with zero.

    Example
    -------
    >>> taps, x = torch.rand(1, 1, 5), torch.rand(1, 1, 64)
    >>> plain = nn.functional.conv1d(x, taps, stride=2)[0, 0]
    >>> weights = _shifted_copies(taps[0, 0], 2, copies=4)
    >>> copies = nn.functional.conv1d(nn.functional.pad(x, (0, 8)), weights, stride=8)
    >>> torch.allclose(copies[0].T.flatten()[: len(plain)], plain)
    True
    """
    length = len(taps) + (copies - 1) * stride
    out = taps.new_zeros(copies, 1, length)
    for j in range(copies):
        out[j, 0, j * stride : j * stride + len(taps)] = taps
    return out


def _zero_padding(wavs: torch.Tensor, lens: torch.Tensor) -> torch.Tensor:
    """A copy of ``(batch, time)`` ``wavs`` with the samples beyond ``lens`` zeroed.

    On the CPU row by row (a copy and a fill of each tail: a third of the
    time of a mask), elsewhere and in a captured graph by a mask.

    Example
    -------
    >>> _zero_padding(torch.ones(2, 4), torch.tensor([1.0, 0.5]))
    tensor([[1., 1., 1., 1.],
            [1., 1., 0., 0.]])
    """
    kept = torch.round(lens * wavs.shape[1])
    if wavs.device.type != "cpu" or _capturing_graph():
        samples = torch.arange(wavs.shape[1], device=wavs.device)
        return wavs * (samples < kept.unsqueeze(1)).float()
    out = wavs.clone()
    for row, count in enumerate(kept.long().tolist()):
        out[row, count:] = 0.0
    return out


def _capturing_graph() -> bool:
    """Whether the forward is being captured (``torch.export``, ONNX).

    :class:`ProsodyFeatures` then leaves out its shortcut for silent frames
    (data-dependent shapes): the general path gives the same values and has
    a static graph.
    """
    return torch.compiler.is_compiling() or torch.onnx.is_in_onnx_export()


class ProsodyFeatures(nn.Module):
    """Per-frame log-F0, voicing probability and log-energy on ``Fbank`` frames.

    Frame ``t`` is centred on sample ``t * hop`` of the waveform (zeros
    beyond both ends, as ``Fbank``'s centred STFT), so the output has the
    ``Fbank``'s ``1 + time // hop`` frames, aligned. YIN compares the
    ``win_length`` samples starting ``(win + lag_max) / 2`` before the
    centre with their copies up to ``lag_max`` later, so its estimate
    refers to a point up to ``lag_max / 2`` (10 ms at ``f0_min`` = 50 Hz)
    before the centre: under a 20 ms hop's half. The energy is that of the
    centred ``win_length`` samples under a Hamming window, as the
    ``Fbank`` sees them. See the module docstring for the algorithm.

    Arguments
    ---------
    sample_rate : int
        Sampling rate of the waveforms (Hz).
    hop_length : float
        Frame hop (ms), as ``Fbank``'s.
    win_length : float
        Window (ms), as ``Fbank``'s: the energy window and YIN's
        integration window.
    f0_min, f0_max : float
        Pitch search range (Hz).
    trough_threshold : float
        YIN's absolute threshold: the first CMND trough under it is the
        period (librosa's default 0.1).
    octave_margin : float
        Where no trough is under ``trough_threshold``, the first trough
        within this of the lowest is the period (librosa: the lowest, which
        in noise is often at twice the period: an octave too low).
    voicing_beta : tuple of int
        Integer parameters of the Beta prior over the voicing threshold
        (mean ``a / (a + b)``; pYIN's ``(2, 18)`` calls noisy voiced frames
        unvoiced, see the module docstring).
    voicing_threshold : float
        Frames with a voicing probability at least this are voiced: their
        log-F0 is kept, the others' interpolated.
    energy_floor_db : float
        Floor of the energy (dB re full scale 1.0), for digital silence.
    voicing_gate_db : float, optional
        Frames whose energy lies more than this many dB under the
        utterance's loudest frame are unvoiced whatever their trough: their
        voicing probability is 0 and their log-F0 interpolated. In babble
        the other talkers are periodic too, and in the pauses (where they
        lie about the SNR under the speech) YIN tracks their pitch; the gate,
        relative to the loudest frame, keeps the result gain invariant.
        ``None`` (default): no gate.
    voicing_noise_gate_db : float, optional
        Frames whose energy lies less than this many dB above the
        utterance's noise level are unvoiced whatever their trough, as under
        ``voicing_gate_db``. The noise level is the ``noise_quantile``
        quantile of the energy of the utterance's frames (padding excluded):
        where louder babble rises above the loudest-frame gate in the
        pauses, the pauses still sit at the noise level. Relative to the
        utterance too, so gain invariant. A sound that never gets quieter
        (a held vowel, a tone) is its own noise level, unvoiced throughout;
        padded rows need ``lens`` (padding is no noise level). ``None``
        (default): no gate.
    noise_quantile : float
        The quantile in ``(0, 1)`` of the frame energies taken as the noise
        level by ``voicing_noise_gate_db`` (the quietest tenth by default).

    Example
    -------
    >>> t = torch.arange(16000) / 16000
    >>> wav = 0.1 * torch.sin(2 * math.pi * 200 * t).unsqueeze(0)
    >>> prosody = ProsodyFeatures()
    >>> feats = prosody(wav)
    >>> feats.shape  # 1 + 16000 // 320 frames, 3 channels
    torch.Size([1, 51, 3])
    >>> round(feats[0, 25, 0].exp().item())  # F0 in Hz
    200
    >>> feats[0, 25, 1] > 0.9  # voiced
    tensor(True)
    >>> round(feats[0, 25, 2].item())  # dB: a 0.1 sine has power 0.005
    -23
    """

    def __init__(
        self,
        sample_rate: int = 16000,
        hop_length: float = 20,
        win_length: float = 32,
        f0_min: float = 50.0,
        f0_max: float = 600.0,
        trough_threshold: float = 0.1,
        octave_margin: float = 0.1,
        voicing_beta: tuple[int, int] = (5, 5),
        voicing_threshold: float = 0.5,
        energy_floor_db: float = -100.0,
        voicing_gate_db: float | None = None,
        voicing_noise_gate_db: float | None = None,
        noise_quantile: float = 0.1,
    ):
        super().__init__()
        if voicing_gate_db is not None and not voicing_gate_db > 0:
            raise ValueError(
                f"ProsodyFeatures: voicing_gate_db is dB under the loudest frame "
                f"and must be positive (e.g. 25) or None, got {voicing_gate_db}"
            )
        if voicing_noise_gate_db is not None and not voicing_noise_gate_db > 0:
            raise ValueError(
                f"ProsodyFeatures: voicing_noise_gate_db is dB above the noise "
                f"level and must be positive (e.g. 10) or None, got "
                f"{voicing_noise_gate_db}"
            )
        if not 0 < noise_quantile < 1:
            raise ValueError(
                f"ProsodyFeatures: noise_quantile must lie in (0, 1) (e.g. 0.1), "
                f"got {noise_quantile}"
            )
        if not 0 < f0_min < f0_max < sample_rate / 2:
            raise ValueError(
                f"ProsodyFeatures: need 0 < f0_min < f0_max < sample_rate / 2, "
                f"got f0_min={f0_min}, f0_max={f0_max}, sample_rate={sample_rate}"
            )
        a, b = voicing_beta
        if int(a) != a or int(b) != b or a < 1 or b < 1:
            raise ValueError(
                f"ProsodyFeatures: voicing_beta must be two positive integers, "
                f"got {voicing_beta} such as (5, 5)"
            )
        self.sample_rate = sample_rate
        self.hop = int(round(sample_rate / 1000.0 * hop_length))
        self.win = int(round(sample_rate / 1000.0 * win_length))
        # YIN runs at about 8 kHz (enough for F0 up to 600 Hz, a quarter of
        # the work): decimated by the largest factor that divides the hop.
        self.factor = max(
            k for k in range(1, max(1, sample_rate // 8000) + 1) if self.hop % k == 0
        )
        rate = sample_rate / self.factor
        self.pitch_win = self.win // self.factor
        self.lag_min = max(2, int(math.floor(rate / f0_max)))
        self.lag_max = int(math.ceil(rate / f0_min))
        # Even frame, holding YIN's window and its lagged copy.
        frame = self.pitch_win + self.lag_max
        self.frame = frame + frame % 2
        self.n_fft = 1 << (self.frame - 1).bit_length()
        self.trough_threshold = trough_threshold
        self.octave_margin = octave_margin
        self.voicing_beta = (int(a), int(b))
        self.voicing_threshold = voicing_threshold
        self.energy_floor = 10.0 ** (energy_floor_db / 10.0)
        self.voicing_gate_db = voicing_gate_db
        self.voicing_noise_gate_db = voicing_noise_gate_db
        self.noise_quantile = noise_quantile
        self.unvoiced_log_f0 = 0.5 * (math.log(f0_min) + math.log(f0_max))
        window = torch.hamming_window(self.win, periodic=True)
        self.register_buffer(
            "energy_window", (window / window.sum()).view(1, 1, -1), persistent=False
        )
        lowpass = _shifted_copies(_lowpass(self.factor), self.factor)
        self.register_buffer("lowpass", lowpass, persistent=False)

    @property
    def n_channels(self) -> int:
        """The number of output channels (3)."""
        return len(PROSODY_CHANNELS)

    def frames(self, num_samples: torch.Tensor) -> torch.Tensor:
        """Frames of waveforms of ``num_samples`` samples: ``1 + num_samples // hop``.

        Arguments
        ---------
        num_samples : torch.Tensor
            ``(batch,)`` int64 sample counts.

        Returns
        -------
        torch.Tensor
            ``(batch,)`` int64 frame counts (see
            :func:`~speechbrain_lstm_ser.nnet.lengths.frame_lengths`).
        """
        return torch.div(num_samples, self.hop, rounding_mode="floor").long() + 1

    def valid_frames(
        self, lens: torch.Tensor | None, num_samples: int
    ) -> torch.Tensor | None:
        """How many leading frames of each row of a padded batch are real.

        Arguments
        ---------
        lens : torch.Tensor or None
            ``(batch,)`` relative lengths in ``[0, 1]``; ``None``: no padding.
        num_samples : int
            The padded time dimension of the waveforms.

        Returns
        -------
        torch.Tensor or None
            ``(batch,)`` int64 frame counts, each what the row gives alone;
            ``None`` where ``lens`` is.

        Example
        -------
        >>> ProsodyFeatures().valid_frames(torch.tensor([1.0, 0.5]), 16000)
        tensor([51, 26])
        """
        if lens is None:
            return None
        return self.frames(absolute_lengths(lens, num_samples, lens.shape[0]))

    def forward(
        self, wavs: torch.Tensor, lens: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Computes the prosody channels.

        Arguments
        ---------
        wavs : torch.Tensor
            ``(batch, time)`` waveforms.
        lens : torch.Tensor, optional
            ``(batch,)`` relative lengths in ``[0, 1]``: samples beyond are
            zeroed first (padding then reads as silence whatever it holds).

        Returns
        -------
        torch.Tensor
            ``(batch, frames, 3)``: log-F0 (natural log of Hz), voicing
            probability in ``[0, 1]``, log-energy (dB), with
            ``frames = 1 + time // hop``.
        """
        if wavs.dim() != 2:
            raise ValueError(
                f"ProsodyFeatures expects waveforms (batch, time), got shape "
                f"{tuple(wavs.shape)}"
            )
        wavs = wavs.float()
        n_frames = 1 + wavs.shape[1] // self.hop
        valid = self.valid_frames(lens, wavs.shape[1])
        if lens is not None:
            wavs = _zero_padding(wavs, lens)
        log_energy = self._log_energy(wavs, n_frames)
        gate = self._voicing_gate(log_energy, valid)
        # A frame the gates unvoice needs no F0: its voicing is 0 and its
        # log-F0 is interpolated from voiced frames (unless a threshold of
        # 0 or less calls it voiced all the same).
        needed = gate if self.voicing_threshold > 0 else None
        log_f0, trough = self._yin(self._pitch_signal(wavs), n_frames, needed)
        a, b = self.voicing_beta
        # ONNX Runtime gave NaN on digital silence (0 / 0 in the CMND, whose
        # guard it lost on export); PyTorch gives 0 there, unvoiced.
        voicing = torch.nan_to_num(_beta_survival(trough, a, b), nan=0.0)
        if gate is not None:
            voicing = voicing * gate
        log_f0 = self._interpolate(log_f0, voicing >= self.voicing_threshold)
        return torch.stack([log_f0, voicing, log_energy], dim=-1)

    def _voicing_gate(
        self, log_energy: torch.Tensor, valid: torch.Tensor | None
    ) -> torch.Tensor | None:
        """``(batch, frames)``: True where the voicing gates let voicing through.

        ``None`` where both gates are off.
        """
        gate = None
        if self.voicing_gate_db is not None:
            loudest = log_energy.max(-1, keepdim=True).values
            gate = log_energy >= loudest - self.voicing_gate_db
        if self.voicing_noise_gate_db is not None:
            noise = self._noise_level(log_energy, valid)
            above = log_energy >= noise + self.voicing_noise_gate_db
            gate = above if gate is None else gate & above
        return gate

    def _yin(
        self, signal: torch.Tensor, n_frames: int, needed: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Log-F0 and CMND trough ``(batch, n_frames)`` of YIN on every frame.

        ``signal`` is :meth:`_pitch_signal`'s. YIN runs on the frames that
        hold sound and that ``needed`` (``(batch, n_frames)``, optional)
        marks only; any other frame gets what YIN gives on zeros, computed
        once. A training batch is about a third padding (``python -m
        bench.profile``) and the voicing gates unvoice about half of the rest,
        so this saves most of the tracker, with the same values on the frames
        it runs on: each frame's transforms are its own.
        """
        hop = self.hop // self.factor
        frames = signal.unfold(-1, self.frame, hop)[:, :n_frames]  # a view
        if _capturing_graph():  # no data-dependent shapes in a captured graph
            return self._period(self._cmnd(frames))
        # Non-zero samples in each frame, from a running count over the signal.
        count = nn.functional.pad(signal.ne(0).cumsum(-1), (1, 0))
        starts = torch.arange(n_frames, device=signal.device) * hop
        sounding = count[:, starts + self.frame] > count[:, starts]
        if needed is not None:
            sounding = sounding & needed
        if bool(sounding.all()):  # nothing to skip
            return self._period(self._cmnd(frames))
        silent_f0, silent_trough = self._period(
            self._cmnd(frames.new_zeros(1, 1, frames.shape[-1]))
        )
        log_f0 = silent_f0.expand(sounding.shape).clone()
        trough = silent_trough.expand(sounding.shape).clone()
        if bool(sounding.any()):  # else all silent (an FFT of no frame fails)
            log_f0[sounding], trough[sounding] = self._period(
                self._cmnd(frames[sounding])
            )
        return log_f0, trough

    def _noise_level(
        self, log_energy: torch.Tensor, valid: torch.Tensor | None
    ) -> torch.Tensor:
        """``(batch, 1)``: the ``noise_quantile`` of each row's valid frames' energy."""
        return frame_quantile(log_energy, valid, self.noise_quantile)

    def _pitch_signal(self, wavs: torch.Tensor) -> torch.Tensor:
        """``(batch, samples)`` low-passed, decimated, padded by half a frame.

        Frame ``t`` of YIN is ``signal[:, t * hop : t * hop + frame]`` (hop
        at the decimated rate): centred on sample ``t * hop`` of ``wavs``.
        """
        if self.factor > 1:
            copies, length = self.lowpass.shape[0], self.lowpass.shape[-1]
            taps = length - (copies - 1) * self.factor
            # Right: the whole filter tail, as where padding follows.
            padded = nn.functional.pad(wavs.unsqueeze(1), (taps // 2, taps))
            count = (padded.shape[-1] - taps) // self.factor + 1
            # Output k * copies + j is copy j's at step k (_shifted_copies).
            wavs = nn.functional.conv1d(
                nn.functional.pad(padded, (0, copies * self.factor)),
                self.lowpass,
                stride=copies * self.factor,
            )
            wavs = wavs.transpose(1, 2).reshape(wavs.shape[0], -1)[:, :count]
        half, hop = self.frame // 2, self.hop // self.factor
        return nn.functional.pad(wavs, (half, half + hop))

    def _log_energy(self, wavs: torch.Tensor, n_frames: int) -> torch.Tensor:
        """Hamming-weighted mean power (dB) of the ``win`` samples at ``t * hop``."""
        half = self.win // 2
        power = nn.functional.conv1d(
            nn.functional.pad(wavs.square().unsqueeze(1), (half, half + self.hop)),
            self.energy_window,
            stride=self.hop,
        )[:, 0, :n_frames]
        floor_db = 10.0 * math.log10(self.energy_floor)
        # The clamp is a no-op in PyTorch; ONNX Runtime gave -inf on digital
        # silence (log of 0: the floor lost on export).
        return (10.0 * torch.log10(power.clamp_min(0.0) + self.energy_floor)).clamp_min(
            floor_db
        )

    def _cmnd(self, frames: torch.Tensor) -> torch.Tensor:
        """YIN's cumulative mean normalised difference, lags ``0..lag_max``."""
        win, lags = self.pitch_win, self.lag_max + 1
        spectrum = torch.fft.rfft(frames, n=self.n_fft)
        reference = torch.fft.rfft(frames[..., :win], n=self.n_fft)
        acf = torch.fft.irfft(spectrum * reference.conj(), n=self.n_fft)[..., :lags]
        energy = nn.functional.pad(frames.square().cumsum(-1), (1, 0))
        frame_energy = energy[..., -1:]  # the whole frame's
        energy = energy[..., win : win + lags] - energy[..., :lags]
        diff = (energy[..., :1] + energy - 2.0 * acf).clamp_min(0.0)
        tau = torch.arange(1, lags, device=frames.device, dtype=diff.dtype)
        running = diff[..., 1:].cumsum(-1)
        # ``diff`` carries float32 rounding of about 1e-7 of the frame's
        # energy, and a lag's CMND multiplies it by up to ``lag_max``: where
        # the true ``diff`` is near 0 at every lag (a constant, e.g. the DC
        # left in a trimmed silence, or a window near silence) the rounding
        # alone made troughs, and others at another gain. A guard of 1e-3 of
        # the frame's energy on both sides makes such frames aperiodic (CMND
        # near 1) at every gain and leaves real troughs (their cumulative
        # ``diff``: tens of times the energy) as they were; 1e-30 keeps
        # digital silence at 1, not 0 / 0.
        tiny = 1e-3 * frame_energy + 1e-30
        cmnd = (diff[..., 1:] * tau + tiny) / (running + tiny)
        return nn.functional.pad(cmnd, (1, 0), value=1.0)

    def _period(self, cmnd: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Log-F0 and the chosen CMND trough of every frame (librosa's rule)."""
        d = cmnd[..., self.lag_min - 1 : self.lag_max + 1]  # lag_min - 1 ..
        inner = d[..., 1:-1]  # lags lag_min .. lag_max - 1
        trough = (inner < d[..., :-2]) & (inner <= d[..., 2:])
        # The first trough under the threshold or, where none is, the first
        # within octave_margin of the lowest (librosa takes the lowest, often
        # twice the period in noise).
        lowest = inner.min(-1, keepdim=True).values
        limit = torch.clamp_min(lowest + self.octave_margin, self.trough_threshold)
        below = trough & (inner < limit)
        index = torch.where(below.any(-1), below.float().argmax(-1), inner.argmin(-1))
        left, mid, right = (
            d.gather(-1, (index + k).unsqueeze(-1))[..., 0] for k in range(3)
        )
        curvature = left + right - 2.0 * mid
        shift = torch.where(
            curvature > 0, 0.5 * (left - right) / curvature.clamp_min(1e-12), 0.0
        ).clamp(-1.0, 1.0)
        period = (index + self.lag_min).to(d.dtype) + shift
        log_f0 = math.log(self.sample_rate / self.factor) - torch.log(period)
        # The trough value: the lowest CMND reached (pYIN's voicing input).
        value = (mid - 0.25 * (left - right) * shift).clamp(0.0, 1.0)
        return log_f0, value

    def _interpolate(self, log_f0: torch.Tensor, voiced: torch.Tensor) -> torch.Tensor:
        """Linear interpolation of log-F0 over unvoiced frames, held at the ends."""
        n = log_f0.shape[-1]
        steps = torch.arange(n, device=log_f0.device).expand_as(log_f0)
        # The voiced frames' indices, in order, first (a sort, not cummax:
        # ONNX has no cummax); count: voiced frames up to each frame.
        positions = torch.where(voiced, steps, steps + n).sort(-1).values
        count = voiced.long().cumsum(-1)
        ahead = count - voiced.long()  # voiced frames strictly before
        before = positions.gather(-1, (count - 1).clamp_min(0))
        after = positions.gather(-1, ahead.clamp_max(n - 1))
        has_before, has_after = count > 0, ahead < count[..., -1:]
        before = torch.where(has_before, before, -1)
        after = torch.where(has_after, after, n)
        left = log_f0.gather(-1, before.clamp(0, n - 1))
        right = log_f0.gather(-1, after.clamp(0, n - 1))
        span = (after - before).clamp_min(1).to(log_f0.dtype)
        weight = (steps - before).to(log_f0.dtype) / span
        between = left + weight * (right - left)
        filled = torch.where(
            has_before & has_after,
            between,
            torch.where(has_before, left, torch.where(has_after, right, 0.0)),
        )
        none = ~voiced.any(-1, keepdim=True)
        filled = torch.where(none, self.unvoiced_log_f0, filled)
        return torch.where(voiced, log_f0, filled)


class FbankProsody(nn.Module):
    """SpeechBrain's ``Fbank`` with log-F0, voicing and log-energy appended.

    A drop-in ``compute_features`` for the task models:
    ``wavs (batch, time) -> (batch, frames, n_mels + 3)``, the first
    ``n_mels`` channels exactly ``Fbank``'s output, the last three
    :class:`ProsodyFeatures` on the same frames. The encoder's
    ``input_size`` becomes ``n_mels + 3``.

    Arguments
    ---------
    sample_rate : int
        Sampling rate of the waveforms (Hz).
    n_mels : int
        Number of mel filterbanks.
    hop_length : float
        Frame hop (ms).
    win_length : float
        Window (ms).
    n_fft : int
        FFT size of the ``Fbank``.
    noise_floor_db : float, optional
        A floor this many dB under each utterance's loudest frame, added to
        the filterbanks (shaped as white noise, :func:`white_noise_shape`)
        and to the log-energy (see
        :class:`~speechbrain_lstm_ser.nnet.spectral_floor.SpectralFloor`):
        quiet bins, which additive noise changes most, look the same in
        light noise. ``None`` (default): no floor, the ``Fbank`` as it is.
    noise_floor_margin_db : float, optional
        With ``noise_floor_db``: the floor also rises, channel by channel, to
        this many dB over the utterance's noise level in the channel, so it
        covers noise louder than ``noise_floor_db`` allows (see
        :class:`~speechbrain_lstm_ser.nnet.spectral_floor.SpectralFloor`).
        ``None`` (default): the fixed floor alone.
    noise_quantile : float
        The quantile of an utterance's frames taken as its noise level, by
        the floor's noise margin and the prosody's ``voicing_noise_gate_db``
        (0.1: the quietest tenth).
    **prosody_options
        Further options of :class:`ProsodyFeatures`, with its defaults
        (``f0_min``, ``f0_max``, ``trough_threshold``, ``voicing_beta``,
        ``voicing_threshold``, ``energy_floor_db``, ``voicing_gate_db``,
        ``voicing_noise_gate_db``).

    Example
    -------
    >>> wavs = 0.1 * torch.randn(2, 16000, generator=torch.Generator().manual_seed(0))
    >>> features = FbankProsody(n_mels=40)
    >>> feats = features(wavs)
    >>> feats.shape
    torch.Size([2, 51, 43])
    >>> torch.equal(feats[..., :40], Fbank(n_mels=40, hop_length=20, win_length=32,
    ...     n_fft=512)(wavs))
    True
    >>> bool((feats[..., 41] < 0.5).all())  # white noise: unvoiced
    True
    """

    # The task models pass each row's relative length (``lens``): the noise
    # gate's noise level must count a padded row's own frames, not its padding.
    takes_lengths = True

    def __init__(
        self,
        sample_rate: int = 16000,
        n_mels: int = 80,
        hop_length: float = 20,
        win_length: float = 32,
        n_fft: int = 512,
        noise_floor_db: float | None = None,
        noise_floor_margin_db: float | None = None,
        noise_quantile: float = 0.1,
        **prosody_options,
    ):
        super().__init__()
        if noise_floor_margin_db is not None and noise_floor_db is None:
            raise ValueError(
                "FbankProsody: noise_floor_margin_db raises the noise floor over "
                "the noise level; set noise_floor_db too (e.g. 25) or leave "
                "noise_floor_margin_db null"
            )
        self.fbank = Fbank(
            sample_rate=sample_rate,
            n_mels=n_mels,
            hop_length=hop_length,
            win_length=win_length,
            n_fft=n_fft,
        )
        self.noise_floor_db = noise_floor_db
        self.noise_floor_margin_db = noise_floor_margin_db
        self.fbank_floor = self.energy_floor = None
        if noise_floor_db is not None:
            shape = white_noise_shape(self.fbank, n_fft)
            margin = {
                "noise_margin_db": noise_floor_margin_db,
                "noise_quantile": noise_quantile,
            }
            self.fbank_floor = SpectralFloor(noise_floor_db, shape, **margin)
            self.energy_floor = SpectralFloor(noise_floor_db, **margin)
        self.prosody = ProsodyFeatures(
            sample_rate=sample_rate,
            hop_length=hop_length,
            win_length=win_length,
            noise_quantile=noise_quantile,
            **prosody_options,
        )
        self.n_mels = n_mels

    @property
    def voicing_gate_db(self) -> float | None:
        """The prosody's voicing gate (dB under the loudest frame), or ``None``."""
        return self.prosody.voicing_gate_db

    @property
    def voicing_noise_gate_db(self) -> float | None:
        """The prosody's noise gate (dB above the noise level), or ``None``."""
        return self.prosody.voicing_noise_gate_db

    def frames(self, num_samples: torch.Tensor) -> torch.Tensor:
        """Frames of waveforms of ``num_samples`` samples, the ``Fbank``'s.

        Arguments
        ---------
        num_samples : torch.Tensor
            ``(batch,)`` int64 sample counts.

        Returns
        -------
        torch.Tensor
            ``(batch,)`` int64 frame counts (see
            :func:`~speechbrain_lstm_ser.nnet.lengths.frame_lengths`).

        Example
        -------
        >>> FbankProsody(n_mels=20).frames(torch.tensor([8000, 8319, 8320]))
        tensor([26, 26, 27])
        """
        return stft_frame_count(self.fbank.compute_STFT, num_samples)

    @fwd_default_precision(cast_inputs=torch.float32)  # as Fbank.forward
    def _filterbanks(self, wavs: torch.Tensor) -> torch.Tensor:
        """``(batch, frames, n_mels)``: exactly the ``Fbank``'s output, faster.

        ``Fbank`` sums the squared real and imaginary parts over the last
        axis of a transposed (strided) STFT, which on the CPU costs about
        twice the STFT itself; adding the two squares is the same sum of two
        floats, so the same values.
        """
        stft = self.fbank.compute_STFT(wavs)  # (batch, frames, freq, 2)
        power = stft[..., 0].square() + stft[..., 1].square()
        return self.fbank.compute_fbanks(power)

    def forward(
        self, wavs: torch.Tensor, lens: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Filterbanks and prosody.

        Arguments
        ---------
        wavs : torch.Tensor
            ``(batch, time)`` waveforms.
        lens : torch.Tensor, optional
            ``(batch,)`` relative lengths in ``[0, 1]`` (see
            :meth:`ProsodyFeatures.forward`).

        Returns
        -------
        torch.Tensor
            ``(batch, 1 + time // hop, n_mels + 3)``.
        """
        fbank = self._filterbanks(wavs)
        prosody = self.prosody(wavs, lens).to(fbank.dtype)
        if self.fbank_floor is not None:
            valid = self.prosody.valid_frames(lens, wavs.shape[1])
            fbank = self.fbank_floor(fbank, valid)
            energy = self.energy_floor(prosody[..., 2:], valid)
            prosody = torch.cat([prosody[..., :2], energy], dim=-1)
        return torch.cat([fbank, prosody], dim=-1)
