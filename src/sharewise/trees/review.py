"""Review dates: which of the trees a decision may reach are past theirs.

An overdue tree is a notice to the person deciding, never a block: each front-end says so in its
own words (``decide --no-input`` on standard error, the desk session in a panel), and both ask
:func:`overdue` which trees to name.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sharewise.model import Tree

__all__ = ["overdue"]


def overdue(trees: Iterable[Tree], today: date) -> list[Tree]:
    """The trees among ``trees`` whose next review was due before ``today``, in the order given."""
    return [tree for tree in trees if tree.next_review < today]
