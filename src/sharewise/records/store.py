"""Writing records to disk: sealed, chained, atomically, owner-readable only, never over an existing file.

A record is written to a temporary file in the destination folder, flushed to disk, and then
hard-linked to its final name. Linking fails if the name is taken, so an existing record is never
replaced, and a reader never sees half a record. Any failure removes the temporary file. Where the
file system has no hard links, the final name is created exclusively instead (see
:func:`write_new_file`).

Every record is sealed on the way out (:func:`sharewise.records.integrity.seal`): it gets an ``integrity``
digest and, with a signing key configured, a signature. A record written into a records folder also
joins that folder's **chain**: it holds the digest of the record written before it there. Writers
hold an exclusive lock on the folder (``.sharewise.lock``) while they write, so two processes never
fork the chain or lose a record. The folder's newest record is noted in ``.sharewise-chain-head``
(the chain head), so a writer finds where to link without reading every record, and deleting the
newest record is detected. A writer trusts that head and never lists the folder, so a write costs
the same however many records the folder holds. See ``docs/records.md`` and ``docs/scaling.md``.

Front-ends use the :class:`RecordStore` interface (:func:`open_store`), which the folder
implements (:class:`FolderStore`); a second backend can implement it without touching them.
"""

from __future__ import annotations

import contextlib
import errno
import json
import json.encoder
import os
import secrets
import stat
import sys
import time
import uuid
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeGuard

from sharewise.errors import UsageError, WriteFailed
from sharewise.formats import _fastjson
from sharewise.records.safefiles import (
    failure_reason,
    fsync_dir,
    make_private_folder,
    unlink_quietly,
    write_exclusive,
    write_new_file,
)

if TYPE_CHECKING:
    from sharewise.records.signing import SigningKey

__all__ = [
    "HEAD_FILE",
    "LOCK_FILE",
    "LOCK_TIMEOUT",
    "MAX_RECORD_BYTES",
    "WAIT_FILE",
    "FolderLock",
    "FolderStore",
    "RecordSink",
    "RecordStore",
    "RecordWriter",
    "Snapshot",
    "countersign_file",
    "default_records_dir",
    "encode",
    "open_store",
    "read_head",
    "read_limited",
    "record_filename",
    "record_files",
    "records_dir",
    "write_record",
]

RECORDS_ENV = "SHAREWISE_RECORDS_DIR"
LOCK_FILE = ".sharewise.lock"
HEAD_FILE = ".sharewise-chain-head"  # not *.json, so a glob for records never picks it up
HEAD_FORMAT = "sharewise-chain-head/1"
LOCK_TIMEOUT = 120.0  # seconds to wait for another writer (a big batch) before giving up
_LOCK_POLL = 0.02
WAIT_FILE = ".sharewise-waiting"  # a writer waiting for the lock says so here; a batch gives way
_GIVE_WAY_LOOK = 0.2  # how often (seconds) a batch looks for a waiting writer
_GIVE_WAY_PAUSE = 1.0  # how long it leaves the lock free for one


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
    created = datetime.fromisoformat(str(record["created_at"]))
    stamp = created.strftime("%Y%m%dT%H%M%S%z")
    return f"{stamp}-{str(record['id'])[:8]}.json"


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


