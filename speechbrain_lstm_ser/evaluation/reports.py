"""Test reports of every task: ``test_report.json``, a printed summary, Markdown.

Classification (emotion, commands): :func:`write_report` writes
``test_report.json`` (WA, UA, per-class P/R/F1, macro-F1, confusion matrix,
and all of these by gender and by speaker; with a ``calibration`` section,
ECE / MCE / NLL and the reliability table), ``predictions.csv``,
``confusion_matrix.png`` and ``reliability_diagram.png``.

Speech recognition: the ASR recipe decodes the test set with several
searchers (greedy CTC and CTC beam search); :func:`write_asr_report` writes,
for the ``primary`` one, ``wer_test.txt`` (SpeechBrain's WER summary and
per-utterance alignments) and ``transcripts.csv``; for every other one
``wer_test_<name>.txt``; and one ``test_report.json`` holding the headline
WER / CER (primary searcher), every searcher's rates, and the breakdown by
gender and speaker.

Dimensional emotion (arousal, valence, dominance): :func:`dimension_section`
computes the ``dimensions`` section of ``test_report.json`` (CCC, Pearson,
MAE overall, per gender and per speaker, with bootstrap intervals;
:mod:`speechbrain_lstm_ser.evaluation.dimensions`) and draws
``valence_arousal.png``; a report may hold it beside the classification
metrics (multi-task) or alone, and every summary below prints what it holds.

``sb-lstm-ser report REPORT.json [--markdown]`` prints either kind (it
tells them apart by their metrics).

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from speechbrain_lstm_ser.dataio.manifest import DIMENSIONS, write_manifest
from speechbrain_lstm_ser.evaluation.cross_validation import mean_std
from speechbrain_lstm_ser.evaluation.dimensions import dimension_report
from speechbrain_lstm_ser.evaluation.plots import (
    plot_confusion_matrix,
    plot_dimension_scatter,
    plot_reliability_diagram,
)
from speechbrain_lstm_ser.evaluation.transcription import TranscriptionMetrics

__all__ = [
    "DIMENSION_SCATTER",
    "dimension_section",
    "format_asr_markdown",
    "format_asr_summary",
    "format_markdown",
    "format_runs",
    "format_summary",
    "normalization_section",
    "variant_label",
    "write_asr_report",
    "write_json",
    "write_report",
]


def variant_label(name: str) -> str:
    """How reports name a speaker-information variant of the test.

    Arguments
    ---------
    name : str
        A key of ``normalization.variants`` in a test report:
        ``single_utterance`` or ``enrolment_<n>``.

    Returns
    -------
    str

    Example
    -------
    >>> variant_label("single_utterance")
    'no speaker information (single utterance)'
    >>> variant_label("enrolment_1"), variant_label("enrolment_5")
    ('1 enrolment clip', '5 enrolment clips')
    """
    if name == "single_utterance":
        return "no speaker information (single utterance)"
    kind, _, count = name.rpartition("_")
    if kind == "enrolment" and count.isdigit():
        return f"{count} enrolment clip{'' if count == '1' else 's'}"
    return name.replace("_", " ")


#: What a test report says each kind of ``normalization.reference`` means.
NORMALIZATION_NOTES = {
    "speaker": (
        "speaker-normalised and transductive: each test speaker's "
        "reference is the mean of all of that speaker's test utterances "
        "(unlabelled); single_utterance gives the figures without "
        "speaker information, enrolment_<n> with n other clips of the "
        "speaker"
    ),
    "utterance": "each utterance is its own reference (level-invariant)",
    "global": "global statistics only: the level of the recording counts",
}


def normalization_section(mode: str, variants: Mapping[str, dict] | None) -> dict:
    """The ``normalization`` section of a classification ``test_report.json``.

    Arguments
    ---------
    mode : str
        ``speaker``, ``utterance`` or ``global`` (see
        :func:`~speechbrain_lstm_ser.nnet.normalization.reference_mode`).
    variants : mapping, optional
        Speaker mode: the test figures of each variant of the speaker
        information (``single_utterance``, ``enrolment_<n>``: ``WA``,
        ``UA``, ``macro_F1``, ``utterances``).

    Returns
    -------
    dict
        ``reference``, ``note`` and, in speaker mode, ``variants``.

    Example
    -------
    >>> normalization_section("utterance", None)["note"]
    'each utterance is its own reference (level-invariant)'
    >>> sorted(normalization_section("speaker", {}))
    ['note', 'reference', 'variants']
    """
    section = {"reference": mode, "note": NORMALIZATION_NOTES[mode]}
    if mode == "speaker":
        section["variants"] = dict(variants or {})
    return section


def write_json(path: str | os.PathLike, data: dict) -> None:
    """Writes ``data`` as indented JSON, atomically.

    Arguments
    ---------
    path : str or os.PathLike
        Destination.
    data : dict
        JSON-serialisable content.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=2, sort_keys=False)
        handle.write("\n")
    os.replace(tmp, path)


