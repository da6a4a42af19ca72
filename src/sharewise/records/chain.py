"""Checking a folder's chain of records (the pure part: no files).

Each record written into a records folder holds a ``chain`` link: the chain's id, its position
(1-based) and the digest of the record before it; the folder's chain head
(:class:`sharewise.records.head.ChainHead`) says which record is the newest, so deleting it is
seen. :func:`check_chain` checks the records of one folder against each other and the head, on
records already parsed (reading them is :mod:`sharewise.records.verify`'s job).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sharewise.records.head import ChainHead
from sharewise.records.integrity import is_digest

__all__ = ["ChainEntry", "check_chain"]


@dataclass(frozen=True, slots=True)
class ChainEntry:
    """One record of a folder as the chain check sees it: its file name and the fields that matter."""

    name: str
    chain_id: str | None
    sequence: int | None
    previous: str | None
    digest: str | None  # the digest the record claims (its own check compares it with the content)
    signed: bool

    @classmethod
    def of(cls, name: str, record: Mapping[str, Any]) -> ChainEntry:
        chain = record.get("chain")
        integrity = record.get("integrity")
        claimed = integrity.get("digest") if isinstance(integrity, Mapping) else None
        if not isinstance(chain, Mapping):
            return cls(name, None, None, None, claimed if is_digest(claimed) else None, "signing" in record)
        sequence = chain.get("sequence")
        previous = chain.get("previous")
        return cls(
            name,
            str(chain.get("id")) if chain.get("id") is not None else None,
            sequence if isinstance(sequence, int) and not isinstance(sequence, bool) else None,
            previous if is_digest(previous) else None,
            claimed if is_digest(claimed) else None,
            "signing" in record,
        )


Problems = list[tuple[str, str]]


def check_chain(entries: Sequence[ChainEntry], head: ChainHead | None, head_name: str) -> Problems:
    """Problems with one folder's chain, as ``(file name, message)`` pairs.

    Finds records outside the chain, records from another folder's chain, gaps (deleted records),
    forks, broken links (reordered, replaced or edited records), a missing newest record, and an
    unsigned record after the chain started signing. The work grows with the records given, never
    with the positions they claim: a gap of any size is one step.
    """
    problems: Problems = [
        (e.name, "is not part of this folder's chain (copied in from elsewhere?)")
        for e in entries
        if e.chain_id is None or e.sequence is None
    ]
    chained = [e for e in entries if e.chain_id is not None and e.sequence is not None]
    if not chained:
        if head is not None and head.sequence > 0:
            problems.append((head_name, f"names {head.sequence} chained record(s) but none is in the folder"))
        return problems
    chain_id = head.chain_id if head is not None else None
    if chain_id is None or not any(e.chain_id == chain_id for e in chained):
        if head is not None:
            problems.append((head_name, "names a chain that no record in this folder belongs to"))
            head = None
        chain_id = _most_common(e.chain_id for e in chained)
    problems.extend(
        (e.name, "belongs to another records folder's chain (copied in from elsewhere?)")
        for e in chained
        if e.chain_id != chain_id
    )
    by_sequence: dict[int, list[ChainEntry]] = {}
    for entry in chained:
        if entry.chain_id == chain_id:
            by_sequence.setdefault(entry.sequence or 0, []).append(entry)
    problems.extend(_positions(by_sequence))
    problems.extend(_links(by_sequence))
    problem = _head_problem(head, head_name, by_sequence)
    if problem is not None:
        problems.append(problem)
    return problems


def _positions(by_sequence: dict[int, list[ChainEntry]]) -> Problems:
    """Impossible positions, and positions held by more than one record (a fork)."""
    problems: Problems = []
    for sequence, group in sorted(by_sequence.items()):
        if sequence < 1:
            problems.extend((e.name, "has an impossible chain position (sequence < 1)") for e in group)
        if len(group) > 1:
            names = ", ".join(e.name for e in group)
            problems.extend((e.name, f"shares chain position {sequence} with another record: {names}") for e in group)
    return problems


def _links(by_sequence: dict[int, list[ChainEntry]]) -> Problems:
    """Gaps, broken links and unsigned records after signing began, position by position present."""
    problems: Problems = []
    signing_started: str | None = None
    reached = 0  # the last position seen so far: every step below visits a position that is present
    for sequence in sorted(s for s in by_sequence if s >= 1):  # never the range up to a (forged) largest one
        group = by_sequence[sequence]
        if sequence > reached + 1:
            gap = (
                f"the record before it in the chain (position {reached + 1}) is missing"
                if sequence == reached + 2
                else f"the records before it in the chain (positions {reached + 1} to {sequence - 1}) are missing"
            )
            problems.append((group[0].name, f"{gap}: deleted or moved away?"))
        reached = sequence
        before = by_sequence.get(sequence - 1, [])
        for entry in group:
            link = _link_problem(entry, sequence, before)
            if link is not None:
                problems.append((entry.name, link))
            if signing_started and not entry.signed:
                problems.append((entry.name, f"is not signed, but the chain is signed from {signing_started} on"))
            if entry.signed and signing_started is None:
                signing_started = entry.name
    return problems


def _link_problem(entry: ChainEntry, sequence: int, before: list[ChainEntry]) -> str | None:
    if sequence == 1 and entry.previous is not None:
        return "is first in the chain but links to an earlier record"
    if sequence > 1 and before and all(entry.previous != b.digest for b in before):
        return f"does not link to the record before it ({before[0].name}): records reordered, replaced or edited"
    return None


def _head_problem(
    head: ChainHead | None, head_name: str, by_sequence: dict[int, list[ChainEntry]]
) -> tuple[str, str] | None:
    """What is wrong with the head against the newest record (or, when it is behind, with the newer records)."""
    last = max(by_sequence)
    if head is None:
        return head_name, "is missing: the newest records cannot be checked for deletion"
    if head.sequence > last:
        missing = head.file or f"position {head.sequence}"
        return head_name, f"says the newest record is {missing} (position {head.sequence}), which is missing"
    if head.sequence < last:
        newer = ", ".join(e.name for e in by_sequence[last])
        return newer, "is newer than the chain head: interrupted write, or the head file was rolled back"
    if head.digest not in {e.digest for e in by_sequence[last]}:
        return head_name, f"does not match the newest record ({by_sequence[last][0].name})"
    return None


def _most_common(values: Iterable[str | None]) -> str | None:
    counts: dict[str | None, int] = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    return max(counts, key=lambda v: counts[v]) if counts else None
