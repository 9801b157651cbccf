"""Loading a recipe's YAML with command-line overrides, with clear errors.

SpeechBrain accepts an override of a key that does not exist (a typo such as
``--lstm_hiden 64`` silently adds a new key and changes nothing) and
reports a malformed or wrongly typed value deep inside the object it breaks.
:func:`load_hparams` checks the overrides against the YAML first, without
constructing anything, and names the override and the fix.

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import argparse
import difflib
import os
from collections.abc import Collection, Mapping
from pathlib import Path

import ruamel.yaml
from hyperpyyaml import load_hyperpyyaml, resolve_references
from torch import nn

from speechbrain_lstm_ser.hub.legacy import accept_earlier_versions
from speechbrain_lstm_ser.nnet.models import (
    CTCModel,
    TaskModel,
    UtteranceClassifierModel,
)

__all__ = [
    "HparamsError",
    "check_overrides",
    "load_hparams",
    "load_settings",
    "load_trained_modules",
    "yaml_overrides",
]


class HparamsError(ValueError):
    """A YAML file or a command-line override that cannot be used."""


#: The type family of a YAML default, by its Python type (first match wins:
#: a bool is also an int).
_KINDS = (
    (bool, "boolean"),
    (int, "integer"),
    (float, "number"),
    (str, "string"),
    (list, "list"),
    (dict, "mapping"),
)


def _kind(value) -> str | None:
    """The type family of a YAML default, or None when anything goes."""
    if getattr(getattr(value, "tag", None), "value", None):
        return None  # !ref, !new, ...: computed, not checked here
    return next((kind for type_, kind in _KINDS if isinstance(value, type_)), None)


def _matches(kind: str, value) -> bool:
    if getattr(getattr(value, "tag", None), "value", None) or value is None:
        return True  # a tagged override (!ref, !new) or null is the user's call
    checks = {
        "boolean": lambda v: isinstance(v, bool),
        "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
        "string": lambda v: (
            isinstance(v, (str, int, float)) and not isinstance(v, bool)
        ),
        "list": lambda v: isinstance(v, list),
        "mapping": lambda v: isinstance(v, dict),
    }
    return checks[kind](value)


def check_overrides(
    defaults: Mapping,
    overrides: Mapping,
    where: str = "",
    blocks: Mapping[str, Collection[str]] | None = None,
) -> list[str]:
    """Problems with overrides: unknown keys and values of the wrong type.

    Arguments
    ---------
    defaults : mapping
        The YAML, parsed without construction.
    overrides : mapping
        The parsed overrides.
    where : str
        Prefix of nested keys (for messages).
    blocks : mapping, optional
        Block name -> the keys of the file it includes (``prepare:
        !include:...``): an unknown top-level key that is one of them is
        pointed there.

    Returns
    -------
    list of str
        One line per problem (empty when all is well).

    Example
    -------
    >>> defaults = {"lr": 0.1, "epochs": 3}
    >>> for problem in check_overrides(defaults, {"lr": 1, "epoch": 2, "epochs": "x"}):
    ...     print(problem)
    unknown key 'epoch' (did you mean 'epochs'?)
    'epochs' expects an integer, got 'x'
    >>> blocks = {"prepare": ["seed"]}
    >>> print(check_overrides({"prepare": {}}, {"seed": 7}, blocks=blocks)[0])
    unknown key 'seed': it is in the prepare: block; set it with --prepare "{seed: 7}"
    """
    problems = []
    for key, value in overrides.items():
        name = f"{where}{key}"
        block = next((b for b, keys in (blocks or {}).items() if key in keys), None)
        if key not in defaults and block is not None:
            problems.append(
                f"unknown key '{name}': it is in the {block}: block; set it with "
                f'--{block} "{{{key}: {value}}}"'
            )
            continue
        if key not in defaults:
            close = difflib.get_close_matches(str(key), [str(k) for k in defaults], n=1)
            hint = f" (did you mean '{where}{close[0]}'?)" if close else ""
            problems.append(f"unknown key '{name}'{hint}")
            continue
        kind = _kind(defaults[key])
        if kind == "mapping" and isinstance(value, dict):
            problems += check_overrides(defaults[key], value, f"{name}.")
        elif kind is not None and not _matches(kind, value):
            article = "an" if kind[0] in "aeiou" else "a"
            problems.append(f"'{name}' expects {article} {kind}, got {value!r}")
    return problems


def _included_keys(hparams_file: str | os.PathLike, defaults: Mapping) -> dict:
    """Top-level block -> the keys of the file it includes (``!include:``)."""
    blocks = {}
    for key, value in defaults.items():
        tag = getattr(getattr(value, "tag", None), "value", None) or ""
        if tag.startswith("!include:"):
            path = Path(hparams_file).resolve().parent / tag[len("!include:") :]
            try:
                blocks[key] = list(ruamel.yaml.YAML().load(path.read_text()) or {})
            except (OSError, ruamel.yaml.YAMLError):
                continue  # loading reports it, with the file's name
    return blocks


def _checked(hparams_file: str | os.PathLike, overrides: str | Mapping | None) -> str:
    """The YAML's text, once the overrides are known to fit it."""
    yaml = ruamel.yaml.YAML()
    try:
        with open(hparams_file, encoding="utf-8") as handle:
            text = handle.read()
        defaults = yaml.load(text)
    except OSError as err:
        raise HparamsError(f"cannot read {hparams_file}: {err}") from None
    except ruamel.yaml.YAMLError as err:
        raise HparamsError(f"{hparams_file} is not valid YAML: {err}") from None
    parsed = {}
    if isinstance(overrides, str) and overrides.strip():
        for line in overrides.splitlines():
            if not line.strip():
                continue
            try:
                parsed.update(yaml.load(line) or {})
            except (ruamel.yaml.YAMLError, TypeError, ValueError) as err:
                problem = str(err).splitlines()[0]
                raise HparamsError(
                    f"malformed override `--{line.replace(': ', ' ', 1)}`: {problem}; "
                    'quote lists and mappings, e.g. --emotions "[neutral, sad]"'
                ) from None
    elif isinstance(overrides, Mapping):
        parsed = dict(overrides)
    problems = check_overrides(
        defaults, parsed, blocks=_included_keys(hparams_file, defaults)
    )
    if problems:
        raise HparamsError(
            f"bad override(s) for {hparams_file}:\n"
            + "\n".join(f"  - {p}" for p in problems)
        )
    return text


