"""Robustness of a speech recogniser: WER per recording condition, one table.

The test waveforms go through each condition and are transcribed again:
recording level (the gain conditions of
:mod:`~speechbrain_lstm_ser.evaluation.robustness`) and the corruptions of
:mod:`~speechbrain_lstm_ser.evaluation.conditions` (white, pink and babble
noise at several SNRs, rooms, telephone channels, lossy codecs). Per
condition: WER and CER (SpeechBrain's ``ErrorRateStats``, through
:func:`~speechbrain_lstm_ser.evaluation.transcription.error_rates`) and the
WER change from the waveforms as read (``0 dB``).

``sb-lstm-ser robustness --model ASR_MODEL --manifest test.csv`` runs it on
an exported speech recogniser (:func:`evaluate_recognizer`).

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence

import torch

from speechbrain_lstm_ser.dataio.audio import pad_waveforms
from speechbrain_lstm_ser.evaluation.conditions import (
    CONDITION_GROUPS,
    apply_condition,
    build_conditions,
)
from speechbrain_lstm_ser.evaluation.robustness import (
    DEFAULT_CONDITIONS,
    read_labelled_audio,
)
from speechbrain_lstm_ser.evaluation.transcription import error_rates

__all__ = [
    "ASR_CONDITIONS",
    "REFERENCE",
    "evaluate_recognizer",
    "format_transcription_robustness",
    "recognizer_transcriber",
    "transcription_conditions",
    "transcription_robustness",
]

#: A transcriber: waveforms ``(time,)`` at the model's rate -> one text each.
Transcriber = Callable[[list[torch.Tensor]], Sequence[str]]

#: The condition every other is compared with: the waveforms as read.
REFERENCE = "0 dB"
#: The default conditions of the ASR table (names of
#: :func:`transcription_conditions`).
ASR_CONDITIONS = (
    REFERENCE,
    "-20 dB",
    "+6 dB",
    "white noise 20 dB",
    "white noise 10 dB",
    "babble noise 20 dB",
    "babble noise 10 dB",
    "room RT60 0.6 s",
    "telephone GSM",
)


def transcription_conditions(
    names: Sequence[str] | None = None,
    groups: Sequence[str] = (),
    sample_rate: int = 16000,
    speakers: Sequence[str] | None = None,
    seed: int = 0,
) -> dict:
    """The named conditions and those of whole groups, the reference first.

    Arguments
    ---------
    names : sequence of str, optional
        Conditions by name: the gain / DC ones of
        :data:`~speechbrain_lstm_ser.evaluation.robustness.DEFAULT_CONDITIONS`
        and those :func:`~speechbrain_lstm_ser.evaluation.conditions.build_conditions`
        builds; default :data:`ASR_CONDITIONS` when no group is given.
    groups : sequence of str
        Whole groups: ``gain`` or any of
        :data:`~speechbrain_lstm_ser.evaluation.conditions.CONDITION_GROUPS`.
    sample_rate : int
        Of the evaluated waveforms.
    speakers : sequence of str, optional
        The speaker of each waveform (babble noise mixes other speakers).
    seed : int
        The seed of the noises and rooms.

    Returns
    -------
    dict
        Name -> a per-waveform function or an object with ``apply_all``.

    Example
    -------
    >>> list(transcription_conditions(["-20 dB", "telephone GSM"]))
    ['0 dB', '-20 dB', 'telephone GSM']
    >>> list(transcription_conditions(groups=["gain"]))
    ['0 dB', '-20 dB', '-10 dB', '+6 dB', 'DC']
    >>> transcription_conditions(["loud"])
    Traceback (most recent call last):
    ...
    ValueError: unknown condition(s) loud; choose among 0 dB, -20 dB, ...
    """
    unknown_groups = [g for g in groups if g not in ("gain", *CONDITION_GROUPS)]
    if unknown_groups:
        raise ValueError(
            f"unknown condition group(s) {', '.join(unknown_groups)}; choose "
            f"among gain, {', '.join(CONDITION_GROUPS)}"
        )
    if names is None:
        names = () if groups else ASR_CONDITIONS
    # Every condition by group, to check the names (babble gets its speakers below).
    by_group = {
        group: build_conditions([group], sample_rate, speakers or [], seed)
        for group in CONDITION_GROUPS
    }
    known = dict(DEFAULT_CONDITIONS)
    for built in by_group.values():
        known.update(built)
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ValueError(
            f"unknown condition(s) {', '.join(unknown)}; choose among "
            f"{', '.join(known)}"
        )
    selected = [REFERENCE, *names]
    if "gain" in groups:
        selected += list(DEFAULT_CONDITIONS)
    selected += [n for g in CONDITION_GROUPS if g in groups for n in by_group[g]]
    selected = list(dict.fromkeys(selected))
    if speakers is None and any(n.startswith("babble") for n in selected):
        raise ValueError("babble noise needs the speaker of every waveform (spk_id)")
    return {name: known[name] for name in selected}


def transcription_robustness(
    transcribe: Transcriber,
    wavs: Sequence[torch.Tensor],
    references: Sequence[str],
    conditions: Mapping,
) -> dict[str, dict]:
    """WER and CER of a transcriber under each condition, the reference first.

    Arguments
    ---------
    transcribe : callable
        Waveforms ``(time,)`` -> one transcript each.
    wavs : sequence of torch.Tensor
        The test waveforms as read.
    references : sequence of str
        Their reference transcripts.
    conditions : mapping
        Name -> condition (see :func:`transcription_conditions`); must hold
        :data:`REFERENCE`.

    Returns
    -------
    dict
        Name -> ``error_rates`` (``WER``, ``CER``, counts), ``delta_WER``
        (points from the reference) and ``hypotheses``.

    Example
    -------
    >>> wavs = [torch.ones(100), 0.01 * torch.ones(100)]
    >>> loud = lambda ws: ["GO" if w.abs().max() > 0.5 else "" for w in ws]
    >>> table = transcription_robustness(
    ...     loud, wavs, ["GO", "GO"], transcription_conditions(["-20 dB"]))
    >>> table["0 dB"]["WER"], table["-20 dB"]["WER"], table["-20 dB"]["delta_WER"]
    (50.0, 100.0, 50.0)
    """
    if REFERENCE not in conditions:
        raise ValueError(f"the conditions {list(conditions)} lack {REFERENCE!r}")
    if len(wavs) != len(references):
        raise ValueError(f"{len(wavs)} waveforms for {len(references)} references")
    results: dict[str, dict] = {}
    for name in [REFERENCE, *(c for c in conditions if c != REFERENCE)]:
        hypotheses = list(transcribe(apply_condition(conditions[name], wavs)))
        if len(hypotheses) != len(wavs):
            raise ValueError(
                f"{name}: {len(hypotheses)} transcripts for {len(wavs)} waveforms"
            )
        rates = error_rates(references, hypotheses)
        rates["delta_WER"] = rates["WER"] - results.get(REFERENCE, rates)["WER"]
        results[name] = {**rates, "hypotheses": hypotheses}
    return results


def recognizer_transcriber(model, batch_size: int = 8) -> Transcriber:
    """A loaded ``SpeechRecognizer``'s ``transcribe_batch``, batch by batch.

    The waveforms are transcribed in the order given (sort them by length
    for less padding).

    Arguments
    ---------
    model : SpeechRecognizer
        Anything with ``transcribe_batch(wavs, lens) -> (texts, tokens)``.
    batch_size : int
        Waveforms per padded batch.

    Returns
    -------
    callable
    """

    def transcribe(wavs: list[torch.Tensor]) -> list[str]:
        texts: list[str] = []
        for start in range(0, len(wavs), batch_size):
            batch, lens = pad_waveforms(wavs[start : start + batch_size])
            texts += model.transcribe_batch(batch, lens)[0]
        return texts

    return transcribe


def evaluate_recognizer(
    model,
    manifest: str | os.PathLike,
    data_folder: str | os.PathLike | None = None,
    conditions: Sequence[str] | None = None,
    groups: Sequence[str] = (),
    batch_size: int = 8,
    seed: int = 0,
    text_column: str = "wrd",
) -> dict:
    """The robustness table of an exported speech recogniser on a manifest.

    Arguments
    ---------
    model : SpeechRecognizer
        A loaded recogniser (its decoding: beam or greedy, as loaded).
    manifest : str or os.PathLike
        A test manifest with ``ID, wav, spk_id`` and ``text_column``.
    data_folder : str or os.PathLike, optional
        Substituted for ``$data_root``.
    conditions, groups
        See :func:`transcription_conditions` (default: :data:`ASR_CONDITIONS`).
    batch_size : int
        Waveforms per batch (sorted by length first).
    seed : int
        Seed of the noises and rooms.
    text_column : str
        The column of the reference transcripts.

    Returns
    -------
    dict
        ``utterances``, ``decoding`` and ``conditions`` (name -> WER, CER,
        ``delta_WER``, counts; no hypotheses).
    """
    data = read_labelled_audio(manifest, data_folder, model.sample_rate, text_column)
    order = sorted(range(len(data.wavs)), key=lambda i: len(data.wavs[i]))
    speakers = [data.speakers[i] for i in order]
    table = transcription_robustness(
        recognizer_transcriber(model, batch_size),
        [data.wavs[i] for i in order],
        [data.labels[i] for i in order],
        transcription_conditions(conditions, groups, model.sample_rate, speakers, seed),
    )
    return {
        "utterances": len(order),
        "decoding": getattr(model, "decoding", None),
        "conditions": {
            name: {k: v for k, v in row.items() if k != "hypotheses"}
            for name, row in table.items()
        },
    }


def format_transcription_robustness(results: Mapping[str, Mapping]) -> str:
    """The table as Markdown: condition, WER, ΔWER, CER.

    Example
    -------
    >>> print(format_transcription_robustness({
    ...     "0 dB": {"WER": 20.0, "delta_WER": 0.0, "CER": 9.5},
    ...     "-20 dB": {"WER": 31.25, "delta_WER": 11.25, "CER": 15.0}}))
    | condition | WER % | ΔWER | CER % |
    |---|---|---|---|
    | 0 dB | 20.00 | +0.00 | 9.50 |
    | -20 dB | 31.25 | +11.25 | 15.00 |
    """
    lines = ["| condition | WER % | ΔWER | CER % |", "|---|---|---|---|"]
    for name, row in results.items():
        wer, delta, cer = row["WER"], row["delta_WER"], row["CER"]
        lines.append(f"| {name} | {wer:.2f} | {delta:+.2f} | {cer:.2f} |")
    return "\n".join(lines)
