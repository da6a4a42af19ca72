"""Digests, chain links and signatures on records: the pure part (no files, no clock).

A record's **digest** is the SHA-256 of its canonical JSON (see :func:`canonical_bytes`) with the
``integrity`` block and the ``countersignatures`` list left out. Everything else is covered,
including the ``chain`` link (the digest of the record written before it in the same folder) and
the ``signing`` declaration (which key the writer promised to sign with), so neither can be changed
or stripped without changing the digest.

Countersignatures sit outside the digested body: each one has its own digest over the record's
digest and its own fields, so adding one never changes the record's digest and never breaks the
chain. ``docs/records.md`` explains the whole design and what it does and does not protect.

Checking one record is done here too, on a record already parsed (:func:`check_record`); the
records of a folder are checked as a chain by :func:`sharewise.records.chain.check_chain`. Reading
files is :mod:`sharewise.records.verify`'s job.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sharewise.formats import _fastjson

if TYPE_CHECKING:  # signing imports cryptography lazily; only its types are needed here
    from sharewise.records.signing import SigningKey, TrustedKeys

__all__ = [
    "CANONICAL_FORM",
    "COUNTERSIGNATURE_CONTEXT",
    "DIGEST_ALGORITHM",
    "NOT_DIGESTED",
    "RECORD_CONTEXT",
    "ChainLink",
    "body_of",
    "canonical_bytes",
    "check_countersignature",
    "check_record",
    "countersignature_digest",
    "is_digest",
    "make_countersignature",
    "record_digest",
    "seal",
    "seal_checked",
    "unsealed_body",
]

CANONICAL_FORM = "sharewise-canonical-json/1"
DIGEST_ALGORITHM = "sha256"
NOT_DIGESTED = ("integrity", "countersignatures")
INTEGRITY_KEYS = frozenset({"canonical", "algorithm", "digest", "signature"})
WRITE_TIME_FIELDS = ("chain", "signing")  # set by the writer, then digested with the rest
_NOT_SEALED = frozenset((*NOT_DIGESTED, *WRITE_TIME_FIELDS))  # what sealing replaces
RECORD_CONTEXT = b"sharewise-record-signature/1:"
COUNTERSIGNATURE_CONTEXT = b"sharewise-countersignature/1:"
_HEX64 = frozenset("0123456789abcdef")


def canonical_bytes(value: Any, *, checked: bool | None = None) -> bytes:
    """The canonical JSON form: sorted keys, no insignificant white space, UTF-8, no ``\\u`` escapes
    for non-ASCII text.

    For what records hold (text, whole numbers, booleans, null, ASCII keys) this is the same byte
    sequence as RFC 8785 (JSON Canonicalization Scheme), so a digest can be recomputed in any
    language. Records hold no floating-point numbers; NaN and infinities are refused. ``checked``
    is what :func:`sharewise.formats._fastjson.plain` said of ``value``, if it was asked already.
    """
    fast = _fastjson.canonical(value, checked=checked)  # the same bytes from orjson, when it is installed
    if fast is not None:
        return fast
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8")


def body_of(record: Mapping[str, Any]) -> dict[str, Any]:
    """The digested part of ``record``: everything but ``integrity`` and ``countersignatures``."""
    return {key: value for key, value in record.items() if key not in NOT_DIGESTED}


def record_digest(record: Mapping[str, Any]) -> str:
    """The hex SHA-256 of the record's canonical digested body."""
    return hashlib.sha256(canonical_bytes(body_of(record))).hexdigest()


@dataclass(frozen=True, slots=True)
class ChainLink:
    """Where a new record goes in its folder's chain: chain id, 1-based sequence, previous digest."""

    chain_id: str
    sequence: int
    previous: str | None

    def as_json(self) -> dict[str, Any]:
        return {"id": self.chain_id, "sequence": self.sequence, "previous": self.previous}


def seal(record: Mapping[str, Any], *, link: ChainLink | None = None, key: SigningKey | None = None) -> dict[str, Any]:
    """A copy of ``record`` with its ``chain`` link, ``signing`` declaration and ``integrity`` block.

    Any earlier seal is replaced. A countersigned record cannot be sealed again, since its
    countersignatures vouch for the old digest.
    """
    return seal_checked(record, link=link, key=key)[0]


def seal_checked(
    record: Mapping[str, Any], *, link: ChainLink | None = None, key: SigningKey | None = None
) -> tuple[dict[str, Any], bool]:
    """:func:`seal`, and what :func:`sharewise.formats._fastjson.plain` says of the sealed record,
    asked once on the way, so that writing it out need not ask again."""
    body = unsealed_body(record)
    if link is not None:
        body["chain"] = link.as_json()
    if key is not None:
        body["signing"] = key.declaration()
    plain = _fastjson.plain(body)  # and so the sealed record: the integrity block is text only
    digest = hashlib.sha256(canonical_bytes(body, checked=plain)).hexdigest()
    integrity: dict[str, Any] = {"canonical": CANONICAL_FORM, "algorithm": DIGEST_ALGORITHM, "digest": digest}
    if key is not None:
        integrity["signature"] = key.sign(RECORD_CONTEXT, digest)
    body["integrity"] = integrity  # the body is this function's own dict: it becomes the sealed record
    return body, plain


def unsealed_body(record: Mapping[str, Any]) -> dict[str, Any]:
    """A new dict of ``record`` less any earlier seal (what sealing adds); a countersigned record
    cannot be sealed again, since its countersignatures vouch for the old digest."""
    if record.get("countersignatures"):
        raise ValueError("a countersigned record cannot be sealed again")
    return {k: v for k, v in record.items() if k not in _NOT_SEALED}


