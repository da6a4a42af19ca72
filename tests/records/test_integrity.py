"""records.integrity: the canonical form, digests and seals, and the chain check over a folder's records."""

from __future__ import annotations

import hashlib
import json

import pytest

from sharewise.records.integrity import (
    ChainEntry,
    ChainHead,
    canonical_bytes,
    check_chain,
    check_record,
    record_digest,
    seal,
)
from sharewise.records.store import HEAD_FILE
from tests.helpers import finishes_within, make_record

# -- canonical form and digest -------------------------------------------------------------------


def test_canonical_form_is_sorted_compact_utf8() -> None:
    value = {"b": [1, True, None], "a": 'café "q"\n', "c": {"z": 1, "y": "ü"}}
    assert canonical_bytes(value) == '{"a":"café \\"q\\"\\n","b":[1,true,null],"c":{"y":"ü","z":1}}'.encode()
    with pytest.raises(ValueError):
        canonical_bytes({"x": float("nan")})


def test_digest_leaves_out_integrity_and_countersignatures() -> None:
    record = make_record()
    sealed = seal(record)
    body = {k: v for k, v in sealed.items() if k != "integrity"}
    expected = hashlib.sha256(
        json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    ).hexdigest()
    assert sealed["integrity"] == {"canonical": "sharewise-canonical-json/1", "algorithm": "sha256", "digest": expected}
    assert record_digest({**sealed, "countersignatures": [{"name": "x"}]}) == expected
    assert check_record(sealed) == []


def test_any_change_to_the_body_breaks_the_digest() -> None:
    sealed = seal(make_record())
    sealed["details"]["recipient"] += "."
    assert check_record(sealed) == ["digest does not match: the record has been changed since it was written"]
    assert check_record({k: v for k, v in sealed.items() if k != "integrity"})[0].startswith("has no integrity block")


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
