"""A converted copy of the audio that is not at the recipe's rate and mono.

By default every file is converted when it is loaded (:func:`read_audio`),
which costs a resampling per file and epoch: noticeable for RAVDESS (48 kHz).
With ``audio_cache_folder`` set, data preparation converts such files once,
into that folder, mirroring their place in the corpus; manifests then point
at ``$audio_cache/<path>.wav``. The corpus itself is never written to: the
cache may not be inside it, and a folder this module did not fill is never
written into.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from speechbrain_lstm_ser.dataio.audio import read_audio, write_audio
from speechbrain_lstm_ser.dataio.stamps import (
    DONE,
    options_diff,
    read_stamp,
    write_stamp,
)

logger = logging.getLogger(__name__)

__all__ = ["AUDIO_CACHE", "STAMP", "AudioCache"]

#: The manifest placeholder of the cache folder (``replacements`` key).
AUDIO_CACHE = "$audio_cache"
STAMP = "audio_cache.json"


class AudioCache:
    """Converts audio files once into a cache folder, at a rate, mono, 16 bit.

    Arguments
    ---------
    cache_folder : str or os.PathLike
        Where converted copies go (created if needed).
    data_folder : str or os.PathLike
        The corpus the files come from (never written to).
    sample_rate : int
        The sample rate of the copies.

    Raises
    ------
    ValueError
        When the cache folder is the corpus folder or inside it.
    FileExistsError
        When the folder holds files this class did not write, or a cache of
        another corpus or sample rate.

    Example
    -------
    >>> import tempfile, torch
    >>> root = Path(tempfile.mkdtemp())
    >>> (root / "corpus").mkdir()
    >>> write_audio(root / "corpus" / "a.wav", torch.zeros(48000, 2), 48000)
    >>> cache = AudioCache(root / "cache", root / "corpus", 16000)
    >>> cache.convert(root / "corpus" / "a.wav")
    '$audio_cache/a.wav'
    >>> read_audio(root / "cache" / "a.wav").shape
    torch.Size([16000])
    """

    def __init__(
        self,
        cache_folder: str | os.PathLike,
        data_folder: str | os.PathLike,
        sample_rate: int,
    ):
        self.folder = Path(cache_folder).resolve()
        self.data_folder = Path(data_folder).resolve()
        self.sample_rate = sample_rate
        if self.folder == self.data_folder or self.data_folder in self.folder.parents:
            raise ValueError(
                f"audio_cache_folder {self.folder} is inside the data folder "
                f"{self.data_folder}; the corpus is never written to: choose a "
                "folder outside it"
            )
        options = {"data_folder": str(self.data_folder), "sample_rate": sample_rate}
        stamp = read_stamp(self.folder / STAMP)
        if stamp is None:
            if self.folder.exists() and any(self.folder.iterdir()):
                raise FileExistsError(
                    f"audio_cache_folder {self.folder} is not empty and holds no "
                    f"audio cache ({STAMP} is missing); refusing to write into it. "
                    "Choose an empty or new folder."
                )
            write_stamp(self.folder / STAMP, options, DONE)
        else:
            diff = options_diff(stamp.get("options", {}), options)
            if diff:
                raise FileExistsError(
                    f"audio_cache_folder {self.folder} caches other audio "
                    f"({'; '.join(diff)}); choose another folder for this corpus"
                )
        self.converted = 0

    def target(self, source: str | os.PathLike) -> Path:
        """Where the converted copy of ``source`` goes.

        Arguments
        ---------
        source : str or os.PathLike
            An audio file of the corpus (or, for a user's CSV, elsewhere).

        Returns
        -------
        Path
        """
        source = Path(source).resolve()
        if self.data_folder in source.parents:
            rel = source.relative_to(self.data_folder)
        else:  # a file outside the corpus folder (user CSV with absolute paths)
            rel = Path("_external", *source.parts[1:])
        return self.folder / rel.with_suffix(".wav")

    def convert(self, source: str | os.PathLike) -> str:
        """Converts ``source`` unless an up-to-date copy exists.

        Arguments
        ---------
        source : str or os.PathLike
            The audio file.

        Returns
        -------
        str
            The manifest path of the copy, ``$audio_cache/<path>.wav``.
        """
        target = self.target(source)
        if (
            not target.is_file()
            or target.stat().st_mtime < Path(source).stat().st_mtime
        ):
            target.parent.mkdir(parents=True, exist_ok=True)
            write_audio(target, read_audio(source, self.sample_rate), self.sample_rate)
            self.converted += 1
        return f"{AUDIO_CACHE}/{target.relative_to(self.folder).as_posix()}"