def encode(record: Mapping[str, Any]) -> bytes:
    """The bytes of a record file: ``json.dumps(record, ensure_ascii=False, indent=2)``, a newline, UTF-8.

    Made by :func:`_indented`, which gives the same bytes several times faster (``indent`` turns off
    json's C encoder); batches write, and ``verify`` re-encodes, thousands of records.
    """
    fast = _fastjson.indented(record)  # the same bytes from orjson, when it is installed
    if fast is not None:
        return fast
    out: list[str] = []
    try:
        _indented(record, "", out)
    except _Unusual:
        return (json.dumps(record, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    out.append("\n")
    return "".join(out).encode("utf-8")


class _Unusual(Exception):
    """A value :func:`_indented` leaves to ``json.dumps`` (floats, non-text keys, other types)."""


_quote = json.encoder.encode_basestring  # the C-accelerated quoting json.dumps uses without ensure_ascii


def _indented(value: Any, pad: str, out: list[str]) -> None:
    if isinstance(value, str):
        out.append(_quote(value))
    elif value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif type(value) is int:
        out.append(int.__repr__(value))
    elif isinstance(value, dict):
        if not value:
            out.append("{}")
            return
        inner = pad + "  "
        sep = "{\n" + inner
        for key, item in value.items():
            if type(key) is not str:
                raise _Unusual
            out.append(sep + _quote(key) + ": ")
            _indented(item, inner, out)
            sep = ",\n" + inner
        out.append("\n" + pad + "}")
    elif isinstance(value, (list, tuple)):
        if not value:
            out.append("[]")
            return
        inner = pad + "  "
        sep = "[\n" + inner
        for item in value:
            out.append(sep)
            _indented(item, inner, out)
            sep = ",\n" + inner
        out.append("\n" + pad + "]")
    else:
        raise _Unusual


def _update_caller(record: Mapping[str, Any], sealed: Mapping[str, Any]) -> None:
    """Give the caller's dict the seal, so what it prints is what was stored."""
    if isinstance(record, MutableMapping):
        for key in ("chain", "signing", "integrity"):
            if key in sealed:
                record[key] = sealed[key]
            else:
                record.pop(key, None)


def _signing_key() -> SigningKey | None:
    from sharewise.records.signing import SigningKeyError, load_signing_key

    try:
        return load_signing_key()
    except SigningKeyError as exc:
        raise WriteFailed(f"cannot sign the record: {exc}; nothing was written") from None


def write_record(record: Mapping[str, Any], *, out: Path | None = None, folder: Path | None = None) -> Path:
    """Seal ``record`` and write it to ``out`` (which must not exist) or as a new file in ``folder``.

    A dict ``record`` gains the ``integrity`` block (and ``chain``/``signing``) it was written with.
    """
    if out is not None:
        from sharewise.records.integrity import seal

        sealed = seal(record, key=_signing_key())
        try:
            path = write_new_file(out, encode(sealed))
        except FileExistsError:
            raise UsageError(f"{out} already exists; sharewise never overwrites a record") from None
        _update_caller(record, sealed)
        return path
    if folder is None:
        raise ValueError("give out or folder")
    with open_store(folder).writer() as writer:
        return writer.write(record)


@dataclass(frozen=True, slots=True)
class _Head:
    """The chain head: where the next record links.

    ``files`` is how many records the folder's chain had when it was written (for people reading
    it; writers do not count the folder). ``pending`` is set while a writer is adding records: a
    writer that finds it set knows the last one died mid-write, and reads the records to repair it.
    """

    chain_id: str
    sequence: int
    digest: str | None
    file: str | None
    signed_by: str | None
    files: int
    pending: bool = False

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "format": HEAD_FORMAT,
            "chain": self.chain_id,
            "sequence": self.sequence,
            "digest": self.digest,
            "file": self.file,
            "signed_by": self.signed_by,
            "files": self.files,
        }
        if self.pending:
            data["pending"] = True
        return data

    def but(self, *, pending: bool) -> _Head:
        return _Head(self.chain_id, self.sequence, self.digest, self.file, self.signed_by, self.files, pending)


# -- the store interface ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A consistent view of a store for a reader: its record names in order and its chain head.

    ``head`` is the head's content (None when there is none) and ``head_problem`` says why it could
    not be read. Records are never changed once written (a countersignature replaces a file with
    the same record and chain link), so reading the records named here later sees this same state.
    """

    names: list[str]
    head: dict[str, Any] | None
    head_problem: str | None = None


class RecordSink(Protocol):
    """A writer session: records added in order to one chain, under the store's writer lock."""

    count: int  # records written in this session
    last: Path | None  # the newest of them

    def __enter__(self) -> RecordSink: ...

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None: ...

    def write(self, record: Mapping[str, Any]) -> Path:
        """Seal ``record`` as the next link and store it; returns where it is."""
        ...


class RecordStore(Protocol):
    """Where a team's records are kept. Every front-end (decide, check, records ...) uses only this.

    The records folder (:class:`FolderStore`) is the built-in one; a shared register on a database
    could implement the same four methods and carry the same sealed records and chain (see
    ``docs/scaling.md``). Names are the keys records are stored under (file names, for a folder) and
    :meth:`where` is how a message points at one.
    """

    @property
    def label(self) -> str:
        """How messages name the store (for a folder, its path)."""
        ...

    def writer(self, *, fsync: bool = True) -> RecordSink:
        """A session that appends records to the chain; use it as a context manager."""
        ...

    def snapshot(self) -> Snapshot:
        """The record names and chain head, read consistently (waiting for a writer to finish)."""
        ...

    def read(self, name: str) -> bytes:
        """The stored bytes of one record, at most :data:`MAX_RECORD_BYTES` + 1; raises ``OSError``."""
        ...

    def where(self, name: str) -> Path:
        """Where the record ``name`` is, for messages and for ``records show``."""
        ...


MAX_RECORD_BYTES = 10 * 1024 * 1024  # a record is a few kilobytes; a huge file is not one


class FolderStore:
    """A records folder: one JSON file per record, the chain head and lock beside them."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    @property
    def label(self) -> str:
        return str(self.folder)

    def writer(self, *, fsync: bool = True) -> RecordWriter:
        return RecordWriter(self.folder, fsync=fsync)

    def snapshot(self) -> Snapshot:
        lock = FolderLock(self.folder, exclusive=False)
        try:
            locked = lock.acquire()  # waits for a writer to finish, so a batch in progress is not a problem
        except WriteFailed:  # a writer has held it for minutes: read anyway (anything half-done is reported)
            locked = False
        try:  # held only while the names and the head are read, never while records are checked
            names = record_files(self.folder)
            try:
                head, problem = read_head(self.folder), None
            except ValueError as exc:
                head, problem = None, str(exc)
        finally:
            if locked:
                lock.release()
        return Snapshot(names, head, problem)

    def read(self, name: str) -> bytes:
        return read_limited(self.folder / name)

    def where(self, name: str) -> Path:
        return self.folder / name


def open_store(location: Path) -> RecordStore:
    """The store at ``location``: today always a records folder."""
    return FolderStore(location)


def read_limited(path: Path) -> bytes:
    """The bytes of the regular file at ``path``, at most :data:`MAX_RECORD_BYTES` + 1.

    Never blocks on a FIFO or device put in a record's place, and never follows a symbolic link
    (raises ``OSError`` for each).
    """
    fd = os.open(path, os.O_RDONLY | _NONBLOCK | _NOFOLLOW)
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


_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


class RecordWriter:
    """Writes records into one folder's chain; use as a context manager (the folder's :class:`RecordSink`).

    The folder lock is taken on entry and released on exit, and the chain head is read then (the
    folder is not listed), so each record costs one seal and one file whatever the folder's size.
    When another writer is waiting for the folder, the lock is handed over between two records
    (see :meth:`_give_way`) and the head read again after. Each record is a new owner-only file,
    never over an existing one. Before the first record the head is marked ``pending``; it is
    cleared once the records are safely on disk, so a writer that dies in between leaves a mark
    the next writer repairs from.

    ``fsync=False`` skips the per-file flush and flushes (and saves the chain head) once on exit,
    which is what makes thousands of records a second possible; a crash mid-batch can then lose
    the newest records but never leaves a partial one, and the next writer repairs the head.
    """

    def __init__(self, folder: Path, *, fsync: bool = True) -> None:
        self.folder = folder
        self.fsync = fsync
        self.count = 0
        self.last: Path | None = None
        self._lock: FolderLock | None = None
        self._head: _Head | None = None
        self._marked = False  # the head on disk says pending
        self._key: SigningKey | None = None
        self._look_at = time.monotonic() + _GIVE_WAY_LOOK

    def __enter__(self) -> RecordWriter:
        _ensure_folder(self.folder)
        self._key = _signing_key()
        lock = FolderLock(self.folder, exclusive=True)
        lock.acquire()
        try:
            head, scanned = _find_head(self.folder)
            if head.signed_by and self._key is None:
                raise WriteFailed(
                    f"the records in {self.folder} are signed, so this one must be too, but no signing key is "
                    f"set up (set SHAREWISE_SIGNING_KEY, or see 'sharewise records keygen'); nothing was written"
                )
        except BaseException:
            lock.release()
            raise
        self._lock, self._head = lock, head
        # With no trustworthy head on disk (none yet, damaged, or pending) the next writer reads the
        # records anyway, so there is nothing to mark until this writer has saved one.
        self._marked = scanned
        return self

    def write(self, record: Mapping[str, Any]) -> Path:
        """Seal ``record`` as the next link of the chain and write it; returns the new file's path."""
        if self._head is None:
            raise RuntimeError("use RecordWriter as a context manager")
        from sharewise.records.integrity import ChainLink, seal

        head = self._head
        sealed = seal(record, link=ChainLink(head.chain_id, head.sequence + 1, head.digest), key=self._key)
        if not self._marked:  # before anything new is on disk: a crash from here on is repaired
            try:
                _save_head(self.folder, head.but(pending=True), fsync=True)
            except OSError as exc:
                raise self._failed(f"cannot write the record to {self.folder}: {failure_reason(exc)}") from exc
            self._marked = True
        try:
            path = _write_in_folder(self.folder, sealed, fsync=self.fsync)
        except WriteFailed as exc:
            raise self._failed(str(exc).removesuffix("; nothing was written")) from exc
        self.count += 1
        self.last = path
        _update_caller(record, sealed)
        self._head = _Head(
            head.chain_id,
            head.sequence + 1,
            sealed["integrity"]["digest"],
            path.name,
            self._key.key_id if self._key else None,
            head.files + 1,
            pending=True,
        )
        if self.fsync:  # the record is on disk now: the head can say so. That update need not be
            self._settle(durable=False)  # flushed itself: if it is lost, the pending mark remains
        now = time.monotonic()
        if now >= self._look_at:
            self._look_at = now + _GIVE_WAY_LOOK
            if os.path.lexists(self.folder / WAIT_FILE):
                self._give_way()
        return path

    def _give_way(self) -> None:
        """Let a writer that is waiting for the folder in, then carry on after its records.

        Everything written so far is flushed and the head saved first, so the other writer links
        to this batch's newest record; afterwards the head is read again, since it has moved.
        """
        if self._lock is None:
            return
        if self._marked and self.count and not self.fsync:
            _sync_folder(self.folder)
        self._settle()
        self._lock.release()
        waiting = self.folder / WAIT_FILE
        until = time.monotonic() + _GIVE_WAY_PAUSE
        while os.path.lexists(waiting) and time.monotonic() < until:
            time.sleep(_LOCK_POLL / 2)  # the waiter removes it once it holds the lock
        written = f"{self.count:,} record(s) were written in this run, the last as {self.last}"
        try:
            self._lock.acquire()  # (and clears a waiting mark left by a writer that died)
            head, scanned = _find_head(self.folder)
        except WriteFailed as exc:
            raise WriteFailed(f"{exc}; {written}") from exc
        if head.signed_by and self._key is None:
            raise WriteFailed(
                f"another writer has added signed records to {self.folder}, so the rest of this run must be "
                f"signed too, but no signing key is set up; {written}"
            )
        self._head, self._marked = head, scanned

    def _failed(self, reason: str) -> WriteFailed:
        """The error for a record that was not written, saying what this session did write."""
        if not self.count:
            return WriteFailed(f"{reason}; nothing was written")
        return WriteFailed(
            f"{reason}; that record was not written; the {self.count:,} record(s) before it in this run "
            f"were, the last as {self.last}"
        )

    def _settle(self, *, durable: bool = True) -> None:
        """Save the chain head without the pending mark. If that fails the records are still safe
        (the mark stays, and the next writer repairs the head): say so on standard error, and never
        replace the error that ended a batch."""
        if self._head is None or not self._marked:
            return
        try:
            _save_head(self.folder, self._head.but(pending=False), fsync=durable)
        except OSError as exc:
            if self.count:  # with none, the head still names the newest record; only the mark is left
                print(
                    f"sharewise: warning: {self.count:,} record(s) were written, the last as {self.last}, but "
                    f"the chain head in {self.folder} could not be updated ({failure_reason(exc)}); the next write "
                    "to the folder will repair it",
                    file=sys.stderr,
                )
            return
        self._marked = False
        self._head = self._head.but(pending=False)

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        try:
            if self._marked and self.count and not self.fsync:
                _sync_folder(self.folder)
            self._settle()
        finally:
            if self._lock is not None:
                self._lock.release()
            self._lock = None


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
        make_private_folder(folder)
    except OSError as exc:
        raise WriteFailed(f"cannot create the records folder {folder}: {exc.strerror or exc}") from exc


