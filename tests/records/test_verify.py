"""records.verify: what `records verify` finds in a folder or a file: edits, deletions, swaps, strays, damaged
files, missing or untrusted signatures."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from sharewise.errors import WriteFailed
from sharewise.records import store
from sharewise.records.integrity import (
    ChainLink,
    record_digest,
    seal,
)
from sharewise.records.signing import SigningKey, generate_key
from sharewise.records.store import HEAD_FILE, FolderLock, write_record
from sharewise.records.verify import Report
from tests.helpers import fill, make_record, rewrite, verify, write_folder


def problem_files(report: Report) -> set[str]:
    return {p.path.name for p in report.problems}


@pytest.mark.parametrize("index", [0, 1, 2])
def test_editing_one_character_in_any_record_fails_and_names_it(folder: Path, index: int) -> None:
    files = write_folder(folder)
    target = files[index]
    text = target.read_text(encoding="utf-8")
    assert "Sam Patel" in text or "housing office" in text
    edited = text.replace("Sam Patel", "Sam Patal").replace("housing office", "housing offica")
    target.write_text(edited, encoding="utf-8")
    report = verify(folder)
    assert not report.ok
    assert [str(p) for p in report.problems] == [
        f"{target}: digest does not match: the record has been changed since it was written"
    ]


def test_a_white_space_edit_is_reported_too(folder: Path) -> None:
    files = write_folder(folder)
    files[1].write_text(files[1].read_text(encoding="utf-8").replace('"format": ', '"format":  '), encoding="utf-8")
    report = verify(folder)
    assert [(p.path, p.message) for p in report.problems] == [
        (files[1], "has been re-formatted since it was written (its content is unchanged)")
    ]


def test_an_edit_with_a_recomputed_digest_breaks_the_next_link(folder: Path) -> None:
    files = write_folder(folder)
    record = json.loads(files[0].read_text(encoding="utf-8"))
    record["outcome"]["decision"] = "do-not-share"
    record["integrity"]["digest"] = record_digest(record)
    files[0].write_bytes(store.encode(record))
    report = verify(folder)
    assert problem_files(report) == {files[1].name}
    assert "does not link to the record before it" in report.problems[0].message


@pytest.mark.parametrize("index", [0, 1])
def test_deleting_a_record_fails_and_names_the_next_one(folder: Path, index: int) -> None:
    files = write_folder(folder)
    files[index].unlink()
    report = verify(folder)
    assert [(p.path, p.message) for p in report.problems] == [
        (
            files[index + 1],
            f"the record before it in the chain (position {index + 1}) is missing: deleted or moved away?",
        )
    ]


def test_deleting_the_newest_record_is_caught_by_the_chain_head(folder: Path) -> None:
    files = write_folder(folder)
    files[2].unlink()
    report = verify(folder)
    assert [str(p) for p in report.problems] == [
        f"{folder / HEAD_FILE}: says the newest record is {files[2].name} (position 3), which is missing"
    ]
    (folder / HEAD_FILE).unlink()
    assert "is missing: the newest records cannot be checked" in str(verify(folder).problems[0])


def test_swapping_two_records_fails_and_names_both(folder: Path) -> None:
    files = write_folder(folder)
    first, last = files[0].read_bytes(), files[2].read_bytes()
    files[0].write_bytes(last)
    files[2].write_bytes(first)
    report = verify(folder)
    assert problem_files(report) == {files[0].name, files[2].name}
    assert all("renamed or swapped" in p.message for p in report.problems)


def test_a_record_copied_in_from_another_folder_fails(folder: Path, tmp_path: Path) -> None:
    write_folder(folder, 2)
    other = write_folder(tmp_path / "other", 1)[0]
    stray = folder / "20261122T093000+0000-deadbeef.json"
    shutil.copy(other, stray)
    assert problem_files(verify(folder)) >= {stray.name}


def test_an_unchained_record_in_a_folder_fails(folder: Path) -> None:
    write_folder(folder, 1)
    write_record(make_record(minutes=9), out=folder / "loose.json")
    report = verify(folder)
    assert [str(p) for p in report.problems] == [
        f"{folder / 'loose.json'}: is not part of this folder's chain (copied in from elsewhere?)"
    ]
    assert verify(folder / "loose.json").ok  # on its own, its digest holds


def test_unreadable_and_empty_inputs_fail_closed(folder: Path, tmp_path: Path) -> None:
    folder.mkdir()
    assert [p.message for p in verify(folder).problems] == ["contains no sharewise records"]
    (folder / "x.json").write_text("{not json", encoding="utf-8")
    assert "is not valid JSON (line 1, column 2)" in verify(folder).problems[0].message
    assert [p.message for p in verify(tmp_path / "nope").problems] == ["no such file or folder"]


def test_a_duplicate_key_is_refused(folder: Path) -> None:
    files = write_folder(folder, 1)
    text = files[0].read_text(encoding="utf-8")
    files[0].write_text(text.replace('{\n  "format"', '{\n  "id": "x",\n  "format"', 1), encoding="utf-8")
    assert "has the key 'id' twice" in verify(folder).problems[0].message


def test_a_removed_signature_fails_closed(folder: Path, key: SigningKey) -> None:
    files = write_folder(folder)
    record = json.loads(files[1].read_text(encoding="utf-8"))
    del record["integrity"]["signature"]
    files[1].write_bytes(store.encode(record))
    report = verify(folder)
    assert [(p.path, p.message) for p in report.problems] == [
        (files[1], f"the record should be signed by key {key.key_id[:16]} but has no signature: removed?")
    ]
    del record["signing"]  # and the declaration too: now the digest no longer matches
    files[1].write_bytes(store.encode(record))
    assert "digest does not match" in verify(folder).problems[0].message


@pytest.mark.usefixtures("key")
def test_a_record_resealed_with_another_key_is_not_trusted(folder: Path, tmp_path: Path) -> None:
    files = write_folder(folder, 1)
    forger = generate_key(tmp_path / "forger.pem")
    record = json.loads(files[0].read_text(encoding="utf-8"))
    record["outcome"]["decision"] = "do-not-share"
    chain = record["chain"]
    link = ChainLink(chain["id"], chain["sequence"], chain["previous"])
    files[0].write_bytes(store.encode(seal(record, link=link, key=forger)))
    trusted_dir = tmp_path / "config" / "sharewise" / "trusted-keys"
    assert [p.message for p in verify(folder).problems] == [
        f"the record is signed by key {forger.key_id[:16]}, which is not one of your trusted keys "
        f"(put its public key in {trusted_dir} if you trust it)",
        "does not match the newest record (" + files[0].name + ")",
    ]


def test_unsigned_records_fail_when_signatures_are_required(folder: Path) -> None:
    write_folder(folder, 2)
    report = verify(folder, require_signatures=True)
    assert len(report.problems) == 2
    assert all(p.message == "the record is not signed, and signatures are required" for p in report.problems)


def test_verify_does_not_hold_the_lock_while_it_checks(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fill(folder, 5)
    outcomes: list[str] = []
    real = store.FolderStore.read

    def read_and_try_a_writer(self: store.FolderStore, name: str) -> bytes:
        writer = FolderLock(folder, exclusive=True, timeout=0.05)
        try:
            writer.acquire()
        except WriteFailed:
            outcomes.append("writer blocked")
        else:
            outcomes.append("writer got in")
            writer.release()
        return real(self, name)

    monkeypatch.setattr(store.FolderStore, "read", read_and_try_a_writer)
    assert verify(folder).ok
    assert outcomes and set(outcomes) == {"writer got in"}


def test_extra_keys_in_the_integrity_block_fail_verify(folder: Path) -> None:
    files = fill(folder, 2)
    rewrite(files[0], lambda r: r["integrity"].update(note="approved by the DPO"))
    report = verify(folder)
    assert [(p.path, p.message) for p in report.problems] == [
        (files[0], "integrity block has 1 field(s) sharewise never writes there "
                   "(only canonical, algorithm, digest and signature belong): added after writing")
    ]  # fmt: skip
