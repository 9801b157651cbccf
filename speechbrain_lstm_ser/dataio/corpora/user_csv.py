"""Your own corpus as a CSV with one row per utterance (``dataset: csv``).

For emotion recognition (:func:`read_user_csv`, schema
:data:`~speechbrain_lstm_ser.dataio.manifest.USER_EMOTION_CSV`): columns
``ID, wav, spk_id, emo`` (required) and ``gender`` (``female``, ``male`` or
``unknown``), ``text``, ``duration`` (optional; durations are measured from
the audio anyway) and ``arousal``, ``valence``, ``dominance`` (optional, empty
where unknown) on the scale stated by ``dimension_scale`` (default
``[0, 1]``; e.g. ``[1, 5]``), normalised to ``[0, 1]``; a value outside the
stated scale is an error naming its row and column. ``wav`` may be
``$data_root/x.wav``, a path relative to the data folder, or an absolute
path. The file is validated as a whole:
missing columns, duplicate or empty IDs, empty labels or speakers, bad
genders and missing audio files are all reported at once. A ``$`` in a text
is written as the full-width ``＄``: SpeechBrain's CSV loader would take
``$x`` for a variable to substitute.

For speech recognition (:func:`read_user_asr_csv`, schema
:data:`~speechbrain_lstm_ser.dataio.manifest.USER_ASR_CSV`): columns
``ID, duration, wav, spk_id, wrd`` and optionally ``gender``; ``$data_root``
is the data folder.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path

from speechbrain_lstm_ser.dataio.corpora.base import (
    CorpusLayoutError,
    CorpusListing,
    check_scale,
    open_corpus,
    read_dimensions,
    read_table,
)
from speechbrain_lstm_ser.dataio.manifest import (
    USER_ASR_CSV,
    USER_EMOTION_CSV,
    ManifestError,
    read_manifest,
    resolve_data_root,
)

__all__ = ["LAYOUT", "CsvOptions", "read_user_asr_csv", "read_user_csv"]

LAYOUT = (
    "manifest.csv with columns ID, wav, spk_id, emo[, gender, text, duration, "
    "arousal, valence, dominance]"
)


@dataclasses.dataclass(frozen=True)
class CsvOptions:
    """Options of the CSV corpus (``prepare.corpora.csv`` in the YAML).

    Arguments
    ---------
    manifest : str
        The CSV file, relative to the data folder or absolute.
    dimension_scale : tuple of float
        ``(low, high)``: the scale of the optional ``arousal``, ``valence``
        and ``dominance`` columns (e.g. ``[1, 5]`` for IEMOCAP-style
        ratings); they are normalised to ``[0, 1]``.
    """

    manifest: str = "manifest.csv"
    dimension_scale: tuple[float, float] = (0.0, 1.0)

    def __post_init__(self):
        scale = check_scale(self.dimension_scale, "prepare.corpora.csv.dimension_scale")
        object.__setattr__(self, "dimension_scale", scale)


def read_user_csv(
    data_folder: str | Path, options: Mapping | None = None
) -> CorpusListing:
    r"""Reads and validates the user's manifest.

    Arguments
    ---------
    data_folder : str or Path
        The folder relative ``wav`` paths and ``$data_root`` refer to.
    options : mapping, optional
        See :class:`CsvOptions`.

    Returns
    -------
    CorpusListing

    Raises
    ------
    ManifestError
        Listing every problem of the CSV.

    Example
    -------
    >>> import tempfile, os
    >>> folder = tempfile.mkdtemp()
    >>> _ = open(os.path.join(folder, "a.wav"), "wb").write(b"RIFF")
    >>> _ = open(os.path.join(folder, "manifest.csv"), "w").write(
    ...     "ID,wav,spk_id,emo\nu1,a.wav,s1,sad\nu2,b.wav,s2,\n")
    >>> read_user_csv(folder)
    Traceback (most recent call last):
    ...
    speechbrain_lstm_ser.dataio.manifest.ManifestError: ...manifest.csv: 2 problem(s)
      - row 3: empty emo
      - row 3: audio file not found: .../b.wav
    """
    opts, folder = open_corpus(data_folder, options, CsvOptions, "csv", "csv", LAYOUT)
    path = folder / opts.manifest
    if not path.is_file():
        raise CorpusLayoutError(path, "csv", "does not exist", LAYOUT)
    try:
        rows = read_manifest(
            path, schema=USER_EMOTION_CSV, data_root=folder, check_files=True
        )
    except ManifestError as err:  # with the dimensions' problems, all at once
        _, raw = read_table(path, [], LAYOUT)
        extra = [
            problem
            for line, row in enumerate(raw, start=2)
            for problem in read_dimensions(row, opts.dimension_scale, line)[1]
        ]
        raise ManifestError(path, err.problems + extra) from None
    listing = CorpusListing(rows=[])
    dollars = 0
    problems: list[str] = []
    for line, row in enumerate(rows, start=2):
        dims, wrong = read_dimensions(row, opts.dimension_scale, line)
        problems += wrong
        text = row.get("text") or ""
        if "$" in text:  # SpeechBrain's CSV loader would read "$x" as a variable
            text = text.replace("$", "\uff04")
            dollars += 1
        listing.rows.append(
            {
                "ID": row["ID"].strip(),
                "wav": resolve_data_root(row["wav"].strip(), folder),
                "spk_id": row["spk_id"].strip(),
                "gender": row.get("gender") or "unknown",
                "emo": row["emo"].strip(),
                "label": row["emo"].strip(),
                "text": text,
                **dims,
            }
        )
    if problems:
        raise ManifestError(path, problems)
    if dollars:
        listing.notes.append(
            f"{dollars} text(s) contain '$', which SpeechBrain's CSV loader takes "
            "for a variable: written as the full-width '\uff04' in the manifests"
        )
    return listing


def read_user_asr_csv(csv_file: str | Path | None) -> list[dict]:
    r"""Reads the user's speech recognition CSV as ASR manifest rows.

    Arguments
    ---------
    csv_file : str or Path
        A CSV with ``ID, duration, wav, spk_id, wrd`` (``gender`` optional).

    Returns
    -------
    list of dict
        ``ID, duration, wav, spk_id, gender, wrd`` (``gender`` ``unknown``
        where missing, transcripts with single spaces, durations as text).

    Raises
    ------
    ValueError
        Without a file, or when a transcript is empty.
    ManifestError
        Listing every problem of the CSV.

    Example
    -------
    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "asr.csv")
    >>> _ = open(path, "w").write(
    ...     "ID,duration,wav,spk_id,wrd\nu1,1.5,a.wav,s1,HELLO   THERE\n")
    >>> row = read_user_asr_csv(path)[0]
    >>> row["wrd"], row["gender"], row["duration"]
    ('HELLO THERE', 'unknown', '1.5000')
    """
    if not csv_file:
        raise ValueError(
            "dataset 'csv' needs csv_file: a CSV with the columns "
            f"{', '.join(USER_ASR_CSV.required)} "
            f"({', '.join(USER_ASR_CSV.optional)} optional), e.g. "
            "--csv_file /data/mine/corpus.csv"
        )
    rows = read_manifest(csv_file, schema=USER_ASR_CSV)
    empty = [r["ID"] for r in rows if not (r["wrd"] or "").strip()]
    if empty:
        raise ValueError(
            f"{csv_file}: {len(empty)} row(s) with an empty wrd (first: {empty[0]}); "
            "remove them or give their transcripts"
        )
    for row in rows:
        row["gender"] = row.get("gender") or "unknown"
        row["wrd"] = " ".join(row["wrd"].split())
        row["duration"] = f"{row['duration']:.4f}"
    return rows
