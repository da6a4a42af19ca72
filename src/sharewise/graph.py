"""A tree as a diagram: Mermaid (renders in most code hosts and wikis) or Graphviz DOT.

Questions are boxes, outcomes are rounded and coloured by decision (share green, do not share red,
seek advice amber), and a route into another tree is a subroutine box. Record questions, asked
only to complete an outcome's record, are listed on the outcome rather than drawn as nodes.

Both writers quote every label and escape what their syntax gives meaning to, and derive node
ids from tree ids by a reversible escape, so no text a tree author writes can break the diagram.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable, Iterator

from sharewise.model import Question, Route, Tree

__all__ = ["DECISION_COLOURS", "FORMATS", "dot_text", "mermaid_id", "mermaid_text", "to_dot", "to_mermaid"]

FORMATS = ("mermaid", "dot")
WRAP = 40
MAX_LABEL = 200
DECISION_COLOURS = {
    "share": ("#d1e7dd", "#0f5132"),
    "do-not-share": ("#f8d7da", "#842029"),
    "seek-advice": ("#fff3cd", "#664d03"),
}
_MERMAID_CLASS = {"share": "share", "do-not-share": "doNotShare", "seek-advice": "seekAdvice"}
_MERMAID_ENTITIES = {
    "#": "#35;",
    '"': "#quot;",
    "<": "#lt;",
    ">": "#gt;",
    "&": "#amp;",
    "|": "#124;",
    "`": "#96;",
    "[": "#91;",
    "]": "#93;",
    "{": "#123;",
    "}": "#125;",
}
_MERMAID_ESCAPE = re.compile("[" + re.escape("".join(_MERMAID_ENTITIES)) + "]")


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_LABEL else text[: MAX_LABEL - 1].rstrip() + "…"


def _lines(text: str) -> list[str]:
    return textwrap.wrap(_clip(text), WRAP) or [""]


def _edges(question: Question) -> Iterator[tuple[str, Route]]:
    """Each route out of ``question`` with its edge label (option label, then any condition)."""
    for option in question.options:
        for route in option.routes:
            yield _edge_label(option.label, route), route
    for route in question.routes:
        yield _edge_label("", route), route


def _edge_label(option: str, route: Route) -> str:
    if route.condition_text:
        return f"{option} (if {route.condition_text})" if option else f"if {route.condition_text}"
    return option


def _routed(tree: Tree) -> list[Question]:
    return [q for q in tree.questions.values() if not q.is_record_question]


def _outcome_text(tree: Tree, outcome_id: str) -> str:
    outcome = tree.outcomes[outcome_id]
    return f"{outcome.decision.upper()}: {outcome.title}"


def _record_note(tree: Tree, outcome_id: str) -> str:
    record = tree.outcomes[outcome_id].record
    return f"record: {', '.join(record)}" if record else ""


# -- Mermaid -----------------------------------------------------------------------------------


def mermaid_id(kind: str, ident: str) -> str:
    """A Mermaid node id: ``Q_``/``R_``/``T_`` then the id with ``_`` as ``__`` and ``-`` as ``_d``.

    The escape is reversible, so distinct tree ids never share a node; the capital prefix keeps
    ids clear of Mermaid keywords (``end``) and of edge markers (a node starting ``o`` or ``x``).
    """
    out = []
    for char in ident:
        if char.isascii() and char.isalnum():
            out.append(char)
        elif char == "_":
            out.append("__")
        elif char == "-":
            out.append("_d")
        else:
            out.append(f"_x{ord(char):04x}")
    return f"{kind}_{''.join(out)}"


def mermaid_text(text: str) -> str:
    """``text`` for a double-quoted Mermaid label: entity codes for every character with a meaning."""
    return _MERMAID_ESCAPE.sub(lambda m: _MERMAID_ENTITIES[m.group(0)], text)


def _quoted(parts: tuple[str, ...], escape: Callable[[str], str], line_break: str) -> str:
    """A double-quoted label of the non-empty ``parts``, wrapped into lines and escaped."""
    lines = [line for part in parts if part for line in _lines(part)]
    return '"' + line_break.join(escape(line) for line in lines) + '"'


def _mermaid_label(*parts: str) -> str:
    return _quoted(parts, mermaid_text, "<br/>")


def to_mermaid(tree: Tree) -> str:
    """The tree as a Mermaid flowchart."""
    out = [
        f"%% {_clip(tree.title)} ({tree.id} {tree.version}), drawn by sharewise trees graph",
        "flowchart TD",
    ]
    targets_trees: dict[str, None] = {}
    for question in _routed(tree):
        out.append(f"    {mermaid_id('Q', question.id)}[{_mermaid_label(question.ask)}]")
    for question in _routed(tree):
        source = mermaid_id("Q", question.id)
        for label, route in _edges(question):
            if route.tree is not None:
                target = mermaid_id("T", route.tree)
                targets_trees[route.tree] = None
            elif route.target in tree.outcomes:
                target = mermaid_id("R", route.target)
            else:
                target = mermaid_id("Q", route.target)
            arrow = f"-->|{_mermaid_label(label)}|" if label else "-->"
            out.append(f"    {source} {arrow} {target}")
    for outcome_id, outcome in tree.outcomes.items():
        label = _mermaid_label(_outcome_text(tree, outcome_id), _record_note(tree, outcome_id))
        out.append(f"    {mermaid_id('R', outcome_id)}([{label}])")
        if outcome.continues:
            targets_trees[outcome.continues] = None
            out.append(f"    {mermaid_id('R', outcome_id)} --> {mermaid_id('T', outcome.continues)}")
    for tree_id in targets_trees:
        out.append(f"    {mermaid_id('T', tree_id)}[[{_mermaid_label(f'Continue into the tree {tree_id}')}]]")
    for decision, (fill, stroke) in DECISION_COLOURS.items():
        out.append(f"    classDef {_MERMAID_CLASS[decision]} fill:{fill},stroke:{stroke},color:#000000")
    for decision in DECISION_COLOURS:
        members = [mermaid_id("R", o.id) for o in tree.outcomes.values() if o.decision == decision]
        if members:
            out.append(f"    class {','.join(members)} {_MERMAID_CLASS[decision]}")
    return "\n".join(out) + "\n"


# -- Graphviz DOT ------------------------------------------------------------------------------


def dot_text(text: str) -> str:
    """``text`` for a double-quoted DOT string: backslash and quote escaped."""
    return text.replace("\\", "\\\\").replace('"', '\\"')


def _dot_label(*parts: str) -> str:
    return _quoted(parts, dot_text, "\\n")


def to_dot(tree: Tree) -> str:
    """The tree as a Graphviz digraph."""
    out = [
        f'digraph "{dot_text(tree.id)}" {{',
        f'    graph [label={_dot_label(f"{tree.title} ({tree.id} {tree.version})")}, labelloc="t", rankdir="TB"];',
        '    node [shape="box", fontname="Helvetica"];',
        '    edge [fontname="Helvetica", fontsize="10"];',
    ]
    for question in _routed(tree):
        out.append(f'    "q:{dot_text(question.id)}" [label={_dot_label(question.ask)}];')
    for outcome_id, outcome in tree.outcomes.items():
        fill, stroke = DECISION_COLOURS[outcome.decision]
        label = _dot_label(_outcome_text(tree, outcome_id), _record_note(tree, outcome_id))
        out.append(
            f'    "o:{dot_text(outcome_id)}" [label={label}, style="rounded,filled", '
            f'fillcolor="{fill}", color="{stroke}"];'
        )
    trees: dict[str, None] = {}
    edges: list[str] = []
    for question in _routed(tree):
        for label, route in _edges(question):
            if route.tree is not None:
                trees[route.tree] = None
                target = f"t:{route.tree}"
            elif route.target in tree.outcomes:
                target = f"o:{route.target}"
            else:
                target = f"q:{route.target}"
            attrs = f" [label={_dot_label(label)}]" if label else ""
            edges.append(f'    "q:{dot_text(question.id)}" -> "{dot_text(target)}"{attrs};')
    for outcome_id, outcome in tree.outcomes.items():
        if outcome.continues:
            trees[outcome.continues] = None
            edges.append(f'    "o:{dot_text(outcome_id)}" -> "{dot_text("t:" + outcome.continues)}";')
    for tree_id in trees:
        label = _dot_label(f"Continue into the tree {tree_id}")
        out.append(f'    "t:{dot_text(tree_id)}" [label={label}, shape="component"];')
    out.extend(edges)
    out.append("}")
    return "\n".join(out) + "\n"
