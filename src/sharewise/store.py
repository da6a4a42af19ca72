"""Writing records to disk: atomically, owner-readable only, never over an existing file.

A record is written to a temporary file in the destination folder, flushed to disk, and then
hard-linked to its final name. Linking fails if the name is taken, so an existing record is never
replaced, and a reader never sees half a record. Any failure removes the temporary file.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from sharewise.errors import UsageError, WriteFailed

__all__ = [
    "RecordWriter",
    "default_records_dir",
    "record_filename",
    "records_dir",
    "write_new_file",
    "write_record",
]

RECORDS_ENV = "SHAREWISE_RECORDS_DIR"


def default_records_dir() -> Path:
    """``$XDG_DATA_HOME/sharewise/records``, or ``~/.local/share/sharewise/records``."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "sharewise" / "records"


def records_dir(explicit: Path | None) -> Path:
    """The records folder: ``--records-dir``, else ``SHAREWISE_RECORDS_DIR``, else the default."""
    if explicit is not None:
        return explicit
    env = os.environ.get(RECORDS_ENV, "").strip()
    return Path(env).expanduser() if env else default_records_dir()


def record_filename(record: Mapping[str, Any]) -> str:
    """``20261122T013000Z-1a2b3c4d.json``: sortable by time, unique by the record id."""
    created = datetime.fromisoformat(str(record["created_at"]))
    stamp = created.astimezone().strftime("%Y%m%dT%H%M%S%z")
    return f"{stamp}-{str(record['id'])[:8]}.json"


def encode(record: Mapping[str, Any]) -> bytes:
    return (json.dumps(record, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def write_record(record: Mapping[str, Any], *, out: Path | None = None, folder: Path | None = None) -> Path:
    """Write ``record`` to ``out`` (which must not exist) or as a new file in ``folder``."""
    if out is not None:
        try:
            return write_new_file(out, encode(record))
        except FileExistsError:
            raise UsageError(f"{out} already exists; sharewise never overwrites a record") from None
    if folder is None:
        raise ValueError("give out or folder")
    _ensure_folder(folder)
    return _write_in_folder(folder, record)


class RecordWriter:
    """Writes many records into one folder (batch checks); use as a context manager.

    Each record is a new owner-only file, never over an existing one. ``fsync=False`` skips the
    per-file flush and flushes once on exit, which is what makes thousands of records a second
    possible; a crash mid-batch can then lose the newest records but never leaves a partial one.
    """

    def __init__(self, folder: Path, *, fsync: bool = True) -> None:
        self.folder = folder
        self.fsync = fsync
        self.written: list[Path] = []

    def __enter__(self) -> RecordWriter:
        _ensure_folder(self.folder)
        return self

    def write(self, record: Mapping[str, Any]) -> Path:
        path = _write_in_folder(self.folder, record, fsync=self.fsync)
        self.written.append(path)
        return path

    def __exit__(self, *exc: object) -> None:
        if not self.fsync and self.written:
            os.sync()


def _write_in_folder(folder: Path, record: Mapping[str, Any], *, fsync: bool = True) -> Path:
    data = encode(record)
    name = record_filename(record)
    try:
        return write_new_file(folder / name, data, fsync=fsync)
    except FileExistsError:  # same second and same id prefix: vanishingly rare, but never overwrite
        stem = name[: -len(".json")]
        return write_new_file(folder / f"{stem}-{secrets.token_hex(3)}.json", data, fsync=fsync)


def _ensure_folder(folder: Path) -> None:
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise WriteFailed(f"cannot create the records folder {folder}: {exc.strerror or exc}") from exc


def write_new_file(target: Path, data: bytes, *, fsync: bool = True) -> Path:
    """Create ``target`` with ``data``, mode 0600; raise if it exists or the write fails.

    Raises ``FileExistsError`` when ``target`` exists (so a caller can pick another name) and
    :class:`WriteFailed` for any other failure.
    """
    folder = target.parent
    if target.exists():
        raise FileExistsError(target)
    tmp = folder / f".{target.name}.{secrets.token_hex(4)}.tmp"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as exc:
        raise WriteFailed(f"cannot write the record to {folder}: {exc.strerror or exc}") from exc
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
        os.link(tmp, target)
    except FileExistsError:
        raise
    except OSError as exc:
        raise WriteFailed(f"cannot write the record to {target}: {exc.strerror or exc}; nothing was written") from exc
    finally:
        try:
            os.unlink(tmp)
        except OSError:
            pass
    if fsync:
        _fsync_dir(folder)
    return target


def _fsync_dir(folder: Path) -> None:
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
