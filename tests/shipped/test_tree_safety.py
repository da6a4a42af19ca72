"""The safety rules the guidance puts around a share, checked on every path of the shipped trees.

Every path is walked through the engine (each offered option of every choice question; text and
date answers filled in), and each end is judged:

- no ``share`` outcome is reached without confirming the recipient's role and identity, and
  without answering that nothing could reveal where someone at risk is (or that it is protected);
- the first three actions of every emergency outcome are the immediate steps: 999, children's
  social care or adult safeguarding, and the safeguarding lead;
- a refusal never records a recipient, and always says to look at the decision again;
- actions meant for adults never appear in a child's case, nor a child's in an adult's.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from sharewise.engine.walk import Engine, Walk
from sharewise.trees.library import Library
from sharewise.trees.paths import shipped_trees_dir

# For each tree: the questions that establish the recipient's role and identity, the ones about
# whereabouts, and the answers to them that let a share go ahead.
CHECKS: dict[str, dict[str, dict[str, set[str]]]] = {
    "when-to-share": {
        "recipient": {"recipient-check": {"confirmed"}, "urgent-who": {"services", "requester-checked"}},
        "whereabouts": {"whereabouts": {"no", "can-remove", "needed-protected"}, "urgent-where": {"no", "protected"}},
    },
    "how-much-to-share": {
        "recipient": {"hm-check": {"confirmed"}},
        "whereabouts": {"hm-where": {"no", "can-remove", "needed-protected"}},
    },
}
EMERGENCY = {
    "when-to-share": {"share-urgently", "urgent-advice", "urgent-unconfirmed", "urgent-protect"},
    "how-much-to-share": {"hm-emergency", "hm-urgent-advice"},
}
ABOUT = {"when-to-share": "about", "how-much-to-share": "hm-about"}


def _paths(tree_id: str) -> Iterator[Walk]:
    """Every decided walk from ``tree_id``, one per combination of offered choice answers."""
    library = Library([shipped_trees_dir()])  # shipped trees only, no settings: every option is offered
    engine = Engine(library.get(tree_id), library.get)
    stack: list[dict[str, Any]] = [{}]
    while stack:
        answers = stack.pop()
        walk = engine.walk(answers, blank_optional=True)
        assert not walk.errors, walk.errors
        if walk.pending is None:
            yield walk
            continue
        tree, question = walk.pending
        if question.kind == "choice":
            stack.extend({**answers, question.id: o.value} for o in walk.offered(tree, question))
        elif question.kind == "multi":
            stack.append({**answers, question.id: [question.options[0].value]})
        elif question.kind == "date":
            stack.append({**answers, question.id: "2026-12-01"})
        else:
            stack.append({**answers, question.id: "A realistic answer for the record, long enough."})


@pytest.fixture(scope="module", params=sorted(CHECKS))
def walks(request: pytest.FixtureRequest) -> tuple[str, list[Walk]]:
    return request.param, list(_paths(request.param))


def test_no_share_is_reached_without_the_recipient_and_whereabouts_checks(walks: tuple[str, list[Walk]]) -> None:
    tree_id, found = walks
    shares = [w for w in found if w.outcome is not None and w.outcome[1].decision == "share"]
    assert shares
    for walk in shares:
        answers = {s.question.id: s.value for s in walk.path}
        for check, questions in CHECKS[tree_id].items():
            passed = [qid for qid, safe in questions.items() if answers.get(qid) in safe]
            assert passed, f"{check} not checked on the way to {walk.outcome[1].id}: {answers}"  # type: ignore[index]
        unsafe = {qid: answers[qid] for qs in CHECKS[tree_id].values() for qid, safe in qs.items()
                  if qid in answers and answers[qid] not in safe}  # fmt: skip
        assert not unsafe, f"a share after an unsafe answer {unsafe}"


def test_every_emergency_outcome_starts_with_the_immediate_steps(walks: tuple[str, list[Walk]]) -> None:
    tree_id, found = walks
    seen = set()
    for walk in found:
        assert walk.outcome is not None
        if walk.outcome[1].id not in EMERGENCY[tree_id]:
            continue
        seen.add(walk.outcome[1].id)
        first = [a.text.lower() for a in walk.actions()[:3]]
        about = {s.question.id: s.value for s in walk.path}[ABOUT[tree_id]]
        assert "999" in first[0], first
        assert ("children's social care" if about == "child" else "adult safeguarding") in first[1], first
        assert "safeguarding lead" in first[2], first
    assert seen == EMERGENCY[tree_id]


def test_refusals_record_who_asked_never_a_recipient_and_say_to_look_again(walks: tuple[str, list[Walk]]) -> None:
    _tree_id, found = walks
    for walk in found:
        assert walk.outcome is not None
        outcome = walk.outcome[1]
        if outcome.decision != "do-not-share":
            continue
        asked = {s.question.detail for s in walk.path}
        assert "recipient" not in asked, outcome.id
        assert "reasons" in asked, outcome.id
        texts = " ".join(a.text for a in walk.actions()).lower()
        assert "again" in texts, outcome.id
        trigger = next(s.value for s in walk.path if s.question.id in ("trigger", "hm-trigger"))
        if trigger == "request":
            assert {"requester", "requester_told"} <= asked, outcome.id


def test_adult_and_child_actions_never_cross(walks: tuple[str, list[Walk]]) -> None:
    tree_id, found = walks
    for walk in found:
        about = {s.question.id: s.value for s in walk.path}.get(ABOUT[tree_id])
        if about is None:  # ended before the question was asked
            continue
        texts = " ".join(a.text for a in walk.actions()).lower()
        if about == "child":
            assert "adult safeguarding team" not in texts and "the person at risk is an adult" not in texts
        else:
            assert "children's social care" not in texts or "child may be at risk" in texts


@pytest.mark.parametrize("tree_id", ["when-to-share", "how-much-to-share", "ico-10-step"])
def test_a_hurried_user_taking_every_first_answer_never_shares(tree_id: str) -> None:
    """The first option is the one a menu preselects: on every safety check it is the cautious one."""
    library = Library([shipped_trees_dir()])
    engine = Engine(library.get(tree_id), library.get)
    answers: dict[str, Any] = {}
    while (walk := engine.walk(answers, blank_optional=True)).pending is not None:
        tree, question = walk.pending
        if question.kind == "choice":
            answers[question.id] = walk.offered(tree, question)[0].value
        elif question.kind == "multi":
            answers[question.id] = [question.options[0].value]
        else:
            answers[question.id] = "A hurried user types this sentence as the reason for the record"
    assert walk.outcome is not None and walk.outcome[1].decision != "share", walk.outcome[1].id
