"""Writing files safely: private folders, and files that are whole or absent, mode 0600.

Used by the record store, the signing keys and the drafts. A new file is written under a hidden
temporary name and hard-linked into place, so its name never shows a partial file; where the
file system has no hard links it is created exclusively and removed if the write fails. A file
that may be replaced (a draft, the chain head, a countersigned record) is written beside its
target and renamed over it, so a reader sees the old file or the new one, never part of either.
"""

from __future__ import annotations

import contextlib
import errno
import os
import sys
from pathlib import Path

from sharewise.errors import WriteFailed

__all__ = [
    "failure_reason",
    "fsync_dir",
    "make_private_folder",
    "replace_file",
    "sync_folder",
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
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            if fsync:
                os.fsync(fd)
        finally:
            os.close(fd)
    except BaseException:
        unlink_quietly(path)
        raise


def write_new_file(target: Path, data: bytes, *, fsync: bool = True) -> Path:
    """Create ``target`` with ``data``, mode 0600; raise if it exists or the write fails.

    The data goes to a hidden temporary file that is then hard-linked to ``target``, so the name
    never shows a partial file. On a file system without hard links (FAT, exFAT, an SMB share
    without Unix extensions) ``target`` itself is created exclusively, written and flushed, and
    removed if anything fails. Raises ``FileExistsError`` when ``target`` exists (so a caller can
    pick another name) and :class:`WriteFailed` for any other failure.
    """
    folder = target.parent
    if folder in _NO_LINKS:
        return _write_in_place(target, data, fsync=fsync)
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
        return target
    finally:
        unlink_quietly(tmp)
    return _write_in_place(target, data, fsync=fsync)


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


# Why os.link fails on a file system that has no hard links (vfat says EPERM, SMB without Unix
# extensions EACCES or EOPNOTSUPP). A folder where it failed is remembered for this process.
_LINK_UNSUPPORTED = frozenset(
    getattr(errno, name)
    for name in ("EPERM", "EACCES", "EOPNOTSUPP", "ENOTSUP", "ENOSYS", "EMLINK", "EXDEV")
    if hasattr(errno, name)
)
_NO_LINKS: set[Path] = set()


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


def sync_folder(folder: Path) -> None:
    """Flush what was written into ``folder`` to disk: that file system only (``syncfs``) where the
    platform has it, rather than every file system on the machine."""
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            fd = os.open(folder, os.O_RDONLY)
            try:
                if libc.syncfs(fd) == 0:
                    return
            finally:
                os.close(fd)
        except (OSError, AttributeError):
            pass
    os.sync()
