"""Cross-validation results: the folds' test reports, aggregated.

Papers report speaker-independent cross-validation (IEMOCAP:
leave-one-session-out) as the mean ± standard deviation over folds of WA, UA
and macro-F1; :func:`aggregate_reports` computes those, UA per gender, and the
*pooled* metrics (every fold's test utterances counted together, from the
summed confusion matrices), which some papers report instead. Standard
deviations are sample standard deviations over folds (``ddof=1``).

The two aggregations answer different questions and differ when folds differ
in size or class balance; :data:`AGGREGATION` (in every aggregate) says
which is which:

- ``metrics`` (mean over folds): each fold is scored on its own, then the
  scores are averaged. This is how SUPERB's emotion recognition task reports
  IEMOCAP (accuracy averaged over the 5 leave-one-session-out folds). How
  EmoBox's published tables combine folds is not verified here: check the
  paper you compare against and quote the matching aggregation.
- ``pooled``: one score over all test utterances of all folds (each is
  tested once), the same as scoring the concatenated predictions.

Folds of a dimensional model (a ``dimensions`` section in each report) give
the mean ± std over folds of each dimension's CCC, Pearson and MAE, and of
its mean per-speaker CCC; they have no pooled figures (a correlation over
all folds needs the predictions, which the reports do not hold).

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from speechbrain_lstm_ser.evaluation.classification import classification_report

__all__ = ["AGGREGATION", "aggregate_reports", "format_aggregate", "mean_std"]

#: Names in the aggregate -> keys of a ``test_report.json``.
METRICS = {"WA": "accuracy", "UA": "unweighted_accuracy", "macro_F1": "macro_f1"}

#: Names in the aggregate -> keys of a report's ``dimensions.overall[<dimension>]``.
DIMENSION_METRICS = {"CCC": "ccc", "Pearson": "pearson", "MAE": "mae"}

#: What the two aggregations of :func:`aggregate_reports` are.
AGGREGATION = {
    "metrics": (
        "mean and sample std over folds of each fold's own score (macro over "
        "folds), as SUPERB reports IEMOCAP's 5 folds"
    ),
    "pooled": (
        "one score over every fold's test utterances together (summed "
        "confusion matrices): the concatenated predictions scored once"
    ),
}


def mean_std(values: Sequence[float]) -> dict:
    """Mean and sample standard deviation (None for fewer than two values).

    Arguments
    ---------
    values : sequence of float
        One value per fold.

    Returns
    -------
    dict
        ``{"mean", "std", "n", "values"}``.

    Example
    -------
    >>> mean_std([0.5, 0.7])
    {'mean': 0.6, 'std': 0.1414, 'n': 2, 'values': [0.5, 0.7]}
    """
    values = [float(v) for v in values]
    if not values:
        raise ValueError("no values to aggregate")
    n = len(values)
    mean = sum(values) / n
    std = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1)) if n > 1 else None
    return {
        "mean": round(mean, 4),
        "std": None if std is None else round(std, 4),
        "n": n,
        "values": [round(v, 4) for v in values],
    }


def _pooled(matrices: Sequence[Sequence[Sequence[int]]], labels: list[str]) -> dict:
    """Metrics of the summed confusion matrices."""
    size = len(labels)
    total = [[sum(m[i][j] for m in matrices) for j in range(size)] for i in range(size)]
    references, predictions = [], []
    for i in range(size):
        for j in range(size):
            references += [labels[i]] * total[i][j]
            predictions += [labels[j]] * total[i][j]
    return classification_report(references, predictions, labels)


def _dimension_metrics(sections: Sequence[dict]) -> dict:
    """Mean / std over folds of each dimension's CCC, Pearson, MAE, speaker CCC.

    A figure undefined in a fold (``None``) leaves that fold out of its
    mean; ``n`` says over how many folds.

    Example
    -------
    >>> folds = [{"overall": {"valence": {"ccc": c, "pearson": 0.8, "mae": 0.1}}}
    ...          for c in (0.6, None)]
    >>> _dimension_metrics(folds)["CCC_valence"]
    {'mean': 0.6, 'std': None, 'n': 1, 'values': [0.6]}
    """
    metrics = {}
    for name in sections[0]["overall"]:
        for label, key in DIMENSION_METRICS.items():
            values = [s["overall"].get(name, {}).get(key) for s in sections]
            values = [v for v in values if v is not None]
            if values:
                metrics[f"{label}_{name}"] = mean_std(values)
        values = [
            s.get("speaker_summary", {}).get(name, {}).get("ccc_mean") for s in sections
        ]
        values = [v for v in values if v is not None]
        if values:
            metrics[f"CCC_{name}_speaker_mean"] = mean_std(values)
    return metrics


def _categorical_aggregate(reports: Sequence[dict], names: Sequence[str]) -> dict:
    """``labels``, ``metrics`` and ``pooled`` of classification fold reports."""
    labels = list(reports[0]["labels"])
    for name, report in zip(names, reports, strict=True):
        if list(report["labels"]) != labels:
            raise ValueError(
                f"{name} has classes {report['labels']}, not {labels}: the folds "
                "come from different experiments"
            )
    metrics = {
        name: mean_std([r[key] for r in reports]) for name, key in METRICS.items()
    }
    genders = sorted({g for r in reports for g in r.get("by_gender", {})})
    for gender in genders:
        values = [
            r["by_gender"][gender]["unweighted_accuracy"]
            for r in reports
            if gender in r.get("by_gender", {})
        ]
        metrics[f"UA_{gender}"] = mean_std(values)
    pooled = _pooled([r["confusion_matrix"] for r in reports], labels)
    pooled["by_gender"] = {
        gender: {
            key: value
            for key, value in _pooled(
                [
                    r["by_gender"][gender]["confusion_matrix"]
                    for r in reports
                    if gender in r.get("by_gender", {})
                ],
                labels,
            ).items()
            if key != "labels"
        }
        for gender in genders
    }
    return {"labels": labels, "metrics": metrics, "pooled": pooled}


def _fold_row(name: str, report: dict) -> dict:
    """The headline numbers and test speakers of one fold."""
    dimensions = report.get("dimensions") or {}
    row = {"name": name}
    if "accuracy" in report:
        row["num_utterances"] = report["num_utterances"]
        row.update({m: round(report[key], 4) for m, key in METRICS.items()})
    for dim, scores in dimensions.get("overall", {}).items():
        row.setdefault("num_utterances", scores["n"])
        ccc = scores["ccc"]
        row[f"CCC_{dim}"] = None if ccc is None else round(ccc, 4)
    speakers = report.get("by_speaker") or dimensions.get("per_speaker") or {}
    row["test_speakers"] = sorted(speakers)
    return row


def aggregate_reports(
    reports: Sequence[dict], names: Sequence[str] | None = None
) -> dict:
    """Aggregates the test reports of cross-validation folds.

    Arguments
    ---------
    reports : sequence of dict
        One ``test_report.json`` per fold (with ``by_gender`` and
        ``by_speaker`` when the recipe wrote them): classification,
        dimensional (a ``dimensions`` section,
        :func:`~speechbrain_lstm_ser.evaluation.dimensions.dimension_report`)
        or both.
    names : sequence of str, optional
        Fold names (default ``fold_1``, ``fold_2``, ...).

    Returns
    -------
    dict
        ``metrics``: mean / std / values over folds of ``WA``, ``UA``,
        ``macro_F1`` and ``UA_<gender>`` (over the folds that test that
        gender) and, for dimensional folds, ``CCC_<dimension>``,
        ``Pearson_<dimension>``, ``MAE_<dimension>`` and
        ``CCC_<dimension>_speaker_mean`` (over the folds where each is
        defined); ``pooled`` (classification only: the dimensions'
        correlations cannot be pooled from the reports): the metrics of all
        test utterances together; ``folds``: the headline numbers and test
        speakers of each fold.

    Example
    -------
    >>> from speechbrain_lstm_ser.evaluation.classification import classification_report
    >>> fold_1 = classification_report(["a", "b"], ["a", "b"], ["a", "b"],
    ...                                {"gender": ["female", "male"]})
    >>> fold_2 = classification_report(["a", "b"], ["b", "b"], ["a", "b"],
    ...                                {"gender": ["male", "male"]})
    >>> result = aggregate_reports([fold_1, fold_2])
    >>> result["metrics"]["UA"]["mean"], result["metrics"]["UA_female"]["n"]
    (0.75, 1)
    >>> result["pooled"]["accuracy"]
    0.75
    """
    if not reports:
        raise ValueError("no fold report to aggregate")
    names = list(names or [f"fold_{i}" for i in range(1, len(reports) + 1)])
    if len(names) != len(reports):
        raise ValueError(f"{len(names)} names for {len(reports)} reports")
    for kind, key in (("classification", "labels"), ("dimensional", "dimensions")):
        having = [bool(r.get(key)) for r in reports]
        if any(having) and not all(having):
            missing = [n for n, has in zip(names, having, strict=True) if not has]
            raise ValueError(
                f"{', '.join(missing)} not {kind} (no {key!r}) unlike the other "
                "folds: the folds come from different experiments"
            )
    result: dict = {"num_folds": len(reports)}
    metrics = {}
    if reports[0].get("labels") or not reports[0].get("dimensions"):
        categorical = _categorical_aggregate(reports, names)
        result["labels"] = categorical["labels"]
        metrics.update(categorical["metrics"])
    if reports[0].get("dimensions"):
        result["dimensions"] = list(reports[0]["dimensions"]["overall"])
        metrics.update(_dimension_metrics([r["dimensions"] for r in reports]))
    result.update(
        {
            "std": "sample standard deviation over folds (ddof=1)",
            "aggregation": dict(AGGREGATION),
            "metrics": metrics,
        }
    )
    if "labels" in result:
        result["pooled"] = categorical["pooled"]
    result["folds"] = [_fold_row(n, r) for n, r in zip(names, reports, strict=True)]
    return result


def format_aggregate(aggregate: dict) -> str:
    """A Markdown summary of :func:`aggregate_reports`'s result.

    Arguments
    ---------
    aggregate : dict
        The aggregate.

    Returns
    -------
    str

    Example
    -------
    >>> aggregate = {"num_folds": 2, "metrics": {"UA": mean_std([0.5, 0.7])},
    ...              "pooled": {"unweighted_accuracy": 0.6}, "folds": []}
    >>> print(format_aggregate(aggregate))
    | metric (2 folds) | mean ± std | pooled |
    |---|---|---|
    | UA | 0.600 ± 0.141 | 0.600 |
    """

    def cell(stats: dict) -> str:
        std = "n/a" if stats["std"] is None else f"{stats['std']:.3f}"
        note = "" if stats["n"] == aggregate["num_folds"] else f" ({stats['n']} folds)"
        return f"{stats['mean']:.3f} ± {std}{note}"

    lines = [
        f"| metric ({aggregate['num_folds']} folds) | mean ± std | pooled |",
        "|---|---|---|",
    ]
    for name, stats in aggregate["metrics"].items():
        pooled = ""
        if name in METRICS and "pooled" in aggregate:
            pooled = f"{aggregate['pooled'][METRICS[name]]:.3f}"
        elif name.startswith("UA_") and "pooled" in aggregate:
            gender = aggregate["pooled"].get("by_gender", {}).get(name[3:], {})
            pooled = f"{gender['unweighted_accuracy']:.3f}" if gender else ""
        lines.append(f"| {name} | {cell(stats)} | {pooled} |")
    if aggregate.get("aggregation"):
        lines += [
            "",
            f"mean ± std: {aggregate['aggregation']['metrics']}.",
            f"pooled: {aggregate['aggregation']['pooled']}.",
        ]
    if aggregate["folds"]:
        fixed = ("name", "test_speakers", "num_utterances")
        scores = [k for k in aggregate["folds"][0] if k not in fixed]
        header = ["fold", "test speakers", "utterances"]
        header += [k.replace("macro_F1", "macro-F1").replace("_", " ") for k in scores]
        lines += ["", f"| {' | '.join(header)} |", "|" + "---|" * len(header)]
        for fold in aggregate["folds"]:
            cells = [fold["name"], ", ".join(fold["test_speakers"])]
            cells.append(str(fold["num_utterances"]))
            cells += ["n/a" if fold[k] is None else f"{fold[k]:.3f}" for k in scores]
            lines.append(f"| {' | '.join(cells)} |")
    return "\n".join(lines)
