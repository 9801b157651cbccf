"""Leakage between the splits of a protocol: shared speakers, identical audio.

A test score measures what it claims only when the test utterances are new
to the model. Every preparation therefore checks its train / valid / test
splits (one split, or one fold of a cross-validation, or a fixed partition
such as EmoBox's) and records in ``prep_summary.json`` (``leakage``):

- the **speakers shared** by train and test, by train and validation, and by
  validation and test (speaker IDs as the corpus gives them);
- the **identical recordings** across splits: utterances whose audio
  content is the same as an utterance of another split. The content hash is
  :data:`AUDIO_HASH`: the SHA-256 of the *decoded samples* (float32,
  channels interleaved) with the sample rate and channel count, so a copy
  re-encoded losslessly (WAV and FLAC of the same samples) or renamed counts
  as identical, whatever its file name or header. Nothing is cached: the
  corpus folder is never written to.

A protocol where train and test share speakers is *speaker-dependent*: it is
allowed (EmoBox's CREMA-D and EmoDB partitions are), but the summary, the
test report (:func:`split_facts`) and the model card carry
:data:`SPEAKER_DEPENDENT`.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

from speechbrain_lstm_ser.dataio.manifest import read_manifest, resolve_data_root
from speechbrain_lstm_ser.dataio.stamps import DONE, read_stamp

__all__ = [
    "AUDIO_HASH",
    "PAIRS",
    "SPEAKER_DEPENDENT",
    "audio_fingerprint",
    "leakage_report",
    "leakage_summary",
    "split_facts",
]

#: What the model card and the reports say about a speaker-dependent split.
SPEAKER_DEPENDENT = (
    "speaker-dependent split: not comparable with speaker-independent results"
)
#: How identical recordings are found.
AUDIO_HASH = (
    "sha256 of the decoded samples (float32, channels interleaved), "
    "sample rate and channel count"
)
#: The pairs of splits checked, ``(earlier, later)``: a count is the number
#: of utterances of the *later* split whose audio is also in the earlier one.
PAIRS = (("train", "test"), ("train", "valid"), ("valid", "test"))
#: How many examples of identical recordings the summary lists per pair.
EXAMPLES = 5


def audio_fingerprint(path: str | os.PathLike) -> str:
    """The content hash of an audio file (see :data:`AUDIO_HASH`).

    Arguments
    ---------
    path : str or os.PathLike
        A file soundfile can read.

    Returns
    -------
    str
        Hex SHA-256 (of the file's bytes, prefixed ``bytes:``, when its
        samples cannot be decoded to the end).

    Example
    -------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> samples = (np.arange(800, dtype=np.int16) % 200 - 100) * 50
    >>> sf.write(folder / "a.wav", samples, 8000)
    >>> sf.write(folder / "b.flac", samples, 8000)
    >>> audio_fingerprint(folder / "a.wav") == audio_fingerprint(folder / "b.flac")
    True
    """
    digest = hashlib.sha256()
    try:
        with sf.SoundFile(os.fsencode(path)) as handle:
            digest.update(f"{handle.samplerate}:{handle.channels}:".encode())
            while True:
                block = handle.read(frames=1 << 16, dtype="float32", always_2d=True)
                if not len(block):
                    break
                digest.update(np.ascontiguousarray(block).tobytes())
    except (sf.LibsndfileError, RuntimeError, TypeError):
        # Damaged data (training reports it): compare the files themselves.
        return "bytes:" + hashlib.sha256(Path(path).read_bytes()).hexdigest()
    return digest.hexdigest()


def _pair_name(earlier: str, later: str) -> str:
    return f"{earlier}-{later}"


def leakage_report(
    splits: Mapping[str, Sequence[Mapping[str, Any]]],
    locate: Callable[[Mapping[str, Any]], str | os.PathLike] | None = None,
) -> dict:
    """What the splits of one protocol share: speakers and identical audio.

    Arguments
    ---------
    splits : mapping
        ``train``, ``valid`` and ``test`` rows (``ID``, ``spk_id``).
    locate : callable, optional
        ``locate(row)`` -> the audio file of a row; None: recordings are not
        compared (``identical_recordings`` is then None).

    Returns
    -------
    dict
        ``speaker_independent`` (train and test share no speaker),
        ``speakers_known`` (False when every utterance has its own speaker:
        independence cannot be told), ``shared_speakers`` (pair -> sorted
        speaker IDs), ``identical_recordings`` (pair -> utterances of the
        later split whose audio is in the earlier one),
        ``identical_examples`` (pair -> up to five ``[earlier ID, later
        ID]``), ``audio_hash`` and ``warnings``.

    Example
    -------
    >>> splits = {"train": [{"ID": "a", "spk_id": "s1"}, {"ID": "b", "spk_id": "s2"}],
    ...           "valid": [{"ID": "c", "spk_id": "s3"}],
    ...           "test": [{"ID": "d", "spk_id": "s2"}]}
    >>> report = leakage_report(splits)
    >>> report["speaker_independent"], report["shared_speakers"]["train-test"]
    (False, ['s2'])
    >>> report["warnings"][0]
    'speaker-dependent split: not comparable with speaker-independent results'
    """
    speakers = {name: {r["spk_id"] for r in rows} for name, rows in splits.items()}
    shared = {
        _pair_name(a, b): sorted(speakers.get(a, set()) & speakers.get(b, set()))
        for a, b in PAIRS
    }
    rows = [r for split in splits.values() for r in split]
    per_speaker: dict[str, int] = {}
    for row in rows:
        per_speaker[row["spk_id"]] = per_speaker.get(row["spk_id"], 0) + 1
    speakers_known = len(rows) < 2 or any(n > 1 for n in per_speaker.values())
    identical = examples = None
    if locate is not None:
        hashes = {
            name: [(row["ID"], audio_fingerprint(locate(row))) for row in split]
            for name, split in splits.items()
        }
        identical, examples = {}, {}
        for a, b in PAIRS:
            first = {}
            for uid, digest in hashes.get(a, []):
                first.setdefault(digest, uid)
            hits = [(first[d], uid) for uid, d in hashes.get(b, []) if d in first]
            identical[_pair_name(a, b)] = len(hits)
            examples[_pair_name(a, b)] = [list(hit) for hit in hits[:EXAMPLES]]
    report = {
        "speaker_independent": not shared["train-test"],
        "speakers_known": speakers_known,
        "shared_speakers": shared,
        "identical_recordings": identical,
        "identical_examples": examples,
        "audio_hash": AUDIO_HASH if locate is not None else "not checked",
    }
    report["warnings"] = _warnings(report)
    return report


def _warnings(report: Mapping) -> list[str]:
    """The lines the log, the test report and the model card show."""
    lines = []
    counts = {pair: len(spk) for pair, spk in report["shared_speakers"].items()}
    if counts["train-test"]:
        lines.append(SPEAKER_DEPENDENT)
    if counts["train-valid"]:
        lines.append(
            f"{counts['train-valid']} validation speaker(s) also train: the "
            "checkpoint is chosen on voices the model has heard"
        )
    if not report["speakers_known"]:
        lines.append(
            "speakers unknown (one utterance per speaker): speaker independence "
            "cannot be checked"
        )
    for pair, count in (report["identical_recordings"] or {}).items():
        if count:
            later = pair.split("-")[1]
            lines.append(
                f"{count} {later} utterance(s) have the same audio as "
                f"{pair.split('-')[0]} utterance(s)"
            )
    return lines


def leakage_summary(leakage: Mapping) -> dict:
    """The counts of a :func:`leakage_report`, without speaker or utterance IDs.

    What a test report and a model card carry (they may be published; the
    speaker IDs stay in ``prep_summary.json``).

    Arguments
    ---------
    leakage : mapping
        From :func:`leakage_report`.

    Returns
    -------
    dict
        ``speaker_independent``, ``speakers_known``, ``shared_speakers``
        (pair -> count), ``identical_recordings`` (pair -> count or None),
        ``audio_hash`` and ``warnings``.

    Example
    -------
    >>> leakage = leakage_report({"train": [{"ID": "a", "spk_id": "s1"}],
    ...                           "valid": [], "test": [{"ID": "b", "spk_id": "s1"}]})
    >>> leakage_summary(leakage)["shared_speakers"]
    {'train-test': 1, 'train-valid': 0, 'valid-test': 0}
    """
    return {
        "speaker_independent": leakage["speaker_independent"],
        "speakers_known": leakage["speakers_known"],
        "shared_speakers": {p: len(s) for p, s in leakage["shared_speakers"].items()},
        "identical_recordings": leakage["identical_recordings"],
        "audio_hash": leakage["audio_hash"],
        "warnings": list(leakage["warnings"]),
    }


def _setting(hparams, key: str, default=None):
    if isinstance(hparams, Mapping):
        return hparams.get(key, default)
    return getattr(hparams, key, default)


def split_facts(hparams) -> dict:
    """The protocol and leakage facts a test report carries.

    Taken from the ``prep_summary.json`` next to the manifests when a
    preparation wrote them; otherwise (manifests of your own, with
    ``skip_prep``) the manifests are checked here, speakers and audio alike.

    Arguments
    ---------
    hparams : mapping or namespace
        The recipe's hyperparameters: ``<split>_annotation``,
        ``data_folder`` and, where the recipe has one,
        ``audio_cache_folder``.

    Returns
    -------
    dict
        ``protocol`` (its kind, e.g. ``leave-one-session-out
        cross-validation``; None when unknown) and ``leakage`` (see
        :func:`leakage_summary`).
    """
    annotations = {
        name: Path(_setting(hparams, f"{name}_annotation"))
        for name in ("train", "valid", "test")
    }
    splits = {name: read_manifest(path) for name, path in annotations.items()}
    folders = {p.parent.resolve() for p in annotations.values()}
    stamp = {}
    if len(folders) == 1:
        stamp = read_stamp(folders.pop() / "prep_summary.json") or {}
    counts = {n: s.get("utterances") for n, s in stamp.get("splits", {}).items()}
    if (
        stamp.get("status") == DONE
        and "leakage" in stamp
        and counts == {name: len(rows) for name, rows in splits.items()}
    ):
        return {
            "protocol": stamp.get("protocol", {}).get("kind"),
            "leakage": leakage_summary(stamp["leakage"]),
        }
    roots = {"audio_cache": _setting(hparams, "audio_cache_folder")}
    data_root = str(_setting(hparams, "data_folder"))

    def locate(row: Mapping[str, Any]) -> str:
        for name, root in roots.items():
            if root and row["wav"].startswith(f"${name}"):
                return str(root) + row["wav"][len(name) + 1 :]
        return resolve_data_root(row["wav"], data_root)

    return {
        "protocol": None,
        "leakage": leakage_summary(leakage_report(splits, locate=locate)),
    }
