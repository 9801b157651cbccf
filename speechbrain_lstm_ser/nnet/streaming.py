"""Streaming emotion recognition: a model that carries its state chunk by chunk.

A unidirectional LSTM reads a stream one chunk at a time and carries its
``(h, c)`` state; so can the rest of the model, when every part of it is
causal. Three pieces make an
:class:`~speechbrain_lstm_ser.nnet.models.UtteranceClassifierModel` streamable,
and :class:`StreamingClassifier` runs it:

* :class:`CausalFbank`: SpeechBrain's ``Fbank`` without its per-recording
  dB floor (``top_db`` clips at the maximum of the *whole* recording, which a
  stream does not know yet). A frame needs ``n_fft / 2`` samples after its
  centre: that is the only look-ahead of the model (16 ms at 16 kHz with
  ``n_fft: 512``).
* :class:`StreamingFeatures`: the features and their normalisation, chunk by
  chunk, giving exactly the frames of the whole recording. ALL of the
  streaming feature computation lives here, including the level
  normalisation of
  :class:`~speechbrain_lstm_ser.nnet.normalization.RunningReferenceNormalization`
  (a running reference: invariance to the microphone's gain).
* :class:`DecayingAttentiveStatisticsPooling`: attentive statistics (an
  attention-weighted mean and standard deviation, as
  :class:`~speechbrain_lstm_ser.nnet.pooling.AttentiveStatisticsPooling`)
  whose weights also decay exponentially with the age of a frame (time
  constant ``time_constant`` frames). Its running sums are a constant-size
  state, so it updates frame by frame in O(1) memory, and it *forgets*: in a
  live stream the label follows the last few seconds instead of averaging
  the whole stream since it started (plain running attention statistics
  would never change their mind after an hour). A sliding window would
  forget too, but needs the window's frames in memory and a hard edge; the
  exponential summary is three vectors. In training, the pooled vector of
  an utterance is the summary at its last frame, i.e. exactly what the
  stream shows at that moment.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import torch
from speechbrain.lobes.features import Fbank
from speechbrain.processing.features import spectral_magnitude
from torch import nn

from speechbrain_lstm_ser.nnet.encoders import LSTMEncoder, length_mask
from speechbrain_lstm_ser.nnet.models import UtteranceClassifierModel
from speechbrain_lstm_ser.nnet.normalization import RunningReferenceNormalization
from speechbrain_lstm_ser.nnet.pooling import attention_network, masked_mean_std

__all__ = [
    "CausalFbank",
    "DecayingAttentiveStatisticsPooling",
    "FeatureState",
    "StreamState",
    "StreamingClassifier",
    "StreamingFeatures",
    "check_streamable",
]

#: Frames per block when a whole recording is pooled frame by frame.
_BLOCK = 256


class CausalFbank(Fbank):
    """SpeechBrain's ``Fbank`` without the per-recording dB floor.

    ``Fbank`` clips log-energies at 80 dB below the loudest bin of the whole
    input, which depends on the future. This one only floors the energy
    (``amin``), so each frame depends on its own window only, and a stream
    computed chunk by chunk gives the same frames as the whole recording.
    The same arguments as ``Fbank`` (deltas and context windows are not
    allowed: streaming needs frame-local features).

    Example
    -------
    >>> fbank = CausalFbank(n_mels=20, hop_length=20, win_length=32, n_fft=512)
    >>> fbank(torch.rand(1, 16000)).shape
    torch.Size([1, 51, 20])
    """

    def __init__(self, **kwargs):
        for key in ("deltas", "context"):
            if kwargs.get(key):
                raise ValueError(f"CausalFbank: {key}=True is not frame-local")
        super().__init__(**kwargs)
        self.compute_fbanks.top_db = math.inf


def _stft_settings(compute_features: nn.Module):
    stft = getattr(compute_features, "compute_STFT", None)
    if stft is None or not hasattr(compute_features, "compute_fbanks"):
        raise TypeError(
            f"streaming needs SpeechBrain filterbank features, got "
            f"{type(compute_features).__name__}: use "
            "speechbrain_lstm_ser.nnet.streaming.CausalFbank as compute_features"
        )
    return stft


def check_streamable(model: UtteranceClassifierModel) -> None:
    """Raises ``ValueError`` naming the part of ``model`` that cannot stream.

    Arguments
    ---------
    model : UtteranceClassifierModel
        Its parts must be causal: :class:`CausalFbank` features, no
        ``reference_norm`` or a
        :class:`~speechbrain_lstm_ser.nnet.normalization.RunningReferenceNormalization`,
        global (fixed) normalisation, a unidirectional :class:`LSTMEncoder`,
        a :class:`DecayingAttentiveStatisticsPooling`, no ``functionals``.

    Example
    -------
    >>> from speechbrain_lstm_ser.nnet.models import UtteranceClassifierModel
    >>> from speechbrain.processing.features import InputNormalization
    >>> from speechbrain_lstm_ser.nnet.heads import ClassificationHead
    >>> model = UtteranceClassifierModel(
    ...     CausalFbank(n_mels=20), InputNormalization(),
    ...     LSTMEncoder(20, 8, bidirectional=False),
    ...     DecayingAttentiveStatisticsPooling(8, 4), ClassificationHead(16, 4, 8))
    >>> check_streamable(model)
    """
    fix = "train the streaming configuration (hparams/streaming_lstm.yaml)"
    features = model.compute_features
    if not isinstance(features, CausalFbank):
        raise ValueError(
            f"compute_features is {type(features).__name__}, whose dB floor depends "
            f"on the whole recording: {fix}"
        )
    reference_norm = getattr(model, "reference_norm", None)
    if reference_norm is not None and not isinstance(
        reference_norm, RunningReferenceNormalization
    ):
        raise ValueError(
            f"reference_norm is {type(reference_norm).__name__}, whose reference "
            "is the mean of the whole recording (the future): use "
            "speechbrain_lstm_ser.nnet.normalization.RunningReferenceNormalization "
            f"(causal); {fix}"
        )
    if getattr(model, "functionals", None) is not None:
        raise ValueError(
            "functionals are statistics of the whole recording (the future): "
            f"train without utterance_functionals; {fix}"
        )
    norm = getattr(model.mean_var_norm, "norm_type", "global")
    if norm != "global":
        raise ValueError(
            f"mean_var_norm has norm_type {norm!r} (statistics of the whole "
            f"recording): use norm_type: global; {fix}"
        )
    encoder = model.encoder
    if not isinstance(encoder, LSTMEncoder) or encoder.bidirectional:
        raise ValueError(
            f"the encoder ({type(encoder).__name__}) must be a unidirectional "
            f"LSTMEncoder (bidirectional: False): {fix}"
        )
    if not isinstance(model.pooling, DecayingAttentiveStatisticsPooling):
        raise ValueError(
            f"the pooling ({type(model.pooling).__name__}) cannot be updated frame "
            f"by frame: use DecayingAttentiveStatisticsPooling; {fix}"
        )


class DecayingAttentiveStatisticsPooling(nn.Module):
    """Attentive statistics whose weights decay with the age of a frame.

    At frame ``t``, frame ``s <= t`` weighs ``exp(e_s - (t - s) / tau)``
    (per feature), with ``e_s`` the attention network's score of frame
    ``s`` and ``tau`` the ``time_constant`` in frames; the output is the
    weighted mean and standard deviation. :meth:`forward` returns it at the
    last real frame of each utterance (what training and whole-file
    inference use); :meth:`step` updates it chunk by chunk from a
    constant-size state (streaming); :meth:`forward_frames` gives it at
    every frame. The attention sees the frame only (no utterance-level
    context, which would need the future).

    Arguments
    ---------
    input_size : int
        Features per frame.
    attention_size : int
        Hidden size of the attention network.
    time_constant : float
        Memory in frames (``1 / decay rate``): a frame's weight falls by
        ``e`` every ``time_constant`` frames. ``math.inf``: no forgetting.

    Example
    -------
    >>> pool = DecayingAttentiveStatisticsPooling(6, 4, time_constant=50)
    >>> x = torch.rand(2, 30, 6)
    >>> pool(x, torch.tensor([1.0, 0.5])).shape
    torch.Size([2, 1, 12])
    >>> state = pool.init_state(2)
    >>> first, state = pool.step(x[:, :10], state)
    >>> rest, state = pool.step(x[:, 10:], state)
    >>> every = torch.cat([first, rest], dim=1)  # (batch, frames, 12)
    >>> torch.allclose(every[:, -1], pool(x)[:, 0], atol=1e-5)
    True
    """

    def __init__(
        self, input_size: int, attention_size: int = 64, time_constant: float = 100.0
    ):
        super().__init__()
        if not time_constant > 0:
            raise ValueError(f"time_constant must be > 0 frames, got {time_constant}")
        self.attention = attention_network(input_size, attention_size, input_size)
        self.decay = 1.0 / float(time_constant)
        self.output_size = 2 * input_size

    def forward(
        self, x: torch.Tensor, lens: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Pools ``x`` ``(batch, time, features)`` to ``(batch, 1, 2 * features)``.

        The summary at the last real frame of each utterance.
        """
        batch, time = x.shape[0], x.shape[1]
        mask = length_mask(lens, time, batch, x.device)
        last = mask.sum(dim=1, keepdim=True) - 1  # (batch, 1)
        age = last - torch.arange(time, device=x.device)[None, :]
        scores = self.attention(x) - (age.to(x.dtype) * self.decay).unsqueeze(-1)
        scores = scores.masked_fill(~mask.unsqueeze(-1), float("-inf"))
        mean, std = masked_mean_std(x, torch.softmax(scores, dim=1))
        return torch.cat([mean, std], dim=-1).unsqueeze(1)

    def init_state(self, batch: int = 1, device=None) -> tuple[torch.Tensor, ...]:
        """The state before any frame: ``(log_offset, sum_w, sum_wx, sum_wx2)``."""
        size = self.output_size // 2
        zeros = torch.zeros(batch, size, device=device)
        offset = torch.full_like(zeros, -math.inf)
        return (offset, zeros, zeros.clone(), zeros.clone())  # distinct tensors

    def step(
        self, x: torch.Tensor, state: tuple[torch.Tensor, ...]
    ) -> tuple[torch.Tensor, tuple[torch.Tensor, ...]]:
        """The summary after each frame of a chunk.

        Arguments
        ---------
        x : torch.Tensor
            ``(batch, frames, features)``, the next frames of the stream
            (may be empty).
        state : tuple of torch.Tensor
            From :meth:`init_state` or the previous :meth:`step`.

        Returns
        -------
        pooled : torch.Tensor
            ``(batch, frames, 2 * features)``: mean and std after each frame.
        state : tuple of torch.Tensor
            The state after the chunk (the same sizes, whatever its length).
        """
        if x.shape[1] == 0:
            return x.new_zeros(x.shape[0], 0, self.output_size), state
        log_offset, sum_w, sum_wx, sum_wx2 = state
        frames = x.shape[1]
        # Scaled by exp(j * decay) at chunk frame j: the factor cancels in the
        # ratios, and the running sums become cumulative sums.
        ramp = torch.arange(frames, device=x.device, dtype=x.dtype) * self.decay
        logits = self.attention(x) + ramp[None, :, None]
        prior = log_offset - self.decay
        top = torch.maximum(prior, logits.amax(dim=1))  # (batch, features)
        carry = torch.exp(prior - top)
        weights = torch.exp(logits - top.unsqueeze(1))
        w = carry.unsqueeze(1) * sum_w.unsqueeze(1) + weights.cumsum(dim=1)
        wx = carry.unsqueeze(1) * sum_wx.unsqueeze(1) + (weights * x).cumsum(dim=1)
        wx2 = carry.unsqueeze(1) * sum_wx2.unsqueeze(1) + (weights * x * x).cumsum(
            dim=1
        )
        mean = wx / w
        var = (wx2 / w - mean * mean).clamp(min=0.0)
        std = torch.where(var > 1e-5, torch.sqrt(var.clamp(min=1e-5)), 0.0 * var)
        pooled = torch.cat([mean, std], dim=-1)
        new_state = (top - (frames - 1) * self.decay, w[:, -1], wx[:, -1], wx2[:, -1])
        return pooled, new_state

    def forward_frames(self, x: torch.Tensor) -> torch.Tensor:
        """The summary after every frame ``(batch, time, 2 * features)``.

        Arguments
        ---------
        x : torch.Tensor
            ``(batch, time, features)``, a whole recording (no padding).

        Returns
        -------
        torch.Tensor
        """
        state = self.init_state(x.shape[0], x.device)
        out = []
        for start in range(0, x.shape[1], _BLOCK):
            pooled, state = self.step(x[:, start : start + _BLOCK], state)
            out.append(pooled)
        return torch.cat(out, dim=1) if out else x.new_zeros(x.shape[0], 0, 0)


