"""Coverage of a tree by its tests: the questions, options and outcomes of the tree under test no case reached.

Coverage is judged per tree. A record question counts as reached when an outcome that asks it is
reached; an option the settings rule out, and a question the settings answer and route around,
are not counted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sharewise.engine.conditions import evaluate, names_and_values
from sharewise.formats.yamlio import LineMap
from sharewise.model import Option, Question, Tree

__all__ = ["Coverage", "coverage_of", "places_of"]


@dataclass
class Coverage:
    """What no case reached in the tree under test, each as (label, "FILE:LINE")."""

    questions: tuple[int, int]
    options: tuple[int, int]
    outcomes: tuple[int, int]
    missed: list[tuple[str, str]]

    @property
    def complete(self) -> bool:
        return not self.missed


def places_of(data: object, lines: LineMap) -> dict[str, str]:
    """ "FILE:LINE" of each question, option and outcome of a tree's (possibly merged) data."""
    out: dict[str, str] = {}

    def at(mapping: object, key: str) -> str:
        file, line = lines.where(mapping, key)
        return f"{file}:{line}" if line else file

    if not isinstance(data, dict):
        return out
    nodes, outcomes = data.get("nodes"), data.get("outcomes")
    if isinstance(nodes, dict):
        for qid, body in nodes.items():
            out[f"nodes.{qid}"] = at(nodes, qid)
            options = body.get("options") if isinstance(body, dict) else None
            if isinstance(options, dict):
                for value in options:
                    out[f"nodes.{qid}.options.{value}"] = at(options, value)
            elif isinstance(options, list):
                for value in options:
                    out[f"nodes.{qid}.options.{value}"] = at(body, "options")
    if isinstance(outcomes, dict):
        for oid in outcomes:
            out[f"outcomes.{oid}"] = at(outcomes, oid)
    return out


def _ruled_out(tree: Tree, question: Question, option: Option) -> bool:
    """True for an option the settings file makes impossible: not the value a setting gives, or
    offered only under a condition on the settings alone that does not hold for them."""
    if question.preset is not None:
        return option.value != question.preset
    if option.condition is None:
        return False
    names = [name for name, _ in names_and_values(option.condition)]
    if not names or not all(name.startswith("settings.") for name in names):
        return False
    seen = {f"settings.{k}": v for k, v in tree.settings.items()}
    return not evaluate(option.condition, seen)


def coverage_of(
    tree: Tree,
    reached_q: set[str],
    reached_o: set[tuple[str, str]],
    reached_out: set[str],
    where: Mapping[str, str],
) -> Coverage:
    missed: list[tuple[str, str]] = []
    n_options = 0
    n_q = 0
    for question in tree.questions.values():
        if question.preset is not None and question.id not in reached_q:
            continue  # the settings answer it, and route around it: nothing a case could reach
        n_q += 1
        if question.id not in reached_q:
            missed.append((f"question '{question.id}'", where.get(f"nodes.{question.id}", "")))
        for option in question.options:
            if _ruled_out(tree, question, option):
                continue
            n_options += 1
            if (question.id, option.value) not in reached_o:
                missed.append(
                    (
                        f"option '{question.id}: {option.value}'",
                        where.get(f"nodes.{question.id}.options.{option.value}", ""),
                    )
                )
    for outcome_id in tree.outcomes:
        if outcome_id not in reached_out:
            missed.append((f"outcome '{outcome_id}'", where.get(f"outcomes.{outcome_id}", "")))
    got_q = len(reached_q & set(tree.questions))
    got_o = len({o for o in reached_o if tree.questions.get(o[0]) and tree.questions[o[0]].option(o[1])})
    got_out = len(reached_out)
    return Coverage((got_q, n_q), (got_o, n_options), (got_out, len(tree.outcomes)), missed)
