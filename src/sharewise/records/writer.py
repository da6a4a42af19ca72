"""Writing records into a folder's chain: sealed, linked, each a new owner-only file, never over another.

A record is written whole, flushed to disk, and only then linked to its final name
(:class:`sharewise.records.safefiles.NewFiles`: an unnamed ``O_TMPFILE`` file where Linux has it,
else a hidden temporary file). Linking fails if the name is taken, so an existing record is never
replaced, and a reader never sees half a record.

Every record is sealed on the way out (:func:`sharewise.records.integrity.seal`): it gets an
``integrity`` digest and, with a signing key configured, a signature, and it joins the folder's
**chain**: it holds the digest of the record written before it there. The writer holds the
folder's lock (:mod:`sharewise.records.lock`) and keeps its chain head
(:mod:`sharewise.records.head`) while it writes.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping, MutableMapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, cast

from sharewise.errors import WriteFailed
from sharewise.records.folder import encode, record_filename
from sharewise.records.head import ChainHead, find_head, save_head
from sharewise.records.lock import FolderLock
from sharewise.records.safefiles import NewFiles, failure_reason, make_private_folder

if TYPE_CHECKING:
    from sharewise.records.integrity import ChainLink
    from sharewise.records.prepared import PreparedRecord, Sealed
    from sharewise.records.signing import SigningKey

__all__ = ["RecordWriter", "signing_key", "update_caller"]


def update_caller(record: Mapping[str, Any], sealed: Mapping[str, Any]) -> None:
    """Give the caller's dict the seal, so what it prints is what was stored."""
    if isinstance(record, MutableMapping):
        for key in ("chain", "signing", "integrity"):
            if key in sealed:
                record[key] = sealed[key]
            else:
                record.pop(key, None)


def signing_key() -> SigningKey | None:
    """The configured signing key, or None; raises :class:`WriteFailed` when it cannot be loaded."""
    from sharewise.records.signing import SigningKeyError, load_signing_key

    try:
        return load_signing_key()
    except SigningKeyError as exc:
        raise WriteFailed(f"cannot sign the record: {exc}; nothing was written") from None


