"""The records folder's lock (``.sharewise.lock``), and how a long batch hands it to a waiting writer.

Writers hold the lock exclusively while they write, so two processes never fork the chain or lose
a record; readers that verify take it shared, only while they list the folder. A writer kept
waiting says so in ``.sharewise-waiting``; a batch holding the lock looks for that mark a few
times a second (:meth:`FolderLock.others_waiting`) and hands the lock over between two records
(:meth:`FolderLock.hand_over`), so a one-record decide is not stuck behind a batch of thousands.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import sys
import time
from pathlib import Path

from sharewise.errors import WriteFailed
from sharewise.records.folder import NOFOLLOW, NONBLOCK
from sharewise.records.safefiles import unlink_quietly

__all__ = ["LOCK_FILE", "LOCK_TIMEOUT", "WAIT_FILE", "FolderLock"]

LOCK_FILE = ".sharewise.lock"
LOCK_TIMEOUT = 120.0  # seconds to wait for another writer (a big batch) before giving up
_LOCK_POLL = 0.02
WAIT_FILE = ".sharewise-waiting"  # a writer waiting for the lock says so here; a batch gives way
_GIVE_WAY_LOOK = 0.2  # how often (seconds) a batch looks for a waiting writer
_GIVE_WAY_PAUSE = 1.0  # how long it leaves the lock free for one


class FolderLock:
    """An advisory lock on a records folder: exclusive for writers, shared for readers that verify.

    ``fcntl.flock`` on ``.sharewise.lock`` (``msvcrt`` on Windows, exclusive only). The lock goes
    with the open file, so a process that dies releases it.
    """

    def __init__(self, folder: Path, *, exclusive: bool, timeout: float = LOCK_TIMEOUT) -> None:
        self.folder = folder
        self.exclusive = exclusive
        self.timeout = timeout
        self._fd: int | None = None
        self._look_at = time.monotonic() + _GIVE_WAY_LOOK

    def acquire(self) -> bool:
        """Take the lock. A reader never creates the lock file: with none (a folder no writer has
        used, or a read-only copy) it returns False and reads unlocked."""
        fd = self._open()
        if fd is None:
            return False
        deadline = time.monotonic() + self.timeout
        waiting = self.folder / WAIT_FILE
        while True:
            try:
                _lock_fd(fd, self.exclusive)
                break
            except BlockingIOError:
                if self.exclusive:  # ask a batch holding the lock to give way (see others_waiting)
                    _touch(waiting)
                if time.monotonic() > deadline:
                    os.close(fd)
                    unlink_quietly(waiting)
                    raise WriteFailed(
                        f"the records folder {self.folder} has been locked by another sharewise process for over "
                        f"{self.timeout:.0f} seconds; try again when it has finished"
                    ) from None
                time.sleep(_LOCK_POLL)
            except OSError as exc:
                os.close(fd)
                raise WriteFailed(f"cannot lock the records folder {self.folder}: {exc.strerror or exc}") from exc
        if self.exclusive:
            unlink_quietly(waiting)  # another writer still waiting puts it back within a poll
        self._fd = fd
        return True

    def _open(self) -> int | None:
        """The lock file, opened (created, for a writer); None for a reader when there is none."""
        path = self.folder / LOCK_FILE
        flags = (os.O_RDWR | os.O_CREAT if self.exclusive else os.O_RDONLY) | NOFOLLOW | NONBLOCK
        try:
            fd = os.open(path, flags, 0o600)  # never through a symbolic link, never blocked by a FIFO
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                os.close(fd)
                raise OSError(errno.EINVAL, "it is not a regular file")
        except OSError as exc:
            if not self.exclusive:
                return None
            reason = "it is a symbolic link; remove it" if exc.errno == errno.ELOOP else exc.strerror or exc
            raise WriteFailed(f"cannot lock the records folder {self.folder} ({LOCK_FILE}: {reason})") from exc
        return fd

    def release(self) -> None:
        if self._fd is not None:
            try:
                _unlock_fd(self._fd)
            finally:
                os.close(self._fd)
                self._fd = None

    def others_waiting(self) -> bool:
        """Whether another writer is waiting for the folder; looks at most every few tenths of a second."""
        now = time.monotonic()
        if now < self._look_at:
            return False
        self._look_at = now + _GIVE_WAY_LOOK
        return os.path.lexists(self.folder / WAIT_FILE)

    def hand_over(self) -> None:
        """Release the lock, leave it free for a waiting writer, then take it again; raises
        :class:`WriteFailed` when it cannot be taken again. The waiter removes its mark once it
        holds the lock, so taking it again waits for the waiter to finish."""
        self.release()
        waiting = self.folder / WAIT_FILE
        until = time.monotonic() + _GIVE_WAY_PAUSE
        while os.path.lexists(waiting) and time.monotonic() < until:
            time.sleep(_LOCK_POLL / 2)
        self.acquire()  # (and clears a waiting mark left by a writer that died)

    def __enter__(self) -> FolderLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _lock_fd(fd: int, exclusive: bool) -> None:
        del exclusive  # msvcrt locks are always exclusive: readers wait for writers and for each other
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError as exc:
            raise BlockingIOError from exc

    def _unlock_fd(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _lock_fd(fd: int, exclusive: bool) -> None:
        fcntl.flock(fd, (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB)

    def _unlock_fd(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)


def _touch(path: Path) -> None:
    with contextlib.suppress(OSError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | NOFOLLOW | NONBLOCK, 0o600))
