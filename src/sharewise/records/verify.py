"""Verifying record files and records folders: every problem found, each naming its file.

A file is checked on its own (digest, signature, countersignatures, that the bytes are exactly
what sharewise wrote); a folder also has its chain checked (see
:func:`sharewise.records.chain.check_chain`). Verification fails closed: a record that cannot be
read, has no integrity block, or should be signed and is not, is a problem, never a pass.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sharewise.errors import SharewiseError
from sharewise.records.chain import ChainEntry, check_chain
from sharewise.records.folder import MAX_RECORD_BYTES, encode, read_limited, record_filename
from sharewise.records.head import HEAD_FILE, ChainHead
from sharewise.records.integrity import check_record
from sharewise.records.signing import TrustedKeys
from sharewise.records.store import RecordStore, open_store

__all__ = ["MAX_RECORD_BYTES", "FolderResult", "Problem", "Report", "load_record", "parse_record", "verify_paths"]
_SUFFIX = re.compile(r"^-[0-9a-f]{6}$")


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong, naming the file it is in (or the file that shows it)."""

    path: Path
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


@dataclass(frozen=True, slots=True)
class FolderResult:
    """A verified folder's chain head: quote its digest elsewhere to anchor the chain."""

    folder: Path
    records: int
    head_sequence: int | None
    head_digest: str | None