class RecordWriter:
    """Writes records into one folder's chain; use as a context manager (the folder's ``RecordSink``).

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
        self._head: ChainHead | None = None
        self._marked = False  # the head on disk says pending
        self._key: SigningKey | None = None
        self._files: NewFiles | None = None

    def __enter__(self) -> RecordWriter:
        _ensure_folder(self.folder)
        self._key = signing_key()
        lock = FolderLock(self.folder, exclusive=True)
        lock.acquire()
        try:
            head, scanned = find_head(self.folder)
            if head.signed_by and self._key is None:
                raise WriteFailed(
                    f"the records in {self.folder} are signed, so this one must be too, but no signing key is "
                    f"set up (set SHAREWISE_SIGNING_KEY, or see 'sharewise records keygen'); nothing was written"
                )
        except BaseException:
            lock.release()
            raise
        self._lock, self._head = lock, head
        self._files = NewFiles(self.folder)
        # With no trustworthy head on disk (none yet, damaged, or pending) the next writer reads the
        # records anyway, so there is nothing to mark until this writer has saved one.
        self._marked = scanned
        return self

    def write(self, record: Mapping[str, Any] | PreparedRecord) -> Path:
        """Seal ``record`` as the next link of the chain and write it; returns the new file's path.

        ``record`` may come already encoded (:mod:`sharewise.records.prepared`), as a batch checked
        on several CPUs hands them over: it is then sealed by a splice, with the same bytes.
        """
        head, files = self._head, self._files
        if head is None or files is None:
            raise RuntimeError("use RecordWriter as a context manager")
        sealing = _SEALING[0] if _SEALING else _sealing()
        link = sealing.ChainLink(head.chain_id, head.sequence + 1, head.digest)
        seal: tuple[Mapping[str, Any], dict[str, Any]] | None = None  # the caller's dict, and its seal
        if isinstance(record, sealing.PreparedRecord):
            data, digest = sealing.seal_prepared(record, link, self._key)
            name = record.name
        else:
            whole, plain = sealing.seal_checked(record, link=link, key=self._key)
            data, name, digest = encode(whole, checked=plain), record_filename(whole), whole["integrity"]["digest"]
            seal = (cast("Mapping[str, Any]", record), whole)  # (not prepared: isinstance tells mypy only one way)
        if not self._marked:  # before anything new is on disk: a crash from here on is repaired
            try:
                save_head(self.folder, head.but(pending=True), fsync=True)
            except OSError as exc:
                raise self._failed(f"cannot write the record to {self.folder}: {failure_reason(exc)}") from exc
            self._marked = True
        try:
            name = _write_in_folder(files, name, data, fsync=self.fsync)
        except WriteFailed as exc:
            raise self._failed(str(exc).removesuffix("; nothing was written")) from exc
        path = self.folder / name
        self.count += 1
        self.last = path
        if seal is not None:
            update_caller(*seal)
        self._head = ChainHead(
            head.chain_id,
            head.sequence + 1,
            digest,
            name,
            self._key.key_id if self._key else None,
            (head.files or 0) + 1,
            pending=True,
        )
        if self.fsync:  # the record is on disk now: the head can say so. That update need not be
            self._settle(durable=False)  # flushed itself: if it is lost, the pending mark remains
        if self._lock is not None and self._lock.others_waiting():
            self._give_way()
        return path

    def _give_way(self) -> None:
        """Let a writer that is waiting for the folder in, then carry on after its records.

        Everything written so far is flushed and the head saved first, so the other writer links
        to this batch's newest record; afterwards the head is read again, since it has moved.
        """
        if self._lock is None:
            return
        self._flush()
        self._settle()
        written = f"{self.count:,} record(s) were written in this run, the last as {self.last}"
        try:
            self._lock.hand_over()
            head, scanned = find_head(self.folder)
        except WriteFailed as exc:
            raise WriteFailed(f"{exc}; {written}") from exc
        if head.signed_by and self._key is None:
            raise WriteFailed(
                f"another writer has added signed records to {self.folder}, so the rest of this run must be "
                f"signed too, but no signing key is set up; {written}"
            )
        self._head, self._marked = head, scanned

    def _flush(self) -> None:
        """Flush the records written without fsync since the last flush (the head says pending till then)."""
        if self._marked and self.count and not self.fsync and self._files is not None:
            try:
                self._files.flush()
            except OSError as exc:  # the head keeps its pending mark: the next writer checks the records
                raise WriteFailed(
                    f"the {self.count:,} record(s) written in this run, the last as {self.last}, may not all "
                    f"be on the disk: flushing {self.folder} failed ({failure_reason(exc)}); run 'sharewise "
                    "records verify' on the folder once the disk is sound"
                ) from exc

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
            save_head(self.folder, self._head.but(pending=False), fsync=durable)
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
            self._flush()
            self._settle()
        finally:
            if self._files is not None:
                self._files.close()
                self._files = None
            if self._lock is not None:
                self._lock.release()
            self._lock = None


class _Sealing(NamedTuple):
    ChainLink: type[ChainLink]  # the names imported, as they are spelled there
    seal_checked: Callable[..., tuple[dict[str, Any], bool]]
    PreparedRecord: type[PreparedRecord]
    seal_prepared: Callable[..., Sealed]


def _sealing() -> _Sealing:
    """What sealing needs, imported with the first record written: it brings hashlib, which
    reading records never needs. Kept, as an import statement costs some 0.5 us each record."""
    from sharewise.records.integrity import ChainLink, seal_checked
    from sharewise.records.prepared import PreparedRecord, seal_prepared

    _SEALING.append(_Sealing(ChainLink, seal_checked, PreparedRecord, seal_prepared))
    return _SEALING[0]


_SEALING: list[_Sealing] = []


def _write_in_folder(files: NewFiles, name: str, data: bytes, *, fsync: bool = True) -> str:
    """Write a sealed record's ``data`` as a new file called ``name`` (or, if that is taken, a name
    like it); returns the name used."""
    try:
        files.create(name, data, fsync=fsync)
    except FileExistsError:  # same second and same id prefix: vanishingly rare, but never overwrite
        name = f"{name[: -len('.json')]}-{os.urandom(3).hex()}.json"
        files.create(name, data, fsync=fsync)
    return name


def _ensure_folder(folder: Path) -> None:
    try:
        make_private_folder(folder)
    except OSError as exc:
        raise WriteFailed(f"cannot create the records folder {folder}: {exc.strerror or exc}") from exc
