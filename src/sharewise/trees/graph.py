"""A tree as a diagram: Mermaid (renders in most code hosts and wikis) or Graphviz DOT.

Drawn for a policy meeting as much as for an author. Questions are boxes, with the options of a
question that takes several answers listed inside; outcomes are rounded and coloured by decision
(share green, do not share red, seek advice amber), with the questions asked for their record
listed by their wording; a route into another tree is a subroutine box. An arrow's label says in
words when it is taken ("Yes, if “Was it given in confidence…” is “Yes”"), and several options
that lead to the same place share one arrow. A key explains the shapes and colours, and when the
tree is an overlay, the questions and outcomes it adds or changes are drawn with a dashed blue
border.

Both writers quote every label and escape what their syntax gives meaning to, and derive node
ids from tree ids by a reversible escape, so no text a tree author writes can break the diagram.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable, Iterator

from sharewise.decisions import TABLE
from sharewise.engine.conditions import AnswerIn, BoolOp, Condition, Contains, Equals, Not
from sharewise.model import Question, Route, Tree

__all__ = [
    "DECISION_COLOURS",
    "FORMATS",
    "changed_nodes",
    "condition_words",
    "dot_text",
    "mermaid_id",
    "mermaid_text",
    "to_dot",
    "to_mermaid",
]

FORMATS = ("mermaid", "dot")
WRAP = 40
MAX_LABEL = 200
MAX_EDGE_LABEL = 320
CHANGED_COLOUR = "#0b5ed7"
DECISION_COLOURS = {words.id: (words.graph_fill, words.graph_stroke) for words in TABLE}
"""Decision id -> (fill, stroke) of its outcome boxes (from :mod:`sharewise.decisions`)."""
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


def _clip(text: str, limit: int = MAX_LABEL) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _lines(text: str, limit: int = MAX_LABEL) -> list[str]:
    return textwrap.wrap(_clip(text, limit), WRAP, break_on_hyphens=False) or [""]


def _short(text: str, limit: int = 45) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:.?") + "…"


def _named(tree: Tree, question_id: str) -> str:
    question = tree.questions.get(question_id)
    return f"“{_short(question.ask)}”" if question else f"the answer to {question_id}"


def _option(tree: Tree, question_id: str, value: str) -> str:
    question = tree.questions.get(question_id)
    option = question.option(value) if question else None
    return f"“{option.label if option else value}”"


def _either(words: list[str], joiner: str = "or") -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} {joiner} {words[-1]}"


def condition_words(tree: Tree, condition: Condition) -> str:
    """``condition`` in words, naming questions by their wording and answers by their labels."""
    if isinstance(condition, Equals):
        verb = "is not" if condition.negate else "is"
        return f"{_named(tree, condition.name)} {verb} {_option(tree, condition.name, condition.value)}"
    if isinstance(condition, AnswerIn):
        values = [_option(tree, condition.name, v) for v in condition.values]
        if condition.negate:
            return f"{_named(tree, condition.name)} is neither {_either(values, 'nor')}"
        return f"{_named(tree, condition.name)} is {_either(values)}"
    if isinstance(condition, Contains):
        verb = "does not include" if condition.negate else "includes"
        return f"{_named(tree, condition.name)} {verb} {_option(tree, condition.name, condition.value)}"
    if isinstance(condition, Not):
        return f"not ({condition_words(tree, condition.operand)})"
    parts = [
        f"({condition_words(tree, part)})" if isinstance(part, BoolOp) else condition_words(tree, part)
        for part in condition.operands
    ]
    return f" {condition.op} ".join(parts)


def _edges(tree: Tree, question: Question) -> Iterator[tuple[str, Route]]:
    """One (label, route) per arrow out of ``question``: routes to the same place share an arrow.

    The label names the options that lead there, and in words the condition that must hold.
    """
    grouped: dict[str, list[tuple[str, Route]]] = {}
    for option in question.options:
        for route in option.routes:
            grouped.setdefault(route.target, []).append((option.label, route))
    for route in question.routes:
        grouped.setdefault(route.target, []).append(("", route))
    everything = [option.label for option in question.options]
    for entries in grouped.values():
        by_condition: dict[str, list[str]] = {}
        for label, route in entries:
            words = condition_words(tree, route.condition) if route.condition is not None else ""
            by_condition.setdefault(words, []).append(label)
        parts = []
        for words, labels in by_condition.items():
            options = _options_words([label for label in labels if label], everything)
            if words:
                parts.append(f"{options}, if {words}" if options else f"if {words}")
            else:
                parts.append(options or ("otherwise" if len(by_condition) > 1 else ""))
        yield "; or ".join(p for p in parts if p), entries[0][1]


def _options_words(labels: list[str], everything: list[str]) -> str:
    """The options an arrow is taken for: listed, or as "any answer but ..." when that is shorter."""
    if not labels:
        return ""
    others = [label for label in everything if label not in labels]
    if len(labels) >= 2 and not others:
        return "Any answer"
    if len(labels) >= 3 and len(others) <= 2:
        return "Any answer but " + _either([f"“{_short(o, 40)}”" for o in others])
    return _either([f"“{_short(label, 40)}”" for label in labels])


def _question_text(question: Question) -> tuple[str, ...]:
    """A question's box: its wording and, where several answers may be ticked, the options."""
    if question.kind == "multi" and question.options:
        return (question.ask, "Tick any of: " + "; ".join(o.label for o in question.options))
    return (question.ask,)


