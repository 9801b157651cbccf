"""The README and docs/ name only what exists: files, modules, classes, commands.

Checked in every Markdown page:

- relative links point at files or folders that exist (anchors are not checked);
- in code spans and code blocks: repository paths (``recipes/...py``,
  ``hparams/...yaml``, ``bench/...``, ``tests/...``, ``docs/...``,
  ``speechbrain_lstm_ser/...`` and package-relative ones such as
  ``export/onnx.py``) exist; dotted names (``speechbrain_lstm_ser.x.y.Name``,
  or package-relative ``nnet.encoders.LSTMEncoder``) import, and their
  attributes exist; names imported with ``from speechbrain_lstm_ser... import``
  exist; ``python -m MODULE`` of this repository is runnable; and every
  ``sb-lstm-ser VERB`` is a sub-command of the console script.

Paths with placeholders (``<run>``, ``{...}``, ``...``, ``*``) are skipped, and
so are paths under ``results/`` and ``data/`` (they are written by runs).
"""

import importlib
import re
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "speechbrain_lstm_ser"
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

#: Sub-packages and top-level modules: ``export/onnx.py`` and
#: ``nnet.encoders.LSTMEncoder`` are read as names inside the package.
SUBPACKAGES = sorted(
    p.stem if p.is_file() else p.name
    for p in (ROOT / PACKAGE).iterdir()
    if (p.is_dir() and (p / "__init__.py").exists())
    or (p.suffix == ".py" and p.stem != "__init__")
)
#: File names that look like dotted names (``train_log.txt``).
EXTENSIONS = {
    "py", "yaml", "yml", "json", "md", "csv", "txt", "log", "onnx", "ckpt", "png",
    "wav", "flac", "pem", "pub", "model", "sh", "toml",
}  # fmt: skip

