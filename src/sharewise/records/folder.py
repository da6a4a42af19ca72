"""The records folder: where it is, what its record files are called and hold, listing and reading them.

A record file is named by :func:`record_filename` (time, then the start of the record id) and holds
the bytes :func:`encode` makes. :func:`record_files` lists a folder's record files and
:func:`read_limited` reads one without being fooled by a FIFO, a device or a symbolic link in its
place. Nothing here writes: that is :mod:`sharewise.records.writer`'s job.
"""

from __future__ import annotations

import errno
import json
import os
import stat
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from sharewise.formats import _fastjson

__all__ = [
    "MAX_RECORD_BYTES",
    "RECORDS_ENV",
    "default_records_dir",
    "encode",
    "read_limited",
    "record_filename",
    "record_files",
    "records_dir",
]

RECORDS_ENV = "SHAREWISE_RECORDS_DIR"
MAX_RECORD_BYTES = 10 * 1024 * 1024  # a record is a few kilobytes; a huge file is not one
NONBLOCK = getattr(os, "O_NONBLOCK", 0)
NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


def default_records_dir() -> Path:
    """``$XDG_DATA_HOME/sharewise/records``, or ``~/.local/share/sharewise/records``."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "sharewise" / "records"


def records_dir(explicit: Path | None, configured: Path | None = None) -> Path:
    """The records folder: ``--records-dir``, else ``SHAREWISE_RECORDS_DIR``, else the settings
    file's ``records_dir`` (``configured``), else the default."""
    if explicit is not None:
        return explicit
    env = os.environ.get(RECORDS_ENV, "").strip()
    if env:
        return Path(env).expanduser()
    return configured if configured is not None else default_records_dir()


def record_filename(record: Mapping[str, Any]) -> str:
    """``20261122T013000+0000-1a2b3c4d.json``: sortable by time, unique by the record id.

    The time is shown in the record's own offset, so the name can be re-derived anywhere (verify
    uses this to spot files that were renamed or swapped).
    """
    created_at = str(record["created_at"])
    stamp = _STAMPS.get(created_at)
    if stamp is None:  # a batch's records share a few time stamps: each is worked out once
        stamp = datetime.fromisoformat(created_at).strftime("%Y%m%dT%H%M%S%z")
        if len(_STAMPS) >= _STAMPS_KEPT:
            _STAMPS.clear()
        _STAMPS[created_at] = stamp
    return f"{stamp}-{str(record['id'])[:8]}.json"


_STAMPS: dict[str, str] = {}  # created_at -> the time part of a record file's name
_STAMPS_KEPT = 64


def record_files(folder: Path) -> list[str]:
    """The names of the record files in ``folder``: ``*.json``, not hidden, sorted."""
    try:
        with os.scandir(folder) as entries:
            return sorted(
                e.name
                for e in entries
                if e.name.endswith(".json") and not e.name.startswith(".") and e.is_file(follow_symlinks=False)
            )
    except FileNotFoundError:
        return []


def encode(record: Mapping[str, Any], *, checked: bool | None = None) -> bytes:
    """The bytes of a record file: ``json.dumps(record, ensure_ascii=False, indent=2)``, a newline, UTF-8.

    orjson makes the same bytes several times faster (batches write, and ``verify`` re-encodes,
    thousands of records); the standard library takes what it leaves (see :mod:`sharewise.formats._fastjson`).
    ``checked`` is what ``_fastjson.plain`` said of ``record``, when the caller asked it already.
    """
    fast = _fastjson.indented(record, checked=checked)
    if fast is not None:
        return fast
    return (json.dumps(record, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def read_limited(path: Path) -> bytes:
    """The bytes of the regular file at ``path``, at most :data:`MAX_RECORD_BYTES` + 1.

    Never blocks on a FIFO or device put in a record's place, and never follows a symbolic link
    (raises ``OSError`` for each).
    """
    fd = os.open(path, os.O_RDONLY | NONBLOCK | NOFOLLOW)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "not a regular file")
        chunks: list[bytes] = []
        left = MAX_RECORD_BYTES + 1
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)
