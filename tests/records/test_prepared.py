"""A record prepared ahead of its chain position seals to exactly the bytes of the usual path."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from sharewise.records.folder import encode, record_filename
from sharewise.records.integrity import ChainLink, canonical_bytes, check_record, seal
from sharewise.records.prepared import prepare, seal_prepared
from sharewise.records.signing import SigningKey, TrustedKeys
from sharewise.records.store import RecordWriter
from tests.helpers import REFUSE_REQUEST, make_record, records_in, verify

LINKS = [
    ChainLink("3f1d5a36-7b7e-4c53-9a3c-0b2d4c5e6f70", 1, None),
    ChainLink("3f1d5a36-7b7e-4c53-9a3c-0b2d4c5e6f70", 73, "ab" * 32),
    ChainLink('chaîne \u2028 \x07 "quoted"', 2**40, "0" * 64),  # a head written elsewhere may say anything
]


def _records() -> list[dict[str, Any]]:
    share, refusal = make_record(), make_record(REFUSE_REQUEST, case_ref="")
    odd = make_record(case_ref='Réf. 12 \u00e9\u0301 \U0001f600 \x1b[31m \\ "')
    odd["details"] = {"note": "line one\nline two\ttab \u2029", "list": [1, -2, 2**62, True, None, [], {}]}
    # top-level fields either side of where the seal's fields sort, and next to them
    odd.update({"aaa": 1, "chaim": [], "chain_note": "x", "signin": {}, "signing_note": "y", "zzz": ""})
    sealed_before = seal(make_record(), link=LINKS[1])  # an earlier seal is replaced, as seal() does
    return [share, refusal, odd, sealed_before]


@pytest.mark.parametrize("link", LINKS, ids=["first", "later", "odd-chain-id"])
@pytest.mark.parametrize("signed", [False, True], ids=["unsigned", "signed"])
def test_prepared_records_seal_to_the_same_bytes_and_digest(link: ChainLink, signed: bool, key: SigningKey) -> None:
    signer = key if signed else None
    for record in _records():
        prepared = prepare(record)
        assert prepared is not None
        sealed = seal(record, link=link, key=signer)
        result = seal_prepared(prepared, link, signer)
        assert result.data == encode(sealed)  # Ed25519 signatures are deterministic: signed ones too
        assert result.digest == sealed["integrity"]["digest"]
        assert prepared.name == record_filename(sealed)
        assert check_record(json.loads(result.data), trusted=TrustedKeys.load()) == []


def test_the_digest_covers_the_chain_link() -> None:
    prepared = prepare(make_record())
    assert prepared is not None
    first, second = (seal_prepared(prepared, link) for link in LINKS[:2])
    assert first.digest != second.digest
    body = {k: v for k, v in json.loads(second.data).items() if k != "integrity"}
    assert hashlib.sha256(canonical_bytes(body)).hexdigest() == second.digest


def test_records_orjson_cannot_write_alike_are_left_to_the_usual_path() -> None:
    for value in (1.5, 2**70, {1: "a"}):
        record = make_record()
        record["details"] = {"value": value}
        assert prepare(record) is None


def test_a_countersigned_record_cannot_be_prepared() -> None:
    record = make_record()
    record["countersignatures"] = [{"name": "Sam"}]
    with pytest.raises(ValueError, match="countersigned"):
        prepare(record)


def test_a_writer_takes_prepared_and_plain_records_into_one_chain(folder: Path) -> None:
    with RecordWriter(folder) as writer:
        for n in range(6):
            record = make_record(None if n % 2 else REFUSE_REQUEST, case_ref=f"CASE-{n}", minutes=n)
            prepared = prepare(record) if n % 3 else None
            writer.write(prepared if prepared is not None else record)
    files = records_in(folder)
    assert len(files) == 6
    assert [json.loads(p.read_bytes())["chain"]["sequence"] for p in files] == [1, 2, 3, 4, 5, 6]
    assert verify(folder).ok
