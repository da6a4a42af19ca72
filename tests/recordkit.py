"""Realistic decision records for the integrity and records-command tests, made by the real engine
from the shipped trees (no hand-written record JSON)."""

from __future__ import annotations

import functools
from datetime import datetime, timedelta, timezone
from typing import Any

from sharewise.engine.walk import Engine
from sharewise.frontends.answers import Case
from sharewise.frontends.scripted import run_case
from sharewise.records.build import SignOff
from sharewise.trees.library import Library
from sharewise.trees.paths import shipped_trees_dir

START = datetime(2026, 11, 22, 9, 30, tzinfo=timezone.utc)

EMERGENCY_SHARE = {
    "urgency": "yes",
    "person": "child",
    "trigger": "request",
    "requester": "Sam Patel, duty social worker, Anytown Children's Services front door",
    "request": "Rang at 16:10 asking what Mia said today and whether she is safe to go home.",
    "role": "yes",
    "identity": "checked",
    "whereabouts": "no",
    "recipient": "Sam Patel, duty social worker, Anytown Children's Services front door",
    "identity-how": "Rang back through the council switchboard number on its website.",
    "emergency-purpose": "To let the duty social worker assess whether the children are safe at home tonight.",
    "what-shared": "Dates of the two missed appointments; what Mia said on 3 March, in her words:\n"
    '"Mum\'s boyfriend shouts and I hide under the bed."',
    "emergency-withheld": "Nothing held back.",
    "share-reasons": "Risk of serious harm tonight: Mia asked for help & said she is scared to go home.",
    "emergency-basis": "UK GDPR Article 6(1)(d) vital interests; to confirm with the DPO.",
    "consent-note": "Not asked: asking could increase the risk to Mia <and her brother>.",
    "emergency-person-told": "Mia knows her teacher is telling the social worker.",
    "emergency-carers-told": "Not told: her mother's boyfriend is the concern; social care will decide.",
}
REFUSE_REQUEST = {
    "urgency": "no",
    "person": "child",
    "framework": "yes",
    "trigger": "request",
    "requester": "A caller saying they are from the housing office, no name given",
    "request": "Rang on 20 November asking for the family's new address; gave no reason.",
    "objective": "no",
    "no-share-reasons": "The caller could not say what the information was for, and we could not verify who they were.",
    "requester-told": "Told the caller only that we cannot help with the request.",
}
SIGN_OFF = SignOff("Alex Jones", "Designated safeguarding lead", "Anytown Primary School")


@functools.cache
def _engine(tree: str) -> Engine:
    library = Library([shipped_trees_dir()])
    return Engine(library.get(tree), library.get)


def make_record(
    answers: dict[str, Any] | None = None,
    *,
    case_ref: str = "CASE-1",
    minutes: int = 0,
    tree: str = "ico-10-step",
    sign_off: SignOff = SIGN_OFF,
) -> dict[str, Any]:
    """A decided record, not yet written; ``minutes`` after :data:`START` (so file names sort)."""
    case = Case(answers=dict(EMERGENCY_SHARE if answers is None else answers), sign_off=sign_off, case_ref=case_ref)
    result = run_case(_engine(tree), case, now=lambda: START + timedelta(minutes=minutes), write=False)
    assert result.status == "decided", result.payload
    return result.payload
