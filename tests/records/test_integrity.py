"""Digests, the folder chain, the lock, signatures and safe writes (the core, not the commands)."""

from __future__ import annotations

import errno
import hashlib
import itertools
import json
import os
import shutil
import stat
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from sharewise.errors import WriteFailed
from sharewise.records import store
from sharewise.records.integrity import (
    ChainEntry,
    ChainHead,
    ChainLink,
    canonical_bytes,
    check_chain,
    check_record,
    record_digest,
    seal,
)
from sharewise.records.signing import SigningKey, SigningKeyError, TrustedKeys, generate_key, load_signing_key
from sharewise.records.store import HEAD_FILE, FolderLock, RecordWriter, countersign_file, write_record
from sharewise.records.verify import Report, verify_paths
from tests.helpers import REFUSE_REQUEST, START, make_record

ROOT = Path(__file__).resolve().parents[2]


def records_in(folder: Path) -> list[Path]:
    return sorted(folder.glob("[!.]*.json"))


def write_folder(folder: Path, count: int = 3) -> list[Path]:
    for n in range(count):
        answers = REFUSE_REQUEST if n % 2 else None
        write_record(make_record(answers, case_ref=f"CASE-{n + 1}", minutes=n), folder=folder)
    return records_in(folder)


def verify(*paths: Path, **kwargs: Any) -> Report:
    return verify_paths(list(paths), trusted=kwargs.pop("trusted", TrustedKeys.load()), **kwargs)


def problem_files(report: Report) -> set[str]:
    return {p.path.name for p in report.problems}


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return tmp_path / "records"


@pytest.fixture
def key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> SigningKey:
    """A signing key set up the documented way, through SHAREWISE_SIGNING_KEY."""
    path = tmp_path / "keys" / "alex.pem"
    made = generate_key(path)
    monkeypatch.setenv("SHAREWISE_SIGNING_KEY", str(path))
    return made


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


