"""Speech recognition reports: ``test_report.json``, ``wer_test.txt``, Markdown.

The ASR recipe decodes the test set with several searchers (greedy CTC and
CTC beam search); :func:`write_asr_report` writes, for the ``primary`` one,
``wer_test.txt`` (SpeechBrain's WER summary and per-utterance alignments)
and ``transcripts.csv``; for every other one ``wer_test_<name>.txt``; and
one ``test_report.json`` holding the headline WER / CER (primary searcher),
every searcher's rates, and the breakdown by gender and speaker.

``python -m speechbrain_lstm_ser.asr_report REPORT.json --markdown`` prints
the tables of the README.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from speechbrain_lstm_ser.asr_metrics import TranscriptionMetrics
from speechbrain_lstm_ser.dataio.manifest import write_manifest
from speechbrain_lstm_ser.report import summary_cli, write_json

__all__ = ["format_asr_markdown", "format_asr_summary", "write_asr_report"]


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
    lines = [
        "| searcher | WER % | CER % | sentence error % |",
        "|---|---|---|---|",
    ]
    for name, s in report["searchers"].items():
        label = f"{name} (reported)" if name == report["searcher"] else name
        lines.append(f"| {label} | {s['WER']:.2f} | {s['CER']:.2f} | {s['SER']:.2f} |")
    if report.get("by_gender"):
        lines += ["", "| gender | utterances | WER % | CER % |", "|---|---|---|---|"]
        for value, s in report["by_gender"].items():
            lines.append(
                f"| {value} | {s['num_utterances']} | {s['WER']:.2f} | {s['CER']:.2f} |"
            )
    facts = [f"{report['num_utterances']} test utterances, {report['num_words']} words"]
    if "train_time_s" in report:
        facts.append(
            f"training {report['train_time_s'] / 60:.1f} min for "
            f"{report.get('epochs_trained', '?')} epochs"
        )
    if "decoding" in report:
        facts.append(f"beam size {report['decoding'].get('beam_size', '?')}")
    return "\n".join(lines + ["", ", ".join(facts) + "."])


def main(argv: list[str] | None = None) -> None:
    """``python -m speechbrain_lstm_ser.asr_report REPORT.json [--markdown]``."""
    summary_cli(
        "Summarise an ASR test_report.json.",
        format_asr_summary,
        format_asr_markdown,
        argv,
    )


if __name__ == "__main__":
    main()
