"""Writing files safely: private folders, and files that are whole or absent, mode 0600.

Used by the record store, the signing keys and the drafts. A new file never shows a partial file
under its name, and never replaces another (:class:`NewFiles`, :func:`write_new_file`). Where
Linux's ``O_TMPFILE`` works, it is written as a file with no name and then linked to its name, so
there is no temporary name at all and a crash leaves nothing behind. Elsewhere it is written under
a hidden temporary name and hard-linked into place; where the file system has no hard links it is
created exclusively and removed if the write fails. A file that may be replaced (a draft, the chain
head, a countersigned record) is written beside its target and renamed over it, so a reader sees
the old file or the new one, never part of either.
"""

from __future__ import annotations

import contextlib
import errno
import os
import sys
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from sharewise.errors import WriteFailed

if TYPE_CHECKING:
    from threading import Thread

__all__ = [
    "NewFiles",
    "failure_reason",
    "fsync_dir",
    "make_private_folder",
    "replace_file",
    "replace_file_at",
    "unlink_quietly",
    "write_exclusive",
    "write_new_file",
]


def make_private_folder(folder: Path) -> None:
    """Create ``folder`` and any missing parents, each mode 0700 whatever the umask; raises ``OSError``.

    Folders that already exist are left as they are: only what sharewise creates is made private.
    """
    missing: list[Path] = []
    current = folder
    while not current.is_dir():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for path in reversed(missing):
        try:
            path.mkdir(mode=0o700)
        except FileExistsError:
            if not path.is_dir():
                raise
            continue  # made by another process just now: theirs to set
        path.chmod(0o700)  # mkdir's mode is cut by the umask (and a umask of 0 would leave 0777 parents)


