"""The interpreter: given a tree and the answers so far, say what comes next.

The engine is pure. It reads no files, touches no terminal and asks no clock: the interactive
session, scripted runs and batch checks are front-ends that call :meth:`Engine.walk` with the
answers they hold and act on the :class:`Walk` it returns.

Answers are keyed by question id. Trees a decision can continue into never share a question id
(the library checks this), so one flat mapping of answers serves a whole decision.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Literal, Union

from sharewise.conditions import evaluate
from sharewise.model import Action, Outcome, Question, Route, Tree

__all__ = ["AnswerError", "AnswerValue", "Engine", "Status", "Step", "Walk", "check_answer"]

AnswerValue = Union[str, list[str]]
Status = Literal["decided", "incomplete", "invalid"]
MAX_STEPS = 10_000
_SPLIT = re.compile(r"\s*[;,]\s*")


@dataclass(frozen=True, slots=True)
class Step:
    """One answered question on the path, with the answer normalised and its display label."""

    tree: Tree
    question: Question
    value: AnswerValue
    label: str


@dataclass(frozen=True, slots=True)
class AnswerError:
    """An answer that cannot be accepted: ``id`` is the question id, ``message`` says why."""

    id: str
    message: str
    question: str | None = None

    def __str__(self) -> str:
        asked = f" ({self.question})" if self.question else ""
        return f"{self.id}{asked}: {self.message}"


@dataclass(frozen=True, slots=True)
class Walk:
    """Where a set of answers leads: the path taken and either the next question or the outcome."""

    path: tuple[Step, ...]
    trees: tuple[Tree, ...]
    pending: tuple[Tree, Question] | None
    outcome: tuple[Tree, Outcome] | None
    errors: tuple[AnswerError, ...]

    @property
    def status(self) -> Status:
        if self.errors:
            return "invalid"
        return "decided" if self.outcome is not None and self.pending is None else "incomplete"

    @property
    def answers(self) -> dict[str, AnswerValue]:
        """The normalised answers on the path, keyed by question id."""
        return {step.question.id: step.value for step in self.path}

    def actions(self) -> list[Action]:
        """The outcome's follow-up actions whose conditions hold for these answers."""
        if self.outcome is None:
            return []
        answers = self.answers
        return [a for a in self.outcome[1].actions if a.condition is None or evaluate(a.condition, answers)]

    def details(self) -> dict[str, str]:
        """The record's detail fields, from the questions that carry a ``detail`` name."""
        out: dict[str, str] = {}
        for step in self.path:
            if step.question.detail and step.label:
                out[step.question.detail] = step.label
        return out


def check_answer(question: Question, raw: object) -> tuple[AnswerValue, str] | str:
    """Normalise ``raw`` for ``question``: ``(value, label)``, or a message saying what is wrong.

    Messages name the allowed values but never repeat free-text answers, which may be personal.
    """
    if question.kind == "choice":
        return _check_choice(question, raw)
    if question.kind == "multi":
        return _check_multi(question, raw)
    if question.kind == "date":
        return _check_date(question, raw)
    return _check_text(question, raw)


#: At most this many allowed values are listed in a message; the rest are counted.
MAX_LISTED = 20


def _allowed(question: Question) -> str:
    values = [o.value for o in question.options[:MAX_LISTED]]
    more = len(question.options) - len(values)
    return ", ".join(values) + (f" and {more} more" if more > 0 else "")


def _shown(raw: object) -> str:
    """What kind of answer ``raw`` is, for a message; never the answer itself, which may be personal."""
    if isinstance(raw, bool):
        return "true or false"
    if isinstance(raw, (list, tuple)):
        return "a list"
    if isinstance(raw, dict):
        return "a mapping"
    if isinstance(raw, (int, float)):
        return "a number"
    if isinstance(raw, str):
        return "empty text" if not raw.strip() else "text"
    return "a value"


def _check_choice(question: Question, raw: object) -> tuple[AnswerValue, str] | str:
    if isinstance(raw, (str, int)) and not isinstance(raw, bool):
        option = question.option(str(raw).strip()) if not isinstance(raw, str) or len(raw) <= _LONGEST else None
        if option is not None:
            return option.value, option.label
    if isinstance(raw, (list, tuple)):
        return f"takes one answer, not a list; allowed: {_allowed(question)}"
    if isinstance(raw, (str, int)) and not isinstance(raw, bool):
        return f"the answer given is not one of its options; allowed: {_allowed(question)}"
    return f"expects one of its options, not {_shown(raw)}; allowed: {_allowed(question)}"


#: Option values are short words; longer text is never looked up (and never shown).
_LONGEST = 200


def _positions(bad: list[int], total: int) -> str:
    """``value 2 of 3`` or ``values 1, 3 and 4 of 5``: which answers were wrong, by position only."""
    shown = [str(n) for n in bad[:5]]
    if len(bad) > 5:
        shown.append(f"{len(bad) - 5} more")
    words = shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]
    return f"value{'s' if len(bad) > 1 else ''} {words} of {total}"


def _check_multi(question: Question, raw: object) -> tuple[AnswerValue, str] | str:
    if isinstance(raw, str):
        items: list[object] = [v for v in _SPLIT.split(raw.strip()) if v]
    elif isinstance(raw, (list, tuple)):
        items = list(raw)
    else:
        return f"expects a list of values; allowed: {_allowed(question)}"
    values: list[str] = []
    labels: list[str] = []
    bad: list[int] = []
    for number, item in enumerate(items, start=1):
        option = (
            question.option(str(item).strip())
            if isinstance(item, (str, int)) and not isinstance(item, bool) and len(str(item)) <= _LONGEST
            else None
        )
        if option is None:
            bad.append(number)
        elif option.value not in values:
            values.append(option.value)
            labels.append(option.label)
    if bad:
        verb = "is not an option" if len(bad) == 1 else "are not options"
        return f"{_positions(bad, len(items))} given {verb}; allowed: {_allowed(question)}"
    if not values and not question.optional:
        return f"choose at least one; allowed: {_allowed(question)}"
    return values, "; ".join(labels)


