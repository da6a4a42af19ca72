"""Checking the cases of a batch one at a time: the engine for each tree, the walk, the record to write.

Engines are built once per tree id and reused, since trees never change during a run. Each case
ends in one of three states, the same as ``decide --json``: ``decided``, ``incomplete`` (the next
question, from :func:`sharewise.frontends.scripted.describe_walk`) or ``invalid``; :class:`Summary`
counts them for the summary table and the exit code.
"""

from __future__ import annotations

import os
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sharewise.engine.walk import Engine, Walk
from sharewise.errors import (
    EXIT_INCOMPLETE,
    EXIT_INVALID_ANSWER,
    EXIT_INVALID_TREE,
    EXIT_OK,
    SharewiseError,
    TreeInvalid,
)
from sharewise.frontends.answers import Case
from sharewise.frontends.casefiles import Entry
from sharewise.frontends.scripted import describe_walk
from sharewise.model import DECISIONS, ID_PATTERN
from sharewise.records.build import SignOff, build_record, missing_sign_off
from sharewise.trees.library import Library

__all__ = ["CASE_FAULTS", "MAX_CACHED_TREES", "Checker", "Clock", "Summary"]

#: Engines (and tree errors) kept per run; past this, further tree names are looked up each time.
MAX_CACHED_TREES = 1000


@dataclass
class Summary:
    """Counts for the summary table and the exit code."""

    total: int = 0
    decisions: dict[str, int] = field(default_factory=lambda: dict.fromkeys(DECISIONS, 0))
    incomplete: int = 0
    invalid: int = 0
    unreadable: int = 0
    tree_errors: int = 0
    records: int = 0
    unsigned: int = 0

    @property
    def decided(self) -> int:
        return sum(self.decisions.values())

    def add(self, other: Summary) -> None:
        """Count ``other``'s cases in this summary too (a batch checked in parts)."""
        for name in _COUNTS:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for decision, count in other.decisions.items():
            self.decisions[decision] = self.decisions.get(decision, 0) + count

    def exit_code(self) -> int:
        """5 when a case named an invalid tree, else 4 for any invalid case, else 3 for any incomplete."""
        if self.tree_errors:
            return EXIT_INVALID_TREE
        if self.invalid:
            return EXIT_INVALID_ANSWER
        if self.incomplete:
            return EXIT_INCOMPLETE
        return EXIT_OK


_COUNTS = ("total", "incomplete", "invalid", "unreadable", "tree_errors", "records", "unsigned")

#: Faults in checking one case (bugs sharewise should fix) that make that case invalid, never stop the batch.
CASE_FAULTS = (ValueError, TypeError, RecursionError, UnicodeError, AttributeError, KeyError)

#: A case's ``tree`` is a tree id (``model.ID_PATTERN``) of at most this many characters: it comes
#: from a file made elsewhere, and is looked up on the search path, never opened as a path.
MAX_CASE_TREE_ID = 64


def _is_tree_id(ref: str) -> bool:
    return len(ref) <= MAX_CASE_TREE_ID and ID_PATTERN.match(ref) is not None


def _error(message: str) -> list[dict[str, Any]]:
    return [{"id": None, "question": None, "message": message}]


