"""records.safefiles.NewFiles: a new file is whole or absent, 0600, never over another, whether it is
made unnamed (O_TMPFILE, then linked to its name) or, where that is refused, through a temporary
name; and a batch's files are flushed without ``sync`` (issue 13)."""

from __future__ import annotations

import errno
import json
import os
import signal
import stat
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sharewise.errors import WriteFailed
from sharewise.records import safefiles
from sharewise.records.safefiles import NewFiles, write_new_file
from sharewise.records.store import HEAD_FILE, LOCK_FILE, RecordWriter, write_record
from tests.helpers import fail_after_a_partial_write, make_record, records_in, verify

ROOT = Path(__file__).resolve().parents[2]
O_TMPFILE = getattr(os, "O_TMPFILE", None)


def _unnamed_works(folder: Path) -> bool:
    if O_TMPFILE is None or not safefiles._tmpfile_possible():
        return False
    try:
        os.close(os.open(folder, O_TMPFILE | os.O_WRONLY, 0o600))
    except OSError:
        return False
    return True


@pytest.fixture
def here(tmp_path: Path) -> Path:
    folder = tmp_path / "files"
    folder.mkdir()
    return folder


@pytest.fixture
def unnamed(here: Path) -> Path:
    """A folder where O_TMPFILE works (skips where it does not: another system or file system)."""
    if not _unnamed_works(here):
        pytest.skip("O_TMPFILE is not available here")
    return here


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Each file-making call, by kind: "unnamed" (O_TMPFILE), "create" (O_CREAT), "link", "unlink"."""
    seen: list[str] = []
    real_open, real_link, real_unlink = os.open, os.link, os.unlink

    def opening(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if O_TMPFILE is not None and flags & O_TMPFILE == O_TMPFILE:
            seen.append("unnamed")
        elif flags & os.O_CREAT:
            seen.append("create")
        return real_open(path, flags, *args, **kwargs)

    def linking(*args: Any, **kwargs: Any) -> None:
        seen.append("link")
        real_link(*args, **kwargs)

    def unlinking(*args: Any, **kwargs: Any) -> None:
        seen.append("unlink")
        real_unlink(*args, **kwargs)

    real_linkat = safefiles._libc_linkat()

    def linking_by_fd(*args: Any) -> int:  # a batch's files are linked through their descriptor
        seen.append("link")
        return real_linkat(*args) if real_linkat is not None else -1

    monkeypatch.setattr(os, "open", opening)
    monkeypatch.setattr(os, "link", linking)
    monkeypatch.setattr(os, "unlink", unlinking)
    monkeypatch.setattr(safefiles, "_libc_linkat", lambda: linking_by_fd if real_linkat is not None else None)
    yield seen


def refuse_unnamed(monkeypatch: pytest.MonkeyPatch, code: int = errno.EOPNOTSUPP) -> list[int]:
    """Make opening with O_TMPFILE fail with ``code`` (as a file system without it does); counts tries."""
    tries: list[int] = []
    real_open = os.open

    def opening(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if O_TMPFILE is not None and flags & O_TMPFILE == O_TMPFILE:
            tries.append(flags)
            raise OSError(code, os.strerror(code))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", opening)
    return tries


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def _fresh_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test finds out afresh which way each folder takes."""
    monkeypatch.setattr(safefiles, "_NO_TMPFILE", set())
    monkeypatch.setattr(safefiles, "_NO_LINKS", set())


# -- the unnamed way ---------------------------------------------------------------------------------


@pytest.mark.parametrize("umask", [0o000, 0o022, 0o077])
def test_an_unnamed_file_is_linked_whole_and_0600_whatever_the_umask(
    unnamed: Path, calls: list[str], umask: int
) -> None:
    old = os.umask(umask)
    try:
        with NewFiles(unnamed) as files:
            files.create("a.json", b"first", fsync=True)
            files.create("b.json", b"second" * 1000, fsync=False)
    finally:
        os.umask(old)
    assert calls == ["unnamed", "link", "unnamed", "link"]  # no temporary name, nothing to remove
    assert (unnamed / "a.json").read_bytes() == b"first"
    assert (unnamed / "b.json").read_bytes() == b"second" * 1000
    assert sorted(p.name for p in unnamed.iterdir()) == ["a.json", "b.json"]
    assert {mode(p) for p in unnamed.iterdir()} == {0o600}


def test_an_unnamed_file_never_replaces_one_of_the_same_name(unnamed: Path, calls: list[str]) -> None:
    target = unnamed / "taken.json"
    target.write_bytes(b"the original")
    target.chmod(0o640)
    before = target.stat()
    with NewFiles(unnamed) as files, pytest.raises(FileExistsError):
        files.create("taken.json", b"an impostor", fsync=True)
    assert calls == ["unnamed", "link"]
    after = target.stat()
    assert target.read_bytes() == b"the original"
    assert (after.st_ino, after.st_mtime_ns, mode(target)) == (before.st_ino, before.st_mtime_ns, 0o640)
    assert [p.name for p in unnamed.iterdir()] == ["taken.json"]  # and the unnamed file is gone