def _check_text(question: Question, raw: object) -> tuple[AnswerValue, str] | str:
    if isinstance(raw, bool) or not isinstance(raw, (str, int, float)):
        return "expects text"
    text = str(raw).strip()
    if not text and not question.optional:
        return "an answer is required"
    if text and len(text) < question.min_length:
        return f"needs at least {question.min_length} characters (this answer has {len(text)})"
    if not question.multiline and "\n" in text:
        text = " ".join(text.split())
    return text, text


def _check_date(question: Question, raw: object) -> tuple[AnswerValue, str] | str:
    if isinstance(raw, date):
        return raw.isoformat(), raw.isoformat()
    if not isinstance(raw, str):
        return f"expects a date written YYYY-MM-DD, not {_shown(raw)}"
    text = raw.strip()
    if not text and question.optional:
        return "", ""
    if len(text) == 10:
        try:
            day = date.fromisoformat(text)
        except ValueError:
            pass
        else:
            return day.isoformat(), day.isoformat()
    return "the answer given is not a date; write it as YYYY-MM-DD, for example 2026-11-30"


class Engine:
    """Walks answers through a tree and any trees it continues into.

    ``resolve`` turns a tree id into a (valid) tree; the engine never looks trees up itself.
    """

    def __init__(self, start: Tree, resolve: Callable[[str], Tree]) -> None:
        self.start = start
        self._resolve = resolve
        self._trees: dict[str, Tree] = {start.id: start}

    def tree(self, tree_id: str) -> Tree:
        tree = self._trees.get(tree_id)
        if tree is None:
            tree = self._trees[tree_id] = self._resolve(tree_id)
        return tree

    def reachable_trees(self) -> list[Tree]:
        """The start tree and every tree it can continue into, in first-reached order."""
        order: list[Tree] = []
        queue = [self.start.id]
        while queue:
            tree = self.tree(queue.pop(0))
            if tree in order:
                continue
            order.append(tree)
            queue.extend(tree.continues_into())
        return order

    def find_question(self, question_id: str) -> tuple[Tree, Question] | None:
        for tree in self.reachable_trees():
            question = tree.questions.get(question_id)
            if question is not None:
                return tree, question
        return None

    def walk(self, answers: Mapping[str, object], *, blank_optional: bool = False) -> Walk:
        """Follow ``answers`` from the start; ``blank_optional`` treats unanswered optional questions as left blank.

        Every answer is checked, not just those on the path, so a script hears about every
        problem at once. An answer to a question no reachable tree has is an error.
        """
        path: list[Step] = []
        trees: list[Tree] = [self.start]
        values: dict[str, AnswerValue] = {}
        errors: list[AnswerError] = []
        tree = self.start
        node = tree.start
        pending: tuple[Tree, Question] | None = None
        outcome: tuple[Tree, Outcome] | None = None
        queue: list[str] = []  # record questions still to ask once an outcome is reached
        for _ in range(MAX_STEPS):
            question = tree.questions[node]
            raw = answers.get(question.id)
            if raw is None and question.optional and blank_optional:
                raw = ""
            if raw is None:
                pending = (tree, question)
                break
            checked = check_answer(question, raw)
            if isinstance(checked, str):
                errors.append(AnswerError(question.id, checked, question.ask))
                break
            value, label = checked
            values[question.id] = value
            path.append(Step(tree, question, value, label))
            if outcome is None:
                target = self._route(question, value, values)
                if target.tree is not None:
                    tree = self.tree(target.tree)
                    trees.append(tree)
                    node = tree.start
                    continue
                if target.target in tree.outcomes:
                    outcome = (tree, tree.outcomes[target.target])
                    queue = list(outcome[1].record)
                else:
                    node = target.target
                    continue
            if not queue:
                break
            node = queue.pop(0)
        else:  # pragma: no cover - validation rules out loops; this is a last guard
            raise RuntimeError(f"the walk took more than {MAX_STEPS} steps")
        if outcome is None and pending is None and not errors:  # pragma: no cover
            raise RuntimeError("the walk stopped without an outcome")
        errors.extend(self._other_errors(answers, values, {e.id for e in errors}))
        return Walk(tuple(path), tuple(trees), pending, outcome, tuple(errors))

    def _route(self, question: Question, value: AnswerValue, values: Mapping[str, AnswerValue]) -> Route:
        routes = question.routes
        if question.kind == "choice" and isinstance(value, str):
            option = question.option(value)
            assert option is not None, "check_answer accepted a value the question does not offer"
            routes = option.routes
        for route in routes:
            if route.condition is None or evaluate(route.condition, values):
                return route
        raise RuntimeError(f"no route from '{question.id}' applies")  # pragma: no cover - validated

    def _other_errors(
        self, answers: Mapping[str, object], checked: Mapping[str, AnswerValue], already: set[str]
    ) -> list[AnswerError]:
        errors: list[AnswerError] = []
        for qid, raw in answers.items():
            if qid in checked or qid in already or raw is None:
                continue
            found = self.find_question(qid)
            if found is None:
                names = ", ".join(t.id for t in self.reachable_trees())
                errors.append(AnswerError(qid, f"no question with this id in {names}"))
                continue
            result = check_answer(found[1], raw)
            if isinstance(result, str):
                errors.append(AnswerError(qid, result, found[1].ask))
        return errors