def format_summary(report: dict, groups: Sequence[str] = ("gender",)) -> str:
    """A plain-text summary of a report (what the recipe prints).

    Arguments
    ---------
    report : dict
        From ``classification_report``
        (:mod:`speechbrain_lstm_ser.evaluation.classification`), with or
        without a ``dimensions`` section (:func:`dimension_section`), or
        that section alone (``{"dimensions": ...}``: a dimensional model).
    groups : sequence of str
        Breakdowns to include as tables (``by_<name>`` must exist).

    Returns
    -------
    str
    """
    dimensions = report.get("dimensions")
    if "accuracy" not in report and dimensions:
        return "\n".join(_dimension_summary(dimensions))
    lines = [
        f"utterances: {report['num_utterances']}",
        f"WA (accuracy): {report['accuracy']:.4f}   "
        f"UA (mean recall): {report['unweighted_accuracy']:.4f}   "
        f"macro-F1: {report['macro_f1']:.4f}",
    ]
    norm = report.get("normalization")
    if norm:
        lines.append(f"features relative to the {norm['reference']}")
        for name, scores in (norm.get("variants") or {}).items():
            lines.append(f"  {variant_label(name)}: UA {scores['UA']:.4f}")
    lines += [f"{label}: {ua:.4f}" for label, ua in fused_scores(report).items()]
    lines += [
        "",
        f"{'class':<14}{'precision':>10}{'recall':>10}{'F1':>10}{'support':>10}",
    ]
    for label, scores in report["per_class"].items():
        lines.append(
            f"{label:<14}{scores['precision']:>10.4f}{scores['recall']:>10.4f}"
            f"{scores['f1']:>10.4f}{scores['support']:>10d}"
        )
    for group in groups:
        table = report.get(f"by_{group}")
        if not table:
            continue
        lines += ["", f"{group:<14}{'n':>6}{'WA':>10}{'UA':>10}{'macro-F1':>10}"]
        for value, scores in table.items():
            lines.append(
                f"{value:<14}{scores['num_utterances']:>6d}{scores['accuracy']:>10.4f}"
                f"{scores['unweighted_accuracy']:>10.4f}{scores['macro_f1']:>10.4f}"
            )
    calibration = report.get("calibration")
    if calibration:
        lines += ["", _calibration_line(calibration)]
    labels = report["labels"]
    width = max(8, *(len(x) + 2 for x in labels))
    lines += ["", "confusion (rows = reference, columns = predicted)"]
    lines.append(" " * width + "".join(f"{x:>{width}}" for x in labels))
    for label, row in zip(labels, report["confusion_matrix"], strict=True):
        lines.append(f"{label:<{width}}" + "".join(f"{c:>{width}d}" for c in row))
    if dimensions:
        lines += ["", *_dimension_summary(dimensions)]
    return "\n".join(lines)


