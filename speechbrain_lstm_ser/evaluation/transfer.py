r"""Cross-domain and corrupted-condition evaluation: one table for any classifier.

A model that learnt emotion, not its training corpus, keeps its accuracy on
speech it never saw the like of. :func:`transfer_table` measures it for any
predictor (a model, the classic baseline), in two settings:

- **corrupted test split**: the test waveforms under each selected condition
  (level and DC offset; white, pink and babble noise at 20 / 10 / 5 dB SNR;
  rooms of RT60 0.3 / 0.6 / 0.9 s; telephone band with μ-law or GSM;
  Opus and MP3 at low bitrate; see :mod:`~speechbrain_lstm_ser.evaluation.conditions`):
  UA, its change from the clean split, and the share of labels unchanged;
- **other domains**: whole corpora the model never trained or was tuned on
  (:func:`read_domain`; e.g. the espeak-ng held-out voices of the validation
  domain, or the flite test-only domain of
  :mod:`~speechbrain_lstm_ser.dataio.synthetic.domains`): UA and its change
  from the in-domain clean test split.

Each is measured single-utterance (each utterance alone) and per speaker
(each utterance against its speaker's enrolment, made of that speaker's
utterances *under the same condition*: the recipe's transductive test).
Per speaker is measured only for a speaker-normalised model, the one kind
trained with a speaker's reference (:func:`no_speaker_mode` says why not).

``sb-lstm-ser robustness --conditions gain,noise,reverb,telephone,codec
--domain FOLDER`` runs it on an exported model (:func:`evaluate_model_transfer`).

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from speechbrain_lstm_ser.dataio.manifest import SILENCE_WORD, read_manifest
from speechbrain_lstm_ser.evaluation.classification import classification_report
from speechbrain_lstm_ser.evaluation.conditions import (
    CONDITION_GROUPS,
    build_conditions,
)
from speechbrain_lstm_ser.evaluation.robustness import (
    DEFAULT_CONDITIONS,
    LabelledAudio,
    Predictor,
    classifier_predictor,
    gain_robustness,
    labelled_audio_of_rows,
    read_labelled_audio,
    speaker_predictor,
)

__all__ = [
    "GROUPS",
    "MODES",
    "babble_talkers",
    "evaluate_model_transfer",
    "format_transfer_table",
    "model_predictors",
    "no_speaker_mode",
    "read_domain",
    "select_conditions",
    "transfer_table",
]

#: Every condition group: ``gain`` (level, DC offset) and the corruptions.
GROUPS = ("gain", *CONDITION_GROUPS)
#: How an utterance is classified: alone, or against its speaker's enrolment.
MODES = ("utterance", "speaker")
#: A predictor factory: the speakers of the waveforms -> a predictor.
PredictorFactory = Callable[[Sequence[str]], Predictor]


def select_conditions(
    groups: Sequence[str],
    sample_rate: int,
    speakers: Sequence[str | None] | None = None,
    seed: int = 0,
) -> dict:
    """``clean`` (the waveforms as read) and the conditions of ``groups``.

    Arguments
    ---------
    groups : sequence of str
        Any of :data:`GROUPS`.
    sample_rate : int
        Of the waveforms.
    speakers : sequence of str or None, optional
        The speaker of each waveform (babble needs them; None: a waveform
        without speech, never a talker, see :func:`babble_talkers`).
    seed : int
        Seed of the random conditions.

    Returns
    -------
    dict
        Name -> condition, for ``robustness.gain_robustness``.

    Example
    -------
    >>> list(select_conditions(["gain", "codec"], 16000))
    ['clean', '-20 dB', '-10 dB', '+6 dB', 'DC', 'codec Opus', 'codec MP3']
    """
    unknown = [g for g in groups if g not in GROUPS]
    if unknown:
        raise ValueError(
            f"unknown condition group(s) {unknown}; choose among {', '.join(GROUPS)}"
        )
    conditions: dict = {"clean": DEFAULT_CONDITIONS["0 dB"]}
    if "gain" in groups:
        conditions.update((k, v) for k, v in DEFAULT_CONDITIONS.items() if k != "0 dB")
    conditions.update(
        build_conditions(
            [g for g in groups if g != "gain"], sample_rate, speakers, seed
        )
    )
    return conditions


def transfer_table(
    predictors: Mapping[str, PredictorFactory],
    test: LabelledAudio,
    conditions: Mapping,
    domains: Mapping[str, LabelledAudio] | None = None,
    classes: Sequence[str] | None = None,
) -> dict:
    """UA and labels unchanged per condition and domain, in each mode.

    Arguments
    ---------
    predictors : mapping
        Mode (``utterance``, ``speaker``) -> ``factory(speakers)`` giving a
        predictor for waveforms of these speakers (in order).
    test : LabelledAudio
        The in-domain test split.
    conditions : mapping
        As :func:`select_conditions` gives (holding ``clean``).
    domains : mapping, optional
        Name -> the utterances of another domain (evaluated as read).
    classes : sequence of str, optional
        The class set (default: the test labels present).

    Returns
    -------
    dict
        ``conditions``: name -> mode -> ``UA``, ``WA``, ``delta_UA`` (from
        clean), ``unchanged``, ``recall`` (class -> recall, for the classes
        of the test split) and ``predicted`` (one label per test utterance;
        and a codec's realised ``kbps``);
        ``domains``: name -> ``utterances``,
        ``speakers`` and mode -> ``UA``, ``WA``, ``delta_UA`` (from the
        in-domain clean UA) and ``predicted``; ``utterances``;
        ``references``: ``test`` and each domain -> ``ids`` and ``labels``
        (what two runs are paired on: ``bench.transfer_runs --against``).

    Example
    -------
    >>> import torch
    >>> wavs = [torch.full((50,), a) for a in (0.01, 0.02, 0.2, 0.4)]
    >>> test = LabelledAudio(["a", "b", "c", "d"], wavs, ["soft", "soft", "loud",
    ...                      "loud"], ["s1", "s2", "s1", "s2"], [""] * 4)
    >>> loud = lambda spk: lambda ws: ["loud" if w.abs().mean() > 0.05 else "soft"
    ...                                for w in ws]
    >>> table = transfer_table({"utterance": loud}, test,
    ...                        select_conditions(["gain"], 16000))
    >>> table["conditions"]["-20 dB"]["utterance"]["UA"]
    0.5
    """
    classes = list(classes or sorted(set(test.labels)))
    domains = dict(domains or {})
    result: dict = {
        "utterances": len(test.wavs),
        "references": {
            "test": _references(test),
            **{name: _references(d) for name, d in domains.items()},
        },
        "conditions": {name: {} for name in conditions},
        "domains": {
            name: {"utterances": len(d.wavs), "speakers": len(set(d.speakers))}
            for name, d in domains.items()
        },
    }
    for mode, factory in predictors.items():
        res = gain_robustness(
            factory(test.speakers),
            test.wavs,
            test.labels,
            conditions,
            reference="clean",
            classes=classes,
        )
        for name, r in res.items():
            result["conditions"][name][mode] = {
                **{k: r[k] for k in ("UA", "WA", "delta_UA", "unchanged")},
                "recall": _recalls(test.labels, r["predictions"], classes),
                "predicted": list(r["predictions"]),
            }
        for name, condition in conditions.items():
            if hasattr(condition, "kbps"):  # a codec's realised bitrate
                result["conditions"][name]["kbps"] = condition.kbps
        clean_ua = res["clean"]["UA"]
        for name, data in domains.items():
            predicted = list(factory(data.speakers)(data.wavs))
            report = classification_report(data.labels, predicted, classes)
            result["domains"][name][mode] = {
                "UA": report["unweighted_accuracy"],
                "WA": report["accuracy"],
                "delta_UA": report["unweighted_accuracy"] - clean_ua,
                "predicted": predicted,
            }
    return result


def _recalls(
    labels: Sequence[str], predicted: Sequence[str], classes: Sequence[str]
) -> dict[str, float]:
    """Class -> recall, for the classes present in ``labels``.

    Example
    -------
    >>> _recalls(["yes", "yes", "no"], ["yes", "no", "no"], ["yes", "no", "go"])
    {'yes': 0.5, 'no': 1.0}
    """
    per_class = classification_report(labels, predicted, classes)["per_class"]
    present = set(labels)
    return {c: per_class[c]["recall"] for c in classes if c in present}


def _references(data: LabelledAudio) -> dict[str, list[str]]:
    """The utterance ids and true labels that predictions are paired on."""
    return {"ids": list(data.ids), "labels": list(data.labels)}


def format_transfer_table(result: Mapping) -> str:
    """The result of :func:`transfer_table` as a Markdown table.

    Example
    -------
    >>> print(format_transfer_table({"conditions": {"clean": {"utterance": {
    ...     "UA": 0.8, "delta_UA": 0.0, "unchanged": 1.0}}}, "domains": {"flite": {
    ...     "utterances": 8, "speakers": 2, "utterance": {"UA": 0.5,
    ...     "delta_UA": -0.3}}}}))
    | condition | UA (utterance) | ΔUA | unchanged |
    |---|---|---|---|
    | clean | 0.800 | +0.0 | 100.0 % |
    | domain flite (8 utt., 2 spk.) | 0.500 | -30.0 | – |
    """
    modes = [
        m
        for m in MODES
        if any(m in row for row in result["conditions"].values())
        or any(m in row for row in result.get("domains", {}).values())
    ]
    header = "| condition |" + "".join(f" UA ({m}) | ΔUA | unchanged |" for m in modes)
    lines = [header, "|---" + "|---|---|---" * len(modes) + "|"]
    for name, row in result["conditions"].items():
        label = f"{name} ({row['kbps']:.1f} kbit/s)" if "kbps" in row else name
        lines.append(f"| {label} |" + _mode_cells(row, modes))
    for name, row in result.get("domains", {}).items():
        label = f"domain {name} ({row['utterances']} utt., {row['speakers']} spk.)"
        lines.append(f"| {label} |" + _mode_cells(row, modes))
    return "\n".join(lines)


def _mode_cells(row: Mapping, modes: Sequence[str]) -> str:
    """``UA | ΔUA | unchanged |`` of each mode (``–`` where a row has none).

    Example
    -------
    >>> row = {"speaker": {"UA": 0.5, "delta_UA": -0.1}}
    >>> _mode_cells(row, ["utterance", "speaker"])
    ' – | – | – | 0.500 | -10.0 | – |'
    """
    cells = []
    for m in modes:
        r = row.get(m)
        if r is None:
            cells.append(" – | – | – |")
            continue
        unchanged = f"{100 * r['unchanged']:.1f} %" if "unchanged" in r else "–"
        cells.append(f" {r['UA']:.3f} | {100 * r['delta_UA']:+.1f} | {unchanged} |")
    return "".join(cells)


def read_domain(
    path: str | os.PathLike, sample_rate: int = 16000, label_column: str = "emo"
) -> LabelledAudio:
    """Reads a domain's utterances: a generated corpus folder or a manifest.

    Arguments
    ---------
    path : str or os.PathLike
        A folder holding ``corpus.csv`` (what the domain generators write),
        or a CSV manifest (``$data_root`` is its folder).
    sample_rate : int
        The rate to read at.
    label_column : str
        The column of the true labels.

    Returns
    -------
    LabelledAudio
    """
    path = Path(path)
    if path.is_dir():
        manifest = path / "corpus.csv"
        if not manifest.is_file():
            raise ValueError(
                f"{path}: a domain folder must hold corpus.csv (generate one "
                "with python -m speechbrain_lstm_ser.dataio.synthetic.domains)"
            )
    elif path.is_file():
        manifest = path
    else:
        raise ValueError(f"{path}: no such domain folder or manifest")
    data = read_labelled_audio(manifest, manifest.parent, sample_rate, label_column)
    if any(not s for s in data.speakers):
        raise ValueError(f"{manifest}: a domain needs spk_id for every utterance")
    return data


def no_speaker_mode(model) -> str | None:
    """Why a loaded classifier gets no per-speaker column; None when it gets one.

    Per speaker, each utterance is measured against a reference made of its
    speaker's utterances (enrolment). A speaker-normalised model
    (``normalization_reference: speaker``) trained with such references.
    Any other model's features are relative to each utterance (the commands
    model; the streaming model's running reference) or to nothing (no
    ``reference_norm``, e.g. an SSL front end): a speaker's reference is an
    input it never saw in training, so that column would measure the
    mismatch, not the model.

    Arguments
    ---------
    model : UtteranceClassifier
        A loaded classifier.

    Returns
    -------
    str or None
        One sentence naming the model and the reason; None for a
        speaker-normalised model.

    Example
    -------
    >>> from types import SimpleNamespace as NS
    >>> def fake(reference_norm, speaker_normalized):
    ...     return NS(source="run/model", enrol_waveforms=print,
    ...               speaker_normalized=speaker_normalized,
    ...               model=NS(reference_norm=reference_norm))
    >>> no_speaker_mode(fake("norm", True)) is None
    True
    >>> no_speaker_mode(fake("norm", False))[:50]
    'run/model measures each utterance against itself ('
    >>> no_speaker_mode(fake(None, False))[:50]
    'run/model has no reference normalisation (referenc'
    """
    name = getattr(model, "source", None) or type(model).__name__
    if not hasattr(model, "enrol_waveforms"):
        return f"{name} cannot enrol speakers"
    if getattr(model, "speaker_normalized", False):
        return None
    if getattr(getattr(model, "model", None), "reference_norm", None) is None:
        return (
            f"{name} has no reference normalisation (reference_norm): no "
            "speaker's reference reaches its features"
        )
    return (
        f"{name} measures each utterance against itself (normalization_reference: "
        "utterance): a speaker's reference is an input it never trained with"
    )


def model_predictors(
    model, modes: Sequence[str] = MODES, batch_size: int = 1
) -> dict[str, PredictorFactory]:
    """The predictor factories of a loaded classifier, per mode.

    Arguments
    ---------
    model : UtteranceClassifier
        A loaded model; ``speaker`` mode needs ``enrol_waveforms``.
    modes : sequence of str
        Any of :data:`MODES`.
    batch_size : int
        Waveforms per ``classify_batch`` call.

    Returns
    -------
    dict
        Mode -> ``factory(speakers) -> predictor``.
    """
    factories: dict[str, PredictorFactory] = {}
    for mode in modes:
        if mode == "utterance":
            factories[mode] = lambda _spk: classifier_predictor(model, batch_size)
        elif mode == "speaker":
            if not hasattr(model, "enrol_waveforms"):
                raise ValueError(
                    f"{type(model).__name__} cannot enrol speakers: evaluate "
                    "single utterances only"
                )
            factories[mode] = lambda spk: speaker_predictor(model, spk, batch_size)
        else:
            raise ValueError(f"unknown mode {mode!r}; choose among {MODES}")
    return factories


def babble_talkers(
    rows: Sequence[Mapping[str, str]], speakers: Sequence[str]
) -> list[str | None]:
    """The speaker of each row as a babble talker; None for a row without speech.

    A commands manifest's silence rows (``word`` :data:`SILENCE_WORD`) are
    background noise under a pseudo-speaker (``noise_<recording>``): babble
    made of them would be noise, not talkers.

    Arguments
    ---------
    rows : sequence of mapping
        The rows of the manifest the utterances were read from.
    speakers : sequence of str
        Their ``spk_id``, in its order.

    Returns
    -------
    list
        ``speakers``, None where the row holds no speech.

    Example
    -------
    >>> rows = [{"word": "yes"}, {"word": SILENCE_WORD}]
    >>> babble_talkers(rows, ["s1", "noise_pink"])
    ['s1', None]
    """
    return [
        None if row.get("word") == SILENCE_WORD else speaker
        for row, speaker in zip(rows, speakers, strict=True)
    ]


def evaluate_model_transfer(
    model,
    manifest: str | os.PathLike,
    data_folder: str | os.PathLike | None = None,
    label_column: str = "emo",
    groups: Sequence[str] = GROUPS,
    domains: Sequence[str | os.PathLike] = (),
    seed: int = 0,
    modes: Sequence[str] = MODES,
    batch_size: int = 1,
) -> dict:
    """:func:`transfer_table` of a loaded classifier: what the CLI runs.

    Arguments
    ---------
    model : UtteranceClassifier
        A loaded model (``classify_batch``, ``labels``, ``sample_rate``).
    manifest : str or os.PathLike
        The in-domain test manifest.
    data_folder : str or os.PathLike, optional
        Substituted for ``$data_root`` in it.
    label_column : str
        The column of the true labels.
    groups : sequence of str
        Condition groups (:data:`GROUPS`).
    domains : sequence of path
        Other domains (:func:`read_domain`), named by their folder or file.
    seed : int
        Seed of the random conditions.
    modes : sequence of str
        :data:`MODES` to measure.
    batch_size : int
        Waveforms per ``classify_batch`` call.

    Returns
    -------
    dict
        :func:`transfer_table`'s, with ``manifest``, ``seed`` and ``groups``.
    """
    rows = read_manifest(manifest, required=("ID", "wav", label_column))
    test = labelled_audio_of_rows(
        rows, manifest, data_folder, model.sample_rate, label_column
    )
    if "speaker" in modes or "noise" in groups:
        if any(not s for s in test.speakers):
            raise ValueError(
                f"{manifest}: per-speaker evaluation and babble noise need "
                "spk_id for every utterance"
            )
    read = {
        Path(d).name or str(d): read_domain(d, model.sample_rate, label_column)
        for d in domains
    }
    talkers = babble_talkers(rows, test.speakers)
    conditions = select_conditions(groups, model.sample_rate, talkers, seed)
    result = transfer_table(
        model_predictors(model, modes, batch_size),
        test,
        conditions,
        read,
        classes=model.labels,
    )
    return {
        "manifest": str(manifest),
        "seed": seed,
        "groups": list(groups),
        "domain_paths": {n: str(d) for n, d in zip(read, domains, strict=True)},
        **result,
    }
