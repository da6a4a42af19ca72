"""Countersigning a record file: a second person's sign-off added to a record already written.

The countersignature sits outside the record's digest (see :mod:`sharewise.records.integrity`), so
the record file is replaced by the same record plus the countersignature, with its digest and
chain link unchanged. This is the only time sharewise replaces a record file.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sharewise.errors import UsageError, WriteFailed
from sharewise.records.folder import encode, read_limited
from sharewise.records.head import HEAD_FILE
from sharewise.records.lock import LOCK_FILE, FolderLock
from sharewise.records.safefiles import fsync_dir, replace_file

if TYPE_CHECKING:
    from sharewise.records.signing import SigningKey, TrustedKeys

__all__ = ["countersign_file"]


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
    from sharewise.records.integrity import make_countersignature
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
        _check_can_countersign(path, record, name=name, key=key, trusted=trusted)
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
        _replace_record(path, encode(updated))
        return updated
    finally:
        if lock is not None:
            lock.release()


def _check_can_countersign(
    path: Path, record: dict[str, Any], *, name: str, key: SigningKey | None, trusted: TrustedKeys
) -> None:
    """Raise :class:`UsageError` when ``name`` (with ``key``) may not countersign ``record``."""
    from sharewise.records.integrity import check_record

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


def _replace_record(target: Path, data: bytes) -> None:
    """Replace ``target`` (a countersigned record) with ``data`` in one step, mode 0600, flushed."""
    try:
        replace_file(target, data, fsync=True)
    except OSError as exc:
        raise WriteFailed(f"cannot update {target}: {exc.strerror or exc}; the record is unchanged") from exc
    fsync_dir(target.parent)
