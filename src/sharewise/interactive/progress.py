"""How far along a decision is: the most questions any route from here could still ask.

Computed from the trees themselves, so it stays right when a tree changes: from a question, follow
every route (whatever its condition) to the outcome at its end, counting the questions on the way,
the trees a route continues into, and the outcome's record questions. The longest such count is
the honest upper bound the session shows ("Question 4 of at most 12"). Questions that will not be
asked are not counted: in a tree continued into, those carrying an earlier answer (``same_as``),
and anywhere, those the settings file answers.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

from sharewise.engine.conditions import evaluate
from sharewise.model import CONTINUED_FROM, Question, Tree

__all__ = ["Progress"]


class Progress:
    """Questions still to come from any question of the trees ``resolve`` can load."""

    def __init__(self, resolve: Callable[[str], Tree]) -> None:
        self._resolve = resolve
        self._trees: dict[str, Tree] = {}
        self._visiting: set[tuple[str, str]] = set()

    def total(self, number: int, tree: Tree, question: Question, *, continued: bool = False) -> int:
        """The most questions the decision can take when question ``number`` is ``question``;
        ``continued`` says the decision reached ``tree`` from another tree."""
        self._trees.setdefault(tree.id, tree)
        return number - 1 + self._longest(tree.id, question.id, continued)

    @cache  # noqa: B019 - one Progress per session; trees are immutable while it lasts
    def _longest(self, tree_id: str, question_id: str, continued: bool) -> int:
        key = (tree_id, question_id)
        if key in self._visiting:  # validation rules loops out; never recurse forever
            return 0
        self._visiting.add(key)
        try:
            return self._count(tree_id, question_id, continued)
        finally:
            self._visiting.discard(key)

    def _count(self, tree_id: str, question_id: str, continued: bool) -> int:
        tree = self._tree(tree_id)
        question = tree.questions[question_id]
        asked = 0 if question.preset is not None or (continued and question.same_as) else 1
        routes = list(question.routes) + [r for option in question.options for r in option.routes]
        if not routes:  # a record question: the outcome's list says what follows it
            return asked
        longest = 0
        for route in routes:
            if route.tree is not None:
                after = self._entering(route.tree, tree_id)
            elif route.target in tree.outcomes:
                outcome = tree.outcomes[route.target]
                after = self._entering(outcome.continues, tree_id) if outcome.continues else len(outcome.record)
            else:
                after = self._longest(tree_id, route.target, continued)
            longest = max(longest, after)
        return asked + longest

    def _entering(self, tree_id: str, giving: str) -> int:
        """The most questions a tree asks when the decision continues into it from ``giving``: its
        start is the first start route that holds for a tree continued from there."""
        target = self._tree(tree_id)
        seen = {CONTINUED_FROM: giving}
        start = next(
            (r.target for r in target.start_routes if r.condition is None or evaluate(r.condition, seen)),
            target.start,
        )
        return self._longest(target.id, start, True)

    def _tree(self, tree_id: str) -> Tree:
        if tree_id not in self._trees:
            self._trees[tree_id] = self._resolve(tree_id)
        return self._trees[tree_id]
