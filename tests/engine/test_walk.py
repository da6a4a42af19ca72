"""The pure engine: paths, continuation, answer checks, conditional routes and actions."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from sharewise.engine.walk import Engine
from sharewise.errors import TreeInvalid
from sharewise.trees.library import Library
from tests.helpers import SIMPLE_BODY, WriteTree


def engine_for(path: Path, tree_id: str | None = None) -> Engine:
    library = Library([path.parent])
    return Engine(library.get(tree_id or str(path)), library.get)


def test_walk_reports_the_next_question_then_the_outcome(write_tree: WriteTree) -> None:
    engine = engine_for(write_tree())
    walk = engine.walk({})
    assert walk.status == "incomplete"
    assert walk.pending is not None and walk.pending[1].id == "purpose"
    walk = engine.walk({"purpose": "yes"})
    assert walk.pending is not None and walk.pending[1].id == "reasons"
    walk = engine.walk({"purpose": "yes", "reasons": "  to protect the child  "})
    assert walk.status == "decided"
    assert walk.outcome is not None and walk.outcome[1].id == "share"
    assert [(s.question.id, s.value, s.label) for s in walk.path] == [
        ("purpose", "yes", "Yes"),
        ("reasons", "to protect the child", "to protect the child"),
    ]
    assert walk.details() == {"reasons": "to protect the child"}


def test_record_questions_are_asked_after_the_outcome(write_tree: WriteTree) -> None:
    engine = engine_for(write_tree())
    walk = engine.walk({"purpose": "no"})
    assert walk.status == "incomplete"
    assert walk.outcome is not None and walk.outcome[1].decision == "do-not-share"
    assert walk.pending is not None and walk.pending[1].id == "why-not"
    walk = engine.walk({"purpose": "no", "why-not": "no reason was given to me"})
    assert walk.status == "decided"


def test_answers_off_the_path_are_ignored_but_still_checked(write_tree: WriteTree) -> None:
    engine = engine_for(write_tree())
    walk = engine.walk({"purpose": "not-sure", "reasons": "long enough reason"})
    assert walk.status == "decided"
    assert [s.question.id for s in walk.path] == ["purpose"]
    walk = engine.walk({"purpose": "not-sure", "reasons": "short"})
    assert walk.status == "invalid"
    assert [(e.id, e.message) for e in walk.errors] == [("reasons", "needs at least 10 characters (this answer has 5)")]


def test_every_invalid_answer_is_listed(write_tree: WriteTree) -> None:
    engine = engine_for(write_tree())
    walk = engine.walk({"purpose": "perhaps", "reasons": "", "why-not": 3, "typo": "x"})
    messages = {e.id: e.message for e in walk.errors}
    assert messages == {
        "purpose": "the answer given is not one of its options; allowed: yes, no, not-sure",
        "reasons": "an answer is required",
        "why-not": "needs at least 10 characters (this answer has 1)",
        "typo": "no question with this id in t",
    }
    assert walk.errors[0].question == "Is there a clear purpose?"


def test_names_conditions_use_are_not_answers(write_tree: WriteTree) -> None:
    """The walk keeps ``continued_from``, ``TREE.ID`` and ``settings.NAME`` beside the answers for its
    conditions; given as answers, they are unknown questions, not answers on the path."""
    engine = engine_for(write_tree())
    walk = engine.walk(
        {"purpose": "yes", "continued_from": "t", "t.purpose": "yes", "settings.public_authority": "yes"}
    )
    assert {e.id: e.message for e in walk.errors} == dict.fromkeys(
        ("continued_from", "t.purpose", "settings.public_authority"), "no question with this id in t"
    )


def test_text_answers_are_never_echoed_in_errors(write_tree: WriteTree) -> None:
    engine = engine_for(write_tree())
    walk = engine.walk({"purpose": "yes", "reasons": "Jane Doe"})
    assert walk.status == "invalid"
    assert "Jane" not in str(walk.errors[0])


KINDS_BODY = """\
nodes:
  who:
    ask: Who will receive it?
    help: h
    source: src a
    kind: multi
    options: [police, school, health]
    next:
      - if: "'police' in who"
        to: when
      - to: plain
  when:
    ask: When was it requested?
    help: h
    source: src b
    kind: date
    next: police-share
  plain:
    ask: Anything else?
    help: h
    source: src c
    kind: text
    optional: true
    next: other-share
outcomes:
  police-share:
    decision: share
    title: Share with police
    summary: s
    actions:
      - Always.
      - text: Tell the school too.
        if: "'school' in who"
      - text: Police only.
        if: "who == 'nobody'"
  other-share:
    decision: share
    title: Share
    summary: s
