"""The interpreter: given a tree and the answers so far, say what comes next.

The engine is pure. It reads no files, touches no terminal and asks no clock: the interactive
session, scripted runs and batch checks are front-ends that call :meth:`Engine.walk` with the
answers they hold and act on the :class:`Walk` it returns.

Answers are keyed by question id. Trees a decision can continue into never share a question id
(the library checks this), so one flat mapping of answers serves a whole decision.

A question that declares ``same_as`` another tree's question is the same fact asked again: when
that question was answered earlier in the decision, the answer is carried (marked so on the
path) and never asked; started on its own, the tree asks it as usual. Conditions see every
answer by its id, by ``TREE.QUESTION``, and the tree the current one was continued from as
``continued_from``.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType
from typing import Literal

from sharewise.engine.conditions import evaluate
from sharewise.model import CONTINUED_FROM, Action, AnswerValue, Option, Outcome, Question, Route, Tree

__all__ = ["AnswerError", "AnswerValue", "Engine", "Status", "Step", "Walk", "check_answer"]

Status = Literal["decided", "incomplete", "invalid"]
MAX_STEPS = 10_000
_SPLIT = re.compile(r"\s*[;,]\s*")


@dataclass(slots=True, eq=False)
class Step:
    """One answered question on the path, with the answer normalised and its display label.

    Read-only by convention: nothing changes a step once the walk has made it. It is not a frozen
    dataclass because the walk makes one per answer, for every case of a batch, and a frozen
    dataclass takes seven times as long to build (about 1 us against 0.13 us here). Steps compare
    by identity, as two answers at different places of one walk are different steps.
    """

    tree: Tree
    question: Question
    value: AnswerValue
    label: str
    carried_from: Step | None = None  # the earlier answer this one carries; None when asked
    preset: bool = False  # answered by the settings file (``setting:``), not asked

    @property
    def carried(self) -> bool:
        return self.carried_from is not None

    @property
    def was_asked(self) -> bool:
        return self.carried_from is None and not self.preset


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
    conclusions: tuple[tuple[Tree, Outcome], ...] = ()  # outcomes that handed on to another tree
    #: The answers as conditions in the last tree entered see them, as the walk left them (what
    #: :meth:`context` gives for that tree; kept so the outcome's actions need not rebuild it;
    #: read-only, since it is the walk's own).
    seen: Mapping[str, object] | None = field(default=None, compare=False, repr=False)

    @property
    def status(self) -> Status:
        if self.errors:
            return "invalid"
        return "decided" if self.outcome is not None and self.pending is None else "incomplete"

    @property
    def answers(self) -> dict[str, AnswerValue]:
        """The answers given on the path (not those carried), keyed by question id."""
        return {step.question.id: step.value for step in self.path if step.was_asked}

    @property
    def asked(self) -> tuple[Step, ...]:
        """The steps of the path that were asked: not those carried, nor those the settings answered."""
        return tuple(step for step in self.path if step.was_asked)

    def offered(self, tree: Tree, question: Question) -> tuple[Option, ...]:
        """The options ``question`` offers at this point: those whose ``if`` holds (or have none)."""
        if not any(o.condition is not None for o in question.options):
            return question.options
        seen = self.context(tree)
        return tuple(o for o in question.options if o.condition is None or evaluate(o.condition, seen))

    def context(self, tree: Tree) -> Mapping[str, object]:
        """What a condition in ``tree`` sees: every answer on the path, and ``continued_from``."""
        trees = self.trees
        if self.seen is not None and tree is trees[-1] and trees.count(tree) == 1:
            return self.seen
        return _context(self.path, _came_from(self.trees, tree), tree)

    def actions(self) -> list[Action]:
        """The outcome's follow-up actions whose conditions hold for these answers."""
        if self.outcome is None:
            return []
        return self.actions_of(*self.outcome)

    def record_questions(self) -> list[str]:
        """The record questions the outcome asks for these answers (those whose ``if`` holds)."""
        if self.outcome is None:
            return []
        return _record_questions(self.outcome[1], self.context(self.outcome[0]))

    def actions_of(self, tree: Tree, outcome: Outcome) -> list[Action]:
        """``outcome``'s actions whose conditions hold, judged as ``tree`` sees the answers."""
        seen = self.context(tree)
        return [a for a in outcome.actions if a.condition is None or evaluate(a.condition, seen)]

    def details(self) -> dict[str, str]:
        """The record's detail fields, from the questions that carry a ``detail`` name.

        An answer carried from an earlier tree fills a detail only where the earlier one did not, so
        each fact is written once.
        """
        out: dict[str, str] = {}
        for step in self.path:
            name = step.question.detail
            if name and step.label and not (step.carried_from is not None and name in out):
                out[name] = step.label
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
        self._reachable: list[Tree] | None = None
        self._questions: dict[str, tuple[Tree, Question]] | None = None

    def starting_at(self, tree_id: str) -> Engine:
        """An engine for the same trees that starts in ``tree_id`` (raises as ``resolve`` does)."""
        return Engine(self.tree(tree_id), self._resolve)

    def tree(self, tree_id: str) -> Tree:
        tree = self._trees.get(tree_id)
        if tree is None:
            tree = self._trees[tree_id] = self._resolve(tree_id)
        return tree

    def reachable_trees(self) -> list[Tree]:
        """The start tree and every tree it can continue into, in first-reached order."""
        if self._reachable is None:
            order: list[Tree] = []
            queue = [self.start.id]
            while queue:
                tree = self.tree(queue.pop(0))
                if tree in order:
                    continue
                order.append(tree)
                queue.extend(tree.continues_into())
            self._reachable = order
        return self._reachable

    def find_question(self, question_id: str) -> tuple[Tree, Question] | None:
        if self._questions is None:
            index: dict[str, tuple[Tree, Question]] = {}
            for tree in self.reachable_trees():
                for qid, question in tree.questions.items():
                    index.setdefault(qid, (tree, question))
            self._questions = index
        return self._questions.get(question_id)

    def walk(self, answers: Mapping[str, object], *, blank_optional: bool = False) -> Walk:
        """Follow ``answers`` from the start; ``blank_optional`` treats unanswered optional questions as left blank.

        Every answer is checked, not just those on the path, so a script hears about every
        problem at once. An answer to a question no reachable tree has is an error, and so is an
        answer to a carried question that differs from the answer it carries.
        """
        path: list[Step] = []
        trees: list[Tree] = [self.start]
        conclusions: list[tuple[Tree, Outcome]] = []
        errors: list[AnswerError] = []
        by_place: dict[tuple[str, str], Step] = {}
        tree = self.start
        # The answers as conditions see them, kept up to date as the walk goes (see _enter).
        seen: dict[str, object] = {}
        prefix = _enter(seen, "", tree)
        node = self._start_of(tree, seen)
        pending: tuple[Tree, Question] | None = None
        outcome: tuple[Tree, Outcome] | None = None
        queue: list[str] = []  # record questions still to ask once an outcome is reached
        get = answers.get
        questions, tree_id = tree.questions, tree.id
        for _ in range(MAX_STEPS):
            question = questions[node]
            qid = question.id
            option: Option | None = None  # the option chosen, when the answer was looked up directly
            source = by_place.get(question.same_as) if question.same_as else None
            raw = get(qid)
            if source is not None:
                step = self._carry(tree, question, source, raw, errors)
                if step is None:
                    break
            elif question.preset is not None:
                if raw is not None and not _agrees(question, raw, question.preset):
                    errors.append(_overridden(question))
                    break
                step = Step(tree, question, question.preset, _label_of(question, question.preset), preset=True)
            else:
                if raw is None and question.optional and blank_optional:
                    raw = ""
                if raw is None:
                    pending = (tree, question)
                    break
                # The common case, a choice answered by one of its values, is looked up directly.
                if raw.__class__ is str and question.kind == "choice":
                    option = question.option(raw.strip())
                checked = (option.value, option.label) if option is not None else check_answer(question, raw)
                if isinstance(checked, str):
                    errors.append(AnswerError(qid, checked, question.ask))
                    break
                if question.gated:
                    refused = _not_offered(question, checked[0], seen)
                    if refused is not None:
                        errors.append(refused)
                        break
                step = Step(tree, question, *checked)
            value = step.value
            seen[qid] = value
            if prefix:
                seen[prefix + qid] = value
            by_place[(tree_id, qid)] = step
            path.append(step)
            if outcome is None:
                target = _first(option.routes, seen) if option is not None else self._route(question, value, seen)
                handed = target.tree
                if handed is None and target.target in tree.outcomes:
                    reached = tree.outcomes[target.target]
                    if reached.continues is None:
                        outcome = (tree, reached)
                        queue = _record_questions(reached, seen)
                    else:
                        conclusions.append((tree, reached))
                        handed = reached.continues
                if handed is not None:
                    came_from, tree = tree_id, self.tree(handed)
                    questions, tree_id = tree.questions, tree.id
                    trees.append(tree)
                    prefix = _enter(seen, came_from, tree)
                    node = self._start_of(tree, seen)
                    continue
                if outcome is None:
                    node = target.target
                    continue
            if not queue:
                break
            node = queue.pop(0)
        else:  # pragma: no cover - validation rules out loops; this is a last guard
            raise RuntimeError(f"the walk took more than {MAX_STEPS} steps")
        if outcome is None and pending is None and not errors:  # pragma: no cover
            raise RuntimeError("the walk stopped without an outcome")
        errors.extend(self._other_errors(answers, seen, by_place, {e.id for e in errors}))
        return Walk(
            tuple(path), tuple(trees), pending, outcome, tuple(errors), tuple(conclusions), MappingProxyType(seen)
        )

    def _carry(
        self, tree: Tree, question: Question, source: Step, raw: object, errors: list[AnswerError]
    ) -> Step | None:
        """The step that carries ``source``'s answer into ``question``; None (with an error) when
        ``raw`` answers ``question`` differently."""
        value = question.carried_value(source.value)
        label = _label_of(question, value)
        if raw is not None and not _agrees(question, raw, value):
            errors.append(_contradiction(question, source))
            return None
        return Step(tree, question, value, label, source)

    def _start_of(self, tree: Tree, seen: Mapping[str, object]) -> str:
        for route in tree.start_routes:
            if route.condition is None or evaluate(route.condition, seen):
                return route.target
        return tree.start

    def _route(self, question: Question, value: AnswerValue, seen: Mapping[str, object]) -> Route:
        routes = question.routes
        if question.kind == "choice" and isinstance(value, str):
            option = question.option(value)
            assert option is not None, "check_answer accepted a value the question does not offer"
            routes = option.routes
        return _first(routes, seen)

    def _other_errors(
        self,
        answers: Mapping[str, object],
        seen: Mapping[str, object],
        by_place: Mapping[tuple[str, str], Step],
        already: set[str],
    ) -> list[AnswerError]:
        """Errors in the answers the walk did not reach. ``seen`` holds the id of every question on
        the path; its other keys (``continued_from``, dotted names) are never question ids."""
        errors: list[AnswerError] = []
        for qid, raw in answers.items():
            if qid in already or raw is None:
                continue
            if qid in seen and qid != CONTINUED_FROM and "." not in qid:
                continue  # answered on the path
            found = self.find_question(qid)
            if found is None:
                names = ", ".join(t.id for t in self.reachable_trees())
                errors.append(AnswerError(qid, f"no question with this id in {names}"))
                continue
            question = found[1]
            result = check_answer(question, raw)
            if isinstance(result, str):
                errors.append(AnswerError(qid, result, question.ask))
                continue
            source = by_place.get(question.same_as) if question.same_as else None
            if source is not None and not _agrees(question, raw, question.carried_value(source.value)):
                errors.append(_contradiction(question, source))
        return errors


