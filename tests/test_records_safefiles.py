"""Files replaced in one step (records/safefiles.replace_file) and the drafts that use it (issue 9)."""

from __future__ import annotations

import errno
import os
import stat
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from sharewise.errors import WriteFailed
from sharewise.frontends.drafts import Draft, DraftStore
from sharewise.records.safefiles import replace_file

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=timezone.utc)


def _fail_after_a_partial_write(monkeypatch: pytest.MonkeyPatch) -> None:
    real_write = os.write

    def short_then_fail(fd: int, data: Any) -> int:
        if len(data) > 10:
            return real_write(fd, bytes(data[:10]))  # a partial write, then the disk fills
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "write", short_then_fail)


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
    _fail_after_a_partial_write(monkeypatch)
    with pytest.raises(OSError, match="No space left"):
        replace_file(target, b"a new content longer than ten bytes")
    monkeypatch.undo()
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.json"]


def test_a_draft_save_that_fails_keeps_the_saved_draft(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    drafts = DraftStore(tmp_path / "drafts")
    stamp = NOW.isoformat()
    first = Draft("20261122-090000-abcdef", "t", "T", "1", "ab" * 32, stamp, stamp, {"q": "yes"})
    path = drafts.save(first)
    saved = path.read_bytes()
    _fail_after_a_partial_write(monkeypatch)
    with pytest.raises(WriteFailed, match=r"cannot save the draft in .*drafts: No space left"):
        drafts.save(first.updated({"q": "no"}, NOW, None))
    monkeypatch.undo()
    assert path.read_bytes() == saved
    assert [p.name for p in drafts.folder.iterdir()] == [path.name]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(drafts.folder.stat().st_mode) == 0o700
