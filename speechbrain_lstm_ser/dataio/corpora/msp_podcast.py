"""MSP-Podcast: naturalistic emotional speech from podcasts (UT Dallas).

Speaking turns from podcasts, annotated by crowd workers with a primary
emotion class and with arousal, valence and dominance on a 7-point scale;
the largest naturalistic SER corpus, and the one whose challenges score the
concordance correlation coefficient. Expected layout (as released)::

    Audios/MSP-PODCAST_0001_0008.wav
    Labels/labels_consensus.csv

``labels_consensus.csv`` has one row per file with the columns ``FileName,
EmoClass, EmoAct, EmoVal, EmoDom, SpkrID, Gender, Split_Set``:

- ``EmoClass``, the consensus class letter: A angry, S sad, H happy,
  U surprised, F fearful, D disgust, C contempt, N neutral, O other,
  X no agreement (:data:`CODES`; ``label_map`` keys may use the letter);
- ``EmoAct``, ``EmoVal``, ``EmoDom``: arousal, valence and dominance on
  1..7, written to the manifests as ``(x - 1) / 6`` in ``[0, 1]``;
- ``SpkrID`` and ``Gender`` (``Unknown`` where the corpus does not know
  them: each such file then counts as its own speaker, which the summary
  says);
- ``Split_Set``: the corpus's own speaker-independent partition, ``Train``,
  ``Development``, ``Test1``, ``Test2`` (and, in recent releases, ``Test3``
  without labels). It is the preparation's fixed partition (as a
  ``partitions:`` file would be, :mod:`~speechbrain_lstm_ser.dataio.partitions`):
  Train trains, Development validates and ``test_set`` tests; the other
  sets are left out. A ``partitions:`` option replaces it.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections import Counter
from collections.abc import Mapping
from pathlib import Path

from speechbrain_lstm_ser.dataio.corpora.base import (
    CorpusLayoutError,
    CorpusListing,
    open_corpus,
    read_table,
    scale_dimensions,
)
from speechbrain_lstm_ser.dataio.partitions import CORPUS_PARTITION, Partitions

__all__ = [
    "CODES",
    "COLUMNS",
    "LAYOUT",
    "SCALE",
    "MspPodcastOptions",
    "read_msp_podcast",
]

LAYOUT = "Audios/<FileName>.wav and Labels/labels_consensus.csv"

#: ``EmoClass`` letter -> the shared emotion vocabulary.
CODES = {
    "A": "angry",
    "S": "sad",
    "H": "happy",
    "U": "surprised",
    "F": "fearful",
    "D": "disgust",
    "C": "contempt",
    "N": "neutral",
    "O": "other",
    "X": "no_agreement",
}
#: The columns of ``labels_consensus.csv`` the reader uses.
COLUMNS = (
    "FileName",
    "EmoClass",
    "EmoAct",
    "EmoVal",
    "EmoDom",
    "SpkrID",
    "Gender",
    "Split_Set",
)
#: MSP-Podcast's rating scale of arousal, valence and dominance.
SCALE = (1.0, 7.0)
#: ``Split_Set`` of the training and the validation split.
TRAIN_SET, VALID_SET = "Train", "Development"
TEST_SETS = ("Test1", "Test2")


@dataclasses.dataclass(frozen=True)
class MspPodcastOptions:
    """Options of the MSP-Podcast preparation (``prepare.corpora.msp_podcast``).

    Arguments
    ---------
    labels : str
        The consensus labels, relative to the data folder or absolute.
    test_set : str
        The ``Split_Set`` that tests: ``Test1`` (most published numbers) or
        ``Test2``.
    """

    labels: str = "Labels/labels_consensus.csv"
    test_set: str = "Test1"

    def __post_init__(self):
        if self.test_set not in TEST_SETS:
            raise ValueError(
                f"prepare.corpora.msp_podcast.test_set must be one of "
                f"{list(TEST_SETS)}, got {self.test_set!r}"
            )


def _dimensions(row: dict) -> tuple[dict[str, str], int] | None:
    """The row's arousal, valence, dominance cells, or None where not numbers."""
    columns = {"arousal": "EmoAct", "valence": "EmoVal", "dominance": "EmoDom"}
    try:
        values = {dim: float(row[column]) for dim, column in columns.items()}
    except (TypeError, ValueError):
        return None
    return scale_dimensions(values, SCALE)