class Checker:
    """Checks cases one at a time: finds (and caches) the engine, walks, builds the record.

    With ``records``, a decided case that has a sign-off also yields its record, to be written;
    ``sign_off`` fills any sign-off field a case leaves empty (the case's own sign-off wins).
    """

    def __init__(
        self,
        library: Library,
        *,
        default_tree: str | None,
        sign_off: SignOff,
        records: bool,
        now: Callable[[], datetime],
        label: str = "line",
        on_tree_error: Callable[[TreeInvalid], None] | None = None,
    ) -> None:
        self.library = library
        self.default_tree = default_tree
        self.sign_off = sign_off
        self.records = records
        self.now = now
        self.label = label
        self.summary = Summary()
        self._engines: dict[str, Engine | SharewiseError] = {}
        self._outcomes: dict[tuple[str, str], dict[str, Any]] = {}
        self.on_tree_error = on_tree_error  # told of each tree error

    def engine(self, ref: str) -> Engine:
        """The engine for tree ``ref`` (an id or a file); raises when the tree cannot be used."""
        found = self._engine(ref)
        if isinstance(found, SharewiseError):
            raise found
        return found

    def _engine(self, ref: str) -> Engine | SharewiseError:
        """The engine for ``ref``, or the error that stops its use; both are built once and kept."""
        cached = self._engines.get(ref)
        if cached is None:
            try:
                start = self.library.get(ref)
                cached = Engine(start, self.library.get)
                cached.reachable_trees()  # resolve the trees it continues into now, once
            except SharewiseError as exc:
                cached = exc
            if len(self._engines) < MAX_CACHED_TREES:
                self._engines[ref] = cached
        return cached

    def check(self, entry: Entry) -> tuple[dict[str, Any], dict[str, Any] | None]:
        """The JSON-ready result for one case and the record to write, if any; updates :attr:`summary`."""
        summary = self.summary
        summary.total += 1
        case = entry.case
        if case is None:
            summary.invalid += 1
            summary.unreadable += 1
            errors = _error(entry.error or "")
            return {"case_ref": None, self.label: entry.number, "status": "invalid", "errors": errors}, None
        out: dict[str, Any] = {"case_ref": case.case_ref, self.label: entry.number}
        engine = self._engine_for(case.tree or self.default_tree, out)
        if engine is None:
            return out, None
        walk = engine.walk(case.answers, blank_optional=True)
        out["status"] = status = walk.status
        out["tree"] = engine.start.id
        if status != "decided":
            self._not_decided(out, walk)
            return out, None
        self._decided(out, walk)
        if not self.records:
            return out, None
        return out, self._record(out, walk, case)

    def check_safely(self, entry: Entry) -> tuple[dict[str, Any], dict[str, Any] | None]:
        """:meth:`check`, with a fault in checking the case (see :data:`CASE_FAULTS`) made its result."""
        try:
            return self.check(entry)
        except CASE_FAULTS as exc:
            return self.failed(entry, exc), None

    def _engine_for(self, ref: str | None, out: dict[str, Any]) -> Engine | None:
        """The engine for the case's tree; None, with ``out`` saying why, when there is none to use."""
        engine = self._engines.get(ref) if ref is not None else None
        if isinstance(engine, Engine):  # a tree already in use: its id was checked the first time
            return engine
        if ref is None:
            self.summary.invalid += 1
            out["status"] = "invalid"
            out["errors"] = _error("no tree: give 'tree' in the case, or --tree for the whole batch")
            return None
        if ref != self.default_tree and not _is_tree_id(ref):
            # A cases file comes from elsewhere: it may name trees on the search path, never read files.
            self.summary.invalid += 1
            out["status"] = "invalid"
            out["errors"] = _error(
                "'tree' names a tree by its id (see 'sharewise trees list'); a tree file can be given "
                "only on the command line, with --tree"
            )
            return None
        engine = self._engines.get(ref)
        if not isinstance(engine, Engine):
            engine = self._engine(ref)
            if isinstance(engine, SharewiseError):
                self._tree_failed(out, ref, engine)
                return None
        return engine

    def _not_decided(self, out: dict[str, Any], walk: Walk) -> None:
        if walk.status == "invalid":
            self.summary.invalid += 1
        else:
            self.summary.incomplete += 1
        payload = describe_walk(walk, [])
        del payload["status"]
        out.update(payload)

    def _decided(self, out: dict[str, Any], walk: Walk) -> None:
        outcome_tree, outcome = walk.outcome  # type: ignore[misc]
        self.summary.decisions[outcome.decision] += 1
        key = (outcome_tree.id, outcome.id)
        shown = self._outcomes.get(key)
        if shown is None:
            shown = self._outcomes[key] = {
                "tree": outcome_tree.id,
                "id": outcome.id,
                "decision": outcome.decision,
                "title": outcome.title,
            }
        out["decision"] = outcome.decision
        out["outcome"] = shown

    def _record(self, out: dict[str, Any], walk: Walk, case: Case) -> dict[str, Any] | None:
        """The record of a decided case; None, with ``out`` saying what is missing, without a sign-off."""
        sign_off = self.sign_off.merged(case.sign_off)
        missing = missing_sign_off(sign_off)
        if missing:
            self.summary.unsigned += 1
            out["record"] = None
            out["missing_sign_off"] = [f"sign_off.{m}" for m in missing]
            return None
        return build_record(walk, sign_off=sign_off, record_id=_uuid4(), now=self.now(), case_ref=case.case_ref)

    def failed(self, entry: Entry, exc: Exception) -> dict[str, Any]:
        """The result for a case that could not be checked at all: invalid, naming the fault only by kind."""
        self.summary.invalid += 1
        ref = entry.case.case_ref if entry.case is not None else None
        message = f"this case could not be checked ({type(exc).__name__}); please report it to sharewise's maintainers"
        return {"case_ref": ref, self.label: entry.number, "status": "invalid", "errors": _error(message)}

    def _tree_failed(self, out: dict[str, Any], ref: str, exc: SharewiseError) -> None:
        self.summary.invalid += 1
        message = str(exc)
        if isinstance(exc, TreeInvalid):
            self.summary.tree_errors += 1
            message += "; run 'sharewise trees validate' for the details"
            if self.on_tree_error is not None:
                self.on_tree_error(exc)
        out.update(status="invalid", tree=ref, errors=_error(message))


class Clock:
    """The local time, aware, read from the system once a second: records keep whole seconds.

    Same values as ``datetime.now().astimezone()`` truncated to the second, at a tenth of the cost.
    """

    def __init__(self) -> None:
        self._second = -1
        self._now = datetime.now().astimezone()

    def __call__(self) -> datetime:
        second = int(time.time())
        if second != self._second:
            self._second = second
            self._now = datetime.fromtimestamp(second).astimezone()
        return self._now


def _uuid4() -> str:
    """``str(uuid.uuid4())``, without building a ``UUID`` object (a noticeable share of a record).

    Ids are made 64 at a time from one ``os.urandom`` call (not a system call per record) and
    handed out from a deque, whose ``popleft`` gives each one to one caller only, even across
    threads; a forked child drops what its parent had made, so it never repeats the parent's ids.
    """
    try:
        return _IDS.popleft()
    except IndexError:
        h = os.urandom(16 * _IDS_AT_ONCE).hex()
        # version 4 in the 13th hex digit of each, the RFC 4122 variant (binary 10xx) in the 17th
        _IDS.extend(
            f"{h[i : i + 8]}-{h[i + 8 : i + 12]}-4{h[i + 13 : i + 16]}-{_VARIANT[h[i + 16]]}{h[i + 17 : i + 20]}-"
            f"{h[i + 20 : i + 32]}"
            for i in range(0, len(h), 32)
        )
        return _IDS.popleft()


_IDS_AT_ONCE = 64
_IDS: deque[str] = deque()
_VARIANT = {digit: "89ab"[int(digit, 16) & 3] for digit in "0123456789abcdef"}

if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_IDS.clear)
