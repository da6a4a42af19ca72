"""How far along a decision is: the most questions any route from here could still ask.

Computed from the trees themselves, so it stays right when a tree changes: from a question, follow
every route (whatever its condition) to the outcome at its end, counting the questions on the way,
the trees a route continues into, and the outcome's record questions. The longest such count is
the honest upper bound the session shows ("Question 4 of at most 12").
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

from sharewise.model import Question, Tree

__all__ = ["Progress"]


class Progress:
    """Questions still to come from any question of the trees ``resolve`` can load."""

    def __init__(self, resolve: Callable[[str], Tree]) -> None:
        self._resolve = resolve
        self._trees: dict[str, Tree] = {}
        self._visiting: set[tuple[str, str]] = set()

    def total(self, number: int, tree: Tree, question: Question) -> int:
        """The most questions the decision can take when question ``number`` is ``question``."""
        self._trees.setdefault(tree.id, tree)
        return number - 1 + self._longest(tree.id, question.id)

    @cache  # noqa: B019 - one Progress per session; trees are immutable while it lasts
    def _longest(self, tree_id: str, question_id: str) -> int:
        if (tree_id, question_id) in self._visiting:  # validation rules loops out; never recurse forever
            return 0
        self._visiting.add((tree_id, question_id))
        try:
            return self._count(tree_id, question_id)
        finally:
            self._visiting.discard((tree_id, question_id))

    def _count(self, tree_id: str, question_id: str) -> int:
        tree = self._tree(tree_id)
        question = tree.questions[question_id]
        routes = list(question.routes) + [r for option in question.options for r in option.routes]
        if not routes:  # a record question: the outcome's list says what follows it
            return 1
        longest = 0
        for route in routes:
            if route.tree is not None:
                target = self._tree(route.tree)
                after = self._longest(target.id, target.start)
            elif route.target in tree.outcomes:
                after = len(tree.outcomes[route.target].record)
            else:
                after = self._longest(tree_id, route.target)
            longest = max(longest, after)
        return 1 + longest

    def _tree(self, tree_id: str) -> Tree:
        if tree_id not in self._trees:
            self._trees[tree_id] = self._resolve(tree_id)
        return self._trees[tree_id]