def _interval(value: float | None, ci: Sequence[float] | None) -> str:
    """A metric and its interval, e.g. ``0.812 [0.790, 0.833]``.

    Example
    -------
    >>> _interval(0.8123, [0.79, 0.8333]), _interval(0.5, None), _interval(None, None)
    ('0.812 [0.790, 0.833]', '0.500', 'n/a')
    """
    if value is None:
        return "n/a"
    if not ci:
        return f"{value:.3f}"
    return f"{value:.3f} [{ci[0]:.3f}, {ci[1]:.3f}]"


def _dimension_rows(scores: Mapping[str, dict]) -> list[list]:
    """Table rows ``dimension, n, CCC [CI], Pearson [CI], MAE [CI]``."""
    return [
        [
            name,
            s["n"],
            *(
                _interval(s[key], s.get(f"{key}_ci"))
                for key in ("ccc", "pearson", "mae")
            ),
        ]
        for name, s in scores.items()
    ]


def _dimension_summary(section: dict) -> list[str]:
    """The plain-text lines of a report's ``dimensions`` section."""
    boot = section["bootstrap"]
    lines = [
        f"dimensions (CCC, Pearson, MAE; {boot['level']:.0%} bootstrap interval "
        f"over {boot['resamples']} resamples of {boot['unit']}s)",
    ]
    groups = {"all": section["overall"], **section.get("per_gender", {})}
    for group, scores in groups.items():
        for row in _dimension_rows(scores):
            lines.append(
                f"  {group:<8}{row[0]:<10} n={row[1]:<6} CCC {row[2]}   "
                f"Pearson {row[3]}   MAE {row[4]}"
            )
    for name, s in section.get("speaker_summary", {}).items():
        std = "n/a" if s["ccc_std"] is None else f"{s['ccc_std']:.3f}"
        mean = "n/a" if s["ccc_mean"] is None else f"{s['ccc_mean']:.3f}"
        lines.append(
            f"  per speaker {name}: CCC {mean} ± {std} over {s['speakers']} speakers"
        )
    return lines


def _dimension_markdown(section: dict) -> list[str]:
    """The Markdown tables of a report's ``dimensions`` section."""
    boot = section["bootstrap"]
    header = ["dimension", "utterances", "CCC", "Pearson", "MAE"]
    lines = _markdown_table(header, _dimension_rows(section["overall"]))
    lines += [
        "",
        f"[low, high]: {boot['level']:.0%} percentile bootstrap interval "
        f"({boot['resamples']} resamples of {boot['unit']}s, seed {boot['seed']}); "
        "MAE in the normalised [0, 1] units.",
    ]
    if section.get("per_gender"):
        lines += [
            "",
            *_markdown_table(
                ["gender", *header],
                (
                    [gender, *row]
                    for gender, scores in section["per_gender"].items()
                    for row in _dimension_rows(scores)
                ),
            ),
        ]

    def spread(s: dict, key: str) -> str:
        if s[f"{key}_mean"] is None:
            return "n/a"
        std = s[f"{key}_std"]
        return f"{s[f'{key}_mean']:.3f}" + ("" if std is None else f" ± {std:.3f}")

    summary = section.get("speaker_summary")
    if summary:
        lines += [
            "",
            *_markdown_table(
                [
                    "dimension",
                    "speakers",
                    "CCC mean ± std",
                    "CCC min",
                    "CCC max",
                    "Pearson mean ± std",
                    "MAE mean ± std",
                ],
                (
                    [
                        name,
                        s["speakers"],
                        spread(s, "ccc"),
                        _interval(s["ccc_min"], None),
                        _interval(s["ccc_max"], None),
                        spread(s, "pearson"),
                        spread(s, "mae"),
                    ]
                    for name, s in summary.items()
                ),
            ),
            "",
            "Per speaker: each speaker's metrics on that speaker's utterances "
            "alone (the differences between speakers do not count).",
        ]
    return lines


#: The figure :func:`dimension_section` draws in the report's folder.
DIMENSION_SCATTER = "valence_arousal.png"