@dataclass(frozen=True)
class FeatureState:
    """Where :class:`StreamingFeatures` is in a stream (constant size).

    Arguments
    ---------
    buffer : torch.Tensor
        ``(batch, samples)``: the samples not yet consumed (under ``n_fft``).
    samples : int
        Samples received so far.
    frames : int
        Frames emitted so far.
    reference : tuple of torch.Tensor
        The state of the running reference (``(total, count, loudest)`` of
        :class:`~speechbrain_lstm_ser.nnet.normalization.RunningReferenceNormalization`,
        and ``loudest_power`` with its noise floor); empty without one.
    """

    buffer: torch.Tensor
    samples: int = 0
    frames: int = 0
    reference: tuple[torch.Tensor, ...] = ()


@dataclass(frozen=True)
class StreamState:
    """Where :class:`StreamingClassifier` is in a stream: one type for every runtime.

    The PyTorch stream (:meth:`StreamingClassifier.step`) and the ONNX step
    (:class:`~speechbrain_lstm_ser.export.streaming_onnx.StreamingOnnxStep`)
    carry this state; :meth:`tensors` and :meth:`from_tensors` are its flat
    form, the ONNX graph's state inputs and outputs, named :meth:`names`.

    Arguments
    ---------
    features : FeatureState
        The feature buffer and the running reference.
    lstm : tuple of (torch.Tensor, torch.Tensor)
        ``(h, c)`` of each LSTM layer, each ``(1, batch, size)``.
    pooling : tuple of torch.Tensor
        The pooling's running sums (``(offset, w, wx, wx2)`` of
        :class:`DecayingAttentiveStatisticsPooling`).

    Example
    -------
    >>> one = torch.zeros(1, 1, 8)
    >>> state = StreamState(FeatureState(torch.zeros(1, 256)), ((one, one),),
    ...                     tuple(torch.zeros(1, 16) for _ in range(4)))
    >>> [t.shape[0] for t in state.tensors()], StreamState.names(False)[:2]
    ([1, 1, 1, 1, 1, 1], ('h', 'c'))
    """

    features: FeatureState
    lstm: tuple[tuple[torch.Tensor, torch.Tensor], ...]
    pooling: tuple[torch.Tensor, ...]

    #: The flat state's names without a running reference (ONNX inputs).
    NAMES = ("h", "c", "pool_offset", "pool_w", "pool_wx", "pool_wx2")
    #: The names the running reference's state adds after :attr:`NAMES`.
    REFERENCE_NAMES = ("ref_total", "ref_count", "ref_loudest")
    #: The name its noise floor adds after :attr:`REFERENCE_NAMES`.
    NOISE_FLOOR_NAMES = ("ref_loudest_power",)

    @staticmethod
    def names(reference: bool, noise_floor: bool = False) -> tuple[str, ...]:
        """The names of :meth:`tensors` (a running reference, its noise floor)."""
        names = StreamState.NAMES + (StreamState.REFERENCE_NAMES if reference else ())
        return names + (StreamState.NOISE_FLOOR_NAMES if noise_floor else ())

    def tensors(self) -> tuple[torch.Tensor, ...]:
        """``h, c`` (``(layers, batch, size)``), the pooling's and the reference's."""
        h = torch.cat([hc[0] for hc in self.lstm])
        c = torch.cat([hc[1] for hc in self.lstm])
        return (h, c, *self.pooling, *self.features.reference)

    @classmethod
    def from_tensors(
        cls, features: FeatureState, h, c, *rest: torch.Tensor
    ) -> StreamState:
        """The state of :meth:`tensors` (``rest``: pooling, then the reference)."""
        pooling, reference = rest[:4], tuple(rest[4:])
        lstm = tuple((h[i : i + 1], c[i : i + 1]) for i in range(h.shape[0]))
        features = dataclasses.replace(features, reference=reference)
        return cls(features, lstm, tuple(pooling))