def _first(routes: tuple[Route, ...], seen: Mapping[str, object]) -> Route:
    """The first of ``routes`` whose condition holds (validation makes sure one does)."""
    for route in routes:
        if route.condition is None or evaluate(route.condition, seen):
            return route
    raise RuntimeError("no route applies")  # pragma: no cover - validation ensures a default route


def _label_of(question: Question, value: AnswerValue) -> str:
    if isinstance(value, list):
        return "; ".join(o.label for v in value if (o := question.option(v)) is not None)
    option = question.option(value) if question.options else None
    return option.label if option is not None else value


def _agrees(question: Question, raw: object, value: AnswerValue) -> bool:
    checked = check_answer(question, raw)
    return not isinstance(checked, str) and checked[0] == value


def _not_offered(question: Question, value: AnswerValue, seen: Mapping[str, object]) -> AnswerError | None:
    """An error when ``value`` picks an option whose ``if`` does not hold for the answers so far."""
    if not question.gated:
        return None
    chosen = [value] if isinstance(value, str) else value
    offered = [o for o in question.options if o.condition is None or evaluate(o.condition, seen)]
    if all(any(o.value == v for o in offered) for v in chosen):
        return None
    allowed = ", ".join(o.value for o in offered)
    return AnswerError(
        question.id, f"that option is not offered here, given the earlier answers; allowed: {allowed}", question.ask
    )