def _linkat_refused(monkeypatch: pytest.MonkeyPatch, code: int) -> list[bytes]:
    """Make linkat with AT_EMPTY_PATH fail with ``code``, as a kernel that wants a privilege for it does."""
    import ctypes

    tried: list[bytes] = []

    def refusing(*args: Any) -> int:  # (fd, "", dirfd, name, flags)
        tried.append(args[3])
        ctypes.set_errno(code)
        return -1

    monkeypatch.setattr(safefiles, "_libc_linkat", lambda: refusing)
    return tried


@pytest.mark.parametrize("code", [errno.ENOENT, errno.EPERM, errno.EINVAL])
def test_a_batch_links_through_proc_where_linking_by_descriptor_is_refused(
    unnamed: Path, monkeypatch: pytest.MonkeyPatch, code: int
) -> None:
    tried = _linkat_refused(monkeypatch, code)
    with NewFiles(unnamed) as files:
        for n in range(3):
            files.create(f"{n}.json", b"record %d" % n, fsync=False)
        files.flush()
    assert tried == [b"0.json"]  # asked once, then never again for this folder
    assert sorted(p.name for p in unnamed.iterdir()) == ["0.json", "1.json", "2.json"]
    assert (unnamed / "2.json").read_bytes() == b"record 2"
    assert {mode(p) for p in unnamed.iterdir()} == {0o600}


def test_a_batch_file_linked_by_descriptor_never_replaces_one_of_the_same_name(unnamed: Path) -> None:
    if safefiles._libc_linkat() is None:  # pragma: no cover - Linux has it
        pytest.skip("no linkat in the C library")
    target = unnamed / "taken.json"
    target.write_bytes(b"the original")
    with NewFiles(unnamed) as files:
        files.create("first.json", b"a batch's first", fsync=False)
        with pytest.raises(FileExistsError):
            files.create("taken.json", b"an impostor", fsync=False)
    assert target.read_bytes() == b"the original"
    assert sorted(p.name for p in unnamed.iterdir()) == ["first.json", "taken.json"]


