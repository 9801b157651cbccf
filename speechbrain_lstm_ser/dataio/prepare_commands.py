"""Spoken-command data preparation: corpus -> classes -> split -> manifests.

:func:`prepare_commands_data` builds the usual keyword-spotting task from a
Speech Commands-layout corpus (the real one or the embedded one) with the
preparation skeleton (:func:`~speechbrain_lstm_ser.dataio.prepare.prepare`)
and :data:`COMMANDS`:

- **list**: :data:`READERS`: the clips and the ``_background_noise_``
  recordings;
- **filter**: every clip is kept; each command word must have clips;
- **split**: the corpus's own (``validation_list.txt`` / ``testing_list.txt``)
  or speaker-independent (``split: speakers``); then, per split, the
  ``commands`` words are classes of their own; every other word becomes
  ``unknown_label`` (or is dropped when it is null), sub-sampled so that it
  makes up ``unknown_share`` of the split; ``silence_label`` clips (one
  second each) are cut from the noise recordings, making up
  ``silence_share`` of the split: the first 80 % of every recording for
  training, the next 10 % for validation, the last 10 % for testing, so the
  splits never share a noise sample;
- **describe**: clips, speakers, per class and gender.

The manifests have the columns of
:data:`~speechbrain_lstm_ser.dataio.manifest.COMMANDS_MANIFEST` (``start`` /
``stop`` in seconds, empty for whole files); ``noise.csv`` lists the noise
recordings (:data:`~speechbrain_lstm_ser.dataio.manifest.NOISE_MANIFEST`,
SpeechBrain's ``AddNoise`` format).

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import dataclasses
import logging
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from speechbrain_lstm_ser.dataio.corpora.base import CorpusListing
from speechbrain_lstm_ser.dataio.corpora.speech_commands import (
    read_background_noise,
    read_speech_commands,
)
from speechbrain_lstm_ser.dataio.manifest import (
    COMMANDS_COLUMNS,
    COMMANDS_MANIFEST,
    NOISE_MANIFEST,
    SILENCE_WORD,
)
from speechbrain_lstm_ser.dataio.prepare import (
    SPLITS,
    PreparationOptions,
    Reader,
    Request,
    TaskSpec,
    prepare,
)
from speechbrain_lstm_ser.dataio.splits import split_rows_by_speaker
from speechbrain_lstm_ser.dataio.stamps import read_stamp

logger = logging.getLogger(__name__)

__all__ = [
    "COMMAND_COLUMNS",
    "COMMANDS",
    "READERS",
    "CommandsPrepOptions",
    "class_labels",
    "prepare_commands_data",
]

#: The old name of :data:`~speechbrain_lstm_ser.dataio.manifest.COMMANDS_COLUMNS`,
#: kept for the recipes that import it from here.
COMMAND_COLUMNS = COMMANDS_COLUMNS

NOISE_CSV = "noise.csv"

#: How ``split`` may distribute the clips.
SPLIT_RULES = ("lists", "speakers")

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


def _read_speech_commands(
    data_folder: Path, options: Mapping, genders: Mapping[str, str] | None = None
) -> CorpusListing:
    return CorpusListing(
        rows=read_speech_commands(data_folder, genders, options["split"] == "lists"),
        noise=read_background_noise(data_folder),
    )


def _read_embedded(data_folder: Path, options: Mapping) -> CorpusListing:
    """Generates the embedded corpus (once, Speech Commands layout), lists it."""
    from speechbrain_lstm_ser.dataio.synthetic.commands import (
        STAMP,
        EmbeddedCommandsOptions,
        generate_embedded_commands_corpus,
    )

    corpus_options = EmbeddedCommandsOptions(**options["corpus_options"])
    generate_embedded_commands_corpus(data_folder, corpus_options)
    table = read_stamp(data_folder / STAMP)["speakers"]
    genders = {s["spk_id"]: s["gender"] for s in table}
    return _read_speech_commands(data_folder, options, genders)


#: ``dataset`` -> reader(data_folder, options) -> CorpusListing: rows
#: ``ID, duration, wav, spk_id, gender, word, split`` and the noise
#: recordings.
READERS: dict[str, Reader] = {
    "embedded": _read_embedded,
    "speech_commands": _read_speech_commands,
}


def _filter(listing: CorpusListing, request: Request) -> tuple[list[dict], dict]:
    """Every clip; checks that each command has clips and silence has noise."""
    options, folder = request.options, request.data_folder
    missing = sorted(set(options["commands"]) - {r["word"] for r in listing.rows})
    if missing:
        raise ValueError(
            f"no clip of the command word(s) {missing} in {folder}; "
            "check the commands list"
        )
    if not listing.noise:
        logger.warning(
            f"{folder} has no _background_noise_ recordings: {NOISE_CSV} is empty "
            "(train with --noise_csv null)"
        )
        if options["silence_label"]:
            raise ValueError(
                f"{folder} has no _background_noise_ recordings to cut silence "
                "clips from; set silence_label to null"
            )
    return listing.rows, {"labels": options["labels"]}


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
                "word": SILENCE_WORD,
            }
        )
    return rows


def _split(
    rows: list[dict], listing: CorpusListing, request: Request
) -> tuple[dict[str, list[dict]], dict]:
    """Clips of each split: commands, sub-sampled unknown words, silence."""
    options = request.options
    commands, unknown_label = options["commands"], options["unknown_label"]
    silence_label = options["silence_label"]
    if options["split"] == "speakers":
        by_split = split_rows_by_speaker(
            rows, options["valid_speakers"], options["test_speakers"], options["seed"]
        )
    else:  # the corpus's lists
        by_split = {name: [r for r in rows if r["split"] == name] for name in SPLITS}
    share = 1.0 - options["unknown_share"] - options["silence_share"]
    splits = {}
    for index, name in enumerate(SPLITS):
        rng = np.random.default_rng([options["seed"], index])
        here = by_split[name]
        known = [{**r, "command": r["word"]} for r in here if r["word"] in commands]
        if not known:
            raise ValueError(
                f"the {name} split of {request.data_folder} has no command clip"
            )
        total = len(known) / max(1e-9, share)
        chosen = list(known)
        if unknown_label:
            others = [r for r in here if r["word"] not in commands]
            n_unknown = min(len(others), int(round(options["unknown_share"] * total)))
            picked = sorted(rng.permutation(len(others))[:n_unknown].tolist())
            chosen += [{**others[i], "command": unknown_label} for i in picked]
        if silence_label:
            n_silence = int(round(options["silence_share"] * total))
            chosen += _silence_rows(listing.noise, name, n_silence, silence_label, rng)
        splits[name] = chosen
    return splits, {}


def _describe(rows: list[dict], request: Request) -> dict:
    """Clips, speakers (noise is not one), per class and gender of a split."""
    return {
        "utterances": len(rows),
        "speakers": len({r["spk_id"] for r in rows if r["word"] != SILENCE_WORD}),
        "per_class": {
            c: sum(r["command"] == c for r in rows) for c in request.options["labels"]
        },
        "per_gender": dict(sorted(Counter(r["gender"] for r in rows).items())),
    }


def _log(summary: dict) -> None:
    for name in SPLITS:
        info = summary["splits"][name]
        logger.info(
            f"{name}: {info['utterances']} clips, {info['speakers']} speakers, "
            f"{info['per_class']}"
        )


def _noise_rows(listing: CorpusListing) -> list[dict]:
    """The noise recordings, in SpeechBrain's ``AddNoise`` CSV format."""
    return [{**n, "wav_format": "wav", "wav_opts": ""} for n in listing.noise]


