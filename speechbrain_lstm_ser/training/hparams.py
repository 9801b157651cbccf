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

import difflib
import os
from collections.abc import Mapping

import ruamel.yaml
from hyperpyyaml import load_hyperpyyaml, resolve_references

__all__ = ["HparamsError", "check_overrides", "load_hparams", "load_settings"]


class HparamsError(ValueError):
    """A YAML file or a command-line override that cannot be used."""


def _kind(value) -> str | None:
    """The type family of a YAML default, or None when anything goes."""
    if getattr(getattr(value, "tag", None), "value", None):
        return None  # !ref, !new, ...: computed, not checked here
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "mapping"
    return None


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
    defaults: Mapping, overrides: Mapping, where: str = ""
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
    """
    problems = []
    for key, value in overrides.items():
        name = f"{where}{key}"
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
    problems = check_overrides(defaults, parsed)
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
    text = _checked(hparams_file, overrides)
    try:
        return load_hyperpyyaml(text, overrides or None)
    except Exception as err:  # construction errors: say where they come from
        raise HparamsError(
            f"could not build the objects of {hparams_file} with these overrides: "
            f"{type(err).__name__}: {err}"
        ) from err


def load_settings(
    hparams_file: str | os.PathLike, overrides: str | Mapping | None = None
) -> dict:
    r"""The plain settings of a recipe YAML with checked overrides, nothing built.

    References are resolved; tagged objects (``!new:`` ...) stay unbuilt
    (no folder is created), for scripts that only read settings, such as
    ``recipes/emotion/cross_validate.py``.

    Arguments
    ---------
    hparams_file : str or os.PathLike
        The recipe's HyperPyYAML file.
    overrides : str or mapping, optional
        As ``speechbrain.parse_arguments`` returns them (a YAML string).

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
