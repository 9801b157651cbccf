"""Spoken-command data preparation: corpus -> classes -> split -> manifests.

:func:`prepare_commands_data` builds the usual keyword-spotting task from a
Speech Commands-layout corpus (the real one or the embedded one):

- the ``commands`` words are classes of their own;
- every other word becomes ``unknown_label`` (or is dropped when it is
  null), sub-sampled so that it makes up ``unknown_share`` of each split;
- ``silence_label`` clips (one second each) are cut from the
  ``_background_noise_`` recordings: the first 80 % of every recording for
  training, the next 10 % for validation, the last 10 % for testing, so the
  splits never share a noise sample; they make up ``silence_share`` of each
  split;
- the split is the corpus's own (``validation_list.txt`` /
  ``testing_list.txt``) or speaker-independent (``split: speakers``).

It writes ``train.csv``, ``valid.csv``, ``test.csv`` (``ID, duration, wav,
start, stop, spk_id, gender, command, word``; ``start`` / ``stop`` in
seconds, empty for whole files), ``noise.csv`` (the noise recordings, in
SpeechBrain's ``AddNoise`` format) and ``prep_summary.json`` into the
experiment's manifest folder. Nothing is written into the corpus.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from speechbrain_lstm_ser.dataio.corpora.speech_commands import (
    list_background_noise,
    read_speech_commands,
)
from speechbrain_lstm_ser.dataio.manifest import write_manifest
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
    "COMMAND_COLUMNS",
    "COMMAND_DATASETS",
    "NOISE_COLUMNS",
    "class_labels",
    "prepare_commands_data",
]

SPLITS = ("train", "valid", "test")
SUMMARY = "prep_summary.json"
NOISE_CSV = "noise.csv"

#: Columns of a command manifest (``command``: the class, ``word``: what
#: was said, ``start`` / ``stop``: a segment of ``wav`` in seconds).
COMMAND_COLUMNS = (
    "ID",
    "duration",
    "wav",
    "start",
    "stop",
    "spk_id",
    "gender",
    "command",
    "word",
)
#: SpeechBrain's noise CSV (``AddNoise(csv_file=...)``).
NOISE_COLUMNS = ("ID", "duration", "wav", "wav_format", "wav_opts")

#: The corpus kinds ``dataset`` may name.
COMMAND_DATASETS = ("embedded", "speech_commands")

#: Where each split's silence clips come from, as fractions of a recording.
_SILENCE_SPANS = {"train": (0.0, 0.8), "valid": (0.8, 0.9), "test": (0.9, 1.0)}


def class_labels(
    commands: Sequence[str], unknown_label: str | None, silence_label: str | None
) -> list[str]:
    """The classes in output order: commands, then unknown, then silence.

    Arguments
    ---------
    commands : sequence of str
        The command words.
    unknown_label : str or None
        Class of every other word (None: other words are dropped).
    silence_label : str or None
        Class of noise-only clips (None: no silence class).

    Returns
    -------
    list of str

    Example
    -------
    >>> class_labels(["yes", "no"], "unknown", "silence")
    ['yes', 'no', 'unknown', 'silence']
    """
    labels = list(commands) + [x for x in (unknown_label, silence_label) if x]
    if not commands or len(set(labels)) != len(labels):
        raise ValueError(
            f"commands must be non-empty and the classes distinct, got {labels}"
        )
    return labels


def _load(dataset: str, data_folder: Path, split: str, options: Mapping) -> list:
    if dataset == "embedded":
        from speechbrain_lstm_ser.dataio.synthetic.commands import (
            STAMP,
            EmbeddedCommandsOptions,
            generate_embedded_commands_corpus,
        )

        generate_embedded_commands_corpus(
            data_folder, EmbeddedCommandsOptions(**dict(options))
        )
        table = read_stamp(data_folder / STAMP)["speakers"]
        genders = {s["spk_id"]: s["gender"] for s in table}
        return read_speech_commands(data_folder, genders, split == "lists")
    if dataset == "speech_commands":
        return read_speech_commands(data_folder, None, split == "lists")
    raise ValueError(
        f"dataset {dataset!r} is not supported for commands; choose one of "
        f"{list(COMMAND_DATASETS)}"
    )


def _silence_rows(
    noise: list[dict], split: str, count: int, label: str, rng: np.random.Generator
) -> list[dict]:
    """``count`` one-second segments from this split's span of each recording."""
    lo, hi = _SILENCE_SPANS[split]
    usable = [n for n in noise if float(n["duration"]) * (hi - lo) >= 1.0 - 1e-6]
    if count and not usable:
        raise ValueError(
            f"the _background_noise_ recordings are too short to cut one-second "
            f"{split} silence clips from (the {split} split uses {hi - lo:.0%} of "
            "each recording); add longer ones or set silence_label to null"
        )
    rows = []
    for i in range(count):
        rec = usable[i % len(usable)]
        length = float(rec["duration"])
        start = float(rng.uniform(lo * length, max(lo * length, hi * length - 1.0)))
        rows.append(
            {
                "ID": f"{label}/{split}_{i:05d}",
                "duration": "1.0000",
                "wav": rec["wav"],
                "start": f"{start:.4f}",
                "stop": f"{start + 1.0:.4f}",
                "spk_id": f"noise_{rec['ID']}",
                "gender": "unknown",
                "command": label,
                "word": "_silence_",
            }
        )
    return rows


