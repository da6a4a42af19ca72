"""Turning a decided walk into a decision record (a plain, JSON-ready dict).

The record is the evidence of a decision, share or not. Its shape is ``sharewise-record/1``,
described by ``schemas/record.schema.json`` (copied to ``docs/record.schema.json``). Building it is
pure: the caller passes the clock reading and the record id.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sharewise import __version__
from sharewise.engine.walk import Step, Walk
from sharewise.model import Tree

__all__ = ["RECORD_FORMAT", "SignOff", "build_record", "missing_sign_off"]

RECORD_FORMAT = "sharewise-record/1"


@dataclass(frozen=True, slots=True)
class SignOff:
    """Who takes responsibility for the decision."""

    name: str | None = None
    role: str | None = None
    organisation: str | None = None

    def merged(self, other: SignOff) -> SignOff:
        """This sign-off with any field ``other`` gives taking precedence."""
        return SignOff(
            other.name or self.name,
            other.role or self.role,
            other.organisation or self.organisation,
        )


SIGN_OFF_FIELDS = {
    "name": ("Your name", "The name of the person taking and signing off this decision."),
    "role": ("Your role", "Your job title or safeguarding role, for example designated safeguarding lead."),
}


def missing_sign_off(sign_off: SignOff) -> list[str]:
    """The required sign-off fields (``name``, ``role``) that are not filled in."""
    return [key for key in SIGN_OFF_FIELDS if not (getattr(sign_off, key) or "").strip()]


def build_record(
    walk: Walk,
    *,
    sign_off: SignOff,
    record_id: str,
    now: datetime,
    case_ref: str | None = None,
) -> dict[str, Any]:
    """The record for a decided ``walk``; ``now`` must be time-zone aware."""
    if walk.status != "decided" or walk.outcome is None:
        raise ValueError("only a decided walk has a record")
    if now.tzinfo is None:
        raise ValueError("the record time must carry a time zone")
    last, stamp = _LAST_STAMP[0]
    if now is not last:  # a batch's clock hands out one value a second: its text is made once
        stamp = now.isoformat(timespec="seconds")
        _LAST_STAMP[0] = (now, stamp)
    outcome_tree, outcome = walk.outcome
    record: dict[str, Any] = {
        "format": RECORD_FORMAT,
        "id": record_id,
        "created_at": stamp,
        "generator": {"name": "sharewise", "version": __version__},
    }
    if case_ref:
        record["case_ref"] = case_ref
    record["trees"] = [
        {
            "id": tree.id,
            "title": tree.title,
            "version": tree.version,
            "sha256": tree.sha256,
            "file": tree.file.name if tree.file else None,
            "files": _tree_files(tree),
        }
        for tree in _unique(walk.trees)
    ]
    record["path"] = [_step(step) for step in walk.path]
    record["outcome"] = {
        "tree": outcome_tree.id,
        "id": outcome.id,
        "decision": outcome.decision,
        "title": outcome.title,
        "summary": outcome.summary,
        "actions": [action.text for action in walk.actions()],
    }
    if walk.conclusions:
        record["conclusions"] = [
            {
                "tree": tree.id,
                "id": reached.id,
                "decision": reached.decision,
                "title": reached.title,
                "summary": reached.summary,
            }
            for tree, reached in (*walk.conclusions, walk.outcome)
        ]
    record["details"] = walk.details()
    record["sign_off"] = {
        "name": (sign_off.name or "").strip(),
        "role": (sign_off.role or "").strip(),
        "organisation": (sign_off.organisation or "").strip() or None,
        "signed_at": stamp,
    }
    return record


#: The last clock reading and its text. The reading is kept, so its identity is never another's.
_LAST_STAMP: list[tuple[datetime | None, str]] = [(None, "")]


def _step(step: Step) -> dict[str, Any]:
    out: dict[str, Any] = {
        "tree": step.tree.id,
        "id": step.question.id,
        "question": step.question.ask,
        "kind": step.question.kind,
        "value": step.value,
        "label": step.label,
    }
    if step.carried_from is not None:
        out["carried_from"] = {"tree": step.carried_from.tree.id, "id": step.carried_from.question.id}
    return out


def _tree_files(tree: Tree) -> list[dict[str, Any]]:
    """Every file that shaped ``tree``, base first then each overlay, with its digest, so an auditor
    can tell which local policy was in force; ``path`` is null for a tree shipped with sharewise."""
    return [
        {"name": f.name, "path": f.path, "sha256": f.sha256, "role": f.role, "tree": f.tree, "version": f.version}
        for f in tree.files
    ]


def _unique(trees: tuple[Tree, ...]) -> list[Tree]:
    """Each tree once, in first-used order (by identity: trees are large, immutable values)."""
    return list({id(tree): tree for tree in trees}.values())