def write_exclusive(path: Path, data: bytes, *, fsync: bool) -> None:
    """Create ``path`` exclusively (mode 0600) and write all of ``data``; remove it on failure."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        try:
            _write_all(fd, data, fsync=fsync)
        finally:
            os.close(fd)
    except BaseException:
        unlink_quietly(path)
        raise


def _write_all(fd: int, data: bytes, *, fsync: bool) -> None:
    written = os.write(fd, data)
    if written < len(data):  # a short write (rare: a signal, a disk nearly full): write the rest
        view = memoryview(data)[written:]
        while view:
            view = view[os.write(fd, view) :]
    if fsync:
        os.fsync(fd)


def write_new_file(target: Path, data: bytes, *, fsync: bool = True) -> Path:
    """Create ``target`` with ``data``, mode 0600; raise if it exists or the write fails.

    The name never shows a partial file (see :class:`NewFiles`). Raises ``FileExistsError`` when
    ``target`` exists (so a caller can pick another name) and :class:`WriteFailed` for any other
    failure.
    """
    with NewFiles(target.parent) as files:
        files.create(target.name, data, fsync=fsync)
    return target


class NewFiles:
    """Creates new files in one folder, each whole or absent, mode 0600, never over another file.

    Where the folder's file system takes ``O_TMPFILE`` (Linux), a file is written with no name,
    flushed when asked, and then linked to its name, which fails if the name is taken: four
    system calls, no temporary name to make and remove, and a crash at any point leaves nothing
    behind. Anywhere else (another system, a file system without it, no ``/proc``) the file is
    written under a hidden temporary name and hard-linked to its name, or, without hard links
    (FAT, exFAT, an SMB share without Unix extensions), created exclusively and removed if the
    write fails. Which way works is found on the first file and remembered for the folder.

    Use as a context manager: the folder is held open while files are made. Files made without
    ``fsync`` are flushed together by :meth:`flush`.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._dirfd = -1
        self._unnamed = folder not in _NO_TMPFILE and _tmpfile_possible()
        self._unsynced: list[str] | None = None  # files made without fsync, where flush cannot use syncfs
        self._unflushed = 0  # files made without fsync since the last flush was started
        self._flushing: Thread | None = None  # an early flush (see create), if one runs
        # Whether to link through the file's descriptor (see _link_by_fd): for files made without
        # fsync (a batch) only, as its C library call needs ctypes, some milliseconds of start-up
        # that a single record would pay. False once this system has refused it.
        self._flink = True

    def __enter__(self) -> NewFiles:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Let go of the folder (files already made are not affected)."""
        self._wait_for_early_flush()
        if self._dirfd >= 0:
            with contextlib.suppress(OSError):
                os.close(self._dirfd)
            self._dirfd = -1

    def create(self, name: str, data: bytes, *, fsync: bool) -> None:
        """Create the file ``name`` (a plain name, no folder) holding ``data``.

        Raises ``FileExistsError`` when the name is taken (the file there is left as it is) and
        :class:`WriteFailed` for any other failure; either way nothing new is left in the folder.
        """
        if not (self._unnamed and self._create_unnamed(name, data, fsync=fsync)):
            _write_named(self.folder / name, data, fsync=fsync)
        if not fsync:
            unsynced = self._unsynced
            if unsynced is None:
                unsynced = self._unsynced = [] if _syncfs() is None else _NOT_NEEDED
            if unsynced is not _NOT_NEEDED:
                unsynced.append(name)
                if len(unsynced) >= _UNSYNCED_AT_MOST:  # so memory stays the same for any number of files
                    self.flush()
            else:
                self._unflushed += 1
                if self._unflushed >= EARLY_FLUSH_FILES:
                    self._flush_early()

    def _flush_early(self) -> None:
        """Start flushing the file system in the background, so that the files made so far reach
        the disk while more are made, and :meth:`flush` at the end has only the newest to wait for.
        Only a head start: nothing counts as flushed until :meth:`flush` returns."""
        self._unflushed = 0
        if self._flushing is not None and self._flushing.is_alive():
            return
        from threading import Thread  # only here: a single record never needs it

        self._flushing = Thread(target=self._syncfs_quietly, name="sharewise-flush", daemon=True)
        self._flushing.start()

    def _wait_for_early_flush(self) -> None:
        if self._flushing is not None:
            self._flushing.join()
            self._flushing = None

    def flush(self) -> None:
        """Flush the files made without ``fsync`` to disk, and the folder's entries for them.

        On Linux that is one ``syncfs`` of the folder's file system: flushing thousands of small
        files one by one takes some twenty times as long. Elsewhere each file is flushed, then the
        folder. Never ``sync``, which flushes every file system on the machine. Raises
        ``OSError`` when the file system reports that it could not write what it holds (syncfs
        failed: a disk error), since the files made may then not be on the disk.
        """
        self._wait_for_early_flush()
        self._unflushed = 0
        if self._syncfs():
            return
        for name in self._unsynced or ():
            fsync_dir(self.folder / name)  # a file is flushed the same way
        if self._unsynced:
            self._unsynced.clear()
        fsync_dir(self.folder)

    def _syncfs(self) -> bool:
        """Flush the folder's whole file system with syncfs; False where that cannot be done, and
        ``OSError`` when it was done and failed."""
        syncfs = _syncfs()
        if syncfs is None:
            return False
        try:
            fd = os.open(self.folder, os.O_RDONLY)
        except OSError:
            return False
        try:
            if syncfs(fd) != 0:
                import ctypes

                code = ctypes.get_errno() or errno.EIO
                raise OSError(code, os.strerror(code))
            return True
        finally:
            os.close(fd)

    def _syncfs_quietly(self) -> None:
        """:meth:`_syncfs` for an early flush: only a head start, so a failure is left to :meth:`flush`."""
        with contextlib.suppress(OSError):
            self._syncfs()

    def _create_unnamed(self, name: str, data: bytes, *, fsync: bool) -> bool:
        """Write ``data`` as a file with no name and link it as ``name``; False when that cannot be
        done here (remembered for the folder when the file system lacks it), so the caller makes
        the file another way."""
        try:
            if self._dirfd < 0:
                self._dirfd = os.open(self.folder, os.O_RDONLY | os.O_DIRECTORY)
            fd = os.open(".", _TMPFILE_FLAGS, 0o600, dir_fd=self._dirfd)
        except OSError as exc:
            # Any failure is left to the other way, which reports it in its own words (a full disk,
            # a folder that is not writable or not there); only "not supported" is remembered.
            if exc.errno in _TMPFILE_REFUSED:
                self._not_here()
            return False
        try:
            try:
                _write_all(fd, data, fsync=fsync)
            except OSError as exc:
                reason = failure_reason(exc)
                raise WriteFailed(f"cannot write the record to {self.folder}: {reason}; nothing was written") from exc
            try:
                if fsync or not (self._flink and self._link_by_fd(fd, name)):
                    # With a dir_fd given, os.link calls linkat(AT_SYMLINK_FOLLOW): /proc/self/fd/N
                    # names the open file itself, so it gets a name. linkat never replaces a file.
                    os.link(f"/proc/self/fd/{fd}", name, dst_dir_fd=self._dirfd)
            except FileExistsError:
                raise
            except OSError as exc:
                if exc.errno in _LINK_REFUSED:
                    self._not_here()
                return False
        finally:
            os.close(fd)  # a file never linked vanishes here
        if fsync:
            with contextlib.suppress(OSError):
                os.fsync(self._dirfd)
        return True

    def _link_by_fd(self, fd: int, name: str) -> bool:
        """Give the open file ``fd`` the name ``name`` with ``linkat(fd, "", ..., AT_EMPTY_PATH)``,
        which skips looking up ``/proc/self/fd/N`` (some 3 us of a 20 us file, measured on tmpfs);
        False when this kernel allows that only with a privilege this process lacks (remembered),
        so the caller links through ``/proc``. Raises ``OSError`` as ``os.link`` would."""
        linkat = _libc_linkat()
        if linkat is None:
            self._flink = False
            return False
        encoded = os.fsencode(name)
        if b"\0" in encoded:  # C would read it short: refused, as os.link refuses it
            raise ValueError("embedded null byte")
        if linkat(fd, b"", self._dirfd, encoded, _AT_EMPTY_PATH) == 0:
            return True
        import ctypes

        code = ctypes.get_errno()
        if code in _FLINK_REFUSED:
            self._flink = False
            return False
        raise OSError(code, os.strerror(code), name)

    def _not_here(self) -> None:
        self._unnamed = False
        _NO_TMPFILE.add(self.folder)
        self.close()


def _write_named(target: Path, data: bytes, *, fsync: bool) -> None:
    """Create ``target`` through a hidden temporary name and a hard link, or in place where the
    folder has no hard links."""
    folder = target.parent
    if folder in _NO_LINKS:
        _write_in_place(target, data, fsync=fsync)
        return
    tmp = folder / f".{target.name}.{os.urandom(4).hex()}.tmp"
    try:
        write_exclusive(tmp, data, fsync=fsync)
    except OSError as exc:
        raise WriteFailed(f"cannot write the record to {folder}: {failure_reason(exc)}; nothing was written") from exc
    try:
        os.link(tmp, target)
    except FileExistsError:
        raise
    except OSError as exc:
        if exc.errno not in _LINK_UNSUPPORTED:
            reason = failure_reason(exc)
            raise WriteFailed(f"cannot write the record to {target}: {reason}; nothing was written") from exc
        _NO_LINKS.add(folder)  # the temporary file could be made, so it is links this folder lacks
    else:
        if fsync:
            fsync_dir(folder)
        return
    finally:
        unlink_quietly(tmp)
    _write_in_place(target, data, fsync=fsync)


def replace_file(target: Path, data: bytes, *, fsync: bool = True) -> None:
    """Put a file of ``data`` (mode 0600) in ``target``'s place in one step; raises ``OSError``.

    The data is written to a hidden temporary file beside ``target`` and renamed over it, so
    ``target`` is always either the old file or the new one. On failure the temporary file is
    removed and ``target`` is unchanged. The folder itself is not flushed (see :func:`fsync_dir`).
    """
    tmp = target.parent / f".{target.name}.{os.urandom(4).hex()}.tmp"
    try:
        write_exclusive(tmp, data, fsync=fsync)
        tmp.replace(target)
    except OSError:
        unlink_quietly(tmp)
        raise


def replace_file_at(folder: int, name: str, data: bytes) -> None:
    """:func:`replace_file` for the file ``name`` in the open folder ``folder`` (a descriptor), so
    the folder a caller checked is the folder written to, whatever its path now leads to; the
    temporary file is created without following a link. Not flushed. Raises ``OSError``."""
    temporary = f".{name}.{os.urandom(4).hex()}.tmp"
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600, dir_fd=folder)
    try:
        try:
            _write_all(fd, data, fsync=False)
        finally:
            os.close(fd)
        os.replace(temporary, name, src_dir_fd=folder, dst_dir_fd=folder)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(temporary, dir_fd=folder)
        raise


# Why os.link fails on a file system that has no hard links (vfat says EPERM, SMB without Unix
# extensions EACCES or EOPNOTSUPP). A folder where it failed is remembered for this process.
_LINK_UNSUPPORTED = frozenset(
    getattr(errno, name)
    for name in ("EPERM", "EACCES", "EOPNOTSUPP", "ENOTSUP", "ENOSYS", "EMLINK", "EXDEV")
    if hasattr(errno, name)
)
_NO_LINKS: set[Path] = set()

_TMPFILE_FLAGS = getattr(os, "O_TMPFILE", 0) | os.O_WRONLY
# Why opening with O_TMPFILE fails where it is not to be had: the file system lacks it
# (EOPNOTSUPP), or the kernel predates it and reads the flag as O_DIRECTORY (EISDIR, EINVAL).
_TMPFILE_REFUSED = frozenset(
    getattr(errno, name) for name in ("EOPNOTSUPP", "ENOTSUP", "EISDIR", "EINVAL", "ENOSYS") if hasattr(errno, name)
)
# Why linking /proc/self/fd/N fails where it cannot work: no /proc (ENOENT), a link that is not
# followed (EXDEV), a file system without hard links.
_LINK_REFUSED = _LINK_UNSUPPORTED | {errno.ENOENT, errno.EINVAL}
_NO_TMPFILE: set[Path] = set()  # folders where O_TMPFILE was refused, for this process
# O_TMPFILE, and os.open and os.link that take a folder's descriptor (Linux); /proc is looked for
# when first needed, once.
_TMPFILE_SYSTEM = hasattr(os, "O_TMPFILE") and os.open in os.supports_dir_fd and os.link in os.supports_dir_fd
_PROC_FOUND: list[bool] = []


def _tmpfile_possible() -> bool:
    """Whether this system has O_TMPFILE, linkat through os.link, and /proc to link through."""
    if not _TMPFILE_SYSTEM:
        return False
    if not _PROC_FOUND:
        _PROC_FOUND.append(Path("/proc/self/fd").is_dir())
    return _PROC_FOUND[0]


def _write_in_place(target: Path, data: bytes, *, fsync: bool) -> Path:
    """Create ``target`` exclusively and write it; on any failure remove it (never someone else's)."""
    try:
        write_exclusive(target, data, fsync=fsync)
    except FileExistsError:
        raise
    except OSError as exc:
        raise WriteFailed(f"cannot write the record to {target}: {failure_reason(exc)}; nothing was written") from exc
    if fsync:
        fsync_dir(target.parent)
    return target


def failure_reason(exc: OSError) -> str:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return "the disk is full (or your quota is used up)"
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"permission denied ({exc.strerror})"
    return str(exc.strerror or exc)


def unlink_quietly(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()


def fsync_dir(folder: Path) -> None:
    """Flush ``folder`` (or a file) to disk, quietly doing nothing where that cannot be done."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _libc() -> Any:
    """Linux's C library through ctypes, loaded once; None elsewhere or where it cannot be loaded.
    Only a batch asks (for syncfs and linkat): ctypes is a few milliseconds of start-up that a
    single record never needs."""
    if not _LIBC:
        found = None
        if sys.platform.startswith("linux"):
            try:
                import ctypes

                found = ctypes.CDLL(None, use_errno=True)
            except (OSError, ImportError):
                found = None
        _LIBC.append(found)
    return _LIBC[0]


_LIBC: list[Any] = []


def _syncfs() -> Callable[[int], int] | None:
    """Linux's ``syncfs`` (flush one file system) from the C library, loaded once; None elsewhere."""
    if not _SYNCFS:
        _SYNCFS.append(getattr(_libc(), "syncfs", None))
    return _SYNCFS[0]


_SYNCFS: list[Callable[[int], int] | None] = []


def _libc_linkat() -> Callable[[int, bytes, int, bytes, int], int] | None:
    """Linux's ``linkat`` from the C library, loaded once (beside :func:`_syncfs`); None elsewhere."""
    if not _LINKAT:
        found = getattr(_libc(), "linkat", None)
        if found is not None:
            import ctypes

            found.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
            found.restype = ctypes.c_int
        _LINKAT.append(found)
    return _LINKAT[0]


_LINKAT: list[Callable[[int, bytes, int, bytes, int], int] | None] = []
_AT_EMPTY_PATH = 0x1000  # linkat's flag: link the file open as the first descriptor itself (Linux)
# Why linkat with AT_EMPTY_PATH is refused where linking through /proc still works: a kernel that
# allows it only with CAP_DAC_READ_SEARCH says ENOENT, and a kernel or sandbox without it EINVAL,
# EPERM or ENOSYS.
_FLINK_REFUSED = frozenset({errno.ENOENT, errno.EINVAL, errno.EPERM, errno.ENOSYS})
#: Where there is no syncfs, files made without fsync are flushed by name; at most this many wait.
_UNSYNCED_AT_MOST = 1000
#: Where syncfs flushes them, a flush is started in the background after this many files made
#: without fsync (see NewFiles._flush_early).
EARLY_FLUSH_FILES = 2000
_NOT_NEEDED: list[str] = []  # the list of names kept where syncfs flushes them all: none