def load_hparams(
    hparams_file: str | os.PathLike, overrides: str | Mapping | None = None
) -> dict:
    """Loads a recipe YAML with overrides, refusing bad overrides up front.

    Arguments
    ---------
    hparams_file : str or os.PathLike
        The recipe's HyperPyYAML file.
    overrides : str or mapping, optional
        As ``speechbrain.parse_arguments`` returns them (a YAML string).

    Returns
    -------
    dict
        The loaded hyperparameters (objects constructed).

    Raises
    ------
    HparamsError
        For a missing or malformed file, a malformed override, an unknown
        key or a value of the wrong type, naming each one.
    """
    _checked(hparams_file, overrides)
    try:  # from the file, so that `!include:` paths are relative to it
        with open(hparams_file, encoding="utf-8") as handle:
            hparams = load_hyperpyyaml(handle, overrides or None)
    except Exception as err:  # construction errors: say where they come from
        raise HparamsError(
            f"could not build the objects of {hparams_file} with these overrides: "
            f"{type(err).__name__}: {err}"
        ) from err
    # a run's checkpoints may be those of an earlier version (resumed, loaded)
    accept_earlier_versions(
        m
        for m in (*hparams.values(), *hparams.get("modules", {}).values())
        if isinstance(m, nn.Module)
    )
    return hparams


