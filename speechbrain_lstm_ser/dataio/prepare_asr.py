"""Speech recognition data preparation: corpus -> split -> manifests.

:func:`prepare_asr_data` runs the preparation skeleton
(:func:`~speechbrain_lstm_ser.dataio.prepare.prepare`) with :data:`ASR`:

- **list**: :data:`READERS`: the LibriSpeech layout (LibriSpeech,
  mini-LibriSpeech, and the ``embedded`` corpus, generated in that layout)
  or the user's CSV; every utterance is kept (**filter**);
- **split**: by speaker, balanced by gender, or by the corpus's own subsets
  (LibriSpeech's ``train-clean-100`` / ``dev-clean`` / ``test-clean``);
  training utterances longer than ``max_duration`` are dropped and counted;
- **describe**: utterances, hours, speakers, genders, words, vocabulary.

The manifests have the columns of
:data:`~speechbrain_lstm_ser.dataio.manifest.ASR_MANIFEST`.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import dataclasses
import logging
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path

from speechbrain_lstm_ser.dataio.corpora.base import CorpusListing
from speechbrain_lstm_ser.dataio.corpora.librispeech import read_librispeech
from speechbrain_lstm_ser.dataio.corpora.user_csv import read_user_asr_csv
from speechbrain_lstm_ser.dataio.manifest import ASR_COLUMNS, ASR_MANIFEST
from speechbrain_lstm_ser.dataio.prepare import (
    SPLITS,
    PreparationOptions,
    Reader,
    Request,
    TaskSpec,
    keep_all,
    prepare,
)
from speechbrain_lstm_ser.dataio.splits import split_rows_by_speaker

logger = logging.getLogger(__name__)

# ASR_COLUMNS: kept importable from here for the recipes; it lives in manifest.
__all__ = ["ASR", "ASR_COLUMNS", "ASRPrepOptions", "READERS", "prepare_asr_data"]

#: How ``split`` may distribute the utterances.
SPLIT_RULES = ("speakers", "subsets")


def _subsets_to_read(options: Mapping) -> list[str] | None:
    """With ``split: subsets``, only the subsets named (LibriSpeech has 7)."""
    if options["split"] != "subsets":
        return None
    return sorted({s for names in options["subsets"].values() for s in names})


def _read_librispeech(data_folder: Path, options: Mapping) -> CorpusListing:
    return CorpusListing(rows=read_librispeech(data_folder, _subsets_to_read(options)))


def _read_embedded(data_folder: Path, options: Mapping) -> CorpusListing:
    """Generates the embedded corpus (once, LibriSpeech layout) and lists it."""
    from speechbrain_lstm_ser.dataio.synthetic.asr import (
        EmbeddedASROptions,
        generate_embedded_asr_corpus,
    )

    corpus_options = EmbeddedASROptions(**options["corpus_options"])
    generate_embedded_asr_corpus(data_folder, corpus_options)
    return _read_librispeech(data_folder, options)


def _read_csv(data_folder: Path, options: Mapping) -> CorpusListing:
    return CorpusListing(rows=read_user_asr_csv(options["csv_file"]))


#: ``dataset`` -> reader(data_folder, options) -> CorpusListing whose rows
#: have the ASR manifest columns (and ``subset`` for LibriSpeech layouts).
READERS: dict[str, Reader] = {
    "embedded": _read_embedded,
    "librispeech": _read_librispeech,
    "csv": _read_csv,
}


def _split(
    rows: list[dict], listing: CorpusListing, request: Request
) -> tuple[dict[str, list[dict]], dict]:
    """Rows of each split (by speaker or by subset), too long ones dropped."""
    options = request.options
    if options["split"] == "speakers":
        splits = split_rows_by_speaker(
            rows, options["valid_speakers"], options["test_speakers"], options["seed"]
        )
    else:
        present = sorted({r.get("subset", "") for r in rows})
        splits = {}
        for name in SPLITS:
            wanted = list(options["subsets"].get(name, []))
            missing = [s for s in wanted if s not in present]
            if not wanted or missing:
                raise ValueError(
                    f"split: subsets needs {name}_subsets naming subset folders; "
                    f"got {wanted}, available {present}"
                )
            splits[name] = [r for r in rows if r.get("subset") in wanted]
    too_long = 0
    if options["max_duration"]:
        kept = [
            r
            for r in splits["train"]
            if float(r["duration"]) <= options["max_duration"]
        ]
        too_long = len(splits["train"]) - len(kept)
        splits["train"] = kept
    return splits, {"dropped_too_long": too_long}


def _describe(rows: list[dict], request: Request) -> dict:
    """Utterances, hours, speakers, genders, words and vocabulary of a split."""
    words = Counter(w for r in rows for w in r["wrd"].split())
    return {
        "utterances": len(rows),
        "hours": round(sum(float(r["duration"]) for r in rows) / 3600, 4),
        "speakers": len({r["spk_id"] for r in rows}),
        "per_gender": dict(sorted(Counter(r["gender"] for r in rows).items())),
        "words": sum(words.values()),
        "vocabulary": len(words),
    }


def _log(summary: dict) -> None:
    for name in SPLITS:
        info = summary["splits"][name]
        logger.info(
            f"{name}: {info['utterances']} utterances, {info['speakers']} "
            f"speakers, {info['hours']} h, {info['per_gender']}"
        )
    if summary["dropped_too_long"]:
        logger.info(
            f"dropped {summary['dropped_too_long']} training utterances over "
            f"{summary['options']['max_duration']} s"
        )


#: The speech recognition task, run by :func:`prepare_asr_data`.
ASR = TaskSpec(
    task="ASR",
    readers=READERS,
    schema=ASR_MANIFEST,
    filter=keep_all,
    split=_split,
    describe=_describe,
    log=_log,
)


@dataclasses.dataclass(frozen=True, kw_only=True)
class ASRPrepOptions(PreparationOptions):
    """The options of :func:`prepare_asr_data`, with their defaults.

    The recipe builds it from the ``prepare:`` block of
    ``hparams/asr_lstm.yaml``; the stamp records it.

    Arguments
    ---------
    dataset : str
        ``embedded`` (generated on first use), ``librispeech`` (LibriSpeech
        or mini-LibriSpeech layout) or ``csv`` (see :data:`READERS`).
    split : str
        ``speakers``: speaker-independent, gender-balanced split with
        ``valid_speakers`` / ``test_speakers``; ``subsets``: the corpus's own
        subsets (``subsets``).
    valid_speakers : int or float
        Held-out validation speakers (count or fraction), for ``speakers``.
    test_speakers : int or float
        Held-out test speakers (count or fraction), for ``speakers``.
    seed : int
        Seed of the speaker split.
    subsets : mapping
        ``{"train": [...], "valid": [...], "test": [...]}`` subset folders,
        for ``split: subsets``.
    max_duration : float, optional
        Training utterances longer than this (seconds) are dropped and
        counted; validation and test keep everything.
    corpora : mapping
        ``dataset`` -> options of its corpus (the embedded corpus
        generator's); only ``dataset``'s are used and stamped.
    csv_file : str, optional
        The CSV of ``dataset: csv``.

    Example
    -------
    >>> ASRPrepOptions(dataset="embedded").split
    'speakers'
    >>> ASRPrepOptions(dataset="embedded", max_duraton=20.0)
    Traceback (most recent call last):
    ...
    ValueError: ASRPrepOptions: unknown option 'max_duraton' (did you mean ...
    """

    dataset: str
    split: str = "speakers"
    valid_speakers: int | float = 4
    test_speakers: int | float = 4
    seed: int = 1234
    subsets: Mapping[str, Sequence[str]] = dataclasses.field(default_factory=dict)
    max_duration: float | None = None
    corpora: Mapping[str, Mapping] = dataclasses.field(default_factory=dict)
    csv_file: str | None = None

    def __post_init__(self):
        if self.split not in SPLIT_RULES:
            raise ValueError(
                f"split must be 'speakers' or 'subsets', got {self.split!r}"
            )


def prepare_asr_data(
    data_folder: str | Path,
    manifest_folder: str | Path,
    options: ASRPrepOptions | Mapping,
) -> dict:
    """Prepares train / valid / test manifests for speech recognition.

    Idempotent, and never writes into the corpus nor over files it did not
    write (see :mod:`speechbrain_lstm_ser.dataio.prepare`).

    Arguments
    ---------
    data_folder : str or Path
        The corpus folder.
    manifest_folder : str or Path
        Where the manifests and the summary go.
    options : ASRPrepOptions or mapping
        What to prepare (corpus kind, split), or its fields as a mapping
        (the YAML's ``prepare:`` block); recorded in the stamp.

    Returns
    -------
    dict
        The summary also written to ``prep_summary.json``.
    """
    options = ASRPrepOptions.coerce(options)
    record = options.record()
    record["subsets"] = {k: list(v) for k, v in (options.subsets or {}).items()}
    if options.csv_file:
        record["csv_file"] = str(Path(options.csv_file).resolve())
    return prepare(ASR, options.dataset, data_folder, manifest_folder, record)
