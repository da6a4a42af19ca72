"""Showing trees in the terminal with rich (imported only by the commands that draw)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rich import box
from rich.table import Table
from rich.text import Text
from rich.tree import Tree as RichTree

from sharewise.formats.console import DECISION_STYLE, make_console
from sharewise.model import Question, Route, Tree

__all__ = ["print_tree", "print_tree_list"]


def print_tree_list(rows: Sequence[Mapping[str, Any]], plain: bool = False) -> None:
    console = make_console(plain)
    table = Table(box=None if plain else box.SIMPLE_HEAD, show_edge=False)
    for column in ("id", "title", "version", "file"):
        table.add_column(column)
    for row in rows:
        table.add_row(row["id"], row["title"], row["version"], row["file"])
    console.print(table)


def _route_text(route: Route, tree: Tree) -> Text:
    text = Text()
    if route.condition_text:
        text.append(f"if {route.condition_text}: ", style="italic")
    if route.tree:
        text.append(f"continue into tree '{route.tree}'", style="cyan")
    elif route.target in tree.outcomes:
        outcome = tree.outcomes[route.target]
        text.append(f"{outcome.decision.upper()}: {outcome.title}", style=DECISION_STYLE[outcome.decision])
    else:
        text.append(f"-> {route.target}")
    return text


def _question_branch(parent: RichTree, question: Question, tree: Tree) -> None:
    label = Text()
    label.append(f"[{question.id}] ", style="dim")
    label.append(question.ask, style="bold")
    label.append(f"  ({question.kind}; {question.source})", style="dim")
    branch = parent.add(label)
    for option in question.options:
        opt = branch.add(Text(f"{option.label} ({option.value})"))
        for route in option.routes:
            opt.add(_route_text(route, tree))
    for route in question.routes:
        branch.add(_route_text(route, tree))


def print_tree(tree: Tree, plain: bool = False) -> None:
    console = make_console(plain)
    header = f"{tree.title} ({tree.id} {tree.version})"
    console.print(Text(header, style="bold"))
    console.print(tree.description)
    console.print(
        f"Owner: {tree.owner}. Reviewed {tree.reviewed.isoformat()}; next review {tree.next_review.isoformat()}."
    )
    root = RichTree(Text("Questions", style="bold"), guide_style="dim")
    for question in tree.questions.values():
        _question_branch(root, question, tree)
    console.print(root)
    outcomes = RichTree(Text("Outcomes", style="bold"), guide_style="dim")
    for outcome in tree.outcomes.values():
        node = outcomes.add(
            Text(f"[{outcome.id}] {outcome.decision.upper()}: {outcome.title}", style=DECISION_STYLE[outcome.decision])
        )
        node.add(outcome.summary)
        for action in outcome.actions:
            cond = f" (if {action.condition_text})" if action.condition_text else ""
            node.add(f"[ ] {action.text}{cond}")
        if outcome.record:
            node.add(f"asks for the record: {', '.join(outcome.record)}")
    console.print(outcomes)
    sources = Table(box=None, show_header=False)
    for source in tree.sources.values():
        sources.add_row(source.ref, source.title, source.url or "")
    console.print(Text("Sources", style="bold"))
    console.print(sources)