def load_settings(
    hparams_file: str | os.PathLike, overrides: str | Mapping | None = None
) -> dict:
    r"""The plain settings of a recipe YAML with checked overrides, nothing built.

    References are resolved; tagged objects (``!new:`` ...) stay unbuilt
    (no folder is created), for scripts that only read settings, such as
    ``recipes/emotion/cross_validate.py``.

    Arguments
    ---------
    hparams_file, overrides
        As for :func:`load_hparams`.

    Returns
    -------
    dict
        The YAML as data (round-trip loaded).

    Raises
    ------
    HparamsError
        As :func:`load_hparams`.

    Example
    -------
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "h.yaml")
    >>> text = "out: results\nsave: !ref <out>/save\nepochs: 3\n"
    >>> _ = open(path, "w").write(text)
    >>> settings = load_settings(path, "out: elsewhere")
    >>> settings["save"], settings["epochs"]
    ('elsewhere/save', 3)
    >>> load_settings(path, "epoch: 2")
    Traceback (most recent call last):
    ...
    speechbrain_lstm_ser.training.hparams.HparamsError: bad override(s) for ...h.yaml:
      - unknown key 'epoch' (did you mean 'epochs'?)
    """
    _checked(hparams_file, overrides)
    with open(hparams_file, encoding="utf-8") as handle:
        resolved = resolve_references(handle, overrides or None)
    return ruamel.yaml.YAML().load(resolved)


def load_trained_modules(
    hparams_file: str | os.PathLike,
    overrides: str | Mapping | None = None,
    max_key: str | None = "UA",
    min_key: str | None = None,
) -> dict:
    """Loads a training run's YAML (checked) and recovers its best checkpoint.

    Arguments
    ---------
    hparams_file : str or os.PathLike
        The training YAML, best the ``hyperparams.yaml`` that a run saved in
        its output folder (it holds the run's overrides).
    overrides : str or mapping, optional
        YAML overrides (e.g. ``{"output_folder": ...}``), checked as by
        :func:`load_hparams`.
    max_key : str, optional
        Checkpoint selection: the one with the highest value of this key.
    min_key : str, optional
        Or the one with the lowest value of this key (e.g. ``"WER"``); it
        takes precedence over ``max_key``.

    Returns
    -------
    dict
        The loaded hyperparameters. ``hparams["model"]`` is the run's task
        model (:mod:`speechbrain_lstm_ser.nnet.models`), and it and the
        ``modules`` hold the trained weights, in eval mode.

    Raises
    ------
    HparamsError
        For a YAML or an override that cannot be used.
    FileNotFoundError
        When the run has no checkpoint.
    """
    hparams = load_hparams(hparams_file, overrides)
    keys = {"min_key": min_key} if min_key else {"max_key": max_key}
    checkpoint = hparams["checkpointer"].recover_if_possible(**keys)
    if checkpoint is None:
        raise FileNotFoundError(
            f"no checkpoint in {hparams['save_folder']}: train the model first"
        )
    if not isinstance(hparams.get("model"), TaskModel):
        # A run of a version before the task models: its `model` was a
        # ModuleList of the trained parts, all of them listed in `modules`.
        kind = (
            CTCModel if "ctc_head" in hparams["modules"] else UtteranceClassifierModel
        )
        hparams["model"] = kind.from_modules(hparams["modules"])
    hparams["model"].eval()
    for module in hparams["modules"].values():
        module.eval()
    return hparams


def yaml_overrides(parser: argparse.ArgumentParser, rest: list[str]) -> str:
    """YAML overrides from the ``--key value`` pairs argparse did not know.

    Arguments
    ---------
    parser : argparse.ArgumentParser
        Reports malformed pairs.
    rest : list of str
        The unknown arguments (``parse_known_args``).

    Returns
    -------
    str
        ``key: value`` lines, as SpeechBrain recipes turn them into.

    Example
    -------
    >>> yaml_overrides(argparse.ArgumentParser(), ["--lstm_hidden", "48"])
    'lstm_hidden: 48'
    """
    if len(rest) % 2 or not all(key.startswith("--") for key in rest[::2]):
        parser.error(f"overrides must be --key value pairs, got {rest}")
    pairs = zip(rest[::2], rest[1::2], strict=True)
    return "\n".join(f"{key[2:]}: {value}" for key, value in pairs)
