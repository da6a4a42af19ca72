"""records.folder.record_names and the store's names(): the compact, sorted list ``records list`` reads.

The names must come out exactly as ``sorted()`` puts them (the order of ``record_files``), however
they are split into sorted runs, and listing must behave as it did with a plain list.
"""

from __future__ import annotations

import json
import os
import random
from pathlib import Path
from typing import Any

import pytest

from sharewise.records import store
from sharewise.records.folder import record_files, record_names
from sharewise.records.query import record_row, record_rows
from sharewise.records.store import LOCK_FILE, RecordWriter, open_store, write_record
from tests.helpers import fill, make_record, records_in

AWKWARD = [
    "a.json",
    "a-b.json",  # "-" sorts before ".", so this comes first although "a" is its start
    "a.json.json",
    "A.json",
    "aa.json",
    "Z.json",
    "0.json",
    "20261122T013000+0000-1a2b3c4d.json",
    "20261122T013000-0500-1a2b3c4d.json",
    "20261122T013000+0000-1a2b3c4d-copy.json",
    "with space.json",
    "new\nline.json",
    "tab\there.json",
    "café.json",  # Latin-1 range
    "cafe\u0301.json",  # a combining accent: a different name from the one above
    "日本語.json",
    "\U0001f4c1 folder.json",  # beyond the BMP
    "~tilde.json",
    "x" * 200 + ".json",
    "x.json",
]
IGNORED = [".hidden.json", "notes.txt", "record.JSON", "record.json~"]


def _touch(folder: Path, names: list[str]) -> None:
    folder.mkdir(exist_ok=True)
    for name in names:
        (folder / name).write_bytes(b"{}")


@pytest.mark.parametrize("chunk", [1, 2, 3, 7, 4096])
def test_names_come_out_as_sorted_puts_them_however_they_are_chunked(tmp_path: Path, chunk: int) -> None:
    folder = tmp_path / "records"
    _touch(folder, AWKWARD + IGNORED)
    (folder / "sub.json").mkdir()  # a folder, not a record
    (folder / "link.json").symlink_to(folder / "a.json")  # never followed
    names = record_names(folder, chunk=chunk)
    assert list(names) == sorted(AWKWARD) == record_files(folder)
    assert list(names) == sorted(AWKWARD)  # each iteration starts again
    assert len(names) == len(AWKWARD) and names


def test_a_name_that_is_not_utf8_on_disk_comes_back_as_scandir_gave_it(tmp_path: Path) -> None:
    folder = tmp_path / "records"
    _touch(folder, ["b.json", "\u00ff.json", "z.json"])
    undecodable = os.fsdecode(b"\xff\xfe.json")  # lone surrogates, which sort after every other character here
    try:
        (folder / undecodable).write_bytes(b"")
    except OSError:  # pragma: no cover - a file system that insists on UTF-8 names
        pytest.skip("this file system refuses a name that is not UTF-8")
    expected = sorted(["b.json", "\u00ff.json", "z.json", undecodable])
    for chunk in (1, 2, 4096):
        names = list(record_names(folder, chunk=chunk))
        assert names == expected == record_files(folder)
    assert (folder / names[-1]).read_bytes() == b""  # the name still opens the file


def test_thousands_of_names_in_many_runs_merge_into_sorted_order(tmp_path: Path) -> None:
    folder = tmp_path / "records"
    pick = random.Random(13)
    names = {
        f"2026{pick.randrange(1, 13):02d}{pick.randrange(1, 29):02d}T{pick.randrange(24):02d}0000"
        f"{pick.choice('+-')}0{pick.randrange(10)}00-{pick.getrandbits(32):08x}{pick.choice(['', '-2', 'é', 'x' * 40])}.json"
        for _ in range(3000)
    }
    names |= {f"{n}.json" for n in range(0, 3000, 7)}  # short names that sort before the stamped ones
    _touch(folder, sorted(names))
    for chunk in (1, 37, 500, 10_000):
        listed = record_names(folder, chunk=chunk)
        assert len(listed) == len(names)
        assert list(listed) == sorted(names)


