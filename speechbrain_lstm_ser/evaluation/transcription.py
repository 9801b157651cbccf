"""Speech recognition metrics: WER and CER, overall and by group.

Error rates are computed by SpeechBrain's own ``ErrorRateStats`` (the same
edit-distance alignment as every SpeechBrain recipe, so numbers compare with
theirs): word error rate on word sequences, character error rate on the same
sequences split into characters (word boundaries count as a character, as in
SpeechBrain's recipes). :class:`TranscriptionMetrics` accumulates batches
and keeps one pair of statistics per value of each grouping variable
(speaker gender, speaker ID), to show whether errors concentrate on a group.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TextIO

from speechbrain.utils.metric_stats import ErrorRateStats

__all__ = ["TranscriptionMetrics", "error_rates"]


def _new_pair() -> tuple[ErrorRateStats, ErrorRateStats]:
    return ErrorRateStats(), ErrorRateStats(split_tokens=True)


def _summary(wer: ErrorRateStats, cer: ErrorRateStats) -> dict:
    words = wer.summarize()
    chars = cer.summarize()
    return {
        "WER": words["WER"],
        "CER": chars["WER"],
        "SER": words["SER"],
        "num_utterances": words["num_scored_sents"],
        "num_words": words["num_scored_tokens"],
        "insertions": words["insertions"],
        "deletions": words["deletions"],
        "substitutions": words["substitutions"],
    }


def error_rates(
    references: Sequence[str], hypotheses: Sequence[str]
) -> dict[str, float]:
    """WER and CER (in %) of hypotheses against references, as plain strings.

    Arguments
    ---------
    references : sequence of str
        Reference transcripts (words separated by spaces).
    hypotheses : sequence of str
        Recognised transcripts, same length.

    Returns
    -------
    dict
        ``WER``, ``CER``, ``SER`` in percent, counts of utterances, words,
        insertions, deletions and substitutions.

    Example
    -------
    >>> rates = error_rates(["TURN ON THE LIGHTS"], ["TURN OFF THE LIGHT"])
    >>> rates["WER"], rates["substitutions"]
    (50.0, 2)
    """
    metrics = TranscriptionMetrics()
    metrics.append(
        [str(i) for i in range(len(references))],
        [h.split() for h in hypotheses],
        [r.split() for r in references],
    )
    return metrics.summarize()


class TranscriptionMetrics:
    """Accumulates recognised word sequences batch by batch, then reports.

    Example
    -------
    >>> metrics = TranscriptionMetrics()
    >>> metrics.append(["a", "b"], [["OPEN", "THE", "DOOR"], ["STOP"]],
    ...                [["OPEN", "THE", "DOOR"], ["GO"]], gender=["female", "male"])
    >>> report = metrics.summarize()
    >>> report["WER"], report["by_gender"]["male"]["WER"]
    (25.0, 100.0)
    >>> metrics.summarize("CER") < 25.0
    True
    """

    def __init__(self):
        self.clear()

    def clear(self) -> None:
        """Forgets everything appended so far."""
        self.wer, self.cer = _new_pair()
        self.groups: dict[str, dict[str, tuple]] = {}
        self.group_values: dict[str, list[str]] = {}
        self.ids: list[str] = []

    def append(
        self,
        ids: Sequence[str],
        predictions: Sequence[Sequence[str]],
        targets: Sequence[Sequence[str]],
        **groups: Sequence[str],
    ) -> None:
        """Adds a batch of word sequences.

        Arguments
        ---------
        ids : sequence of str
            Utterance IDs.
        predictions : sequence of sequence of str
            Recognised words of each utterance.
        targets : sequence of sequence of str
            Reference words of each utterance.
        **groups : sequence of str
            Grouping variables, one value per utterance (e.g. ``gender=...``).
        """
        if not len(ids) == len(predictions) == len(targets):
            raise ValueError("ids, predictions and targets differ in batch size")
        if self.ids and set(groups) != set(self.group_values):
            raise ValueError(
                f"groups {sorted(groups)} differ from {sorted(self.group_values)}"
            )
        predictions = [list(p) for p in predictions]
        targets = [list(t) for t in targets]
        self.wer.append(ids, predictions, targets)
        self.cer.append(ids, predictions, targets)
        self.ids.extend(ids)
        for name, values in groups.items():
            if len(values) != len(ids):
                raise ValueError(
                    f"group {name!r}: {len(values)} values for {len(ids)} ids"
                )
            self.group_values.setdefault(name, []).extend(values)
            table = self.groups.setdefault(name, {})
            for i, value in enumerate(values):
                wer, cer = table.setdefault(value, _new_pair())
                wer.append([ids[i]], [predictions[i]], [targets[i]])
                cer.append([ids[i]], [predictions[i]], [targets[i]])

    def summarize(self, field: str | None = None) -> dict | float:
        """WER, CER (percent) and counts, overall and ``by_<group>``.

        Arguments
        ---------
        field : str, optional
            A top-level scalar such as ``"WER"``.

        Returns
        -------
        dict or float
        """
        if not self.ids:
            raise ValueError("no transcriptions were appended")
        report = _summary(self.wer, self.cer)
        for name, table in self.groups.items():
            report[f"by_{name}"] = {
                value: _summary(*table[value]) for value in sorted(table)
            }
        return report if field is None else report[field]

    def write_alignments(self, handle: TextIO) -> None:
        """Writes SpeechBrain's WER summary and per-utterance alignments."""
        self.wer.write_stats(handle)

    def rows(self) -> list[dict]:
        """Per-utterance results: ID, reference, hypothesis, edits, groups."""
        values = {
            name: dict(zip(self.ids, column, strict=True))
            for name, column in self.group_values.items()
        }
        return [
            {
                "ID": score["key"],
                "reference": " ".join(score["ref_tokens"]),
                "hypothesis": " ".join(score["hyp_tokens"]),
                "num_ref_words": score["num_ref_tokens"],
                "edits": score["num_edits"],
                "WER": round(score["WER"], 2),
                **{name: values[name][score["key"]] for name in values},
            }
            for score in self.wer.scores
        ]
