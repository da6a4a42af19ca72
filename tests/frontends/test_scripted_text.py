"""frontends.scripted_text and trees.review: what decide --no-input says in words, and which trees are overdue."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, timezone
from pathlib import Path

import pytest

from sharewise.engine.walk import Engine
from sharewise.frontends.answers import Case
from sharewise.frontends.scripted import ScriptedResult, run_case
from sharewise.frontends.scripted_text import overdue_notice, result_lines
from sharewise.model import Tree
from sharewise.records.build import SignOff
from sharewise.trees.load import load_tree_file
from sharewise.trees.review import overdue
from tests.helpers import WriteTree

SIGNED = SignOff("Sam Carter", "Designated safeguarding lead")


def _tree(write_tree: WriteTree) -> Tree:
    tree = load_tree_file(write_tree()).tree
    assert tree is not None
    return tree


def _run(tree: Tree, answers: dict[str, str], sign_off: SignOff = SIGNED) -> ScriptedResult:
    case = Case(answers=dict(answers), sign_off=sign_off)
    engine = Engine(tree, pytest.fail)  # the tree continues into no other
    return run_case(engine, case, now=lambda: datetime(2026, 5, 1, tzinfo=timezone.utc), write=False)


def test_a_decision_is_told_on_standard_output_with_its_actions_and_record(write_tree: WriteTree) -> None:
    result = dataclasses.replace(
        _run(_tree(write_tree), {"purpose": "no", "why-not": "Nobody could say what it was for."}),
        path=Path("/records/r.json"),
    )
    assert result_lines(result) == (
        [
            "Decision: do-not-share - Do not share",
            "  [ ] Tell the requester why.",
            "Record written to /records/r.json",
        ],
        False,
    )


def test_answers_that_cannot_be_accepted_are_named_with_their_question(write_tree: WriteTree) -> None:
    lines, on_stderr = result_lines(_run(_tree(write_tree), {"purpose": "maybe", "nope": "x"}))
    assert on_stderr
    assert lines[0] == "Some answers cannot be accepted:"
    assert lines[1].startswith("  purpose (Is there a clear purpose?): ")
    assert lines[2].startswith("  nope: ")  # an id no tree has: no question to name


def test_the_next_question_says_how_to_answer_it(write_tree: WriteTree) -> None:
    tree = _tree(write_tree)
    assert result_lines(_run(tree, {})) == (
        [
            "Incomplete: the next question is 'purpose': Is there a clear purpose?",
            "  answer with --answer purpose=VALUE, one of: yes, no, not-sure",
        ],
        True,
    )
    lines, _ = result_lines(_run(tree, {"purpose": "yes"}))
    assert lines == [
        "Incomplete: the next question is 'reasons': Why are you sharing?",
        "  answer with --answer reasons=TEXT (text)",
    ]
    lines, _ = result_lines(_run(tree, {"purpose": "not-sure"}, SignOff()))
    assert lines == [
        "Incomplete: the next question is 'sign_off.name': Your name",
        "  give --signed-by NAME and --role ROLE",
    ]


def test_only_trees_past_their_review_date_are_overdue(write_tree: WriteTree) -> None:
    tree = _tree(write_tree)  # next review 2099-01-01
    old = dataclasses.replace(tree, id="old", next_review=date(2026, 1, 2))
    assert overdue([tree, old], date(2026, 1, 2)) == []  # due that day: not yet overdue
    assert overdue([tree, old], date(2026, 1, 3)) == [old]
    assert overdue_notice(old) == "sharewise: notice: the 'old' tree was due for review on 2026-01-02; tell its owner"
