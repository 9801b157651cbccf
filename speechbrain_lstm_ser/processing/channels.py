r"""Training-time channel simulation: rooms, noise, telephone band, codecs.

Multi-condition training (issue 23): each training utterance passes through
a channel drawn at random, so the model learns emotion from prosody that
survives the channel rather than from the clean recording's spectrum. Each
class is a SpeechBrain-style augmentation, ``forward(waveforms, lengths)``
on ``(batch, time)`` waveforms with relative ``lengths`` in ``[0, 1]``,
so it goes straight into ``speechbrain.augment.augmenter.Augmenter``'s
``augmentations`` list in a YAML:

- :class:`RandomRoom`: a simulated room impulse response of random RT60;
- :class:`RandomNoise`: white, pink or babble (the other utterances of the
  batch: training speakers only) at a random SNR;
- :class:`RandomTelephone`: 8 kHz, 300-3400 Hz, μ-law or GSM 06.10;
- :class:`RandomCodec`: a lossy codec (Opus, MP3) at a random quality.

Only each utterance's own samples (``lengths``) are processed; the padding
stays zero. Every draw comes from a NumPy generator seeded from torch's
global generator, so a seeded recipe run draws the same channels.

The simulators are the ones of the robustness test conditions
(:mod:`speechbrain_lstm_ser.evaluation.conditions`), with other random draws
and wider parameter ranges: a model trained with them is no longer tested
on an unseen *kind* of corruption there, only on unseen draws. The
held-out voices and synthesizers (``--domain``) stay the unseen test.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from speechbrain_lstm_ser.evaluation.conditions import (
    MP3_MAX_COMPRESSION,
    add_noise_at_snr,
    codec_roundtrip,
    pink_noise,
    reverberate,
    room_impulse_response,
    telephone_channel,
)
from speechbrain_lstm_ser.nnet.encoders import absolute_lengths

__all__ = ["RandomCodec", "RandomNoise", "RandomRoom", "RandomTelephone"]


def _generator() -> np.random.Generator:
    """A NumPy generator seeded from torch's global one (seeded runs repeat)."""
    return np.random.default_rng(int(torch.randint(0, 2**31 - 1, (1,))))


class _PerUtteranceChannel(nn.Module):
    """Applies :meth:`channel` to each utterance's valid samples.

    Arguments
    ---------
    sample_rate : int
        Of the waveforms.
    """

    def __init__(self, sample_rate: int = 16000):
        super().__init__()
        self.sample_rate = sample_rate

    def channel(
        self, wav: torch.Tensor, rng: np.random.Generator, batch: Sequence[torch.Tensor]
    ) -> torch.Tensor:
        """One utterance through a randomly drawn channel (same length)."""
        raise NotImplementedError

    def forward(
        self, waveforms: torch.Tensor, lengths: torch.Tensor | None = None
    ) -> torch.Tensor:
        """``(batch, time)`` waveforms through the channel, padding kept zero.

        Arguments
        ---------
        waveforms : torch.Tensor
            ``(batch, time)``.
        lengths : torch.Tensor, optional
            ``(batch,)`` relative lengths in ``[0, 1]``.

        Returns
        -------
        torch.Tensor
            ``(batch, time)``, the input's dtype and device.
        """
        rng = _generator()
        batch, total = waveforms.shape
        sizes = absolute_lengths(lengths, total, batch).tolist()
        cpu = waveforms.detach().to("cpu", torch.float32)
        utterances = [cpu[i, :n] for i, n in enumerate(sizes)]
        out = torch.zeros_like(cpu)
        for i, wav in enumerate(utterances):
            if len(wav) == 0 or float(wav.abs().max()) == 0.0:
                out[i, : len(wav)] = wav  # nothing to corrupt: silence stays silence
                continue
            others = utterances[:i] + utterances[i + 1 :]
            out[i, : len(wav)] = self.channel(wav, rng, others)
        return out.to(waveforms.device, waveforms.dtype)


class RandomRoom(_PerUtteranceChannel):
    """Reverberation by a simulated room of random RT60 and direct-to-reverberant ratio.

    The response is ``room_impulse_response`` of
    :mod:`~speechbrain_lstm_ser.evaluation.conditions` (Polack's model, unit
    energy: the level is kept).

    Arguments
    ---------
    sample_rate : int
        Of the waveforms.
    rt60 : tuple of float
        RT60 is drawn uniformly in ``[low, high]`` seconds.
    drr_db : tuple of float
        The direct-to-reverberant ratio is drawn uniformly in ``[low, high]`` dB.

    Example
    -------
    >>> _ = torch.manual_seed(0)
    >>> wavs = torch.randn(2, 8000) * 0.1
    >>> out = RandomRoom(16000, rt60=(0.3, 0.6))(wavs, torch.tensor([1.0, 0.5]))
    >>> out.shape, bool(out[1, 4000:].abs().max() == 0)
    (torch.Size([2, 8000]), True)
    """

    def __init__(
        self,
        sample_rate: int = 16000,
        rt60: tuple[float, float] = (0.2, 1.0),
        drr_db: tuple[float, float] = (-3.0, 6.0),
    ):
        super().__init__(sample_rate)
        self.rt60, self.drr_db = tuple(rt60), tuple(drr_db)

    def channel(self, wav, rng, batch):
        """``wav`` convolved with a random room's response."""
        h = room_impulse_response(
            float(rng.uniform(*self.rt60)),
            self.sample_rate,
            rng,
            float(rng.uniform(*self.drr_db)),
        )
        return reverberate(wav, h)


