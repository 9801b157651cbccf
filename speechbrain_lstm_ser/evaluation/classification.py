"""Classification metrics: WA, UA, precision / recall / F1, confusion, by group.

The numbers speech emotion recognition papers report, computed one way:

- **WA** (weighted accuracy): plain accuracy, correct / total.
- **UA** (unweighted accuracy): the mean of the per-class recalls over the
  classes present in the references; insensitive to class imbalance.
- per-class **precision, recall, F1, support**, **macro-F1** (the unweighted
  mean F1 over classes present in references or predictions, as
  scikit-learn computes it), and the **confusion matrix** (rows = reference,
  columns = prediction).
- the same metrics for every value of a grouping variable (speaker gender,
  speaker ID, corpus, ...).

Usable without any recipe: :func:`classification_report` takes plain label
lists; :class:`ClassificationMetrics` accumulates batches as SpeechBrain's
``MetricStats`` does.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from speechbrain_lstm_ser.evaluation.calibration import calibration_report

__all__ = ["ClassificationMetrics", "classification_report", "confusion_matrix"]


def confusion_matrix(
    references: Sequence[str], predictions: Sequence[str], labels: Sequence[str]
) -> list[list[int]]:
    """Counts of (reference, prediction) pairs.

    Arguments
    ---------
    references : sequence of str
        True labels.
    predictions : sequence of str
        Predicted labels, same length.
    labels : sequence of str
        Row and column order.

    Returns
    -------
    list of list of int
        ``matrix[i][j]`` = number of items of class ``labels[i]`` predicted
        as ``labels[j]``.

    Example
    -------
    >>> confusion_matrix(["a", "a", "b"], ["a", "b", "b"], ["a", "b"])
    [[1, 1], [0, 1]]
    """
    if len(references) != len(predictions):
        raise ValueError(
            f"{len(references)} references but {len(predictions)} predictions"
        )
    index = {label: i for i, label in enumerate(labels)}
    unknown = sorted({x for x in [*references, *predictions] if x not in index})
    if unknown:
        raise ValueError(f"labels {unknown} are not among {list(labels)}")
    matrix = [[0] * len(labels) for _ in labels]
    for ref, hyp in zip(references, predictions, strict=True):
        matrix[index[ref]][index[hyp]] += 1
    return matrix


def _ratio(num: float, den: float) -> float:
    return num / den if den else 0.0


def _scores(matrix: list[list[int]], labels: Sequence[str]) -> dict:
    """Every metric of one confusion matrix."""
    n = len(labels)
    total = sum(map(sum, matrix))
    support = [sum(matrix[i]) for i in range(n)]
    predicted = [sum(matrix[i][j] for i in range(n)) for j in range(n)]
    per_class = {}
    for i, label in enumerate(labels):
        precision = _ratio(matrix[i][i], predicted[i])
        recall = _ratio(matrix[i][i], support[i])
        per_class[label] = {
            "precision": precision,
            "recall": recall,
            "f1": _ratio(2 * precision * recall, precision + recall),
            "support": support[i],
        }
    present = [label for i, label in enumerate(labels) if support[i]]
    seen = [label for i, label in enumerate(labels) if support[i] or predicted[i]]
    return {
        "num_utterances": total,
        "accuracy": _ratio(sum(matrix[i][i] for i in range(n)), total),
        "unweighted_accuracy": _ratio(
            sum(per_class[c]["recall"] for c in present), len(present)
        ),
        "macro_f1": _ratio(sum(per_class[c]["f1"] for c in seen), len(seen)),
        "per_class": per_class,
        "confusion_matrix": matrix,
    }


def classification_report(
    references: Sequence[str],
    predictions: Sequence[str],
    labels: Sequence[str],
    groups: dict[str, Sequence[str]] | None = None,
) -> dict:
    """All metrics, overall and for every value of every grouping variable.

    Arguments
    ---------
    references : sequence of str
        True labels.
    predictions : sequence of str
        Predicted labels.
    labels : sequence of str
        The class set (fixes the order of per-class results and matrices).
    groups : dict, optional
        ``{"gender": [...], "speaker": [...]}``: one value per item. Each
        adds ``by_gender`` / ``by_speaker`` with the same metrics per value.

    Returns
    -------
    dict
        ``num_utterances, accuracy, unweighted_accuracy, macro_f1,
        per_class, confusion_matrix, labels`` and one ``by_<group>`` per group.

    Example
    -------
    >>> refs = ["ang", "ang", "sad", "sad", "sad", "neu"]
    >>> hyps = ["ang", "sad", "sad", "sad", "neu", "neu"]
    >>> rep = classification_report(refs, hyps, ["ang", "neu", "sad"],
    ...                             groups={"gender": list("ffmmmf")})
    >>> round(rep["accuracy"], 4), round(rep["unweighted_accuracy"], 4)
    (0.6667, 0.7222)
    >>> rep["by_gender"]["m"]["accuracy"]
    0.6666666666666666
    """
    report = _scores(confusion_matrix(references, predictions, labels), labels)
    report["labels"] = list(labels)
    for name, values in (groups or {}).items():
        if len(values) != len(references):
            raise ValueError(
                f"group {name!r} has {len(values)} values for {len(references)} items"
            )
        breakdown = {}
        for value in sorted(set(values)):
            idx = [i for i, v in enumerate(values) if v == value]
            breakdown[value] = _scores(
                confusion_matrix(
                    [references[i] for i in idx], [predictions[i] for i in idx], labels
                ),
                labels,
            )
        report[f"by_{name}"] = breakdown
    return report


class ClassificationMetrics:
    """Accumulates utterance-level predictions batch by batch, then reports.

    Arguments
    ---------
    labels : sequence of str
        Class names in index order (as the label encoder decodes them).

    Example
    -------
    >>> metrics = ClassificationMetrics(["neutral", "happy"])
    >>> log_probs = torch.log(torch.tensor([[[0.9, 0.1]], [[0.3, 0.7]], [[0.6, 0.4]]]))
    >>> metrics.append(["u1", "u2", "u3"], log_probs, torch.tensor([[0], [1], [1]]),
    ...                gender=["female", "male", "male"])
    >>> metrics.summarize("accuracy")
    0.6666666666666666
    >>> metrics.summarize()["by_gender"]["male"]["unweighted_accuracy"]
    0.5
    >>> round(metrics.calibration()["after"]["ece"], 4)  # gaps 0.1, 0.3, 0.6
    0.3333
    """

    def __init__(self, labels: Sequence[str]):
        self.labels = list(labels)
        self.clear()

    def clear(self) -> None:
        """Forgets everything appended so far."""
        self.ids: list[str] = []
        self.references: list[str] = []
        self.predictions: list[str] = []
        self.scores: list[float] = []
        self.groups: dict[str, list[str]] = {}
        #: ``(batch, classes)`` log-probabilities of each batch appended as
        #: such (for calibration); empty when indices were appended.
        self.log_probs: list[torch.Tensor] = []

    def append(
        self,
        ids: Sequence[str],
        predictions: torch.Tensor,
        targets: torch.Tensor,
        **groups: Sequence[str],
    ) -> None:
        """Adds a batch.

        Arguments
        ---------
        ids : sequence of str
            Utterance IDs.
        predictions : torch.Tensor
            ``(batch, [1,] classes)`` log-probabilities, or ``(batch,)`` indices.
        targets : torch.Tensor
            ``(batch, [1])`` class indices.
        **groups : sequence of str
            Grouping variables, one value per utterance (e.g. ``gender=...``).
        """
        predictions = predictions.detach().cpu()
        if predictions.dim() >= 2 and predictions.shape[-1] > 1:
            rows = predictions.reshape(predictions.shape[0], -1)
            score, index = rows.exp().max(dim=-1)
        else:
            index = predictions.reshape(-1).long()
            score = torch.ones(len(index))
        targets = targets.detach().cpu().reshape(-1).long()
        if not len(ids) == len(index) == len(targets):
            raise ValueError("ids, predictions and targets differ in batch size")
        if groups and set(groups) != set(self.groups) and self.ids:
            raise ValueError(
                f"groups {sorted(groups)} differ from {sorted(self.groups)}"
            )
        if predictions.dim() >= 2 and predictions.shape[-1] > 1:
            self.log_probs.append(rows)
        self.ids.extend(ids)
        self.predictions.extend(self.labels[i] for i in index.tolist())
        self.references.extend(self.labels[i] for i in targets.tolist())
        self.scores.extend(score.tolist())
        for name, values in groups.items():
            if len(values) != len(ids):
                raise ValueError(
                    f"group {name!r}: {len(values)} values for {len(ids)} ids"
                )
            self.groups.setdefault(name, []).extend(values)

    def summarize(self, field: str | None = None) -> dict | float:
        """The full report (see :func:`classification_report`), or one field.

        Arguments
        ---------
        field : str, optional
            A top-level scalar such as ``"unweighted_accuracy"``.

        Returns
        -------
        dict or float
        """
        if not self.ids:
            raise ValueError("no predictions were appended")
        report = classification_report(
            self.references, self.predictions, self.labels, self.groups
        )
        return report if field is None else report[field]

    def log_probs_and_targets(self) -> tuple[torch.Tensor, torch.Tensor]:
        """All the log-probabilities appended, and the true class indices.

        Returns
        -------
        log_probs : torch.Tensor
            ``(utterances, classes)``.
        targets : torch.Tensor
            ``(utterances,)`` class indices.

        Raises
        ------
        ValueError
            When nothing, or class indices instead of log-probabilities,
            were appended.
        """
        if not self.ids or sum(len(x) for x in self.log_probs) != len(self.ids):
            raise ValueError(
                "calibration needs the (batch, classes) log-probabilities of every "
                "utterance; class indices were appended, or nothing"
            )
        index = {label: i for i, label in enumerate(self.labels)}
        targets = torch.tensor([index[ref] for ref in self.references])
        return torch.cat(self.log_probs), targets

    def calibration(self, temperature: float = 1.0) -> dict | None:
        """ECE, MCE and NLL before and after temperature scaling, reliability.

        Arguments
        ---------
        temperature : float
            The temperature of the model whose log-probabilities were
            appended (1.0: unscaled).

        Returns
        -------
        dict or None
            See :func:`~speechbrain_lstm_ser.evaluation.calibration.calibration_report`;
            None when class indices, not log-probabilities, were appended.
        """
        try:
            log_probs, targets = self.log_probs_and_targets()
            return calibration_report(log_probs, targets, temperature)
        except ValueError:  # indices, or non-finite log-probabilities
            return None

    def rows(self) -> list[dict]:
        """Per-utterance results: ID, reference, prediction, score, groups."""
        return [
            {
                "ID": uid,
                "reference": ref,
                "prediction": hyp,
                "score": round(score, 6),
                **{name: values[i] for name, values in self.groups.items()},
            }
            for i, (uid, ref, hyp, score) in enumerate(
                zip(
                    self.ids,
                    self.references,
                    self.predictions,
                    self.scores,
                    strict=True,
                )
            )
        ]
