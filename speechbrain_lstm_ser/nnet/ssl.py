"""Self-supervised (SSL) front ends: a learned weighted sum of frozen SSL layers.

:class:`SSLLayerFeatures` is a ``compute_features`` for
:class:`~speechbrain_lstm_ser.nnet.models.UtteranceClassifierModel`: it maps
waveforms ``(batch, time)`` to features ``(batch, frames, D)``, the softmax-
weighted sum of chosen hidden layers of a wav2vec 2.0, HuBERT or WavLM model.
The model is loaded through SpeechBrain's own Hugging Face integration
(``speechbrain.integrations.huggingface``: ``WavLM``, ``HuBERT`` or
``Wav2Vec2``, which fetches a Hub id or reads a local folder); this module
adds what that integration lacks for our use:

- exact lengths: each waveform is normalised (zero mean, unit variance) over
  its own samples only, and the model gets an attention mask, so padding in
  a batch does not leak into an utterance's statistics;
- layer selection (``layers``) and a learned softmax weighting of them;
- a frozen model (default) or the top ``finetune_layers`` transformer layers
  fine-tuned (the rest stays frozen and in eval mode);
- cached inputs: ``forward`` also accepts the stacked layers that
  :meth:`SSLLayerFeatures.hidden_states` returned (``(batch, layers,
  frames, D)``, e.g. read from
  :mod:`speechbrain_lstm_ser.dataio.feature_cache`), so training from a cache
  runs the very same weighting as inference;
- self-contained export: :meth:`SSLLayerFeatures.inference_arguments` rebuilds
  the same architecture from its configuration (no download, no network); the
  weights travel in the model folder's ``compute_features.ckpt``.

``transformers`` is an optional dependency (``pip install ".[ssl]"``).

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence

import torch
import torch.nn.functional as F
from torch import nn

__all__ = [
    "LayerNormedFeatures",
    "SSLLoadError",
    "SSLLayerFeatures",
    "frame_lengths",
    "save_tiny_ssl_model",
]

#: The one line that says how to get the optional dependency.
INSTALL_HINT = 'the SSL front end needs `transformers`: pip install ".[ssl]"'

#: SpeechBrain's integration class for each Hugging Face ``model_type``
#: (``WavLM`` and ``HuBERT`` are ``Wav2Vec2`` with another name).
INTEGRATION_CLASSES = {"wavlm": "WavLM", "hubert": "HuBERT"}

#: Configuration keys not written into an exported model (a local path,
#: versions): the rest rebuilds the architecture.
_DROPPED_CONFIG_KEYS = ("_name_or_path", "transformers_version", "architectures")


class SSLLoadError(RuntimeError):
    """The SSL model cannot be loaded; the message says how to fix it."""


def _transformers():
    try:
        import transformers
    except ImportError:
        raise SSLLoadError(INSTALL_HINT) from None
    return transformers


def _load_integration(source: str, save_path: str | None):
    """The SSL model through SpeechBrain's Hugging Face integration."""
    transformers = _transformers()
    import speechbrain.integrations.huggingface as integrations
    from speechbrain.integrations.huggingface import wav2vec2

    if not save_path:  # SpeechBrain looks for Hub ids in this cache's layout
        from huggingface_hub import constants

        save_path = constants.HF_HUB_CACHE
    cache = str(save_path)
    try:
        config = transformers.AutoConfig.from_pretrained(source, cache_dir=cache)
    except OSError as err:
        offline = os.environ.get("HF_HUB_OFFLINE", "0") not in ("0", "", "false")
        raise SSLLoadError(
            f"cannot load the SSL model {source!r} "
            f"({'HF_HUB_OFFLINE is set' if offline else 'no network?'}; "
            f"{str(err).splitlines()[0]}): download it once with network into "
            f"the Hugging Face cache ({cache}) and set HF_HUB_OFFLINE=1, "
            "or set ssl_source to a local folder (save_pretrained: config.json, "
            "model weights, preprocessor_config.json)"
        ) from None
    name = INTEGRATION_CLASSES.get(config.model_type, "Wav2Vec2")
    integration = getattr(integrations, name, wav2vec2.Wav2Vec2)
    try:
        return integration(
            source,
            save_path=cache,
            freeze=True,
            output_all_hiddens=True,
            apply_spec_augment=False,
        )
    except OSError as err:
        raise SSLLoadError(
            f"cannot load the SSL model {source!r}: {str(err).splitlines()[0]}"
        ) from None


class _ConfigBackbone(nn.Module):
    """The architecture of an SSL model from its configuration, no weights.

    Holds the Hugging Face model as ``.model``, as SpeechBrain's integration
    does, so the state dictionaries of the two are the same.
    """

    def __init__(self, config: Mapping):
        super().__init__()
        transformers = _transformers()
        config = dict(config)
        kind = config.pop("model_type")
        hf_config = transformers.AutoConfig.for_model(kind, **config)
        self.model = transformers.AutoModel.from_config(hf_config)


