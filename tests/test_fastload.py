"""Large trees are read by the fast parser, with the same result as the full loader, and any
problem is still reported with its line (the full loader reads the file again to name it)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from sharewise.model import Tree
from sharewise.trees.library import Library
from sharewise.trees.load import LoadOptions, load_tree_file

pytest.importorskip("yaml_rs")

WriteTree = Callable[..., Path]
PADDING = "This help text is long so that the tree is large enough for the fast parser to read it. " * 6


def big_body(questions: int = 420, last: str = "share") -> str:
    lines = ["nodes:"]
    for i in range(questions):
        target = f"q{i + 1}" if i + 1 < questions else last
        lines += [
            f"  q{i}:",
            f"    ask: Question {i}?",
            f"    help: {PADDING}",
            f"    source: src section {i}",
            "    options:",
            f"      yes: {target}",
            "      no: advice",
            "      not-sure:",
            "        label: Not sure at all",
            "        next: advice",
        ]
    lines += [
        "outcomes:",
        "  share: {decision: share, title: Share, summary: Share what is needed., actions: [Record it.]}",
        "  advice: {decision: seek-advice, title: Seek advice, summary: Ask your DSL.}",
    ]
    return "\n".join(lines) + "\n"


def shape(tree: Tree) -> Any:
    """What a tree means, without the line numbers only the full loader knows."""
    return (
        tree.id, tree.version, tree.reviewed, tree.next_review, tree.start, tree.sha256,
        [(q.id, q.ask, q.help, str(q.source), q.kind, [(o.value, o.label, [r.target for r in o.routes]) for o in q.options])
         for q in tree.questions.values()],
        [(o.id, o.decision, o.title, o.summary, [a.text for a in o.actions]) for o in tree.outcomes.values()],
    )  # fmt: skip


def test_a_large_valid_tree_reads_the_same_either_way(write_tree: WriteTree) -> None:
    path = write_tree(big_body())
    assert path.stat().st_size >= 256 * 1024
    fast = load_tree_file(path)
    full = load_tree_file(path, options=LoadOptions(fast=False))
    assert fast.fast and not full.fast
    assert fast.tree is not None and full.tree is not None
    assert shape(fast.tree) == shape(full.tree)
    assert fast.lines.of(fast.data["nodes"], "q7") == full.lines.of(full.data["nodes"], "q7")  # read again on demand


def test_a_large_tree_with_a_mistake_names_its_line(write_tree: WriteTree) -> None:
    path = write_tree(big_body().replace("      no: advice", "      no: advise", 1))
    loaded = load_tree_file(path)
    assert not loaded.fast
    [problem] = loaded.errors
    line = next(i for i, text in enumerate(path.read_text().splitlines(), 1) if "no: advise" in text)
    assert (problem.line, problem.place) == (line, "nodes.q0.options.no")


def test_duplicate_keys_and_floats_go_to_the_full_loader(write_tree: WriteTree) -> None:
    body = big_body().replace("      no: advice", "      no: advice\n      no: share", 1)
    assert any("duplicate key 'no'" in str(d) for d in load_tree_file(write_tree(body)).errors)
    path = write_tree(big_body(), id="v")
    path.write_text(path.read_text().replace('version: "1"', "version: 1.10"), encoding="utf-8")
    loaded = load_tree_file(path)
    assert not loaded.fast and loaded.tree is not None and loaded.tree.version == "1.10"


def test_a_problem_found_across_trees_still_names_its_line(write_tree: WriteTree) -> None:
    path = write_tree(big_body(last="tree:missing").replace("      no: advice", "      no: share", 1), id="big")
    problems = Library([path.parent]).check(path)
    line = next(i for i, text in enumerate(path.read_text().splitlines(), 1) if "tree:missing" in text)
    assert [(p.line, p.message[:25]) for p in problems] == [(line, "no tree called 'missing' ")]