def dimension_section(
    predictions,
    references,
    *,
    genders: Sequence[str] | None,
    speakers: Sequence[str] | None,
    output_folder: str | os.PathLike | None = None,
    names: Sequence[str] = DIMENSIONS,
    **options,
) -> dict:
    """The ``dimensions`` section of a test report, and its scatter plot.

    Arguments
    ---------
    predictions : array_like
        Shape ``(N, len(names))``: the model's arousal, valence, dominance.
    references : array_like
        Shape ``(N, len(names))``; ``nan`` = unknown.
    genders : sequence of str, optional
        One per row.
    speakers : sequence of str, optional
        One per row.
    output_folder : str or os.PathLike, optional
        Where to draw :data:`DIMENSION_SCATTER` (not drawn without one).
    names : sequence of str
        The columns' dimensions.
    **options
        ``bootstrap``, ``seed``, ``bootstrap_unit``, ``level`` of
        :func:`~speechbrain_lstm_ser.evaluation.dimensions.dimension_report`.

    Returns
    -------
    dict
        :func:`~speechbrain_lstm_ser.evaluation.dimensions.dimension_report`'s
        result: store it as ``report["dimensions"]`` before
        :func:`write_report`.

    Example
    -------
    >>> import numpy as np
    >>> ref = np.random.default_rng(0).random((20, 3))
    >>> section = dimension_section(ref * 0.9, ref, genders=None, speakers=None,
    ...                             bootstrap=0)
    >>> print(format_markdown({"dimensions": section}).splitlines()[2])
    | arousal | 20 | 0.977 | 1.000 | 0.052 |
    """
    section = dimension_report(
        predictions,
        references,
        genders=genders,
        speakers=speakers,
        names=names,
        **options,
    )
    if output_folder is not None:
        Path(output_folder).mkdir(parents=True, exist_ok=True)
        plot_dimension_scatter(
            predictions, references, Path(output_folder) / DIMENSION_SCATTER, names
        )
    return section


def _calibration_line(calibration: dict) -> str:
    """The ECE of a report's ``calibration`` section, in one line.

    Example
    -------
    >>> _calibration_line({"temperature": 1.5, "num_bins": 15, "fitted_on": "valid",
    ...                    "before": {"ece": 0.12, "nll": 0.9},
    ...                    "after": {"ece": 0.04, "nll": 0.7}})
    'ECE (15 bins): 0.0400 (0.1200 at T = 1), NLL 0.7000, temperature 1.5000 (fitted on valid)'
    """  # noqa: E501
    fitted = calibration.get("fitted_on")
    return (
        f"ECE ({calibration['num_bins']} bins): {calibration['after']['ece']:.4f} "
        f"({calibration['before']['ece']:.4f} at T = 1), "
        f"NLL {calibration['after']['nll']:.4f}, temperature "
        f"{calibration['temperature']:.4f}"
        + (f" (fitted on {fitted})" if fitted else " (not fitted)")
    )


