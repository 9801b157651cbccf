"""The model card's robustness section: the table ``sb-lstm-ser robustness`` measured.

A card that lists the test accuracy alone says nothing of noise, rooms,
telephone lines or other voices, where a user's recordings differ most.
:func:`with_robustness` adds (or replaces) a ``## Robustness`` section made
from the cross-domain JSON that ``sb-lstm-ser robustness --conditions all
--domain ... --json`` wrote for this model
(:func:`~speechbrain_lstm_ser.evaluation.transfer.evaluate_model_transfer`);
``sb-lstm-ser publish --robustness RUN.json`` puts it on the uploaded card.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path

from speechbrain_lstm_ser.evaluation.transfer import format_transfer_table

__all__ = ["read_robustness", "robustness_section", "with_robustness"]

ROBUSTNESS_START = "<!-- robustness:begin -->"
ROBUSTNESS_END = "<!-- robustness:end -->"
#: The section goes before this heading of the card (at the end without it).
_BEFORE = "## Limitations"


def read_robustness(
    path: str | os.PathLike, folder: str | os.PathLike | None = None
) -> dict:
    """Reads a robustness ``--json`` file, checking it is a cross-domain table.

    Arguments
    ---------
    path : str or os.PathLike
        What ``sb-lstm-ser robustness --conditions ... --json`` wrote.
    folder : str or os.PathLike, optional
        The model folder the table must have measured (its ``model``).

    Returns
    -------
    dict
    """
    path = Path(path)
    try:
        summary = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ValueError(f"{path}: not a readable robustness JSON ({error})") from None
    rows = []
    if isinstance(summary, dict):
        for part in ("conditions", "domains"):
            rows += dict(summary.get(part) or {}).values()
    if not any(
        isinstance(mode, dict) and "UA" in mode
        for row in rows
        if isinstance(row, dict)
        for mode in row.values()
    ):
        raise ValueError(
            f"{path}: no cross-domain UA table in it; write one with "
            "sb-lstm-ser robustness --model FOLDER --manifest TEST.csv "
            "--conditions all [--domain D] --json FILE"
        )
    if folder is not None:
        measured = Path(str(summary.get("model", "")))
        if not measured.name or measured.resolve() != Path(folder).resolve():
            raise ValueError(
                f"{path}: measured the model {str(measured) or '(none named)'}, "
                f"not {folder}; run sb-lstm-ser robustness --model {folder} ... "
                "--json to measure this one"
            )
    return summary


def robustness_section(summary: Mapping) -> str:
    """The ``## Robustness`` section (between markers) of a cross-domain table.

    Arguments
    ---------
    summary : mapping
        A robustness ``--json`` result (:func:`read_robustness`).

    Returns
    -------
    str

    Example
    -------
    >>> summary = {"manifest": "run/manifests/test.csv", "seed": 0,
    ...     "groups": ["noise"], "domain_paths": {"flite": "data/flite"},
    ...     "utterances": 320, "conditions": {"clean": {"utterance": {
    ...     "UA": 0.6, "delta_UA": 0.0, "unchanged": 1.0}}}, "domains": {}}
    >>> print(robustness_section(summary).splitlines()[1])
    ## Robustness
    """
    groups = ", ".join(summary.get("groups", [])) or "none"
    domains = ", ".join(f"`{n}`" for n in summary.get("domain_paths", {})) or "none"
    manifest = Path(str(summary.get("manifest", "the test split"))).name
    lines = [
        ROBUSTNESS_START,
        "## Robustness",
        "",
        f"UA of the {summary.get('utterances', '?')} utterances of `{manifest}` "
        f"under corrupted conditions (groups: {groups}; seed "
        f"{summary.get('seed', 0)}) and on other domains never trained on "
        f"({domains}), measured with `sb-lstm-ser robustness`: "
        f"{_modes_said(summary)}; "
        "*unchanged* is the share of labels a condition leaves as they were "
        "clean. A domain's ΔUA is from the clean test split.",
        "",
        format_transfer_table(summary),
        ROBUSTNESS_END,
        "",
    ]
    return "\n".join(lines)


def _modes_said(summary: Mapping) -> str:
    """How the table's utterances were classified, from the modes it holds.

    Example
    -------
    >>> both = {"utterance": {}, "speaker": {}}
    >>> _modes_said({"conditions": {"clean": both}})
    "each utterance alone (utterance) and against its speaker's enrolment (speaker)"
    >>> _modes_said({"conditions": {"clean": {"utterance": {}}}})[-59:]
    'no per-speaker column: the model is not speaker-normalised)'
    """
    clean = next(iter(summary.get("conditions", {}).values()), {})
    said = {
        "utterance": "each utterance alone (utterance)",
        "speaker": "against its speaker's enrolment (speaker)",
    }
    if "speaker" not in clean:
        return (
            "each utterance alone (utterance; no per-speaker column: the model "
            "is not speaker-normalised)"
        )
    if "utterance" not in clean:
        return "each utterance " + said["speaker"]
    return said["utterance"] + " and " + said["speaker"]


def with_robustness(card: str, summary: Mapping) -> str:
    r"""The card with its robustness section added, or replaced if it had one.

    Example
    -------
    >>> summary = {"conditions": {"clean": {"utterance": {"UA": 0.6,
    ...     "delta_UA": 0.0, "unchanged": 1.0}}}}
    >>> card = with_robustness("# m\n\n## Limitations\n", summary)
    >>> card.index("## Robustness") < card.index("## Limitations")
    True
    >>> with_robustness(card, summary) == card
    True
    """
    start, end = card.find(ROBUSTNESS_START), card.find(ROBUSTNESS_END)
    if start != -1 and end > start:
        card = card[:start] + card[end + len(ROBUSTNESS_END) :].lstrip("\n")
    section = robustness_section(summary)
    at = card.find(_BEFORE)
    if at == -1:
        return card.rstrip("\n") + "\n\n" + section
    return card[:at] + section + "\n" + card[at:]