class RandomNoise(_PerUtteranceChannel):
    """Additive white, pink or babble noise at a random SNR.

    Babble is the sum of ``talkers`` other utterances of the same batch
    (training utterances only, looped or cut to length), so no test
    speaker's voice is ever heard in training.

    Arguments
    ---------
    sample_rate : int
        Of the waveforms.
    snr_db : tuple of float
        The SNR (speech power over noise power, whole utterance) is drawn
        uniformly in ``[low, high]`` dB.
    kinds : sequence of str
        Drawn with equal probability among ``white``, ``pink`` and ``babble``.
    talkers : int
        Utterances summed into one babble.

    Example
    -------
    >>> _ = torch.manual_seed(0)
    >>> wavs = torch.randn(3, 4000) * 0.1
    >>> noisy = RandomNoise(16000, snr_db=(10.0, 10.0), kinds=["white"])(wavs)
    >>> snr = 10 * torch.log10(wavs.pow(2).mean(1) / (noisy - wavs).pow(2).mean(1))
    >>> [round(float(s), 1) for s in snr]
    [10.0, 10.0, 10.0]
    """

    KINDS = ("white", "pink", "babble")

    def __init__(
        self,
        sample_rate: int = 16000,
        snr_db: tuple[float, float] = (0.0, 25.0),
        kinds: Sequence[str] = KINDS,
        talkers: int = 3,
    ):
        super().__init__(sample_rate)
        unknown = sorted(set(kinds) - set(self.KINDS))
        if unknown or not kinds:
            raise ValueError(f"noise kinds must be among {self.KINDS}, got {kinds}")
        self.snr_db, self.kinds, self.talkers = tuple(snr_db), list(kinds), talkers

    def channel(self, wav, rng, batch):
        """``wav`` plus noise of a random kind and SNR."""
        kind = self.kinds[int(rng.integers(len(self.kinds)))]
        voiced = [b for b in batch if len(b) and float(b.abs().max()) > 0.0]
        if kind == "babble" and voiced:
            picks = rng.choice(
                len(voiced), size=min(self.talkers, len(voiced)), replace=False
            )
            noise = sum(
                np.resize(voiced[int(k)].double().numpy(), len(wav)) for k in picks
            )
        elif kind == "pink":
            noise = pink_noise(rng, len(wav))
        else:  # white, or babble with no other voiced utterance in the batch
            noise = rng.standard_normal(len(wav))
        if not np.any(noise):
            noise = rng.standard_normal(len(wav))
        return add_noise_at_snr(wav, noise, float(rng.uniform(*self.snr_db)))


class RandomTelephone(_PerUtteranceChannel):
    """The telephone band (8 kHz, 300-3400 Hz) with a randomly drawn codec.

    Arguments
    ---------
    sample_rate : int
        Of the waveforms (the output keeps it).
    codecs : sequence of str
        libsndfile subtypes drawn with equal probability (``ULAW``, ``ALAW``,
        ``GSM610``).

    Example
    -------
    >>> _ = torch.manual_seed(0)
    >>> RandomTelephone(16000)(torch.randn(1, 1600) * 0.1).shape
    torch.Size([1, 1600])
    """

    def __init__(
        self, sample_rate: int = 16000, codecs: Sequence[str] = ("ULAW", "GSM610")
    ):
        super().__init__(sample_rate)
        self.codecs = list(codecs)

    def channel(self, wav, rng, batch):
        """``wav`` through a telephone channel."""
        subtype = self.codecs[int(rng.integers(len(self.codecs)))]
        return telephone_channel(wav, self.sample_rate, subtype).float()


class RandomCodec(_PerUtteranceChannel):
    """A lossy codec round trip (in memory, libsndfile) at a random quality.

    Arguments
    ---------
    sample_rate : int
        Of the waveforms.
    codecs : sequence of tuple
        ``(format, subtype)`` pairs drawn with equal probability, e.g.
        ``("OGG", "OPUS")`` and ``("MP3", "MPEG_LAYER_III")``.
    compression : tuple of float
        libsndfile's compression level is drawn uniformly in ``[low, high]``
        (1: the smallest file).

    Example
    -------
    >>> _ = torch.manual_seed(0)
    >>> RandomCodec(16000)(torch.randn(2, 3200) * 0.1).shape
    torch.Size([2, 3200])
    """

    def __init__(
        self,
        sample_rate: int = 16000,
        codecs: Sequence[Sequence[str]] = (("OGG", "OPUS"), ("MP3", "MPEG_LAYER_III")),
        compression: tuple[float, float] = (0.5, 1.0),
    ):
        super().__init__(sample_rate)
        self.codecs = [tuple(c) for c in codecs]
        self.compression = tuple(compression)

    def channel(self, wav, rng, batch):
        """``wav`` coded and decoded."""
        fmt, subtype = self.codecs[int(rng.integers(len(self.codecs)))]
        level = float(rng.uniform(*self.compression))
        if fmt == "MP3":
            level = min(level, MP3_MAX_COMPRESSION)
        coded, _ = codec_roundtrip(
            wav.double().numpy(), self.sample_rate, fmt, subtype, level
        )
        return torch.from_numpy(coded).float()
