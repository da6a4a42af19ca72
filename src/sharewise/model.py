"""The typed shape of a decision tree, once loaded and validated.

After :mod:`sharewise.treefile` has done its work nothing in the engine handles loose dicts: a tree
is a :class:`Tree` of :class:`Question` and :class:`Outcome` objects with resolved routes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Literal

from sharewise.conditions import Condition

__all__ = [
    "DECISIONS",
    "KINDS",
    "TREE_PREFIX",
    "Action",
    "Citation",
    "Decision",
    "Diagnostic",
    "Kind",
    "Option",
    "Outcome",
    "Question",
    "Route",
    "Source",
    "Tree",
    "TreeSource",
]

Decision = Literal["share", "do-not-share", "seek-advice"]
Kind = Literal["choice", "multi", "text", "date"]
DECISIONS: tuple[str, ...] = ("share", "do-not-share", "seek-advice")
KINDS: tuple[str, ...] = ("choice", "multi", "text", "date")
TREE_PREFIX = "tree:"


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One problem found in a tree file; ``severity`` is ``error`` or ``warning``."""

    file: str
    line: int | None
    place: str
    message: str
    severity: Literal["error", "warning"] = "error"

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        label = "warning: " if self.severity == "warning" else ""
        place = f" {self.place}:" if self.place else ":"
        return f"{where}{place} {label}{self.message}"


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
        return "; ".join(f"{title}, {section}" if section else title for title, section in cited)


@dataclass(frozen=True, slots=True)
class Route:
    """Where to go next; ``condition`` is None for an unconditional (default) route."""

    target: str
    condition: Condition | None = None
    condition_text: str | None = None
    place: str = ""
    line: int | None = None

    @property
    def tree(self) -> str | None:
        """The id of the tree this route continues into, or None for a route inside the tree."""
        return self.target[len(TREE_PREFIX) :] if self.target.startswith(TREE_PREFIX) else None


@dataclass(frozen=True, slots=True)
class Option:
    value: str
    label: str
    help: str | None
    routes: tuple[Route, ...]


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
    _by_value: dict[str, Option] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._by_value.update({opt.value: opt for opt in self.options})

    def option(self, value: str) -> Option | None:
        return self._by_value.get(value)

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
        seen: dict[str, None] = {}
        for route in self.routes():
            if route.tree:
                seen[route.tree] = None
        return list(seen)
