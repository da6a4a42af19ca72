"""Showing trees in the terminal with rich (imported only by the commands that draw)."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from rich import box
from rich.console import Console, ConsoleOptions, RenderableType
from rich.segment import Segment
from rich.table import Table
from rich.text import Text
from rich.tree import Tree as RichTree

from sharewise.formats.safetext import clean
from sharewise.model import Question, Route, Tree

__all__ = ["DECISION_STYLE", "SafeConsole", "make_console", "print_tree", "print_tree_list"]

DECISION_STYLE = {"share": "bold green", "do-not-share": "bold red", "seek-advice": "bold yellow"}


class SafeConsole(Console):
    """A rich console that shows control characters in what it prints as escapes (:func:`clean`).

    Every piece of text rich writes passes through :meth:`render` as a segment, apart from the
    styles rich adds itself; so tree text, answers and names reach the terminal only as text,
    whatever renderable holds them.
    """

    def render(self, renderable: RenderableType, options: ConsoleOptions | None = None) -> Iterable[Segment]:
        for segment in super().render(renderable, options):
            text = segment.text if segment.control is not None else clean(segment.text)
            yield segment if text is segment.text else Segment(text, segment.style)


def make_console(plain: bool = False, stderr: bool = False) -> Console:
    """A console; ``plain`` (or NO_COLOR) drops colour and box drawing for screen readers."""
    plain = plain or bool(os.environ.get("NO_COLOR"))
    return SafeConsole(
        stderr=stderr,
        no_color=plain,
        highlight=False,
        markup=False,
        emoji=False,
        safe_box=True,
        force_terminal=None,
    )


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
