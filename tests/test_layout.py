"""The package layout keeps data flowing one way (no import cycles)."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "speechbrain_lstm_ser"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> set[str]:
    """Every module imported anywhere in the file (function bodies included)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def _graph() -> dict[str, set[str]]:
    files = {
        _module_name(p): p
        for p in (ROOT / PACKAGE).rglob("*.py")
        if p.name != "__main__.py"  # entry points are never imported
    }
    return {
        name: {m for m in _imports(path) if m in files and m != name}
        for name, path in files.items()
    }


def test_no_import_cycles_between_modules():
    graph = _graph()
    state: dict[str, int] = {}
    cycles = []

    def visit(node, stack):
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append(stack[stack.index(nxt) :] + [nxt])
            elif nxt not in state:
                visit(nxt, stack + [nxt])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(c) for c in cycles)


def _subpackage(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 else module


def test_no_import_cycles_between_subpackages():
    edges = {
        (_subpackage(a), _subpackage(b))
        for a, targets in _graph().items()
        for b in targets
        if _subpackage(a) != _subpackage(b)
    }
    both_ways = sorted((a, b) for a, b in edges if (b, a) in edges and a < b)
    assert not both_ways, f"subpackages importing each other: {both_ways}"


@pytest.mark.parametrize(
    ("reader", "forbidden"),
    [
        ("hub", "export"),  # the side that reads models never imports the writer
        ("export", "inference"),
        ("nnet", "training"),
        ("dataio", "nnet"),
    ],
)
def test_layers(reader, forbidden):
    offenders = [
        (a, b)
        for a, targets in _graph().items()
        for b in targets
        if _subpackage(a) == reader and _subpackage(b) == forbidden
    ]
    assert not offenders


def test_package_and_bench_never_load_recipes_or_modules_by_path():
    for path in [*(ROOT / PACKAGE).rglob("*.py"), *(ROOT / "bench").glob("*.py")]:
        text = path.read_text(encoding="utf-8")
        assert "spec_from_file_location" not in text, path
        if path.name != "safe_yaml.py":  # it resolves a model YAML's names
            assert "importlib" not in text, path
        if path.is_relative_to(ROOT / PACKAGE):
            assert not {"recipes", "bench"} & {
                m.split(".")[0] for m in _imports(path)
            }, path


def test_serving_is_an_optional_layer_above_inference():
    """Only the CLI imports serving; only its service imports the [serve] extra."""
    for a, targets in _graph().items():
        if _subpackage(a) not in ("serving", "cli"):
            assert not [b for b in targets if _subpackage(b) == "serving"], a
    extra = {"fastapi", "uvicorn", "starlette", "multipart", "pyarrow"}
    for path in (ROOT / PACKAGE).rglob("*.py"):
        if path.name in ("service.py", "results.py") and path.parent.name == "serving":
            continue  # imported inside the functions that need them
        assert not extra & {m.split(".")[0] for m in _imports(path)}, path
