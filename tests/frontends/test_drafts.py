"""Drafts on disk: where they live, who can read them, and that a save is all or nothing."""

from __future__ import annotations

import json
import stat
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from sharewise.errors import UsageError, WriteFailed
from sharewise.frontends.drafts import Draft, DraftStore, default_drafts_dir, new_draft_id
from tests.helpers import fail_after_a_partial_write

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=timezone.utc)


def draft(answers: dict[str, str | list[str]], at: datetime = NOW, draft_id: str | None = None) -> Draft:
    stamp = at.isoformat()
    return Draft(
        draft_id or new_draft_id(at), "when-to-share", "When to share", "1.0", "ab" * 32, stamp, stamp, answers
    )


def test_the_folder_is_under_xdg_state_home(tmp_path: Path) -> None:
    assert default_drafts_dir() == tmp_path / "state" / "sharewise" / "drafts"


def test_sharewise_drafts_dir_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHAREWISE_DRAFTS_DIR", str(tmp_path / "mine"))
    assert DraftStore().folder == tmp_path / "mine"


def test_without_xdg_the_folder_is_under_home(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("XDG_STATE_HOME")
    assert default_drafts_dir() == Path.home() / ".local" / "state" / "sharewise" / "drafts"


def test_a_draft_round_trips_and_is_owner_only(tmp_path: Path) -> None:
    store = DraftStore(tmp_path / "drafts")
    saved = draft({"trigger": "request", "recipients": ["police", "school"]})
    path = store.save(saved)
    assert store.load(saved.id) == saved
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(store.folder.stat().st_mode) == 0o700
    assert json.loads(path.read_text(encoding="utf-8"))["format"] == "sharewise-draft/1"


def test_saving_again_replaces_the_draft_and_leaves_no_temporary_files(tmp_path: Path) -> None:
    store = DraftStore(tmp_path / "drafts")
    first = draft({"trigger": "request"})
    store.save(first)
    store.save(first.updated({"trigger": "request", "urgent": "no"}, NOW + timedelta(minutes=1), "REF-1"))
    assert [p.name for p in store.folder.iterdir()] == [f"{first.id}.json"]
    assert store.load(first.id).answers == {"trigger": "request", "urgent": "no"}
    assert store.load(first.id).case_ref == "REF-1"


def test_a_folder_others_can_read_is_tightened(tmp_path: Path) -> None:
    folder = tmp_path / "drafts"
    folder.mkdir(mode=0o755)
    DraftStore(folder).save(draft({}))
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700


def test_drafts_are_listed_newest_first_and_unreadable_files_are_skipped(tmp_path: Path) -> None:
    store = DraftStore(tmp_path / "drafts")
    old = draft({"a": "1"}, NOW)
    new = draft({"a": "2"}, NOW + timedelta(hours=1))
    store.save(old)
    store.save(new)
    (store.folder / "broken.json").write_text("{not json", encoding="utf-8")
    (store.folder / "other.json").write_text('{"format": "something-else"}', encoding="utf-8")
    assert [d.id for d in store.saved()] == [new.id, old.id]


def test_delete_removes_the_draft_and_ignores_one_already_gone(tmp_path: Path) -> None:
    store = DraftStore(tmp_path / "drafts")
    saved = draft({})
    store.save(saved)
    store.delete(saved.id)
    store.delete(saved.id)
    assert store.saved() == []


def test_unknown_and_malformed_ids_are_usage_errors(tmp_path: Path) -> None:
    store = DraftStore(tmp_path / "drafts")
    with pytest.raises(UsageError, match="no draft called"):
        store.load("20260101-000000-abcdef")
    with pytest.raises(UsageError, match="is not a draft id"):
        store.load("../../etc/passwd")


def test_a_failed_save_says_so_and_leaves_nothing(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("", encoding="utf-8")
    with pytest.raises(WriteFailed, match="cannot create the drafts folder"):
        DraftStore(blocker / "drafts").save(draft({}))


_NOW = datetime(2026, 11, 22, 9, 0, tzinfo=timezone.utc)


def test_a_draft_save_that_fails_keeps_the_saved_draft(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    drafts = DraftStore(tmp_path / "drafts")
    stamp = _NOW.isoformat()
    first = Draft("20261122-090000-abcdef", "t", "T", "1", "ab" * 32, stamp, stamp, {"q": "yes"})
    path = drafts.save(first)
    saved = path.read_bytes()
    fail_after_a_partial_write(monkeypatch)
    with pytest.raises(WriteFailed, match=r"cannot save the draft in .*drafts: No space left"):
        drafts.save(first.updated({"q": "no"}, _NOW, None))
    monkeypatch.undo()
    assert path.read_bytes() == saved
    assert [p.name for p in drafts.folder.iterdir()] == [path.name]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(drafts.folder.stat().st_mode) == 0o700
