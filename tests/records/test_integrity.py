"""records.integrity: the canonical form, digests and seals of one record."""

from __future__ import annotations

import hashlib
import json

import pytest

from sharewise.records.integrity import canonical_bytes, check_record, record_digest, seal
from tests.helpers import make_record

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
