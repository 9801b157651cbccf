"""Robustness to recording level and channel defects: any classifier, one table.

A recording's level (how loud it was recorded) and small channel defects (a
DC offset, clipping, a stereo file with one silent channel) should not change
which emotion a model hears. :func:`gain_robustness` measures it for any
predictor, a callable from a list of waveforms to predicted labels: the test
waveforms go through each condition (a perturbation of the waveform) and,
per condition, it reports UA, WA, and the share of utterances whose label is
unchanged from the reference condition (``0 dB``, the waveforms as read).

The criterion of issue 12: on the test split, at -20, -10 and +6 dB and with
a DC offset, UA within 2 points of the 0 dB UA and at least 90 % of the
labels unchanged (:func:`robustness_failures`). For dimensional models,
:func:`dimension_robustness` gives each dimension's CCC per condition, and
:func:`dimension_robustness_failures` checks issue 24's criterion: every
CCC within 0.02 of the 0 dB one.

``sb-lstm-ser robustness --model MODEL --manifest test.csv`` runs it on an
exported model (:func:`evaluate_classifier`); ``bench.run`` adds it to every
row of the benchmark, the classic baseline's included.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import NamedTuple

import numpy as np
import torch

from speechbrain_lstm_ser.dataio.audio import pad_waveforms, read_audio, to_mono
from speechbrain_lstm_ser.dataio.manifest import (
    DIMENSIONS,
    dimension_matrix,
    read_manifest,
    resolve_data_root,
)
from speechbrain_lstm_ser.evaluation.classification import classification_report
from speechbrain_lstm_ser.evaluation.conditions import apply_condition
from speechbrain_lstm_ser.evaluation.dimensions import concordance_correlation

__all__ = [
    "ALL_CONDITIONS",
    "CRITERION_CONDITIONS",
    "DEFAULT_CONDITIONS",
    "LabelledAudio",
    "add_dc_offset",
    "apply_gain",
    "classifier_predictor",
    "clip_peaks",
    "dimension_predictor",
    "dimension_robustness",
    "dimension_robustness_failures",
    "format_dimension_robustness",
    "evaluate_classifier",
    "format_robustness",
    "gain_robustness",
    "mix_with_silent_channel",
    "labelled_audio_of_rows",
    "log_probability_predictor",
    "read_labelled_audio",
    "robustness_failures",
    "speaker_predictor",
]

#: A predictor: waveforms ``(time,)`` at the model's rate -> one label each.
Predictor = Callable[[list[torch.Tensor]], Sequence[str]]
#: A condition: one waveform ``(time,)`` -> the perturbed waveform.
Perturbation = Callable[[torch.Tensor], torch.Tensor]


# ------------------------------------------------------------ perturbations
def apply_gain(wav: torch.Tensor, db: float) -> torch.Tensor:
    """The waveform scaled by ``db`` decibels (no clipping: float samples).

    Arguments
    ---------
    wav : torch.Tensor
        ``(time,)`` or ``(batch, time)`` waveform(s).
    db : float
        Gain in dB: -20 is a tenth of the amplitude, +6 about twice.

    Returns
    -------
    torch.Tensor
        Same shape.

    Example
    -------
    >>> apply_gain(torch.tensor([0.5, -0.5]), -20.0)
    tensor([ 0.0500, -0.0500])
    """
    return wav * 10.0 ** (db / 20.0)


def add_dc_offset(wav: torch.Tensor, offset: float = 0.05) -> torch.Tensor:
    """The waveform shifted by a constant (a DC offset, as from a faulty ADC).

    Arguments
    ---------
    wav : torch.Tensor
        ``(time,)`` or ``(batch, time)`` waveform(s), full scale 1.
    offset : float
        Added to every sample (0.05 is -26 dBFS).

    Returns
    -------
    torch.Tensor
        Same shape.

    Example
    -------
    >>> add_dc_offset(torch.zeros(3), 0.1)
    tensor([0.1000, 0.1000, 0.1000])
    """
    return wav + offset


def clip_peaks(wav: torch.Tensor, ratio: float = 0.5) -> torch.Tensor:
    """The waveform hard-clipped at ``ratio`` times its own peak amplitude.

    The distortion of a recording made too loud, at the recording's level
    (the clipped waveform's peak is ``ratio`` times the original one).

    Arguments
    ---------
    wav : torch.Tensor
        ``(time,)`` waveform.
    ratio : float
        Clipping level as a fraction of the peak, in (0, 1].

    Returns
    -------
    torch.Tensor
        ``(time,)``.

    Example
    -------
    >>> clip_peaks(torch.tensor([1.0, -0.2, 0.6, -0.8]), 0.5)
    tensor([ 0.5000, -0.2000,  0.5000, -0.5000])
    """
    if not 0 < ratio <= 1:
        raise ValueError(f"ratio must be in (0, 1], got {ratio}")
    level = ratio * wav.abs().max()
    return torch.maximum(torch.minimum(wav, level), -level)


def mix_with_silent_channel(wav: torch.Tensor) -> torch.Tensor:
    """A stereo recording with a silent second channel, mixed down to mono.

    Mixed as every file is read (:func:`~speechbrain_lstm_ser.dataio.audio.to_mono`):
    the silent channel is left out, so the speech keeps its level (a plain
    mean of the channels would make it 6 dB lower).

    Arguments
    ---------
    wav : torch.Tensor
        ``(time,)`` waveform (the first channel).

    Returns
    -------
    torch.Tensor
        ``(time,)``.

    Example
    -------
    >>> mix_with_silent_channel(torch.tensor([0.4, -0.2]))
    tensor([ 0.4000, -0.2000])
    """
    return to_mono(torch.stack([wav, torch.zeros_like(wav)], dim=-1))


def _identity(wav: torch.Tensor) -> torch.Tensor:
    return wav


#: The conditions of the criterion, the reference (``0 dB``) first.
DEFAULT_CONDITIONS: dict[str, Perturbation] = {
    "0 dB": _identity,
    "-20 dB": partial(apply_gain, db=-20.0),
    "-10 dB": partial(apply_gain, db=-10.0),
    "+6 dB": partial(apply_gain, db=6.0),
    "DC": partial(add_dc_offset, offset=0.05),
}
#: The conditions the criterion is checked at (every default one but ``0 dB``).
CRITERION_CONDITIONS = ("-20 dB", "-10 dB", "+6 dB", "DC")
#: The default conditions, and clipping and a silent second channel.
ALL_CONDITIONS: dict[str, Perturbation] = {
    **DEFAULT_CONDITIONS,
    "clipped": partial(clip_peaks, ratio=0.5),
    "silent 2nd channel": mix_with_silent_channel,
}


# -------------------------------------------------------------- evaluation
def _predict_conditions(
    predict: Callable[[list[torch.Tensor]], Sequence],
    wavs: Sequence[torch.Tensor],
    conditions: Mapping[str, Perturbation] | None,
    reference: str,
    what: str = "labels",
) -> tuple[dict, dict]:
    """The conditions (default :data:`DEFAULT_CONDITIONS`), and the predictions.

    The waveforms are predicted under each condition (the reference first),
    one prediction (``what``, for the error) per waveform.
    """
    conditions = dict(DEFAULT_CONDITIONS if conditions is None else conditions)
    if reference not in conditions:
        raise ValueError(
            f"the conditions {list(conditions)} lack the reference {reference!r}"
        )
    predictions = {}
    for name in [reference, *(c for c in conditions if c != reference)]:
        predicted = predict(apply_condition(conditions[name], wavs))
        if len(predicted) != len(wavs):
            raise ValueError(
                f"{name}: the predictor returned {len(predicted)} {what} for "
                f"{len(wavs)} waveforms"
            )
        predictions[name] = predicted
    return conditions, predictions


def gain_robustness(
    predict: Predictor,
    wavs: Sequence[torch.Tensor],
    labels: Sequence[str],
    conditions: Mapping[str, Perturbation] | None = None,
    reference: str = "0 dB",
    classes: Sequence[str] | None = None,
) -> dict[str, dict]:
    """UA, WA and labels unchanged under each condition, for any predictor.

    Arguments
    ---------
    predict : callable
        ``predict(list of (time,) waveforms) -> labels``, one per waveform
        (see :func:`classifier_predictor`; a classic baseline fits too).
    wavs : sequence of torch.Tensor
        ``(time,)`` test waveforms, as read.
    labels : sequence of str
        Their true labels.
    conditions : mapping, optional
        Name -> perturbation of one waveform, or an object whose
        ``apply_all(wavs)`` corrupts the whole set (the noises, rooms and
        codecs of :mod:`~speechbrain_lstm_ser.evaluation.conditions`)
        (default :data:`DEFAULT_CONDITIONS`); must hold ``reference``.
    reference : str
        The condition the others are compared with.
    classes : sequence of str, optional
        The class set (default: the labels present).

    Returns
    -------
    dict
        Per condition, in the order given: ``UA``, ``WA``, ``delta_UA``
        (UA - reference UA) and ``unchanged`` (share of utterances predicted
        as under the reference condition), and its ``predictions``.

    Example
    -------
    >>> wavs = [torch.full((100,), a) for a in (0.01, 0.02, 0.2, 0.4)]
    >>> loud = lambda ws: ["loud" if w.abs().mean() > 0.05 else "soft" for w in ws]
    >>> res = gain_robustness(loud, wavs, ["soft", "soft", "loud", "loud"])
    >>> res["0 dB"]["UA"], res["-20 dB"]["UA"], res["-20 dB"]["unchanged"]
    (1.0, 0.5, 0.5)
    """
    if len(wavs) != len(labels) or not wavs:
        raise ValueError(f"{len(wavs)} waveforms for {len(labels)} labels")
    classes = list(classes or sorted(set(labels)))
    conditions, predictions = _predict_conditions(predict, wavs, conditions, reference)
    predictions = {name: list(predicted) for name, predicted in predictions.items()}
    base = predictions[reference]
    base_ua = classification_report(labels, base, classes)["unweighted_accuracy"]
    results = {}
    for name in conditions:
        predicted = predictions[name]
        report = classification_report(labels, predicted, classes)
        same = sum(a == b for a, b in zip(predicted, base, strict=True))
        results[name] = {
            "UA": report["unweighted_accuracy"],
            "WA": report["accuracy"],
            "delta_UA": report["unweighted_accuracy"] - base_ua,
            "unchanged": same / len(base),
            "predictions": predicted,
        }
    return results


def _evaluated(
    results: Mapping[str, Mapping], conditions: Sequence[str], failures: list[str]
):
    """``(name, result)`` of each checked condition that was evaluated.

    A condition missing from ``results`` is a failure instead
    (``"<name>: not evaluated"``, appended to ``failures`` in order).
    """
    for name in conditions:
        if name in results:
            yield name, results[name]
        else:
            failures.append(f"{name}: not evaluated")


def robustness_failures(
    results: Mapping[str, Mapping],
    conditions: Sequence[str] = CRITERION_CONDITIONS,
    max_ua_drop: float = 0.02,
    min_unchanged: float = 0.9,
) -> list[str]:
    """What fails the criterion: UA within ``max_ua_drop``, labels unchanged.

    Arguments
    ---------
    results : mapping
        The output of :func:`gain_robustness`.
    conditions : sequence of str
        The conditions checked (default :data:`CRITERION_CONDITIONS`).
    max_ua_drop : float
        Largest allowed ``|UA - reference UA|`` (0.02: 2 points).
    min_unchanged : float
        Smallest allowed share of unchanged labels.

    Returns
    -------
    list of str
        One line per failure; empty when the criterion holds.

    Example
    -------
    >>> for line in robustness_failures(
    ...     {"-20 dB": {"delta_UA": -0.2, "unchanged": 0.6}}, conditions=["-20 dB"]
    ... ):
    ...     print(line)
    -20 dB: UA -20.0 points from the reference (allowed ±2.0)
    -20 dB: 60.0 % of labels unchanged (at least 90.0 %)
    """
    failures: list[str] = []
    for name, result in _evaluated(results, conditions, failures):
        delta, unchanged = result["delta_UA"], result["unchanged"]
        if abs(delta) > max_ua_drop + 1e-9:
            failures.append(
                f"{name}: UA {100 * delta:+.1f} points from the reference "
                f"(allowed ±{100 * max_ua_drop:.1f})"
            )
        if unchanged < min_unchanged - 1e-9:
            failures.append(
                f"{name}: {100 * unchanged:.1f} % of labels unchanged "
                f"(at least {100 * min_unchanged:.1f} %)"
            )
    return failures


def dimension_robustness(
    predict: Callable[[list[torch.Tensor]], Sequence[Sequence[float]]],
    wavs: Sequence[torch.Tensor],
    targets,
    conditions: Mapping[str, Perturbation] | None = None,
    reference: str = "0 dB",
    names: Sequence[str] = DIMENSIONS,
) -> dict[str, dict]:
    """Each dimension's CCC under each condition, and its change, for any predictor.

    The regression twin of :func:`gain_robustness` (issue 24: CCC within
    0.02 from -20 to +6 dB; :func:`dimension_robustness_failures`).

    Arguments
    ---------
    predict : callable
        ``predict(list of (time,) waveforms) -> (N, len(names))`` values.
    wavs : sequence of torch.Tensor
        ``(time,)`` test waveforms, as read.
    targets : array_like
        ``(N, len(names))`` references; ``nan`` = unknown (left out).
    conditions : mapping, optional
        As for :func:`gain_robustness` (default :data:`DEFAULT_CONDITIONS`).
    reference : str
        The condition the others are compared with.
    names : sequence of str
        The dimensions.

    Returns
    -------
    dict
        Per condition, in the order given: ``CCC`` and ``delta_CCC`` (CCC -
        reference CCC), each ``{dimension: float or None}``, and
        ``predictions`` (a list of rows).

    Example
    -------
    >>> wavs = [torch.full((100,), a) for a in (0.01, 0.02, 0.2, 0.4)]
    >>> level = lambda ws: [[min(1.0, 2 * w.abs().mean().item())] for w in ws]
    >>> res = dimension_robustness(level, wavs, [[0.02], [0.04], [0.4], [0.8]],
    ...                            names=["arousal"])
    >>> [round(res[c]["CCC"]["arousal"], 3) for c in ("0 dB", "+6 dB")]
    [1.0, 0.838]
    >>> dimension_robustness_failures(res, conditions=["-10 dB", "+6 dB"])
    ['-10 dB: arousal CCC -0.594 from the reference (allowed ±0.020)', \
'+6 dB: arousal CCC -0.162 from the reference (allowed ±0.020)']
    """
    targets = np.asarray(targets, dtype=np.float64).reshape(len(wavs), len(names))
    conditions, predictions = _predict_conditions(
        predict, wavs, conditions, reference, "rows"
    )

    def cccs(rows) -> dict:
        rows = np.asarray(rows, dtype=np.float64).reshape(targets.shape)
        out = {}
        for d, name in enumerate(names):
            known = ~np.isnan(targets[:, d])
            value = concordance_correlation(rows[known, d], targets[known, d])
            out[name] = None if math.isnan(value) else value
        return out

    base = cccs(predictions[reference])
    results = {}
    for name in conditions:
        ccc = cccs(predictions[name])
        results[name] = {
            "CCC": ccc,
            "delta_CCC": {
                n: None if ccc[n] is None or base[n] is None else ccc[n] - base[n]
                for n in names
            },
            "predictions": np.asarray(predictions[name], dtype=float).tolist(),
        }
    return results


def dimension_robustness_failures(
    results: Mapping[str, Mapping],
    conditions: Sequence[str] = CRITERION_CONDITIONS,
    max_ccc_change: float = 0.02,
) -> list[str]:
    """What fails the criterion: each dimension's CCC within ``max_ccc_change``.

    Arguments
    ---------
    results : mapping
        The output of :func:`dimension_robustness`.
    conditions : sequence of str
        The conditions checked (default :data:`CRITERION_CONDITIONS`).
    max_ccc_change : float
        Largest allowed ``|CCC - reference CCC|``.

    Returns
    -------
    list of str
        One line per failure; empty when the criterion holds.

    Example
    -------
    >>> dimension_robustness_failures(
    ...     {"-20 dB": {"delta_CCC": {"arousal": -0.05, "valence": 0.01}}},
    ...     conditions=["-20 dB", "+6 dB"])
    ['-20 dB: arousal CCC -0.050 from the reference (allowed ±0.020)', \
'+6 dB: not evaluated']
    """
    failures: list[str] = []
    for name, result in _evaluated(results, conditions, failures):
        for dimension, delta in result["delta_CCC"].items():
            if delta is None:
                failures.append(f"{name}: {dimension} CCC undefined")
            elif abs(delta) > max_ccc_change + 1e-9:
                failures.append(
                    f"{name}: {dimension} CCC {delta:+.3f} from the reference "
                    f"(allowed ±{max_ccc_change:.3f})"
                )
    return failures


def format_robustness(results: Mapping[str, Mapping]) -> str:
    """The results of :func:`gain_robustness` as a Markdown table.

    Example
    -------
    >>> print(format_robustness({"0 dB": {"UA": 0.75, "WA": 0.75, "delta_UA": 0.0,
    ...                                   "unchanged": 1.0}}))
    | condition | UA | WA | ΔUA (points) | labels unchanged |
    |---|---|---|---|---|
    | 0 dB | 0.750 | 0.750 | +0.0 | 100.0 % |
    """
    lines = [
        "| condition | UA | WA | ΔUA (points) | labels unchanged |",
        "|---|---|---|---|---|",
    ]
    for name, r in results.items():
        lines.append(
            f"| {name} | {r['UA']:.3f} | {r['WA']:.3f} | "
            f"{100 * r['delta_UA']:+.1f} | {100 * r['unchanged']:.1f} % |"
        )
    return "\n".join(lines)


def format_dimension_robustness(results: Mapping[str, Mapping]) -> str:
    """The results of :func:`dimension_robustness` as a Markdown table.

    Example
    -------
    >>> print(format_dimension_robustness({"0 dB": {"CCC": {"arousal": 0.9,
    ...     "valence": None}, "delta_CCC": {"arousal": 0.0, "valence": None}}}))
    | condition | CCC arousal | ΔCCC | CCC valence | ΔCCC |
    |---|---|---|---|---|
    | 0 dB | 0.900 | +0.000 | – | – |
    """
    names = list(next(iter(results.values()))["CCC"]) if results else []

    def cell(value, sign: str = "") -> str:
        return "–" if value is None else f"{value:{sign}.3f}"

    lines = [
        "| condition | " + " | ".join(f"CCC {n} | ΔCCC" for n in names) + " |",
        "|---|" + "---|---|" * len(names),
    ]
    for name, r in results.items():
        cells = [f"{cell(r['CCC'][n])} | {cell(r['delta_CCC'][n], '+')}" for n in names]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


# ------------------------------------------------------- models and data
def classifier_predictor(model, batch_size: int = 1) -> Predictor:
    """A predictor from a loaded classifier (anything with ``classify_batch``).

    Arguments
    ---------
    model : UtteranceClassifier
        E.g. an :class:`~speechbrain_lstm_ser.inference.emotion.EmotionRecognizer`
        (its ``classify_batch(wavs, wav_lens)`` returns the labels 4th).
    batch_size : int
        Waveforms per call. 1 (default): each prediction is independent of
        the others (no padding).

    Returns
    -------
    callable
        ``predict(list of (time,) waveforms) -> list of str``.
    """
    return _batched(_labels_of(model), batch_size)


def speaker_predictor(model, speakers: Sequence[str], batch_size: int = 1) -> Predictor:
    """A predictor that measures every utterance against its speaker.

    For a speaker-normalised model: each call enrols every speaker with all
    of that speaker's waveforms *as given* (so a gain applied to a speaker's
    recordings applies to their reference too: the transductive test of the
    recipe), then classifies each waveform against its speaker.

    Arguments
    ---------
    model : UtteranceClassifier
        A loaded model with ``enrol_waveforms``.
    speakers : sequence of str
        The speaker of each waveform the predictor will get, in order.
    batch_size : int
        Waveforms per ``classify_batch`` call.

    Returns
    -------
    callable
        ``predict(list of (time,) waveforms) -> list of str``.
    """
    return _batched(_labels_of(model), batch_size, model, speakers)


def log_probability_predictor(
    model, speakers: Sequence[str] | None = None, batch_size: int = 1
) -> Callable[[list[torch.Tensor]], list[list[float]]]:
    """A predictor of a classifier's log-probabilities instead of its labels.

    Alone, or (with ``speakers``) each utterance against its speaker, as
    :func:`speaker_predictor` does for the labels. What an ensemble with
    another classifier fuses (``bench.fusion``).

    Arguments
    ---------
    model : UtteranceClassifier
        A loaded classifier (``outputs``; ``enrol_waveforms`` with ``speakers``).
    speakers : sequence of str, optional
        The speaker of each waveform the predictor will get, in order.
    batch_size : int
        Waveforms per call.

    Returns
    -------
    callable
        ``predict(list of (time,) waveforms) -> list of rows``: one
        log-probability per class, in the order of ``model.labels``.
    """
    return _batched(_outputs_of(model, 0), batch_size, model, speakers)


def dimension_predictor(
    model, speakers: Sequence[str] | None = None, batch_size: int = 1
) -> Predictor:
    """A predictor of a dimensional model's arousal, valence and dominance.

    Alone, or (with ``speakers``) each utterance against its speaker, as
    :func:`speaker_predictor` does for the labels.

    Arguments
    ---------
    model : UtteranceClassifier
        A loaded model with a regressor (``dimension_names`` not empty).
    speakers : sequence of str, optional
        The speaker of each waveform the predictor will get, in order.
    batch_size : int
        Waveforms per call.

    Returns
    -------
    callable
        ``predict(list of (time,) waveforms) -> list of rows`` (one value
        per dimension).
    """
    if not getattr(model, "dimension_names", ()):
        raise ValueError("the model has no regressor: it predicts no dimensions")
    return _batched(_outputs_of(model, 1), batch_size, model, speakers)


def _labels_of(model):
    """``(batch, lens, speaker) -> labels`` of a classifier."""

    def labels(batch, lens, speaker):
        kwargs = {} if speaker is None else {"speaker": speaker}
        return list(model.classify_batch(batch, lens, **kwargs)[3])

    return labels


def _outputs_of(model, index: int):
    """``(batch, lens, speaker) -> rows`` of ``model.outputs``' ``index``-th tensor.

    0: the log-probabilities, 1: the dimensions.
    """

    def rows(batch, lens, speaker):
        return model.outputs(batch, lens, speaker=speaker)[index].tolist()

    return rows


def _batched(
    output, batch_size: int, model=None, speakers: Sequence[str] | None = None
) -> Predictor:
    """``output(batch, lens, speaker)`` over a list of waveforms, in batches.

    With ``speakers``, every speaker is enrolled with all of its waveforms
    first (and forgotten after), and each batch passes its speakers.
    """

    def predict(wavs: list[torch.Tensor]) -> list:
        if speakers is not None:
            if len(wavs) != len(speakers):
                raise ValueError(f"{len(wavs)} waveforms for {len(speakers)} speakers")
            model.forget()
            for speaker in dict.fromkeys(speakers):
                model.enrol_waveforms(
                    speaker,
                    [w for w, s in zip(wavs, speakers, strict=True) if s == speaker],
                )
        out: list = []
        for start in range(0, len(wavs), batch_size):
            batch, lens = pad_waveforms(wavs[start : start + batch_size])
            chunk = (
                None if speakers is None else list(speakers[start : start + batch_size])
            )
            out += output(batch, lens, chunk)
        if speakers is not None:
            model.forget()
        return out

    return predict


class LabelledAudio(NamedTuple):
    """The utterances of a manifest, read: waveforms and their columns."""

    ids: list[str]
    wavs: list[torch.Tensor]
    labels: list[str]
    speakers: list[str]
    genders: list[str]
    #: ``(N, 3)`` arousal, valence, dominance (nan: unknown); None when the
    #: manifest has no dimension column.
    dimensions: np.ndarray | None = None


def read_labelled_audio(
    manifest: str | os.PathLike,
    data_folder: str | os.PathLike | None = None,
    sample_rate: int = 16000,
    label_column: str | None = "emo",
) -> LabelledAudio:
    """Reads every utterance of a manifest (a test split, usually).

    Arguments
    ---------
    manifest : str or os.PathLike
        A CSV manifest with ``ID, wav`` and ``label_column``.
    data_folder : str or os.PathLike, optional
        Substituted for ``$data_root`` in ``wav`` (required when used).
    sample_rate : int
        The rate to read at (the model's).
    label_column : str, optional
        The column holding the true labels (``emo``, ``command``); None for
        a manifest read for its dimensions only (``labels`` then empty).

    Returns
    -------
    LabelledAudio
        ``speakers`` and ``genders`` are empty strings where the manifest has
        no ``spk_id`` / ``gender`` column.
    """
    required = ("ID", "wav") if label_column is None else ("ID", "wav", label_column)
    rows = read_manifest(manifest, required=required)
    return labelled_audio_of_rows(
        rows, manifest, data_folder, sample_rate, label_column
    )


def labelled_audio_of_rows(
    rows: Sequence[Mapping[str, str]],
    manifest: str | os.PathLike,
    data_folder: str | os.PathLike | None = None,
    sample_rate: int = 16000,
    label_column: str | None = "emo",
) -> LabelledAudio:
    """:func:`read_labelled_audio` of rows already read (and checked) from ``manifest``.

    Arguments
    ---------
    rows : sequence of mapping
        The manifest's rows (``ID``, ``wav``, and ``label_column`` if given).
    manifest : str or os.PathLike
        Where the rows come from (named in the errors).
    data_folder : str or os.PathLike, optional
        Substituted for ``$data_root`` in ``wav`` (required when used).
    sample_rate : int
        The rate to read at.
    label_column : str, optional
        The column of the true labels; None: ``labels`` empty.

    Returns
    -------
    LabelledAudio
    """
    if data_folder is None and any("$data_root" in r["wav"] for r in rows):
        raise ValueError(
            f"{manifest}: its wav paths start with $data_root: give the corpus "
            "folder (--data_folder)"
        )
    wavs = [
        read_audio(
            resolve_data_root(r["wav"], data_folder or ""),
            sample_rate,
            *_segment(r, manifest),
        )
        for r in rows
    ]
    return LabelledAudio(
        ids=[r["ID"] for r in rows],
        wavs=wavs,
        labels=[] if label_column is None else [r[label_column] for r in rows],
        speakers=[r.get("spk_id", "") for r in rows],
        genders=[r.get("gender", "") for r in rows],
        dimensions=_dimension_columns(rows),
    )


def _segment(
    row: Mapping[str, str], manifest: str | os.PathLike
) -> tuple[float | None, float | None]:
    """A row's ``start`` / ``stop`` in seconds (None: empty or no such column).

    A commands manifest's silence clips are one-second segments of a noise
    recording (``start``, ``stop``); other rows are whole files.

    Example
    -------
    >>> _segment({"ID": "s", "start": "54.2", "stop": "55.2"}, "test.csv")
    (54.2, 55.2)
    >>> _segment({"ID": "u", "start": ""}, "test.csv")
    (None, None)
    >>> _segment({"ID": "u", "start": "soon"}, "test.csv")
    Traceback (most recent call last):
    ...
    ValueError: test.csv: row u: start 'soon' is not a number of seconds
    """
    bounds = []
    for column in ("start", "stop"):
        value = (row.get(column) or "").strip()
        try:
            bounds.append(float(value) if value else None)
        except ValueError:
            raise ValueError(
                f"{manifest}: row {row['ID']}: {column} {value!r} is not a "
                "number of seconds"
            ) from None
    return bounds[0], bounds[1]


def _dimension_columns(rows: Sequence[Mapping[str, str]]) -> np.ndarray | None:
    """The manifest's ``(N, 3)`` dimensions (nan where empty), or None."""
    if not rows or not any(name in rows[0] for name in DIMENSIONS):
        return None
    return dimension_matrix(rows)


# ------------------------------------------------------------ a model
def evaluate_classifier(
    model,
    manifest: str | os.PathLike,
    data_folder: str | os.PathLike | None = None,
    label_column: str = "emo",
    conditions: Mapping[str, Perturbation] | None = None,
    batch_size: int = 1,
    by_speaker: bool = False,
) -> dict:
    """:func:`gain_robustness` of a loaded classifier on a manifest's utterances.

    What ``sb-lstm-ser robustness`` runs.

    Arguments
    ---------
    model : UtteranceClassifier
        A loaded model (``classify_batch``, ``labels``, ``sample_rate``).
    manifest : str or os.PathLike
        The test CSV manifest.
    data_folder : str or os.PathLike, optional
        Substituted for ``$data_root`` in the manifest.
    label_column : str
        The column of the true labels.
    conditions : mapping, optional
        Default :data:`DEFAULT_CONDITIONS`.
    batch_size : int
        Waveforms per ``classify_batch`` call.
    by_speaker : bool
        Measure each utterance against its speaker (the manifest's
        ``spk_id``; see :func:`speaker_predictor`) instead of alone.

    Returns
    -------
    dict
        ``conditions`` (:func:`gain_robustness`, predictions keyed by ID),
        ``failures`` (:func:`robustness_failures`), ``manifest``,
        ``utterances``; for a model with a regressor on a manifest with
        dimension columns also ``dimensions`` (:func:`dimension_robustness`)
        and ``dimension_failures``.
    """
    categories = getattr(model, "classifier_trained", True)
    data = read_labelled_audio(
        manifest, data_folder, model.sample_rate, label_column if categories else None
    )
    summary = {
        "manifest": str(manifest),
        "reference": "speaker" if by_speaker else "utterance",
        "utterances": len(data.wavs),
        "conditions": {},
        "failures": [],
    }
    if categories:
        predictor = (
            speaker_predictor(model, data.speakers, batch_size)
            if by_speaker
            else classifier_predictor(model, batch_size)
        )
        results = gain_robustness(
            predictor, data.wavs, data.labels, conditions, classes=model.labels
        )
        for result in results.values():
            ids = zip(data.ids, result["predictions"], strict=True)
            result["predictions"] = dict(ids)
        summary["conditions"] = results
        summary["failures"] = robustness_failures(results)
    names = getattr(model, "dimension_names", ())
    if names and data.dimensions is not None:
        speakers = data.speakers if by_speaker else None
        dims = dimension_robustness(
            dimension_predictor(model, speakers, batch_size),
            data.wavs,
            data.dimensions[:, : len(names)],
            conditions,
            names=names,
        )
        summary["dimensions"] = dims
        summary["dimension_failures"] = dimension_robustness_failures(dims)
    return summary
