"""Checks across one tree once all of it is read: conditions, route targets, record lists, reachability, loops.

What a condition or route names must exist in the tree (references to other trees are noted as
:class:`~sharewise.model.CrossRef` for :mod:`sharewise.trees.library` to check). The graph work
itself is in :mod:`sharewise.trees.reach`; this module turns what it finds into messages.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sharewise.engine.conditions import names_and_values
from sharewise.formats.safetext import cut
from sharewise.model import CONTINUED_FROM, ID_PATTERN, CrossRef, Outcome, Question, Route
from sharewise.trees.reach import find_loops, reached_from
from sharewise.trees.reader import SETTINGS, SETTINGS_PREFIX, TreeReader

__all__ = ["CrossChecks", "question_routes"]


def question_routes(question: Question) -> list[Route]:
    """Every route out of ``question``: its own, then its options' (each route once)."""
    routes = list(question.routes)
    seen = {id(r) for r in routes}
    for option in question.options:
        for route in option.routes:
            if id(route) not in seen:
                seen.add(id(route))
                routes.append(route)
    return routes


def _shown_loop(loop: list[str]) -> str:
    """``a -> b -> a``, with the middle of a long loop left out."""
    if len(loop) <= 13:
        return " -> ".join(loop)
    ring, nxt = loop[:-1], loop[-1]
    return " -> ".join([*ring[:6], f"... {len(ring) - 11} more ...", *ring[-5:], nxt])


