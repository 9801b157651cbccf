"""Emotion data preparation: corpus -> label set -> speaker split -> manifests.

One entry point, :func:`prepare_emotion_data`, serves every corpus: the
corpus module turns its folder into rows of the common manifest schema, then
the same code maps labels, drops what is outside the label set (counting it),
splits by speaker and writes ``train.csv``, ``valid.csv``, ``test.csv`` and
``prep_summary.json`` into the experiment's manifest folder. Nothing is ever
written into a user's corpus folder.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from speechbrain_lstm_ser.dataio.manifest import (
    EMOTION_COLUMNS,
    read_manifest,
    write_manifest,
)
from speechbrain_lstm_ser.dataio.splits import split_speakers
from speechbrain_lstm_ser.dataio.stamps import (
    DONE,
    STARTED,
    outputs_up_to_date,
    read_stamp,
    write_stamp,
)

logger = logging.getLogger(__name__)

__all__ = ["CORPORA", "SPLITS", "load_corpus", "prepare_emotion_data"]

SPLITS = ("train", "valid", "test")
SUMMARY = "prep_summary.json"


def _load_embedded(data_folder: Path, options: Mapping) -> list[dict]:
    from speechbrain_lstm_ser.dataio.corpora.embedded import (
        EmbeddedCorpusOptions,
        generate_embedded_corpus,
    )

    corpus_csv = generate_embedded_corpus(data_folder, EmbeddedCorpusOptions(**options))
    return read_manifest(corpus_csv, required=EMOTION_COLUMNS)


#: ``dataset`` name -> function(data_folder, corpus_options) -> manifest rows.
CORPORA: dict[str, Callable[[Path, Mapping], list[dict]]] = {
    "embedded": _load_embedded,
}


def load_corpus(
    dataset: str, data_folder: str | Path, options: Mapping | None = None
) -> list[dict]:
    """Reads (or, for generated corpora, creates) a corpus as manifest rows.

    Arguments
    ---------
    dataset : str
        One of ``CORPORA``.
    data_folder : str or Path
        The corpus folder.
    options : mapping, optional
        Corpus-specific options (e.g. the embedded corpus's size).

    Returns
    -------
    list of dict
        Rows with ``EMOTION_COLUMNS``; ``wav`` relative to ``$data_root``.
    """
    if dataset not in CORPORA:
        raise ValueError(
            f"dataset {dataset!r} is not supported; choose one of {sorted(CORPORA)}"
        )
    return CORPORA[dataset](Path(data_folder), dict(options or {}))


def _map_labels(
    rows: list[dict], emotions: Sequence[str], label_map: Mapping[str, str]
) -> tuple[list[dict], dict[str, int]]:
    kept, dropped = [], Counter()
    for row in rows:
        label = label_map.get(row["emo"], row["emo"])
        if label in emotions:
            kept.append({**row, "emo": label})
        else:
            dropped[row["emo"]] += 1
    return kept, dict(sorted(dropped.items()))


def _describe(rows: list[dict]) -> dict:
    return {
        "utterances": len(rows),
        "hours": round(sum(float(r["duration"]) for r in rows) / 3600, 4),
        "speakers": sorted({r["spk_id"] for r in rows}),
        "per_emotion": dict(sorted(Counter(r["emo"] for r in rows).items())),
        "per_gender": dict(sorted(Counter(r["gender"] for r in rows).items())),
    }


def prepare_emotion_data(
    dataset: str,
    data_folder: str | Path,
    manifest_folder: str | Path,
    emotions: Sequence[str],
    label_map: Mapping[str, str] | None = None,
    valid_speakers: int | float = 4,
    test_speakers: int | float = 4,
    seed: int = 1234,
    corpus_options: Mapping | None = None,
) -> dict:
    """Prepares speaker-independent train / valid / test manifests.

    Idempotent: when ``prep_summary.json`` in ``manifest_folder`` records the
    same options, nothing is done. With other options the manifests are
    rewritten (they belong to the experiment). CSV files already in
    ``manifest_folder`` that this function did not write are never touched.

    Arguments
    ---------
    dataset : str
        Corpus kind (see ``CORPORA``).
    data_folder : str or Path
        The corpus folder (read only, except that a generated corpus is
        generated there).
    manifest_folder : str or Path
        Where the manifests and the summary go.
    emotions : sequence of str
        The class set, in class-index order.
    label_map : mapping, optional
        Corpus label -> class (e.g. ``{"exc": "happy"}``); unmapped labels
        are kept as they are; labels outside ``emotions`` are dropped and
        counted.
    valid_speakers : int or float
        Held-out validation speakers (count or fraction).
    test_speakers : int or float
        Held-out test speakers (count or fraction).
    seed : int
        Seed of the speaker split.
    corpus_options : mapping, optional
        Options for the corpus module.

    Returns
    -------
    dict
        The summary also written to ``prep_summary.json``.
    """
    manifest_folder = Path(manifest_folder)
    label_map = dict(label_map or {})
    options = {
        "dataset": dataset,
        "data_folder": str(Path(data_folder).resolve()),
        "emotions": list(emotions),
        "label_map": label_map,
        "valid_speakers": valid_speakers,
        "test_speakers": test_speakers,
        "seed": seed,
        "corpus_options": dict(corpus_options or {}),
    }
    stamp_path = manifest_folder / SUMMARY
    outputs = [manifest_folder / f"{split}.csv" for split in SPLITS]
    if outputs_up_to_date(stamp_path, options, outputs):
        logger.info(
            f"Manifests in {manifest_folder} are up to date; skipping preparation."
        )
        return read_stamp(stamp_path)
    if len(set(emotions)) != len(emotions) or not emotions:
        raise ValueError(
            f"emotions must be a non-empty list without repeats, got {emotions}"
        )

    write_stamp(stamp_path, options, STARTED)
    rows = load_corpus(dataset, data_folder, corpus_options)
    rows, dropped = _map_labels(rows, emotions, label_map)
    if not rows:
        raise ValueError(
            f"no utterance of {dataset} in {data_folder} has a label in "
            f"{list(emotions)} "
            f"(dropped per label: {dropped}); check emotions and label_map"
        )
    missing = sorted(set(emotions) - {r["emo"] for r in rows})
    if missing:
        raise ValueError(f"no utterance of class(es) {missing} in {data_folder}")
    genders = {}
    for row in rows:
        genders.setdefault(row["spk_id"], row["gender"])
    split = split_speakers(genders, valid_speakers, test_speakers, seed)
    where = {spk: name for name, spks in split.items() for spk in spks}
    summary = {"dropped_per_label": dropped, "splits": {}}
    for name, path in zip(SPLITS, outputs, strict=True):
        split_rows = [r for r in rows if where[r["spk_id"]] == name]
        write_manifest(path, split_rows, EMOTION_COLUMNS)
        summary["splits"][name] = _describe(split_rows)
    write_stamp(stamp_path, options, DONE, **summary)
    for name in SPLITS:
        info = summary["splits"][name]
        logger.info(
            f"{name}: {info['utterances']} utterances, "
            f"{len(info['speakers'])} speakers, "
            f"{info['per_emotion']}"
        )
    if dropped:
        logger.info(f"dropped (label outside {list(emotions)}): {dropped}")
    return read_stamp(stamp_path)
