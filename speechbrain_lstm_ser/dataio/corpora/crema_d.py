"""CREMA-D: the Crowd-sourced Emotional Multimodal Actors Dataset.

91 actors (48 male, 43 female) say 12 sentences in six emotions; 7,442 clips,
16 kHz mono. Expected layout (the GitHub release)::

    AudioWAV/1001_DFA_ANG_XX.wav
    VideoDemographics.csv          (ActorID, Age, Sex, Race, Ethnicity)

A file name is actor ID, sentence code, emotion (ANG, DIS, FEA, HAP, NEU, SAD)
and level (LO, MD, HI, XX = unspecified). The speakers' gender comes from
``VideoDemographics.csv``.

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
    read_table,
)

__all__ = [
    "EMOTIONS",
    "LAYOUT",
    "SENTENCES",
    "CremaDOptions",
    "read_crema_d",
    "read_demographics",
]

LAYOUT = "AudioWAV/1001_DFA_ANG_XX.wav and VideoDemographics.csv"

#: Emotion code -> the shared emotion vocabulary.
EMOTIONS = {
    "ANG": "angry",
    "DIS": "disgust",
    "FEA": "fearful",
    "HAP": "happy",
    "NEU": "neutral",
    "SAD": "sad",
}
LEVELS = ("LO", "MD", "HI", "XX")
SENTENCES = {
    "IEO": "It's eleven o'clock",
    "TIE": "That is exactly what happened",
    "IOM": "I'm on my way to the meeting",
    "IWW": "I wonder what this is about",
    "TAI": "The airplane is almost full",
    "MTI": "Maybe tomorrow it will be cold",
    "IWL": "I would like a new alarm clock",
    "ITH": "I think I have a doctor's appointment",
    "DFA": "Don't forget a jacket",
    "ITS": "I think I've seen this before",
    "TSI": "The surface is slick",
    "WSI": "We'll stop in a couple of minutes",
}

_NAME = re.compile(r"^(\d{4})_([A-Z]{3})_([A-Z]{3})_([A-Z]{2})$")


@dataclasses.dataclass(frozen=True)
class CremaDOptions:
    """Options of the CREMA-D preparation (``prepare.corpora.crema_d`` in the YAML).

    Arguments
    ---------
    demographics : str or None
        The demographics CSV (``ActorID`` and ``Sex`` columns), relative to
        the data folder or absolute; None = gender unknown for every speaker.
    levels : tuple of str
        Emotion levels to use among ``LO, MD, HI, XX``.
    """

    demographics: str | None = "VideoDemographics.csv"
    levels: tuple[str, ...] = LEVELS

    def __post_init__(self):
        object.__setattr__(self, "levels", tuple(self.levels))
        if not self.levels or set(self.levels) - set(LEVELS):
            raise ValueError(
                f"prepare.corpora.crema_d.levels must list some of {list(LEVELS)}, "
                f"got {list(self.levels)}"
            )


def read_demographics(path: str | Path) -> dict[str, str]:
    r"""Reads actor genders from CREMA-D's ``VideoDemographics.csv``.

    Arguments
    ---------
    path : str or Path
        The CSV (columns ``ActorID`` and ``Sex`` at least).

    Returns
    -------
    dict
        Actor ID -> ``female`` / ``male`` / ``unknown``.

    Example
    -------
    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "VideoDemographics.csv")
    >>> _ = open(path, "w").write("ActorID,Age,Sex,Race,Ethnicity\n"
    ...                           "1001,51,Male,Caucasian,Not Hispanic\n")
    >>> read_demographics(path)
    {'1001': 'male'}
    """
    _, rows = read_table(
        path,
        ["ActorID", "Sex"],
        "CREMA-D's VideoDemographics.csv has ActorID, Age, Sex, Race, Ethnicity",
    )
    genders = {}
    for row in rows:
        sex = (row["Sex"] or "").strip().lower()
        genders[row["ActorID"].strip()] = (
            sex if sex in ("female", "male") else "unknown"
        )
    return genders


def read_crema_d(
    data_folder: str | Path, options: Mapping | None = None
) -> CorpusListing:
    """Lists the utterances of CREMA-D.

    Arguments
    ---------
    data_folder : str or Path
        The folder that holds ``AudioWAV`` (and ``VideoDemographics.csv``).
    options : mapping, optional
        See :class:`CremaDOptions`.

    Returns
    -------
    CorpusListing
        Speakers are the actor IDs.
    """
    opts, folder = open_corpus(
        data_folder, options, CremaDOptions, "crema_d", "CREMA-D", LAYOUT
    )
    audio = folder / "AudioWAV"
    if not audio.is_dir():
        raise CorpusLayoutError(folder, "CREMA-D", "has no AudioWAV folder", LAYOUT)
    listing = CorpusListing(rows=[])
    genders: dict[str, str] = {}
    if opts.demographics is None:
        listing.notes.append(
            "prepare.corpora.crema_d.demographics is null: gender unknown"
        )
    else:
        demographics = folder / opts.demographics
        if not demographics.is_file():
            raise FileNotFoundError(
                f"{demographics} not found: CREMA-D's VideoDemographics.csv gives "
                "the actors' gender; put it there, set "
                "prepare.corpora.crema_d.demographics to its path, or to null to go "
                "without gender"
            )
        genders = read_demographics(demographics)
    files = find_audio(audio, "*", ["wav"])
    if not files:
        raise CorpusLayoutError(folder, "CREMA-D", "has no AudioWAV/*.wav", LAYOUT)
    for path in files:
        match = _NAME.match(path.stem)
        if not match or match[3] not in EMOTIONS:
            listing.skip(path, "not a CREMA-D file name (1001_DFA_ANG_XX)")
            continue
        actor, sentence, code, level = match.groups()
        if level not in opts.levels:
            continue
        gender = genders.get(actor, "unknown")
        if opts.demographics is not None and actor not in genders:
            listing.notes.append(f"actor {actor} is not in {opts.demographics}")
            genders[actor] = "unknown"
        listing.rows.append(
            {
                "ID": path.stem,
                "wav": path,
                "spk_id": actor,
                "gender": gender,
                "emo": EMOTIONS[code],
                "label": code,
                "text": SENTENCES.get(sentence, ""),
            }
        )
    return listing
