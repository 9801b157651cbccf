"""Mean ± std over runs of ``sb-lstm-ser robustness --conditions/--domain`` tables.

Each run (one seed of a model) writes its cross-domain table with ``--json``;
this prints one Markdown table of their mean ± standard deviation (population,
as ``sb-lstm-ser report`` does over seeds): UA and the share of labels
unchanged from clean, single utterance and per speaker, per condition and
domain::

    python -m bench.transfer_runs results/emotion_lstm/{1986,1,2}/transfer.json

With ``--against`` another model's runs (the same seeds, in the same order),
it also prints each row's mean UA difference from them with a 95 % paired
bootstrap interval over the utterances (:func:`bench.compare.paired_runs_bootstrap`)::

    python -m bench.transfer_runs candidate/{1986,1,2}.json \
        --against default/{1986,1,2}.json

``--against`` also takes one ``bench.classic --output`` JSON (the classic
baseline's table, under its ``transfer`` key): every run is then paired with
that one baseline, on the rows and modes both have (the classic rows have
one mode each)::

    python -m bench.transfer_runs results/emotion_lstm/{1986,1,2}/transfer.json \
        --against svm_speaker.json

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence

import numpy as np

from bench.compare import paired_runs_bootstrap
from speechbrain_lstm_ser.evaluation.transfer import MODES

__all__ = ["transfer_runs_differences", "transfer_runs_table"]


def _cell(values: list[float], percent: bool) -> str:
    if not values:
        return "–"
    scale, digits = (100.0, 1) if percent else (1.0, 3)
    mean, std = scale * float(np.mean(values)), scale * float(np.std(values))
    unit = " %" if percent else ""
    return f"{mean:.{digits}f} ± {std:.{digits}f}{unit}"


def transfer_runs_table(summaries: Sequence[dict]) -> str:
    """One Markdown table: every row's UA and unchanged share, mean ± std over runs.

    Arguments
    ---------
    summaries : sequence of dict
        The ``--json`` outputs of ``sb-lstm-ser robustness --conditions ...
        --domain ...`` (``conditions`` and ``domains``, each row keyed by
        mode: ``UA``, ``unchanged``).

    Returns
    -------
    str

    Example
    -------
    >>> run = lambda ua: {"conditions": {"clean": {"utterance": {"UA": ua,
    ...     "unchanged": 1.0}}}, "domains": {}}
    >>> print(transfer_runs_table([run(0.6), run(0.7)]).splitlines()[-1])
    | clean | 0.650 ± 0.050 | 100.0 ± 0.0 % | – | – |
    """
    rows: dict[str, dict[str, dict[str, list[float]]]] = {}
    for summary in summaries:
        for part in ("conditions", "domains"):
            for name, modes in summary.get(part, {}).items():
                for mode in MODES:
                    cells = modes.get(mode) or {}
                    for key in ("UA", "unchanged"):
                        if cells.get(key) is not None:
                            slot = rows.setdefault(name, {}).setdefault(mode, {})
                            slot.setdefault(key, []).append(float(cells[key]))
    lines = [
        f"| condition ({len(summaries)} runs) | UA (utterance) | unchanged "
        "| UA (speaker) | unchanged |",
        "|---|---|---|---|---|",
    ]
    for name, modes in rows.items():
        cells = []
        for mode in MODES:
            slot = modes.get(mode, {})
            cells += [_cell(slot.get("UA", []), False)]
            cells += [_cell(slot.get("unchanged", []), True)]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _paired_rows(run: dict, baseline: dict, where: str) -> dict:
    """Row -> mode -> ``(ids, references, baseline, other)`` of one pair of runs."""
    rows: dict[str, dict[str, tuple]] = {}
    for part in ("conditions", "domains"):
        for name, modes in run.get(part, {}).items():
            base_modes = baseline.get(part, {}).get(name)
            if base_modes is None:
                continue
            source = "test" if part == "conditions" else name
            refs = run.get("references", {}).get(source)
            base_refs = baseline.get("references", {}).get(source)
            for mode in MODES:
                if mode not in modes or mode not in base_modes:
                    continue
                if (
                    refs is None
                    or base_refs is None
                    or any(
                        "predicted" not in m for m in (modes[mode], base_modes[mode])
                    )
                ):
                    raise ValueError(
                        f"{where}: {name!r} has no per-utterance predictions; "
                        "re-run sb-lstm-ser robustness --json with this version"
                    )
                if refs["ids"] != base_refs["ids"]:
                    raise ValueError(
                        f"{where}: {name!r} was measured on other utterances in "
                        "the two runs; pair runs of the same seed (the same split)"
                    )
                rows.setdefault(name, {})[mode] = (
                    refs["ids"],
                    refs["labels"],
                    base_modes[mode]["predicted"],
                    modes[mode]["predicted"],
                )
    return rows


def transfer_runs_differences(
    summaries: Sequence[dict],
    against: Sequence[dict],
    resamples: int = 1000,
    seed: int = 0,
    names: Sequence[str] | None = None,
) -> str:
    """Each row's mean UA difference from ``against``, with its paired interval.

    Arguments
    ---------
    summaries, against : sequence of dict
        The two models' ``--json`` outputs, paired in order (the same seed,
        so the same test split); rows both have are compared.
    resamples : int
        Bootstrap resamples.
    seed : int
        Seed of the resampling.
    names : sequence of str, optional
        The runs' names for errors (default: their positions).

    Returns
    -------
    str
        A Markdown table: ``mean ΔUA [2.5 %, 97.5 %]`` per row and mode.

    Example
    -------
    >>> refs = {"test": {"ids": ["u1", "u2"], "labels": ["a", "b"]}}
    >>> run = lambda p: {"references": refs, "conditions": {"clean": {
    ...     "utterance": {"predicted": p}}}}
    >>> print(transfer_runs_differences([run(["a", "b"])], [run(["a", "a"])],
    ...                                 resamples=20).splitlines()[-1])
    | clean | +0.500 [+0.000, +1.000] | – |
    """
    if len(summaries) != len(against):
        raise ValueError(
            f"{len(summaries)} runs against {len(against)}: give one run of "
            "each model per seed, in the same order"
        )
    names = list(names or [f"run {i + 1}" for i in range(len(summaries))])
    pairs: dict[str, dict[str, list[tuple]]] = {}
    for run, baseline, where in zip(summaries, against, names, strict=True):
        for name, modes in _paired_rows(run, baseline, where).items():
            for mode, pair in modes.items():
                pairs.setdefault(name, {}).setdefault(mode, []).append(pair)
    lines = [
        f"| condition ({len(summaries)} pairs of runs) | ΔUA (utterance) [95 %] "
        "| ΔUA (speaker) [95 %] |",
        "|---|---|---|",
    ]
    for name, modes in pairs.items():
        cells = []
        for mode in MODES:
            if len(modes.get(mode, [])) != len(summaries):
                cells.append("–")
                continue
            delta, low, high = paired_runs_bootstrap(modes[mode], resamples, seed)
            cells.append(f"{delta:+.3f} [{low:+.3f}, {high:+.3f}]")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _read(paths: Sequence[str]) -> list[dict]:
    """The JSON of each run; a missing or unreadable file exits naming it."""
    summaries = []
    for path in paths:
        try:
            with open(path, encoding="utf-8") as handle:
                summaries.append(json.load(handle))
        except (OSError, json.JSONDecodeError) as error:
            raise SystemExit(
                f"error: {path}: cannot read this run's table ({error}); give the "
                "--json of sb-lstm-ser robustness (or bench.fusion's --output_dir)"
            ) from None
        if "conditions" not in summaries[-1] and "transfer" in summaries[-1]:
            summaries[-1] = summaries[-1]["transfer"]  # a bench.classic --output
    return summaries


def main(argv: list[str] | None = None) -> None:
    """``python -m bench.transfer_runs RUN.json [RUN.json ...]``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", help="robustness --json outputs")
    parser.add_argument(
        "--against",
        nargs="+",
        help="another model's runs of the same seeds, in the same order, or one "
        "run (e.g. a bench.classic --output) paired with every run: also print "
        "each row's UA difference with a paired bootstrap interval",
    )
    parser.add_argument("--resamples", type=int, default=1000)
    args = parser.parse_args(argv)
    summaries = _read(args.runs)
    print(transfer_runs_table(summaries))
    if args.against:
        against = _read(args.against)
        if len(against) == 1:  # one baseline (e.g. the classic one) for every run
            against *= len(summaries)
        try:
            table = transfer_runs_differences(
                summaries, against, args.resamples, names=args.runs
            )
        except ValueError as error:
            raise SystemExit(f"error: {error}") from None
        print()
        print(table)


if __name__ == "__main__":
    main()
