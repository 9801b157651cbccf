"""Safe loading of a downloaded ``hyperparams.yaml``: check it before running it.

SpeechBrain's ``from_hparams`` instantiates whatever a model's YAML names, so a
hostile model repository can run any code (``!apply:os.system [...]``). This
module reads the YAML *without constructing anything* and refuses it unless:

- every ``!new:`` and ``!name:`` target is a **class** inside an allowed
  package (by default ``speechbrain_lstm_ser``, ``speechbrain`` and
  ``torch.nn``; users can trust more);
- every ``!apply:`` target is explicitly trusted (none by default: exported
  models need none);
- no other code-running tag appears (``!include:``, ``!applyref:``,
  ``!module:``, ``!!python/...``), and no string is an absolute path or
  climbs out of the model folder with ``..``;
- the ``Pretrainer`` lists no ``paths`` (files must come from the model's own
  source, as ``<name>.ckpt``);
- no ``trust_remote_code`` (it runs a Hub repository's code), and an SSL
  model (SpeechBrain's ``speechbrain.integrations.huggingface`` classes, our
  ``SSLLayerFeatures``) has no ``source`` but a folder inside the model folder:
  a Hub id would fetch weights that the model's signature does not cover
  (exported models carry the SSL weights in ``compute_features.ckpt``).

Authors
 * speechbrain-lstm-ser developers 2026
"""

from __future__ import annotations

import importlib
import inspect
import os
import re
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

import ruamel.yaml

__all__ = ["DEFAULT_ALLOWED", "UnsafeModelError", "check_hyperparams"]

#: Packages (and single classes) whose classes a model YAML may instantiate:
#: ours, SpeechBrain's, torch.nn, and the sentencepiece tokenizer.
DEFAULT_ALLOWED = (
    "speechbrain_lstm_ser",
    "speechbrain",
    "torch.nn",
    "sentencepiece.SentencePieceProcessor",
)

_SAFE_TAGS = {"!ref", "!copy", "!tuple", "!PLACEHOLDER"}

#: Classes that load an SSL model from their ``source`` argument.
_SSL_LOADERS = (
    "speechbrain.integrations.huggingface",
    "speechbrain_lstm_ser.nnet.ssl.SSLLayerFeatures",
)


class UnsafeModelError(ValueError):
    """A model YAML that names code outside the allow-list; nothing was run."""

    def __init__(self, path, problems):
        self.problems = list(problems)
        super().__init__(
            f"{path}: refused to load (nothing was instantiated):\n"
            + "\n".join(f"  - {p}" for p in self.problems)
            + "\nIf you trust this model, pass allowed=[...] with the extra "
            "packages or functions."
        )


def _within(target: str, allowed: Iterable[str]) -> bool:
    return any(target == a or target.startswith(a + ".") for a in allowed)


def _resolve(target: str):
    """Imports ``package.module.Name`` (allowed packages only) and returns it."""
    module, _, name = target.rpartition(".")
    while module:
        try:
            obj = importlib.import_module(module)
            break
        except ImportError:
            module, _, parent = module.rpartition(".")
            name = f"{parent}.{name}"
    else:
        raise ImportError(target)
    for part in name.split("."):
        obj = getattr(obj, part)
    return obj


def _leaves_folder(value: str) -> bool:
    """Whether a string is an absolute path or climbs up with ``..``."""
    posix = value.replace("\\", "/")
    if posix.startswith(("/", "~")) or re.match(r"^[A-Za-z]:/", posix):
        return True
    return ".." in PurePosixPath(posix).parts


def check_hyperparams(path: str | os.PathLike, allowed: Iterable[str] = ()) -> None:
    """Refuses a model YAML that could run code outside the allow-list.

    Arguments
    ---------
    path : str or os.PathLike
        The ``hyperparams.yaml`` to check.
    allowed : iterable of str
        Extra trusted packages, classes or functions (dotted names); they
        also admit ``!apply:`` of the functions they name.

    Raises
    ------
    UnsafeModelError
        Listing every refused tag or path.

    Example
    -------
    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "hyperparams.yaml")
    >>> _ = open(path, "w").write("x: !apply:os.system ['echo pwned']")
    >>> check_hyperparams(path)
    Traceback (most recent call last):
    ...
    speechbrain_lstm_ser.hub.safe_yaml.UnsafeModelError: ...
      - x: !apply:os.system is not allowed...
    """
    path = Path(path)
    extra = tuple(allowed)
    packages = DEFAULT_ALLOWED + extra
    yaml = ruamel.yaml.YAML()  # round trip: keeps tags, constructs nothing
    try:
        with open(path, encoding="utf-8") as handle:
            tree = yaml.load(handle)
    except ruamel.yaml.YAMLError as err:
        raise UnsafeModelError(path, [f"not valid YAML ({err})"]) from None
    problems: list[str] = []

    def visit(node, where: str) -> None:
        tag = getattr(getattr(node, "tag", None), "value", None) or ""
        if tag and tag not in _SAFE_TAGS:
            kind, _, target = tag.partition(":")
            if kind in ("!new", "!name"):
                if not _within(target, packages):
                    problems.append(
                        f"{where}: {tag} is outside the allowed packages "
                        f"{list(packages)}"
                    )
                else:
                    try:
                        obj = _resolve(target)
                    except (ImportError, AttributeError):
                        problems.append(f"{where}: {tag} does not exist")
                    else:
                        if not inspect.isclass(obj) and not _within(target, extra):
                            problems.append(f"{where}: {tag} is not a class")
            elif kind == "!apply":
                if not _within(target, extra):
                    problems.append(
                        f"{where}: {tag} is not allowed (no function is, by default)"
                    )
            else:
                problems.append(f"{where}: the tag {tag} is not allowed in a model")
        if isinstance(node, dict):
            if node.get("trust_remote_code"):
                problems.append(
                    f"{where}.trust_remote_code: a model may not run code from the Hub"
                )
            source = node.get("source")
            loader = tag.partition(":")[2]
            if _within(loader, _SSL_LOADERS) and source is not None:
                if not (path.parent / str(source)).is_dir():
                    problems.append(
                        f"{where}.source: {source!r} is not a folder inside the "
                        "model folder; the SSL weights must travel in it (a Hub "
                        "id is fetched unchecked)"
                    )
            for key, value in node.items():
                visit(value, f"{where}.{key}" if where else str(key))
        elif isinstance(node, list):
            for i, value in enumerate(node):
                visit(value, f"{where}[{i}]")
        elif isinstance(node, str) and not tag and _leaves_folder(str(node)):
            problems.append(f"{where}: the path {str(node)!r} leaves the model folder")

    visit(tree, "")
    pretrainer = tree.get("pretrainer") if isinstance(tree, dict) else None
    if isinstance(pretrainer, dict) and pretrainer.get("paths"):
        problems.append(
            "pretrainer.paths: a model must load its files from its own source "
            "(<name>.ckpt), not from paths named in its YAML"
        )
    if problems:
        raise UnsafeModelError(path, problems)
