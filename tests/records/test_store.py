"""records.store: writing records into a folder's chain, the lock, the chain head and countersigning; and the
store at scale and under faults: big folders, gaps, forged positions, crashes, odd file systems, full disks
and hostile bookkeeping files (issues 12 and 13)."""

from __future__ import annotations

import errno
import itertools
import json
import os
import shutil
import signal
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
from sharewise.records import safefiles, store
from sharewise.records import writer as record_writer
from sharewise.records.integrity import seal
from sharewise.records.signing import TrustedKeys, generate_key
from sharewise.records.store import HEAD_FILE, LOCK_FILE, FolderLock, RecordWriter, countersign_file, write_record
from tests.helpers import (
    START,
    fail_after_a_partial_write,
    fill,
    finishes_within,
    make_record,
    records_in,
    rewrite,
    verify,
    write_folder,
)

ROOT = Path(__file__).resolve().parents[2]


def head_of(folder: Path) -> dict[str, Any]:
    return json.loads((folder / HEAD_FILE).read_text(encoding="utf-8"))


# -- a big folder is never listed by a writer -----------------------------------------------------


def test_a_write_into_a_folder_of_thousands_does_not_list_it(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fill(folder, 3000)

    def no_listing(*_args: Any, **_kwargs: Any) -> Any:
        raise AssertionError("the records folder was listed")

    with monkeypatch.context() as patch:
        patch.setattr(os, "scandir", no_listing)
        patch.setattr(os, "listdir", no_listing)
        path = write_record(make_record(minutes=5), folder=folder)
        with RecordWriter(folder) as writer:  # a batch: the same
            for n in range(3):
                writer.write(make_record(minutes=6 + n))
    assert json.loads(path.read_text(encoding="utf-8"))["chain"]["sequence"] == 3001
    assert head_of(folder)["sequence"] == 3004
    assert "pending" not in head_of(folder)
    report = verify(folder)
    assert report.ok, report.problems[:3]
    assert report.records == 3004


def test_writer_memory_does_not_keep_every_path(folder: Path) -> None:
    with RecordWriter(folder, fsync=False) as writer:
        for n in range(5):
            writer.write(make_record(minutes=n))
    assert writer.count == 5
    assert writer.last == records_in(folder)[-1]
    assert not hasattr(writer, "written")


# -- gaps and forged positions ----------------------------------------------------------------------


def test_a_folder_with_every_other_record_missing_reports_each_gap(folder: Path) -> None:
    files = fill(folder, 400)
    for path in files[1::2]:
        path.unlink()  # positions 2, 4, ..., 400 are gone; 400 is the newest
    report = verify(folder)
    messages = [(p.path.name, p.message) for p in report.problems]
    gaps = [m for m in messages if "missing: deleted or moved away?" in m[1]]
    assert len(gaps) == 199
    assert gaps[0] == (
        files[2].name,
        "the record before it in the chain (position 2) is missing: deleted or moved away?",
    )
    assert (HEAD_FILE, f"says the newest record is {files[-1].name} (position 400), which is missing") in messages
    assert len(messages) == 200


def test_a_forged_huge_position_is_reported_and_never_carried_forward(folder: Path) -> None:
    files = fill(folder, 3)
    rewrite(files[1], lambda r: r["chain"].update(sequence=10**12))
    with finishes_within(20):
        report = verify(folder)
    assert {p.path.name for p in report.problems} == {files[1].name, files[2].name}
    assert "digest does not match" in " ".join(p.message for p in report.problems)
    # a writer that has to read the records (its head marked pending by a crash, or gone) ignores it
    for damage in ("pending", "gone"):
        if damage == "pending":
            (folder / HEAD_FILE).write_text(json.dumps({**head_of(folder), "pending": True}), encoding="utf-8")
        else:
            (folder / HEAD_FILE).unlink()
        with finishes_within(20):
            path = write_record(make_record(minutes=9), folder=folder)
        chain = json.loads(path.read_text(encoding="utf-8"))["chain"]
        assert chain["sequence"] == 4 if damage == "pending" else 5
        path.unlink()
        (folder / HEAD_FILE).write_text(
            json.dumps(
                {**head_of(folder), "sequence": 3, "digest": json.loads(files[2].read_bytes())["integrity"]["digest"]}
            ),
            encoding="utf-8",
        )


# -- crashes ---------------------------------------------------------------------------------------

BATCH = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    sys.path.insert(0, {root!r})
    from tests.helpers import make_record
    from sharewise.records.store import RecordWriter

    template = make_record()
    with RecordWriter(Path(sys.argv[1]), fsync=False) as writer:
        n = 0
        while True:
            writer.write({{**template, "id": f"{{n:08x}}-0000-4000-8000-000000000000"}})
            n += 1
    """
)


def test_a_batch_killed_mid_write_leaves_a_chain_the_next_writer_repairs(folder: Path, tmp_path: Path) -> None:
    fill(folder, 20)
    script = tmp_path / "batch.py"
    script.write_text(BATCH.format(root=str(ROOT)), encoding="utf-8")
    proc = subprocess.Popen([sys.executable, str(script), str(folder)], env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        deadline = time.monotonic() + 60
        while len(records_in(folder)) < 300 and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    count = len(records_in(folder))
    assert count >= 300
    assert head_of(folder)["pending"] is True
    assert all(not p.name.endswith(".tmp") or p.name.startswith(".") for p in folder.iterdir())
    path = write_record(make_record(minutes=30), folder=folder)
    assert json.loads(path.read_text(encoding="utf-8"))["chain"]["sequence"] == count + 1
    report = verify(folder)
    assert report.ok, report.problems[:3]


# -- file systems without hard links ------------------------------------------------------------------


def test_records_are_written_where_hard_links_are_not_supported(
    folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []

    def no_links(*_args: Any, **_kwargs: Any) -> None:
        calls.append("link")
        raise PermissionError(errno.EPERM, os.strerror(errno.EPERM))  # what vfat says

    monkeypatch.setattr(os, "link", no_links)
    monkeypatch.setattr(safefiles, "_NO_LINKS", set())
    monkeypatch.setattr(safefiles, "_tmpfile_possible", lambda: False)  # nor O_TMPFILE, as on vfat
    for n in range(3):
        write_record(make_record(minutes=n), folder=folder)
    out = tmp_path / "out" / "one.json"
    out.parent.mkdir()
    write_record(make_record(minutes=9), out=out)
    assert calls == ["link", "link"]  # tried once per folder, then remembered
    files = records_in(folder)
    assert len(files) == 3 and all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in files)
    assert sorted(p.name for p in folder.iterdir() if p.name.startswith(".")) == [HEAD_FILE, LOCK_FILE]
    assert verify(folder).ok and verify(out).ok
    before = out.read_bytes()
    with pytest.raises(Exception, match="already exists"):
        write_record(make_record(minutes=10), out=out)  # never over an existing file
    assert out.read_bytes() == before


def test_without_hard_links_a_failed_write_leaves_nothing(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fill(folder, 2)
    monkeypatch.setattr(safefiles, "_NO_LINKS", {folder})
    monkeypatch.setattr(safefiles, "_tmpfile_possible", lambda: False)  # nor O_TMPFILE, as on vfat
    real_write = os.write
    full: list[bool] = []

    def half_then_full(fd: int, data: Any) -> int:
        if full:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        if len(data) > 1000:  # the record (the head is smaller): part of it, then the disk is full
            full.append(True)
            return real_write(fd, bytes(data[:1000]))
        return real_write(fd, data)

    names = sorted(p.name for p in folder.iterdir())
    head = head_of(folder)
    with monkeypatch.context() as patch:
        patch.setattr(os, "write", half_then_full)
        with pytest.raises(WriteFailed, match=r"the disk is full .*nothing was written"):
            write_record(make_record(minutes=5), folder=folder)
    assert full
    assert sorted(p.name for p in folder.iterdir()) == names
    assert {k: v for k, v in head_of(folder).items() if k != "pending"} == head
    write_record(make_record(minutes=6), folder=folder)
    assert verify(folder).ok


# -- a full disk between the record and the chain head -----------------------------------------------


def _head_save_fails_after_the_record(monkeypatch: pytest.MonkeyPatch) -> None:
    real = record_writer.save_head

    def save(folder: Path, head: Any, *, fsync: bool) -> None:
        if not head.pending:  # the update after the record, not the mark before it
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real(folder, head, fsync=fsync)

    monkeypatch.setattr(record_writer, "save_head", save)


def test_a_full_disk_after_the_record_says_it_was_written_and_where(
    folder: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    fill(folder, 2)
    with monkeypatch.context() as patch:
        _head_save_fails_after_the_record(patch)
        path = write_record(make_record(minutes=5), folder=folder)  # the record is safe: no error
    assert path.exists()
    err = capsys.readouterr().err
    assert f"1 record(s) were written, the last as {path}" in err
    assert "the chain head" in err and "the disk is full" in err and "the next write" in err
    assert head_of(folder)["pending"] is True
    write_record(make_record(minutes=6), folder=folder)
    assert verify(folder).ok and len(records_in(folder)) == 4


def test_a_batch_that_fills_the_disk_reports_the_real_error_and_what_it_wrote(
    folder: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    template = make_record()
    real_write = record_writer._write_in_folder
    written: list[Path] = []

    def fill_up(files: safefiles.NewFiles, name: str, data: bytes, *, fsync: bool = True) -> str:
        if len(written) == 3:
            raise WriteFailed(
                f"cannot write the record to {files.folder}: the disk is full (or your quota is used up); "
                "nothing was written"
            )
        written.append(files.folder / real_write(files, name, data, fsync=fsync))
        return written[-1].name

    monkeypatch.setattr(record_writer, "_write_in_folder", fill_up)
    _head_save_fails_after_the_record(monkeypatch)
    with pytest.raises(WriteFailed) as caught, RecordWriter(folder, fsync=False) as writer:
        for n in range(10):
            writer.write({**template, "id": f"{n:08x}-0000-4000-8000-000000000000"})
    message = str(caught.value)
    assert message.startswith(f"cannot write the record to {folder}: the disk is full")
    assert f"the 3 record(s) before it in this run were, the last as {written[-1]}" in message
    assert "chain head" not in message  # the head's own failure is a warning, not the error
    assert "could not be updated" in capsys.readouterr().err
    monkeypatch.undo()
    write_record(make_record(minutes=30), folder=folder)
    assert verify(folder).ok


# -- hostile bookkeeping files ---------------------------------------------------------------------------


def test_a_fifo_in_place_of_the_chain_head_blocks_neither_verify_nor_writers(folder: Path) -> None:
    fill(folder, 3)
    (folder / HEAD_FILE).unlink()
    os.mkfifo(folder / HEAD_FILE)
    with finishes_within(20):
        report = verify(folder)
    assert next((p.path.name, p.message) for p in report.problems) == (HEAD_FILE, "cannot be read: not a regular file")
    with finishes_within(20):
        path = write_record(make_record(minutes=9), folder=folder)
    assert json.loads(path.read_text(encoding="utf-8"))["chain"]["sequence"] == 4
    assert (folder / HEAD_FILE).is_file() and verify(folder).ok


def test_the_folder_lock_never_follows_a_symbolic_link(folder: Path, tmp_path: Path) -> None:
    fill(folder, 1)
    (folder / LOCK_FILE).unlink()
    target = tmp_path / "elsewhere" / "victim"
    target.parent.mkdir()
    (folder / LOCK_FILE).symlink_to(target)
    with pytest.raises(WriteFailed, match=r"\.sharewise\.lock: it is a symbolic link; remove it"):
        write_record(make_record(minutes=3), folder=folder)
    assert not target.exists()
    assert len(records_in(folder)) == 1
    assert FolderLock(folder, exclusive=False).acquire() is False  # a reader reads unlocked instead


# -- records list streams ------------------------------------------------------------------------------


def test_records_list_streams_json_and_tables_in_blocks(folder: Path) -> None:
    from typer.testing import CliRunner

    from sharewise.cli import app

    fill(folder, 1100)  # three blocks of the table
    runner = CliRunner()
    result = runner.invoke(app, ["records", "list", str(folder), "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [r["case_ref"] for r in rows] == [f"C-{n}" for n in range(1100)]
    assert result.stdout == json.dumps(rows, ensure_ascii=False, indent=2) + "\n"  # byte for byte as before
    empty = folder.parent / "empty"
    empty.mkdir()
    assert runner.invoke(app, ["records", "list", str(empty), "--json"]).stdout == "[]\n"
    none = runner.invoke(app, ["records", "list", str(empty), "--plain"])
    assert none.exit_code == 0 and none.stdout.split() == [
        "date",
        "case",
        "ref",
        "trees",
        "decision",
        "signed",
        "by",
        "file",
    ]
    assert "0 record(s)." in none.stderr
    table = runner.invoke(app, ["records", "list", str(folder), "--plain"], env={"COLUMNS": "200", "FORCE_COLOR": "1"})
    assert table.exit_code == 0 and "1100 record(s)." in table.stderr
    lines = [line for line in table.stdout.splitlines() if "C-" in line]
    assert len(lines) == 1100
    assert len({line.index(".json") for line in lines}) == 1  # every block lines up with the first
    piped = runner.invoke(app, ["records", "list", str(folder)])  # not a terminal: one line a record
    rows_out = piped.stdout.splitlines()
    assert rows_out[0].split("\t")[0] == "date" and len(rows_out) == 1101
    assert all(len(line.split("\t")) == 6 for line in rows_out)


def test_decide_with_a_full_disk_after_the_record_exits_0_and_names_it(
    write_tree: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from sharewise.cli import app

    folder = tmp_path / "records"
    _head_save_fails_after_the_record(monkeypatch)
    args = ["decide", str(write_tree()), "--no-input", "--json", "-a", "purpose=yes", "-a", "reasons=to keep safe"]
    sign = ["--signed-by", "Sam Carter", "--role", "Designated safeguarding lead", "--records-dir", str(folder)]
    result = CliRunner().invoke(app, [*args, *sign])
    assert result.exit_code == 0, result.output  # written: a script must not retry and write it twice
    [path] = records_in(folder)
    printed = json.loads(result.stdout)
    assert printed.pop("record_file") == str(path)  # where it was written, beside the record
    assert printed == json.loads(path.read_text(encoding="utf-8"))
    assert f"the last as {path}, but the chain head" in result.stderr


def test_a_torn_chain_head_is_rebuilt_from_the_records(folder: Path) -> None:
    files = fill(folder, 4)
    whole = (folder / HEAD_FILE).read_bytes()
    (folder / HEAD_FILE).write_bytes(whole[: len(whole) // 2])  # a crash in the middle of rewriting it
    assert "is not valid JSON" in verify(folder).problems[0].message
    path = write_record(make_record(minutes=9), folder=folder)
    chain = json.loads(path.read_text(encoding="utf-8"))["chain"]
    assert (chain["sequence"], chain["previous"]) == (5, json.loads(files[-1].read_bytes())["integrity"]["digest"])
    assert verify(folder).ok


# -- the store interface: a second backend needs no change to the front-ends ------------------------------


class MemoryStore:
    """A register kept in memory, implementing :class:`sharewise.records.store.RecordStore` as a database would."""

    def __init__(self) -> None:
        self.rows: dict[str, bytes] = {}
        self.head: dict[str, Any] | None = None

    @property
    def label(self) -> str:
        return "memory register"

    def writer(self, *, fsync: bool = True) -> MemorySink:
        del fsync  # a database commits each write
        return MemorySink(self)

    def snapshot(self) -> store.Snapshot:
        return store.Snapshot(sorted(self.rows), self.head)

    def names(self) -> list[str]:
        return sorted(self.rows)

    def read(self, name: str) -> bytes:
        return self.rows[name]

    def where(self, name: str) -> Path:
        return Path("register:") / name


class MemorySink:
    def __init__(self, register: MemoryStore) -> None:
        self.register, self.count, self.last = register, 0, None

    def __enter__(self) -> MemorySink:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def write(self, record: Any) -> Path:
        from sharewise.records.integrity import ChainLink, seal

        head = self.register.head or {"chain": "c0ffee00-0000-4000-8000-000000000000", "sequence": 0, "digest": None}
        sealed = seal(record, link=ChainLink(head["chain"], head["sequence"] + 1, head["digest"]))
        name = store.record_filename(sealed)
        self.register.rows[name] = store.encode(sealed)
        self.register.head = {
            "format": store.HEAD_FORMAT,
            "chain": head["chain"],
            "sequence": head["sequence"] + 1,
            "digest": sealed["integrity"]["digest"],
            "file": name,
        }
        self.count += 1
        self.last = self.register.where(name)
        return self.last


def test_a_second_backend_plugs_in_through_open_store_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    from sharewise.frontends.batch import BatchOptions, run_check
    from sharewise.records import verify
    from sharewise.records.verify import Report, _verify_folder
    from tests.helpers import EMERGENCY_SHARE, REFUSE_REQUEST

    register = MemoryStore()
    for module in (store, verify):  # the batch opens its store through records.store when it runs
        monkeypatch.setattr(module, "open_store", lambda _location: register)
    cases = tmp_path / "cases.jsonl"
    sign = {"name": "Sam Carter", "role": "Designated safeguarding lead"}
    lines = [
        {"case_ref": f"R-{n}", "tree": "ico-10-step", "answers": answers, "sign_off": sign}
        for n, answers in enumerate([EMERGENCY_SHARE, REFUSE_REQUEST, EMERGENCY_SHARE])
    ]
    cases.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    out = io.StringIO()
    code = run_check(
        BatchOptions(cases, output="jsonl", records_dir=tmp_path / "unused"), stdout=out, stderr=io.StringIO()
    )
    assert code == 0
    assert [json.loads(line)["record"].startswith("register:") for line in out.getvalue().splitlines()] == [True] * 3
    assert not (tmp_path / "unused").exists()  # nothing went to a folder
    path = write_record(make_record(minutes=99), folder=tmp_path / "unused")
    assert str(path).startswith("register:") and len(register.rows) == 4
    report = Report()
    _verify_folder(tmp_path / "unused", report, TrustedKeys(), False)
    assert report.ok, report.problems
    assert report.records == 4 and report.folders[0].head_sequence == 4
    second = sorted(register.rows)[1]
    register.rows[second] = register.rows[second].replace(b'"case_ref": "', b'"case_ref": "X', 1)
    report = Report()
    _verify_folder(tmp_path / "unused", report, TrustedKeys(), False)
    assert [str(p.path) for p in report.problems] == [f"register:/{second}"]


def test_a_number_of_thousands_of_digits_or_deep_nesting_is_a_problem_not_a_traceback(folder: Path) -> None:
    files = fill(folder, 3)
    text = files[1].read_text(encoding="utf-8")
    files[1].write_text(text.replace('"sequence": 2', '"sequence": ' + "9" * 5000, 1), encoding="utf-8")
    files[2].write_text(
        '{"format": "sharewise-record/1", "x": ' + "[" * 100_000 + "]" * 100_000 + "}", encoding="utf-8"
    )
    report = verify(folder)
    messages = {p.path.name: p.message for p in report.problems}
    assert messages[files[1].name] == "holds a number too long to be part of a record"
    assert messages[files[2].name] == "is nested too deeply to be a record"
    path = write_record(make_record(minutes=9), folder=folder)  # a writer is not put off either
    assert path.exists()


# -- sharing a folder ----------------------------------------------------------------------------------


def test_a_batch_gives_way_to_a_writer_waiting_for_the_folder(folder: Path) -> None:
    import threading

    fill(folder, 1)
    template = make_record()
    done = threading.Event()
    single: list[Path] = []

    def decide() -> None:
        single.append(write_record(make_record(minutes=500), folder=folder))
        done.set()

    batch_count = 0
    with RecordWriter(folder, fsync=False) as writer:
        other = threading.Thread(target=decide)
        other.start()
        deadline = time.monotonic() + 15
        while not done.is_set() and time.monotonic() < deadline:
            writer.write({**template, "id": f"{batch_count:08x}-1111-4000-8000-000000000000"})
            batch_count += 1
        got_in_during_the_batch = done.is_set()
        for n in range(3):  # and the batch carries on after it
            writer.write({**template, "id": f"{n:08x}-2222-4000-8000-000000000000"})
    other.join()
    assert got_in_during_the_batch
    assert not (folder / store.WAIT_FILE).exists()
    report = verify(folder)
    assert report.ok, report.problems[:3]
    assert report.records == 1 + batch_count + 3 + 1
    position = json.loads(single[0].read_text(encoding="utf-8"))["chain"]["sequence"]
    assert 1 < position < report.records  # between the batch's records, in one unbroken chain


def test_a_waiting_mark_left_by_a_writer_that_died_is_cleared_by_the_batch(folder: Path) -> None:
    fill(folder, 1)
    (folder / store.WAIT_FILE).touch()
    template = make_record()
    with RecordWriter(folder, fsync=False) as writer:
        started = time.monotonic()
        while time.monotonic() - started < 1.6:
            writer.write({**template, "id": f"{writer.count:08x}-3333-4000-8000-000000000000"})
    assert not (folder / store.WAIT_FILE).exists()
    assert verify(folder).ok


def test_records_list_shows_a_record_with_odd_values(folder: Path) -> None:
    from typer.testing import CliRunner

    from sharewise.cli import app

    files = fill(folder, 2)
    rewrite(files[0], lambda r: r.update(outcome={"decision": ["share"]}, case_ref=7, sign_off={"name": ["x"]}))
    result = CliRunner().invoke(app, ["records", "list", str(folder), "--plain"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "['share']" in result.stdout and "2 record(s)." in result.stderr


# -- record files and the folder chain ----------------------------------------------------------------


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
    real = record_writer.find_head
    monkeypatch.setattr(record_writer, "find_head", lambda f: calls.append(f) or real(f))
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
    fail_after_a_partial_write(monkeypatch, keep=100)
    with pytest.raises(WriteFailed):
        write_record(make_record(), out=folder / "rec.json")
    assert list(folder.iterdir()) == []


def test_permission_denied_says_so(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder.mkdir()
    real_open = os.open

    unnamed = getattr(os, "O_TMPFILE", -1)

    def refuse(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if flags & os.O_CREAT or flags & unnamed == unnamed:  # a new file, named or not
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


@pytest.mark.usefixtures("key")
def test_a_signed_folder_refuses_an_unsigned_record(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_folder(folder, 1)
    monkeypatch.delenv("SHAREWISE_SIGNING_KEY")
    with pytest.raises(WriteFailed, match="are signed, so this one must be too"):
        write_record(make_record(minutes=2), folder=folder)
    assert len(records_in(folder)) == 1


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