class StreamingFeatures(nn.Module):
    """The model's normalised features, computed chunk by chunk.

    Frame ``i`` is centred on sample ``i * hop`` and needs the samples up to
    ``i * hop + n_fft / 2`` (its look-ahead, :attr:`lookahead`); it is
    emitted by the first :meth:`step` that has them, and :meth:`finish`
    emits the last frames with the zero padding of the whole-recording
    computation, so the frames of a stream are those of
    ``normalise(compute_features(whole_recording))``.

    The state is the few samples not yet consumed (under ``n_fft``), the
    sample count and, with a ``reference_norm``, its running sums: constant
    size.

    Arguments
    ---------
    compute_features : torch.nn.Module
        A :class:`CausalFbank` (or ``Fbank``-like with ``compute_STFT`` and
        ``compute_fbanks``).
    mean_var_norm : torch.nn.Module
        ``InputNormalization`` with fixed (global) statistics.
    reference_norm : RunningReferenceNormalization, optional
        Applied before ``mean_var_norm``, its state carried from chunk to
        chunk; ``None``: none.

    Example
    -------
    >>> from speechbrain.processing.features import InputNormalization
    >>> fbank, norm = CausalFbank(n_mels=20, n_fft=512), InputNormalization()
    >>> _ = norm(fbank(torch.rand(2, 8000)), torch.ones(2))  # global statistics
    >>> norm = norm.eval()
    >>> stream = StreamingFeatures(fbank, norm)
    >>> wav = torch.rand(1, 5000)
    >>> state = stream.init_state()
    >>> a, state = stream.step(wav[:, :1234], state)
    >>> b, state = stream.step(wav[:, 1234:], state)
    >>> c = stream.finish(state)
    >>> frames = torch.cat([a, b, c], dim=1)
    >>> whole = stream.normalise(fbank(wav))
    >>> frames.shape == whole.shape, torch.allclose(frames, whole, atol=1e-4)
    (True, True)
    """

    def __init__(
        self,
        compute_features: nn.Module,
        mean_var_norm: nn.Module,
        reference_norm: RunningReferenceNormalization | None = None,
    ):
        super().__init__()
        self.compute_features = compute_features
        self.reference_norm = reference_norm
        self.mean_var_norm = mean_var_norm
        stft = _stft_settings(compute_features)
        self.n_fft = stft.n_fft
        self.hop = stft.hop_length
        if not stft.center or stft.pad_mode != "constant":
            raise ValueError("streaming features need a centred, zero-padded STFT")

    @property
    def lookahead(self) -> int:
        """Samples a frame needs after its centre (``n_fft // 2``)."""
        return self.n_fft // 2

    def init_state(self, batch: int = 1, device=None) -> FeatureState:
        """The state before the first sample: the left zero padding."""
        reference = ()
        if self.reference_norm is not None:
            reference = self.reference_norm.init_state(batch, self._n_mels(), device)
        buffer = torch.zeros(batch, self.n_fft // 2, device=device)
        return FeatureState(buffer, reference=tuple(reference))

    def normalise(self, feats: torch.Tensor) -> torch.Tensor:
        """Normalises the ``(batch, frames, n_mels)`` features of whole recordings.

        The running reference (if any) from the first frame, then the fixed
        statistics: what :meth:`step` gives chunk by chunk.
        """
        if feats.shape[1] == 0:
            return feats
        lens = torch.ones(feats.shape[0], device=feats.device)
        if self.reference_norm is not None:
            feats = self.reference_norm(feats, lens)
        return self.mean_var_norm(feats, lens)

    def normalise_step(
        self, feats: torch.Tensor, reference_state: tuple[torch.Tensor, ...]
    ) -> tuple[torch.Tensor, tuple[torch.Tensor, ...]]:
        """Normalises the next frames of a stream.

        Arguments
        ---------
        feats : torch.Tensor
            ``(batch, frames, n_mels)`` un-normalised features.
        reference_state : tuple of torch.Tensor
            The state of ``reference_norm`` (:attr:`FeatureState.reference`);
            empty without one.

        Returns
        -------
        feats : torch.Tensor
            ``(batch, frames, n_mels)``.
        reference_state : tuple of torch.Tensor
        """
        if feats.shape[1] == 0:
            return feats, reference_state
        if self.reference_norm is not None:
            feats, reference_state = self.reference_norm.step(feats, reference_state)
        lens = torch.ones(feats.shape[0], device=feats.device)
        return self.mean_var_norm(feats, lens), tuple(reference_state)

    def _frames(self, buffer: torch.Tensor, count: int) -> torch.Tensor:
        """Un-normalised features of the first ``count`` full windows of ``buffer``."""
        if count <= 0:
            return buffer.new_zeros(buffer.shape[0], 0, self._n_mels())
        return self.window_frames(buffer[:, : (count - 1) * self.hop + self.n_fft])

    def window_frames(self, wav: torch.Tensor) -> torch.Tensor:
        """Un-normalised features of every full window of ``wav`` (no padding).

        Arguments
        ---------
        wav : torch.Tensor
            ``(batch, (frames - 1) * hop + n_fft)`` samples.

        Returns
        -------
        torch.Tensor
            ``(batch, frames, n_mels)``.
        """
        stft_module = self.compute_features.compute_STFT
        stft = torch.stft(
            wav,
            self.n_fft,
            self.hop,
            stft_module.win_length,
            stft_module.window.to(wav.device),
            False,  # center: the buffer already holds the padding
            normalized=stft_module.normalized_stft,
            onesided=stft_module.onesided,
            return_complex=True,
        )
        stft = torch.view_as_real(stft).transpose(2, 1)
        return self.compute_features.compute_fbanks(spectral_magnitude(stft))

    def _n_mels(self) -> int:
        return self.compute_features.compute_fbanks.n_mels

    def step(
        self, chunk: torch.Tensor, state: FeatureState
    ) -> tuple[torch.Tensor, FeatureState]:
        """The frames that ``chunk`` completes.

        Arguments
        ---------
        chunk : torch.Tensor
            ``(batch, samples)``, the next samples of the stream (any count).
        state : FeatureState
            From :meth:`init_state` or the previous :meth:`step`.

        Returns
        -------
        feats : torch.Tensor
            ``(batch, new_frames, n_mels)`` normalised features.
        state : FeatureState
        """
        buffer = torch.cat([state.buffer, chunk.to(state.buffer.dtype)], dim=1)
        count = max(0, (buffer.shape[1] - self.n_fft) // self.hop + 1)
        feats, reference = self.normalise_step(
            self._frames(buffer, count), state.reference
        )
        new_state = FeatureState(
            buffer[:, count * self.hop :],
            state.samples + chunk.shape[1],
            state.frames + count,
            reference,
        )
        return feats, new_state

    def finish(self, state: FeatureState) -> torch.Tensor:
        """The last frames, with the zero padding of the end of a recording.

        Arguments
        ---------
        state : FeatureState
            The state after the last :meth:`step`.

        Returns
        -------
        torch.Tensor
            ``(batch, frames, n_mels)``: the whole recording has
            ``1 + samples // hop`` frames in all.
        """
        pad = state.buffer.new_zeros(state.buffer.shape[0], self.n_fft // 2)
        buffer = torch.cat([state.buffer, pad], dim=1)
        count = 1 + state.samples // self.hop - state.frames
        feats, _ = self.normalise_step(self._frames(buffer, count), state.reference)
        return feats


class StreamingClassifier(nn.Module):
    """Runs a causal :class:`UtteranceClassifierModel` on a stream, chunk by chunk.

    :meth:`step` returns the class log-probabilities after every new feature
    frame, carrying the feature buffer, the LSTM states and the pooling's
    running sums in a constant-size state; :meth:`forward_frames` computes
    the same outputs over a whole recording at once (the reference the
    stream matches, to float tolerance).

    Arguments
    ---------
    model : UtteranceClassifierModel
        A streamable model (see :func:`check_streamable`), in eval mode.

    Example
    -------
    >>> from speechbrain.processing.features import InputNormalization
    >>> from speechbrain_lstm_ser.nnet.heads import ClassificationHead
    >>> torch.manual_seed(0) and None
    >>> model = UtteranceClassifierModel(
    ...     CausalFbank(n_mels=20), InputNormalization(),
    ...     LSTMEncoder(20, 8, bidirectional=False),
    ...     DecayingAttentiveStatisticsPooling(8, 4), ClassificationHead(16, 4, 8),
    ... )
    >>> _ = model(torch.rand(2, 8000))  # global statistics of the normalisation
    >>> stream = StreamingClassifier(model.eval())
    >>> wav = torch.rand(1, 8000)
    >>> state, outs = stream.init_state(), []
    >>> for chunk in wav.split(1000, dim=1):
    ...     out, state = stream.step(chunk, state)
    ...     outs.append(out)
    >>> outs.append(stream.finish(state))
    >>> frames = torch.cat(outs, dim=1)  # (batch, frames, classes)
    >>> torch.allclose(frames, stream.forward_frames(wav), atol=1e-4)
    True
    >>> torch.allclose(frames[:, -1], model(wav)[:, 0], atol=1e-4)
    True
    """

    def __init__(self, model: UtteranceClassifierModel):
        super().__init__()
        check_streamable(model)
        self.model = model
        self.features = StreamingFeatures(
            model.compute_features,
            model.mean_var_norm,
            getattr(model, "reference_norm", None),
        )

    @property
    def hop(self) -> int:
        """Samples between two output frames."""
        return self.features.hop

    @property
    def lookahead(self) -> int:
        """Samples the model needs after a frame's centre to emit it."""
        return self.features.lookahead

    def init_state(self, batch: int = 1, device=None) -> StreamState:
        """The state before the stream: empty buffers, zero LSTM states."""
        lstm_state = []
        for lstm in self.model.encoder.forward_layers:
            hidden = lstm.proj_size or lstm.hidden_size
            lstm_state.append(
                (
                    torch.zeros(1, batch, hidden, device=device),
                    torch.zeros(1, batch, lstm.hidden_size, device=device),
                )
            )
        return StreamState(
            self.features.init_state(batch, device),
            tuple(lstm_state),
            tuple(self.model.pooling.init_state(batch, device)),
        )

    def _encode_step(self, feats: torch.Tensor, state: StreamState):
        encoder = self.model.encoder
        x, lstm_state = feats, []
        for lstm, hc in zip(encoder.forward_layers, state.lstm, strict=True):
            x, hc = lstm(x, hc)
            lstm_state.append(hc)
        if encoder.output is not None:
            x = encoder.output(x)
        return x, tuple(lstm_state)

    def _head_frames(self, head: nn.Module, pooled: torch.Tensor, size: int):
        """``head`` on each frame of ``(batch, frames, pooled)``: ``size`` outputs."""
        batch, frames, width = pooled.shape
        if frames == 0:
            return pooled.new_zeros(batch, 0, size)
        out = head(pooled.reshape(batch * frames, width))
        return out.reshape(batch, frames, -1)

    def _outputs(self, pooled: torch.Tensor, with_dimensions: bool):
        """The class log-probabilities of pooled frames, and their dimensions."""
        model = self.model
        log_probs = self._head_frames(
            model.classifier, pooled, model.classifier.num_classes
        )
        if not with_dimensions:
            return log_probs
        if model.regressor is None:
            raise ValueError(
                "this model has no regressor: train it with dimension_weight > 0 "
                "(docs/dimensional.md) to predict dimensions"
            )
        size = getattr(model.regressor, "num_dimensions", 3)
        return log_probs, self._head_frames(model.regressor, pooled, size)

    def step_features(
        self, feats: torch.Tensor, state: StreamState, with_dimensions: bool = False
    ) -> tuple[torch.Tensor, StreamState]:
        """Log-probabilities after each of some normalised feature frames.

        Arguments
        ---------
        feats : torch.Tensor
            ``(batch, frames, n_mels)`` normalised features.
        state : StreamState
            The model state (its ``features`` are passed through).
        with_dimensions : bool
            Also the ``regressor``'s output after each frame, from the same
            pooled vectors (the model must have a ``regressor``).

        Returns
        -------
        log_probs : torch.Tensor or tuple of torch.Tensor
            ``(batch, frames, classes)``; with dimensions,
            ``(log_probs, dimensions)`` with ``dimensions``
            ``(batch, frames, dims)``.
        state : StreamState
        """
        if feats.shape[1] == 0:
            empty = feats.new_zeros(feats.shape[0], 0, 0)
            return self._outputs(empty, with_dimensions), state
        encoded, lstm_state = self._encode_step(feats, state)
        pooled, pool_state = self.model.pooling.step(encoded, state.pooling)
        new_state = dataclasses.replace(
            state, lstm=lstm_state, pooling=tuple(pool_state)
        )
        return self._outputs(pooled, with_dimensions), new_state

    def step(
        self, chunk: torch.Tensor, state: StreamState, with_dimensions: bool = False
    ) -> tuple[torch.Tensor, StreamState]:
        """Log-probabilities after each frame that ``chunk`` completes.

        Arguments
        ---------
        chunk : torch.Tensor
            ``(batch, samples)`` at the model's sample rate, any length.
        state : StreamState
            From :meth:`init_state` or the previous :meth:`step`.
        with_dimensions : bool
            As for :meth:`step_features`.

        Returns
        -------
        log_probs : torch.Tensor or tuple of torch.Tensor
            ``(batch, new_frames, classes)``, or ``(log_probs, dimensions)``.
        state : StreamState
        """
        feats, feat_state = self.features.step(chunk, state.features)
        out, state = self.step_features(feats, state, with_dimensions)
        return out, dataclasses.replace(state, features=feat_state)

    def finish(self, state: StreamState, with_dimensions: bool = False):
        """Log-probabilities (and dimensions) of the last frames of the stream."""
        feats = self.features.finish(state.features)
        out, _ = self.step_features(feats, state, with_dimensions)
        return out

    def forward_frames(self, wavs: torch.Tensor, with_dimensions: bool = False):
        """Log-probabilities after every frame of whole recordings, at once.

        Arguments
        ---------
        wavs : torch.Tensor
            ``(batch, time)`` waveforms of the same length.
        with_dimensions : bool
            As for :meth:`step_features`.

        Returns
        -------
        torch.Tensor or tuple of torch.Tensor
            ``(batch, frames, classes)``, the last frame is ``model(wavs)``;
            or ``(log_probs, dimensions)``.
        """
        feats = self.features.normalise(self.model.compute_features(wavs))
        encoded = self.model.encoder(feats)
        pooled = self.model.pooling.forward_frames(encoded)
        return self._outputs(pooled, with_dimensions)
