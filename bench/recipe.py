"""The recipes the benchmark runs, and the YAML its models start from.

The benchmark trains, distils and measures training throughput with the
recipes themselves, run as subprocesses the way users run them
(``python recipes/emotion/train.py ...``), so that what it measures is what
users run; it never imports a recipe. A model's YAML is the recipe's with
the model's changes (:func:`compose_hparams`).

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Mapping
from pathlib import Path

import ruamel.yaml

ROOT = Path(__file__).resolve().parents[1]
RECIPE = ROOT / "recipes" / "emotion" / "train.py"
DISTILL_RECIPE = ROOT / "recipes" / "emotion" / "distill.py"
HPARAMS = ROOT / "hparams" / "lstm.yaml"

__all__ = [
    "DISTILL_RECIPE",
    "HPARAMS",
    "RECIPE",
    "ROOT",
    "compose_hparams",
    "dump_yaml",
    "round_trip_yaml",
]


def round_trip_yaml() -> ruamel.yaml.YAML:
    """Round-trip YAML: tags such as ``!new:`` are kept, not constructed.

    Example
    -------
    >>> round_trip_yaml().load("a: !new:torch.nn.ReLU")["a"].tag.value
    '!new:torch.nn.ReLU'
    """
    yaml = ruamel.yaml.YAML()
    yaml.width = 4096
    return yaml


def dump_yaml(data) -> str:
    """The text of round-trip-loaded ``data``.

    Example
    -------
    >>> print(dump_yaml(round_trip_yaml().load("{a: 1, b: !ref <a>}")), end="")
    {a: 1, b: !ref <a>}
    """
    buffer = io.StringIO()
    round_trip_yaml().dump(data, buffer)
    return buffer.getvalue()


def _apply_changes(doc, changes: Mapping) -> None:
    for key, value in changes.items():
        tagged = getattr(getattr(value, "tag", None), "value", None)
        if (
            isinstance(value, Mapping)
            and not tagged
            and isinstance(doc.get(key), Mapping)
        ):
            _apply_changes(doc[key], value)
        else:
            doc[key] = value


def compose_hparams(base: str | os.PathLike, changes: Mapping) -> str:
    """The text of ``base`` (a recipe YAML) with entries changed.

    A changed value with a tag (``!new:``, ``!name:``...) replaces the
    entry whole; a plain mapping updates the entry's arguments; anything
    else replaces it. References (``!ref``) are kept, to be resolved when
    the recipe loads the file.

    Arguments
    ---------
    base : str or os.PathLike
        The YAML to start from (``hparams/lstm.yaml``).
    changes : mapping
        Round-trip-loaded YAML (see ``bench/models.yaml``, ``hparams``).

    Returns
    -------
    str
        The composed YAML.

    Example
    -------
    >>> changes = "{lstm_hidden: 48, classifier: {dropout: 0.1}}"
    >>> changes = round_trip_yaml().load(changes)
    >>> text = compose_hparams(HPARAMS, changes)
    >>> "lstm_hidden: 48" in text and "dropout: 0.1" in text
    True
    >>> f"!include:{Path(HPARAMS).resolve().parent.as_posix()}/common/" in text
    True
    """
    doc = round_trip_yaml().load(Path(base).read_text(encoding="utf-8"))
    _apply_changes(doc, changes or {})
    # The composed file lives elsewhere: its includes point back at base's.
    folder = Path(base).resolve().parent.as_posix()
    return re.sub(r"!include:(?!/)", f"!include:{folder}/", dump_yaml(doc))