def _assign_splits(
    rows: list[dict],
    split: str,
    valid_speakers: int | float,
    test_speakers: int | float,
    seed: int,
) -> None:
    if split == "lists":
        return  # the corpus's own lists already set "split"
    if split != "speakers":
        raise ValueError(f"split must be 'lists' or 'speakers', got {split!r}")
    genders = {}
    for row in rows:
        genders.setdefault(row["spk_id"], row["gender"])
    by_speaker = split_speakers(genders, valid_speakers, test_speakers, seed)
    where = {spk: name for name, spks in by_speaker.items() for spk in spks}
    for row in rows:
        row["split"] = where[row["spk_id"]]


def prepare_commands_data(
    dataset: str,
    data_folder: str | Path,
    manifest_folder: str | Path,
    commands: Sequence[str],
    unknown_label: str | None = "unknown",
    silence_label: str | None = "silence",
    unknown_share: float = 0.1,
    silence_share: float = 0.1,
    split: str = "lists",
    valid_speakers: int | float = 4,
    test_speakers: int | float = 4,
    seed: int = 1234,
    corpus_options: Mapping | None = None,
) -> dict:
    """Prepares train / valid / test manifests for spoken-command recognition.

    Idempotent: when ``prep_summary.json`` in ``manifest_folder`` records the
    same options, nothing is done. CSV files already in ``manifest_folder``
    that this function did not write are never touched.

    Arguments
    ---------
    dataset : str
        ``embedded`` (generated on first use) or ``speech_commands``.
    data_folder : str or Path
        The corpus folder.
    manifest_folder : str or Path
        Where the manifests and the summary go.
    commands : sequence of str
        The command words (classes of their own, in this order).
    unknown_label : str or None
        The class of all other words; None drops them.
    silence_label : str or None
        The class of noise-only clips; None: no such class.
    unknown_share : float
        Target share of ``unknown`` clips in each split (the rest of the
        other words are left out); 0 < share < 1.
    silence_share : float
        Share of silence clips in each split.
    split : str
        ``lists`` (``validation_list.txt`` / ``testing_list.txt``) or
        ``speakers`` (speaker-independent, gender-balanced, with
        ``valid_speakers`` / ``test_speakers``).
    valid_speakers : int or float
        Held-out validation speakers, for ``split: speakers``.
    test_speakers : int or float
        Held-out test speakers, for ``split: speakers``.
    seed : int
        Seed of the sub-sampling, the silence clips and the speaker split.
    corpus_options : mapping, optional
        Options of the embedded corpus generator.

    Returns
    -------
    dict
        The summary also written to ``prep_summary.json``.
    """
    manifest_folder = Path(manifest_folder)
    labels = class_labels(commands, unknown_label, silence_label)
    for name, share in (
        ("unknown_share", unknown_share),
        ("silence_share", silence_share),
    ):
        if not 0.0 <= share < 1.0:
            raise ValueError(f"{name} must be within [0, 1), got {share}")
    if unknown_share + silence_share >= 1.0:
        raise ValueError("unknown_share + silence_share must stay below 1")
    options = {
        "dataset": dataset,
        "data_folder": str(Path(data_folder).resolve()),
        "labels": labels,
        "unknown_share": unknown_share,
        "silence_share": silence_share,
        "split": split,
        "valid_speakers": valid_speakers,
        "test_speakers": test_speakers,
        "seed": seed,
        "corpus_options": dict(corpus_options or {}),
    }
    stamp_path = manifest_folder / SUMMARY
    outputs = [manifest_folder / f"{name}.csv" for name in SPLITS]
    outputs.append(manifest_folder / NOISE_CSV)
    if outputs_up_to_date(stamp_path, options, outputs):
        logger.info(
            f"Manifests in {manifest_folder} are up to date; skipping preparation."
        )
        return read_stamp(stamp_path)
    write_stamp(stamp_path, options, STARTED)
    folder = Path(data_folder)
    rows = _load(dataset, folder, split, corpus_options or {})
    _assign_splits(rows, split, valid_speakers, test_speakers, seed)
    missing = sorted(set(commands) - {r["word"] for r in rows})
    if missing:
        raise ValueError(
            f"no clip of the command word(s) {missing} in {data_folder}; "
            "check the commands list"
        )
    noise = list_background_noise(folder)
    if not noise:
        logger.warning(
            f"{folder} has no _background_noise_ recordings: {NOISE_CSV} is empty "
            "(train with --noise_csv null)"
        )
    if silence_label and not noise:
        raise ValueError(
            f"{folder} has no _background_noise_ recordings to cut silence clips "
            "from; set silence_label to null"
        )
    summary = {"labels": labels, "splits": {}}
    for index, name in enumerate(SPLITS):
        rng = np.random.default_rng([seed, index])
        here = [r for r in rows if r["split"] == name]
        known = [{**r, "command": r["word"]} for r in here if r["word"] in commands]
        total = len(known) / max(1e-9, 1.0 - unknown_share - silence_share)
        chosen = list(known)
        if unknown_label:
            others = [r for r in here if r["word"] not in commands]
            n_unknown = min(len(others), int(round(unknown_share * total)))
            picked = sorted(rng.permutation(len(others))[:n_unknown].tolist())
            chosen += [{**others[i], "command": unknown_label} for i in picked]
        if silence_label:
            n_silence = int(round(silence_share * total))
            chosen += _silence_rows(noise, name, n_silence, silence_label, rng)
        if not known:
            raise ValueError(f"the {name} split of {data_folder} has no command clip")
        write_manifest(outputs[index], chosen, COMMAND_COLUMNS)
        summary["splits"][name] = {
            "utterances": len(chosen),
            "speakers": len({r["spk_id"] for r in chosen if r["word"] != "_silence_"}),
            "per_class": {c: sum(r["command"] == c for r in chosen) for c in labels},
            "per_gender": dict(sorted(Counter(r["gender"] for r in chosen).items())),
        }
    write_manifest(
        outputs[-1],
        [{**n, "wav_format": "wav", "wav_opts": ""} for n in noise],
        NOISE_COLUMNS,
    )
    write_stamp(stamp_path, options, DONE, **summary)
    for name in SPLITS:
        info = summary["splits"][name]
        logger.info(
            f"{name}: {info['utterances']} clips, {info['speakers']} speakers, "
            f"{info['per_class']}"
        )
    return read_stamp(stamp_path)
