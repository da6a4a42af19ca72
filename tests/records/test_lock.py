"""The folder lock's hand-over: a batch lets a waiting writer in between two records (issue 9, 13)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from sharewise.errors import WriteFailed
from sharewise.records import lock as folder_lock
from sharewise.records.lock import WAIT_FILE, FolderLock


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    path = tmp_path / "records"
    path.mkdir()
    return path


def test_a_holder_sees_a_waiting_writer_and_looks_only_now_and_then(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(folder_lock, "_GIVE_WAY_LOOK", 0.0)
    with FolderLock(folder, exclusive=True) as held:
        assert not held.others_waiting()
        (folder / WAIT_FILE).touch()
        assert held.others_waiting()
        monkeypatch.setattr(folder_lock, "_GIVE_WAY_LOOK", 3600.0)
        assert held.others_waiting()  # this look was due; the next is an hour away
        assert not held.others_waiting()


def test_a_waiting_writer_marks_the_folder_and_clears_the_mark_once_it_holds_the_lock(folder: Path) -> None:
    seen: list[bool] = []
    with FolderLock(folder, exclusive=True) as held:
        waiter = FolderLock(folder, exclusive=True, timeout=10)
        thread = threading.Thread(target=lambda: seen.append(waiter.acquire()))
        thread.start()
        deadline = time.monotonic() + 10
        while not (folder / WAIT_FILE).exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert (folder / WAIT_FILE).exists()
        held.release()
        thread.join(10)
    assert seen == [True]
    assert not (folder / WAIT_FILE).exists()
    waiter.release()


def test_hand_over_lets_the_waiting_writer_finish_first_and_takes_the_lock_back(folder: Path) -> None:
    order: list[str] = []
    waiter = FolderLock(folder, exclusive=True, timeout=10)

    def wait_then_write() -> None:
        waiter.acquire()
        order.append("waiter wrote")
        time.sleep(0.1)
        waiter.release()

    with FolderLock(folder, exclusive=True) as batch:
        thread = threading.Thread(target=wait_then_write)
        thread.start()
        deadline = time.monotonic() + 10
        while not (folder / WAIT_FILE).exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        batch.hand_over()
        order.append("batch carried on")
        with pytest.raises(WriteFailed, match="locked by another sharewise process"):
            FolderLock(folder, exclusive=True, timeout=0.05).acquire()  # the batch holds it again
        thread.join(10)
    assert order == ["waiter wrote", "batch carried on"]
    assert not (folder / WAIT_FILE).exists()


def test_hand_over_with_nobody_waiting_keeps_the_lock(folder: Path) -> None:
    with FolderLock(folder, exclusive=True) as batch:
        batch.hand_over()
        with pytest.raises(WriteFailed):
            FolderLock(folder, exclusive=True, timeout=0.05).acquire()
