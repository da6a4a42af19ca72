"""records.chain: the check over a folder's chain of records (forks, gaps, signing from a point on)."""

from __future__ import annotations

from sharewise.records.chain import ChainEntry, check_chain
from sharewise.records.head import ChainHead
from sharewise.records.store import HEAD_FILE
from tests.helpers import finishes_within

# -- the folder chain ------------------------------------------------------------------------------


def test_check_chain_reports_forks_and_gaps() -> None:
    d = [c * 64 for c in "abcde"]
    entries = [
        ChainEntry("1.json", "c", 1, None, d[0], False),
        ChainEntry("2.json", "c", 2, d[0], d[1], False),
        ChainEntry("2b.json", "c", 2, d[0], d[2], False),
        ChainEntry("5.json", "c", 5, d[3], d[4], False),
    ]
    problems = check_chain(entries, ChainHead("c", 5, d[4], "5.json"), HEAD_FILE)
    assert (
        "5.json",
        "the records before it in the chain (positions 3 to 4) are missing: deleted or moved away?",
    ) in problems
    assert sum("shares chain position 2" in m for _, m in problems) == 2


def test_check_chain_is_linear_in_records_not_in_positions() -> None:
    d = [f"{n:064x}" for n in range(1, 5)]
    entries = [
        ChainEntry("1.json", "c", 1, None, d[0], False),
        ChainEntry("2.json", "c", 2, d[0], d[1], False),
        ChainEntry("3.json", "c", 3, d[1], d[2], False),
        ChainEntry("forged.json", "c", 10**15, d[2], d[3], False),
    ]
    with finishes_within(10):
        problems = check_chain(entries, ChainHead("c", 3, d[2], "3.json"), HEAD_FILE)
    assert problems == [
        ("forged.json", f"the records before it in the chain (positions 4 to {10**15 - 1}) are missing: "
                        "deleted or moved away?"),
        ("forged.json", "is newer than the chain head: interrupted write, or the head file was rolled back"),
    ]  # fmt: skip


# -- signatures ------------------------------------------------------------------------------------


def test_an_unsigned_record_after_signed_ones_fails() -> None:
    d = [c * 64 for c in "abc"]
    entries = [
        ChainEntry("1.json", "c", 1, None, d[0], True),
        ChainEntry("2.json", "c", 2, d[0], d[1], False),
    ]
    assert check_chain(entries, ChainHead("c", 2, d[1], "2.json"), HEAD_FILE) == [
        ("2.json", "is not signed, but the chain is signed from 1.json on")
    ]
