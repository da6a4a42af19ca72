"""Digests, chain links and signatures on records: the pure part (no files, no clock).

A record's **digest** is the SHA-256 of its canonical JSON (see :func:`canonical_bytes`) with the
``integrity`` block and the ``countersignatures`` list left out. Everything else is covered,
including the ``chain`` link (the digest of the record written before it in the same folder) and
the ``signing`` declaration (which key the writer promised to sign with), so neither can be changed
or stripped without changing the digest.

Countersignatures sit outside the digested body: each one has its own digest over the record's
digest and its own fields, so adding one never changes the record's digest and never breaks the
chain. ``docs/records.md`` explains the whole design and what it does and does not protect.

Checking is done here too, on records already parsed: :func:`check_record` for one record and
:func:`check_chain` for the records of one folder. Reading files is :mod:`sharewise.records.verify`'s job.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
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
    "ChainEntry",
    "ChainLink",
    "body_of",
    "canonical_bytes",
    "check_chain",
    "check_countersignature",
    "check_record",
    "countersignature_digest",
    "make_countersignature",
    "record_digest",
    "seal",
]

CANONICAL_FORM = "sharewise-canonical-json/1"
DIGEST_ALGORITHM = "sha256"
NOT_DIGESTED = ("integrity", "countersignatures")
INTEGRITY_KEYS = frozenset({"canonical", "algorithm", "digest", "signature"})
WRITE_TIME_FIELDS = ("chain", "signing")  # set by the writer, then digested with the rest
RECORD_CONTEXT = b"sharewise-record-signature/1:"
COUNTERSIGNATURE_CONTEXT = b"sharewise-countersignature/1:"
_HEX64 = frozenset("0123456789abcdef")


def canonical_bytes(value: Any) -> bytes:
    """The canonical JSON form: sorted keys, no insignificant white space, UTF-8, no ``\\u`` escapes
    for non-ASCII text.

    For what records hold (text, whole numbers, booleans, null, ASCII keys) this is the same byte
    sequence as RFC 8785 (JSON Canonicalization Scheme), so a digest can be recomputed in any
    language. Records hold no floating-point numbers; NaN and infinities are refused.
    """
    fast = _fastjson.canonical(value)  # the same bytes from orjson, when it is installed
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
    if record.get("countersignatures"):
        raise ValueError("a countersigned record cannot be sealed again")
    body = {k: v for k, v in body_of(record).items() if k not in WRITE_TIME_FIELDS}
    if link is not None:
        body["chain"] = link.as_json()
    if key is not None:
        body["signing"] = key.declaration()
    digest = hashlib.sha256(canonical_bytes(body)).hexdigest()
    integrity: dict[str, Any] = {"canonical": CANONICAL_FORM, "algorithm": DIGEST_ALGORITHM, "digest": digest}
    if key is not None:
        integrity["signature"] = key.sign(RECORD_CONTEXT, digest)
    sealed = dict(body)
    sealed["integrity"] = integrity
    return sealed


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


def _is_digest(value: object) -> bool:
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
    if not _is_digest(claimed):
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


@dataclass(frozen=True, slots=True)
class ChainEntry:
    """One record of a folder as the chain check sees it: its file name and the fields that matter."""

    name: str
    chain_id: str | None
    sequence: int | None
    previous: str | None
    digest: str | None  # the digest the record claims (its own check compares it with the content)
    signed: bool

    @classmethod
    def of(cls, name: str, record: Mapping[str, Any]) -> ChainEntry:
        chain = record.get("chain")
        integrity = record.get("integrity")
        claimed = integrity.get("digest") if isinstance(integrity, Mapping) else None
        if not isinstance(chain, Mapping):
            return cls(name, None, None, None, claimed if _is_digest(claimed) else None, "signing" in record)
        sequence = chain.get("sequence")
        previous = chain.get("previous")
        return cls(
            name,
            str(chain.get("id")) if chain.get("id") is not None else None,
            sequence if isinstance(sequence, int) and not isinstance(sequence, bool) else None,
            previous if _is_digest(previous) else None,
            claimed if _is_digest(claimed) else None,
            "signing" in record,
        )


@dataclass(frozen=True, slots=True)
class ChainHead:
    """What the folder's head file says the newest record is."""

    chain_id: str
    sequence: int
    digest: str | None
    file: str | None