# -- the chain head ------------------------------------------------------------------------------


def read_head(folder: Path) -> dict[str, Any] | None:
    """The chain head file's content, or None when there is none; raises ValueError when unreadable.

    A FIFO, device or symbolic link put in the head's place is refused without being opened for
    long (it would otherwise block every reader and writer).
    """
    try:
        raw = read_limited(folder / HEAD_FILE)
    except FileNotFoundError:
        return None
    except OSError as exc:
        reason = "it is a symbolic link" if exc.errno == errno.ELOOP else (exc.strerror or str(exc))
        raise ValueError(f"cannot be read: {reason}") from None
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ValueError(f"cannot be read: {exc}") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"is not valid JSON: {exc}") from None
    if not isinstance(data, dict) or data.get("format") != HEAD_FORMAT:
        raise ValueError(f"is not a {HEAD_FORMAT} file")
    return data


def _head_from(data: Mapping[str, Any]) -> _Head | None:
    chain_id, sequence, files = data.get("chain"), data.get("sequence"), data.get("files")
    if not isinstance(chain_id, str) or not _is_count(sequence) or not _is_count(files):
        return None
    digest, file, signed_by = data.get("digest"), data.get("file"), data.get("signed_by")
    return _Head(
        chain_id,
        sequence,
        digest if isinstance(digest, str) else None,
        file if isinstance(file, str) else None,
        signed_by if isinstance(signed_by, str) else None,
        files,
        pending=data.get("pending") is True,
    )


