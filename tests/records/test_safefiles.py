"""records.safefiles: every folder sharewise makes is private (0700), whatever the umask; a file is
replaced in one step, whole or not at all."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from sharewise.records.safefiles import make_private_folder, replace_file
from sharewise.records.store import write_record
from tests.helpers import fail_after_a_partial_write, make_record, records_in


def test_every_folder_made_is_0700_under_umask_000(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        write_record(make_record(), folder=tmp_path / "data" / "sharewise" / "records")
        make_private_folder(tmp_path / "state" / "sharewise" / "drafts")
        from sharewise.records.signing import generate_key

        generate_key(tmp_path / "config" / "sharewise" / "keys" / "me.pem")
    finally:
        os.umask(old)
    made = [p for p in tmp_path.rglob("*") if p.is_dir()]
    assert len(made) == 9
    assert {str(p.relative_to(tmp_path)): oct(stat.S_IMODE(p.stat().st_mode)) for p in made} == {
        str(p.relative_to(tmp_path)): "0o700" for p in made
    }
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in records_in(tmp_path / "data" / "sharewise" / "records"))


def test_a_replaced_file_is_whole_and_owner_only_whatever_the_umask(tmp_path: Path) -> None:
    target = tmp_path / "file.json"
    target.write_bytes(b"old")
    target.chmod(0o644)
    previous = os.umask(0)
    try:
        replace_file(target, b"new content")
    finally:
        os.umask(previous)
    assert target.read_bytes() == b"new content"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.json"]


def test_a_failed_replacement_leaves_the_old_file_and_no_temporary_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "file.json"
    target.write_bytes(b"old")
    fail_after_a_partial_write(monkeypatch)
    with pytest.raises(OSError, match="No space left"):
        replace_file(target, b"a new content longer than ten bytes")
    monkeypatch.undo()
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.json"]
