"""Data preparation, one skeleton for every task: corpus -> manifests.

:func:`prepare` runs the same steps for emotion recognition, speech
recognition and spoken commands::

    stamp check -> list -> filter -> split -> describe -> write

1. **stamp check**: ``prep_summary.json`` in the manifest folder records the
   options of the run that wrote it. Same options, finished, every output
   present: nothing is done and the recorded summary is returned. Other
   options: the manifests are rewritten (they belong to the experiment). A
   run that was interrupted (the stamp still says ``started``) is redone,
   never trusted. Files in the manifest folder that no stamp accounts for are
   never overwritten, and the manifest folder may not be the corpus folder
   or inside it: the corpus is never written to.
2. **list**: the task's reader for ``dataset`` lists the corpus as a
   :class:`~speechbrain_lstm_ser.dataio.corpora.base.CorpusListing`.
3. **filter**: the task keeps the rows it can use (labels in its class set,
   readable audio, ...) and says what it left out.
4. **split**: the task distributes the rows over train / valid / test
   (speaker-independent, or the corpus's own split).
5. **describe**: each split is summarised (utterances, speakers, classes).
6. **write**: the manifests, atomically and only once every check passed,
   then ``prep_summary.json``: the stamp, the options and the summary.

What differs between tasks is a :class:`TaskSpec`; what a user chooses is
the task's options object, a frozen dataclass derived from
:class:`PreparationOptions` (its defaults written once, unknown option names
refused by name), built in the recipe YAML from its ``prepare:`` block. The
three specs, their options and the entry points the recipes call, are in
:mod:`~speechbrain_lstm_ser.dataio.prepare_emotion`,
:mod:`~speechbrain_lstm_ser.dataio.prepare_asr` and
:mod:`~speechbrain_lstm_ser.dataio.prepare_commands`.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import dataclasses
import difflib
import logging
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from speechbrain_lstm_ser.dataio.corpora.base import CorpusListing
from speechbrain_lstm_ser.dataio.manifest import ManifestSchema, write_manifest
from speechbrain_lstm_ser.dataio.splits import SPLITS
from speechbrain_lstm_ser.dataio.stamps import (
    DONE,
    STARTED,
    outputs_up_to_date,
    read_stamp,
    write_stamp,
)

logger = logging.getLogger(__name__)

__all__ = [
    "SPLITS",
    "SUMMARY",
    "PreparationOptions",
    "Request",
    "TaskSpec",
    "keep_all",
    "prepare",
]

#: The stamp and summary of a preparation, next to its manifests.
SUMMARY = "prep_summary.json"


class PreparationOptions:
    """Base of the options objects of the preparations (frozen dataclasses).

    A subclass is a ``@dataclasses.dataclass(frozen=True, kw_only=True)``
    whose fields are the task's options with their defaults. Built with an
    option name it does not have (a typo in the YAML's ``prepare:`` block or
    an override), it raises one line naming the key and the valid ones,
    before anything is prepared.

    Example
    -------
    >>> @dataclasses.dataclass(frozen=True, kw_only=True)
    ... class ToyOptions(PreparationOptions):
    ...     seed: int = 1234
    >>> ToyOptions(seed=1).as_dict()
    {'seed': 1}
    >>> ToyOptions(sed=1)
    Traceback (most recent call last):
    ...
    ValueError: ToyOptions: unknown option 'sed' (did you mean 'seed'?); valid: seed
    """

    def __new__(cls, *args, **kwargs):
        """Refuses an option name the subclass does not have, by name."""
        fields = [f.name for f in dataclasses.fields(cls)]
        unknown = [key for key in kwargs if key not in fields]
        if unknown:
            close = difflib.get_close_matches(unknown[0], fields, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise ValueError(
                f"{cls.__name__}: unknown option '{unknown[0]}'{hint}; "
                f"valid: {', '.join(fields)}"
            )
        return super().__new__(cls)

    @classmethod
    def coerce(cls, options: PreparationOptions | Mapping[str, Any]):
        """``options`` itself, or the options of a mapping (a ``prepare:`` block)."""
        return options if isinstance(options, cls) else cls(**options)

    def as_dict(self) -> dict[str, Any]:
        """The options as plain data (what a stamp records)."""
        return dataclasses.asdict(self)

    def record(self) -> dict[str, Any]:
        """What :func:`prepare` stamps of a task with ``dataset`` and ``corpora``.

        :meth:`as_dict` with only ``dataset``'s corpus options
        (``corpus_options``, last) and without ``dataset`` (which
        :func:`prepare` records first); a task adds or rewrites its own keys.
        """
        record = self.as_dict()
        record["corpus_options"] = self.corpus  # the chosen corpus's only
        del record["corpora"]
        del record["dataset"]
        return record

    @property
    def corpus(self) -> dict:
        """The options of ``dataset``'s corpus reader (empty when none are given).

        For subclasses with ``dataset`` and ``corpora`` (name -> options) fields.
        """
        return dict((self.corpora or {}).get(self.dataset) or {})


@dataclasses.dataclass(frozen=True)
class Request:
    """One preparation: which corpus, where the manifests go, the options.

    Arguments
    ---------
    dataset : str
        The corpus kind, a key of the task's readers.
    data_folder : Path
        The corpus folder, absolute (``$data_root`` of the manifests).
    manifest_folder : Path
        Where the manifests and ``prep_summary.json`` go.
    options : dict
        Every option of the preparation, JSON-serialisable: what the stamp
        records (a change redoes the preparation) and what the task's steps
        read.
    """

    dataset: str
    data_folder: Path
    manifest_folder: Path
    options: dict[str, Any]


#: ``reader(data_folder, options)``: lists a corpus for a task.
Reader = Callable[[Path, Mapping[str, Any]], CorpusListing]


@dataclasses.dataclass(frozen=True)
class TaskSpec:
    """What one task's data preparation is made of; :func:`prepare` runs it.

    Arguments
    ---------
    task : str
        The task, for messages (``emotion recognition``).
    readers : mapping
        The task's registry of corpora: ``dataset`` name ->
        ``reader(data_folder, options)`` returning a ``CorpusListing``.
    schema : ManifestSchema
        The columns of ``train.csv``, ``valid.csv`` and ``test.csv``.
    filter : callable
        ``filter(listing, request) -> (rows, facts)``: the listed rows the
        task keeps, and summary fields saying what it left out.
    split : callable
        ``split(rows, listing, request) -> (splits, facts)``: the rows of
        each of :data:`SPLITS`, and summary fields saying how they were
        split (raises when a split cannot be made).
    describe : callable
        ``describe(rows, request) -> dict``: the summary of one split.
    log : callable
        ``log(summary)``: tells the user what was prepared, from the summary
        as written to ``prep_summary.json``.
    extra_manifests : mapping
        More manifests to write: file name -> ``(schema, rows(listing))``,
        e.g. the noise recordings of a corpus.
    extra_files : mapping
        Other files written from the splits: file name ->
        ``write(path, splits, request)``, e.g. the utterance lists of the
        splits (``partitions.json``).
    """

    task: str
    readers: Mapping[str, Reader]
    schema: ManifestSchema
    filter: Callable[[CorpusListing, Request], tuple[list[dict], dict]]
    split: Callable[
        [list[dict], CorpusListing, Request], tuple[dict[str, list[dict]], dict]
    ]
    describe: Callable[[list[dict], Request], dict]
    log: Callable[[dict], None]
    extra_manifests: Mapping[
        str, tuple[ManifestSchema, Callable[[CorpusListing], list[dict]]]
    ] = dataclasses.field(default_factory=dict)
    extra_files: Mapping[
        str, Callable[[Path, dict[str, list[dict]], Request], object]
    ] = dataclasses.field(default_factory=dict)


def keep_all(listing: CorpusListing, request: Request) -> tuple[list[dict], dict]:
    """The filter of a task that uses every listed row.

    Arguments
    ---------
    listing : CorpusListing
        What the reader listed.
    request : Request
        The preparation (unused).

    Returns
    -------
    rows : list of dict
        ``listing.rows``.
    facts : dict
        Empty: nothing was left out.
    """
    return listing.rows, {}


def _check_outside(manifest_folder: Path, data_folder: Path) -> None:
    """Refuses a manifest folder that is the corpus folder or inside it."""
    folder = manifest_folder.resolve()
    if folder == data_folder or data_folder in folder.parents:
        raise ValueError(
            f"manifest_folder {folder} is inside the data folder {data_folder}; "
            "the corpus is never written to: choose a folder outside it (the "
            "recipes use <output_folder>/manifests)"
        )


def prepare(
    spec: TaskSpec,
    dataset: str,
    data_folder: str | Path,
    manifest_folder: str | Path,
    options: Mapping[str, Any],
) -> dict:
    r"""Prepares the train / valid / test manifests of a task.

    Arguments
    ---------
    spec : TaskSpec
        The task.
    dataset : str
        The corpus kind, one of ``spec.readers``.
    data_folder : str or Path
        The corpus folder (read only, except that a generated corpus is
        generated there).
    manifest_folder : str or Path
        Where the manifests and ``prep_summary.json`` go; not inside
        ``data_folder``.
    options : mapping
        The task's options, JSON-serialisable; recorded in the stamp after
        ``dataset`` and ``data_folder``.

    Returns
    -------
    dict
        The summary also written to ``prep_summary.json`` (``status``,
        ``options``, the task's facts and ``splits``).

    Raises
    ------
    ValueError
        For an unknown ``dataset``, a manifest folder inside the corpus, or a
        corpus the task cannot split (the message says what to change).
    FileExistsError
        When the manifest folder holds manifests that no stamp accounts for.

    Example
    -------
    >>> import tempfile
    >>> from speechbrain_lstm_ser.dataio.manifest import MINIMAL_MANIFEST
    >>> def read(folder, options):
    ...     return CorpusListing(rows=[
    ...         {"ID": s, "duration": 1.0, "wav": f"$data_root/{s}.wav"}
    ...         for s in ("a", "b", "c")])
    >>> def split(rows, listing, request):
    ...     return dict(zip(SPLITS, ([r] for r in rows))), {"protocol": "one each"}
    >>> toy = TaskSpec(
    ...     task="toy", readers={"abc": read}, schema=MINIMAL_MANIFEST,
    ...     filter=keep_all, split=split,
    ...     describe=lambda rows, request: {"utterances": len(rows)},
    ...     log=lambda summary: None)
    >>> root = Path(tempfile.mkdtemp())
    >>> summary = prepare(toy, "abc", root / "corpus", root / "manifests", {})
    >>> summary["protocol"], summary["splits"]["test"]
    ('one each', {'utterances': 1})
    >>> (root / "manifests" / "test.csv").read_text()
    'ID,duration,wav\nc,1.0,$data_root/c.wav\n'
    >>> prepare(toy, "xyz", root / "corpus", root / "manifests", {})
    Traceback (most recent call last):
    ...
    ValueError: dataset 'xyz' is not supported for toy; choose one of ['abc']
    """
    data_folder = Path(data_folder).resolve()
    manifest_folder = Path(manifest_folder)
    _check_outside(manifest_folder, data_folder)
    if dataset not in spec.readers:
        raise ValueError(
            f"dataset {dataset!r} is not supported for {spec.task}; choose one of "
            f"{sorted(spec.readers)}"
        )
    request = Request(
        dataset=dataset,
        data_folder=data_folder,
        manifest_folder=manifest_folder,
        options={"dataset": dataset, "data_folder": str(data_folder), **options},
    )
    stamp_path = manifest_folder / SUMMARY
    outputs = [manifest_folder / f"{name}.csv" for name in SPLITS]
    outputs += [manifest_folder / name for name in spec.extra_manifests]
    outputs += [manifest_folder / name for name in spec.extra_files]
    if outputs_up_to_date(stamp_path, request.options, outputs):
        logger.info(
            f"Manifests in {manifest_folder} are up to date; skipping preparation."
        )
        return read_stamp(stamp_path)

    write_stamp(stamp_path, request.options, STARTED)
    listing = spec.readers[dataset](data_folder, request.options)
    rows, kept = spec.filter(listing, request)
    splits, protocol = spec.split(rows, listing, request)
    for name in SPLITS:
        if not splits.get(name):
            raise ValueError(f"the {name} split of {data_folder} is empty")
    summary = {
        **protocol,
        **kept,
        "splits": {name: spec.describe(splits[name], request) for name in SPLITS},
    }
    for name in SPLITS:
        write_manifest(
            manifest_folder / f"{name}.csv", splits[name], spec.schema.columns
        )
    for name, (schema, rows_of) in spec.extra_manifests.items():
        write_manifest(manifest_folder / name, rows_of(listing), schema.columns)
    for name, write in spec.extra_files.items():
        write(manifest_folder / name, splits, request)
    write_stamp(stamp_path, request.options, DONE, **summary)
    summary = read_stamp(stamp_path)
    spec.log(summary)
    return summary