CODE_BLOCK = re.compile(r"^ *(```|~~~)[^\n]*\n(.*?)^ *\1 *$", re.M | re.S)
CODE_SPAN = re.compile(r"(`+)(.+?)\1", re.S)
LINK = re.compile(r"\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_START = r"(?<![\w./<>$~-])"
PATH = re.compile(
    _START + r"((?:recipes/[\w./-]*\.py|hparams/[\w./-]*\.ya?ml"
    r"|(?:bench|tests|docs|\.ci|" + PACKAGE + r")/[\w./-]*\w"
    r"|(?:" + "|".join(SUBPACKAGES) + r")/[\w./-]*\.py))"
)
DOTTED = re.compile(_START + r"(" + PACKAGE + r"(?:\.\w+)+)(?![\w/])")
RELATIVE = re.compile(r"(?:" + "|".join(SUBPACKAGES) + r")(?:\.\w+)+")
FROM_IMPORT = re.compile(
    r"^\s*from\s+(" + PACKAGE + r"[\w.]*)\s+import\s+(\([^)]*\)|[^\n]+)", re.M
)
RUN_MODULE = re.compile(r"python3?\s+-m\s+([\w.]+)")
TREE_FILE = re.compile(r"(?<![\w/.-])(\w+\.(?:py|yaml))\b")
VERB = re.compile(r"(?<![\w-])sb-lstm-ser[ \t]+([a-z][\w-]*)")


def _code(text: str) -> list[str]:
    """The code blocks and code spans of a Markdown text."""
    blocks = [m.group(2) for m in CODE_BLOCK.finditer(text)]
    prose = CODE_BLOCK.sub("", text)
    return blocks + [m.group(2) for m in CODE_SPAN.finditer(prose)]


def _prose(text: str) -> str:
    """The text without its code (links in code are not links)."""
    return CODE_SPAN.sub("", CODE_BLOCK.sub("", text))


def _placeholder(path: str) -> bool:
    return any(mark in path for mark in ("<", ">", "{", "}", "*", "...")) or (
        path.split("/")[0] in ("results", "data")
    )


@cache
def _resolves(name: str) -> bool:
    """Whether ``a.b.c`` is a module, or an attribute reachable from one."""
    parts = name.split(".")
    try:
        obj = importlib.import_module(parts[0])
    except ImportError:
        return False
    for i, part in enumerate(parts[1:], start=1):
        if hasattr(obj, part):
            obj = getattr(obj, part)
            continue
        if not hasattr(obj, "__path__"):  # not a package: no sub-module
            return False
        module = ".".join(parts[: i + 1])
        try:
            obj = importlib.import_module(module)
        except ModuleNotFoundError as err:
            if err.name == module:
                return False
            raise  # the module exists but cannot be imported: a real failure
    return True


def _runnable(module: str) -> bool:
    """Whether ``python -m module`` of this repository has something to run."""
    base = ROOT.joinpath(*module.split("."))
    if (base / "__main__.py").is_file():
        return True
    source = base.with_suffix(".py")
    return source.is_file() and '__name__ == "__main__"' in source.read_text(
        encoding="utf-8"
    )


@cache
def cli_verbs() -> frozenset:
    """The sub-commands of ``sb-lstm-ser``."""
    from speechbrain_lstm_ser.cli import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    return frozenset(sub.choices)


def _tree_problems(block: str) -> list[str]:
    """Files a code map (a block starting ``speechbrain_lstm_ser/``) lists but lacks.

    A line starting with ``folder/`` opens that folder, inside the folder of
    the nearest less indented line; the ``name.py`` / ``name.yaml`` on it and
    on its more indented continuation lines must be files there.
    """
    problems, stack = [], []  # (indent, folder)
    for line in block.splitlines():
        if not line.strip():
            continue
        indent = len(line) - len(line.lstrip())
        first = line.split()[0].rstrip(",")
        if first.endswith("/") or not stack or indent <= stack[-1][0]:
            while stack and stack[-1][0] >= indent:
                stack.pop()
            parent = stack[-1][1] if stack else ROOT
            if first.endswith("/"):
                stack.append((indent, parent / first))
            elif "/" in first:  # recipes/asr/train.py, other.py: its folder
                stack.append((indent, (ROOT / first).parent))
            else:
                stack.append((indent, parent))
        folder = stack[-1][1]
        for name in TREE_FILE.findall(line):
            if not (folder / name).exists():
                problems.append(f"missing file: {(folder / name).relative_to(ROOT)}")
    return problems


def doc_problems(text: str, page: Path = ROOT / "README.md") -> list[str]:
    """Everything a Markdown page names that does not exist.

    Arguments
    ---------
    text : str
        The Markdown text.
    page : Path
        Where the page lives (relative links start there).

    Returns
    -------
    list of str
        One line per problem; empty when the page is right.
    """
    problems = []
    for target in LINK.findall(_prose(text)):
        if re.match(r"^[a-zA-Z][\w+.-]*:", target) or target.startswith("#"):
            continue  # a web address, or an anchor of this page
        path = target.split("#")[0]
        if not (page.parent / path).exists():
            problems.append(f"link to a missing file: {target}")
    for code in _code(text):
        if code.lstrip().startswith(PACKAGE + "/\n"):
            problems += _tree_problems(code)
        for path in PATH.findall(code):
            if _placeholder(path):
                continue
            first = path.split("/")[0]
            where = ROOT / PACKAGE if first in SUBPACKAGES else ROOT
            if not (where / path).exists():
                problems.append(f"missing file: {path}")
        names = DOTTED.findall(code)
        if RELATIVE.fullmatch(code.strip()):  # a span such as `nnet.pooling.X`
            names.append(f"{PACKAGE}.{code.strip()}")
        for module, imported in FROM_IMPORT.findall(code):
            for item in imported.strip("()").split(","):
                item = item.split("#")[0].split(" as ")[0].strip()
                if item:
                    names.append(f"{module}.{item}")
        for name in names:
            if name.rsplit(".", 1)[-1] in EXTENSIONS:
                continue  # a file name, e.g. speechbrain_lstm_ser.cli.log
            if not _resolves(name):
                problems.append(f"no such module or attribute: {name}")
        for module in RUN_MODULE.findall(code):
            if module.split(".")[0] in (PACKAGE, "bench", "recipes") and not (
                _runnable(module)
            ):
                problems.append(f"python -m {module}: nothing to run")
        for verb in VERB.findall(code):
            if verb not in cli_verbs():
                problems.append(f"sb-lstm-ser has no command {verb!r}")
    return sorted(set(problems))


@pytest.mark.parametrize("page", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_docs_name_only_what_exists(page):
    problems = doc_problems(page.read_text(encoding="utf-8"), page)
    assert not problems, f"{page.relative_to(ROOT)}:\n" + "\n".join(problems)


def test_every_docs_page_is_linked_from_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    linked = {t.split("#")[0] for t in LINK.findall(_prose(readme))}
    assert {f"docs/{p.name}" for p in DOCS[1:]} <= linked


def test_the_checker_reports_names_that_do_not_exist():
    bad = """
See [the guide](docs/no_such_page.md) and [ok](docs/inference.md#anchor).

`recipes/emotion/no_such_recipe.py`, `hparams/no_such.yaml`, `export/nothing.py`,
`speechbrain_lstm_ser.no_such_module`, `nnet.encoders.NoSuchEncoder`.

```python
from speechbrain_lstm_ser.inference import EmotionRecognizer, NoSuchRecognizer
model = speechbrain_lstm_ser.export.onnx.NoSuchGraph()
```

```bash
python -m speechbrain_lstm_ser.nnet.encoders x
sb-lstm-ser frobnicate --model x
```

```
speechbrain_lstm_ser/
  nnet/          encoders.py, transformers.py (none yet),
                 pooling.py
    layers/      lstm.py
  threads.py
recipes/emotion/train.py, finetune.py
```
"""
    assert doc_problems(bad) == [
        "link to a missing file: docs/no_such_page.md",
        "missing file: export/nothing.py",
        "missing file: hparams/no_such.yaml",
        "missing file: recipes/emotion/finetune.py",
        "missing file: recipes/emotion/no_such_recipe.py",
        "missing file: speechbrain_lstm_ser/nnet/layers/lstm.py",
        "missing file: speechbrain_lstm_ser/nnet/transformers.py",
        "no such module or attribute: speechbrain_lstm_ser.export.onnx.NoSuchGraph",
        "no such module or attribute: speechbrain_lstm_ser.inference.NoSuchRecognizer",
        "no such module or attribute: speechbrain_lstm_ser.nnet.encoders.NoSuchEncoder",
        "no such module or attribute: speechbrain_lstm_ser.no_such_module",
        "python -m speechbrain_lstm_ser.nnet.encoders: nothing to run",
        "sb-lstm-ser has no command 'frobnicate'",
    ]


def test_the_checker_accepts_what_exists_and_placeholders():
    good = """
[Inference](docs/inference.md#command-line), [web](https://example.org/x.md).

`recipes/emotion/train.py`, `hparams/lstm.yaml`, `export/onnx.py`, `bench/run.py`,
`speechbrain_lstm_ser.nnet.encoders.LSTMEncoder`, `nnet.pooling.MeanPooling`,
`results/emotion_lstm/1986/test_report.json`, `recipes/<task>/train.py`,
SpeechBrain's `recipes/IEMOCAP/emotion_recognition/hparams/train.yaml`.

```python
from speechbrain_lstm_ser.inference import (
    EmotionRecognizer,  # the emotion interface
    SpeechRecognizer as ASR,
)
```

```bash
python -m speechbrain_lstm_ser.hub publish results/x/model --repo-id user/name
python -m bench.run --models a b
sb-lstm-ser export-onnx RUN/hyperparams.yaml --onnx m.onnx --int8
```
"""
    assert doc_problems(good) == []
