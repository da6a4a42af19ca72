"""The three decisions a tree can reach, and every word and colour sharewise shows them with.

One :class:`DecisionWords` a decision: its id (as trees and records spell it), the label people
read, its colour on the terminal, the heading a record gives its first section, its colour on a
record's HTML page and on a tree diagram. Every renderer (records, screens, lists, diagrams) reads
this table, so a new word or colour is changed here once.

A leaf module (it imports nothing from sharewise), so the records side, the console and the
diagrams can read it without loading the tree types and the condition language behind
:mod:`sharewise.model`, which re-exports :data:`Decision` and :data:`DECISIONS` for trees.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["BY_ID", "DECISIONS", "TABLE", "Decision", "DecisionWords", "label_of"]

Decision = Literal["share", "do-not-share", "seek-advice"]


@dataclass(frozen=True, slots=True)
class DecisionWords:
    """How one decision is named and coloured wherever sharewise shows it."""

    id: str
    label: str  # "Do not share": records, the desk session, 'records list'
    colour: str  # a rich colour: panels on the screen; bold for the word itself (see ``style``)
    heading: str  # a record's first section: what was shared, or the request and the reply
    css_name: str  # the record page's colour variable (``--NAME``), for the decision's border
    css_colour: str
    graph_fill: str  # a tree diagram's outcome boxes and key
    graph_stroke: str
    mermaid_class: str  # the Mermaid class of those boxes (a Mermaid class name cannot hold '-')

    @property
    def style(self) -> str:
        """The rich style of the decision's word on the terminal."""
        return f"bold {self.colour}"

    @property
    def key_text(self) -> str:
        """The decision in a diagram's key: 'Decision: do not share'."""
        return f"Decision: {self.label.lower()}"


TABLE: tuple[DecisionWords, ...] = (
    DecisionWords(
        id="share",
        label="Share",
        colour="green",
        heading="What was shared, with whom",
        css_name="share",
        css_colour="#00703c",
        graph_fill="#d1e7dd",
        graph_stroke="#0f5132",
        mermaid_class="share",
    ),
    DecisionWords(
        id="do-not-share",
        label="Do not share",
        colour="red",
        heading="The request, and why it was not shared",
        css_name="stop",
        css_colour="#a4120e",
        graph_fill="#f8d7da",
        graph_stroke="#842029",
        mermaid_class="doNotShare",
    ),
    DecisionWords(
        id="seek-advice",
        label="Seek advice",
        colour="yellow",
        heading="The request, and the advice needed first",
        css_name="ask",
        css_colour="#7a5200",
        graph_fill="#fff3cd",
        graph_stroke="#664d03",
        mermaid_class="seekAdvice",
    ),
)
"""The decisions in the order every list and key gives them."""

BY_ID: dict[str, DecisionWords] = {words.id: words for words in TABLE}
DECISIONS: tuple[str, ...] = tuple(BY_ID)
"""The decision ids, as a tree's outcome or a record spells them."""


def label_of(decision: object, default: str) -> str:
    """The label of ``decision``; ``default`` for anything else (a record's odd value is never looked up)."""
    words = BY_ID.get(decision) if isinstance(decision, str) else None
    return words.label if words is not None else default
