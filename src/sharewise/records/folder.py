"""The records folder: where it is, what its record files are called and hold, listing and reading them.

A record file is named by :func:`record_filename` (time, then the start of the record id) and holds
the bytes :func:`encode` makes. :func:`record_files` lists a folder's record files,
:func:`record_names` lists them compactly for a reader that takes them one at a time, and
:func:`read_limited` reads one without being fooled by a FIFO, a device or a symbolic link in its
place. Nothing here writes: that is :mod:`sharewise.records.writer`'s job.
"""

from __future__ import annotations

import errno
import heapq
import json
import os
import stat
from collections.abc import Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, AnyStr

from sharewise.formats import _fastjson

__all__ = [
    "MAX_RECORD_BYTES",
    "NAME_CHUNK",
    "RECORDS_ENV",
    "RecordNames",
    "default_records_dir",
    "encode",
    "read_limited",
    "record_filename",
    "record_files",
    "record_names",
    "records_dir",
]

RECORDS_ENV = "SHAREWISE_RECORDS_DIR"
MAX_RECORD_BYTES = 10 * 1024 * 1024  # a record is a few kilobytes; a huge file is not one
NONBLOCK = getattr(os, "O_NONBLOCK", 0)
NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
NAME_CHUNK = 4096
"""Names sorted at a time by :func:`record_names`; each sorted run is kept as one string."""


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
            return sorted(e.name for e in entries if _is_record(e))
    except FileNotFoundError:
        return []


def record_names(folder: Path, *, chunk: int = NAME_CHUNK) -> RecordNames:
    """The names :func:`record_files` gives, in the same order, held compactly (see :class:`RecordNames`).

    The folder is read once, here; iterating the result reads nothing more. Each ``chunk`` names
    are sorted as they come and kept as one string, so a big folder costs about the length of its
    names (35 bytes a record) rather than a string object each (about 90), and only ``chunk`` of
    them are ever separate strings while the folder is read.
    """
    runs: list[str | bytes] = []
    pending: list[str] = []
    count = 0
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                if _is_record(entry):
                    pending.append(entry.name)
                    if len(pending) >= chunk:
                        runs.append(_pack(pending))
                        count += len(pending)
                        pending = []
    except FileNotFoundError:
        return RecordNames([], 0)
    if pending:
        runs.append(_pack(pending))
        count += len(pending)
    return RecordNames(runs, count)


class RecordNames:
    """Record names in sorted order, kept as a few sorted runs and merged as they are read.

    Iterating gives each name once, in the order ``sorted()`` gives (the order of time, for record
    files); each iteration starts again from the first. A run holds its names joined by NUL, which
    no file name contains: as one ``str`` when they are all ASCII (a byte a character), else as
    UTF-8 bytes (``surrogatepass`` keeps a name that was not valid UTF-8 on disk exactly as
    ``os.scandir`` gave it). Merging the runs costs a comparison or two a name, against the reading
    and parsing of each record it is used for.
    """

    __slots__ = ("_count", "_runs")

    def __init__(self, runs: list[str | bytes], count: int) -> None:
        self._runs = runs
        self._count = count

    def __len__(self) -> int:
        return self._count

    def __bool__(self) -> bool:
        return self._count > 0

    def __iter__(self) -> Iterator[str]:
        if len(self._runs) == 1:
            return _unpack(self._runs[0])
        return heapq.merge(*(_unpack(run) for run in self._runs))


def _is_record(entry: os.DirEntry[str]) -> bool:
    name = entry.name
    return name.endswith(".json") and not name.startswith(".") and entry.is_file(follow_symlinks=False)


def _pack(names: list[str]) -> str | bytes:
    names.sort()
    joined = "\0".join(names)
    return joined if joined.isascii() else joined.encode("utf-8", "surrogatepass")


def _unpack(run: str | bytes) -> Iterator[str]:
    if isinstance(run, str):
        return _split(run, "\0")
    return (name.decode("utf-8", "surrogatepass") for name in _split(run, b"\0"))


def _split(run: AnyStr, sep: AnyStr) -> Iterator[AnyStr]:
    """The parts of ``run`` between ``sep``, one at a time (``str.split`` would make them all at once)."""
    find = run.find
    start = 0
    end = find(sep)
    while end >= 0:
        yield run[start:end]
        start = end + 1
        end = find(sep, start)
    yield run[start:]


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


def read_limited(path: str | os.PathLike[str]) -> bytes:
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
