"""The task models: one module per task owns the whole forward pass.

Everything that runs a trained model calls these (the recipe's Brain, the
inference interfaces, the ONNX export, pruning, distillation and the
benchmark), so they all compute the same thing::

    wavs (batch, time), lens (batch,)
        -> compute_features -> [reference_norm] -> mean_var_norm
        -> [feature_augment]
        -> encoder -> pooling [+ functionals] -> classifier
                                             (UtteranceClassifierModel)
        -> encoder -> ctc_head               (CTCModel)

Built in the YAML from its named parts, e.g.::

    model: !new:speechbrain_lstm_ser.nnet.models.UtteranceClassifierModel
        compute_features: !ref <compute_features>
        mean_var_norm: !ref <mean_var_norm>
        encoder: !ref <encoder>
        pooling: !ref <pooling>
        classifier: !ref <classifier>

The relative lengths ``lens`` of the waveforms become those of the feature
frames by counting each waveform's frames from its samples
(:func:`~speechbrain_lstm_ser.nnet.lengths.frame_lengths`), so a file's
frames in a padded batch are exactly its frames alone, and so are its
outputs (to float tolerance).

Waveform pre-processing (denoising, silence trimming) is deliberately **not**
part of a model: it changes lengths in data-dependent ways that an exported
graph cannot hold. It is one separate step, :func:`preprocess_waveforms`,
which runs the YAML's optional ``preprocess`` module before the model, the
same way in the Brain, in inference and in the benchmark. Training-time
waveform augmentation goes between the two (in the recipe); feature
augmentation (e.g. SpecAugment) is passed to ``forward``.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import torch
from torch import nn

from speechbrain_lstm_ser.nnet.lengths import frame_lengths

__all__ = [
    "PREPROCESS",
    "CTCModel",
    "TaskModel",
    "UtteranceClassifierModel",
    "preprocess_waveforms",
]

#: The key of the optional waveform pre-processing module in a YAML's
#: ``modules:`` (and in an exported model folder).
PREPROCESS = "preprocess"


def preprocess_waveforms(
    modules: Mapping[str, nn.Module], wavs: torch.Tensor, lens: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """The step before every task model: ``modules["preprocess"]``, if any.

    The recipe's Brain, the inference interfaces and the benchmark all
    clean waveforms with this function, so a model sees its inputs cleaned
    the same way everywhere (nothing happens when the YAML defines no
    ``preprocess``).

    Arguments
    ---------
    modules : mapping
        A YAML's ``modules`` (a dict, or a Brain's / ``Pretrained``'s
        ``ModuleDict``).
    wavs : torch.Tensor
        ``(batch, time)`` waveforms.
    lens : torch.Tensor
        ``(batch,)`` relative lengths in ``[0, 1]``.

    Returns
    -------
    wavs : torch.Tensor
        ``(batch, time')`` cleaned waveforms.
    lens : torch.Tensor
        ``(batch,)`` their relative lengths.

    Example
    -------
    >>> wavs, lens = torch.rand(2, 100), torch.tensor([1.0, 0.5])
    >>> preprocess_waveforms({}, wavs, lens)[0] is wavs  # none: unchanged
    True
    """
    if PREPROCESS in modules:
        return modules[PREPROCESS](wavs, lens)
    return wavs, lens


def _full_lengths(wavs: torch.Tensor, lens: torch.Tensor | None) -> torch.Tensor:
    if lens is None:
        return torch.ones(wavs.shape[0], device=wavs.device)
    return lens


class TaskModel(nn.Module):
    """What the task models share: waveforms to normalised features, the encoder.

    Subclasses add their own parts (after these three), list all of them in
    :attr:`MODULES` and define :meth:`forward_features`.

    An optional ``reference_norm`` (e.g.
    :class:`~speechbrain_lstm_ser.nnet.normalization.ReferenceNormalization`)
    makes the features relative to a reference (the utterance itself, or
    its speaker) before ``mean_var_norm``: level and speaker normalisation.
    Models without one (and folders exported before it existed) normalise
    with global statistics only.

    Arguments
    ---------
    compute_features : torch.nn.Module
        ``wavs (batch, time) -> (batch, frames, n_mels)``, e.g. SpeechBrain's
        ``Fbank``.
    mean_var_norm : torch.nn.Module
        ``(feats, lens[, epoch]) -> feats``, e.g. SpeechBrain's
        ``InputNormalization``.
    encoder : torch.nn.Module
        ``(feats, lens) -> (batch, frames', size)``, e.g.
        :class:`~speechbrain_lstm_ser.nnet.encoders.LSTMEncoder` (the same
        frames) or :class:`~speechbrain_lstm_ser.nnet.encoders.CRNNEncoder`
        (time downsampled: relative lengths stay valid).
    reference_norm : torch.nn.Module, optional
        ``(feats, lens, reference) -> feats``, between ``compute_features``
        and ``mean_var_norm``; ``None``: none.
    """

    #: The parts, in forward order, as the YAML and an exported model folder
    #: name them (one ``<name>.ckpt`` per part with state).
    MODULES: tuple[str, ...] = ()
    #: Parts a model may have or not: name -> the part it comes after.
    OPTIONAL_MODULES: Mapping[str, str] = {"reference_norm": "compute_features"}

    #: Optional outputs a model may have or not, placed after :attr:`MODULES`.
    OPTIONAL_HEADS: tuple[str, ...] = ()

    def __init__(
        self,
        compute_features: nn.Module,
        mean_var_norm: nn.Module,
        encoder: nn.Module,
        reference_norm: nn.Module | None = None,
    ):
        super().__init__()
        self.compute_features = compute_features
        self.reference_norm = reference_norm
        self.mean_var_norm = mean_var_norm
        self.encoder = encoder

    @classmethod
    def from_modules(cls, modules: Mapping[str, nn.Module]) -> TaskModel:
        """Builds the model from named parts (e.g. a YAML's ``modules``).

        Arguments
        ---------
        modules : mapping
            At least the keys of :attr:`MODULES`; other keys are ignored.

        Returns
        -------
        TaskModel
            Holding the very same part objects (no copy).
        """
        missing = [name for name in cls.MODULES if name not in modules]
        if missing:
            raise KeyError(
                f"{cls.__name__} needs the modules {missing}; got {sorted(modules)}"
            )
        optional = (*cls.OPTIONAL_MODULES, *cls.OPTIONAL_HEADS)
        names = (*cls.MODULES, *(n for n in optional if n in modules))
        return cls(**{name: modules[name] for name in names})

    def parts(self) -> dict[str, nn.Module]:
        """The named parts in forward order (what an export writes).

        :attr:`MODULES`, with the optional parts the model has after the
        parts :attr:`OPTIONAL_MODULES` names and its optional heads at the end.
        """
        names = list(self.MODULES)
        for name, after in self.OPTIONAL_MODULES.items():
            if getattr(self, name) is not None:
                names.insert(names.index(after) + 1, name)
        names += [n for n in self.OPTIONAL_HEADS if getattr(self, n) is not None]
        return {name: getattr(self, name) for name in names}

    def features(
        self,
        wavs: torch.Tensor,
        lens: torch.Tensor | None = None,
        epoch=None,
        reference: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Normalised features ``(batch, frames, n_mels)``.

        Arguments
        ---------
        wavs : torch.Tensor
            ``(batch, time)`` waveforms, already pre-processed.
        lens : torch.Tensor, optional
            ``(batch,)`` relative lengths in ``[0, 1]``; all ones if omitted.
        epoch : int, optional
            The training epoch, which tells ``InputNormalization`` whether to
            still update its global statistics (training only).
        reference : torch.Tensor, optional
            ``(batch, channels)`` reference means for ``reference_norm``
            (e.g. each utterance's speaker); ``None``: each utterance is its
            own reference. Ignored by a model without ``reference_norm``.

        Returns
        -------
        torch.Tensor
        """
        return self.features_and_lengths(wavs, lens, epoch, reference)[0]

    def features_and_lengths(
        self,
        wavs: torch.Tensor,
        lens: torch.Tensor | None = None,
        epoch=None,
        reference: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Normalised features and the relative lengths of their frames.

        The same arguments as :meth:`features`.

        Returns
        -------
        feats : torch.Tensor
            ``(batch, frames, n_mels)`` normalised features.
        frame_lens : torch.Tensor
            ``(batch,)`` relative lengths of the frames (see
            :meth:`frame_lengths`), what the rest of the model takes.
        """
        lens = _full_lengths(wavs, lens)
        feats = self.raw_features(wavs, lens)
        frame_lens = self.frame_lengths(wavs, lens, feats.shape[1])
        if self.reference_norm is not None:
            feats = self.reference_norm(feats, frame_lens, reference)
        if epoch is None:
            return self.mean_var_norm(feats, frame_lens), frame_lens
        return self.mean_var_norm(feats, frame_lens, epoch=epoch), frame_lens

    def frame_lengths(
        self, wavs: torch.Tensor, lens: torch.Tensor | None, num_frames: int
    ) -> torch.Tensor:
        """Relative lengths of the feature frames of padded waveforms.

        Each waveform's frames counted from its samples, as it has them
        alone (see :func:`~speechbrain_lstm_ser.nnet.lengths.frame_lengths`;
        ``lens`` itself where ``compute_features`` cannot say).

        Arguments
        ---------
        wavs : torch.Tensor
            ``(batch, time)`` waveforms, as given to ``compute_features``.
        lens : torch.Tensor, optional
            ``(batch,)`` their relative lengths; all ones if omitted.
        num_frames : int
            The padded number of feature frames, ``feats.shape[1]``.

        Returns
        -------
        torch.Tensor
            ``(batch,)``.
        """
        lens = _full_lengths(wavs, lens)
        return frame_lengths(self.compute_features, lens, wavs.shape[1], num_frames)

    def raw_features(
        self, wavs: torch.Tensor, lens: torch.Tensor | None = None
    ) -> torch.Tensor:
        """``compute_features`` alone: ``(batch, frames, channels)``.

        What reference statistics are computed from (see
        :meth:`reference_statistics`). A ``compute_features`` with
        ``takes_lengths = True`` (an SSL front end, ``FbankProsody``) also gets
        ``lens``.
        """
        if getattr(self.compute_features, "takes_lengths", False):
            return self.compute_features(wavs, _full_lengths(wavs, lens))
        return self.compute_features(wavs)

    def reference_statistics(
        self, wavs: torch.Tensor, lens: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Per-utterance ``(total, count)`` for building references.

        See ``ReferenceNormalization.statistics``
        (:mod:`speechbrain_lstm_ser.nnet.normalization`); the model must have
        a ``reference_norm``.

        Arguments
        ---------
        wavs : torch.Tensor
            ``(batch, time)`` pre-processed waveforms.
        lens : torch.Tensor, optional
            ``(batch,)`` relative lengths; all ones if omitted.

        Returns
        -------
        total : torch.Tensor
            ``(batch, channels)``.
        count : torch.Tensor
            ``(batch, 1)``.
        """
        if self.reference_norm is None:
            raise ValueError(
                f"this {type(self).__name__} has no reference_norm: it takes no "
                "speaker or enrolment statistics"
            )
        lens = _full_lengths(wavs, lens)
        feats = self.raw_features(wavs, lens)
        frame_lens = self.frame_lengths(wavs, lens, feats.shape[1])
        return self.reference_norm.statistics(feats, frame_lens)

    def forward_features(self, feats: torch.Tensor, lens: torch.Tensor):
        """The rest of the forward, from normalised features on."""
        raise NotImplementedError

    def forward(
        self,
        wavs: torch.Tensor,
        lens: torch.Tensor | None = None,
        epoch=None,
        feature_augment: Callable[[torch.Tensor], torch.Tensor] | None = None,
        reference: torch.Tensor | None = None,
        **outputs,
    ) -> torch.Tensor:
        """The whole forward pass.

        Inference and export call ``model(wavs, lens)``; the Brain also
        passes the epoch and, in training, its feature augmentation.

        Arguments
        ---------
        wavs : torch.Tensor
            ``(batch, time)`` waveforms, already pre-processed (see
            :func:`preprocess_waveforms`) and, in training, augmented.
        lens : torch.Tensor, optional
            ``(batch,)`` relative lengths in ``[0, 1]``; all ones if omitted.
        epoch : int, optional
            The training epoch (for the normalisation statistics).
        feature_augment : callable, optional
            ``(batch, frames, n_mels) -> same``, applied to the normalised
            features (training only, e.g. time and frequency masking).
        reference : torch.Tensor, optional
            ``(batch, channels)`` reference means (see :meth:`features`).
        **outputs
            Options of :meth:`forward_features` (e.g. an
            :class:`UtteranceClassifierModel`'s ``with_dimensions``).

        Returns
        -------
        torch.Tensor
            See :meth:`forward_features`.
        """
        feats, frame_lens = self.features_and_lengths(wavs, lens, epoch, reference)
        if feature_augment is not None:
            feats = feature_augment(feats)
        return self.forward_features(feats, frame_lens, **outputs)


class UtteranceClassifierModel(TaskModel):
    """One label per utterance (emotion, command): waveforms to log-probabilities.

    ``compute_features`` -> ``mean_var_norm`` -> ``encoder`` -> ``pooling``
    -> ``classifier``; waveform pre-processing is a separate step before it
    (see :func:`preprocess_waveforms`).

    Arguments
    ---------
    compute_features, mean_var_norm, encoder : torch.nn.Module
        The parts every task model has (see :class:`TaskModel`), e.g.
        SpeechBrain's ``Fbank`` and ``InputNormalization`` and an
        :class:`~speechbrain_lstm_ser.nnet.encoders.LSTMEncoder`.
    pooling : torch.nn.Module
        ``(encoded, lens) -> (batch, 1, pooled)``, e.g.
        :class:`~speechbrain_lstm_ser.nnet.pooling.AttentiveStatisticsPooling`.
    classifier : torch.nn.Module
        ``(batch, 1, pooled) -> (batch, 1, classes)`` log-probabilities, e.g.
        :class:`~speechbrain_lstm_ser.nnet.heads.ClassificationHead`.
    reference_norm : torch.nn.Module, optional
        See :class:`TaskModel`.
    regressor : torch.nn.Module, optional
        A second head on the same pooled vector, ``(batch, 1, pooled) ->
        (batch, 1, dims)``, e.g.
        :class:`~speechbrain_lstm_ser.nnet.heads.DimensionHead` (arousal,
        valence, dominance in ``[0, 1]``). ``forward`` still returns the
        class log-probabilities; :meth:`dimensions` returns its outputs, and
        ``forward(..., with_dimensions=True)`` both, from one encoder pass.
    functionals : torch.nn.Module, optional
        ``(feats, lens) -> (batch, 1, n)`` utterance statistics of the
        normalised features, e.g.
        :class:`~speechbrain_lstm_ser.nnet.functionals.UtteranceFunctionals`
        (prosody functionals), appended to the pooled vector that the heads
        read (their ``input_size`` is then ``pooled + n``). ``None``: the
        pooled vector alone.
    fusion : torch.nn.Module, optional
        A late fusion of the class log-probabilities with a classifier over
        waveform functionals, e.g.
        :class:`~speechbrain_lstm_ser.nnet.fusion.FunctionalsFusion`. The
        forward does not run it (the functionals are numpy, computed per
        utterance): the inference interface applies it to the forward's
        output, and the recipe fits it after training.

    Example
    -------
    >>> from speechbrain.lobes.features import Fbank
    >>> from speechbrain.processing.features import InputNormalization
    >>> from speechbrain_lstm_ser.nnet.encoders import LSTMEncoder
    >>> from speechbrain_lstm_ser.nnet.heads import ClassificationHead
    >>> from speechbrain_lstm_ser.nnet.pooling import MeanPooling
    >>> model = UtteranceClassifierModel(
    ...     Fbank(n_mels=20), InputNormalization(norm_type="sentence"),
    ...     LSTMEncoder(20, 8),
    ...     MeanPooling(16), ClassificationHead(16, 4, 8),
    ... ).eval()
    >>> wavs, lens = torch.rand(2, 8000), torch.tensor([1.0, 0.6])
    >>> log_probs = model(wavs, lens)
    >>> log_probs.shape, model.embed(wavs, lens).shape
    (torch.Size([2, 1, 4]), torch.Size([2, 1, 16]))
    >>> bool(torch.allclose(log_probs.exp().sum(-1), torch.ones(2, 1)))
    True

    With a regression head, one encoder pass gives both outputs:

    >>> from speechbrain_lstm_ser.nnet.heads import DimensionHead
    >>> model = UtteranceClassifierModel.from_modules(
    ...     {**model.parts(), "regressor": DimensionHead(16, hidden_size=8)}
    ... ).eval()
    >>> log_probs, dims = model(wavs, lens, with_dimensions=True)
    >>> log_probs.shape, dims.shape
    (torch.Size([2, 1, 4]), torch.Size([2, 3]))
    >>> bool(torch.allclose(model.dimensions(wavs, lens), dims))
    True

    With utterance functionals of some channels beside the pooled vector:

    >>> from speechbrain_lstm_ser.nnet.functionals import UtteranceFunctionals
    >>> functionals = UtteranceFunctionals(channels=[0, 1], voicing_channel=None)
    >>> model = UtteranceClassifierModel(
    ...     Fbank(n_mels=20), InputNormalization(norm_type="sentence"),
    ...     LSTMEncoder(20, 8), MeanPooling(16),
    ...     ClassificationHead(16 + functionals.output_size, 4, 8),
    ...     functionals=functionals,
    ... ).eval()
    >>> list(model.parts())[3:]
    ['pooling', 'functionals', 'classifier']
    >>> model.embed(wavs, lens).shape
    torch.Size([2, 1, 24])
    """

    MODULES = ("compute_features", "mean_var_norm", "encoder", "pooling", "classifier")

    def __init__(
        self,
        compute_features: nn.Module,
        mean_var_norm: nn.Module,
        encoder: nn.Module,
        pooling: nn.Module,
        classifier: nn.Module,
        reference_norm: nn.Module | None = None,
        regressor: nn.Module | None = None,
        functionals: nn.Module | None = None,
        fusion: nn.Module | None = None,
    ):
        super().__init__(compute_features, mean_var_norm, encoder, reference_norm)
        self.pooling = pooling
        self.functionals = functionals
        self.classifier = classifier
        self.regressor = regressor
        self.fusion = fusion

    #: The optional parts: speaker or utterance reference, utterance functionals.
    OPTIONAL_MODULES = {"reference_norm": "compute_features", "functionals": "pooling"}
    #: The optional regression head (see :meth:`dimensions`) and late fusion.
    OPTIONAL_HEADS = ("regressor", "fusion")

    def embed_features(self, feats: torch.Tensor, lens: torch.Tensor) -> torch.Tensor:
        """Utterance embeddings ``(batch, 1, pooled)`` from normalised features.

        The pooled encoder output, followed by the ``functionals`` of the
        features if the model has them.

        Arguments
        ---------
        feats : torch.Tensor
            ``(batch, frames, n_mels)`` normalised features.
        lens : torch.Tensor
            ``(batch,)`` relative lengths.

        Returns
        -------
        torch.Tensor
        """
        return self.pool(self.encoder(feats, lens), feats, lens)

    def pool(
        self, encoded: torch.Tensor, feats: torch.Tensor, lens: torch.Tensor
    ) -> torch.Tensor:
        """The heads' input ``(batch, 1, pooled)`` from the encoder's output.

        The pooled ``encoded`` frames, followed by the ``functionals`` of
        ``feats`` if the model has them (what :meth:`embed_features` runs
        after the encoder; a profiler times it apart).

        Arguments
        ---------
        encoded : torch.Tensor
            ``(batch, frames', size)`` encoder output.
        feats : torch.Tensor
            ``(batch, frames, features)`` the encoder's input.
        lens : torch.Tensor
            ``(batch,)`` relative lengths.

        Returns
        -------
        torch.Tensor
        """
        pooled = self.pooling(encoded, lens)
        if self.functionals is None:
            return pooled
        return torch.cat([pooled, self.functionals(feats, lens)], dim=-1)

    def forward_features(
        self,
        feats: torch.Tensor,
        lens: torch.Tensor,
        with_dimensions: bool = False,
        with_embeddings: bool = False,
    ) -> torch.Tensor | tuple[torch.Tensor, ...]:
        """Class log-probabilities ``(batch, 1, classes)`` from normalised features.

        Arguments
        ---------
        feats : torch.Tensor
            ``(batch, frames, n_mels)`` normalised features.
        lens : torch.Tensor
            ``(batch,)`` relative lengths.
        with_dimensions : bool
            Also return the ``regressor``'s output ``(batch, dims)``, from
            the same encoder pass (the model must have a ``regressor``).
        with_embeddings : bool
            Also return the heads' input ``(batch, 1, pooled)`` (what a
            training-only head such as a speaker adversary reads).

        Returns
        -------
        torch.Tensor or tuple of torch.Tensor
            The log-probabilities alone, or ``(log_probs[, dimensions][,
            embeddings])``.
        """
        embeddings = self.embed_features(feats, lens)
        outputs = [self.classifier(embeddings)]
        if with_dimensions:
            outputs.append(self._regress(embeddings))
        if with_embeddings:
            outputs.append(embeddings)
        return outputs[0] if len(outputs) == 1 else tuple(outputs)

    def _regress(self, embeddings: torch.Tensor) -> torch.Tensor:
        """The regressor's ``(batch, dims)`` output from ``(batch, 1, pooled)``."""
        if self.regressor is None:
            raise ValueError(
                f"this {type(self).__name__} has no regressor: train it with "
                "dimension_weight > 0 (docs/dimensional.md) to predict dimensions"
            )
        return self.regressor(embeddings).squeeze(1)

    def dimensions(
        self,
        wavs: torch.Tensor,
        lens: torch.Tensor | None = None,
        reference: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """The regressor's output ``(batch, dims)`` (arousal, valence, dominance).

        Arguments
        ---------
        wavs : torch.Tensor
            ``(batch, time)`` pre-processed waveforms.
        lens : torch.Tensor, optional
            ``(batch,)`` relative lengths; all ones if omitted.
        reference : torch.Tensor, optional
            ``(batch, channels)`` reference means (see :meth:`features`).

        Returns
        -------
        torch.Tensor
        """
        return self._regress(self.embed(wavs, lens, reference))

    def embed(
        self,
        wavs: torch.Tensor,
        lens: torch.Tensor | None = None,
        reference: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Utterance embeddings ``(batch, 1, pooled)``: the forward without the head.

        Arguments
        ---------
        wavs : torch.Tensor
            ``(batch, time)`` pre-processed waveforms.
        lens : torch.Tensor, optional
            ``(batch,)`` relative lengths; all ones if omitted.
        reference : torch.Tensor, optional
            ``(batch, channels)`` reference means (see :meth:`features`).

        Returns
        -------
        torch.Tensor
        """
        feats, frame_lens = self.features_and_lengths(wavs, lens, None, reference)
        return self.embed_features(feats, frame_lens)


class CTCModel(TaskModel):
    """Speech recognition with CTC: waveforms to per-frame token log-probabilities.

    ``compute_features`` -> ``mean_var_norm`` -> ``encoder`` -> ``ctc_head``;
    waveform pre-processing is a separate step before it (see
    :func:`preprocess_waveforms`). The encoder may downsample time: relative
    lengths stay valid for its output.

    Arguments
    ---------
    compute_features, mean_var_norm, encoder : torch.nn.Module
        The parts every task model has (see :class:`TaskModel`); the encoder,
        e.g. a :class:`~speechbrain_lstm_ser.nnet.encoders.CRNNEncoder`, may
        downsample time.
    ctc_head : torch.nn.Module
        ``(batch, frames', size) -> (batch, frames', vocab + 1)``, e.g.
        :class:`~speechbrain_lstm_ser.nnet.heads.CTCHead` (blank last).

    Example
    -------
    >>> from speechbrain.lobes.features import Fbank
    >>> from speechbrain.processing.features import InputNormalization
    >>> from speechbrain_lstm_ser.nnet.encoders import CRNNEncoder
    >>> from speechbrain_lstm_ser.nnet.heads import CTCHead
    >>> model = CTCModel(
    ...     Fbank(n_mels=20), InputNormalization(norm_type="sentence"),
    ...     CRNNEncoder(20, [4], hidden_size=8, time_stride=2, dnn_sizes=[16]),
    ...     CTCHead(16, vocab_size=10),
    ... ).eval()
    >>> model(torch.rand(2, 8000), torch.tensor([1.0, 0.6])).shape
    torch.Size([2, 26, 11])
    """

    MODULES = ("compute_features", "mean_var_norm", "encoder", "ctc_head")

    def __init__(
        self,
        compute_features: nn.Module,
        mean_var_norm: nn.Module,
        encoder: nn.Module,
        ctc_head: nn.Module,
        reference_norm: nn.Module | None = None,
    ):
        super().__init__(compute_features, mean_var_norm, encoder, reference_norm)
        self.ctc_head = ctc_head

    def forward_features(self, feats: torch.Tensor, lens: torch.Tensor) -> torch.Tensor:
        """Token log-probabilities ``(batch, frames', vocab + 1)`` from features.

        Arguments
        ---------
        feats : torch.Tensor
            ``(batch, frames, n_mels)`` normalised features.
        lens : torch.Tensor
            ``(batch,)`` relative lengths (also those of the output frames).

        Returns
        -------
        torch.Tensor
        """
        return self.ctc_head(self.encoder(feats, lens))
