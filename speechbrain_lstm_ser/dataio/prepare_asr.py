"""Speech recognition data preparation: corpus -> split -> manifests.

One entry point, :func:`prepare_asr_data`, serves every corpus: the corpus
module lists the utterances as rows of the ASR manifest schema
(``ID, duration, wav, spk_id, gender, wrd``), then the same code splits them
(by speaker, balanced by gender, or by the corpus's own subsets such as
LibriSpeech's ``train-clean-100`` / ``dev-clean`` / ``test-clean``), drops
training utterances longer than ``max_duration`` (counting them) and writes
``train.csv``, ``valid.csv``, ``test.csv`` and ``prep_summary.json`` into the
experiment's manifest folder. Nothing is ever written into a user's corpus.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path

from speechbrain_lstm_ser.dataio.corpora.librispeech import read_librispeech
from speechbrain_lstm_ser.dataio.manifest import read_manifest, write_manifest
from speechbrain_lstm_ser.dataio.splits import split_speakers
from speechbrain_lstm_ser.dataio.stamps import (
    DONE,
    STARTED,
    outputs_up_to_date,
    read_stamp,
    write_stamp,
)

logger = logging.getLogger(__name__)

__all__ = [
    "ASR_COLUMNS",
    "ASR_DATASETS",
    "SPLITS",
    "load_asr_corpus",
    "prepare_asr_data",
]

#: Columns of an ASR manifest, in order (``wrd``: the transcript).
ASR_COLUMNS = ("ID", "duration", "wav", "spk_id", "gender", "wrd")

SPLITS = ("train", "valid", "test")
SUMMARY = "prep_summary.json"

#: The corpus kinds ``dataset`` may name.
ASR_DATASETS = ("embedded", "librispeech", "csv")


def _load_csv(csv_file: str | Path | None) -> list[dict]:
    """Rows of a generic CSV (``ID, duration, wav, spk_id, wrd[, gender]``)."""
    if not csv_file:
        raise ValueError(
            "dataset 'csv' needs csv_file: a CSV with the columns "
            "ID, duration, wav, spk_id, wrd (gender optional), e.g. "
            "--csv_file /data/mine/corpus.csv"
        )
    rows = read_manifest(csv_file, required=("ID", "duration", "wav", "spk_id", "wrd"))
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


def load_asr_corpus(
    dataset: str,
    data_folder: str | Path,
    corpus_options: Mapping | None = None,
    csv_file: str | Path | None = None,
    subsets: Sequence[str] | None = None,
) -> list[dict]:
    """Reads (or, for the embedded corpus, creates) a corpus as manifest rows.

    Arguments
    ---------
    dataset : str
        One of :data:`ASR_DATASETS`.
    data_folder : str or Path
        The corpus folder (``$data_root`` of the manifests).
    corpus_options : mapping, optional
        Options of the embedded corpus generator.
    csv_file : str or Path, optional
        The CSV of ``dataset: csv``; its ``$data_root`` is ``data_folder``.
    subsets : sequence of str, optional
        For LibriSpeech layouts: read only these subset folders.

    Returns
    -------
    list of dict
        Rows with ``ASR_COLUMNS`` (and ``subset`` for LibriSpeech layouts).
    """
    if dataset == "embedded":
        from speechbrain_lstm_ser.dataio.synthetic.asr import (
            EmbeddedASROptions,
            generate_embedded_asr_corpus,
        )

        options = EmbeddedASROptions(**dict(corpus_options or {}))
        generate_embedded_asr_corpus(data_folder, options)
        return read_librispeech(data_folder, subsets)
    if dataset == "librispeech":
        return read_librispeech(data_folder, subsets)
    if dataset == "csv":
        return _load_csv(csv_file)
    raise ValueError(
        f"dataset {dataset!r} is not supported for ASR; choose one of "
        f"{list(ASR_DATASETS)}"
    )


def _assign(
    rows: list[dict],
    split: str,
    subsets: Mapping[str, Sequence[str]],
    valid_speakers: int | float,
    test_speakers: int | float,
    seed: int,
) -> dict[str, list[dict]]:
    """Distributes rows over train / valid / test."""
    if split == "speakers":
        genders = {}
        for row in rows:
            genders.setdefault(row["spk_id"], row["gender"])
        by_speaker = split_speakers(genders, valid_speakers, test_speakers, seed)
        where = {spk: name for name, spks in by_speaker.items() for spk in spks}
        return {n: [r for r in rows if where[r["spk_id"]] == n] for n in SPLITS}
    if split == "subsets":
        present = sorted({r.get("subset", "") for r in rows})
        result = {}
        for name in SPLITS:
            wanted = list(subsets.get(name, []))
            missing = [s for s in wanted if s not in present]
            if not wanted or missing:
                raise ValueError(
                    f"split: subsets needs {name}_subsets naming subset folders; "
                    f"got {wanted}, available {present}"
                )
            result[name] = [r for r in rows if r.get("subset") in wanted]
        return result
    raise ValueError(f"split must be 'speakers' or 'subsets', got {split!r}")


def _describe(rows: list[dict]) -> dict:
    words = Counter(w for r in rows for w in r["wrd"].split())
    return {
        "utterances": len(rows),
        "hours": round(sum(float(r["duration"]) for r in rows) / 3600, 4),
        "speakers": len({r["spk_id"] for r in rows}),
        "per_gender": dict(sorted(Counter(r["gender"] for r in rows).items())),
        "words": sum(words.values()),
        "vocabulary": len(words),
    }


def prepare_asr_data(
    dataset: str,
    data_folder: str | Path,
    manifest_folder: str | Path,
    split: str = "speakers",
    valid_speakers: int | float = 4,
    test_speakers: int | float = 4,
    seed: int = 1234,
    subsets: Mapping[str, Sequence[str]] | None = None,
    max_duration: float | None = None,
    corpus_options: Mapping | None = None,
    csv_file: str | Path | None = None,
) -> dict:
    """Prepares train / valid / test manifests for speech recognition.

    Idempotent: when ``prep_summary.json`` in ``manifest_folder`` records the
    same options, nothing is done. CSV files already in ``manifest_folder``
    that this function did not write are never touched.

    Arguments
    ---------
    dataset : str
        ``embedded`` (generated on first use), ``librispeech`` (LibriSpeech
        or mini-LibriSpeech layout) or ``csv``.
    data_folder : str or Path
        The corpus folder.
    manifest_folder : str or Path
        Where the manifests and the summary go.
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
    subsets : mapping, optional
        ``{"train": [...], "valid": [...], "test": [...]}`` subset folders,
        for ``split: subsets``.
    max_duration : float, optional
        Training utterances longer than this (seconds) are dropped and
        counted; validation and test keep everything.
    corpus_options : mapping, optional
        Options of the embedded corpus generator.
    csv_file : str or Path, optional
        The CSV of ``dataset: csv``.

    Returns
    -------
    dict
        The summary also written to ``prep_summary.json``.
    """
    manifest_folder = Path(manifest_folder)
    options = {
        "dataset": dataset,
        "data_folder": str(Path(data_folder).resolve()),
        "split": split,
        "valid_speakers": valid_speakers,
        "test_speakers": test_speakers,
        "seed": seed,
        "subsets": {k: list(v) for k, v in (subsets or {}).items()},
        "max_duration": max_duration,
        "corpus_options": dict(corpus_options or {}),
        "csv_file": str(Path(csv_file).resolve()) if csv_file else None,
    }
    stamp_path = manifest_folder / SUMMARY
    outputs = [manifest_folder / f"{name}.csv" for name in SPLITS]
    if outputs_up_to_date(stamp_path, options, outputs):
        logger.info(
            f"Manifests in {manifest_folder} are up to date; skipping preparation."
        )
        return read_stamp(stamp_path)
    write_stamp(stamp_path, options, STARTED)
    wanted = None
    if split == "subsets":  # read only those (LibriSpeech has 7 subsets)
        wanted = sorted({s for names in (subsets or {}).values() for s in names})
    rows = load_asr_corpus(dataset, data_folder, corpus_options, csv_file, wanted)
    assigned = _assign(rows, split, subsets or {}, valid_speakers, test_speakers, seed)
    too_long = 0
    if max_duration:
        kept = [r for r in assigned["train"] if float(r["duration"]) <= max_duration]
        too_long = len(assigned["train"]) - len(kept)
        assigned["train"] = kept
    summary = {"dropped_too_long": too_long, "splits": {}}
    for name, path in zip(SPLITS, outputs, strict=True):
        if not assigned[name]:
            raise ValueError(f"the {name} split of {data_folder} is empty")
        write_manifest(path, assigned[name], ASR_COLUMNS)
        summary["splits"][name] = _describe(assigned[name])
    write_stamp(stamp_path, options, DONE, **summary)
    for name in SPLITS:
        info = summary["splits"][name]
        logger.info(
            f"{name}: {info['utterances']} utterances, {info['speakers']} "
            f"speakers, {info['hours']} h, {info['per_gender']}"
        )
    if too_long:
        logger.info(f"dropped {too_long} training utterances over {max_duration} s")
    return read_stamp(stamp_path)
