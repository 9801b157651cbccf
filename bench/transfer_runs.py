"""Mean ± std over runs of ``sb-lstm-ser robustness --conditions/--domain`` tables.

Each run (one seed of a model) writes its cross-domain table with ``--json``;
this prints one Markdown table of their mean ± standard deviation (population,
as ``sb-lstm-ser report`` does over seeds): UA and the share of labels
unchanged from clean, single utterance and per speaker, per condition and
domain::

    python -m bench.transfer_runs results/emotion_lstm/{1986,1,2}/transfer.json

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence

import numpy as np

from speechbrain_lstm_ser.evaluation.transfer import MODES

__all__ = ["transfer_runs_table"]


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


def main(argv: list[str] | None = None) -> None:
    """``python -m bench.transfer_runs RUN.json [RUN.json ...]``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", help="robustness --json outputs")
    args = parser.parse_args(argv)
    summaries = []
    for path in args.runs:
        with open(path, encoding="utf-8") as handle:
            summaries.append(json.load(handle))
    print(transfer_runs_table(summaries))


if __name__ == "__main__":
    main()
