"""RAVDESS: the Ryerson Audio-Visual Database of Emotional Speech and Song.

24 professional actors (12 female, 12 male) say two statements in eight
emotions; audio-only files are 48 kHz (converted to 16 kHz mono when read).
Expected layout (the ``Audio_Speech_Actors_01-24`` and, optionally,
``Audio_Song_Actors_01-24`` archives, unpacked anywhere below the folder)::

    Actor_01/03-01-05-01-02-01-01.wav
    ...
    Actor_24/...

A file name is seven two-digit fields: modality (03 audio-only), vocal
channel (01 speech, 02 song), emotion (01 neutral, 02 calm, 03 happy, 04 sad,
05 angry, 06 fearful, 07 disgust, 08 surprised), intensity (01 normal, 02
strong; neutral has only normal), statement (01 "Kids are talking by the
door", 02 "Dogs are sitting by the door"), repetition (01, 02) and actor
(01..24; odd = male, even = female).

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from pathlib import Path

from speechbrain_lstm_ser.dataio.corpora.base import (
    CorpusLayoutError,
    CorpusListing,
    find_audio,
    open_corpus,
)

__all__ = ["EMOTIONS", "LAYOUT", "RavdessOptions", "parse_name", "read_ravdess"]

LAYOUT = "Actor_01..24/03-01-05-01-02-01-01.wav (anywhere below the folder)"

#: Emotion field -> the shared emotion vocabulary.
EMOTIONS = {
    "01": "neutral",
    "02": "calm",
    "03": "happy",
    "04": "sad",
    "05": "angry",
    "06": "fearful",
    "07": "disgust",
    "08": "surprised",
}
INTENSITIES = {"01": "normal", "02": "strong"}
CHANNELS = {"01": "speech", "02": "song"}
STATEMENTS = {
    "01": "Kids are talking by the door",
    "02": "Dogs are sitting by the door",
}

_NAME = re.compile(r"^(\d\d)-(\d\d)-(\d\d)-(\d\d)-(\d\d)-(\d\d)-(\d\d)$")


@dataclasses.dataclass(frozen=True)
class RavdessOptions:
    """Options of the RAVDESS preparation (``prepare.corpora.ravdess`` in the YAML).

    Arguments
    ---------
    include_song : bool
        Also use the sung utterances (``vocal channel 02``); most SER papers
        use speech only.
    intensities : tuple of str
        ``normal`` and/or ``strong``.
    """

    include_song: bool = False
    intensities: tuple[str, ...] = ("normal", "strong")

    def __post_init__(self):
        object.__setattr__(self, "intensities", tuple(self.intensities))
        unknown = set(self.intensities) - set(INTENSITIES.values())
        if unknown or not self.intensities:
            raise ValueError(
                "prepare.corpora.ravdess.intensities must list normal and/or strong, "
                f"got {list(self.intensities)}"
            )


def parse_name(stem: str) -> dict | None:
    """Decodes a RAVDESS file name, or returns None when it is not one.

    Arguments
    ---------
    stem : str
        The file name without extension.

    Returns
    -------
    dict or None

    Example
    -------
    >>> info = parse_name("03-01-05-01-02-01-12")
    >>> info["emotion"], info["actor"], info["gender"], info["channel"]
    ('angry', '12', 'female', 'speech')
    >>> parse_name("03-01-09-01-02-01-12") is None  # no emotion 09
    True
    """
    match = _NAME.match(stem)
    if not match:
        return None
    modality, channel, emotion, intensity, statement, repetition, actor = match.groups()
    if (
        emotion not in EMOTIONS
        or channel not in CHANNELS
        or intensity not in INTENSITIES
        or statement not in STATEMENTS
        or not 1 <= int(actor) <= 99
    ):
        return None
    return {
        "modality": modality,
        "channel": CHANNELS[channel],
        "emotion": EMOTIONS[emotion],
        "code": emotion,
        "intensity": INTENSITIES[intensity],
        "text": STATEMENTS[statement],
        "repetition": repetition,
        "actor": actor,
        "gender": "male" if int(actor) % 2 else "female",
    }


def read_ravdess(
    data_folder: str | Path, options: Mapping | None = None
) -> CorpusListing:
    """Lists the utterances of RAVDESS (audio-only files).

    Arguments
    ---------
    data_folder : str or Path
        A folder with ``Actor_XX`` folders somewhere below it.
    options : mapping, optional
        See :class:`RavdessOptions`.

    Returns
    -------
    CorpusListing
        Speakers ``Actor_XX``; song files, other intensities and files whose
        name is not a RAVDESS name are left out (the latter listed as skipped).
    """
    opts, folder = open_corpus(
        data_folder, options, RavdessOptions, "ravdess", "RAVDESS", LAYOUT
    )
    files = find_audio(folder, "**/Actor_*/*", ["wav"])
    if not files:
        raise CorpusLayoutError(folder, "RAVDESS", "has no Actor_XX/*.wav", LAYOUT)
    listing = CorpusListing(rows=[])
    seen: dict[str, Path] = {}
    for path in files:
        info = parse_name(path.stem)
        if info is None:
            listing.skip(path, "not a RAVDESS file name (seven two-digit fields)")
            continue
        if info["actor"] != path.parent.name.removeprefix("Actor_"):
            listing.skip(path, f"actor {info['actor']} filed under {path.parent.name}")
            continue
        if info["channel"] == "song" and not opts.include_song:
            continue
        if info["intensity"] not in opts.intensities:
            continue
        if path.stem in seen:
            listing.skip(path, f"duplicate of {seen[path.stem]}")
            continue
        seen[path.stem] = path
        listing.rows.append(
            {
                "ID": path.stem,
                "wav": path,
                "spk_id": f"Actor_{info['actor']}",
                "gender": info["gender"],
                "emo": info["emotion"],
                "label": info["code"],
                "text": info["text"],
            }
        )
    return listing
