"""A per-utterance cache of a frozen SSL model's hidden layers.

A frozen self-supervised model (WavLM, wav2vec 2.0, HuBERT) costs far more
than the LSTM head trained on its features, and computes the same thing every
epoch. With ``ssl_cache_folder`` set, the layers the model weights
(``layers``) are extracted **once per utterance** into that folder, and every
epoch (and every cross-validation fold) trains the head from them: the learned
softmax weighting, the LSTM, the pooling and the head run on the cached layers
exactly as on live ones (``SSLLayerFeatures`` accepts both).

Layout: ``<cache_folder>/<key>/<audio sha256>.pt``, one tensor ``(frames,
layers, D)`` per recording, and ``<cache_folder>/<key>/cache.json``, a stamp
(like the manifests') recording what ``key`` stands for: the SSL model (source
and a digest of its weights), the layers, the waveform normalisation, the
pre-processing settings, the sample rate and the stored precision. Another
model, other layers or other pre-processing make another key; the same
recording under another path or in another corpus is found by its content.
The cache is never inside the corpus.

Waveform augmentation is off when training from the cache: the cached layers
are those of the unaugmented (pre-processed) recordings. Multi-condition
training from the cache draws instead from **corrupted copies** made once
(``ssl_cache_copies``): each training recording also passes ``copies`` times
through an augmentation (``ssl_cache_augment``, e.g. the YAML's simulated
channels), each copy with its own seed derived from the recording's digest
(the same copies on every machine and every run), and their layers are cached
in ``<cache_folder>/<key>/copies-<augmentation key>/<audio sha256>.<i>.pt``.
Each time a training recording is read, one of its ``copies + 1`` versions
(the clean one included) is drawn at random; validation and test recordings
are always read clean.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import random
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import torch

from speechbrain_lstm_ser.dataio.audio import read_audio
from speechbrain_lstm_ser.dataio.stamps import DONE, STARTED, read_stamp, write_stamp

logger = logging.getLogger(__name__)

__all__ = [
    "STAMP",
    "FeatureCache",
    "audio_digest",
    "describe_settings",
    "recipe_feature_cache",
]

#: The stamp of a cache folder.
STAMP = "cache.json"

_DTYPES = {"float16": torch.float16, "float32": torch.float32}


def audio_digest(path: str | os.PathLike) -> str:
    """The SHA-256 of an audio file's bytes (the cache key of a recording).

    Arguments
    ---------
    path : str or os.PathLike
        An audio file.

    Returns
    -------
    str
        64 hex digits.
    """
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def describe_settings(module) -> object:
    """The plain settings of a module tree (what changes its output), as JSON data.

    Arguments
    ---------
    module : object
        E.g. the YAML's ``preprocess`` (or None).

    Returns
    -------
    object
        Class names and public scalar attributes, nested; None for None.

    Example
    -------
    >>> describe_settings(torch.nn.Dropout(0.3))
    {'class': 'torch.nn.modules.dropout.Dropout', 'inplace': False, 'p': 0.3}
    >>> from speechbrain.augment.augmenter import Augmenter
    >>> held = describe_settings(Augmenter(augmentations=[torch.nn.Dropout(0.3)]))
    >>> [m["p"] for m in held["augmentations"].values()]  # a plain dict's modules
    [0.3]
    """
    if module is None:
        return None
    if isinstance(module, (list, tuple, torch.nn.ModuleList)):
        return [describe_settings(m) for m in module]
    cls = type(module)
    out: dict[str, object] = {"class": f"{cls.__module__}.{cls.__qualname__}"}
    for key, value in sorted(vars(module).items()):
        if key.startswith("_") or key == "training":
            continue
        if isinstance(value, (bool, int, float, str)) or value is None:
            out[key] = value
        elif isinstance(value, (list, tuple)) and all(
            isinstance(v, (bool, int, float, str)) for v in value
        ):
            out[key] = list(value)
        elif isinstance(value, dict) and value:  # e.g. an Augmenter's augmentations
            if all(isinstance(v, torch.nn.Module) for v in value.values()):
                out[key] = {name: describe_settings(v) for name, v in value.items()}
    children = getattr(module, "_modules", {})
    for name, child in children.items():
        out[name] = describe_settings(child)
    return out


class FeatureCache:
    """Extracts an SSL model's chosen layers once per recording, then reads them.

    Arguments
    ---------
    cache_folder : str or os.PathLike
        The cache's root folder (created if needed), outside every corpus.
    extractor : object
        The SSL front end, e.g.
        :class:`~speechbrain_lstm_ser.nnet.ssl.SSLLayerFeatures`: it must be
        frozen (``frozen``) and have ``hidden_states(wavs, lens)`` and
        ``cache_identity()``.
    preprocess : callable, optional
        ``(wavs, lens) -> (wavs, lens)``, the waveform pre-processing run
        before the model (the YAML's ``preprocess``), applied before caching.
    sample_rate : int
        The rate recordings are read at.
    dtype : str
        ``float16`` (half the disk, default) or ``float32``.
    data_folders : iterable of path, optional
        Corpus folders the cache may not be inside.
    augment : callable, optional
        ``(wavs, lens) -> (wavs, lens)`` (an ``Augmenter``) or ``-> wavs`` (one
        augmentation): what makes a corrupted copy, after ``preprocess``.
    copies : int
        Corrupted copies per training recording (0: none; needs ``augment``).

    Example
    -------
    >>> import tempfile
    >>> from speechbrain_lstm_ser.dataio.audio import write_audio
    >>> class Toy:  # stands in for an SSL front end: 2 layers of 3 values
    ...     frozen = True
    ...     def cache_identity(self):
    ...         return {"model": "toy"}
    ...     def hidden_states(self, wavs, lens):
    ...         frames = wavs[:, : wavs.shape[1] // 320 * 320].reshape(1, -1, 320)
    ...         return frames[:, None, :, :3].repeat(1, 2, 1, 1)
    >>> root = Path(tempfile.mkdtemp())
    >>> write_audio(root / "a.wav", torch.rand(16000) - 0.5, 16000)
    >>> cache = FeatureCache(root / "cache", Toy(), dtype="float32")
    >>> cache.build([root / "a.wav"])["extracted"]
    1
    >>> cache.load(root / "a.wav").shape  # (frames, layers, D)
    torch.Size([50, 2, 3])
    >>> cache.build([root / "a.wav"])["extracted"]  # already there
    0
    >>> noisy = FeatureCache(root / "cache", Toy(), dtype="float32", copies=2,
    ...                      augment=lambda w, n: (w + 0.1 * torch.randn_like(w), n))
    >>> noisy.set_training_recordings([root / "a.wav"])
    >>> noisy.build([root / "a.wav"])["extracted"]  # its 2 copies
    2
    >>> torch.equal(noisy.load(root / "a.wav", 1), noisy.load(root / "a.wav", 2))
    False
    """

    def __init__(
        self,
        cache_folder: str | os.PathLike,
        extractor,
        preprocess: Callable | None = None,
        sample_rate: int = 16000,
        dtype: str = "float16",
        data_folders: Iterable[str | os.PathLike] = (),
        augment: Callable | None = None,
        copies: int = 0,
    ):
        if int(copies) < 0 or (copies and augment is None):
            raise ValueError(
                "ssl_cache_copies must be >= 0, and its copies need an "
                "augmentation (ssl_cache_augment)"
            )
        if dtype not in _DTYPES:
            raise ValueError(f"ssl_cache_dtype must be one of {sorted(_DTYPES)}")
        if not getattr(extractor, "frozen", False):
            raise ValueError(
                "ssl_cache_folder needs a frozen SSL model (its features are "
                "computed once); set ssl_finetune_layers: 0, or ssl_cache_folder: "
                "null to fine-tune"
            )
        root = Path(cache_folder).resolve()
        for data in data_folders:
            data = Path(data).resolve()
            if root == data or data in root.parents:
                raise ValueError(
                    f"ssl_cache_folder {cache_folder} is inside the corpus {data}: "
                    "choose a folder outside it (the corpus is never written to)"
                )
        self.extractor = extractor
        self.preprocess = preprocess
        self.sample_rate = int(sample_rate)
        self.dtype = dtype
        self.identity = {
            **extractor.cache_identity(),
            "preprocess": describe_settings(preprocess),
            "sample_rate": self.sample_rate,
            "dtype": dtype,
        }
        text = json.dumps(self.identity, sort_keys=True)
        self.key = hashlib.sha256(text.encode()).hexdigest()[:16]
        self.folder = root / self.key
        self._digests: dict[str, str] = {}
        self.augment = augment
        self.copies = int(copies)
        self.copies_identity = {"augment": describe_settings(augment)}
        text = json.dumps(self.copies_identity, sort_keys=True)
        augment_key = hashlib.sha256(text.encode()).hexdigest()[:12]
        self.copies_folder = self.folder / f"copies-{augment_key}"
        self._training: set[str] = set()

    def set_training_recordings(self, wavs: Iterable[str | os.PathLike]) -> None:
        """The recordings that get corrupted copies, drawn among when read.

        Arguments
        ---------
        wavs : iterable of path
            The training split's audio files (as the manifests list them).
        """
        self._training = {os.fspath(w) for w in wavs} if self.copies else set()

    def path(self, wav: str | os.PathLike) -> Path:
        """The cache file of a recording (named by its content's digest).

        Arguments
        ---------
        wav : str or os.PathLike
            The audio file.

        Returns
        -------
        Path
        """
        key = os.fspath(wav)
        if key not in self._digests:
            self._digests[key] = audio_digest(key)
        return self.folder / f"{self._digests[key]}.pt"

    def copy_path(self, wav: str | os.PathLike, copy: int) -> Path:
        """The cache file of a recording's corrupted copy ``copy`` (1, 2, ...).

        Arguments
        ---------
        wav : str or os.PathLike
            The audio file.
        copy : int
            Which copy; 0 is the clean recording (:meth:`path`).

        Returns
        -------
        Path
        """
        if copy == 0:
            return self.path(wav)
        return self.copies_folder / f"{self.path(wav).stem}.{copy}.pt"

    @torch.no_grad()
    def extract(self, wav: str | os.PathLike, copy: int = 0) -> torch.Tensor:
        """The layers of one recording ``(frames, layers, D)``, computed now.

        Arguments
        ---------
        wav : str or os.PathLike
            The audio file.
        copy : int
            0: the recording; ``i > 0``: its ``i``-th corrupted copy, drawn
            with a seed of the recording's digest and ``i``.

        Returns
        -------
        torch.Tensor
        """
        sig = read_audio(wav, self.sample_rate)[None, :]
        lens = torch.ones(1)
        if self.preprocess is not None:
            sig, lens = self.preprocess(sig, lens)
        if copy:
            seed = int(self.path(wav).stem[:12], 16) + 7919 * copy
            with _seeded(seed):
                out = self.augment(sig, lens)
            sig, lens = out if isinstance(out, tuple) else (out, lens)
        hidden = self.extractor.hidden_states(sig, lens)[0]  # (layers, frames, D)
        return hidden.transpose(0, 1).to(_DTYPES[self.dtype]).contiguous()

    def build(self, wavs: Iterable[str | os.PathLike]) -> dict:
        """Extracts every recording not cached yet (one at a time, unpadded).

        Arguments
        ---------
        wavs : iterable of path
            The audio files (duplicates are extracted once).

        Returns
        -------
        dict
            ``recordings``, ``extracted`` (new this time), ``seconds``
            (extraction time) and ``folder``.
        """
        wavs = list(dict.fromkeys(os.fspath(w) for w in wavs))
        self.folder.mkdir(parents=True, exist_ok=True)
        stamp_path = self.folder / STAMP
        stamp = read_stamp(stamp_path)
        if stamp is not None and stamp.get("options") != self.identity:
            raise FileExistsError(
                f"{stamp_path} describes another cache (a key collision or an "
                "edited stamp): remove that folder"
            )
        extracted, start = 0, time.time()
        todo = [(w, 0) for w in wavs if not self.path(w).is_file()]
        todo += [
            (w, i)
            for w in wavs
            if w in self._training
            for i in range(1, self.copies + 1)
            if not self.copy_path(w, i).is_file()
        ]
        if todo:
            write_stamp(stamp_path, self.identity, STARTED)
            if self.copies:
                self.copies_folder.mkdir(exist_ok=True)
                write_stamp(self.copies_folder / STAMP, self.copies_identity, DONE)
            was_training = getattr(self.extractor, "training", False)
            if hasattr(self.extractor, "eval"):
                self.extractor.eval()
            for i, (wav, copy) in enumerate(todo):
                target = self.copy_path(wav, copy)
                tmp = target.with_name(f".{target.name}.tmp")
                torch.save(self.extract(wav, copy), tmp)
                os.replace(tmp, target)
                extracted += 1
                if (i + 1) % 200 == 0:
                    logger.info(f"SSL feature cache: {i + 1}/{len(todo)} extracted")
            if hasattr(self.extractor, "train"):
                self.extractor.train(was_training)
        seconds = time.time() - start
        done = read_stamp(stamp_path) or {}
        total_s = float(done.get("extraction_seconds", 0.0)) + seconds
        files = len(list(self.folder.glob("*.pt")))
        write_stamp(
            stamp_path,
            self.identity,
            DONE,
            recordings=files,
            extraction_seconds=round(total_s, 3),
        )
        if extracted:
            logger.info(
                f"SSL feature cache {self.folder}: {extracted} recordings "
                f"extracted in {seconds:.1f} s ({len(wavs)} in use)"
            )
        return {
            "recordings": len(wavs),
            "extracted": extracted,
            "seconds": seconds,
            "folder": str(self.folder),
        }

    def load(self, wav: str | os.PathLike, copy: int | None = None) -> torch.Tensor:
        """The cached layers of a recording ``(frames, layers, D)``, as float32.

        Arguments
        ---------
        wav : str or os.PathLike
            The audio file (as listed when the cache was built).
        copy : int, optional
            0: the clean recording; ``i``: its ``i``-th corrupted copy;
            None: a training recording's version drawn at random among its
            ``copies + 1`` (Python's ``random``, seeded by the recipe), any
            other recording's clean one.

        Returns
        -------
        torch.Tensor
        """
        if copy is None:
            training = os.fspath(wav) in self._training
            copy = random.randint(0, self.copies) if training else 0
        path = self.copy_path(wav, copy)
        try:
            return torch.load(path, map_location="cpu", weights_only=True).float()
        except FileNotFoundError:
            raise FileNotFoundError(
                f"{wav} has no cached SSL features in {self.folder} (the cache "
                "is built for the manifests' recordings before training)"
            ) from None


@contextlib.contextmanager
def _seeded(seed: int):
    """Seeds torch's and Python's generators inside, restores them after."""
    state = random.getstate()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        random.seed(seed)
        try:
            yield
        finally:
            random.setstate(state)


def recipe_feature_cache(hparams) -> FeatureCache | None:
    """The feature cache a recipe's YAML asks for (``ssl_cache_folder``), or None.

    Reads ``ssl_cache_folder`` (null: no cache), ``compute_features`` (the SSL
    front end), the optional ``preprocess`` of ``modules``, ``sample_rate``,
    ``ssl_cache_dtype``, ``data_folder`` (the cache may not be inside it),
    and ``ssl_cache_copies`` with ``ssl_cache_augment`` (corrupted copies of
    the training recordings; absent: none).

    Arguments
    ---------
    hparams : mapping
        The loaded hyperparameters.

    Returns
    -------
    FeatureCache or None
    """
    folder = hparams.get("ssl_cache_folder")
    if not folder:
        return None
    return FeatureCache(
        folder,
        hparams["compute_features"],
        preprocess=hparams["modules"].get("preprocess"),
        sample_rate=hparams["sample_rate"],
        dtype=hparams.get("ssl_cache_dtype", "float16"),
        data_folders=[hparams["data_folder"]],
        augment=hparams.get("ssl_cache_augment"),
        copies=hparams.get("ssl_cache_copies") or 0,
    )