@pytest.mark.parametrize(
    "value",
    [
        {
            "a": [],
            "b": {},
            "c": [[], {}, [1, [2, {"x": None}]]],
            "d": 'é \u2028 \x00 \x7f " \\ \n /',
            "e": True,
            "f": -1,
        },
        {"float": 1.5, "tuple": (1, 2)},  # left to json.dumps
        {1: "a key that is not text"},
    ],
)
def test_record_files_are_exactly_json_dumps_indent_2(value: Any) -> None:
    assert store.encode(value) == (json.dumps(value, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    record = seal(make_record())
    assert store.encode(record) == (json.dumps(record, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


# -- the folder chain ------------------------------------------------------------------------------


def test_a_clean_folder_verifies_and_files_are_owner_only(folder: Path) -> None:
    files = write_folder(folder, 4)
    report = verify(folder)
    assert report.ok, report.problems
    assert report.records == 4
    assert report.folders[0].head_sequence == 4
    records = [json.loads(f.read_text(encoding="utf-8")) for f in files]
    assert [r["chain"]["sequence"] for r in records] == [1, 2, 3, 4]
    assert records[0]["chain"]["previous"] is None
    for before, after in itertools.pairwise(records):
        assert after["chain"]["previous"] == before["integrity"]["digest"]
    assert len({r["chain"]["id"] for r in records}) == 1
    assert all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in [*files, folder / HEAD_FILE, folder / store.LOCK_FILE])


def test_the_caller_gets_the_sealed_record_back(folder: Path) -> None:
    record = make_record()
    path = write_record(record, folder=folder)
    assert json.loads(path.read_text(encoding="utf-8")) == record
    assert "integrity" in record and record["chain"]["sequence"] == 1


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


# -- the lock, concurrency and the chain head ------------------------------------------------------

WRITER = textwrap.dedent(
    """
    import copy, sys, time, uuid
    from pathlib import Path
    sys.path.insert(0, {root!r})
    from tests.helpers import make_record
    from sharewise.records.store import write_record

    folder, go, tag = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
    template = make_record(case_ref=tag)
    (go.parent / f"ready-{{tag}}").touch()
    while not go.exists():
        time.sleep(0.005)
    for n in range(50):
        record = copy.deepcopy(template)
        record["id"] = str(uuid.uuid4())
        record["case_ref"] = f"{{tag}}-{{n}}"
        write_record(record, folder=folder)
    """
)


def test_two_processes_writing_at_once_keep_every_record_and_the_chain(folder: Path, tmp_path: Path) -> None:
    script = tmp_path / "writer.py"
    script.write_text(WRITER.format(root=str(ROOT)), encoding="utf-8")
    go = tmp_path / "go"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [
        subprocess.Popen([sys.executable, str(script), str(folder), str(go), tag], env=env, cwd=ROOT)
        for tag in ("A", "B")
    ]
    deadline = time.monotonic() + 30
    while not all((tmp_path / f"ready-{tag}").exists() for tag in "AB") and time.monotonic() < deadline:
        time.sleep(0.01)
    go.touch()  # both have imported and built their record: now they write at the same time
    assert [p.wait(timeout=60) for p in procs] == [0, 0]
    files = records_in(folder)
    assert len(files) == 100
    report = verify(folder)
    assert report.ok, report.problems[:5]
    records = [json.loads(f.read_text(encoding="utf-8")) for f in files]
    assert sorted(r["chain"]["sequence"] for r in records) == list(range(1, 101))
    refs = {r["case_ref"] for r in records}
    assert refs == {f"{t}-{n}" for t in "AB" for n in range(50)}


def test_a_record_writer_holds_the_lock_for_its_whole_batch(folder: Path) -> None:
    template = make_record()
    started = time.perf_counter()
    with RecordWriter(folder, fsync=False) as writer:
        with pytest.raises(WriteFailed, match="locked by another sharewise process"):
            FolderLock(folder, exclusive=True, timeout=0.05).acquire()
        for n in range(500):
            writer.write({**template, "id": f"{n:08d}-0000-4000-8000-000000000000"})
    elapsed = time.perf_counter() - started
    assert writer.count == 500 and writer.last is not None and writer.last.exists()
    assert elapsed < 5, f"500 records took {elapsed:.1f}s"
    head = json.loads((folder / HEAD_FILE).read_text(encoding="utf-8"))
    assert (head["sequence"], head["files"]) == (500, 500)
    assert verify(folder).ok
    with FolderLock(folder, exclusive=True, timeout=0.05):
        pass  # released on exit


def test_the_chain_head_is_read_once_per_writer(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[Path] = []
    real = store._find_head
    monkeypatch.setattr(store, "_find_head", lambda f: calls.append(f) or real(f))
    with RecordWriter(folder, fsync=False) as writer:
        for n in range(20):
            writer.write(make_record(minutes=n))
    assert calls == [folder]


def test_a_stale_chain_head_is_repaired_by_the_next_write(folder: Path) -> None:
    write_folder(folder, 2)
    stale = json.loads((folder / HEAD_FILE).read_bytes())
    write_record(make_record(minutes=5), folder=folder)
    # as if the process died between the record and the head: the head still has the mark it is given
    # before a record is written
    (folder / HEAD_FILE).write_text(json.dumps({**stale, "pending": True}), encoding="utf-8")
    report = verify(folder)
    assert [p.message for p in report.problems] == [
        "is newer than the chain head: interrupted write, or the head file was rolled back"
    ]
    write_record(make_record(minutes=6), folder=folder)
    assert verify(folder).ok
    newest = json.loads(records_in(folder)[-1].read_text(encoding="utf-8"))
    assert newest["chain"]["sequence"] == 4


# -- failed writes ---------------------------------------------------------------------------------


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name not in (HEAD_FILE, store.LOCK_FILE))


def test_a_full_disk_leaves_no_partial_file_and_says_so(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_folder(folder, 1)
    before = leftovers(folder)
    head_before = (folder / HEAD_FILE).read_bytes()

    def full(_fd: int, _data: Any) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    with monkeypatch.context() as patch:
        patch.setattr(os, "write", full)
        with pytest.raises(WriteFailed, match=r"the disk is full .*nothing was written"):
            write_record(make_record(minutes=3), folder=folder)
    assert leftovers(folder) == before
    assert (folder / HEAD_FILE).read_bytes() == head_before
    write_record(make_record(minutes=4), folder=folder)  # the chain carries on unharmed
    assert verify(folder).ok


def test_a_failure_half_way_through_a_write_leaves_nothing(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder.mkdir()
    real_write = os.write

    def short_then_fail(fd: int, data: Any) -> int:
        if len(data) > 100:
            return real_write(fd, bytes(data[:100]))  # a partial write, then the disk fills
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "write", short_then_fail)
    with pytest.raises(WriteFailed):
        write_record(make_record(), out=folder / "rec.json")
    assert list(folder.iterdir()) == []


def test_permission_denied_says_so(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder.mkdir()
    real_open = os.open

    def refuse(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if flags & os.O_CREAT:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", refuse)
    with pytest.raises(WriteFailed, match=r"permission denied .*nothing was written"):
        write_record(make_record(), out=folder / "rec.json")
    assert list(folder.iterdir()) == []


def test_an_out_file_is_sealed_but_not_chained(tmp_path: Path) -> None:
    path = write_record(make_record(), out=tmp_path / "one.json")
    record = json.loads(path.read_text(encoding="utf-8"))
    assert "chain" not in record and "integrity" in record
    assert verify(path).ok


# -- signatures ------------------------------------------------------------------------------------


def test_signed_records_verify_and_the_public_key_is_enough(folder: Path, key: SigningKey, tmp_path: Path) -> None:
    files = write_folder(folder)
    record = json.loads(files[0].read_text(encoding="utf-8"))
    assert record["signing"] == {"algorithm": "ed25519", "key_id": key.key_id}
    assert record["integrity"]["signature"]["key_id"] == key.key_id
    assert verify(folder).ok
    assert verify(folder, require_signatures=True).ok
    public = tmp_path / "keys" / "alex.pub.pem"
    auditor = TrustedKeys.load([public], folder=tmp_path / "none", own=False)
    assert auditor.label(key.key_id) == "alex"
    assert verify(folder, trusted=auditor).ok


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


@pytest.mark.usefixtures("key")
def test_a_signed_folder_refuses_an_unsigned_record(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_folder(folder, 1)
    monkeypatch.delenv("SHAREWISE_SIGNING_KEY")
    with pytest.raises(WriteFailed, match="are signed, so this one must be too"):
        write_record(make_record(minutes=2), folder=folder)
    assert len(records_in(folder)) == 1


def test_an_unsigned_record_after_signed_ones_fails() -> None:
    d = [c * 64 for c in "abc"]
    entries = [
        ChainEntry("1.json", "c", 1, None, d[0], True),
        ChainEntry("2.json", "c", 2, d[0], d[1], False),
    ]
    assert check_chain(entries, ChainHead("c", 2, d[1], "2.json"), HEAD_FILE) == [
        ("2.json", "is not signed, but the chain is signed from 1.json on")
    ]


def test_unsigned_records_fail_when_signatures_are_required(folder: Path) -> None:
    write_folder(folder, 2)
    report = verify(folder, require_signatures=True)
    assert len(report.problems) == 2
    assert all(p.message == "the record is not signed, and signatures are required" for p in report.problems)


def test_a_key_readable_by_others_is_refused(key: SigningKey) -> None:
    assert key.path is not None
    key.path.chmod(0o644)
    with pytest.raises(SigningKeyError, match="chmod 600"):
        load_signing_key()


def test_keygen_never_replaces_a_key(tmp_path: Path) -> None:
    generate_key(tmp_path / "k.pem")
    with pytest.raises(SigningKeyError, match="already exists"):
        generate_key(tmp_path / "k.pem")
    assert stat.S_IMODE((tmp_path / "k.pem").stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "k.pub.pem").stat().st_mode) == 0o644


# -- countersignatures -----------------------------------------------------------------------------

Countersign = Callable[..., dict[str, Any]]


def countersign(path: Path, name: str = "Jo Smith", **kwargs: Any) -> dict[str, Any]:
    return countersign_file(
        path, name=name, role=kwargs.pop("role", "Head teacher"), organisation=None, now=START, **kwargs
    )


def test_a_countersignature_keeps_the_original_and_the_chain(folder: Path) -> None:
    files = write_folder(folder)
    before = json.loads(files[1].read_text(encoding="utf-8"))
    after = countersign(files[1], note="Agreed: the risk tonight justified sharing.")
    assert {k: v for k, v in after.items() if k != "countersignatures"} == before
    entry = after["countersignatures"][0]
    assert entry["record_digest"] == before["integrity"]["digest"]
    assert (entry["name"], entry["note"]) == ("Jo Smith", "Agreed: the risk tonight justified sharing.")
    assert json.loads(files[1].read_text(encoding="utf-8")) == after
    assert stat.S_IMODE(files[1].stat().st_mode) == 0o600
    assert verify(folder).ok
    countersign(files[1], name="Pat Lee")
    assert verify(folder).ok


def test_an_edited_countersignature_fails(folder: Path) -> None:
    files = write_folder(folder, 1)
    record = countersign(files[0])
    record["countersignatures"][0]["role"] = "Director"
    files[0].write_bytes(store.encode(record))
    assert [p.message for p in verify(folder).problems] == [
        "countersignature 1 (Jo Smith) digest does not match: it has been changed since it was added"
    ]


def test_countersigning_refuses_the_same_person_and_a_tampered_record(folder: Path) -> None:
    files = write_folder(folder, 1)
    with pytest.raises(Exception, match="already signed this record"):
        countersign(files[0], name="alex jones")
    files[0].write_text(files[0].read_text(encoding="utf-8").replace("Sam Patel", "Sam Patal"), encoding="utf-8")
    with pytest.raises(Exception, match="does not verify, so it cannot be countersigned"):
        countersign(files[0])


@pytest.mark.usefixtures("key")
def test_a_signed_record_needs_a_signed_countersignature(
    folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = write_folder(folder, 1)
    with pytest.raises(Exception, match="countersign with your own key"):
        countersign(files[0])
    manager = generate_key(tmp_path / "jo.pem")
    monkeypatch.setenv("SHAREWISE_SIGNING_KEY", str(tmp_path / "jo.pem"))
    shutil.copy(tmp_path / "keys" / "alex.pub.pem", tmp_path / "alex.pub.pem")
    trusted_dir = tmp_path / "config" / "sharewise" / "trusted-keys"
    trusted_dir.mkdir(parents=True)
    shutil.copy(tmp_path / "keys" / "alex.pub.pem", trusted_dir / "alex.pem")
    entry = countersign(files[0])["countersignatures"][0]
    assert entry["signing"]["key_id"] == manager.key_id
    assert verify(folder).ok
    record = json.loads(files[0].read_text(encoding="utf-8"))
    del record["countersignatures"][0]["signature"]
    files[0].write_bytes(store.encode(record))
    assert "should be signed" in verify(folder).problems[0].message
