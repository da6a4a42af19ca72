"""Scripted decisions: one case, from answers, to a record or a precise account of what is missing.

This is the core behind ``sharewise decide --no-input``; batch checks reuse
:func:`describe_walk` and :func:`question_json` so scripts see one JSON vocabulary.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sharewise.engine.walk import Engine, Step, Walk
from sharewise.errors import EXIT_INCOMPLETE, EXIT_INVALID_ANSWER, EXIT_OK
from sharewise.formats.safetext import cut
from sharewise.frontends.answers import Case
from sharewise.model import Option, Question, Tree
from sharewise.records.build import SIGN_OFF_FIELDS, build_record, missing_sign_off

__all__ = ["ScriptedResult", "describe_walk", "question_json", "run_case", "sign_off_question_json"]


@dataclass
class ScriptedResult:
    """What a scripted run produced: the JSON payload, its exit code, and the record's path."""

    status: str
    exit_code: int
    payload: dict[str, Any]
    walk: Walk
    path: Path | None = None


def question_json(tree: Tree, question: Question, offered: tuple[Option, ...] | None = None) -> dict[str, Any]:
    """The documented description of a question, as scripts receive it; ``offered`` narrows the
    options to those the earlier answers allow (an option with ``if:``)."""
    out: dict[str, Any] = {
        "id": question.id,
        "tree": tree.id,
        "text": question.ask,
        "kind": question.kind,
        "help": question.help,
        "source": str(question.source),
        "section": question.section,
    }
    if question.options:
        shown = question.options if offered is None else offered
        out["options"] = [{"value": o.value, "label": o.label} for o in shown]
    if question.kind == "text":
        out["min_length"] = question.min_length
        out["multiline"] = question.multiline
    out["optional"] = question.optional
    return out


def _carried_json(step: Step) -> dict[str, Any]:
    """An answer the decision holds without asking: carried from an earlier tree, or from settings."""
    out: dict[str, Any] = {"id": step.question.id, "tree": step.tree.id, "value": step.value, "label": step.label}
    if step.carried_from is not None:
        out["from"] = {"tree": step.carried_from.tree.id, "id": step.carried_from.question.id}
    else:
        out["from"] = {"setting": step.question.setting}
    return out


def sign_off_question_json(field: str) -> dict[str, Any]:
    text, help_text = SIGN_OFF_FIELDS[field]
    return {
        "id": f"sign_off.{field}",
        "tree": None,
        "text": text,
        "kind": "text",
        "help": help_text + " Give it with --signed-by/--role or in the answers file under sign_off.",
        "source": None,
        "section": "Sign-off",
        "optional": False,
    }


def describe_walk(walk: Walk, missing: list[str]) -> dict[str, Any]:
    """The JSON for a walk that did not end in a record: invalid, or incomplete and why."""
    if walk.status == "invalid":
        return {
            "status": "invalid",
            "errors": [
                # An id no tree has may be misplaced data (a shifted CSV column): it is shown cut short.
                {"id": e.id if e.question is not None else cut(e.id, 40), "question": e.question, "message": e.message}
                for e in walk.errors
            ],
        }
    if walk.pending is not None:
        nxt = question_json(*walk.pending, offered=walk.offered(*walk.pending))
    else:
        nxt = sign_off_question_json(missing[0])
    payload: dict[str, Any] = {"status": "incomplete", "next": nxt, "answered": len(walk.asked)}
    carried = [s for s in walk.path if not s.was_asked]
    if carried:
        payload["carried"] = [_carried_json(s) for s in carried]
    if walk.outcome is not None:
        tree, outcome = walk.outcome
        payload["outcome"] = {"tree": tree.id, "id": outcome.id, "decision": outcome.decision, "title": outcome.title}
    if missing:
        payload["missing_sign_off"] = [f"sign_off.{m}" for m in missing]
    return payload


def run_case(
    engine: Engine,
    case: Case,
    *,
    now: Callable[[], datetime],
    out: Path | None = None,
    folder: Path | None = None,
    write: bool = True,
) -> ScriptedResult:
    """Walk ``case`` to its end; when decided and signed off, build and write the record."""
    walk = engine.walk(case.answers, blank_optional=True)
    missing = missing_sign_off(case.sign_off)
    if walk.status == "invalid":
        return ScriptedResult("invalid", EXIT_INVALID_ANSWER, describe_walk(walk, missing), walk)
    if walk.status == "incomplete" or missing:
        return ScriptedResult("incomplete", EXIT_INCOMPLETE, describe_walk(walk, missing), walk)
    record = build_record(walk, sign_off=case.sign_off, record_id=str(uuid.uuid4()), now=now(), case_ref=case.case_ref)
    if write:
        from sharewise.records.store import write_record  # only a decision that writes needs the store

        path = write_record(record, out=out, folder=folder)
    else:
        path = None
    return ScriptedResult("decided", EXIT_OK, record, walk, path)
