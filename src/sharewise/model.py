"""The typed shape of a decision tree, once loaded and validated.

After :mod:`sharewise.trees.load` has done its work nothing in the engine handles loose dicts: a tree
is a :class:`Tree` of :class:`Question` and :class:`Outcome` objects with resolved routes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Literal, Union

from sharewise.decisions import DECISIONS, Decision
from sharewise.engine.conditions import Condition

__all__ = [
    "CONTINUED_FROM",
    "DECISIONS",
    "ID_PATTERN",
    "KINDS",
    "TREE_PREFIX",
    "Action",
    "AnswerValue",
    "Citation",
    "CrossRef",
    "Decision",
    "Kind",
    "Option",
    "Outcome",
    "Question",
    "Route",
    "Source",
    "Tree",
    "TreeSource",
]

AnswerValue = Union[str, list[str]]
Kind = Literal["choice", "multi", "text", "date"]
KINDS: tuple[str, ...] = ("choice", "multi", "text", "date")
TREE_PREFIX = "tree:"
#: A tree id, question id, option value, outcome id or source ref: lower-case letters, digits, '-'
#: and '_', starting with a letter or digit (``tree.schema.json`` spells the same pattern).
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
CONTINUED_FROM = "continued_from"  # the name a condition uses for the tree this one was continued from


@dataclass(frozen=True, slots=True)
class Source:
    ref: str
    title: str
    url: str | None = None


@dataclass(frozen=True, slots=True)
class Citation:
    """A pointer into a source: ``ref`` names an entry of the tree's ``sources``."""

    ref: str
    section: str
    title: str
    also: tuple[tuple[str, str], ...] = ()  # further citations: (source title, section)

    def __str__(self) -> str:
        cited = [(self.title, self.section), *self.also]
        return "; ".join(_cited(title, section) for title, section in cited)


def _cited(title: str, section: str) -> str:
    """``Title, section``; a section written in brackets follows the title without a comma."""
    if not section:
        return title
    return f"{title} {section}" if section.startswith("(") else f"{title}, {section}"


@dataclass(frozen=True, slots=True)
class Route:
    """Where to go next; ``condition`` is None for an unconditional (default) route."""

    target: str
    condition: Condition | None = None
    condition_text: str | None = None
    place: str = ""
    line: int | None = None
    #: The id of the tree this route continues into, or None for a route inside the tree.
    tree: str | None = field(default=None, init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        target = self.target
        object.__setattr__(self, "tree", target[len(TREE_PREFIX) :] if target.startswith(TREE_PREFIX) else None)


@dataclass(frozen=True, slots=True)
class Option:
    value: str
    label: str
    help: str | None
    routes: tuple[Route, ...]
    condition: Condition | None = None  # offered only when this holds (``if:`` on the option)
    condition_text: str | None = None


@dataclass(frozen=True, slots=True)
class Question:
    id: str
    ask: str
    help: str
    source: Citation
    kind: Kind
    section: str | None = None
    options: tuple[Option, ...] = ()
    routes: tuple[Route, ...] = ()
    min_length: int = 0
    multiline: bool = False
    optional: bool = False
    detail: str | None = None
    line: int | None = None
    same_as: tuple[str, str] | None = None  # (tree id, question id) whose answer this question carries
    carry_map: tuple[tuple[str, str], ...] = ()  # giving value -> this question's value, where they differ
    setting: str | None = None  # the settings name that can answer this question (``setting:``)
    preset: str | None = None  # the value the settings file gives it, filled in when the tree is read
    _by_value: dict[str, Option] = field(default_factory=dict, compare=False, repr=False)
    #: True when an option is offered only under a condition (``if:``); worked out once, for the walk.
    gated: bool = field(default=False, init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._by_value.update({opt.value: opt for opt in self.options})
        object.__setattr__(self, "gated", any(opt.condition is not None for opt in self.options))

    def option(self, value: str) -> Option | None:
        return self._by_value.get(value)

    def carried_value(self, value: AnswerValue) -> AnswerValue:
        """``value`` of the question this one is the same as, in this question's own values."""
        mapping = dict(self.carry_map)
        if isinstance(value, list):
            return [mapping.get(v, v) for v in value]
        return mapping.get(value, value)

    @property
    def is_record_question(self) -> bool:
        """True for a question asked only to complete an outcome's record (it has no route)."""
        return not self.routes and not any(opt.routes for opt in self.options)


@dataclass(frozen=True, slots=True)
class Action:
    text: str
    condition: Condition | None = None
    condition_text: str | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    id: str
    decision: Decision
    title: str
    summary: str
    actions: tuple[Action, ...] = ()
    record: tuple[str, ...] = ()
    source: Citation | None = None
    continues: str | None = None  # the tree this outcome hands the decision on to, if any
    place: str = ""
    line: int | None = None
    record_if: tuple[tuple[str, Condition], ...] = ()  # record questions asked only when a condition holds


@dataclass(frozen=True, slots=True)
class CrossRef:
    """A reference from one tree to another that only the library can check, with its place.

    ``kind`` is ``answer`` (a condition names ``TREE.QUESTION``), ``from`` (a condition compares
    ``continued_from`` with a tree id) or ``same_as`` (a question carries another tree's answer).
    """

    kind: Literal["answer", "from", "same_as"]
    tree: str
    question: str | None
    values: tuple[str, ...]
    place: str
    line: int | None
    owner: str = ""  # for ``same_as``: the question that carries the answer


@dataclass(frozen=True, slots=True)
class TreeSource:
    """One file that shaped a tree, with its digest: the base tree file, an overlay on it, or the
    settings (config) file whose contacts filled in the tree's text.

    ``name`` is the file name; ``path`` is where it was read (None for a tree shipped with
    sharewise, whose install path says nothing to an auditor).
    """

    name: str
    path: str | None
    sha256: str
    role: Literal["base", "overlay", "settings"]
    tree: str
    version: str


@dataclass(frozen=True, slots=True)
class Tree:
    id: str
    title: str
    description: str
    version: str
    owner: str
    reviewed: date
    next_review: date
    sources: dict[str, Source]
    start: str
    questions: dict[str, Question]
    outcomes: dict[str, Outcome]
    file: Path | None = None
    sha256: str = ""
    files: tuple[TreeSource, ...] = ()
    start_routes: tuple[Route, ...] = ()  # a conditional start; empty when ``start`` is plain
    settings: dict[str, str] = field(
        default_factory=dict
    )  # settings its conditions name, as the settings file gives them
    refs: tuple[CrossRef, ...] = ()

    def routes(self) -> list[Route]:
        """Every route in the tree, in file order."""
        out: list[Route] = []
        for question in self.questions.values():
            out.extend(question.routes)
            for option in question.options:
                out.extend(option.routes)
        return out

    def continues_into(self) -> list[str]:
        """Ids of the trees this tree can continue into."""
        return list(dict.fromkeys(tree_id for tree_id, _, _ in self.links()))

    def links(self) -> list[tuple[str, str, int | None]]:
        """Every hand-over into another tree: (tree id, place, line), from routes and outcomes."""
        out = [(route.tree, route.place, route.line) for route in self.routes() if route.tree]
        out.extend((o.continues, o.place, o.line) for o in self.outcomes.values() if o.continues)
        return out