def test_a_single_record_never_loads_the_c_library_to_link(unnamed: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tried = _linkat_refused(monkeypatch, errno.ENOENT)
    with NewFiles(unnamed) as files:
        files.create("one.json", b"one decision", fsync=True)
    assert tried == []
    assert (unnamed / "one.json").read_bytes() == b"one decision"


def test_an_unnamed_file_that_cannot_be_written_whole_leaves_nothing(
    unnamed: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fail_after_a_partial_write(monkeypatch)
    with NewFiles(unnamed) as files, pytest.raises(WriteFailed, match=r"the disk is full .*; nothing was written"):
        files.create("a.json", b"more than ten bytes of record", fsync=True)
    monkeypatch.undo()
    assert list(unnamed.iterdir()) == []


def test_write_new_file_takes_the_unnamed_way(unnamed: Path, calls: list[str]) -> None:
    target = unnamed / "key.pem"
    assert write_new_file(target, b"secret") == target
    assert calls == ["unnamed", "link"]
    assert target.read_bytes() == b"secret" and mode(target) == 0o600
    with pytest.raises(FileExistsError):
        write_new_file(target, b"other")
    assert target.read_bytes() == b"secret"


# -- falling back -----------------------------------------------------------------------------------


@pytest.mark.parametrize("code", [errno.EOPNOTSUPP, errno.EISDIR, errno.EINVAL], ids=errno.errorcode.get)
def test_where_o_tmpfile_is_refused_files_go_through_a_temporary_name_and_that_is_remembered(
    here: Path, monkeypatch: pytest.MonkeyPatch, code: int
) -> None:
    monkeypatch.setattr(safefiles, "_tmpfile_possible", lambda: True)  # as on Linux, whatever this system is
    tries = refuse_unnamed(monkeypatch, code)
    old = os.umask(0)
    try:
        for n in range(3):
            with NewFiles(here) as files:
                files.create(f"{n}.json", b"record %d" % n, fsync=n == 0)
                files.create(f"{n}b.json", b"more", fsync=False)
    finally:
        os.umask(old)
    assert len(tries) == 1  # tried once for the folder, then remembered
    assert here in safefiles._NO_TMPFILE
    assert sorted(p.name for p in here.iterdir()) == sorted(
        [f"{n}.json" for n in range(3)] + [f"{n}b.json" for n in range(3)]
    )
    assert (here / "2.json").read_bytes() == b"record 2"
    assert {mode(p) for p in here.iterdir()} == {0o600}


def test_the_way_through_a_temporary_name_never_replaces_a_file_either(
    here: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(safefiles, "_tmpfile_possible", lambda: False)  # another system: no O_TMPFILE
    target = here / "taken.json"
    target.write_bytes(b"the original")
    before = target.stat()
    with NewFiles(here) as files, pytest.raises(FileExistsError):
        files.create("taken.json", b"an impostor", fsync=True)
    assert target.read_bytes() == b"the original" and target.stat().st_ino == before.st_ino
    assert [p.name for p in here.iterdir()] == ["taken.json"]  # the temporary file is removed


def test_without_proc_to_link_through_the_file_is_made_the_other_way(
    unnamed: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_link = os.link
    refused: list[str] = []

    def no_proc(src: Any, dst: Any, **kwargs: Any) -> None:
        if str(src).startswith("/proc/"):
            refused.append(str(dst))
            raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT))
        real_link(src, dst, **kwargs)

    monkeypatch.setattr(os, "link", no_proc)
    with NewFiles(unnamed) as files:
        files.create("a.json", b"one", fsync=True)
        files.create("b.json", b"two", fsync=True)
    assert refused == ["a.json"]  # once, then the folder is known
    assert sorted(p.name for p in unnamed.iterdir()) == ["a.json", "b.json"]
    assert (unnamed / "a.json").read_bytes() == b"one" and mode(unnamed / "a.json") == 0o600


def test_a_full_disk_is_reported_as_before_and_not_taken_for_a_missing_feature(
    here: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(safefiles, "_tmpfile_possible", lambda: True)
    tries = refuse_unnamed(monkeypatch, errno.ENOSPC)
    fail_after_a_partial_write(monkeypatch)  # and the other way finds the disk full too
    with NewFiles(here) as files, pytest.raises(WriteFailed) as caught:
        files.create("a.json", b"more than ten bytes of record", fsync=True)
    assert str(caught.value) == (
        f"cannot write the record to {here}: the disk is full (or your quota is used up); nothing was written"
    )
    assert tries and here not in safefiles._NO_TMPFILE
    monkeypatch.undo()
    assert list(here.iterdir()) == []


# -- flushing a batch ---------------------------------------------------------------------------------


def _no_sync(monkeypatch: pytest.MonkeyPatch) -> None:
    def sync() -> None:
        raise AssertionError("os.sync flushes every file system on the machine")

    monkeypatch.setattr(os, "sync", sync, raising=False)


def test_a_batch_is_flushed_with_syncfs_on_its_own_file_system_never_sync(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _no_sync(monkeypatch)
    flushed: list[int] = []
    monkeypatch.setattr(safefiles, "_SYNCFS", [lambda fd: flushed.append(fd) or 0])
    template = make_record()
    with RecordWriter(folder, fsync=False) as writer:
        for n in range(5):
            writer.write({**template, "id": f"{n:08x}-0000-4000-8000-000000000000"})
    assert len(flushed) == 1
    assert len(records_in(folder)) == 5 and verify(folder).ok


def test_without_syncfs_each_file_of_a_batch_is_flushed_then_the_folder(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _no_sync(monkeypatch)
    monkeypatch.setattr(safefiles, "_SYNCFS", [None])  # not Linux
    monkeypatch.setattr(safefiles, "_UNSYNCED_AT_MOST", 4)  # names kept at most: memory stays flat
    flushed: list[str] = []
    real_fsync = os.fsync

    proc = Path("/proc/self/fd")

    def fsync(fd: int) -> None:
        flushed.append(str((proc / str(fd)).readlink()) if proc.is_dir() else str(fd))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    template = make_record()
    with RecordWriter(folder, fsync=False) as writer:
        for n in range(6):
            writer.write({**template, "id": f"{n:08x}-0000-4000-8000-000000000000"})
        assert writer._files is not None
        assert len(writer._files._unsynced or []) == 2  # the first four were flushed when the list was full
    files = records_in(folder)
    assert len(files) == 6 and verify(folder).ok
    if proc.is_dir():
        assert {str(p) for p in files} <= set(flushed)
        assert flushed.count(str(folder)) >= 2  # the folder after each group of files


# -- a crash mid-batch, the other way -------------------------------------------------------------------

BATCH = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    sys.path.insert(0, {root!r})
    from tests.helpers import make_record
    from sharewise.records import safefiles
    from sharewise.records.store import RecordWriter

    safefiles._tmpfile_possible = lambda: {unnamed!r}
    template = make_record()
    with RecordWriter(Path(sys.argv[1]), fsync=False) as writer:
        n = 0
        while True:
            writer.write({{**template, "id": f"{{n:08x}}-0000-4000-8000-000000000000"}})
            n += 1
    """
)


@pytest.mark.parametrize("way", ["unnamed", "temporary name"])
def test_a_batch_killed_mid_write_either_way_leaves_a_chain_that_verifies_after_the_next_write(
    folder: Path, tmp_path: Path, way: str
) -> None:
    if way == "unnamed" and not _unnamed_works(tmp_path):
        pytest.skip("O_TMPFILE is not available here")
    script = tmp_path / "batch.py"
    script.write_text(BATCH.format(root=str(ROOT), unnamed=way == "unnamed"), encoding="utf-8")
    proc = subprocess.Popen([sys.executable, str(script), str(folder)], env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        deadline = time.monotonic() + 60
        while len(records_in(folder)) < 200 and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    count = len(records_in(folder))
    assert count >= 200
    leftovers = {p.name for p in folder.iterdir()} - {p.name for p in records_in(folder)} - {HEAD_FILE, LOCK_FILE}
    assert all(name.endswith(".tmp") for name in leftovers)  # at most a hidden temporary file, never a record
    if way == "unnamed":
        assert not leftovers  # nothing at all: an unlinked file vanishes with the process
    path = write_record(make_record(minutes=30), folder=folder)
    assert json.loads(path.read_text(encoding="utf-8"))["chain"]["sequence"] == count + 1
    report = verify(folder)
    assert report.ok, report.problems[:3]


@pytest.mark.parametrize("way", ["unnamed", "temporary name"])
def test_a_record_whose_name_is_taken_gets_another_and_the_first_is_untouched(
    folder: Path, monkeypatch: pytest.MonkeyPatch, way: str
) -> None:
    if way == "unnamed":
        folder.mkdir()
        if not _unnamed_works(folder):
            pytest.skip("O_TMPFILE is not available here")
    else:
        monkeypatch.setattr(safefiles, "_tmpfile_possible", lambda: False)
    record = make_record()  # the same id and time twice: the same file name
    with RecordWriter(folder, fsync=False) as writer:
        first = writer.write(dict(record))
        before = first.read_bytes()
        second = writer.write(dict(record))
    assert first != second and second.name.startswith(first.name.removesuffix(".json") + "-")
    assert first.read_bytes() == before
    assert json.loads(second.read_bytes())["chain"]["sequence"] == 2
    assert len(records_in(folder)) == 2 and verify(folder).ok


@pytest.mark.skipif(safefiles._syncfs() is None, reason="needs Linux's syncfs")
def test_a_long_batch_starts_flushing_early_and_the_last_flush_waits_for_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(safefiles, "EARLY_FLUSH_FILES", 3)
    calls: list[str] = []
    real = NewFiles._syncfs

    def noting(self: NewFiles) -> bool:
        time.sleep(0.05)  # a slow disk: the files go on being made meanwhile
        calls.append("flushed")
        return real(self)

    monkeypatch.setattr(NewFiles, "_syncfs", noting)
    folder = tmp_path / "records"
    folder.mkdir()
    with NewFiles(folder) as files:
        for n in range(7):
            files.create(f"{n}.json", b"{}\n", fsync=False)
        files.flush()
        # one early flush (the second was due while the first still ran), then the last one,
        # which waited for it: nothing is still flushing once flush() returns
        assert calls == ["flushed", "flushed"]
        assert files._flushing is None
    assert sorted(p.name for p in folder.iterdir()) == [f"{n}.json" for n in range(7)]


def test_a_disk_error_in_the_last_flush_is_reported_not_swallowed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """syncfs that runs and fails (a write-back error) means the records may not be on the disk: say so."""
    folder = tmp_path / "records"
    write_record(make_record(case_ref="CASE-0"), folder=folder)  # a head on disk, trusted till now
    monkeypatch.setattr(safefiles, "_syncfs", lambda: _failing_syncfs)
    with pytest.raises(WriteFailed) as caught, RecordWriter(folder, fsync=False) as writer:
        for n in range(3):
            writer.write(make_record(case_ref=f"CASE-{n + 1}", minutes=n + 1))
    message = str(caught.value)
    assert message.startswith("the 3 record(s) written in this run")
    assert "may not all be on the disk" in message and "records verify" in message
    head = json.loads((folder / HEAD_FILE).read_text(encoding="utf-8"))
    assert head.get("pending") is True  # so the next writer reads the records rather than trust the head
    assert len(records_in(folder)) == 4


def _failing_syncfs(_fd: int) -> int:
    return -1


def test_a_batch_file_name_with_a_null_byte_is_refused_not_cut_short(unnamed: Path) -> None:
    with NewFiles(unnamed) as files, pytest.raises(ValueError, match="null byte"):
        files.create("x.json\0evil", b"a record", fsync=False)
    assert list(unnamed.iterdir()) == []