"""


def test_multi_date_optional_and_conditional_routes_and_actions(write_tree: WriteTree) -> None:
    engine = engine_for(write_tree(KINDS_BODY.replace("who == 'nobody'", "'health' in who")))
    walk = engine.walk({"who": "police; school", "when": "2026-11-01"})
    assert walk.status == "decided"
    assert walk.path[0].value == ["police", "school"]
    assert walk.path[0].label == "Police; School"
    assert [a.text for a in walk.actions()] == ["Always.", "Tell the school too."]
    walk = engine.walk({"who": ["health"]})
    assert walk.pending is not None and walk.pending[1].id == "plain"
    walk = engine.walk({"who": ["health"]}, blank_optional=True)
    assert walk.status == "decided" and walk.outcome is not None and walk.outcome[1].id == "other-share"
    bad = engine.walk({"who": ["police", "army"], "when": "01/11/2026"})
    assert {e.id: e.message for e in bad.errors} == {
        "who": "value 2 of 2 given is not an option; allowed: police, school, health",
        "when": "the answer given is not a date; write it as YYYY-MM-DD, for example 2026-11-30",
    }
    bad = engine.walk({"who": ["police"], "when": "01/11/2026"})
    assert {e.id: e.message for e in bad.errors} == {
        "when": "the answer given is not a date; write it as YYYY-MM-DD, for example 2026-11-30"
    }


def test_continuing_into_another_tree_gives_one_path(write_tree: WriteTree) -> None:
    second = (
        SIMPLE_BODY.replace("purpose", "second-purpose")
        .replace("reasons", "second-reasons")
        .replace("why-not", "second-why-not")
    )
    write_tree(second, id="second")
    first = write_tree(
        SIMPLE_BODY.replace(
            "    next: share", "    next:\n      - if: purpose == 'yes'\n        to: tree:second\n      - to: share"
        ),
        id="first",
    )
    engine = engine_for(first, "first")
    answers = {
        "purpose": "yes",
        "reasons": "first reasons given",
        "second-purpose": "yes",
        "second-reasons": "because it is needed",
    }
    walk = engine.walk(answers)
    assert walk.status == "decided"
    assert [t.id for t in walk.trees] == ["first", "second"]
    assert [(s.tree.id, s.question.id) for s in walk.path] == [
        ("first", "purpose"),
        ("first", "reasons"),
        ("second", "second-purpose"),
        ("second", "second-reasons"),
    ]
    assert walk.outcome is not None and walk.outcome[0].id == "second"


def test_an_invalid_tree_cannot_be_used(write_tree: WriteTree) -> None:
    path = write_tree(SIMPLE_BODY.replace("    next: share", "    nxt: share"))
    with pytest.raises(TreeInvalid) as caught:
        Library([path.parent]).get("t")
    assert any("nxt" in str(d) for d in caught.value.diagnostics)


@pytest.mark.parametrize("tree_id", ["when-to-share", "how-much-to-share", "ico-10-step"])
def test_the_context_a_walk_keeps_is_the_one_rebuilt_from_its_path(tree_id: str) -> None:
    # The outcome's actions are judged on the view the walk kept as it went (Walk.seen); it must be
    # exactly the view rebuilt from the path, at every stop: pending, invalid or decided.
    from sharewise.engine.walk import _came_from, _context

    library = Library.default()
    engine = Engine(library.get(tree_id), library.get)
    rng = random.Random(5)
    compared = crossed = 0
    for _ in range(150):
        answers: dict[str, object] = {}
        while True:
            walk = engine.walk(answers)
            assert walk.seen is not None
            for tree in {id(t): t for t in walk.trees}.values():
                rebuilt = _context(walk.path, _came_from(walk.trees, tree), tree)
                assert walk.context(tree) == rebuilt
                compared += 1
            if walk.pending is None:
                break
            tree, question = walk.pending
            offered = walk.offered(tree, question)
            if question.kind == "choice":  # mostly options that lead on, so walks cross into other trees
                onward = [o for o in offered if o.routes and o.routes[0].target not in tree.outcomes]
                answers[question.id] = rng.choice(onward if onward and rng.random() < 0.9 else offered).value
            elif question.kind == "multi":
                answers[question.id] = [o.value for o in offered if rng.random() < 0.5] or [offered[0].value]
            elif question.kind == "date":
                answers[question.id] = "2026-03-0" + str(rng.randint(1, 9))
            else:
                answers[question.id] = "A note long enough for any question's minimum length. " * 3
        crossed += len(walk.trees) > 1
        if rng.random() < 0.3 and walk.path:  # and a walk stopped by a wrong answer on its path
            answers[rng.choice(walk.path).question.id] = ["not", "an", "answer"]
            walk = engine.walk(answers)
            for tree in {id(t): t for t in walk.trees}.values():
                assert walk.context(tree) == _context(walk.path, _came_from(walk.trees, tree), tree)
    assert compared > 500
    assert crossed > 10 or len(engine.reachable_trees()) == 1
