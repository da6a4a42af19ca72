"""The per-record path of a writer (issue 13): sealing asks once whether a record is plain JSON and
encoding trusts the answer, file names reuse their worked-out time stamps, and the bytes written
are those the standard library would make."""

from __future__ import annotations

import enum
import json
import random
from pathlib import Path
from typing import Any

import pytest

from sharewise.formats import _fastjson
from sharewise.records import folder as record_folder
from sharewise.records.folder import encode, record_filename
from sharewise.records.integrity import ChainLink, canonical_bytes, record_digest, seal, seal_checked
from sharewise.records.signing import SigningKey
from sharewise.records.store import RecordWriter
from tests.helpers import make_record, records_in, verify

LINK = ChainLink("chain-1", 7, "ab" * 32)


def _standard_file(value: Any) -> bytes:
    return (json.dumps(value, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def test_sealing_says_once_whether_the_record_is_plain_and_seals_as_before(key: SigningKey) -> None:
    record = {**make_record(), "integrity": {"digest": "old"}, "chain": {"id": "old"}, "countersignatures": []}
    for signing in (None, key):
        sealed, plain = seal_checked(record, link=LINK, key=signing)
        assert plain is True
        assert sealed == seal(record, link=LINK, key=signing)
        assert list(sealed) == [k for k in record if k not in ("integrity", "chain", "countersignatures")] + (
            ["chain", "integrity"] if signing is None else ["chain", "signing", "integrity"]
        )
        assert sealed["integrity"]["digest"] == record_digest(sealed)
        assert encode(sealed, checked=plain) == encode(sealed) == _standard_file(sealed)


def test_a_record_that_is_not_plain_is_left_to_the_standard_library_both_times() -> None:
    record = {**make_record(), "score": 1e16}  # orjson would write 1e16, json writes 1e+16
    sealed, plain = seal_checked(record, link=LINK)
    assert plain is False
    assert b'"score": 1e+16' in encode(sealed, checked=plain)
    assert encode(sealed, checked=plain) == _standard_file(sealed)
    body = {k: v for k, v in sealed.items() if k != "integrity"}
    assert sealed["integrity"]["digest"] == record_digest(sealed)
    assert canonical_bytes(body, checked=False) == canonical_bytes(body)


def test_checked_skips_the_look_but_never_lets_orjson_write_what_it_was_told_is_not_plain() -> None:
    value = {"a": [1, "x", None, True]}
    assert _fastjson.plain(value) is True
    assert _fastjson.indented(value, checked=True) == _standard_file(value)
    assert _fastjson.indented(value, checked=False) is None
    assert _fastjson.canonical(value, checked=False) is None
    for odd in ({"a": 1.5}, {"a": {1, 2}}, [b"bytes"]):
        assert _fastjson.plain(odd) is False
    deep: Any = []
    for _ in range(100_000):
        deep = [deep]
    assert _fastjson.plain(deep) is False  # too deep to look through: the standard library's to refuse


def _plain_by_definition(value: Any) -> bool:
    """What ``_fastjson.plain`` must say, written the slow, obvious way."""
    if type(value) in (str, int, bool) or value is None:
        return True
    if type(value) is dict:
        return all(_plain_by_definition(v) for v in value.values())
    if type(value) in (list, tuple):
        return all(_plain_by_definition(v) for v in value)
    return False


class _Text(str):
    pass


class _Level(enum.IntEnum):
    HIGH = 1


def test_plain_judges_every_value_at_every_depth_by_its_exact_type() -> None:
    rng = random.Random(13)
    leaves: list[Any] = ["text", 3, True, None, 1.5, _Text("x"), _Level.HIGH, b"b", float("nan")]

    def make(depth: int) -> Any:
        if depth == 0 or rng.random() < 0.3:
            return rng.choice(leaves[:4]) if rng.random() < 0.9 else rng.choice(leaves)
        kind = rng.choice(("dict", "list", "tuple"))
        items = [make(depth - 1) for _ in range(rng.randint(0, 4))]
        return (
            {f"k{n}": item for n, item in enumerate(items)}
            if kind == "dict"
            else (items if kind == "list" else tuple(items))
        )

    values = [make(4) for _ in range(3000)] + leaves + [{"a": [{"b": (1, [None, 2.0])}]}, [[_Text("deep")]]]
    verdicts = {_fastjson.plain(v) for v in values}
    assert verdicts == {True, False}  # both kinds were made
    for value in values:
        assert _fastjson.plain(value) is _plain_by_definition(value), value


def test_a_file_name_is_the_same_worked_out_once_or_again(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(record_folder, "_STAMPS", {})
    monkeypatch.setattr(record_folder, "_STAMPS_KEPT", 3)
    records = [
        {"id": f"{n:08x}-rest", "created_at": f"2026-12-02T01:0{n % 5}:00{'+01:00' if n % 2 else '-05:30'}"}
        for n in range(12)
    ]
    names = [record_filename(r) for r in records]
    again = [record_filename(r) for r in reversed(records)][::-1]
    assert names == again
    assert names[1] == "20261202T010100+0100-00000001.json"
    assert names[2] == "20261202T010200-0530-00000002.json"
    assert len(record_folder._STAMPS) <= 3  # a few kept, never one per record


def test_a_batch_writes_exactly_what_seal_and_the_standard_library_make(folder: Path) -> None:
    template = make_record()
    written = []
    with RecordWriter(folder, fsync=False) as writer:
        for n in range(3):
            record = {**template, "id": f"{n:08x}-0000-4000-8000-000000000000", "case_ref": f"C-{n}"}
            written.append((writer.write(record), record))
    previous = None
    for n, (path, record) in enumerate(written, start=1):
        data = path.read_bytes()
        assert data == _standard_file(record)  # the caller's dict was given the seal
        chain = json.loads(data)["chain"]
        assert chain["sequence"] == n and chain["previous"] == previous
        previous = record["integrity"]["digest"]
    assert len(records_in(folder)) == 3 and verify(folder).ok