class CrossChecks(TreeReader):
    """The checks that need every question and outcome of the tree read first."""

    # -- conditions ------------------------------------------------------------------------
    def _check_conditions(self, questions: Mapping[str, Question]) -> None:
        for parsed, place, container, key in self.conditions:
            for name, values in names_and_values(parsed):
                if name.startswith(SETTINGS_PREFIX):
                    self._setting_condition(name, values, place, container, key)
                elif name == CONTINUED_FROM or "." in name:
                    self._external(name, values, place, container, key)
                else:
                    self._question_condition(name, values, place, container, key, question=questions.get(name))

    def _question_condition(
        self,
        name: str,
        values: tuple[str, ...],
        place: str,
        container: Mapping[str, Any],
        key: str,
        *,
        question: Question | None,
    ) -> None:
        """A condition on a question of this tree: it must exist, and have the options named."""
        if question is None:
            if name not in self.node_ids:
                self.error(place, f"the condition names '{name}', which is not a question in this tree", container, key)
            return
        if question.options:
            for value in values:
                if question.option(value) is None:
                    allowed = ", ".join(o.value for o in question.options)
                    self.error(place, f"'{name}' has no option '{value}' (its options: {allowed})", container, key)

    def _setting_condition(
        self, name: str, values: tuple[str, ...], place: str, container: Mapping[str, Any], key: str
    ) -> None:
        """A condition on a setting, such as ``settings.public_authority == 'yes'``."""
        setting = name[len(SETTINGS_PREFIX) :]
        allowed = SETTINGS.get(setting)
        if allowed is None:
            self.error(
                place, f"no setting called '{setting}'; a condition can name: {', '.join(SETTINGS)}", container, key
            )
            return
        for value in values:
            if value not in allowed:
                self.error(place, f"'{name}' is {' or '.join(allowed)}, never '{value}'", container, key)
        given = self.options.placeholders.get(setting)
        if given is not None:
            self.settings[setting] = given
            self.filled = True

    def _external(self, name: str, values: tuple[str, ...], place: str, container: Mapping[str, Any], key: str) -> None:
        """Note a condition's reference to another tree, for the library to check."""
        self._origin(place, container, key)
        line = self.lines.of(container, key)
        if name == CONTINUED_FROM:
            for value in values:
                self.refs.append(CrossRef("from", value, None, (), place, line))
            return
        tree_id, _, qid = name.partition(".")
        self.refs.append(CrossRef("answer", tree_id, qid, values, place, line))

    # -- routes and record lists -----------------------------------------------------------
    def _check_routes(
        self,
        questions: Mapping[str, Question],
        outcomes: Mapping[str, Outcome],
        raw_nodes: Mapping[str, Any],
        raw_outcomes: Mapping[str, Any],
    ) -> None:
        for question in questions.values():
            for route in question_routes(question):
                self._check_route(route, questions, outcomes, raw_nodes, raw_outcomes)
        for outcome in outcomes.values():
            self._check_record_list(outcome, questions, raw_nodes, raw_outcomes)
        asked_by_outcomes = {qid for o in outcomes.values() for qid in o.record}
        for question in questions.values():
            if question.is_record_question and question.id not in asked_by_outcomes:
                self.error(
                    f"nodes.{question.id}",
                    "this question has no 'next' and no outcome lists it under 'record', so it would never be asked",
                    raw_nodes,
                    question.id,
                )

    def _check_route(
        self,
        route: Route,
        questions: Mapping[str, Question],
        outcomes: Mapping[str, Outcome],
        raw_nodes: Mapping[str, Any],
        raw_outcomes: Mapping[str, Any],
    ) -> None:
        """One route's target: another tree, or a question or outcome of this one."""
        target = route.target
        if route.tree is not None:
            if not ID_PATTERN.match(route.tree):
                self._route_error(route, f"'{target}' does not name a tree: write 'tree:' then the tree id")
            return
        if target in raw_outcomes or target in outcomes:
            return
        if target in raw_nodes:
            if target in questions and questions[target].is_record_question:
                self._route_error(route, f"'{target}' has no 'next'; a route cannot lead to a record question")
            return
        if target in self.retired:
            file, line = self.retired[target]
            where = f"{file}:{line}" if line else file
            self._route_error(route, f"'{target}' is retired (at {where}); point this route somewhere else")
            return
        if self._targets is None:
            self._targets = [*raw_nodes, *raw_outcomes]
        known = self.hint(target, self._targets)
        tip = f" (did you mean '{known}'?)" if known else ""
        # The reachability check then follows the route as it was surely meant, so one
        # typo gives one error; with no likely target it says nothing of what it cuts off.
        self.meant[id(route)] = known
        self._route_error(route, f"no question or outcome called '{cut(target, 80)}'{tip}")

    def _check_record_list(
        self,
        outcome: Outcome,
        questions: Mapping[str, Question],
        raw_nodes: Mapping[str, Any],
        raw_outcomes: Mapping[str, Any],
    ) -> None:
        """The questions an outcome asks for the record must be record questions of this tree."""
        for index, qid in enumerate(outcome.record):
            place = f"outcomes.{outcome.id}.record[{index}]"
            container = raw_outcomes.get(outcome.id)
            if qid not in raw_nodes:
                retired = self.retired.get(qid)
                why = f" ('{qid}' is retired at {retired[0]}:{retired[1]})" if retired else ""
                self.error(place, f"no question called '{qid}'{why}", container, "record")
            elif qid in questions and not questions[qid].is_record_question:
                self.error(
                    place,
                    f"'{qid}' has a 'next'; list only record questions (no 'next') under 'record'",
                    container,
                    "record",
                )

    # -- reachability and loops ------------------------------------------------------------
    def _check_graph(
        self,
        roots: list[str],
        questions: Mapping[str, Question],
        outcomes: Mapping[str, Outcome],
        raw_nodes: Mapping[str, Any],
        raw_outcomes: Mapping[str, Any],
    ) -> None:
        meant = self.meant
        edges: dict[str, list[str]] = {
            qid: [meant.get(id(r)) or r.target for r in question_routes(q) if r.tree is None]
            for qid, q in questions.items()
        }
        start = roots[0]
        reached = reached_from(roots, edges, {oid: o.record for oid, o in outcomes.items()})
        # After a route to nowhere, what it cuts off is found once it is mended: no follow-on errors.
        lost = any(target is None for target in meant.values())
        for node_id in raw_nodes if not lost else ():
            if node_id not in reached and node_id in questions:
                self.error(
                    f"nodes.{node_id}", f"no path from the start ('{start}') reaches this question", raw_nodes, node_id
                )
        for outcome_id in raw_outcomes if not lost else ():
            if outcome_id not in reached and outcome_id in outcomes:
                self.error(
                    f"outcomes.{outcome_id}",
                    f"no path from the start ('{start}') reaches this outcome",
                    raw_outcomes,
                    outcome_id,
                )
        for loop in find_loops(start, edges):
            nxt = loop[-1]
            self.error(f"nodes.{nxt}", f"the routes form a loop: {_shown_loop(loop)}", raw_nodes, nxt)
