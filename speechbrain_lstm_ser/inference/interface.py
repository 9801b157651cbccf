"""The base of our inference interfaces: audio in, modules checked.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import torch
from speechbrain.inference.interfaces import Pretrained
from speechbrain.utils.data_utils import split_path
from speechbrain.utils.fetching import fetch

from speechbrain_lstm_ser.dataio.audio import AudioError, audio_info, read_audio
from speechbrain_lstm_ser.hub.legacy import earlier_versions
from speechbrain_lstm_ser.hub.load import (
    materialize,
    verify_model,
    weights_only_loading,
)
from speechbrain_lstm_ser.hub.safe_yaml import check_hyperparams
from speechbrain_lstm_ser.inference.checks import check_waveforms, recording_warnings
from speechbrain_lstm_ser.nnet.models import TaskModel, preprocess_waveforms
from speechbrain_lstm_ser.processing.level import CLIPPING_WARN_SHARE, clipped_share
from speechbrain_lstm_ser.threads import configure_threads

__all__ = ["AudioInterface"]

logger = logging.getLogger(__name__)


class AudioInterface(Pretrained):
    """``Pretrained`` with our audio loading, pre-processing and task model.

    Audio of any sample rate and channel count is read with soundfile and
    converted to the model's ``sample_rate`` mono; unreadable files raise
    :class:`~speechbrain_lstm_ser.dataio.audio.AudioError` (one line naming
    the file). A path that does not exist locally but looks like
    ``owner/repo/file.wav`` is fetched from the Hugging Face Hub, as
    SpeechBrain's own interfaces do.

    The folder's modules are its task model's parts (one ``<name>.ckpt``
    each, as :mod:`speechbrain_lstm_ser.export.folder` writes them) plus an
    optional ``preprocess``; ``self.model`` is the :attr:`MODEL_CLASS` built
    from those parts, the very forward pass the recipe trained.

    Arguments
    ---------
    *args, **kwargs
        See ``speechbrain.inference.interfaces.Pretrained``; build with
        ``from_hparams(source=folder_or_repo_id, savedir=...)``.
    """

    HPARAMS_NEEDED = ["sample_rate"]
    MODULES_NEEDED: list[str] = []
    #: The task model run on the folder's modules (None: no model).
    MODEL_CLASS: type[TaskModel] | None = None
    #: Shorter files are refused (seconds).
    min_duration = 0.1
    #: What the model was loaded from (``from_hparams``' ``source``), in messages.
    source = "this model"

    @classmethod
    def from_hparams(
        cls,
        source: str | os.PathLike,
        hparams_file: str = "hyperparams.yaml",
        savedir: str | os.PathLike | None = None,
        verify: str = "auto",
        trusted_keys=(),
        allowed=(),
        threads: int | str | None = "auto",
        **kwargs,
    ):
        """Loads a model folder or Hub repo, checking it before running anything.

        The files are fetched (a Hub repo: exactly those its signed manifest
        lists), checked to stay inside the model folder
        (:mod:`speechbrain_lstm_ser.hub.closure`), the signature is verified,
        and the YAML is checked against the allow-list; only then is anything
        instantiated, with ``torch.load`` restricted to weights (states
        written by earlier versions are read through
        :mod:`speechbrain_lstm_ser.hub.legacy`).

        Arguments
        ---------
        source : str or os.PathLike
            An exported model folder or a Hugging Face Hub repo id.
        hparams_file : str
            The YAML in ``source``.
        savedir : str or os.PathLike, optional
            Where Hub files are linked.
        verify : str
            ``"auto"`` (with a pinned key: require its signature; without:
            verify if signed, warn if not), ``"required"`` (as ``auto``, and
            a pinned key is needed) or ``"off"`` (refused while a key is
            pinned); see ``docs/security.md``.
        trusted_keys : iterable
            Public keys (``.pub`` files from ``sb-lstm-ser keygen``) whose
            signatures you trust, added to those of the trust store
            (``$SB_LSTM_SER_TRUSTED_KEYS``). With any key pinned, an
            unsigned, unreadable or foreign signature is refused.
        allowed : iterable of str
            Extra packages or functions the YAML may use (see
            :mod:`speechbrain_lstm_ser.hub.safe_yaml`).
        threads : int, str or None
            PyTorch's intra-op threads (process-wide): a positive integer,
            ``"auto"`` (keep a count the user set, through
            ``OMP_NUM_THREADS`` or ``torch.set_num_threads``, else the cores
            not busy with other processes; see
            :func:`speechbrain_lstm_ser.threads.configure_threads`), or None
            to leave PyTorch's setting alone.
        **kwargs
            Passed to SpeechBrain's ``from_hparams`` (e.g. ``run_opts``).

        Returns
        -------
        An instance of this class.
        """
        folder, local = materialize(source, savedir, hparams_file)
        verify_model(
            folder, verify, trusted_keys, check_extra=local, hub_links=not local
        )
        check_hyperparams(folder / hparams_file, allowed)
        if threads is not None:
            configure_threads(threads)
        with weights_only_loading(), earlier_versions():
            # Load from the verified local files (no second fetch, no stale
            # copies in a savedir).
            model = super().from_hparams(
                source=str(folder), hparams_file=hparams_file, savedir=None, **kwargs
            )
        model.source = str(source)
        return model

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        missing = [m for m in self.MODULES_NEEDED if m not in self.mods]
        if missing:
            raise ValueError(
                f"{type(self).__name__} needs the modules {missing} in the "
                "hyperparams.yaml `modules:` section; is this a model of another kind?"
            )
        if self.MODEL_CLASS is not None:
            self.model = self.MODEL_CLASS.from_modules(self.mods)

    @property
    def sample_rate(self) -> int:
        """The sample rate the model works at."""
        return int(self.hparams.sample_rate)

    def resolve_audio(self, path: str | os.PathLike, savedir=None) -> Path:
        """The local file behind ``path`` (fetched when it is a Hub path).

        Arguments
        ---------
        path : str or os.PathLike
            A local file, or ``owner/repo/file`` on the Hub.
        savedir : str, optional
            Where a Hub file is linked.

        Returns
        -------
        Path
        """
        local = Path(path)
        if not local.exists() and _looks_like_hub_path(str(path)):
            source, name = split_path(str(path))
            try:
                local = Path(fetch(name, source=source, savedir=savedir))
            except Exception as err:  # any fetching failure is "not found"
                raise AudioError(
                    path, f"not found locally or on the Hub ({err})"
                ) from None
        return local

    def audio_file(self, path: str | os.PathLike) -> tuple[Path, float]:
        """The local file behind ``path`` and its duration; too short ones refused.

        Arguments
        ---------
        path : str or os.PathLike
            A local file, or ``owner/repo/file`` on the Hub (linked in the
            model's ``savedir``, if any).

        Returns
        -------
        local : Path
            The file.
        duration : float
            Its duration in seconds.

        Raises
        ------
        AudioError
            When the file cannot be found or read, or is shorter than
            :attr:`min_duration`.
        """
        local = self.resolve_audio(path, savedir=getattr(self.hparams, "savedir", None))
        duration = audio_info(local).duration
        if duration < self.min_duration:
            raise AudioError(
                path,
                f"too short ({duration:.3f} s); at least {self.min_duration} s of "
                "audio is needed",
            )
        return local, duration

    def read_checked(
        self, path: str | os.PathLike
    ) -> tuple[torch.Tensor, tuple[str, ...]]:
        """A file's checked waveform and its warnings (no speech gate).

        The one reading of a file for every path that classifies files (one
        at a time, batched, served): refused (``AudioError`` naming
        ``path``) as :func:`check_waveforms` refuses a waveform; clipping is
        logged; narrowband audio and truncated files are warnings.

        Arguments
        ---------
        path : str or os.PathLike
            A local file, or ``owner/repo/file`` on the Hub.

        Returns
        -------
        wav : torch.Tensor
            ``(time,)`` on the CPU, at the model's sample rate.
        warnings : tuple of str
            One line per warning, each naming the file.
        """
        local, _ = self.audio_file(path)
        info = audio_info(local)
        wav = read_audio(local, self.sample_rate)
        check_waveforms(wav, None, self.sample_rate, self.min_duration, [str(path)])
        share = clipped_share(wav)
        if share > CLIPPING_WARN_SHARE:
            logger.warning(
                f"{path}: {share:.1%} of the samples are clipped (at full scale): "
                "the distortion can look like a tense voice; lower the recording "
                "gain and record again if you can"
            )
        notes = recording_warnings(
            path, info.sample_rate, wav, self.sample_rate, info.frames, local
        )
        return wav, tuple(notes)

    def load_audio(self, path: str | os.PathLike, savedir=None) -> torch.Tensor:
        """Reads an audio file as a ``(time,)`` waveform at the model's rate.

        Arguments
        ---------
        path : str or os.PathLike
            A local file, or ``owner/repo/file`` on the Hub.
        savedir : str, optional
            Where a Hub file is linked.

        Returns
        -------
        torch.Tensor
        """
        local = self.resolve_audio(path, savedir)
        return read_audio(local, self.sample_rate).to(self.device)

    def prepare_batch(
        self, wavs: torch.Tensor, wav_lens: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Moves a batch to the device and pre-processes it as in training.

        The ``preprocess`` module, if the folder has one, runs through
        :func:`~speechbrain_lstm_ser.nnet.models.preprocess_waveforms`, as
        in the recipe's Brain.

        Arguments
        ---------
        wavs : torch.Tensor
            ``(batch, time)`` or ``(time,)`` waveforms at ``sample_rate``.
        wav_lens : torch.Tensor, optional
            ``(batch,)`` relative lengths; all ones when omitted.

        Returns
        -------
        wavs, wav_lens : torch.Tensor
        """
        if wavs.dim() == 1:
            wavs = wavs.unsqueeze(0)
        if wavs.dim() != 2:
            raise ValueError(
                f"expected waveforms of shape (batch, time), got {tuple(wavs.shape)}; "
                "mix multi-channel audio down first (load_audio does)"
            )
        if wav_lens is None:
            wav_lens = torch.ones(wavs.shape[0])
        wavs, wav_lens = wavs.float().to(self.device), wav_lens.float().to(self.device)
        with torch.no_grad():
            return preprocess_waveforms(self.mods, wavs, wav_lens)


def _looks_like_hub_path(path: str) -> bool:
    parts = path.split("/")
    return (
        len(parts) >= 3
        and not path.startswith((".", "/", "~"))
        and not Path(parts[0]).exists()
    )
