"""EmoDB: the Berlin Database of Emotional Speech.

10 actors (5 female, 5 male) say 10 German sentences in seven emotions;
535 utterances, 16 kHz mono. Expected layout (the release archive)::

    wav/03a01Fa.wav

A file name is speaker (2 digits), text code (``a01`` .. ``b10``), emotion
letter (W anger, L boredom, E disgust, A fear, F happiness, T sadness,
N neutral; the German initials) and version letter. Speakers 03, 10, 11, 12,
15 are male and 08, 09, 13, 14, 16 female.

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

__all__ = ["EMOTIONS", "GENDERS", "LAYOUT", "EmodbOptions", "read_emodb"]

LAYOUT = "wav/03a01Fa.wav"

#: Emotion letter -> the shared emotion vocabulary.
EMOTIONS = {
    "W": "angry",
    "L": "boredom",
    "E": "disgust",
    "A": "fearful",
    "F": "happy",
    "T": "sad",
    "N": "neutral",
}
#: Speaker -> gender, from the corpus documentation.
GENDERS = {
    **{spk: "male" for spk in ("03", "10", "11", "12", "15")},
    **{spk: "female" for spk in ("08", "09", "13", "14", "16")},
}
TEXTS = {
    "a01": "Der Lappen liegt auf dem Eisschrank.",
    "a02": "Das will sie am Mittwoch abgeben.",
    "a04": "Heute abend könnte ich es ihm sagen.",
    "a05": "Das schwarze Stück Papier befindet sich da oben neben dem Holzstück.",
    "a07": "In sieben Stunden wird es soweit sein.",
    "b01": "Was sind denn das für Tüten, die da unter dem Tisch stehen?",
    "b02": "Sie haben es gerade hochgetragen und jetzt gehen sie wieder runter.",
    "b03": "An den Wochenenden bin ich jetzt immer nach Hause gefahren und "
    "habe Agnes besucht.",
    "b09": "Ich will das eben wegbringen und dann mit Karl was trinken gehen.",
    "b10": "Die wird auf dem Platz sein, wo wir sie immer hinlegen.",
}

_NAME = re.compile(r"^(\d\d)([ab]\d\d)([A-Z])([a-z])$")


@dataclasses.dataclass(frozen=True)
class EmodbOptions:
    """Options of the EmoDB preparation (``prepare.corpora.emodb``; none so far)."""


def read_emodb(
    data_folder: str | Path, options: Mapping | None = None
) -> CorpusListing:
    """Lists the utterances of EmoDB.

    Arguments
    ---------
    data_folder : str or Path
        The folder that holds ``wav/``.
    options : mapping, optional
        See :class:`EmodbOptions`.

    Returns
    -------
    CorpusListing
        Speakers ``03`` .. ``16``, as in the corpus documentation.
    """
    _, folder = open_corpus(
        data_folder, options, EmodbOptions, "emodb", "EmoDB", LAYOUT
    )
    files = find_audio(folder / "wav", "*", ["wav"])
    if not files:
        raise CorpusLayoutError(folder, "EmoDB", "has no wav/*.wav", LAYOUT)
    listing = CorpusListing(rows=[])
    for path in files:
        match = _NAME.match(path.stem)
        if not match or match[3] not in EMOTIONS:
            listing.skip(path, "not an EmoDB file name (03a01Fa)")
            continue
        speaker, text, letter, _ = match.groups()
        listing.rows.append(
            {
                "ID": path.stem,
                "wav": path,
                "spk_id": speaker,
                "gender": GENDERS.get(speaker, "unknown"),
                "emo": EMOTIONS[letter],
                "label": letter,
                "text": TEXTS.get(text, ""),
            }
        )
    return listing