def check_chain(entries: Sequence[ChainEntry], head: ChainHead | None, head_name: str) -> list[tuple[str, str]]:
    """Problems with one folder's chain, as ``(file name, message)`` pairs.

    Finds records outside the chain, records from another folder's chain, gaps (deleted records),
    forks, broken links (reordered, replaced or edited records), a missing newest record, and an
    unsigned record after the chain started signing. The work grows with the records given, never
    with the positions they claim: a gap of any size is one step.
    """
    problems: list[tuple[str, str]] = []
    chained = [e for e in entries if e.chain_id is not None and e.sequence is not None]
    for entry in entries:
        if entry.chain_id is None or entry.sequence is None:
            problems.append((entry.name, "is not part of this folder's chain (copied in from elsewhere?)"))
    if not chained:
        if head is not None and head.sequence > 0:
            problems.append((head_name, f"names {head.sequence} chained record(s) but none is in the folder"))
        return problems
    chain_id = head.chain_id if head is not None else None
    if chain_id is None or not any(e.chain_id == chain_id for e in chained):
        if head is not None:
            problems.append((head_name, "names a chain that no record in this folder belongs to"))
            head = None
        chain_id = _most_common(e.chain_id for e in chained)
    ours = [e for e in chained if e.chain_id == chain_id]
    for entry in chained:
        if entry.chain_id != chain_id:
            problems.append((entry.name, "belongs to another records folder's chain (copied in from elsewhere?)"))
    by_sequence: dict[int, list[ChainEntry]] = {}
    for entry in ours:
        by_sequence.setdefault(entry.sequence or 0, []).append(entry)
    last = max(by_sequence)
    for sequence, group in sorted(by_sequence.items()):
        if sequence < 1:
            problems.extend((e.name, "has an impossible chain position (sequence < 1)") for e in group)
        if len(group) > 1:
            names = ", ".join(e.name for e in group)
            problems.extend((e.name, f"shares chain position {sequence} with another record: {names}") for e in group)
    signing_started: str | None = None
    reached = 0  # the last position seen so far: every step below visits a position that is present
    for sequence in sorted(s for s in by_sequence if s >= 1):  # never the range up to a (forged) largest one
        group = by_sequence[sequence]
        if sequence > reached + 1:
            gap = (
                f"the record before it in the chain (position {reached + 1}) is missing"
                if sequence == reached + 2
                else f"the records before it in the chain (positions {reached + 1} to {sequence - 1}) are missing"
            )
            problems.append((group[0].name, f"{gap}: deleted or moved away?"))
        reached = sequence
        before = by_sequence.get(sequence - 1, [])
        for entry in group:
            if sequence == 1 and entry.previous is not None:
                problems.append((entry.name, "is first in the chain but links to an earlier record"))
            elif sequence > 1 and before and all(entry.previous != b.digest for b in before):
                problems.append(
                    (
                        entry.name,
                        f"does not link to the record before it ({before[0].name}): "
                        "records reordered, replaced or edited",
                    )
                )
            if signing_started and not entry.signed:
                problems.append((entry.name, f"is not signed, but the chain is signed from {signing_started} on"))
            if entry.signed and signing_started is None:
                signing_started = entry.name
    if head is None:
        problems.append((head_name, "is missing: the newest records cannot be checked for deletion"))
    elif head.sequence > last:
        missing = head.file or f"position {head.sequence}"
        problems.append(
            (head_name, f"says the newest record is {missing} (position {head.sequence}), which is missing")
        )
    elif head.sequence < last:
        newer = ", ".join(e.name for e in by_sequence[last])
        problems.append((newer, "is newer than the chain head: interrupted write, or the head file was rolled back"))
    elif head.digest not in {e.digest for e in by_sequence[last]}:
        problems.append((head_name, f"does not match the newest record ({by_sequence[last][0].name})"))
    return problems


def _most_common(values: Iterable[str | None]) -> str | None:
    counts: dict[str | None, int] = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    return max(counts, key=lambda v: counts[v]) if counts else None
