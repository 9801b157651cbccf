"""Fixed partitions of a corpus: EmoBox's folds, and the ones every run writes.

A *partition* lists, fold by fold, which utterances train, validate and
test. With ``partitions:`` set, the emotion preparation takes the splits
from it instead of drawing speakers (:mod:`speechbrain_lstm_ser.dataio.splits`),
so that a number can be compared with a paper, or a second lab can rerun
exactly the same folds. Two formats are read by :func:`read_partitions`:

- **EmoBox** (github.com/emo-box/EmoBox, its ``data/<dataset>/`` folder):
  ``fold_<k>/<dataset>_train_fold_<k>.jsonl`` and
  ``fold_<k>/<dataset>_test_fold_<k>.jsonl`` (one JSON object per line with
  ``key``, ``wav``, ``emo``, ``length``, ...), an optional
  ``<dataset>_valid_fold_<k>.jsonl``, and ``label_map.json``. Their files
  are read; their code is not used.
- **partitions.json**: what every preparation writes next to its manifests
  (:func:`write_partitions`; ``cross_validate.py`` merges the folds of a
  cross-validation into one, :func:`merge_partitions`): per fold, the
  ``ID``, ``wav`` (relative to the corpus folder) and ``emo`` of every
  utterance of each split, in manifest order. Given back, it reproduces
  the manifests byte for byte.

**Mapping onto your copy of the corpus** (:func:`partition_rows`). The
corpus is listed by its usual reader (``dataset:``, ``data_folder:``); each
entry of the partition is matched to a listed file by, in order:

1. its ``wav`` path: the listed file whose path relative to the corpus
   folder is the longest trailing part of it (EmoBox's
   ``downloads/iemocap/Session1/sentences/wav/.../x.wav`` matches
   ``Session1/sentences/wav/.../x.wav`` of ``IEMOCAP_full_release``);
2. its file name, then its file name without extension (a FLAC copy of a
   WAV corpus), the longest common trailing path breaking ties;
3. its ``key``, with or without EmoBox's ``<dataset>-`` prefix, as an
   utterance ID or a file stem.

Entries that match nothing are reported in one error (the first few and
the count); with ``partitions_missing: drop`` they are left out instead and
counted in ``prep_summary.json``. Labels are those of your copy, through
``emotions`` and ``label_map`` as always; the partition's own labels
(EmoBox's ``emo`` through its ``label_map.json``) are counted in the summary
for comparison.

**Validation** (:func:`draw_validation`). EmoBox gives no validation split
(it draws 20 % of train at random). When a partition has none, a seeded
(``split_seed``) draw holds out ``partitions_valid`` (0.2) of the fold's
*training speakers*, whole speakers, gender-balanced, so that validation
speakers never train; with a single training speaker, that share of its
utterances is drawn instead. The summary says which draw was made.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import random
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from speechbrain_lstm_ser.dataio.manifest import (
    relative_to_data_root,
    resolve_data_root,
)
from speechbrain_lstm_ser.dataio.splits import (
    SPLITS,
    balanced_order,
    resolve_count,
    speaker_genders,
)

__all__ = [
    "CORPUS_PARTITION",
    "FORMAT",
    "MISSING",
    "PARTITIONS_FILE",
    "Partitions",
    "corpus_path",
    "draw_validation",
    "merge_partitions",
    "partition_rows",
    "partition_splits",
    "read_partitions",
    "write_partitions",
]

#: The file every preparation writes next to its manifests.
PARTITIONS_FILE = "partitions.json"
#: The ``kind`` of a partition a corpus defines itself (MSP-Podcast's
#: ``Split_Set``), which its reader gives when no ``partitions`` is set.
CORPUS_PARTITION = "corpus"
#: The ``format`` field of a partitions.json.
FORMAT = "speechbrain-lstm-ser partitions"
VERSION = 1
#: What to do with partition entries missing from the local corpus.
MISSING = ("error", "drop")
#: How many missing entries an error message names.
SHOWN = 5

_FOLD_DIR = re.compile(r"fold_?(\d+)")


@dataclasses.dataclass(frozen=True)
class Partitions:
    """The folds of a partition file or folder.

    Arguments
    ---------
    source : str
        The file or folder read.
    kind : str
        ``emobox``, ``partitions.json`` or ``corpus`` (:data:`CORPUS_PARTITION`:
        the corpus's own, from its reader).
    dataset : str
        The dataset the partition names (EmoBox: its folder name).
    folds : dict
        Fold number -> split (``train``, ``valid``, ``test``) -> entries
        (``key``, ``wav``, ``emo``), or None for a split the partition does
        not give (EmoBox's validation).
    label_map : dict
        EmoBox's ``label_map.json`` (its labels -> its classes); empty for a
        partitions.json.
    sha256 : str
        Digest of every file read (the preparation's stamp records it, so an
        edited partition redoes the preparation).
    """

    source: str
    kind: str
    dataset: str
    folds: dict[int, dict[str, list[dict] | None]]
    label_map: dict[str, str]
    sha256: str

    def choose(self, fold: int | None) -> int:
        """The fold to prepare: ``fold``, or the only one.

        Arguments
        ---------
        fold : int, optional
            The ``fold:`` setting.

        Returns
        -------
        int
        """
        numbers = sorted(self.folds)
        if fold is None:
            if len(numbers) == 1:
                return numbers[0]
            raise ValueError(
                f"the partitions {self.source} have {len(numbers)} folds {numbers}: "
                "choose one with --fold k, or run every fold with "
                "recipes/emotion/cross_validate.py"
            )
        if fold not in self.folds:
            raise ValueError(
                f"fold={fold}: the partitions {self.source} have the folds {numbers}"
            )
        return fold


def _read_jsonl(path: Path) -> list[dict]:
    """EmoBox entries of one JSONL file (``key``, ``wav``, ``emo``)."""
    entries = []
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
            except json.JSONDecodeError as err:
                raise ValueError(f"{path}, line {number}: not JSON ({err})") from None
            if not isinstance(item, dict) or not (item.get("wav") or item.get("key")):
                raise ValueError(f"{path}, line {number}: no `wav` or `key` field")
            entries.append(
                {
                    "key": str(item.get("key", "")),
                    "wav": str(item.get("wav", "")),
                    "emo": str(item.get("emo", "")),
                }
            )
    return entries


def _emobox_file(folder: Path, dataset: str, split: str, fold: int) -> Path | None:
    """``<dataset>_<split>_fold_<k>.jsonl`` of a fold folder (any dataset prefix)."""
    exact = folder / f"{dataset}_{split}_fold_{fold}.jsonl"
    if exact.is_file():
        return exact
    found = sorted(folder.glob(f"*_{split}_fold_{fold}.jsonl"))
    if len(found) > 1:
        raise ValueError(
            f"{folder} holds several {split} lists for fold {fold}: "
            f"{[p.name for p in found]}"
        )
    return found[0] if found else None


def _digest(paths: Iterable[Path], root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(paths):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _read_emobox(folder: Path) -> Partitions:
    dataset = folder.name
    folds: dict[int, dict[str, list[dict] | None]] = {}
    read: list[Path] = []
    for sub in sorted(p for p in folder.iterdir() if p.is_dir()):
        match = _FOLD_DIR.fullmatch(sub.name)
        if not match:
            continue
        number = int(match.group(1))
        files = {s: _emobox_file(sub, dataset, s, number) for s in SPLITS}
        absent = [s for s in ("train", "test") if files[s] is None]
        if absent:
            raise ValueError(
                f"{sub} has no {' or '.join(absent)} list: expected "
                f"{dataset}_train_fold_{number}.jsonl and "
                f"{dataset}_test_fold_{number}.jsonl (EmoBox's layout)"
            )
        folds[number] = {
            s: None if path is None else _read_jsonl(path) for s, path in files.items()
        }
        read += [p for p in files.values() if p is not None]
    if not folds:
        raise ValueError(
            f"{folder} holds no fold_<k>/ folder: give EmoBox's data/<dataset> "
            "folder (fold_1/<dataset>_train_fold_1.jsonl, ...) or a partitions.json"
        )
    label_map = {}
    if (folder / "label_map.json").is_file():
        read.append(folder / "label_map.json")
        with open(folder / "label_map.json", encoding="utf-8") as handle:
            label_map = {str(k): str(v) for k, v in json.load(handle).items()}
    return Partitions(
        source=str(folder),
        kind="emobox",
        dataset=dataset,
        folds=folds,
        label_map=label_map,
        sha256=_digest(read, folder),
    )


def _read_document(path: Path) -> Partitions:
    try:
        with open(path, encoding="utf-8") as handle:
            document = json.load(handle)
    except json.JSONDecodeError as err:
        raise ValueError(f"{path} is not JSON: {err}") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ValueError(
            f"{path} is not a partitions.json (no `format: {FORMAT}`); give one "
            "that a run wrote, or EmoBox's data/<dataset> folder"
        )
    folds: dict[int, dict[str, list[dict] | None]] = {}
    for fold in document.get("folds", []):
        number = int(fold["fold"])
        if number in folds:
            raise ValueError(f"{path}: fold {number} is listed twice")
        folds[number] = {
            split: (
                [
                    {
                        "key": str(e["ID"]),
                        "wav": str(e["wav"]),
                        "emo": str(e.get("emo", "")),
                    }
                    for e in fold[split]
                ]
                if fold.get(split)
                else None
            )
            for split in SPLITS
        }
        if not folds[number]["train"] or not folds[number]["test"]:
            raise ValueError(f"{path}: fold {number} has no train or no test list")
    if not folds:
        raise ValueError(f"{path} lists no fold")
    return Partitions(
        source=str(path),
        kind=PARTITIONS_FILE,
        dataset=str(document.get("dataset", "")),
        folds=folds,
        label_map={},
        sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
    )


def read_partitions(path: str | os.PathLike) -> Partitions:
    r"""Reads EmoBox's folder of a dataset, or a partitions.json.

    Arguments
    ---------
    path : str or os.PathLike
        EmoBox's ``data/<dataset>`` folder, a ``partitions.json``, or a
        folder holding one (a run's ``manifests/``).

    Returns
    -------
    Partitions

    Example
    -------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp()) / "ravdess"
    >>> (folder / "fold_1").mkdir(parents=True)
    >>> for split, actor in (("train", "01"), ("test", "02")):
    ...     line = {"key": f"ravdess-a{actor}", "wav": f"Actor_{actor}/a{actor}.wav",
    ...             "emo": "Calm"}
    ...     path = folder / "fold_1" / f"ravdess_{split}_fold_1.jsonl"
    ...     _ = path.write_text(json.dumps(line) + "\n")
    >>> partitions = read_partitions(folder)
    >>> partitions.kind, sorted(partitions.folds), partitions.folds[1]["valid"]
    ('emobox', [1], None)
    >>> partitions.folds[1]["test"]
    [{'key': 'ravdess-a02', 'wav': 'Actor_02/a02.wav', 'emo': 'Calm'}]
    """
    path = Path(path).absolute()
    if path.is_dir() and (path / PARTITIONS_FILE).is_file():
        return _read_document(path / PARTITIONS_FILE)
    if path.is_dir():
        return _read_emobox(path)
    if path.is_file():
        return _read_document(path)
    raise FileNotFoundError(
        f"partitions {path} not found: give EmoBox's data/<dataset> folder or a "
        "partitions.json"
    )


def corpus_path(wav: str | os.PathLike, data_folder: str | os.PathLike) -> str:
    """A listed file's path relative to the corpus folder (absolute if outside).

    Arguments
    ---------
    wav : str or os.PathLike
        An absolute path or a ``$data_root/...`` manifest path.
    data_folder : str or os.PathLike
        The corpus folder.

    Returns
    -------
    str
        ``/``-separated.

    Example
    -------
    >>> corpus_path("/corpus/Session1/a.wav", "/corpus")
    'Session1/a.wav'
    >>> corpus_path("$data_root/wavs/b.wav", "/corpus")
    'wavs/b.wav'
    """
    path = resolve_data_root(str(wav), data_folder)
    try:
        return relative_to_data_root(path, data_folder).split("/", 1)[1]
    except ValueError:
        return Path(path).absolute().as_posix()


def _parts(path: str) -> tuple[str, ...]:
    return tuple(p for p in path.replace("\\", "/").split("/") if p not in ("", "."))


def _common_tail(a: Sequence[str], b: Sequence[str]) -> int:
    count = 0
    while count < min(len(a), len(b)) and a[-1 - count] == b[-1 - count]:
        count += 1
    return count


class _LocalIndex:
    """The listed files of a local corpus, found as :func:`partition_rows` says."""

    def __init__(self, rows: Sequence[dict]):
        self.by_path: dict[tuple[str, ...], dict] = {}
        self.by_name: dict[str, list[dict]] = {}
        self.by_stem: dict[str, list[dict]] = {}
        self.by_id: dict[str, list[dict]] = {}
        for row in rows:
            parts = _parts(row["source"])
            self.by_path[parts] = row
            self.by_name.setdefault(parts[-1], []).append(row)
            self.by_stem.setdefault(os.path.splitext(parts[-1])[0], []).append(row)
            self.by_id.setdefault(str(row["ID"]), []).append(row)

    @staticmethod
    def _closest(candidates: list[dict], parts: tuple[str, ...]) -> dict | str | None:
        """The candidate sharing the longest trailing path, or "ambiguous"."""
        if len(candidates) == 1:
            return candidates[0]
        if not candidates:
            return None
        scores = [_common_tail(_parts(r["source"]), parts) for r in candidates]
        best = max(scores)
        winners = [r for r, s in zip(candidates, scores, strict=True) if s == best]
        return winners[0] if len(winners) == 1 else "ambiguous"

    def find(self, entry: Mapping[str, str], dataset: str) -> tuple[Any, str]:
        """``(row, how)``; the row is None (missing) or "ambiguous"."""
        parts = _parts(entry["wav"]) if entry["wav"] else ()
        for start in range(len(parts)):
            if parts[start:] in self.by_path:
                return self.by_path[parts[start:]], "path"
        if parts:
            for index, key in (
                (self.by_name, parts[-1]),
                (self.by_stem, os.path.splitext(parts[-1])[0]),
            ):
                found = self._closest(index.get(key, []), parts)
                if found is not None:
                    return found, "file name"
        key = entry["key"]
        keys = [key]
        if dataset and key.startswith(f"{dataset}-"):
            keys.append(key[len(dataset) + 1 :])
        for candidate in keys:
            for index in (self.by_id, self.by_stem):
                found = self._closest(index.get(candidate, []), parts)
                if found is not None:
                    return found, "key"
        return None, "missing"


def partition_rows(
    rows: Sequence[dict],
    partitions: Partitions,
    fold: int | None,
    data_folder: str | os.PathLike,
    missing: str = "error",
) -> tuple[list[dict], dict]:
    """The listed rows of one fold of a partition, each tagged with its split.

    Arguments
    ---------
    rows : sequence of dict
        The corpus listing (``ID``, ``source``: the file relative to the
        corpus folder, see :func:`corpus_path`).
    partitions : Partitions
        From :func:`read_partitions`.
    fold : int, optional
        The fold (None: the partition's only fold).
    data_folder : str or os.PathLike
        The corpus folder.
    missing : str
        ``error``: entries not in the local corpus (no listed file matches,
        or its audio file is not there) end the preparation with one
        message; ``drop``: they are left out and counted.

    Returns
    -------
    rows : list of dict
        Copies of the matched rows with ``split`` (``train``, ``valid`` or
        ``test``) and ``fold``, split by split in the partition's order; a
        row listed in two splits comes twice, once in a split.
    facts : dict
        ``partition`` for ``prep_summary.json``: the source, format, fold,
        entries per split, how they were matched, what is missing, and the
        partition's own labels.

    Example
    -------
    >>> partitions = Partitions("p", "emobox", "demo", {1: {
    ...     "train": [{"key": "demo-a", "wav": "x/corpus/s1/a.wav", "emo": "hap"}],
    ...     "valid": None,
    ...     "test": [{"key": "demo-b", "wav": "b.wav", "emo": "sad"}]}}, {}, "0")
    >>> import tempfile
    >>> corpus = Path(tempfile.mkdtemp())
    >>> listing = [{"ID": "a", "source": "s1/a.wav"}, {"ID": "b", "source": "s2/b.wav"}]
    >>> for row in listing:
    ...     (corpus / row["source"]).parent.mkdir()
    ...     (corpus / row["source"]).touch()
    >>> tagged, facts = partition_rows(listing, partitions, None, corpus)
    >>> [(r["ID"], r["split"]) for r in tagged], facts["partition"]["matched_by"]
    ([('a', 'train'), ('b', 'test')], {'path': 1, 'file name': 1})
    """
    if missing not in MISSING:
        raise ValueError(
            f"partitions_missing must be one of {MISSING}, got {missing!r}"
        )
    number = partitions.choose(fold)
    lists = partitions.folds[number]
    index = _LocalIndex(rows)
    tagged, how, absent, ambiguous = [], Counter(), [], []
    for split in SPLITS:
        seen = set()
        for entry in lists[split] or []:
            row, method = index.find(entry, partitions.dataset)
            if isinstance(row, dict) and not os.path.isfile(
                resolve_data_root(row["source"], data_folder)
            ):
                row = None  # listed by the corpus's annotations, but no audio
            if row is None:
                absent.append(entry)
                continue
            if row == "ambiguous":
                ambiguous.append(entry)
                continue
            if row["ID"] in seen:
                continue  # listed twice in one split: once in the manifest
            seen.add(row["ID"])
            how[method] += 1
            tagged.append({**row, "split": split, "fold": number})
    if ambiguous:
        shown = ", ".join(e["wav"] or e["key"] for e in ambiguous[:SHOWN])
        raise ValueError(
            f"{len(ambiguous)} entr(y/ies) of {partitions.source} match several "
            f"files of {data_folder} equally well (first: {shown}); keep one copy "
            "of each file in the corpus folder"
        )
    total = sum(len(lists[s] or []) for s in SPLITS)
    if absent and missing == "error":
        shown = ", ".join(
            f"{e['key'] or '?'} ({e['wav'] or 'no wav'})" for e in absent[:SHOWN]
        )
        raise ValueError(
            f"{len(absent)} of {total} utterances of fold {number} of "
            f"{partitions.source} are not in your copy of the corpus at "
            f"{data_folder} (first: {shown}); check --data_folder and --dataset, "
            'or set --prepare "{partitions_missing: drop}" to leave them out '
            "(counted in prep_summary.json)"
        )
    labels = Counter(
        partitions.label_map.get(e["emo"], e["emo"])
        for s in SPLITS
        for e in lists[s] or []
        if e["emo"]
    )
    return tagged, {
        "partition": {
            "source": partitions.source,
            "format": partitions.kind,
            "sha256": partitions.sha256,
            "fold": number,
            "folds": sorted(partitions.folds),
            "entries": {s: None if lists[s] is None else len(lists[s]) for s in SPLITS},
            "matched_by": dict(how),
            "missing": len(absent),
            "missing_examples": [
                {"key": e["key"], "wav": e["wav"]} for e in absent[:SHOWN]
            ],
            "labels": dict(sorted(labels.items())),
        }
    }


def draw_validation(
    train: Sequence[dict], fraction: float, seed: int
) -> tuple[list[dict], list[dict], dict]:
    """Holds out a validation share of a fold's training rows.

    Whole speakers (``fraction`` of the training speakers, at least one,
    gender-balanced and seeded as
    :func:`~speechbrain_lstm_ser.dataio.splits.split_speakers` draws them)
    when there are two or more; otherwise ``fraction`` of the utterances, at
    random (seeded).

    Arguments
    ---------
    train : sequence of dict
        Rows with ``spk_id`` and ``gender``.
    fraction : float
        In (0, 1).
    seed : int
        The same rows and seed always give the same draw.

    Returns
    -------
    train : list of dict
        The rows left to train, in their order.
    valid : list of dict
        The rows drawn, in their order.
    draw : dict
        How they were drawn (for the summary).

    Example
    -------
    >>> rows = [{"ID": f"u{i}", "spk_id": f"s{i % 5}", "gender": "female"}
    ...         for i in range(10)]
    >>> rest, valid, draw = draw_validation(rows, 0.2, seed=1)
    >>> draw["method"], len({r["spk_id"] for r in valid}), len(rest) + len(valid)
    ('whole speakers', 1, 10)
    """
    if not 0 < fraction < 1:
        raise ValueError(
            f"partitions_valid must be a fraction in (0, 1), got {fraction}"
        )
    genders = speaker_genders(train)
    if len(genders) >= 2:
        count = resolve_count(fraction, len(genders), "partitions_valid")
        count = min(count, len(genders) - 1)
        chosen = set(balanced_order(genders, random.Random(seed))[:count])
        valid = [r for r in train if r["spk_id"] in chosen]
        draw = {
            "method": "whole speakers",
            "speakers": count,
            "of_speakers": len(genders),
        }
    else:
        if len(train) < 2:
            raise ValueError(
                "the fold has one training utterance: nothing can be held out to "
                "validate; give a partition with a validation list"
            )
        count = min(max(1, round(fraction * len(train))), len(train) - 1)
        picked = set(random.Random(seed).sample(range(len(train)), count))
        valid = [r for i, r in enumerate(train) if i in picked]
        draw = {"method": "utterances (one training speaker)"}
    ids = {id(r) for r in valid}
    rest = [r for r in train if id(r) not in ids]
    draw.update(
        fraction=fraction, seed=seed, utterances=len(valid), of_utterances=len(train)
    )
    return rest, valid, draw


def partition_splits(
    rows: Sequence[dict], partitions: Partitions, fraction: float, seed: int
) -> tuple[dict[str, list[dict]], dict]:
    """Train / valid / test rows of a partition's fold, and the protocol.

    Arguments
    ---------
    rows : sequence of dict
        From :func:`partition_rows` (``split`` and ``fold`` tags), after the
        preparation's filter.
    partitions : Partitions
        The partition they come from.
    fraction : float
        The validation share drawn when the fold has no validation list (see
        :func:`draw_validation`).
    seed : int
        Seed of that draw.

    Returns
    -------
    splits : dict
        ``train``, ``valid``, ``test`` rows.
    protocol : dict
        ``kind``, ``source``, ``fold``, ``folds``, ``num_folds`` and
        ``valid`` (given, or how it was drawn).
    """
    splits = {name: [r for r in rows if r["split"] == name] for name in SPLITS}
    fold = rows[0]["fold"] if rows else partitions.choose(None)
    valid: dict[str, Any] = {"method": "given by the partition"}
    if partitions.folds[fold]["valid"] is None:
        splits["train"], splits["valid"], valid = draw_validation(
            splits["train"], fraction, seed
        )
    kind = {
        "emobox": "EmoBox partitions",
        PARTITIONS_FILE: "partitions.json",
        CORPUS_PARTITION: "the corpus's own partition",
    }
    return splits, {
        "kind": f"{kind[partitions.kind]} of {partitions.dataset or 'the corpus'}",
        "source": partitions.source,
        "fold": fold,
        "folds": sorted(partitions.folds),
        "num_folds": len(partitions.folds),
        "valid": valid,
    }


def _write_json(path: Path, document: dict) -> None:
    """Writes a partitions document atomically, one utterance per line."""
    lines = ["{"]
    for key in ("format", "version", "dataset"):
        lines.append(f" {json.dumps(key)}: {json.dumps(document[key])},")
    lines.append(' "folds": [')
    for i, fold in enumerate(document["folds"]):
        lines.append(f'  {{"fold": {json.dumps(fold["fold"])},')
        for j, name in enumerate(SPLITS):
            entries = ",\n".join(f"    {json.dumps(e)}" for e in fold[name])
            end = "," if j < len(SPLITS) - 1 else ""
            lines.append(f"   {json.dumps(name)}: [\n{entries}\n   ]{end}")
        lines.append("  }" + ("," if i < len(document["folds"]) - 1 else ""))
    lines += [" ]", "}", ""]
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text("\n".join(lines), encoding="utf-8")
    os.replace(tmp, path)


def write_partitions(
    path: str | os.PathLike,
    splits: Mapping[str, Sequence[dict]],
    dataset: str,
    fold: int | None = None,
) -> dict:
    """Writes the exact utterance lists of a prepared split as a partitions.json.

    Arguments
    ---------
    path : str or os.PathLike
        Destination (``<manifest_folder>/partitions.json``).
    splits : mapping
        ``train``, ``valid``, ``test`` rows in manifest order (``ID``,
        ``source`` or ``wav``, ``emo``; the fold from a ``fold`` tag).
    dataset : str
        The ``dataset:`` setting.
    fold : int, optional
        The fold number (default: the rows' ``fold`` tag, else 1).

    Returns
    -------
    dict
        The document written.

    Example
    -------
    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "partitions.json"
    >>> rows = {s: [{"ID": s, "source": f"{s}.wav", "emo": "sad"}] for s in SPLITS}
    >>> document = write_partitions(path, rows, "folder")
    >>> document["folds"][0]["test"]
    [{'ID': 'test', 'wav': 'test.wav', 'emo': 'sad'}]
    >>> read_partitions(path).folds[1]["valid"][0]["key"]
    'valid'
    """
    tags = [r["fold"] for rows in splits.values() for r in rows if "fold" in r]
    number = fold if fold is not None else (tags[0] if tags else 1)
    document = {
        "format": FORMAT,
        "version": VERSION,
        "dataset": dataset,
        "folds": [
            {
                "fold": number,
                **{
                    name: [
                        {
                            "ID": r["ID"],
                            "wav": r.get("source", r.get("wav")),
                            "emo": r["emo"],
                        }
                        for r in splits[name]
                    ]
                    for name in SPLITS
                },
            }
        ],
    }
    _write_json(Path(path), document)
    return document


def merge_partitions(
    paths: Sequence[str | os.PathLike], destination: str | os.PathLike
) -> dict:
    """Merges the partitions.json of several folds into one (cross-validation).

    Arguments
    ---------
    paths : sequence of str or os.PathLike
        One partitions.json per fold run.
    destination : str or os.PathLike
        Where the merged file goes.

    Returns
    -------
    dict
        The merged document (folds in fold order).
    """
    folds, dataset = {}, ""
    for path in paths:
        with open(path, encoding="utf-8") as handle:
            document = json.load(handle)
        dataset = dataset or document.get("dataset", "")
        for fold in document["folds"]:
            folds[int(fold["fold"])] = fold
    merged = {
        "format": FORMAT,
        "version": VERSION,
        "dataset": dataset,
        "folds": [folds[k] for k in sorted(folds)],
    }
    _write_json(Path(destination), merged)
    return merged