def _overridden(question: Question) -> AnswerError:
    return AnswerError(
        question.id,
        f"is answered by the settings file ('{question.setting}'), and this answer differs; "
        f"leave '{question.id}' out, or change the setting",
        question.ask,
    )


def _contradiction(question: Question, source: Step) -> AnswerError:
    giving = f"'{source.question.id}' in '{source.tree.id}'"
    return AnswerError(
        question.id,
        f"is the same question as {giving}, whose answer it carries, but is answered differently; "
        f"give the answer once, to '{source.question.id}', and leave '{question.id}' out",
        question.ask,
    )


def _enter(seen: dict[str, object], came_from: str, tree: Tree) -> str:
    """Update ``seen`` for a walk entering ``tree`` from ``came_from``; return the prefix of its ``TREE.ID`` names.

    ``seen`` is the answers as a condition in the tree sees them: by id and by ``TREE.ID``, plus
    ``continued_from`` and the ``settings.NAME`` values the settings file gave the tree. The
    settings replace those of the tree before, and ``continued_from`` names the tree just left;
    neither can be shadowed by an answer, since a question id never holds a dot and is never
    ``continued_from``.
    """
    for key in [k for k in seen if k.startswith("settings.")]:
        del seen[key]
    seen.update({f"settings.{k}": v for k, v in tree.settings.items()})
    seen[CONTINUED_FROM] = came_from
    return _prefix(tree)