def _routed(tree: Tree) -> list[Question]:
    return [q for q in tree.questions.values() if not q.is_record_question]


def _outcome_text(tree: Tree, outcome_id: str) -> str:
    outcome = tree.outcomes[outcome_id]
    return f"{outcome.decision.upper()}: {outcome.title}"


def _record_note(tree: Tree, outcome_id: str) -> str:
    record = tree.outcomes[outcome_id].record
    if not record:
        return ""
    asked = [_short(tree.questions[q].ask, 60) if q in tree.questions else q for q in record]
    return "For the record, asks: " + "; ".join(asked)


def changed_nodes(tree: Tree, base: Tree | None) -> set[str]:
    """Ids of the questions and outcomes an overlay adds or changes, against its ``base``."""
    if base is None:
        return set()
    changed = {q for q, question in tree.questions.items() if base.questions.get(q) != question}
    return changed | {o for o, outcome in tree.outcomes.items() if base.outcomes.get(o) != outcome}


_KEY = (
    ("question", "A question"),
    *((words.id, words.key_text) for words in TABLE),
    ("tree", "Carries on into another tree"),
)


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


def _quoted(parts: tuple[str, ...], escape: Callable[[str], str], line_break: str, limit: int = MAX_LABEL) -> str:
    """A double-quoted label of the non-empty ``parts``, wrapped into lines and escaped."""
    lines = [line for part in parts if part for line in _lines(part, limit)]
    return '"' + line_break.join(escape(line) for line in lines) + '"'


def _mermaid_label(*parts: str) -> str:
    return _quoted(parts, mermaid_text, "<br/>")


def to_mermaid(tree: Tree, base: Tree | None = None) -> str:
    """The tree as a Mermaid flowchart; with ``base`` (an overlay's), its changes are marked."""
    out = [
        f"%% {_clip(tree.title)} ({tree.id} {tree.version}), drawn by sharewise trees graph",
        "flowchart TD",
    ]
    changed = changed_nodes(tree, base)
    targets_trees: dict[str, None] = {}
    for question in _routed(tree):
        out.append(f"    {mermaid_id('Q', question.id)}[{_mermaid_label(*_question_text(question))}]")
    for question in _routed(tree):
        source = mermaid_id("Q", question.id)
        for label, route in _edges(tree, question):
            if route.tree is not None:
                target = mermaid_id("T", route.tree)
                targets_trees[route.tree] = None
            elif route.target in tree.outcomes:
                target = mermaid_id("R", route.target)
            else:
                target = mermaid_id("Q", route.target)
            arrow = f"-->|{_quoted((label,), mermaid_text, '<br/>', MAX_EDGE_LABEL)}|" if label else "-->"
            out.append(f"    {source} {arrow} {target}")
    for outcome_id, outcome in tree.outcomes.items():
        label = _quoted((_outcome_text(tree, outcome_id), _record_note(tree, outcome_id)), mermaid_text, "<br/>", 500)
        out.append(f"    {mermaid_id('R', outcome_id)}([{label}])")
        if outcome.continues:
            targets_trees[outcome.continues] = None
            out.append(f"    {mermaid_id('R', outcome_id)} --> {mermaid_id('T', outcome.continues)}")
    for tree_id in targets_trees:
        out.append(f"    {mermaid_id('T', tree_id)}[[{_mermaid_label(f'Continue into the tree {tree_id}')}]]")
    out += _mermaid_decision_classes(tree)
    out += _mermaid_key(bool(changed))
    if changed:
        out.append(f"    classDef changed stroke:{CHANGED_COLOUR},stroke-width:3px,stroke-dasharray:6 3")
        members = [mermaid_id("Q", q.id) for q in _routed(tree) if q.id in changed]
        members += [mermaid_id("R", o) for o in tree.outcomes if o in changed]
        if members:
            out.append(f"    class {','.join(members)} changed")
    return "\n".join(out) + "\n"