@dataclass
class Report:
    """What verification found: the problems, how many records were read, and each folder's head."""

    problems: list[Problem] = field(default_factory=list)
    records: int = 0
    folders: list[FolderResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


class RecordUnreadable(SharewiseError, ValueError):
    """Raised by :func:`load_record` when a file is not a readable record; the message says why.

    ``records verify`` reports it as a problem with that file (exit 6); ``records show`` and
    ``render`` as a usage error naming the file (exit 2). It is also a ``ValueError``, as it was.
    """


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise RecordUnreadable(f"has the key '{key}' twice in one object, so readers may disagree on it")
        seen[key] = value
    return seen


def _whole_number(text: str) -> int:
    if len(text.lstrip("-")) > 30:  # a record holds small numbers; Python refuses over 4,300 digits
        raise RecordUnreadable("holds a number too long to be part of a record")
    return int(text)


def load_record(path: Path) -> tuple[dict[str, Any], bytes]:
    """The parsed record at ``path`` and its bytes; raises :class:`RecordUnreadable` or ``OSError``."""
    data = read_limited(path)
    return parse_record(data), data


def parse_record(data: bytes) -> dict[str, Any]:
    """The record in ``data`` (a record file's bytes); raises :class:`RecordUnreadable`."""
    if len(data) > MAX_RECORD_BYTES:
        raise RecordUnreadable(f"is larger than {MAX_RECORD_BYTES // (1024 * 1024)} MB, so it is not a record")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise RecordUnreadable("is not UTF-8 text") from None
    try:
        record = json.loads(text, object_pairs_hook=_no_duplicates, parse_int=_whole_number)
    except json.JSONDecodeError as exc:
        raise RecordUnreadable(f"is not valid JSON (line {exc.lineno}, column {exc.colno}): {exc.msg}") from None
    except RecursionError:
        raise RecordUnreadable("is nested too deeply to be a record") from None
    except RecordUnreadable:  # a key given twice
        raise
    except ValueError:  # a whole number of thousands of digits: Python refuses to convert it
        raise RecordUnreadable("holds a number too long to be part of a record") from None
    if not isinstance(record, dict) or not str(record.get("format", "")).startswith("sharewise-record/"):
        raise RecordUnreadable("is not a sharewise record")
    return record


def _parse_quickly(data: bytes) -> dict[str, Any] | None:
    """The record in ``data`` by orjson, or None to take :func:`parse_record`'s careful path.

    orjson keeps the last of two copies of a key rather than refusing them, so its result is used
    only when re-encoding it gives back exactly ``data`` (which no file with a repeated key does).
    """
    if _orjson is None or len(data) > MAX_RECORD_BYTES:
        return None
    try:
        record = _orjson.loads(data)
    except (ValueError, RecursionError):
        return None
    if not isinstance(record, dict) or not str(record.get("format", "")).startswith("sharewise-record/"):
        return None
    return record


try:
    import orjson as _orjson
except ImportError:  # pragma: no cover - orjson is a dependency
    _orjson = None  # type: ignore[assignment]


def _file_problems(
    path: Path,
    record: dict[str, Any],
    data: bytes,
    *,
    trusted: TrustedKeys,
    require: bool,
    in_folder: bool,
    same_bytes: bool = False,
) -> list[str]:
    problems = check_record(record, trusted=trusted, require_signatures=require)
    if problems:
        return problems
    if not same_bytes and encode(record) != data:
        problems.append("has been re-formatted since it was written (its content is unchanged)")
    if in_folder and "chain" in record:  # a copy taken out of its folder may have any name
        try:
            expected = record_filename(record)[: -len(".json")]
        except (KeyError, ValueError, TypeError):
            return [*problems, "has no readable created_at or id"]
        stem = path.name.removesuffix(".json")
        if not (stem == expected or (stem.startswith(expected) and _SUFFIX.match(stem[len(expected) :]))):
            problems.append(f"its name does not match the record inside (expected {expected}.json): renamed or swapped")
    return problems


def _check_file(
    path: Path,
    report: Report,
    trusted: TrustedKeys,
    require: bool,
    *,
    store: RecordStore | None = None,
    name: str = "",
) -> dict[str, Any] | None:
    try:
        data = store.read(name) if store is not None else read_limited(path)
        quick = _parse_quickly(data)
        same = quick is not None and encode(quick) == data
        record = quick if same and quick is not None else parse_record(data)
    except RecordUnreadable as exc:
        report.problems.append(Problem(path, str(exc)))
        return None
    except OSError as exc:
        report.problems.append(Problem(path, f"cannot be read: {exc.strerror or exc}"))
        return None
    report.records += 1
    found = _file_problems(
        path, record, data, trusted=trusted, require=require, in_folder=store is not None, same_bytes=same
    )
    report.problems.extend(Problem(path, message) for message in found)
    return record


def _verify_folder(folder: Path, report: Report, trusted: TrustedKeys, require: bool) -> None:
    """Check every record of the folder and its chain.

    The folder lock is held only while the record names and the chain head are read (a consistent
    state: records are never changed once written); the records are then read and checked without
    it, so writers wait for a listing, never for a whole verification. Records written meanwhile
    are left for the next verification.
    """
    store = open_store(folder)
    snapshot = store.snapshot()
    head_path = store.where(HEAD_FILE)
    head: ChainHead | None = None
    if snapshot.head_problem is not None:
        report.problems.append(Problem(head_path, snapshot.head_problem))
    elif snapshot.head is not None:
        head = ChainHead.from_json(snapshot.head)
        if head is None:
            report.problems.append(Problem(head_path, "is damaged: its chain, sequence or digest is missing"))
    if not snapshot.names:
        report.problems.append(Problem(folder, "contains no sharewise records"))
        report.folders.append(FolderResult(folder, 0, None, None))
        return
    entries: list[ChainEntry] = []
    for name in snapshot.names:
        record = _check_file(store.where(name), report, trusted, require, store=store, name=name)
        if record is not None:
            entries.append(ChainEntry.of(name, record))
    for name, message in check_chain(entries, head, HEAD_FILE):
        report.problems.append(Problem(store.where(name), message))
    newest = max((e for e in entries if e.sequence is not None), key=lambda e: e.sequence or 0, default=None)
    report.folders.append(
        FolderResult(folder, len(entries), newest.sequence if newest else None, newest.digest if newest else None)
    )


def verify_paths(
    paths: Iterable[Path], *, trusted: TrustedKeys | None = None, require_signatures: bool = False
) -> Report:
    """Verify each path: a folder with its chain, or a single record file."""
    trusted = TrustedKeys.load() if trusted is None else trusted
    report = Report()
    paths = list(paths)
    folders = {p.resolve() for p in paths if p.is_dir()}
    done: set[Path] = set()
    for path in paths:  # in the order given, so the output follows the command line
        resolved = path.resolve()
        if resolved in done:
            continue
        done.add(resolved)
        if path.is_dir():
            _verify_folder(path, report, trusted, require_signatures)
        elif not path.exists():
            report.problems.append(Problem(path, "no such file or folder"))
        elif resolved.parent not in folders:  # a file in a folder being verified is checked there
            _check_file(path, report, trusted, require_signatures)
    return report
