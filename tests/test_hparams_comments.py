"""Every top-level key of ``hparams/**/*.yaml`` says what it is, in one line.

Issue 21's rule for the YAMLs that configure: each key has a one-line comment,
either trailing on its own line (``lr: 0.002  # AdamW learning rate``) or on
the line directly above it. A comment block above a group of consecutive keys
documents the first of them only, so each of the others needs its own; a
section rule (``# ----- data ----``) documents no key.
Measurements and history belong in docs/ (linked), not in these comments.
"""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
YAMLS = sorted((ROOT / "hparams").rglob("*.yaml"))

#: A top-level key: no indentation, a YAML name, then a colon.
TOP_LEVEL_KEY = re.compile(r"^([A-Za-z_]\w*):")
#: A trailing comment: ``#`` after white space (``#`` inside a value, as in
#: ``a#b``, does not count).
TRAILING_COMMENT = re.compile(r"\s#")
#: A section rule or banner line: ``# ----- data ----``, ``# ######``.
SECTION_RULE = re.compile(r"^#\s*[-#=]{3,}")


def uncommented_keys(text: str) -> list[tuple[int, str]]:
    """The top-level keys with no comment on their line or the line above.

    Arguments
    ---------
    text : str
        The YAML file's text.

    Returns
    -------
    list of (int, str)
        The 1-based line number and the key of each uncommented key.

    Example
    -------
    >>> uncommented_keys("# the seed\\nseed: 1\\nlr: 0.1  # rate\\nbatch: 8\\n")
    [(4, 'batch')]
    """
    lines = text.splitlines()
    missing = []
    for index, line in enumerate(lines):
        match = TOP_LEVEL_KEY.match(line)
        if not match or TRAILING_COMMENT.search(line):
            continue
        above = lines[index - 1].strip() if index else ""
        if not above.startswith("#") or SECTION_RULE.match(above):
            missing.append((index + 1, match.group(1)))
    return missing


def test_the_rule_reads_trailing_and_preceding_comments():
    text = (
        "# ---- data ----\n"
        "dataset: embedded\n"
        "# a block above a group documents its first key only\n"
        "first: 1\n"
        "second: 2\n"
        "third: 3   # trailing\n"
        "url: a#b\n"
        "nested:    # the block\n"
        "    inner: 1\n"
    )
    assert uncommented_keys(text) == [(2, "dataset"), (5, "second"), (7, "url")]


@pytest.mark.parametrize("path", YAMLS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_top_level_key_has_a_comment(path):
    missing = uncommented_keys(path.read_text())
    where = path.relative_to(ROOT)
    assert not missing, (
        f"{len(missing)} top-level key(s) of {where} have no comment on their "
        "line or the line above (add a one-line '# what it is / unit / "
        "choices'): " + ", ".join(f"{where}:{n} {key}" for n, key in missing)
    )
