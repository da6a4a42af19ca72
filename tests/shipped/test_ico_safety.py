"""Safety properties of the shipped `ico-10-step` tree, checked on every path through the engine.

The walk enumerates every choice answer the engine offers at each point (options whose ``if``
does not hold are never offered) and fills text answers. Options that lead to the same place and
that no condition looks at behave identically, so one stands for them all; that keeps the walk to
a few seconds without hiding any difference a condition or a route could make.

What must hold on every path (issue 11, and docs/trees/ico-10-step.md):
- a `share` outcome only after the recipient's role and identity are confirmed and nothing shared
  could lead a person who may cause harm to someone at risk;
- every emergency outcome starts with 999, then children's social care or adult safeguarding
  (whichever fits the person), then the designated safeguarding lead;
- no refusal or advice outcome records a `recipient`; refusals record who asked, what they asked
  for, the reasons and what the requester was told;
- adult-only actions never appear for a child, and adult paths never say "the child".
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from sharewise.engine.conditions import names_and_values
from sharewise.engine.walk import Engine, Walk
from sharewise.model import Question, Tree
from sharewise.trees.library import Library

TREE = "ico-10-step"
SAFE = {"role": "yes", "identity": "checked", "whereabouts": "no"}
EMERGENCY_OUTCOMES = {"share-emergency", "share-emergency-adult", "emergency-hold"}
ADULT_ONLY = re.compile(r"\badult\b|Mental Capacity|attorney|\bdeputy\b", re.IGNORECASE)
CHILD_WORDING = re.compile(r"\bthe child\b|\bchild's\b", re.IGNORECASE)


@dataclass(frozen=True)
class Ending:
    walk: Walk
    answers: dict[str, object]

    @property
    def outcome_id(self) -> str:
        assert self.walk.outcome is not None
        return self.walk.outcome[1].id

    @property
    def decision(self) -> str:
        assert self.walk.outcome is not None
        return self.walk.outcome[1].decision

    def value(self, question_id: str) -> object:
        return next((s.value for s in self.walk.path if s.question.id == question_id), None)

    def on_path(self) -> list[Question]:
        return [s.question for s in self.walk.path]


def _seen_values(tree: Tree) -> set[tuple[str, str]]:
    conditions = [r.condition for r in tree.routes() if r.condition]
    conditions += [a.condition for o in tree.outcomes.values() for a in o.actions if a.condition]
    conditions += [o.condition for q in tree.questions.values() for o in q.options if o.condition]
    return {(name, value) for c in conditions for name, values in names_and_values(c) for value in values}


def _fill(question: Question) -> str:
    return "A realistic answer written for the record. " + "x" * question.min_length


@functools.cache
def _endings() -> tuple[Ending, ...]:
    library = Library.default()
    tree = library.get(TREE)
    engine = Engine(tree, library.get)
    seen = _seen_values(tree)
    endings: list[Ending] = []
    stack: list[dict[str, object]] = [{}]
    while stack:
        answers = stack.pop()
        walk = engine.walk(answers)
        assert not walk.errors, (answers, walk.errors)
        if walk.pending is None:
            endings.append(Ending(walk, answers))
            continue
        at, question = walk.pending
        if question.kind != "choice":
            stack.append({**answers, question.id: _fill(question)})
            continue
        groups: dict[tuple[object, ...], str] = {}
        for option in walk.offered(at, question):
            key = (
                tuple((r.target, r.condition_text) for r in option.routes),
                option.value if (question.id, option.value) in seen else None,
            )
            groups.setdefault(key, option.value)
        stack.extend({**answers, question.id: value} for value in groups.values())
    return tuple(endings)


def test_the_walk_reaches_every_outcome() -> None:
    tree = Library.default().get(TREE)
    reached = {e.outcome_id for e in _endings()}
    assert reached == set(tree.outcomes), set(tree.outcomes) ^ reached
    assert len(_endings()) > 500  # the walk really branched


def test_every_share_passes_the_role_identity_and_whereabouts_checks() -> None:
    shares = [e for e in _endings() if e.decision == "share"]
    assert shares
    for ending in shares:
        for question_id, safe in SAFE.items():
            assert ending.value(question_id) == safe, (ending.outcome_id, question_id, ending.answers)


def test_an_unsafe_or_unsure_check_never_leads_to_a_share() -> None:
    unsafe = [e for e in _endings() if any(e.value(q) not in (None, safe) for q, safe in SAFE.items())]
    assert unsafe
    assert {e.decision for e in unsafe} <= {"do-not-share", "seek-advice"}


def test_a_lawful_basis_answer_never_skips_the_checks() -> None:
    with_basis = [e for e in _endings() if e.value("basis") is not None]
    # public task, legal obligation and vital interests lead alike, so one of them stands for all three
    assert {e.value("basis") for e in with_basis} & {"legal-obligation", "public-task", "vital-interests"}
    for ending in with_basis:
        ids = [q.id for q in ending.on_path()]
        assert ids.index("whereabouts") < ids.index("basis") and ids.index("identity") < ids.index("basis")


def test_every_emergency_outcome_starts_with_the_three_immediate_steps() -> None:
    emergencies = [e for e in _endings() if e.value("urgency") == "yes"]
    assert {e.outcome_id for e in emergencies} == EMERGENCY_OUTCOMES
    for ending in emergencies:
        first = [a.text for a in ending.walk.actions()[:3]]
        assert first[0].startswith("If anyone is in immediate danger, call 999"), first
        if ending.value("person") == "child":
            assert first[1].startswith("Contact children's social care now"), first
        else:
            assert first[1].startswith("Contact the adult safeguarding team now"), first
        assert first[2].startswith("Tell your designated safeguarding lead"), first


def test_the_emergency_record_keeps_what_was_shared_withheld_and_who_was_told() -> None:
    tree = Library.default().get(TREE)
    for outcome_id in ("share-emergency", "share-emergency-adult"):
        details = {tree.questions[q].detail for q in tree.outcomes[outcome_id].record}
        assert {"recipient", "what_shared", "what_withheld", "reasons", "person_told"} <= details
    carers = {tree.questions[q].detail for q in tree.outcomes["share-emergency"].record}
    assert "carers_told" in carers
    adult = {tree.questions[q].detail for q in tree.outcomes["share-emergency-adult"].record}
    assert "carers_told" not in adult


def test_no_refusal_or_advice_records_a_recipient_and_refusals_record_the_request() -> None:
    tree = Library.default().get(TREE)
    for outcome in tree.outcomes.values():
        details = {tree.questions[q].detail for q in outcome.record}
        if outcome.decision != "share":
            assert "recipient" not in details, outcome.id
            assert "requester_told" in details, outcome.id
        if outcome.decision == "do-not-share":
            assert "reasons" in details, outcome.id
            texts = " ".join(a.text for a in outcome.actions)
            assert "again if new information arrives" in texts, outcome.id
    for ending in _endings():
        if ending.decision != "share" and ending.value("trigger") == "request":
            assert {"requester", "request"} <= set(ending.walk.details()), ending.outcome_id


def test_telling_the_requester_about_a_refusal_or_advice_is_always_cautious() -> None:
    tree = Library.default().get(TREE)
    cautions = ("only", "say nothing", "do not confirm")
    told = 0
    for outcome in tree.outcomes.values():
        if outcome.decision == "share":
            continue
        for action in outcome.actions:
            text = action.text.lower()
            assert "invite them" not in text and "explain what they need" not in text, outcome.id
            if any(m in text for m in ("person who asked", "someone asked", "you reply")):
                told += 1
                assert any(c in text for c in cautions), (outcome.id, action.text)
    assert told >= 10


def test_adult_only_actions_never_appear_for_a_child() -> None:
    children = [e for e in _endings() if e.value("person") == "child"]
    assert children
    for ending in children:
        for action in ending.walk.actions():
            assert not ADULT_ONLY.search(action.text), (ending.outcome_id, action.text)
        assert "adult-wishes" not in {q.id for q in ending.on_path()}


def test_adult_paths_use_adult_wording() -> None:
    adults = [e for e in _endings() if e.value("person") == "adult"]
    assert adults
    for ending in adults:
        assert ending.walk.outcome is not None
        outcome = ending.walk.outcome[1]
        texts = [outcome.title, outcome.summary, *(a.text for a in ending.walk.actions())]
        for question in ending.on_path():
            texts.append(question.ask)
            texts.extend(o.label for o in question.options)
        for text in texts:
            assert not CHILD_WORDING.search(text), (ending.outcome_id, text)
        assert "tell-carers" not in {q.id for q in ending.on_path()}


def test_an_adult_who_may_lack_capacity_is_shared_about_only_after_a_best_interests_decision() -> None:
    for ending in _endings():
        if ending.decision == "share" and ending.value("adult-wishes") == "may-lack-capacity":
            assert ending.value("best-interests") == "decided"
            assert "capacity" in ending.walk.details()
        if ending.value("adult-wishes") in ("refused", "refused-serious", "not-asked", "not-sure"):
            assert ending.decision != "share", ending.answers


def test_a_public_authority_is_never_offered_legitimate_interests() -> None:
    for ending in _endings():
        if ending.value("org") == "yes":
            assert ending.value("basis") not in ("legitimate-interests", "recognised-li")
    offered = {e.value("basis") for e in _endings() if e.value("org") == "no"}
    assert {"legitimate-interests", "recognised-li"} <= offered


def test_a_request_for_another_purpose_goes_to_the_dpo_with_the_facts() -> None:
    others = [e for e in _endings() if e.value("objective") == "other"]
    assert others and {e.outcome_id for e in others} == {"dpo-purpose"}
    texts = " ".join(a.text for a in others[0].walk.actions())
    for fact in ("Article 6", "Schedule 1 paragraph 10", "Schedule 2 paragraph 2", "never the whole file"):
        assert fact in texts
    assert "not, in itself, a reason to share" in texts


def test_no_option_label_is_cut_off_in_an_80_column_terminal() -> None:
    tree = Library.default().get(TREE)
    long = [(q.id, o.value) for q in tree.questions.values() for o in q.options if len(o.label) > 72]
    assert long == []