def frame_lengths(model: nn.Module, samples: torch.Tensor) -> torch.Tensor:
    """Frames an SSL model's convolutional front end makes of ``samples``.

    Arguments
    ---------
    model : torch.nn.Module
        A Hugging Face wav2vec 2.0 / HuBERT / WavLM model.
    samples : torch.Tensor
        ``(batch,)`` numbers of samples.

    Returns
    -------
    torch.Tensor
        ``(batch,)`` numbers of frames (long).
    """
    return model._get_feat_extract_output_lengths(samples.long()).long()


class SSLLayerFeatures(nn.Module):
    """Waveforms to a learned softmax-weighted sum of an SSL model's layers.

    ``wavs (batch, time) -> (batch, frames, D)`` at the SSL model's frame rate
    (50 frames per second for wav2vec 2.0, HuBERT and WavLM at 16 kHz).

    Arguments
    ---------
    source : str, optional
        A Hugging Face Hub id (e.g. ``microsoft/wavlm-base-plus``) or a local
        folder (``save_pretrained``: ``config.json``, the weights and
        ``preprocessor_config.json``), loaded through SpeechBrain's
        integration. Hub ids use the Hugging Face cache (offline with
        ``HF_HUB_OFFLINE=1`` once downloaded).
    save_path : str, optional
        The Hugging Face cache folder for Hub ids (default: ``HF_HOME``'s).
    config : mapping, optional
        Instead of ``source``: the model's configuration (``model_type`` and
        the rest of ``config.json``); the architecture is built with random
        weights, to be loaded from a checkpoint (what an exported model
        folder does).
    layers : sequence of int, optional
        Hidden states to weight: 0 is the convolutional front end's projection,
        ``i`` the output of transformer layer ``i``; default all.
    finetune_layers : int
        0 (default): the SSL model is frozen (no gradient, always in eval
        mode). ``N``: the top ``N`` transformer layers train too.
    normalize_wav : bool
        Normalise each waveform to zero mean and unit variance over its own
        samples before the model (as the wav2vec 2.0 feature extractor does).
        It makes the features independent of the recording level.
    layernorm : bool
        Layer-normalise each hidden state (no affine) before the weighting, so
        that layers of different scales compete on equal terms.
    hidden_size : int, optional
        The size ``D`` the rest of the model expects; a model of another
        size is refused with one line naming the setting.

    Example
    -------
    >>> import tempfile
    >>> import pytest
    >>> _ = pytest.importorskip("transformers")
    >>> folder = save_tiny_ssl_model(tempfile.mkdtemp())
    >>> ssl = SSLLayerFeatures(folder, layers=[1, 2])
    >>> wavs, lens = torch.rand(2, 16000), torch.tensor([1.0, 0.5])
    >>> feats = ssl(wavs, lens)
    >>> feats.shape  # (batch, frames, D): 49 frames of 32 values
    torch.Size([2, 49, 32])
    >>> layers = ssl.hidden_states(wavs, lens)  # what a feature cache keeps
    >>> layers.shape  # (batch, layers, frames, D)
    torch.Size([2, 2, 49, 32])
    >>> bool(torch.allclose(ssl(layers, lens), feats))
    True
    """

    #: ``forward`` takes the relative lengths (the task models pass them).
    takes_lengths = True
    #: Not exportable to ONNX (see :mod:`speechbrain_lstm_ser.export.onnx`).
    onnx_exportable = False

    def __init__(
        self,
        source: str | None = None,
        save_path: str | None = None,
        config: Mapping | None = None,
        layers: Sequence[int] | None = None,
        finetune_layers: int = 0,
        normalize_wav: bool = True,
        layernorm: bool = True,
        hidden_size: int | None = None,
    ):
        super().__init__()
        if (source is None) == (config is None):
            raise ValueError("SSLLayerFeatures needs one of `source` or `config`")
        if config is not None:
            self.ssl = _ConfigBackbone(config)
        else:
            self.ssl = _load_integration(str(source), save_path)
        self.source = None if source is None else str(source)
        model = self.ssl.model
        model.config.apply_spec_augment = False
        num_hidden = model.config.num_hidden_layers + 1
        self.layers = list(range(num_hidden)) if layers is None else list(layers)
        bad = [i for i in self.layers if not 0 <= int(i) < num_hidden]
        if bad or not self.layers:
            raise ValueError(
                f"layers {self.layers}: this SSL model has hidden states 0 to "
                f"{num_hidden - 1} (0: the convolutional front end)"
            )
        top = len(model.encoder.layers)
        if not 0 <= finetune_layers <= top:
            raise ValueError(
                f"finetune_layers must be 0 to {top} (the model's transformer "
                f"layers), got {finetune_layers}"
            )
        self.finetune_layers = int(finetune_layers)
        self.normalize_wav = bool(normalize_wav)
        self.layernorm = bool(layernorm)
        self.output_size = model.config.hidden_size
        if hidden_size is not None and hidden_size != self.output_size:
            raise ValueError(
                f"ssl_hidden_size is {hidden_size} but the SSL model "
                f"{self.source or ''} has hidden size {self.output_size}: set "
                f"--ssl_hidden_size {self.output_size}"
            )
        self.layer_weights = nn.Parameter(torch.zeros(len(self.layers)))
        for param in model.parameters():
            param.requires_grad_(False)
        for layer in self.trained_layers():
            for param in layer.parameters():
                param.requires_grad_(True)
        self.train(False)

    @property
    def frozen(self) -> bool:
        """Whether the SSL model is entirely frozen (its features can be cached)."""
        return self.finetune_layers == 0

    def trained_layers(self) -> list[nn.Module]:
        """The transformer layers that train (the top ``finetune_layers``)."""
        if self.finetune_layers == 0:
            return []
        return list(self.ssl.model.encoder.layers[-self.finetune_layers :])

    def finetuned_parameters(self) -> list[nn.Parameter]:
        """The SSL model's parameters that train (for their own learning rate)."""
        return [p for layer in self.trained_layers() for p in layer.parameters()]

    def train(self, mode: bool = True) -> SSLLayerFeatures:
        """Training mode for the trained parts only; the frozen model stays in eval.

        Arguments
        ---------
        mode : bool
            Training (True) or evaluation mode.

        Returns
        -------
        SSLLayerFeatures
        """
        super().train(mode)
        self.ssl.eval()
        for layer in self.trained_layers():
            layer.train(mode)
        return self

    def _normalize(self, wavs: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Zero mean, unit variance per waveform over its valid samples."""
        count = mask.sum(dim=1, keepdim=True).clamp(min=1)
        mean = (wavs * mask).sum(dim=1, keepdim=True) / count
        var = (((wavs - mean) * mask) ** 2).sum(dim=1, keepdim=True) / count
        return (wavs - mean) / torch.sqrt(var + 1e-7) * mask

    def hidden_states(
        self, wavs: torch.Tensor, lens: torch.Tensor | None = None
    ) -> torch.Tensor:
        """The chosen hidden states ``(batch, layers, frames, D)``, unweighted.

        Arguments
        ---------
        wavs : torch.Tensor
            ``(batch, time)`` waveforms.
        lens : torch.Tensor, optional
            ``(batch,)`` relative lengths in ``[0, 1]``; all ones if omitted.

        Returns
        -------
        torch.Tensor
        """
        if lens is None:
            lens = torch.ones(wavs.shape[0], device=wavs.device)
        samples = torch.round(lens * wavs.shape[1]).long()
        steps = torch.arange(wavs.shape[1], device=wavs.device)
        mask = steps[None, :] < samples[:, None]
        if self.normalize_wav:
            wavs = self._normalize(wavs, mask.to(wavs.dtype))
        with torch.set_grad_enabled(torch.is_grad_enabled() and not self.frozen):
            out = self.ssl.model(
                wavs, attention_mask=mask.long(), output_hidden_states=True
            )
            hidden = torch.stack([out.hidden_states[i] for i in self.layers], dim=1)
        return hidden

    def weighted_sum(self, hidden: torch.Tensor) -> torch.Tensor:
        """The learned softmax weighting of ``(batch, layers, frames, D)`` layers.

        Arguments
        ---------
        hidden : torch.Tensor
            As :meth:`hidden_states` returns them (or a cache holds them).

        Returns
        -------
        torch.Tensor
            ``(batch, frames, D)``.
        """
        if hidden.shape[1] != len(self.layers):
            raise ValueError(
                f"got {hidden.shape[1]} cached layers for the {len(self.layers)} "
                f"layers {self.layers} of this model: the feature cache was made "
                "with other `layers`"
            )
        hidden = hidden.float()
        if self.layernorm:
            hidden = F.layer_norm(hidden, hidden.shape[-1:])
        weights = F.softmax(self.layer_weights, dim=0)
        return torch.einsum("l,bltd->btd", weights, hidden)

    def forward(
        self, wavs: torch.Tensor, lens: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Weighted SSL features ``(batch, frames, D)``.

        Arguments
        ---------
        wavs : torch.Tensor
            ``(batch, time)`` waveforms, or cached hidden states ``(batch,
            layers, frames, D)`` (:meth:`hidden_states`).
        lens : torch.Tensor, optional
            ``(batch,)`` relative lengths in ``[0, 1]``; all ones if omitted.

        Returns
        -------
        torch.Tensor
        """
        if wavs.dim() == 4:
            return self.weighted_sum(wavs)
        return self.weighted_sum(self.hidden_states(wavs, lens))

    def layer_weights_softmax(self) -> dict[int, float]:
        """The learned weight of each layer (what the model listens to).

        Returns
        -------
        dict
            Hidden-state index -> weight (summing to 1).
        """
        weights = F.softmax(self.layer_weights.detach(), dim=0).tolist()
        return dict(zip(self.layers, weights, strict=True))

    @property
    def samples_per_frame(self) -> int:
        """Waveform samples per output frame (320 at 16 kHz: 20 ms).

        Returns
        -------
        int
            The product of the convolutional front end's strides.
        """
        return math.prod(self.ssl.model.config.conv_stride)

    def model_config(self) -> dict:
        """The SSL model's configuration, plain values only (rebuilds it).

        Returns
        -------
        dict
        """
        config = self.ssl.model.config.to_dict()
        for key in _DROPPED_CONFIG_KEYS:
            config.pop(key, None)
        config.pop("dtype", None)
        config.pop("torch_dtype", None)
        return {k: list(v) if isinstance(v, tuple) else v for k, v in config.items()}

    def inference_arguments(self) -> dict:
        """Arguments that rebuild this module offline in an exported model folder.

        The Hub id or local folder is replaced by the model's configuration:
        the weights (frozen or fine-tuned) travel in the folder's
        ``compute_features.ckpt``, covered by its signature, and loading the
        folder never downloads anything.

        Returns
        -------
        dict
            Argument name -> plain value, to update the module's YAML node.
        """
        return {"source": None, "save_path": None, "config": self.model_config()}

    def cache_identity(self) -> dict:
        """What a feature cache is keyed by: the model and the layers.

        Returns
        -------
        dict
            ``source``, ``config``, a digest of the weights, ``layers`` and
            ``normalize_wav``.
        """
        import hashlib

        digest = hashlib.sha256()
        for name, tensor in sorted(self.ssl.model.state_dict().items()):
            digest.update(name.encode())
            digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
        return {
            "source": self.source,
            "weights_sha256": digest.hexdigest(),
            "layers": list(self.layers),
            "normalize_wav": self.normalize_wav,
        }


class LayerNormedFeatures(nn.Module):
    """The ``mean_var_norm`` of an SSL model: none, its layers are already normalised.

    :class:`SSLLayerFeatures` layer-normalises every layer before the
    weighting (``layernorm``), so its output needs no statistics; global
    statistics (``InputNormalization``) would also chase the learned weights.
    Same call as ``InputNormalization``: ``(feats, lengths[, epoch]) ->
    feats``.

    Example
    -------
    >>> feats = torch.rand(2, 10, 4)
    >>> LayerNormedFeatures()(feats, torch.ones(2), epoch=1) is feats
    True
    """

    def forward(
        self, feats: torch.Tensor, lengths: torch.Tensor | None = None, epoch=None
    ) -> torch.Tensor:
        """Returns ``feats`` ``(batch, frames, D)`` unchanged."""
        return feats


def save_tiny_ssl_model(
    folder: str | os.PathLike,
    model_type: str = "wavlm",
    hidden_size: int = 32,
    num_layers: int = 2,
    seed: int = 0,
) -> str:
    """Writes a tiny, randomly initialised SSL model folder (tests, benchmark).

    A Hugging Face ``save_pretrained`` folder (``config.json``,
    ``model.safetensors``, ``preprocessor_config.json``) that loads like a
    real model, offline; its features mean nothing.

    Arguments
    ---------
    folder : str or os.PathLike
        Where to write it.
    model_type : str
        ``wavlm``, ``hubert`` or ``wav2vec2``.
    hidden_size : int
        Width of every layer.
    num_layers : int
        Transformer layers.
    seed : int
        Seed of the random weights.

    Returns
    -------
    str
        The folder.
    """
    transformers = _transformers()
    config = transformers.AutoConfig.for_model(
        model_type,
        hidden_size=hidden_size,
        num_hidden_layers=num_layers,
        num_attention_heads=2,
        intermediate_size=2 * hidden_size,
        conv_dim=[hidden_size] * 7,
        num_conv_pos_embeddings=16,
        num_conv_pos_embedding_groups=2,
    )
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        model = transformers.AutoModel.from_config(config)
    model.save_pretrained(folder)
    transformers.Wav2Vec2FeatureExtractor(
        do_normalize=True, return_attention_mask=True
    ).save_pretrained(folder)
    return str(folder)