def _is_count(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _find_head(folder: Path) -> tuple[_Head, bool]:
    """Where the next record links, and whether the records had to be read; call with the folder locked.

    A readable head without the ``pending`` mark is trusted as it is, without listing the folder, so
    a write costs the same in a folder of ten records or a million. Otherwise (no head, a damaged
    one, or a writer that died mid-write) the records are read to find the newest link: slow in a
    big folder, but only after something odd.
    """
    try:
        data = read_head(folder)
    except ValueError:
        data = None
    head = _head_from(data) if data else None
    if head is not None and not head.pending:
        return head, False
    return _scan_head(folder, record_files(folder), head), True


def _scan_head(folder: Path, names: list[str], stale: _Head | None) -> _Head:
    """The chain's real end, read from the records themselves.

    Only records whose digest holds count, so an edited position is never carried forward. From a
    pending head the chain is followed link by link (each record naming the one before it), which
    also ignores a record placed with a forged position; with no head at all the newest sound
    record of the folder's main chain is taken.
    """
    from sharewise.records.integrity import record_digest

    sound: dict[str, list[tuple[int, str | None, str, str, str | None]]] = {}  # chain id -> links
    for name in names:
        try:
            record = json.loads(read_limited(folder / name))
            chain, integrity = record["chain"], record["integrity"]
            sequence, digest = chain["sequence"], integrity["digest"]
            if not _is_count(sequence) or record_digest(record) != digest:
                continue
        except (OSError, ValueError, KeyError, TypeError):
            continue
        previous = chain.get("previous")
        signing = record.get("signing")
        key_id = signing.get("key_id") if isinstance(signing, dict) else None
        link = (sequence, previous if isinstance(previous, str) else None, digest, name, key_id)
        sound.setdefault(str(chain.get("id")), []).append(link)
    total = len(names)
    if stale is not None and stale.chain_id in sound:
        after = {(s, p): (d, n, k) for s, p, d, n, k in sound[stale.chain_id]}
        head = stale.but(pending=False)
        while (head.sequence + 1, head.digest) in after:
            digest, name, key_id = after[(head.sequence + 1, head.digest)]
            head = _Head(head.chain_id, head.sequence + 1, digest, name, key_id, head.files + 1)
        return head
    if stale is not None and stale.sequence > 0:
        return stale.but(pending=False)  # none of its records left: carry on, so verify shows the gap
    if not sound:
        return _Head(str(uuid.uuid4()), 0, None, None, None, 0)
    chain_id = max(sound, key=lambda c: len(sound[c]))
    sequence, _, digest, name, key_id = max(sound[chain_id])
    return _Head(chain_id, sequence, digest, name, key_id, min(total, len(sound[chain_id])))


def _save_head(folder: Path, head: _Head, *, fsync: bool) -> None:
    """Write the head file (it is bookkeeping, so replacing it is fine); raises ``OSError``.

    An existing head is rewritten in place: no new file, which on a busy disk is the costly part
    of a small write. A write torn by a crash leaves a head that cannot be read, which a writer
    treats as no head at all (it reads the records) and verify reports. A new head, or anything
    other than a plain file in its place, is written beside it and renamed over it.
    """
    data = (json.dumps(head.as_json(), indent=2) + "\n").encode("utf-8")
    fd = None
    if hasattr(os, "pwrite"):  # not on Windows: there it is always replaced
        try:
            fd = os.open(folder / HEAD_FILE, os.O_WRONLY | _NOFOLLOW | _NONBLOCK)
        except OSError:
            fd = None
    if fd is not None:
        try:
            if stat.S_ISREG(os.fstat(fd).st_mode) and os.pwrite(fd, data, 0) == len(data):
                os.ftruncate(fd, len(data))
                if fsync:
                    os.fsync(fd)
                return
        finally:
            os.close(fd)
    tmp = folder / f".{HEAD_FILE}.{secrets.token_hex(4)}.tmp"
    try:
        write_exclusive(tmp, data, fsync=fsync)
        tmp.replace(folder / HEAD_FILE)
    except OSError:
        unlink_quietly(tmp)
        raise


def _sync_folder(folder: Path) -> None:
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


# -- the folder lock -----------------------------------------------------------------------------


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

    def acquire(self) -> bool:
        """Take the lock. A reader never creates the lock file: with none (a folder no writer has
        used, or a read-only copy) it returns False and reads unlocked."""
        path = self.folder / LOCK_FILE
        flags = (os.O_RDWR | os.O_CREAT if self.exclusive else os.O_RDONLY) | _NOFOLLOW | _NONBLOCK
        try:
            fd = os.open(path, flags, 0o600)  # never through a symbolic link, never blocked by a FIFO
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                os.close(fd)
                raise OSError(errno.EINVAL, "it is not a regular file")
        except OSError as exc:
            if not self.exclusive:
                return False
            reason = "it is a symbolic link; remove it" if exc.errno == errno.ELOOP else exc.strerror or exc
            raise WriteFailed(f"cannot lock the records folder {self.folder} ({LOCK_FILE}: {reason})") from exc
        deadline = time.monotonic() + self.timeout
        waiting = self.folder / WAIT_FILE
        while True:
            try:
                _lock_fd(fd, self.exclusive)
                break
            except BlockingIOError:
                if self.exclusive:  # ask a batch holding the lock to give way (see RecordWriter)
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

    def release(self) -> None:
        if self._fd is not None:
            try:
                _unlock_fd(self._fd)
            finally:
                os.close(self._fd)
                self._fd = None

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


# -- countersigning ------------------------------------------------------------------------------


def countersign_file(
    path: Path,
    *,
    name: str,
    role: str,
    organisation: str | None,
    now: datetime,
    note: str | None = None,
) -> dict[str, Any]:
    """Add a countersignature to the record at ``path`` and return the updated record.

    The record must verify on its own first (a tampered record is never countersigned), and the
    countersigner must be someone other than the person who signed it off. The file is replaced
    atomically with the same record plus the countersignature; its digest and chain link are
    unchanged. With a signing key configured the countersignature is signed; a signed record
    requires a signed countersignature.
    """
    from sharewise.records.integrity import check_record, make_countersignature
    from sharewise.records.signing import SigningKeyError, TrustedKeys, load_signing_key

    if now.tzinfo is None:
        raise ValueError("the countersignature time must carry a time zone")
    try:
        key = load_signing_key()
        trusted = TrustedKeys.load()
    except SigningKeyError as exc:
        raise WriteFailed(f"cannot countersign: {exc}") from None
    folder = path.parent
    locked = (folder / HEAD_FILE).exists() or (folder / LOCK_FILE).exists()
    lock = FolderLock(folder, exclusive=True) if locked else None
    if lock is not None:
        lock.acquire()
    try:
        record = _read_record(path)
        problems = check_record(record, trusted=trusted)
        if problems:
            raise UsageError(f"{path} does not verify, so it cannot be countersigned: {problems[0]}")
        sign_off = record.get("sign_off")
        signers = [str(sign_off.get("name", ""))] if isinstance(sign_off, dict) else []
        signers += [str(c.get("name", "")) for c in record.get("countersignatures", []) if isinstance(c, dict)]
        if name.strip().casefold() in {s.strip().casefold() for s in signers}:
            raise UsageError(f"{name} has already signed this record; a countersignature must come from someone else")
        declared = record.get("signing")
        if key is not None and isinstance(declared, dict) and declared.get("key_id") == key.key_id:
            raise UsageError("the configured signing key signed this record; countersign with your own key")
        if key is None and "signing" in record:
            raise UsageError(
                "this record is signed, so its countersignature must be signed too, but no signing key is set up "
                "(set SHAREWISE_SIGNING_KEY, or see 'sharewise records keygen')"
            )
        entry = make_countersignature(
            record,
            name=name.strip(),
            role=role.strip(),
            organisation=(organisation or "").strip() or None,
            signed_at=now.isoformat(timespec="seconds"),
            note=(note or "").strip() or None,
            key=key,
        )
        updated = dict(record)
        updated["countersignatures"] = [*record.get("countersignatures", []), entry]
        _replace_file(path, encode(updated))
        return updated
    finally:
        if lock is not None:
            lock.release()


def _read_record(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(read_limited(path))
    except FileNotFoundError:
        raise UsageError(f"no record at {path}") from None
    except (OSError, ValueError) as exc:
        raise UsageError(f"cannot read the record {path}: {exc}") from None
    if not isinstance(data, dict):
        raise UsageError(f"{path} is not a sharewise record")
    return data


def _replace_file(target: Path, data: bytes) -> None:
    """Atomically replace ``target`` (a countersigned record) with ``data``, mode 0600."""
    tmp = target.parent / f".{target.name}.{secrets.token_hex(4)}.tmp"
    try:
        write_exclusive(tmp, data, fsync=True)
        tmp.replace(target)
    except OSError as exc:
        unlink_quietly(tmp)
        raise WriteFailed(f"cannot update {target}: {exc.strerror or exc}; the record is unchanged") from exc
    fsync_dir(target.parent)


def _touch(path: Path) -> None:
    with contextlib.suppress(OSError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | _NOFOLLOW | _NONBLOCK, 0o600))
