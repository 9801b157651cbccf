"""Emotion data preparation: corpus -> label set -> speaker split -> manifests.

:func:`prepare_emotion_data` runs the preparation skeleton
(:func:`~speechbrain_lstm_ser.dataio.prepare.prepare`) with :data:`EMOTION`:

- **list**: :data:`READERS`, one reader per corpus (``dataset:``), each
  turning its folder into rows of the common listing
  (:mod:`speechbrain_lstm_ser.dataio.corpora`); ``embedded`` is generated;
- **filter**: labels are renamed with ``label_map`` and those outside
  ``emotions`` dropped (counted per original label); every kept file is
  measured and the unusable ones are listed instead of failing; audio may be
  converted once into a cache;
- **split**: by speaker, balanced by gender: one split, or one fold of a
  cross-validation (IEMOCAP: leave-one-session-out); or, with
  ``partitions``, the folds of a fixed partition (EmoBox's, or a
  ``partitions.json`` a run wrote; :mod:`speechbrain_lstm_ser.dataio.partitions`),
  or, without it, the corpus's own partition where its reader gives one
  (MSP-Podcast's ``Split_Set``);
  the splits are then checked for shared speakers and identical audio
  (:mod:`speechbrain_lstm_ser.dataio.leakage`);
- **describe**: utterances, hours, speakers, per emotion and gender, and
  the distribution of each emotion dimension (:func:`describe_dimensions`);
- **write**: the manifests and ``partitions.json``, the exact utterance
  lists of the splits, which ``partitions`` accepts back.

The manifests have the columns of
:data:`~speechbrain_lstm_ser.dataio.manifest.EMOTION_MANIFEST`, the
dimensions (``arousal, valence, dominance`` in ``[0, 1]``) empty where the
corpus has none.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import dataclasses
import functools
import logging
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np

from speechbrain_lstm_ser.dataio.audio import AudioError, audio_info
from speechbrain_lstm_ser.dataio.audio_cache import AudioCache
from speechbrain_lstm_ser.dataio.corpora.base import CorpusListing
from speechbrain_lstm_ser.dataio.corpora.crema_d import read_crema_d
from speechbrain_lstm_ser.dataio.corpora.emodb import read_emodb
from speechbrain_lstm_ser.dataio.corpora.iemocap import read_iemocap
from speechbrain_lstm_ser.dataio.corpora.msp_podcast import read_msp_podcast
from speechbrain_lstm_ser.dataio.corpora.ravdess import read_ravdess
from speechbrain_lstm_ser.dataio.corpora.user_csv import read_user_csv
from speechbrain_lstm_ser.dataio.corpora.user_folder import read_user_folder
from speechbrain_lstm_ser.dataio.leakage import leakage_report
from speechbrain_lstm_ser.dataio.manifest import (
    DIMENSIONS,
    EMOTION_MANIFEST,
    dimension_matrix,
    read_manifest,
    relative_to_data_root,
    resolve_data_root,
)
from speechbrain_lstm_ser.dataio.partitions import (
    MISSING,
    PARTITIONS_FILE,
    Partitions,
    corpus_path,
    partition_rows,
    partition_splits,
    read_partitions,
    write_partitions,
)
from speechbrain_lstm_ser.dataio.prepare import (
    SPLITS,
    SUMMARY,
    PreparationOptions,
    Reader,
    Request,
    TaskSpec,
    prepare,
)
from speechbrain_lstm_ser.dataio.splits import (
    FOLD_VALID,
    fold_split,
    rows_of_splits,
    speaker_folds,
    speaker_genders,
    split_speakers,
)

logger = logging.getLogger(__name__)

__all__ = [
    "EMOTION",
    "READERS",
    "EmotionPrepOptions",
    "describe_dimensions",
    "map_labels",
    "prepare_emotion_data",
]


def _read_embedded(data_folder: Path, options: Mapping) -> CorpusListing:
    """Generates the embedded corpus (once) and lists it."""
    from speechbrain_lstm_ser.dataio.synthetic.emotion import (
        EmbeddedCorpusOptions,
        generate_embedded_corpus,
    )

    corpus_options = EmbeddedCorpusOptions(**options["corpus_options"])
    corpus_csv = generate_embedded_corpus(data_folder, corpus_options)
    rows = read_manifest(corpus_csv, schema=EMOTION_MANIFEST)
    return CorpusListing(rows=[{**row, "label": row["emo"]} for row in rows])


def _read_corpus(
    read: Callable[[Path, Mapping], CorpusListing],
    data_folder: Path,
    options: Mapping,
) -> CorpusListing:
    """Lists a real corpus with its options (the ``<dataset>_corpus`` block)."""
    return read(data_folder, options["corpus_options"])


#: ``dataset`` -> reader(data_folder, options) -> CorpusListing: rows with
#: the emotion manifest columns but ``duration`` (``wav`` a path), the
#: corpus's own ``label`` and, where the corpus defines fold groups,
#: ``group``; and the files skipped.
READERS: dict[str, Reader] = {
    "embedded": _read_embedded,
    "iemocap": functools.partial(_read_corpus, read_iemocap),
    "ravdess": functools.partial(_read_corpus, read_ravdess),
    "crema_d": functools.partial(_read_corpus, read_crema_d),
    "emodb": functools.partial(_read_corpus, read_emodb),
    "msp_podcast": functools.partial(_read_corpus, read_msp_podcast),
    "folder": functools.partial(_read_corpus, read_user_folder),
    "csv": functools.partial(_read_corpus, read_user_csv),
}


def map_labels(
    rows: Sequence[dict], emotions: Sequence[str], label_map: Mapping[str, str]
) -> tuple[list[dict], dict[str, int], dict[str, int]]:
    """Renames labels with ``label_map`` and keeps those in ``emotions``.

    A ``label_map`` key matches a row's ``emo`` (the shared vocabulary, e.g.
    ``excited``) or its corpus code ``label`` (e.g. IEMOCAP's ``exc``).

    Arguments
    ---------
    rows : sequence of dict
        Corpus rows (``emo`` and optionally ``label``).
    emotions : sequence of str
        The class set.
    label_map : mapping
        Original label -> class.

    Returns
    -------
    kept : list of dict
        Rows in the class set, ``emo`` set to their class.
    dropped : dict
        Original label -> number of utterances dropped.
    relabelled : dict
        ``"original -> class"`` -> number of utterances merged that way.

    Example
    -------
    >>> rows = [{"emo": "excited", "label": "exc"}, {"emo": "happy"},
    ...         {"emo": "frustrated"}]
    >>> kept, dropped, merged = map_labels(rows, ["happy"], {"exc": "happy"})
    >>> [r["emo"] for r in kept], dropped, merged
    (['happy', 'happy'], {'frustrated': 1}, {'excited -> happy': 1})
    """
    kept, dropped, relabelled = [], Counter(), Counter()
    for row in rows:
        original = str(row["emo"])
        code = str(row.get("label", original))
        label = str(label_map.get(code, label_map.get(original, original)))
        if label not in emotions:
            dropped[original] += 1
            continue
        if label != original:
            relabelled[f"{original} -> {label}"] += 1
        kept.append({**row, "emo": label})
    return kept, dict(sorted(dropped.items())), dict(sorted(relabelled.items()))


def _where(path: Path, data_folder: Path) -> str:
    """``path`` relative to the corpus folder when inside it (for summaries)."""
    try:
        return path.resolve().relative_to(data_folder.resolve()).as_posix()
    except ValueError:
        return str(path)


def _measure(
    rows: list[dict],
    data_folder: Path,
    sample_rate: int,
    cache: AudioCache | None,
    skipped: list[dict],
) -> list[dict]:
    """Measures durations, drops unusable files, points ``wav`` at the manifest path."""
    usable = []
    for row in rows:
        path = Path(resolve_data_root(str(row["wav"]), data_folder))
        try:
            info = audio_info(path)
        except AudioError as err:
            skipped.append({"file": _where(path, data_folder), "reason": err.reason})
            continue
        if cache is not None and (
            info.sample_rate != sample_rate or info.channels != 1
        ):
            wav = cache.convert(path)
        else:
            try:
                wav = relative_to_data_root(path, data_folder)
            except ValueError:  # outside the corpus folder (user CSV): absolute
                wav = str(path.absolute())
        usable.append({**row, "wav": wav, "duration": f"{info.duration:.4f}"})
    return usable


def _partitions(listing: CorpusListing, request: Request) -> Partitions | None:
    """The fixed partition: the ``partitions`` option's, else the corpus's own."""
    if request.options["partitions"] is not None:
        return read_partitions(request.options["partitions"])
    return listing.partition


def _filter(listing: CorpusListing, request: Request) -> tuple[list[dict], dict]:
    """Keeps the usable utterances of the class set; says what was left out."""
    options, data_folder = request.options, request.data_folder
    emotions = options["emotions"]
    skipped = [
        {"file": _where(Path(s["file"]), data_folder), "reason": s["reason"]}
        for s in listing.skipped
    ]
    rows = [{**r, "source": corpus_path(r["wav"], data_folder)} for r in listing.rows]
    partition = {}
    partitions = _partitions(listing, request)
    if partitions is not None:
        rows, partition = partition_rows(
            rows,
            partitions,
            options["fold"],
            data_folder,
            options["partitions_missing"],
        )
    rows, dropped, relabelled = map_labels(rows, emotions, options["label_map"])
    cache = None
    if options["audio_cache_folder"] is not None:
        cache = AudioCache(
            options["audio_cache_folder"], data_folder, options["sample_rate"]
        )
    rows = _measure(rows, data_folder, options["sample_rate"], cache, skipped)
    if cache is not None:
        logger.info(f"audio cache {cache.folder}: {cache.converted} file(s) converted")
    if not rows:
        raise ValueError(
            f"no utterance of {request.dataset} in {data_folder} is usable and has "
            f"a label in {list(emotions)} (dropped per label: {dropped}; unusable "
            f"files: {len(skipped)}); check emotions, label_map and the data folder"
        )
    missing = sorted(set(emotions) - {r["emo"] for r in rows})
    if missing:
        raise ValueError(
            f"no utterance of class(es) {missing} in {data_folder} (labels found: "
            f"{sorted({r['emo'] for r in rows})}); check emotions and label_map"
        )
    return rows, {
        "notes": list(dict.fromkeys(listing.notes)),
        "dropped_per_label": dropped,
        "relabelled": relabelled,
        "skipped_files": skipped,
        **partition,
    }


def _leakage(splits: dict[str, list[dict]], request: Request) -> dict:
    """Shared speakers and identical audio across the splits (see ``leakage``)."""
    return leakage_report(
        splits, locate=lambda row: resolve_data_root(row["source"], request.data_folder)
    )


def _split(
    rows: list[dict], listing: CorpusListing, request: Request
) -> tuple[dict[str, list[dict]], dict]:
    """Rows of each split, by speaker (one split or one fold); the protocol."""
    options = request.options
    valid_speakers, seed = options["valid_speakers"], options["seed"]
    partitions = _partitions(listing, request)
    if partitions is not None:
        splits, protocol = partition_splits(
            rows,
            partitions,
            options["partitions_valid"],
            seed,
        )
        return splits, {"protocol": protocol, "leakage": _leakage(splits, request)}
    fold, num_folds = options["fold"], options["num_folds"]
    genders = speaker_genders(rows)
    groups: dict[str, str] = {}
    for row in rows:
        if row.get("group"):
            groups.setdefault(row["spk_id"], row["group"])
    if fold is None:
        speakers = split_speakers(
            genders, valid_speakers, options["test_speakers"], seed
        )
        protocol = {
            "kind": "speaker-independent split",
            "valid_speakers": valid_speakers,
            "test_speakers": options["test_speakers"],
            "seed": seed,
        }
    else:
        fold_valid = options["fold_valid"]
        if fold_valid == "auto":
            fold_valid = "held_out" if groups else "rest"
        folds = speaker_folds(genders, num_folds, seed, groups=groups or None)
        speakers = fold_split(genders, folds, fold, fold_valid, valid_speakers, seed)
        kind = f"{num_folds}-fold by speaker"
        if groups:
            kind = f"leave-one-{listing.group_name}-out"
        elif num_folds == len(genders):
            kind = "leave-one-speaker-out"
        protocol = {
            "kind": f"{kind} cross-validation",
            "fold": fold,
            "num_folds": num_folds,
            "fold_valid": fold_valid,
            "folds": [
                {"group": groups[f[0]] if groups else f"fold_{i}", "speakers": f}
                for i, f in enumerate(folds, start=1)
            ],
            "seed": seed,
        }
    splits = rows_of_splits(rows, speakers)
    for name in SPLITS:
        if not splits[name]:
            raise ValueError(
                f"the {name} split has no utterance (speakers {speakers[name]}); "
                "check valid_speakers / test_speakers / fold_valid"
            )
    return splits, {"protocol": protocol, "leakage": _leakage(splits, request)}


def describe_dimensions(rows: Sequence[Mapping]) -> dict[str, dict]:
    """The distribution of each emotion dimension over rows that have it.

    Arguments
    ---------
    rows : sequence of mapping
        Manifest rows; a dimension is a number in ``[0, 1]``, or empty or
        absent where unknown.

    Returns
    -------
    dict
        Dimension -> ``count`` (rows that have it) and, when ``count > 0``,
        ``mean``, ``std`` (population), ``min`` and ``max`` (4 decimals).

    Example
    -------
    >>> rows = [{"arousal": "0.2", "valence": ""}, {"arousal": "0.6"}]
    >>> describe_dimensions(rows)["arousal"]
    {'count': 2, 'mean': 0.4, 'std': 0.2, 'min': 0.2, 'max': 0.6}
    >>> describe_dimensions(rows)["valence"]
    {'count': 0}
    """
    stats = {}
    matrix = dimension_matrix(rows)
    for d, dim in enumerate(DIMENSIONS):
        values = matrix[~np.isnan(matrix[:, d]), d]
        stats[dim] = {"count": len(values)}
        if len(values):
            stats[dim].update(
                {
                    name: round(float(fn(values)), 4)
                    for name, fn in (
                        ("mean", np.mean),
                        ("std", np.std),
                        ("min", np.min),
                        ("max", np.max),
                    )
                }
            )
    return stats


def _describe(rows: list[dict], request: Request) -> dict:
    """Utterances, hours, speakers, per emotion and gender, dimensions of a split."""
    per_gender_emotion: dict[str, Counter] = {}
    for row in rows:
        per_gender_emotion.setdefault(row["gender"], Counter())[row["emo"]] += 1
    return {
        "utterances": len(rows),
        "hours": round(sum(float(r["duration"]) for r in rows) / 3600, 4),
        "speakers": sorted({r["spk_id"] for r in rows}),
        "per_emotion": dict(sorted(Counter(r["emo"] for r in rows).items())),
        "per_gender": dict(sorted(Counter(r["gender"] for r in rows).items())),
        "per_gender_emotion": {
            g: dict(sorted(c.items())) for g, c in sorted(per_gender_emotion.items())
        },
        "dimensions": describe_dimensions(rows),
    }


def _log(summary: dict) -> None:
    emotions = summary["options"]["emotions"]
    for note in summary["notes"]:
        logger.warning(note)
    skipped = summary["skipped_files"]
    if skipped:
        shown = "; ".join(f"{s['file']}: {s['reason']}" for s in skipped[:5])
        more = f" (and {len(skipped) - 5} more)" if len(skipped) > 5 else ""
        logger.warning(
            f"{len(skipped)} file(s) left out, all listed in {SUMMARY}: {shown}{more}"
        )
    if summary["relabelled"]:
        logger.info(f"merged labels: {summary['relabelled']}")
    if summary["dropped_per_label"]:
        logger.info(
            f"dropped (label outside {list(emotions)}): {summary['dropped_per_label']}"
        )
    logger.info(f"protocol: {summary['protocol']['kind']}")
    partition = summary.get("partition")
    if partition:
        logger.info(
            f"partition {partition['source']}, fold {partition['fold']}: "
            f"matched by {partition['matched_by']}, {partition['missing']} missing"
        )
    for warning in summary["leakage"]["warnings"]:
        logger.warning(f"leakage: {warning}")
    for name in SPLITS:
        info = summary["splits"][name]
        logger.info(
            f"{name}: {info['utterances']} utterances, {len(info['speakers'])} "
            f"speakers {info['per_gender']}, {info['per_emotion']}"
        )
        absent = [e for e in emotions if e not in info["per_emotion"]]
        if absent:
            logger.warning(f"{name} split has no utterance of {absent}")
        for dim, stats in info.get("dimensions", {}).items():
            if stats["count"]:
                logger.info(
                    f"{name} {dim}: {stats['count']} utterances, mean "
                    f"{stats['mean']:.3f}, std {stats['std']:.3f}, range "
                    f"[{stats['min']:.3f}, {stats['max']:.3f}]"
                )


def _write_partitions(path: Path, splits: dict[str, list[dict]], request: Request):
    """``partitions.json``: the exact utterance lists of the splits."""
    return write_partitions(path, splits, request.dataset, request.options["fold"])


#: The emotion recognition task, run by :func:`prepare_emotion_data`.
EMOTION = TaskSpec(
    task="emotion recognition",
    readers=READERS,
    schema=EMOTION_MANIFEST,
    filter=_filter,
    split=_split,
    describe=_describe,
    log=_log,
    extra_files={PARTITIONS_FILE: _write_partitions},
)


@dataclasses.dataclass(frozen=True, kw_only=True)
class EmotionPrepOptions(PreparationOptions):
    """The options of :func:`prepare_emotion_data`, with their defaults.

    The recipes build it from the ``prepare:`` block of their YAML (the
    shared ``hparams/common/emotion_prepare.yaml``, with the keys the
    including YAML sets); the preparation's stamp records it, so changing an
    option prepares again and the same options skip.

    Arguments
    ---------
    dataset : str
        Corpus kind (see :data:`READERS`).
    emotions : sequence of str
        The class set, in class-index order.
    label_map : mapping
        Corpus label -> class (e.g. ``{"excited": "happy"}`` or, with the
        corpus's own code, ``{"exc": "happy"}``); labels outside ``emotions``
        after mapping are dropped and counted.
    valid_speakers : int or float
        Validation speakers (count or fraction): of all speakers for the
        single split, of the non-test speakers for ``fold_valid: rest``.
    test_speakers : int or float
        Test speakers (count or fraction) of the single split.
    seed : int
        Seed of the speaker split and of the folds.
    corpora : mapping
        ``dataset`` -> the options of that corpus's reader (``corpora`` in
        ``hparams/common/emotion_prepare.yaml``); only ``dataset``'s are used
        and stamped.
    fold : int, optional
        None: one split. ``k`` (1..``num_folds``): fold ``k`` of a
        cross-validation by speaker groups (IEMOCAP: sessions).
    num_folds : int
        Number of folds (IEMOCAP: its 5 sessions).
    fold_valid : str
        ``held_out`` (the held-out fold's speakers split into valid and
        test), ``rest`` (the fold is test; ``valid_speakers`` others
        validate), or ``auto`` (``held_out`` where the corpus defines fold
        groups, as IEMOCAP does, ``rest`` otherwise).
    audio_cache_folder : str, optional
        Convert audio that is not ``sample_rate`` mono once, into this folder
        (manifests then use ``$audio_cache``). None: converted when loaded.
    sample_rate : int
        The recipe's sample rate.
    partitions : str, optional
        EmoBox's ``data/<dataset>`` folder or a ``partitions.json``: the
        splits are then the partition's (``fold`` picks one of its folds;
        ``valid_speakers``, ``test_speakers``, ``num_folds`` and
        ``fold_valid`` are not used). See
        :mod:`speechbrain_lstm_ser.dataio.partitions`.
    partitions_valid : float
        Share of a fold's training speakers drawn to validate when the
        partition gives no validation list.
    partitions_missing : str
        ``error`` (partition entries not found in the data folder stop the
        preparation) or ``drop`` (they are left out and counted).

    Example
    -------
    >>> options = EmotionPrepOptions(dataset="embedded", emotions=["sad", "angry"])
    >>> options.valid_speakers, options.corpus
    (4, {})
    >>> EmotionPrepOptions(dataset="embedded", emotions=["sad"], fold_valid="x")
    Traceback (most recent call last):
    ...
    ValueError: fold_valid must be auto, held_out or rest, got 'x'
    """

    dataset: str
    emotions: Sequence[str]
    label_map: Mapping[str, str] = dataclasses.field(default_factory=dict)
    valid_speakers: int | float = 4
    test_speakers: int | float = 4
    seed: int = 1234
    corpora: Mapping[str, Mapping] = dataclasses.field(default_factory=dict)
    fold: int | None = None
    num_folds: int = 5
    fold_valid: str = "auto"
    audio_cache_folder: str | None = None
    sample_rate: int = 16000
    partitions: str | None = None
    partitions_valid: float = 0.2
    partitions_missing: str = "error"

    def __post_init__(self):
        if self.fold_valid not in ("auto", *FOLD_VALID):
            raise ValueError(
                f"fold_valid must be auto, held_out or rest, got {self.fold_valid!r}"
            )
        emotions = list(self.emotions or [])
        if len(set(emotions)) != len(emotions) or not emotions:
            raise ValueError(
                f"emotions must be a non-empty list without repeats, got {emotions}"
            )
        if self.partitions is not None:
            if self.partitions_missing not in MISSING:
                raise ValueError(
                    f"partitions_missing must be one of {MISSING}, got "
                    f"{self.partitions_missing!r}"
                )
            if not 0 < self.partitions_valid < 1:
                raise ValueError(
                    "partitions_valid must be a fraction in (0, 1), got "
                    f"{self.partitions_valid}"
                )


def prepare_emotion_data(
    data_folder: str | Path,
    manifest_folder: str | Path,
    options: EmotionPrepOptions | Mapping,
) -> dict:
    """Prepares speaker-independent train / valid / test manifests.

    Idempotent, and never writes into the corpus nor over files it did not
    write (see :mod:`speechbrain_lstm_ser.dataio.prepare`). Audio files that
    cannot be used (missing, empty, zero-length, not audio) are left out and
    listed in the summary and the log.

    Arguments
    ---------
    data_folder : str or Path
        The corpus folder (read only, except that a generated corpus is
        generated there).
    manifest_folder : str or Path
        Where the manifests and the summary go.
    options : EmotionPrepOptions or mapping
        What to prepare (the corpus kind, classes, split), or its fields as
        a mapping (the YAML's ``prepare:`` block); recorded in the stamp,
        with the checksum of a ``partitions`` file.

    Returns
    -------
    dict
        The summary also written to ``prep_summary.json``, with the
        ``leakage`` between its splits (shared speakers, identical audio).
    """
    if not isinstance(options, EmotionPrepOptions):
        options = EmotionPrepOptions(**options)
    record = options.as_dict()
    record["emotions"] = list(options.emotions)
    label_map = options.label_map or {}
    record["label_map"] = {str(k): str(v) for k, v in label_map.items()}
    record["corpus_options"] = options.corpus  # the chosen corpus's only
    del record["corpora"]
    if options.audio_cache_folder is not None:
        record["audio_cache_folder"] = str(Path(options.audio_cache_folder).resolve())
    if options.partitions is not None:
        read = read_partitions(options.partitions)
        read.choose(options.fold)  # an unknown or missing fold is refused now
        record["partitions"] = read.source
        record["partitions_sha256"] = read.sha256
    # The manifests' columns: manifests written before a column existed are
    # prepared again rather than trusted.
    record["manifest_columns"] = list(EMOTION_MANIFEST.columns)
    del record["dataset"]  # recorded first, by `prepare`
    return prepare(EMOTION, options.dataset, data_folder, manifest_folder, record)