def write_report(
    report: dict,
    output_folder: str | os.PathLike,
    rows: Sequence[dict] | None = None,
    extra: dict | None = None,
) -> Path:
    """Writes ``test_report.json``, ``confusion_matrix.png`` and predictions.

    Arguments
    ---------
    report : dict
        From ``classification_report``
        (:mod:`speechbrain_lstm_ser.evaluation.classification`); with a
        ``calibration`` section, ``reliability_diagram.png`` is drawn too.
        A ``dimensions`` section (:func:`dimension_section`, which draws its
        own figure) is written as it is, beside the classification metrics
        or alone.
    output_folder : str or os.PathLike
        Where to write.
    rows : sequence of dict, optional
        Per-utterance predictions, written to ``predictions.csv``.
    extra : dict, optional
        More top-level fields for the JSON (e.g. the checkpoint's epoch).

    Returns
    -------
    Path
        The path of ``test_report.json``.
    """
    folder = Path(output_folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "test_report.json"
    write_json(path, {**(extra or {}), **report})
    if "confusion_matrix" in report:  # not for a dimensional model alone
        plot_confusion_matrix(
            report["confusion_matrix"],
            report["labels"],
            folder / "confusion_matrix.png",
        )
    if report.get("calibration"):
        plot_reliability_diagram(
            report["calibration"], folder / "reliability_diagram.png"
        )
    if rows:
        write_manifest(folder / "predictions.csv", rows, list(rows[0]))
    return path


def _markdown_table(header: Sequence[str], rows: Iterable[Sequence]) -> list[str]:
    r"""The lines of a Markdown table: header, separator, one line per row.

    Example
    -------
    >>> print("\n".join(_markdown_table(["metric", "value"], [["UA", "0.512"]])))
    | metric | value |
    |---|---|
    | UA | 0.512 |
    """
    return [
        f"| {' | '.join(header)} |",
        "|" + "---|" * len(header),
        *(f"| {' | '.join(str(cell) for cell in row)} |" for row in rows),
    ]


def _training_time(report: dict) -> str:
    """How long the model trained, e.g. ``4.2 min for 12 epochs``."""
    return (
        f"{report['train_time_s'] / 60:.1f} min for "
        f"{report.get('epochs_trained', '?')} epochs"
    )


#: The fused test figures of a report's ``fusion`` section, as tables name them.
FUSED_ROWS = {
    "speaker": "UA fused with the functionals, speaker's baseline",
    "single_utterance": "UA fused with the functionals, single utterance",
}


def fused_scores(report: dict) -> dict[str, float]:
    """The fused model's test UAs (``fusion`` section), by :data:`FUSED_ROWS` label.

    Example
    -------
    >>> fused_scores({"fusion": {"test": {"speaker": {"unweighted_accuracy": 0.9}}}})
    {"UA fused with the functionals, speaker's baseline": 0.9}
    >>> fused_scores({})
    {}
    """
    tested = (report.get("fusion") or {}).get("test") or {}
    return {
        FUSED_ROWS[mode]: scores["unweighted_accuracy"]
        for mode, scores in tested.items()
        if mode in FUSED_ROWS
    }


def _fact_rows(report: dict) -> list[list]:
    """Table rows of what a report says about the run besides its metrics."""
    rows = []
    if report.get("protocol"):
        rows.append(["protocol", report["protocol"]])
    leakage = report.get("leakage")
    if leakage:
        identical = (leakage.get("identical_recordings") or {}).get("train-test")
        rows += [
            [
                "speakers in both train and test",
                leakage["shared_speakers"]["train-test"],
            ],
            [
                "test recordings identical to training ones",
                "not checked" if identical is None else identical,
            ],
        ]
    norm = report.get("normalization")
    if norm:
        reference = norm["reference"]
        if reference == "speaker":
            reference = "speaker (all of the test speaker's utterances: transductive)"
        rows.append(["features relative to", reference])
        for name, scores in (norm.get("variants") or {}).items():
            if "UA" in scores:
                rows.append([f"UA with {variant_label(name)}", f"{scores['UA']:.3f}"])
    fusion = report.get("fusion")
    if fusion:
        weights = ", ".join(f"{m} {w}" for m, w in fusion["weights"].items())
        rows.append(["fusion weight of the model (w)", weights])
        rows += [[label, f"{ua:.3f}"] for label, ua in fused_scores(report).items()]
    calibration = report.get("calibration")
    if calibration:
        rows += [
            [
                f"ECE ({calibration['num_bins']} bins; at T = 1)",
                f"{calibration['after']['ece']:.3f} "
                f"({calibration['before']['ece']:.3f})",
            ],
            ["temperature", f"{calibration['temperature']:.3f}"],
        ]
    if "train_time_s" in report:
        rows.append(
            ["training time (epochs x (train + valid))", _training_time(report)]
        )
    return rows


def _class_tables(report: dict) -> list[str]:
    """Markdown tables of a classification report: per class, per gender."""
    lines = _markdown_table(
        ["class", "precision", "recall", "F1", "support"],
        (
            [
                label,
                f"{s['precision']:.3f}",
                f"{s['recall']:.3f}",
                f"{s['f1']:.3f}",
                s["support"],
            ]
            for label, s in report["per_class"].items()
        ),
    )
    if report.get("by_gender"):
        lines += [
            "",
            *_markdown_table(
                ["gender", "utterances", "WA", "UA", "macro-F1"],
                (
                    [
                        value,
                        s["num_utterances"],
                        f"{s['accuracy']:.3f}",
                        f"{s['unweighted_accuracy']:.3f}",
                        f"{s['macro_f1']:.3f}",
                    ]
                    for value, s in report["by_gender"].items()
                ),
            ),
        ]
    return lines


def format_markdown(report: dict) -> str:
    """A Markdown summary of a report: headline metrics, classes, genders.

    With a ``dimensions`` section, its tables follow (dimension x CCC,
    Pearson, MAE with intervals; per gender; per-speaker summary); a report
    of a dimensional model alone has the facts of the run and those only.

    Arguments
    ---------
    report : dict
        A ``test_report.json`` as written by :func:`write_report`.

    Returns
    -------
    str
    """
    dimensions = report.get("dimensions")
    categorical = "accuracy" in report or not dimensions
    rows = []
    if categorical:
        rows = [
            ["UA (unweighted accuracy)", f"{report['unweighted_accuracy']:.3f}"],
            ["WA (accuracy)", f"{report['accuracy']:.3f}"],
            ["macro-F1", f"{report['macro_f1']:.3f}"],
            ["test utterances", report["num_utterances"]],
        ]
    rows += _fact_rows(report)
    lines = _markdown_table(["metric", "value"], rows) if rows else []
    if categorical:
        lines += ["", *_class_tables(report)]
    if dimensions:
        lines += [""] * bool(lines) + _dimension_markdown(dimensions)
    for warning in (report.get("leakage") or {}).get("warnings", []):
        lines += ["", f"**{warning}**"]
    return "\n".join(lines)


def write_asr_report(
    metrics: Mapping[str, TranscriptionMetrics],
    output_folder: str | os.PathLike,
    primary: str,
    extra: dict | None = None,
) -> Path:
    """Writes ``test_report.json``, alignments and transcripts.

    Arguments
    ---------
    metrics : mapping
        Searcher name (e.g. ``"beam"``, ``"greedy"``) -> its metrics.
    output_folder : str or os.PathLike
        Where to write.
    primary : str
        The searcher whose WER / CER are the headline numbers.
    extra : dict, optional
        More top-level fields (dataset, epochs, decoding settings).

    Returns
    -------
    Path
        The path of ``test_report.json``.
    """
    if primary not in metrics:
        raise ValueError(f"primary searcher {primary!r} not among {list(metrics)}")
    folder = Path(output_folder)
    folder.mkdir(parents=True, exist_ok=True)
    summaries = {name: m.summarize() for name, m in metrics.items()}
    report = {
        **(extra or {}),
        "searcher": primary,
        **summaries[primary],
        "searchers": {
            name: {k: v for k, v in s.items() if not k.startswith("by_")}
            for name, s in summaries.items()
        },
    }
    for name, metric in metrics.items():
        suffix = "" if name == primary else f"_{name}"
        with open(folder / f"wer_test{suffix}.txt", "w", encoding="utf-8") as handle:
            metric.write_alignments(handle)
    rows = metrics[primary].rows()
    write_manifest(folder / "transcripts.csv", rows, list(rows[0]))
    path = folder / "test_report.json"
    write_json(path, report)
    return path


def format_asr_summary(report: dict) -> str:
    """A plain-text summary of an ASR report (what the recipe prints).

    Arguments
    ---------
    report : dict
        A ``test_report.json`` written by :func:`write_asr_report`.

    Returns
    -------
    str
    """
    lines = [
        f"utterances: {report['num_utterances']}   words: {report['num_words']}",
        f"{'searcher':<10}{'WER %':>8}{'CER %':>8}{'SER %':>8}",
    ]
    for name, s in report["searchers"].items():
        lines.append(f"{name:<10}{s['WER']:>8.2f}{s['CER']:>8.2f}{s['SER']:>8.2f}")
    if report.get("by_gender"):
        lines += ["", f"{'gender':<10}{'n':>6}{'WER %':>8}{'CER %':>8}"]
        for value, s in report["by_gender"].items():
            lines.append(
                f"{value:<10}{s['num_utterances']:>6d}{s['WER']:>8.2f}{s['CER']:>8.2f}"
            )
    return "\n".join(lines)


def format_asr_markdown(report: dict) -> str:
    """Markdown tables of an ASR report: searchers, genders, training.

    Arguments
    ---------
    report : dict
        A ``test_report.json`` written by :func:`write_asr_report`.

    Returns
    -------
    str

    Example
    -------
    >>> report = {"num_utterances": 2, "num_words": 8, "searcher": "beam",
    ...           "searchers": {"beam": {"WER": 12.5, "CER": 5.0, "SER": 50.0}}}
    >>> print(format_asr_markdown(report))
    | searcher | WER % | CER % | sentence error % |
    |---|---|---|---|
    | beam (reported) | 12.50 | 5.00 | 50.00 |
    <BLANKLINE>
    2 test utterances, 8 words.
    """
    lines = _markdown_table(
        ["searcher", "WER %", "CER %", "sentence error %"],
        (
            [
                f"{name} (reported)" if name == report["searcher"] else name,
                f"{s['WER']:.2f}",
                f"{s['CER']:.2f}",
                f"{s['SER']:.2f}",
            ]
            for name, s in report["searchers"].items()
        ),
    )
    if report.get("by_gender"):
        lines += [
            "",
            *_markdown_table(
                ["gender", "utterances", "WER %", "CER %"],
                (
                    [value, s["num_utterances"], f"{s['WER']:.2f}", f"{s['CER']:.2f}"]
                    for value, s in report["by_gender"].items()
                ),
            ),
        ]
    facts = [f"{report['num_utterances']} test utterances, {report['num_words']} words"]
    if "train_time_s" in report:
        facts.append(f"training {_training_time(report)}")
    if "decoding" in report:
        facts.append(f"beam size {report['decoding'].get('beam_size', '?')}")
    return "\n".join(lines + ["", ", ".join(facts) + "."])


def format_runs(reports: Sequence[dict], names: Sequence[str]) -> str:
    """Mean ± std over repeated runs (e.g. seeds) of a classification recipe.

    The 320 test utterances of one run carry about ±4 points of noise:
    compare models as the mean of several seeds, not one run.

    Arguments
    ---------
    reports : sequence of dict
        The runs' ``test_report.json`` contents.
    names : sequence of str
        A name per run (e.g. its seed), for the table.

    Returns
    -------
    str
        Markdown: one row per metric (UA, WA, macro-F1, UA of each gender
        and, for speaker-normalised runs, UA of the single-utterance and
        enrolment variants; with ``fusion`` sections, the fused UAs; with
        ``dimensions`` sections, each dimension's CCC and its mean over
        speakers).

    Example
    -------
    >>> runs = [{"unweighted_accuracy": u, "accuracy": u, "macro_f1": u}
    ...         for u in (0.7, 0.8)]
    >>> print(format_runs(runs, ["1", "2"]))
    | metric (2 runs) | mean ± std | 1 | 2 |
    |---|---|---|---|
    | UA | 0.750 ± 0.071 | 0.700 | 0.800 |
    | WA | 0.750 ± 0.071 | 0.700 | 0.800 |
    | macro-F1 | 0.750 ± 0.071 | 0.700 | 0.800 |
    """
    rows = {}
    if all("accuracy" in r for r in reports) or not all(
        r.get("dimensions") for r in reports
    ):
        rows = {
            "UA": [r["unweighted_accuracy"] for r in reports],
            "WA": [r["accuracy"] for r in reports],
            "macro-F1": [r["macro_f1"] for r in reports],
        }
    genders = sorted({g for r in reports for g in r.get("by_gender", {})})
    for gender in genders:
        if all(gender in r.get("by_gender", {}) for r in reports):
            rows[f"UA {gender}"] = [
                r["by_gender"][gender]["unweighted_accuracy"] for r in reports
            ]
    variants = [r.get("normalization", {}).get("variants") or {} for r in reports]
    for name in variants[0] if variants else ():
        if all(name in v for v in variants):
            rows[f"UA with {variant_label(name)}"] = [v[name]["UA"] for v in variants]
    fused = [fused_scores(r) for r in reports]
    for label in fused[0]:
        if all(label in f for f in fused):
            rows[label] = [f[label] for f in fused]
    rows.update(_dimension_runs([r.get("dimensions") for r in reports]))
    table = []
    for metric, values in rows.items():
        stats = mean_std(values)
        std = "n/a" if stats["std"] is None else f"{stats['std']:.3f}"
        table.append(
            [metric, f"{stats['mean']:.3f} ± {std}", *(f"{v:.3f}" for v in values)]
        )
    return "\n".join(
        _markdown_table([f"metric ({len(reports)} runs)", "mean ± std", *names], table)
    )


def _dimension_runs(sections: Sequence[dict | None]) -> dict[str, list[float]]:
    """Per dimension, the runs' CCC overall and mean CCC over speakers.

    A row is left out unless every run has the figure.

    Example
    -------
    >>> runs = [{"overall": {"valence": {"ccc": c}}, "speaker_summary": {}}
    ...         for c in (0.6, 0.7)]
    >>> _dimension_runs(runs)
    {'CCC valence': [0.6, 0.7]}
    """
    if not sections or not all(sections):
        return {}
    rows = {}
    for name in sections[0]["overall"]:
        ccc = [s["overall"].get(name, {}).get("ccc") for s in sections]
        if None not in ccc:
            rows[f"CCC {name}"] = ccc
        by_speaker = [
            s.get("speaker_summary", {}).get(name, {}).get("ccc_mean") for s in sections
        ]
        if None not in by_speaker:
            rows[f"CCC {name} (mean over speakers)"] = by_speaker
    return rows


def main(argv: list[str] | None = None) -> None:
    """``sb-lstm-ser report REPORT.json [...] [--markdown]``: any task's report."""
    parser = argparse.ArgumentParser(
        prog="sb-lstm-ser report",
        description="Summarise a test_report.json (classification or ASR); "
        "several classification reports (e.g. one per seed): mean ± std over them.",
    )
    parser.add_argument("report", nargs="+", help="path(s) of test_report.json")
    parser.add_argument(
        "--markdown", action="store_true", help="Markdown tables (as in the README)"
    )
    args = parser.parse_args(argv)
    reports = []
    for path in args.report:  # every error names the file
        try:
            with open(path, encoding="utf-8") as handle:
                reports.append(json.load(handle))
        except (OSError, ValueError) as err:  # JSON and UTF-8 errors too
            raise ValueError(
                f"{path}: cannot be read as a JSON report ({err})"
            ) from None
        if not isinstance(reports[-1], dict):
            raise ValueError(f"{path}: not a test report (a JSON object)")
    what = ", ".join(args.report)
    try:
        if len(reports) > 1:
            if any("WER" in report for report in reports):
                parser.error("several reports: classification reports only")
            names = [Path(path).resolve().parent.name for path in args.report]
            print(format_runs(reports, names))
            return
        report = reports[0]
        if "WER" in report:
            text = (
                format_asr_markdown(report)
                if args.markdown
                else format_asr_summary(report)
            )
        else:
            text = format_markdown(report) if args.markdown else format_summary(report)
    except (KeyError, TypeError, ValueError, IndexError) as err:
        raise ValueError(
            f"{what}: not a test report of this package (no usable {err}); give "
            "the test_report.json of a recipe run"
        ) from None
    print(text)


if __name__ == "__main__":
    main()
