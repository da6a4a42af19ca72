"""The package has no import cycle, counting imports inside functions and typed-only ones (issue 9).

A lazy or ``TYPE_CHECKING`` import hides a cycle from Python but not from a reader: the modules
still depend on each other. This reads every ``import`` in src/sharewise with :mod:`ast` and looks
for a strongly connected group of modules.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"


def module_files() -> dict[str, Path]:
    found = {}
    for path in (SRC / "sharewise").rglob("*.py"):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def import_graph(modules: dict[str, Path]) -> dict[str, set[str]]:
    """Each module's sharewise imports, named by the module that holds what is imported."""

    def owner(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*up, base] if base else up)
                targets = [f"{base}.{alias.name}" for alias in node.names]
            else:
                continue
            for target in targets:
                found = owner(target)
                if found and found != name:
                    graph[name].add(found)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The groups of two or more modules that import each other, directly or through others."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in graph[node]:
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            group = []
            while True:
                top = stack.pop()
                group.append(top)
                if top == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return groups


def test_the_package_has_no_import_cycle() -> None:
    graph = import_graph(module_files())
    assert graph["sharewise.cli.commands"], "the graph reader found no imports at all"
    assert cycles(graph) == []


@pytest.mark.parametrize(
    ("errors_source", "expected"),
    [
        ("import os\n", []),
        ("from sharewise.model import Tree\n", [["sharewise.errors", "sharewise.model"]]),
        ("if TYPE_CHECKING:\n    from sharewise.model import Tree\n", [["sharewise.errors", "sharewise.model"]]),
        ("def f():\n    from sharewise import model\n", [["sharewise.errors", "sharewise.model"]]),
        ("def f():\n    from . import model\n", [["sharewise.errors", "sharewise.model"]]),
    ],
)
def test_the_cycle_check_sees_lazy_and_typed_only_imports(
    tmp_path: Path, errors_source: str, expected: list[list[str]]
) -> None:
    package = tmp_path / "sharewise"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "model.py").write_text("from sharewise.errors import SharewiseError\n")
    (package / "errors.py").write_text(errors_source)
    modules = {"sharewise": package / "__init__.py"}
    modules.update({f"sharewise.{name}": package / f"{name}.py" for name in ("model", "errors")})
    assert cycles(import_graph(modules)) == expected