def test_a_folder_that_is_not_there_has_no_names(tmp_path: Path) -> None:
    names = record_names(tmp_path / "missing")
    assert list(names) == [] and len(names) == 0 and not names
    assert list(open_store(tmp_path / "missing").names()) == []


@pytest.mark.skipif(os.name != "posix", reason="flock")
def test_the_store_reads_the_names_under_the_shared_lock_and_lets_it_go(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import fcntl

    fill(folder, 3)
    seen: list[bool] = []
    real = store.record_names

    def exclusive_is_refused() -> bool:
        fd = os.open(folder / LOCK_FILE, os.O_RDONLY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        finally:
            os.close(fd)
        return False

    def watched(path: Path, **kwargs: Any) -> Any:
        seen.append(exclusive_is_refused())  # a writer cannot get in while the names are read
        return real(path, **kwargs)

    monkeypatch.setattr(store, "record_names", watched)
    names = open_store(folder).names()
    assert seen == [True]
    assert not exclusive_is_refused()  # ... and can once they have been read
    assert list(names) == [p.name for p in records_in(folder)]


def test_a_record_removed_or_added_while_listing_is_skipped_or_left_out(folder: Path) -> None:
    files = fill(folder, 6)
    skipped: list[tuple[Path, str]] = []
    rows = record_rows(open_store(folder), skipped=lambda path, exc: skipped.append((path, str(exc))))
    first = next(rows)
    files[3].unlink()  # removed after the names were read
    added = write_record(make_record(minutes=900), folder=folder)  # a writer is not held up by a listing
    rest = list(rows)
    assert [first["file"], *(r["file"] for r in rest)] == [p.name for p in files if p != files[3]]
    assert added.name not in {r["file"] for r in rest}  # not in the view the listing took
    assert skipped == [(files[3], f"[Errno 2] No such file or directory: '{files[3]}'")]


def test_a_skipped_record_in_a_relative_folder_is_named_as_before(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = fill(folder, 2)
    monkeypatch.chdir(folder)
    messages: list[str] = []
    rows = record_rows(open_store(Path()), skipped=lambda path, exc: messages.append(f"{path}: {exc}"))
    assert next(rows)["file"] == files[0].name
    files[1].unlink()
    assert list(rows) == []
    name = files[1].name  # "./" is not put before it: the message is the one a Path made
    assert messages == [f"{name}: [Errno 2] No such file or directory: '{name}'"]


def test_records_list_over_thousands_of_records_prints_what_it_did_before(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import functools

    from typer.testing import CliRunner

    from sharewise.cli import app

    template = make_record()
    pick = random.Random(7)
    with RecordWriter(folder, fsync=False) as writer:  # ids in no order, so the folder's own order is not sorted
        for n in range(3000):
            writer.write({**template, "id": f"{pick.getrandbits(32):08x}-{n:04x}-4000-8000-000000000000"})
    (folder / "20261122T093000+0000-0damaged.json").write_text("{not json", encoding="utf-8")
    names = sorted(path.name for path in folder.iterdir() if not path.name.startswith("."))
    monkeypatch.setattr(store, "record_names", functools.partial(record_names, chunk=128))  # 24 runs
    expected = [record_row(name, json.loads(path.read_bytes())) for name in names if "damaged" not in name
                for path in [folder / name]]  # fmt: skip
    runner = CliRunner()
    listed = runner.invoke(app, ["records", "list", str(folder), "--json"])
    assert listed.exit_code == 0, listed.output
    assert listed.stdout == json.dumps(expected, ensure_ascii=False, indent=2) + "\n"  # every byte as before
    assert listed.stderr.startswith(f"sharewise: skipped {folder / '20261122T093000+0000-0damaged.json'}: ")
    plain = runner.invoke(app, ["records", "list", str(folder), "--plain"])
    lines = plain.stdout.splitlines()
    assert lines[0].split("\t")[0] == "date"
    assert [line.split("\t")[-1] for line in lines[1:]] == [row["file"] for row in expected]
    assert "3000 record(s)." in plain.stderr
