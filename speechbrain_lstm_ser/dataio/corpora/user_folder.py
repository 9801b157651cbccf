r"""A folder of audio files sorted into one sub-folder per emotion.

The quickest way to bring your own data::

    <data_folder>/angry/spk01/take1.wav
    <data_folder>/angry/spk02_take3.wav
    <data_folder>/neutral/...
    <data_folder>/speakers.csv                 (optional)

The first folder level is the emotion label (the folder name as it is; map it
with ``label_map``); anything below it may be nested. The speaker of a file,
which the speaker-independent split needs, comes from (first that applies):

1. ``speakers.csv`` with columns ``file, spk_id[, gender]`` (``file`` relative
   to the data folder, e.g. ``angry/spk01/take1.wav``);
2. ``speaker_regex``: a regular expression whose first group, searched in the
   file name, is the speaker (e.g. ``^([a-z]+\d+)_`` for ``spk02_take3``);
3. the first sub-folder below the emotion folder (``angry/spk01/...``).

A ``speakers.csv`` without a ``file`` column (``spk_id, gender``) only gives
the genders. With a ``file`` column it may also give each file's
``arousal``, ``valence`` and ``dominance`` (optional columns, empty where
unknown), on the scale stated by ``dimension_scale`` (default ``[0, 1]``),
normalised to ``[0, 1]``; a value outside the stated scale is an error
naming its row and column. Files whose speaker cannot be told each count as their own
speaker: the split is then *not* speaker-independent, which the preparation
summary and the log say.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import csv
import dataclasses
import re
from collections.abc import Mapping
from pathlib import Path

from speechbrain_lstm_ser.dataio.corpora.base import (
    CorpusLayoutError,
    CorpusListing,
    check_scale,
    find_audio,
    open_corpus,
    read_dimensions,
    read_table,
)
from speechbrain_lstm_ser.dataio.manifest import DIMENSIONS, GENDERS, ManifestError

__all__ = [
    "LAYOUT",
    "FolderOptions",
    "read_file_dimensions",
    "read_speakers_csv",
    "read_user_folder",
]

LAYOUT = (
    "<emotion>/**/<file>.wav, optionally with speakers.csv (file, spk_id, gender"
    "[, arousal, valence, dominance])"
)


@dataclasses.dataclass(frozen=True)
class FolderOptions:
    """Options of the folder corpus (``prepare.corpora.folder`` in the YAML).

    Arguments
    ---------
    speakers_csv : str or None
        Speaker table, relative to the data folder or absolute; used when it
        exists (None: never).
    speaker_regex : str or None
        Regular expression whose first group in the file name (without
        extension) is the speaker.
    extensions : tuple of str
        Audio file extensions to take.
    dimension_scale : tuple of float
        ``(low, high)``: the scale of the optional ``arousal``, ``valence``
        and ``dominance`` columns of ``speakers_csv``.
    """

    speakers_csv: str | None = "speakers.csv"
    speaker_regex: str | None = None
    extensions: tuple[str, ...] = ("wav", "flac")
    dimension_scale: tuple[float, float] = (0.0, 1.0)

    def __post_init__(self):
        object.__setattr__(self, "extensions", tuple(self.extensions))
        scale = check_scale(
            self.dimension_scale, "prepare.corpora.folder.dimension_scale"
        )
        object.__setattr__(self, "dimension_scale", scale)
        if self.speaker_regex is not None:
            try:
                pattern = re.compile(self.speaker_regex)
            except re.error as err:
                raise ValueError(
                    "prepare.corpora.folder.speaker_regex "
                    f"{self.speaker_regex!r}: {err}"
                ) from None
            if pattern.groups < 1:
                raise ValueError(
                    "prepare.corpora.folder.speaker_regex needs a group around the "
                    f"speaker, e.g. '^([a-z]+\\d+)_'; got {self.speaker_regex!r}"
                )


def read_speakers_csv(path: str | Path) -> tuple[dict[str, str], dict[str, str]]:
    r"""Reads a speaker table: per file, or per speaker.

    Arguments
    ---------
    path : str or Path
        CSV with ``file, spk_id[, gender]`` or ``spk_id, gender``.

    Returns
    -------
    files : dict
        File (relative, ``/``-separated) -> speaker (empty without ``file``).
    genders : dict
        Speaker -> ``female``, ``male`` or ``unknown``.

    Raises
    ------
    ManifestError
        Listing every problem (missing columns, bad genders, conflicts).

    Example
    -------
    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "speakers.csv")
    >>> _ = open(path, "w").write("file,spk_id,gender\nsad/a.wav,s1,Female\n")
    >>> read_speakers_csv(path)
    ({'sad/a.wav': 's1'}, {'s1': 'female'})
    """
    with open(path, encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        columns = reader.fieldnames or []
        rows = list(reader)
    if "spk_id" not in columns or not ({"file", "gender"} & set(columns)):
        raise ManifestError(
            path,
            [
                f"columns {columns}: a speaker table needs file, spk_id[, gender] "
                "or spk_id, gender"
            ],
        )
    files: dict[str, str] = {}
    genders: dict[str, str] = {}
    problems = []
    for line, row in enumerate(rows, start=2):
        spk = (row.get("spk_id") or "").strip()
        if not spk:
            problems.append(f"row {line}: empty spk_id")
            continue
        gender = (row.get("gender") or "unknown").strip().lower() or "unknown"
        if gender not in GENDERS:
            problems.append(f"row {line}: gender {gender!r} is not one of {GENDERS}")
        elif genders.setdefault(spk, gender) != gender:
            problems.append(f"row {line}: speaker {spk} is {genders[spk]} above")
        if "file" in columns:
            files[Path((row.get("file") or "").strip()).as_posix()] = spk
    if problems:
        raise ManifestError(path, problems)
    return files, genders


def read_file_dimensions(
    path: str | Path, scale: tuple[float, float]
) -> dict[str, dict[str, str]]:
    r"""Each file's dimensions from a speaker table with a ``file`` column.

    Arguments
    ---------
    path : str or Path
        CSV with ``file`` and any of ``arousal, valence, dominance``.
    scale : tuple of float
        ``(low, high)`` of those columns.

    Returns
    -------
    dict
        File (relative, ``/``-separated) -> dimension -> value in ``[0, 1]``
        as text (files without a value are absent).

    Raises
    ------
    ManifestError
        Listing every value that is not a number within ``scale``.

    Example
    -------
    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "speakers.csv")
    >>> _ = open(path, "w").write("file,spk_id,arousal\nsad/a.wav,s1,2\n")
    >>> read_file_dimensions(path, (1, 5))
    {'sad/a.wav': {'arousal': '0.2500'}}
    """
    columns, rows = read_table(path, ["file"], "a speaker table with file, spk_id")
    if not set(DIMENSIONS) & set(columns):
        return {}
    found, problems = {}, []
    for line, row in enumerate(rows, start=2):
        dims, wrong = read_dimensions(row, scale, line)
        problems += wrong
        if dims:
            found[Path((row.get("file") or "").strip()).as_posix()] = dims
    if problems:
        raise ManifestError(path, problems)
    return found


def read_user_folder(
    data_folder: str | Path, options: Mapping | None = None
) -> CorpusListing:
    """Lists ``<data_folder>/<emotion>/**/*.wav``.

    Arguments
    ---------
    data_folder : str or Path
        The folder of emotion folders.
    options : mapping, optional
        See :class:`FolderOptions`.

    Returns
    -------
    CorpusListing
        IDs are the relative paths without extension.
    """
    opts, folder = open_corpus(
        data_folder, options, FolderOptions, "folder", "folder", LAYOUT
    )
    files = [
        path
        for path in find_audio(folder, "*/**/*", opts.extensions)
        if not any(part.startswith(".") for part in path.relative_to(folder).parts)
    ]
    if not files:
        raise CorpusLayoutError(
            folder, "folder", "has no audio file in an emotion sub-folder", LAYOUT
        )
    by_file: dict[str, str] = {}
    genders: dict[str, str] = {}
    dimensions: dict[str, dict[str, str]] = {}
    table = None
    if opts.speakers_csv is not None:
        table = folder / opts.speakers_csv
        if table.is_file():
            by_file, genders = read_speakers_csv(table)
            if by_file:
                dimensions = read_file_dimensions(table, opts.dimension_scale)
        elif opts.speakers_csv != FolderOptions.speakers_csv:
            raise FileNotFoundError(
                f"prepare.corpora.folder.speakers_csv: {table} not found; fix the "
                "path, or set it to null to go without a speaker table"
            )
        else:
            table = None
    pattern = re.compile(opts.speaker_regex) if opts.speaker_regex else None
    listing = CorpusListing(rows=[])
    guessed = 0
    for path in files:
        rel = path.relative_to(folder)
        key = rel.as_posix()
        match = pattern.search(path.stem) if pattern else None
        if by_file:
            if key not in by_file:
                listing.skip(path, f"not listed in {table}")
                continue
            spk = by_file[key]
        elif pattern is not None:
            if not match or not match.group(1):
                listing.skip(path, f"speaker_regex {opts.speaker_regex!r} finds none")
                continue
            spk = match.group(1)
        elif len(rel.parts) > 2:
            spk = rel.parts[1]
        else:
            spk = rel.with_suffix("").as_posix()
            guessed += 1
        listing.rows.append(
            {
                "ID": rel.with_suffix("").as_posix(),
                "wav": path,
                "spk_id": spk,
                "gender": genders.get(spk, "unknown"),
                "emo": rel.parts[0],
                "label": rel.parts[0],
                "text": "",
                **dimensions.get(key, {}),
            }
        )
    if guessed:
        listing.notes.append(
            f"{guessed} file(s) directly in an emotion folder have no known speaker "
            "and count as one speaker each: the split is NOT speaker-independent "
            "for them. Add speakers.csv (file, spk_id, gender), set "
            "prepare.corpora.folder.speaker_regex, or use <emotion>/<speaker>/ folders."
        )
    return listing