#: The spoken-command task, run by :func:`prepare_commands_data`.
COMMANDS = TaskSpec(
    task="commands",
    readers=READERS,
    schema=COMMANDS_MANIFEST,
    filter=_filter,
    split=_split,
    describe=_describe,
    log=_log,
    extra_manifests={NOISE_CSV: (NOISE_MANIFEST, _noise_rows)},
)


@dataclasses.dataclass(frozen=True, kw_only=True)
class CommandsPrepOptions(PreparationOptions):
    """The options of :func:`prepare_commands_data`, with their defaults.

    The recipe builds it from the ``prepare:`` block of
    ``hparams/commands_lstm.yaml``; the stamp records it.

    Arguments
    ---------
    dataset : str
        ``embedded`` (generated on first use) or ``speech_commands`` (see
        :data:`READERS`).
    commands : sequence of str
        The command words (classes of their own, in this order).
    unknown_label : str or None
        The class of all other words; None drops them.
    silence_label : str or None
        The class of noise-only clips; None: no such class.
    unknown_share : float
        Target share of ``unknown`` clips in each split (the rest of the
        other words are left out); 0 <= share < 1.
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
    corpora : mapping
        ``dataset`` -> options of its corpus (the embedded corpus
        generator's); only ``dataset``'s are used and stamped.

    Example
    -------
    >>> options = CommandsPrepOptions(dataset="embedded", commands=["yes", "no"])
    >>> options.labels
    ['yes', 'no', 'unknown', 'silence']
    >>> CommandsPrepOptions(dataset="embedded", commands=["yes"], split="random")
    Traceback (most recent call last):
    ...
    ValueError: split must be 'lists' or 'speakers', got 'random'
    """

    dataset: str
    commands: Sequence[str]
    unknown_label: str | None = "unknown"
    silence_label: str | None = "silence"
    unknown_share: float = 0.1
    silence_share: float = 0.1
    split: str = "lists"
    valid_speakers: int | float = 4
    test_speakers: int | float = 4
    seed: int = 1234
    corpora: Mapping[str, Mapping] = dataclasses.field(default_factory=dict)

    def __post_init__(self):
        class_labels(self.commands, self.unknown_label, self.silence_label)
        for name in ("unknown_share", "silence_share"):
            share = getattr(self, name)
            if not 0.0 <= share < 1.0:
                raise ValueError(f"{name} must be within [0, 1), got {share}")
        if self.unknown_share + self.silence_share >= 1.0:
            raise ValueError("unknown_share + silence_share must stay below 1")
        if self.split not in SPLIT_RULES:
            raise ValueError(f"split must be 'lists' or 'speakers', got {self.split!r}")

    @property
    def labels(self) -> list[str]:
        """The classes in output order (:func:`class_labels`)."""
        return class_labels(self.commands, self.unknown_label, self.silence_label)


def prepare_commands_data(
    data_folder: str | Path,
    manifest_folder: str | Path,
    options: CommandsPrepOptions | Mapping,
) -> dict:
    """Prepares train / valid / test manifests for spoken-command recognition.

    Idempotent, and never writes into the corpus nor over files it did not
    write (see :mod:`speechbrain_lstm_ser.dataio.prepare`).

    Arguments
    ---------
    data_folder : str or Path
        The corpus folder.
    manifest_folder : str or Path
        Where the manifests and the summary go.
    options : CommandsPrepOptions or mapping
        What to prepare (corpus kind, classes, split), or its fields as a
        mapping (the YAML's ``prepare:`` block); recorded in the stamp.

    Returns
    -------
    dict
        The summary also written to ``prep_summary.json``.
    """
    options = CommandsPrepOptions.coerce(options)
    record = {"labels": options.labels, **options.record()}
    record["commands"] = list(options.commands)
    return prepare(COMMANDS, options.dataset, data_folder, manifest_folder, record)
