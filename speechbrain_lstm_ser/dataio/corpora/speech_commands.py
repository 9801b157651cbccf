"""Google Speech Commands (v0.01 / v0.02): the folder layout -> manifest rows.

The layout, as distributed::

    <word>/<speaker-hash>_nohash_<n>.wav      one-second clips, 16 kHz
    _background_noise_/*.wav                  long noise recordings
    validation_list.txt, testing_list.txt     "<word>/<file>.wav" per line

Clips listed in neither list are the training set (the official split,
speaker-independent by construction). Speech Commands records no gender, so
gender is ``unknown`` unless a speaker -> gender mapping is given (the
embedded corpus has one).

Nothing is written into the corpus folder.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path

import soundfile as sf

from speechbrain_lstm_ser.dataio.manifest import relative_to_data_root

logger = logging.getLogger(__name__)

__all__ = [
    "NOISE_FOLDER",
    "TESTING_LIST",
    "VALIDATION_LIST",
    "read_background_noise",
    "read_speech_commands",
]

NOISE_FOLDER = "_background_noise_"
VALIDATION_LIST = "validation_list.txt"
TESTING_LIST = "testing_list.txt"


def _duration(path: Path) -> float:
    try:
        return sf.info(str(path)).duration
    except (sf.LibsndfileError, RuntimeError) as err:
        raise ValueError(f"{path}: not a readable audio file ({err})") from None


def _read_list(path: Path) -> set[str]:
    with open(path, encoding="utf-8") as handle:
        return {line.strip() for line in handle if line.strip()}


def read_speech_commands(
    data_folder: str | Path,
    genders: Mapping[str, str] | None = None,
    require_lists: bool = True,
) -> list[dict]:
    r"""Lists the clips of a Speech Commands-layout folder as manifest rows.

    Arguments
    ---------
    data_folder : str or Path
        The corpus folder (holding one folder per word).
    genders : mapping, optional
        Speaker hash -> ``female`` / ``male``; others are ``unknown``.
    require_lists : bool
        Whether ``validation_list.txt`` and ``testing_list.txt`` must exist
        (they decide the ``split`` column; without them every clip is
        ``train``).

    Returns
    -------
    list of dict
        ``ID, duration, wav, spk_id, gender, word, split`` sorted by ID, with
        ``ID`` = ``<word>/<file stem>`` and ``wav`` relative to ``$data_root``.

    Example
    -------
    >>> import tempfile, numpy as np
    >>> from speechbrain_lstm_ser.dataio.audio import write_audio
    >>> root = Path(tempfile.mkdtemp())
    >>> for name in ("yes/0a7c2a8d_nohash_0.wav", "no/0a7c2a8d_nohash_0.wav"):
    ...     (root / name).parent.mkdir(exist_ok=True)
    ...     write_audio(root / name, np.zeros(16000, dtype="float32"), 16000)
    >>> _ = (root / "validation_list.txt").write_text("no/0a7c2a8d_nohash_0.wav\n")
    >>> _ = (root / "testing_list.txt").write_text("")
    >>> for row in read_speech_commands(root):
    ...     print(row["ID"], row["spk_id"], row["split"])
    no/0a7c2a8d_nohash_0 0a7c2a8d valid
    yes/0a7c2a8d_nohash_0 0a7c2a8d train
    """
    folder = Path(data_folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"Speech Commands folder {folder} does not exist")
    lists = {}
    for name, split in ((VALIDATION_LIST, "valid"), (TESTING_LIST, "test")):
        path = folder / name
        if path.is_file():
            lists[split] = _read_list(path)
        elif require_lists:
            raise FileNotFoundError(
                f"{path} is missing: the official split needs it (or set "
                "split: speakers to split by speaker instead)"
            )
    where = {clip: split for split, clips in lists.items() for clip in clips}
    genders = dict(genders or {})
    rows = []
    for word_dir in sorted(p for p in folder.iterdir() if p.is_dir()):
        if word_dir.name.startswith("_"):
            continue  # _background_noise_
        for wav in sorted(word_dir.glob("*.wav")):
            spk, sep, _ = wav.stem.partition("_nohash_")
            if not sep:
                raise ValueError(
                    f"{wav}: not a Speech Commands file name "
                    "(<speaker-hash>_nohash_<n>.wav)"
                )
            rel = f"{word_dir.name}/{wav.name}"
            rows.append(
                {
                    "ID": f"{word_dir.name}/{wav.stem}",
                    "duration": f"{_duration(wav):.4f}",
                    "wav": relative_to_data_root(wav, folder),
                    "spk_id": spk,
                    "gender": genders.get(spk, "unknown"),
                    "word": word_dir.name,
                    "split": where.get(rel, "train"),
                }
            )
    if not rows:
        raise FileNotFoundError(
            f"no <word>/<hash>_nohash_<n>.wav clip under {folder}: not a Speech "
            "Commands-layout folder"
        )
    unknown = sorted(
        set(where) - {f"{r['word']}/{r['wav'].rsplit('/', 1)[1]}" for r in rows}
    )
    if unknown:
        logger.warning(
            f"{len(unknown)} clip(s) named in the split lists are missing "
            f"(first: {unknown[0]})"
        )
    return rows


def read_background_noise(data_folder: str | Path) -> list[dict]:
    """The long noise recordings of ``_background_noise_``.

    Arguments
    ---------
    data_folder : str or Path
        The corpus folder.

    Returns
    -------
    list of dict
        ``ID, duration, wav`` (``wav`` relative to ``$data_root``), sorted;
        empty when the folder has no ``_background_noise_``.
    """
    folder = Path(data_folder)
    noise_dir = folder / NOISE_FOLDER
    if not noise_dir.is_dir():
        return []
    return [
        {
            "ID": path.stem,
            "duration": f"{_duration(path):.4f}",
            "wav": relative_to_data_root(path, folder),
        }
        for path in sorted(noise_dir.glob("*.wav"))
    ]
