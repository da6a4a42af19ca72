"""records.listing: 'records list' rows written piped, narrow or as a table, coloured only on a terminal."""

from __future__ import annotations

import re
from typing import Any

import pytest

from sharewise.records.listing import WIDE_LIST, write_rows


def _row(decision: object, file: str = "20261122T093000+0000-a.json", **values: Any) -> dict[str, Any]:
    row = {
        "file": file,
        "created_at": "2026-11-22T09:30:00+00:00",
        "case_ref": "C-1",
        "trees": ["ico-10-step"],
        "decision": decision,
        "signed_by": "Alex Jones",
        "countersigned_by": ["Jo Bloggs"],
    }
    return {**row, **values}


def test_piped_rows_are_tab_separated_with_labels_and_nothing_raw(capsys: pytest.CaptureFixture[str]) -> None:
    count = write_rows([_row("do-not-share"), _row(["share"], case_ref="C-\x1b[31m2")], plain=False)
    assert count == 2
    assert capsys.readouterr().out.splitlines() == [
        "date\tcase ref\ttrees\tdecision\tsigned by\tfile",
        "2026-11-22 09:30\tC-1\tico-10-step\tDo not share\tAlex Jones + Jo Bloggs\t20261122T093000+0000-a.json",
        "2026-11-22 09:30\tC-\\x1b[31m2\tico-10-step\t['share']\tAlex Jones + Jo Bloggs\t20261122T093000+0000-a.json",
    ]


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> Any:
    def columns(width: int) -> None:
        monkeypatch.setenv("FORCE_COLOR", "1")
        monkeypatch.setenv("COLUMNS", str(width))

    return columns


def test_on_a_wide_terminal_only_a_known_decision_is_coloured(
    terminal: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    terminal(WIDE_LIST + 10)
    write_rows([_row("share"), _row("maybe", file="b.json")], plain=False)
    out = capsys.readouterr().out
    assert "\x1b[1;32mShare\x1b[0m" in out  # the share style: bold green
    assert "maybe" in out and re.search(r"\x1b\[[0-9;]*mmaybe", out) is None  # an unknown one is left plain
    assert out.splitlines()[1].startswith("-" * len("2026-11-22 09:30"))


def test_on_a_narrow_terminal_each_record_takes_two_lines(terminal: Any, capsys: pytest.CaptureFixture[str]) -> None:
    terminal(WIDE_LIST - 30)
    assert write_rows([_row("seek-advice")], plain=True) == 1
    assert capsys.readouterr().out.splitlines() == [
        "2026-11-22 09:30  Seek advice  case C-1 · ico-10-step · Alex Jones + Jo Bloggs",
        "  20261122T093000+0000-a.json",
    ]
