"""records.query: a record's row in 'records list', the filters, and reading the rows from a store."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from sharewise.records.query import RecordFilter, record_row, record_rows
from sharewise.records.store import open_store, write_record
from tests.helpers import REFUSE_REQUEST, make_record


def _row(**values: Any) -> dict[str, Any]:
    row = {"decision": "share", "trees": ["ico-10-step"], "case_ref": "C-1", "created_at": "2026-11-22T09:30:00+00:00"}
    return {**row, **values}


def test_a_row_holds_what_the_list_shows() -> None:
    record = make_record(REFUSE_REQUEST, case_ref="C-7")
    row = record_row("r.json", record)
    assert row == {
        "file": "r.json",
        "created_at": "2026-11-22T09:30:00+00:00",
        "case_ref": "C-7",
        "trees": ["ico-10-step"],
        "decision": "do-not-share",
        "outcome": record["outcome"]["title"],
        "signed_by": "Alex Jones",
        "countersigned_by": [],
        "signed": False,
    }


def test_a_damaged_record_gives_a_row_with_empty_parts() -> None:
    odd = {"outcome": ["not", "a", "dict"], "sign_off": "x", "trees": [1, {"id": "t"}], "countersignatures": ["x"]}
    row = record_row("odd.json", odd)
    assert (row["decision"], row["signed_by"], row["trees"], row["countersigned_by"]) == (None, None, ["t"], [])
    assert row["created_at"] == ""


def test_each_filter_lets_by_only_its_rows() -> None:
    assert RecordFilter()(_row())
    assert not RecordFilter(decision="seek-advice")(_row())
    assert RecordFilter(tree="ico-10-step")(_row()) and not RecordFilter(tree="when-to-share")(_row())
    assert not RecordFilter(case_ref="C-2")(_row())
    day = date(2026, 11, 22)
    assert RecordFilter(first=day, last=day)(_row())  # both bounds are inclusive
    assert not RecordFilter(first=date(2026, 11, 23))(_row())
    assert not RecordFilter(last=date(2026, 11, 21))(_row())
    assert not RecordFilter(first=day)(_row(created_at="last Tuesday"))  # an unreadable date never matches
    assert RecordFilter()(_row(created_at="last Tuesday"))  # ... unless no date is asked for


class _MemoryStore:
    def __init__(self, records: dict[str, bytes | Exception]) -> None:
        self.records = records

    def names(self) -> list[str]:
        return sorted(self.records)

    def read(self, name: str) -> bytes:
        data = self.records[name]
        if isinstance(data, Exception):
            raise data
        return data

    def where(self, name: str) -> Path:
        return Path("/records") / name


def test_rows_come_in_name_order_and_an_unreadable_record_is_passed_over() -> None:
    good = json.dumps(make_record(case_ref="C-1")).encode()
    store = _MemoryStore({"2.json": b"{not json", "1.json": good, "3.json": PermissionError("denied"), "4.json": good})
    skipped: list[tuple[Path, str]] = []
    rows = list(record_rows(store, skipped=lambda path, exc: skipped.append((path, str(exc)))))
    assert [r["file"] for r in rows] == ["1.json", "4.json"]
    assert [path.name for path, _ in skipped] == ["2.json", "3.json"]
    assert "not valid JSON" in skipped[0][1] and skipped[1][1] == "denied"


def test_rows_read_from_a_records_folder(tmp_path: Path) -> None:
    folder = tmp_path / "records"
    for minutes, answers in enumerate((None, REFUSE_REQUEST)):
        write_record(make_record(answers, case_ref=f"C-{minutes}", minutes=minutes), folder=folder)
    rows = list(record_rows(open_store(folder), skipped=pytest.fail))
    assert [(r["case_ref"], r["decision"]) for r in rows] == [("C-0", "share"), ("C-1", "do-not-share")]