def _prefix(tree: Tree) -> str:
    """How ``TREE.ID`` names of ``tree``'s questions begin; none for a tree whose id is ``settings``,
    as a condition reads ``settings.NAME`` as a setting."""
    prefix = f"{tree.id}."
    return "" if prefix == "settings." else prefix


def _context(path: tuple[Step, ...], came_from: str, tree: Tree) -> Mapping[str, object]:
    """The answers on ``path`` as a condition in ``tree`` sees them (the view the walk keeps as it goes)."""
    seen: dict[str, object] = {}
    _enter(seen, came_from, tree)
    for step in path:
        seen[step.question.id] = step.value
        prefix = _prefix(step.tree)
        if prefix:
            seen[prefix + step.question.id] = step.value
    return seen


def _record_questions(outcome: Outcome, seen: Mapping[str, object]) -> list[str]:
    """The record questions ``outcome`` asks for these answers: every one, less those whose ``if`` fails."""
    conditions = dict(outcome.record_if)
    return [qid for qid in outcome.record if qid not in conditions or evaluate(conditions[qid], seen)]


def _came_from(trees: tuple[Tree, ...], tree: Tree) -> str:
    """The id of the tree the decision was in just before it entered ``tree``; '' for the start."""
    for before, after in itertools.pairwise(trees):
        if after is tree:
            return before.id
    return ""
