"""What changed between two versions of a tree, for policy sign-off.

``sharewise trees diff OLD NEW`` compares the trees as loaded (an overlay is compared as merged),
so it shows what a practitioner would meet: questions added, removed or reworded, options and
routes changed, outcomes added, removed or changed (a changed decision first among them), actions
added or removed, and the sources and dates that changed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from sharewise.model import Outcome, Question, Route, Tree

__all__ = ["SECTIONS", "Change", "diff_trees", "render_changes"]

SECTIONS = (
    ("tree", "The tree"),
    ("questions", "Questions"),
    ("options", "Options"),
    ("routes", "Routes"),
    ("outcomes", "Outcomes"),
    ("sources", "Sources"),
)


@dataclass(frozen=True)
class Change:
    """One difference: ``kind`` is ``added``, ``removed`` or ``changed``; ``what`` names the part."""

    section: str
    kind: str
    id: str
    what: str
    old: str | None = None
    new: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def routes_text(routes: Iterable[Route]) -> str:
    """Routes in one line: ``target``, or ``if C: a; otherwise: b``."""
    parts = []
    for route in routes:
        target = route.target
        parts.append(f"if {route.condition_text}: {target}" if route.condition_text else target)
    if len(parts) > 1:
        parts[-1] = f"otherwise: {parts[-1]}"
    return "; ".join(parts) or "(none)"


def _changed(section: str, ident: str, what: str, old: str | None, new: str | None) -> list[Change]:
    """A one-item list when ``old`` and ``new`` differ (blank and missing count as the same)."""
    return [Change(section, "changed", ident, what, old, new)] if (old or None) != (new or None) else []


def diff_trees(old: Tree, new: Tree) -> list[Change]:
    """Every difference from ``old`` to ``new``, in a stable order."""
    out: list[Change] = []
    for what in ("id", "title", "description", "version", "owner", "start"):
        out += _changed("tree", "", what, str(getattr(old, what)), str(getattr(new, what)))
    for what in ("reviewed", "next_review"):
        out += _changed("tree", "", what, getattr(old, what).isoformat(), getattr(new, what).isoformat())
    _questions(out, old, new)
    _outcomes(out, old, new)
    for ref in old.sources:
        if ref not in new.sources:
            out.append(Change("sources", "removed", ref, "source", old.sources[ref].title, None))
    for ref, source in new.sources.items():
        before = old.sources.get(ref)
        if before is None:
            out.append(Change("sources", "added", ref, "source", None, source.title))
            continue
        out += _changed("sources", ref, "title", before.title, source.title)
        out += _changed("sources", ref, "url", before.url, source.url)
    return out


def _questions(out: list[Change], old: Tree, new: Tree) -> None:
    for qid, question in old.questions.items():
        if qid not in new.questions:
            out.append(Change("questions", "removed", qid, "question", question.ask, None))
    for qid, question in new.questions.items():
        before = old.questions.get(qid)
        if before is None:
            out.append(Change("questions", "added", qid, "question", None, question.ask))
            out.append(Change("routes", "added", qid, "routes", None, _question_routes(question)))
            continue
        out += _changed("questions", qid, "ask", before.ask, question.ask)
        out += _changed("questions", qid, "help", before.help, question.help)
        out += _changed("questions", qid, "kind", before.kind, question.kind)
        out += _changed("questions", qid, "section", before.section, question.section)
        out += _changed("questions", qid, "source", str(before.source), str(question.source))
        out += _changed("questions", qid, "detail", before.detail, question.detail)
        _options(out, before, question)
        out += _changed("routes", qid, "next", routes_text(before.routes), routes_text(question.routes))


def _question_routes(question: Question) -> str:
    if question.options and question.kind == "choice":
        return "; ".join(f"{o.value} -> {routes_text(o.routes)}" for o in question.options)
    return routes_text(question.routes)


def _options(out: list[Change], before: Question, after: Question) -> None:
    qid = after.id
    for option in before.options:
        if after.option(option.value) is None:
            out.append(Change("options", "removed", f"{qid}.{option.value}", "option", option.label, None))
    for option in after.options:
        old = before.option(option.value)
        ident = f"{qid}.{option.value}"
        if old is None:
            out.append(Change("options", "added", ident, "option", None, option.label))
            if option.routes:
                out.append(Change("routes", "added", ident, "route", None, routes_text(option.routes)))
            continue
        out += _changed("options", ident, "label", old.label, option.label)
        out += _changed("options", ident, "help", old.help, option.help)
        if after.kind == "choice" or before.kind == "choice":
            out += _changed("routes", ident, "route", routes_text(old.routes), routes_text(option.routes))


def _outcomes(out: list[Change], old: Tree, new: Tree) -> None:
    for oid, outcome in old.outcomes.items():
        if oid not in new.outcomes:
            out.append(Change("outcomes", "removed", oid, "outcome", _headline(outcome), None))
    for oid, outcome in new.outcomes.items():
        before = old.outcomes.get(oid)
        if before is None:
            out.append(Change("outcomes", "added", oid, "outcome", None, _headline(outcome)))
            continue
        out += _changed("outcomes", oid, "decision", before.decision, outcome.decision)
        out += _changed("outcomes", oid, "title", before.title, outcome.title)
        out += _changed("outcomes", oid, "summary", before.summary, outcome.summary)
        out += _changed("outcomes", oid, "source", str(before.source or ""), str(outcome.source or ""))
        old_actions = [_action(a.text, a.condition_text) for a in before.actions]
        new_actions = [_action(a.text, a.condition_text) for a in outcome.actions]
        out.extend(Change("outcomes", "removed", oid, "action", a, None) for a in old_actions if a not in new_actions)
        out.extend(Change("outcomes", "added", oid, "action", None, a) for a in new_actions if a not in old_actions)
        out += _changed("outcomes", oid, "record", ", ".join(before.record), ", ".join(outcome.record))


def _headline(outcome: Outcome) -> str:
    return f"{outcome.decision}: {outcome.title}"


def _action(text: str, condition: str | None) -> str:
    return f"{text} (if {condition})" if condition else text


def render_changes(old: Tree, new: Tree, changes: list[Change]) -> list[str]:
    """The changes as text for a reviewer, grouped by section; decisions that changed come first."""
    lines = [f"Comparing {old.id} {old.version} ({old.file}) with {new.id} {new.version} ({new.file})"]
    if not changes:
        lines.append("No differences.")
        return lines
    decisions = [c for c in changes if c.section == "outcomes" and c.what == "decision"]
    if decisions:
        lines.append("")
        lines.append("DECISIONS CHANGED")
        lines.extend(f"  ! {c.id}: {c.old} -> {c.new}" for c in decisions)
    for section, heading in SECTIONS:
        items = [c for c in changes if c.section == section]
        if not items:
            continue
        lines.append("")
        lines.append(f"{heading}")
        for change in items:
            lines.extend(_render(change))
    counts = {kind: sum(1 for c in changes if c.kind == kind) for kind in ("added", "removed", "changed")}
    lines.append("")
    lines.append(f"{counts['added']} added, {counts['removed']} removed, {counts['changed']} changed.")
    return lines


def _render(change: Change) -> list[str]:
    name = f"{change.id} " if change.id else ""
    if change.kind == "added":
        return [f"  + {name}{change.what}: {change.new}"]
    if change.kind == "removed":
        return [f"  - {name}{change.what}: {change.old}"]
    old, new = change.old or "(none)", change.new or "(none)"
    if len(old) + len(new) < 70 and "\n" not in old + new:
        return [f"  ~ {name}{change.what}: {old} -> {new}"]
    return [f"  ~ {name}{change.what}:", *_block("was:", old), *_block("now:", new)]


def _block(label: str, text: str) -> list[str]:
    lines = text.splitlines() or [""]
    return [f"      {label} {lines[0]}", *(f"           {line}" for line in lines[1:])]
