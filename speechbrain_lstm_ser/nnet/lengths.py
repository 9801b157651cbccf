"""Frame-level relative lengths from sample counts: padding-exact batches.

A waveform of ``T`` samples alone gives ``F(T)`` feature frames (for a
centred STFT, ``1 + T // hop``). In a padded batch whose longest waveform
has ``T_max`` samples, the rule that reuses the waveform's relative length
``lens = T / T_max`` for the frames, ``round(lens * F(T_max))`` frames, is
off by one frame for some lengths: the last real frame is dropped or a
padding frame counted, and the file's answer changes with its batch.

:func:`frame_lengths` counts each waveform's frames from its sample count
instead, so the frames of a file in a padded batch are exactly its frames
alone::

    lens (batch,), T_max samples, F_max frames
        samples = round(lens * T_max)           whole samples
        frames  = F(samples)                    as if alone
        frame_lens = (frames - 1/4) / F_max     (see relative_lengths)

``F`` comes from the feature module: its own ``frames(num_samples)`` method
(e.g. :class:`~speechbrain_lstm_ser.nnet.features.FbankProsody`), else the
settings of its SpeechBrain ``compute_STFT`` (SpeechBrain's ``Fbank``,
:class:`~speechbrain_lstm_ser.nnet.streaming.CausalFbank`). Modules with
neither (e.g. the SSL front end, which masks its input with the sample
lengths itself) keep the old rule: ``lens`` unchanged.

Everything is tensor arithmetic on the shapes (no Python number taken from
a tensor's values), so the rule traces into an exported graph with dynamic
batch and time axes.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = [
    "frame_count",
    "frame_lengths",
    "frame_quantile",
    "relative_lengths",
    "stft_frame_count",
]

#: Where in its last frame a relative length from a count points: a quarter
#: frame before the end, so both conventions of turning it back into a count
#: give the count (see :func:`relative_lengths`).
_MARGIN = 0.25


def relative_lengths(counts: torch.Tensor, num_frames: int) -> torch.Tensor:
    """Relative lengths that every reader turns back into ``counts`` frames.

    Two conventions read relative lengths: this package's
    (``round(lens * num_frames)``, see
    :func:`~speechbrain_lstm_ser.nnet.encoders.absolute_lengths`) and
    SpeechBrain's ``make_padding_mask`` (used by ``InputNormalization``:
    frames before ``lens * num_frames - 1e-6``, a ceiling). ``counts /
    num_frames`` is not safe for the second: in float32 the product can
    come out a few ulps above the count, which counts one padding frame.
    ``(counts - 1/4) / num_frames`` lies inside both conventions' interval,
    with a quarter frame of room either side of the float error.

    Arguments
    ---------
    counts : torch.Tensor
        ``(batch,)`` int64 frame counts in ``[1, num_frames]``.
    num_frames : int
        The padded time dimension.

    Returns
    -------
    torch.Tensor
        ``(batch,)`` float32 relative lengths in ``(0, 1)``.

    Example
    -------
    >>> from speechbrain.processing.features import make_padding_mask
    >>> counts = torch.tensor([101, 51, 1])
    >>> lens = relative_lengths(counts, 101)
    >>> torch.round(lens * 101).long()
    tensor([101,  51,   1])
    >>> make_padding_mask(torch.zeros(3, 101), lens).sum(1)
    tensor([101,  51,   1])
    """
    return (counts.float() - _MARGIN) / num_frames


def stft_frame_count(stft: nn.Module, num_samples: torch.Tensor) -> torch.Tensor:
    """Frames of SpeechBrain's ``STFT`` (``torch.stft``) for some sample counts.

    ``(num_samples + pad - n_fft) // hop + 1`` with ``pad = 2 * (n_fft // 2)``
    when centred (``1 + num_samples // hop`` for an even ``n_fft``), else 0.

    Arguments
    ---------
    stft : torch.nn.Module
        SpeechBrain's ``speechbrain.processing.features.STFT`` (its
        ``hop_length`` already in samples, ``n_fft``, ``center``).
    num_samples : torch.Tensor
        ``(batch,)`` int64 sample counts.

    Returns
    -------
    torch.Tensor
        ``(batch,)`` int64 frame counts, at least 1.

    Example
    -------
    >>> from speechbrain.processing.features import STFT
    >>> stft = STFT(sample_rate=16000, hop_length=10, win_length=25, n_fft=400)
    >>> stft_frame_count(stft, torch.tensor([8000, 8159, 8160, 8161]))
    tensor([51, 51, 52, 52])
    >>> [stft(torch.rand(1, n)).shape[1] for n in (8000, 8159, 8160, 8161)]
    [51, 51, 52, 52]
    """
    pad = 2 * (stft.n_fft // 2) if stft.center else 0
    inner = (num_samples + (pad - stft.n_fft)).clamp_min(0)
    return (torch.div(inner, stft.hop_length, rounding_mode="floor") + 1).long()


def frame_count(
    compute_features: nn.Module, num_samples: torch.Tensor
) -> torch.Tensor | None:
    """Frames ``compute_features`` gives a waveform of ``num_samples`` alone.

    Arguments
    ---------
    compute_features : torch.nn.Module
        A feature module with a ``frames(num_samples)`` method, or a
        SpeechBrain filterbank (``compute_STFT``), e.g. ``Fbank``.
    num_samples : torch.Tensor
        ``(batch,)`` int64 sample counts.

    Returns
    -------
    torch.Tensor or None
        ``(batch,)`` int64 frame counts; ``None`` when the module says
        nothing about its frames (see the module docstring).

    Example
    -------
    >>> from speechbrain.lobes.features import Fbank
    >>> frame_count(Fbank(hop_length=20), torch.tensor([16000, 16319]))
    tensor([51, 51])
    >>> frame_count(nn.Identity(), torch.tensor([16000])) is None
    True
    """
    frames = getattr(compute_features, "frames", None)
    if callable(frames):
        return frames(num_samples)
    stft = getattr(compute_features, "compute_STFT", None)
    if stft is not None and hasattr(stft, "hop_length") and hasattr(stft, "n_fft"):
        return stft_frame_count(stft, num_samples)
    return None


def frame_lengths(
    compute_features: nn.Module,
    lens: torch.Tensor,
    num_samples: int,
    num_frames: int,
) -> torch.Tensor:
    """Relative lengths of the feature frames of a padded batch of waveforms.

    ``round(result * num_frames)`` is the number of frames each waveform
    has alone (see the module docstring), and so is SpeechBrain's
    ``make_padding_mask``'s count (see :func:`relative_lengths`). Where
    ``compute_features`` says nothing about its frames, or where its rule
    does not give ``num_frames`` for the whole padded length (features that
    are not what the rule says), ``lens`` comes back unchanged: the old
    rule.

    Arguments
    ---------
    compute_features : torch.nn.Module
        The module that turned the waveforms into the features.
    lens : torch.Tensor
        ``(batch,)`` relative lengths of the waveforms, in ``[0, 1]``.
    num_samples : int
        The padded time dimension of the waveforms, ``wavs.shape[1]``.
    num_frames : int
        The padded time dimension of the features, ``feats.shape[1]``.

    Returns
    -------
    torch.Tensor
        ``(batch,)`` relative lengths of the frames, in ``lens``'s dtype.

    Example
    -------
    >>> from speechbrain.lobes.features import Fbank
    >>> fbank = Fbank(hop_length=10)  # 160 samples
    >>> wavs = torch.rand(2, 16000)
    >>> lens = torch.tensor([1.0, 8159 / 16000])  # 8159 samples: 51 frames
    >>> feats = fbank(wavs)
    >>> feats.shape[1]
    101
    >>> round(float(lens[1]) * 101)  # the old rule: one frame too many
    52
    >>> frame_lens = frame_lengths(fbank, lens, wavs.shape[1], feats.shape[1])
    >>> torch.round(frame_lens * 101).long()
    tensor([101,  51])
    """
    samples = torch.round(lens.detach() * num_samples).long()
    counts = frame_count(compute_features, samples)
    if counts is None:
        return lens
    full = frame_count(compute_features, torch.ones_like(samples) * num_samples)
    exact = relative_lengths(counts.clamp(1, num_frames), num_frames)
    return torch.where(full == num_frames, exact.to(lens.dtype), lens)


def frame_quantile(
    values: torch.Tensor, valid: torch.Tensor | None, quantile: float
) -> torch.Tensor:
    """Each row's ``quantile`` over its valid frames, padding left out.

    The lower order statistic at ``quantile * (valid - 1)`` (no
    interpolation): a value the row really has. Padding frames sort last, so
    a padded row gives what it gives alone.

    Arguments
    ---------
    values : torch.Tensor
        ``(batch, frames)`` or ``(batch, frames, channels)``.
    valid : torch.Tensor or None
        ``(batch,)`` int64: how many leading frames of each row are real
        (at least 1); ``None``: every frame is.
    quantile : float
        In ``[0, 1]``: 0 the smallest value, 1 the largest.

    Returns
    -------
    torch.Tensor
        ``(batch, 1)`` or ``(batch, 1, channels)``: per channel.

    Example
    -------
    >>> values = torch.tensor([[4.0, 1.0, 3.0, 2.0], [5.0, 7.0, 0.0, 0.0]])
    >>> frame_quantile(values, torch.tensor([4, 2]), 0.5)  # row 2: 5 and 7
    tensor([[2.],
            [5.]])
    """
    if valid is None:
        valid = torch.full((values.shape[0],), values.shape[1], device=values.device)
    steps = torch.arange(values.shape[1], device=values.device)
    padded = steps.unsqueeze(0) >= valid.unsqueeze(1)
    if values.dim() == 3:
        padded = padded.unsqueeze(-1)
    ordered = values.masked_fill(padded, float("inf")).sort(1).values
    index = torch.floor(quantile * (valid - 1).to(values.dtype)).long()
    index = index.view(-1, *([1] * (values.dim() - 1)))
    return ordered.gather(1, index.expand(-1, 1, *values.shape[2:]))