def _mermaid_decision_classes(tree: Tree) -> list[str]:
    """The decisions' Mermaid classes, and the outcomes that take each."""
    out = [
        f"    classDef {words.mermaid_class} fill:{words.graph_fill},stroke:{words.graph_stroke},color:#000000"
        for words in TABLE
    ]
    for words in TABLE:
        members = [mermaid_id("R", o.id) for o in tree.outcomes.values() if o.decision == words.id]
        if members:
            out.append(f"    class {','.join(members)} {words.mermaid_class}")
    return out


def _mermaid_key(overlay: bool) -> list[str]:
    out = ['    subgraph K_key ["Key"]']
    for kind, text in (*_KEY, *((("changed", "Added or changed by this overlay"),) if overlay else ())):
        node = mermaid_id("K", kind)
        shape = {"question": "[{}]", "tree": "[[{}]]"}.get(kind, "([{}])")
        out.append(f"    {node}{shape.format(_mermaid_label(text))}")
    out.append("    end")
    for words in TABLE:
        out.append(f"    class {mermaid_id('K', words.id)} {words.mermaid_class}")
    if overlay:
        out.append(f"    class {mermaid_id('K', 'changed')} changed")
    return out


# -- Graphviz DOT ------------------------------------------------------------------------------


def dot_text(text: str) -> str:
    """``text`` for a double-quoted DOT string: backslash and quote escaped."""
    return text.replace("\\", "\\\\").replace('"', '\\"')


def _dot_label(*parts: str) -> str:
    return _quoted(parts, dot_text, "\\n")


def to_dot(tree: Tree, base: Tree | None = None) -> str:
    """The tree as a Graphviz digraph; with ``base`` (an overlay's), its changes are marked."""
    changed = changed_nodes(tree, base)
    marked = f', penwidth="3", style="dashed", color="{CHANGED_COLOUR}"'
    out = [
        f'digraph "{dot_text(tree.id)}" {{',
        f'    graph [label={_dot_label(f"{tree.title} ({tree.id} {tree.version})")}, labelloc="t", rankdir="TB"];',
        '    node [shape="box", fontname="Helvetica"];',
        '    edge [fontname="Helvetica", fontsize="10"];',
    ]
    for question in _routed(tree):
        extra = marked if question.id in changed else ""
        out.append(f'    "q:{dot_text(question.id)}" [label={_dot_label(*_question_text(question))}{extra}];')
    for outcome_id, outcome in tree.outcomes.items():
        fill, stroke = DECISION_COLOURS[outcome.decision]
        label = _quoted((_outcome_text(tree, outcome_id), _record_note(tree, outcome_id)), dot_text, "\\n", 500)
        style = "rounded,filled,dashed" if outcome_id in changed else "rounded,filled"
        colour = f'color="{CHANGED_COLOUR}", penwidth="3"' if outcome_id in changed else f'color="{stroke}"'
        out.append(f'    "o:{dot_text(outcome_id)}" [label={label}, style="{style}", fillcolor="{fill}", {colour}];')
    trees: dict[str, None] = {}
    edges: list[str] = []
    for question in _routed(tree):
        for label, route in _edges(tree, question):
            if route.tree is not None:
                trees[route.tree] = None
                target = f"t:{route.tree}"
            elif route.target in tree.outcomes:
                target = f"o:{route.target}"
            else:
                target = f"q:{route.target}"
            attrs = f" [label={_quoted((label,), dot_text, chr(92) + 'n', MAX_EDGE_LABEL)}]" if label else ""
            edges.append(f'    "q:{dot_text(question.id)}" -> "{dot_text(target)}"{attrs};')
    for outcome_id, outcome in tree.outcomes.items():
        if outcome.continues:
            trees[outcome.continues] = None
            edges.append(f'    "o:{dot_text(outcome_id)}" -> "{dot_text("t:" + outcome.continues)}";')
    for tree_id in trees:
        label = _dot_label(f"Continue into the tree {tree_id}")
        out.append(f'    "t:{dot_text(tree_id)}" [label={label}, shape="component"];')
    out.extend(edges)
    out += _dot_key(bool(changed))
    out.append("}")
    return "\n".join(out) + "\n"


def _dot_key(overlay: bool) -> list[str]:
    """The key, as a boxed cluster of sample shapes kept apart from the tree."""
    out = ['    subgraph "cluster_key" {', '        graph [label="Key", style="rounded", color="#6c757d"];']
    for kind, text in _KEY:
        if kind in DECISION_COLOURS:
            fill, stroke = DECISION_COLOURS[kind]
            attrs = f'style="rounded,filled", fillcolor="{fill}", color="{stroke}"'
        elif kind == "tree":
            attrs = 'shape="component"'
        else:
            attrs = 'shape="box"'
        out.append(f'        "key:{kind}" [label={_dot_label(text)}, {attrs}];')
    if overlay:
        out.append(
            f'        "key:changed" [label="Added or changed by this overlay", style="dashed", penwidth="3", '
            f'color="{CHANGED_COLOUR}"];'
        )
    out.append("    }")
    return out
