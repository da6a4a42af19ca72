"""Where records are kept: the store interface every front-end uses, and the records folder behind it.

Front-ends use the :class:`RecordStore` interface (:func:`open_store`), which the folder
implements (:class:`FolderStore`); a second backend can implement it without touching them (see
``docs/scaling.md``). :func:`write_record` seals one record and writes it to a file or a folder.

A records folder holds one JSON file per record (named, listed and read by
:mod:`sharewise.records.folder`), written by :class:`~sharewise.records.writer.RecordWriter` into
the folder's chain under its lock (:mod:`sharewise.records.lock`), with the chain head beside them
(:mod:`sharewise.records.head`). Countersigning is :mod:`sharewise.records.countersign`. The names
those modules give front-ends are importable from here too. See ``docs/records.md``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from sharewise.errors import UsageError, WriteFailed
from sharewise.records.countersign import countersign_file
from sharewise.records.folder import (
    MAX_RECORD_BYTES,
    RecordNames,
    default_records_dir,
    encode,
    read_limited,
    record_filename,
    record_files,
    record_names,
    records_dir,
)
from sharewise.records.head import HEAD_FILE, HEAD_FORMAT, read_head
from sharewise.records.lock import LOCK_FILE, LOCK_TIMEOUT, WAIT_FILE, FolderLock
from sharewise.records.safefiles import write_new_file
from sharewise.records.writer import RecordWriter, signing_key, update_caller

if TYPE_CHECKING:  # its module brings hashlib: a command that only reads records never needs it
    from sharewise.records.prepared import PreparedRecord

__all__ = [
    "HEAD_FILE",
    "HEAD_FORMAT",
    "LOCK_FILE",
    "LOCK_TIMEOUT",
    "MAX_RECORD_BYTES",
    "WAIT_FILE",
    "FolderLock",
    "FolderStore",
    "RecordNames",
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
    "record_names",
    "records_dir",
    "write_record",
]


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

    def write(self, record: Mapping[str, Any] | PreparedRecord) -> Path:
        """Seal ``record`` as the next link and store it; returns where it is.

        A batch on several CPUs hands records over already encoded
        (:class:`~sharewise.records.prepared.PreparedRecord`), as views into memory that is used
        again for later records: they hold only during this call. A backend seals one with
        :func:`~sharewise.records.prepared.seal_prepared` (and may parse the sealed bytes, if it
        wants the dict) before it returns; it must never keep the prepared record itself.
        """
        ...


class RecordStore(Protocol):
    """Where a team's records are kept. Every front-end (decide, check, records ...) uses only this.

    The records folder (:class:`FolderStore`) is the built-in one; a shared register on a database
    could implement the same methods and carry the same sealed records and chain (see
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

    def names(self) -> Iterable[str]:
        """The record names in order, read as consistently as :meth:`snapshot` reads them, for a reader
        that takes them one at a time and needs no head (``records list``): kept compactly, so memory
        grows far less than a list of every name."""
        ...

    def read(self, name: str) -> bytes:
        """The stored bytes of one record, at most :data:`MAX_RECORD_BYTES` + 1; raises ``OSError``."""
        ...

    def where(self, name: str) -> Path:
        """Where the record ``name`` is, for messages and for ``records show``."""
        ...


class FolderStore:
    """A records folder: one JSON file per record, the chain head and lock beside them."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        # what ``folder / name`` spells before the name (nothing for "."), so read() can make the
        # same path as a plain string
        self._prefix = str(folder / "_")[:-1]

    @property
    def label(self) -> str:
        return str(self.folder)

    def writer(self, *, fsync: bool = True) -> RecordWriter:
        return RecordWriter(self.folder, fsync=fsync)

    def snapshot(self) -> Snapshot:
        with self._reading():
            names = record_files(self.folder)
            try:
                head, problem = read_head(self.folder), None
            except ValueError as exc:
                head, problem = None, str(exc)
        return Snapshot(names, head, problem)

    def names(self) -> RecordNames:
        with self._reading():
            return record_names(self.folder)

    @contextmanager
    def _reading(self) -> Iterator[None]:
        """The folder's lock shared, held only while names (and the head) are read, never while
        records are checked or listed."""
        lock = FolderLock(self.folder, exclusive=False)
        try:
            locked = lock.acquire()  # waits for a writer to finish, so a batch in progress is not a problem
        except WriteFailed:  # a writer has held it for minutes: read anyway (anything half-done is reported)
            locked = False
        try:
            yield
        finally:
            if locked:
                lock.release()

    def read(self, name: str) -> bytes:
        # A string, not ``self.folder / name``: pathlib interns every part, so a Path per record grows
        # the interpreter's table of interned strings with each record listed.
        return read_limited(self._prefix + name)

    def where(self, name: str) -> Path:
        return self.folder / name


def open_store(location: Path) -> RecordStore:
    """The store at ``location``: today always a records folder."""
    return FolderStore(location)


def write_record(record: Mapping[str, Any], *, out: Path | None = None, folder: Path | None = None) -> Path:
    """Seal ``record`` and write it to ``out`` (which must not exist) or as a new file in ``folder``.

    A dict ``record`` gains the ``integrity`` block (and ``chain``/``signing``) it was written with.
    """
    if out is not None:
        from sharewise.records.integrity import seal

        sealed = seal(record, key=signing_key())
        try:
            path = write_new_file(out, encode(sealed))
        except FileExistsError:
            raise UsageError(f"{out} already exists; sharewise never overwrites a record") from None
        update_caller(record, sealed)
        return path
    if folder is None:
        raise ValueError("give out or folder")
    with open_store(folder).writer() as writer:
        return writer.write(record)
