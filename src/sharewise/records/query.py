"""The rows of ``sharewise records list``: each readable record in a store, oldest first, as a flat
row, and the filters that choose among them. Reading only; nothing here verifies a record.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Protocol

__all__ = ["RecordFilter", "record_row", "record_rows"]


class _Store(Protocol):
    """What listing needs of a records store (:class:`sharewise.records.store.RecordStore` has it)."""

    def names(self) -> Iterable[str]: ...
    def read(self, name: str) -> bytes: ...
    def where(self, name: str) -> Path: ...


def record_row(name: str, record: dict[str, Any]) -> dict[str, Any]:
    """The row of ``record`` (stored under ``name``, its file name); odd or missing parts become empty."""
    outcome: dict[str, Any] = record["outcome"] if isinstance(record.get("outcome"), dict) else {}
    sign_off: dict[str, Any] = record["sign_off"] if isinstance(record.get("sign_off"), dict) else {}
    counters = [c.get("name", "") for c in record.get("countersignatures") or [] if isinstance(c, dict)]
    return {
        "file": name,
        "created_at": str(record.get("created_at", "")),
        "case_ref": record.get("case_ref"),
        "trees": [str(t.get("id")) for t in record.get("trees") or [] if isinstance(t, dict)],
        "decision": outcome.get("decision"),
        "outcome": outcome.get("title"),
        "signed_by": sign_off.get("name"),
        "countersigned_by": counters,
        "signed": "signing" in record,
    }


def record_rows(store: _Store, *, skipped: Callable[[Path, Exception], None]) -> Iterator[dict[str, Any]]:
    """Each readable record's row, in name (time) order; an unreadable one is passed to ``skipped``.

    The names come from :meth:`~sharewise.records.store.RecordStore.names`, a compact consistent
    list, and each record is read, turned into its row and let go before the next, so memory hardly
    grows with the store; a path is made only for a record that is skipped.
    """
    from sharewise.records.verify import RecordUnreadable, parse_record

    try:
        import orjson

        loads: Any = orjson.loads
    except ImportError:  # pragma: no cover - orjson is a dependency
        loads = json.loads
    for name in store.names():
        try:
            data = store.read(name)
            try:  # the quick parse; anything odd is parsed again for its message
                record = loads(data)
                if not isinstance(record, dict) or not str(record.get("format", "")).startswith("sharewise-record/"):
                    raise ValueError
            except ValueError:
                record = parse_record(data)
        except (RecordUnreadable, OSError) as exc:
            skipped(store.where(name), exc)
            continue
        yield record_row(name, record)


@dataclass(frozen=True)
class RecordFilter:
    """Whether a row passes ``records list``'s filters; each one left as None lets every row by."""

    decision: str | None = None
    tree: str | None = None
    case_ref: str | None = None
    first: date | None = None  # made on or after this day
    last: date | None = None  # made on or before this day

    def __call__(self, row: dict[str, Any]) -> bool:
        if self.decision is not None and row["decision"] != self.decision:
            return False
        if self.tree is not None and self.tree not in row["trees"]:
            return False
        if self.case_ref is not None and row["case_ref"] != self.case_ref:
            return False
        return self._in_dates(row)

    def _in_dates(self, row: dict[str, Any]) -> bool:
        if not (self.first or self.last):
            return True
        try:
            day = datetime.fromisoformat(row["created_at"]).date()
        except ValueError:
            return False
        return not ((self.first and day < self.first) or (self.last and day > self.last))