def countersignature_digest(entry: Mapping[str, Any]) -> str:
    """The hex SHA-256 of a countersignature's canonical form, less its ``digest`` and ``signature``."""
    covered = {k: v for k, v in entry.items() if k not in ("digest", "signature")}
    return hashlib.sha256(canonical_bytes(covered)).hexdigest()


def make_countersignature(
    record: Mapping[str, Any],
    *,
    name: str,
    role: str,
    organisation: str | None,
    signed_at: str,
    note: str | None = None,
    key: SigningKey | None = None,
) -> dict[str, Any]:
    """A countersignature for ``record`` (whose digest must already hold): a second sign-off."""
    entry: dict[str, Any] = {
        "name": name,
        "role": role,
        "organisation": organisation,
        "signed_at": signed_at,
    }
    if note:
        entry["note"] = note
    entry["record_digest"] = record_digest(record)
    if key is not None:
        entry["signing"] = key.declaration()
    entry["digest"] = countersignature_digest(entry)
    if key is not None:
        entry["signature"] = key.sign(COUNTERSIGNATURE_CONTEXT, entry["digest"])
    return entry


# -- checking -------------------------------------------------------------------------------------


def is_digest(value: object) -> bool:
    """A SHA-256 digest as sharewise writes it: 64 lower-case hex digits."""
    return isinstance(value, str) and len(value) == 64 and set(value) <= _HEX64


def _check_signature(
    declared: object,
    signature: object,
    *,
    context: bytes,
    digest: str,
    trusted: TrustedKeys | None,
    require: bool,
    what: str,
) -> list[str]:
    """Problems with one signed (or should-be-signed) item; an empty list when it holds."""
    if declared is None and signature is None:
        return [f"{what} is not signed, and signatures are required"] if require else []
    if declared is None:
        return [f"{what} carries a signature its digested body does not declare: added after writing"]
    if not isinstance(declared, Mapping) or not isinstance(declared.get("key_id"), str):
        return [f"{what} has a malformed 'signing' declaration"]
    if signature is None:
        return [f"{what} should be signed by key {str(declared['key_id'])[:16]} but has no signature: removed?"]
    if not isinstance(signature, Mapping):
        return [f"{what} has a malformed signature"]
    if signature.get("key_id") != declared["key_id"] or signature.get("algorithm") != declared.get("algorithm"):
        return [f"{what} is signed with a different key or algorithm than it declares"]
    if trusted is None:
        from sharewise.records.signing import TrustedKeys

        trusted = TrustedKeys()
    problem = trusted.check(signature, context, digest)
    return [f"{what} {problem}"] if problem else []


def check_record(
    record: Mapping[str, Any], *, trusted: TrustedKeys | None = None, require_signatures: bool = False
) -> list[str]:
    """Every problem with one record on its own: its digest, signature and countersignatures."""
    integrity = record.get("integrity")
    if not isinstance(integrity, Mapping):
        return ["has no integrity block, so nothing shows it is unaltered (written by an older sharewise?)"]
    problems: list[str] = []
    extra = sum(1 for k in integrity if k not in INTEGRITY_KEYS)
    if extra:  # outside the digest, so anything added here would otherwise pass unnoticed
        problems.append(
            f"integrity block has {extra} field(s) sharewise never writes there "
            "(only canonical, algorithm, digest and signature belong): added after writing"
        )
    if integrity.get("algorithm") != DIGEST_ALGORITHM or integrity.get("canonical") != CANONICAL_FORM:
        problems.append(
            f"integrity block names an unknown method ({integrity.get('algorithm')!r}, {integrity.get('canonical')!r})"
        )
        return problems
    claimed = integrity.get("digest")
    try:
        actual = record_digest(record)
    except (TypeError, ValueError, UnicodeError) as exc:
        return [f"cannot be put in canonical form: {exc}"]
    if not is_digest(claimed):
        problems.append("integrity digest is missing or malformed")
    elif claimed != actual:
        problems.append("digest does not match: the record has been changed since it was written")
        return problems  # a signature over the old digest tells nothing more
    problems.extend(
        _check_signature(
            record.get("signing"),
            integrity.get("signature"),
            context=RECORD_CONTEXT,
            digest=actual,
            trusted=trusted,
            require=require_signatures,
            what="the record",
        )
    )
    countersignatures = record.get("countersignatures", [])
    if not isinstance(countersignatures, list):
        problems.append("'countersignatures' is not a list")
        return problems
    for number, entry in enumerate(countersignatures, start=1):
        problems.extend(
            check_countersignature(
                entry,
                actual,
                number=number,
                record_signed="signing" in record,
                trusted=trusted,
                require_signatures=require_signatures,
            )
        )
    return problems


def check_countersignature(
    entry: object,
    record_digest_hex: str,
    *,
    number: int,
    record_signed: bool = False,
    trusted: TrustedKeys | None = None,
    require_signatures: bool = False,
) -> list[str]:
    """Problems with one countersignature of a record whose body digest is ``record_digest_hex``."""
    what = f"countersignature {number}"
    if not isinstance(entry, Mapping):
        return [f"{what} is not an object"]
    who = entry.get("name")
    if isinstance(who, str) and who:
        what = f"countersignature {number} ({who})"
    if entry.get("record_digest") != record_digest_hex:
        return [f"{what} was made for a different version of this record"]
    try:
        actual = countersignature_digest(entry)
    except (TypeError, ValueError, UnicodeError) as exc:
        return [f"{what} cannot be put in canonical form: {exc}"]
    if entry.get("digest") != actual:
        return [f"{what} digest does not match: it has been changed since it was added"]
    return _check_signature(
        entry.get("signing"),
        entry.get("signature"),
        context=COUNTERSIGNATURE_CONTEXT,
        digest=actual,
        trusted=trusted,
        require=require_signatures or record_signed,
        what=what,
    )