def _notes(used: list[str], left_out: Counter, counts: Counter) -> list[str]:
    """What the summary says about the listing."""
    notes = []
    if left_out:
        notes.append(
            f"Split_Set other than {used} left out of the partition: "
            f"{dict(sorted(left_out.items()))}"
        )
    if counts["unknown speakers"]:
        notes.append(
            f"{counts['unknown speakers']} file(s) with SpkrID Unknown count as one "
            "speaker each (the corpus's Split_Set is speaker-independent for known "
            "speakers)"
        )
    if counts["no dimensions"]:
        notes.append(
            f"{counts['no dimensions']} file(s) without numeric EmoAct, EmoVal, "
            "EmoDom: their dimensions are empty"
        )
    if counts["clipped"]:
        notes.append(
            f"{counts['clipped']} rating(s) outside MSP-Podcast's 1-7 scale: "
            "clipped to [0, 1]"
        )
    return notes


def read_msp_podcast(
    data_folder: str | Path, options: Mapping | None = None
) -> CorpusListing:
    """Lists the labelled files of MSP-Podcast, with the corpus's partition.

    Arguments
    ---------
    data_folder : str or Path
        The folder that holds ``Audios/`` and ``Labels/``.
    options : mapping, optional
        See :class:`MspPodcastOptions`.

    Returns
    -------
    CorpusListing
        One row per labelled file (``wav`` = ``Audios/<FileName>``), with
        ``arousal``, ``valence``, ``dominance`` in ``[0, 1]``; its
        ``partition`` is ``Split_Set`` (one fold: Train, Development and
        ``test_set``).
    """
    opts, folder = open_corpus(
        data_folder, options, MspPodcastOptions, "msp_podcast", "MSP-Podcast", LAYOUT
    )
    labels = folder / opts.labels
    if not labels.is_file():
        raise CorpusLayoutError(folder, "MSP-Podcast", f"has no {opts.labels}", LAYOUT)
    _, table = read_table(
        labels,
        COLUMNS,
        "MSP-Podcast's labels_consensus.csv has " + ", ".join(COLUMNS),
    )
    listing = CorpusListing(rows=[])
    splits = {TRAIN_SET: "train", VALID_SET: "valid", opts.test_set: "test"}
    entries: dict[str, list[dict]] = {name: [] for name in splits.values()}
    counts: Counter = Counter()  # unknown speakers, no dimensions, clipped
    left_out: Counter = Counter()
    seen: set[str] = set()
    for line, row in enumerate(table, start=2):
        name = (row["FileName"] or "").strip()
        code = (row["EmoClass"] or "").strip().upper()
        if not name or name in seen:
            listing.skip(labels, f"row {line}: empty or repeated FileName {name!r}")
            continue
        seen.add(name)
        uid = Path(name).stem
        speaker = (row["SpkrID"] or "").strip()
        if not speaker or speaker.lower() == "unknown":
            speaker = f"unknown_{uid}"
            counts["unknown speakers"] += 1
        gender = (row["Gender"] or "").strip().lower()
        dims = _dimensions(row)
        if dims is None:
            dims = ({}, 0)
            counts["no dimensions"] += 1
        counts["clipped"] += dims[1]
        listing.rows.append(
            {
                "ID": uid,
                "wav": folder / "Audios" / name,
                "spk_id": speaker,
                "gender": gender if gender in ("female", "male") else "unknown",
                "emo": CODES.get(code, code or "unlabelled"),
                "label": code,
                "text": "",
                **dims[0],
            }
        )
        split_set = (row["Split_Set"] or "").strip()
        if split_set in splits:
            entries[splits[split_set]].append(
                {"key": uid, "wav": f"Audios/{name}", "emo": code}
            )
        else:
            left_out[split_set or "(empty)"] += 1
    if not listing.rows:
        raise CorpusLayoutError(
            folder, "MSP-Podcast", f"has no labelled file in {opts.labels}", LAYOUT
        )
    listing.partition = Partitions(
        source=str(labels),
        kind=CORPUS_PARTITION,
        dataset="msp_podcast",
        folds={1: entries},
        label_map={},
        sha256=hashlib.sha256(labels.read_bytes()).hexdigest(),
    )
    listing.notes += _notes(list(splits), left_out, counts)
    return listing
