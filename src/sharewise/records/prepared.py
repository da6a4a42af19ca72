"""A record encoded ahead of its place in a chain, so that sealing it is a splice and one digest.

Sealing a record (:func:`sharewise.records.integrity.seal_checked`) adds three fields that only the
writer knows, since they depend on the record written before it: the ``chain`` link, the
``signing`` declaration and the ``integrity`` block. Everything else, and nearly all the bytes, is
known as soon as the record is built. :func:`prepare` encodes that part in both of the record's
JSON forms, the canonical one (for the digest) and the indented one (for the file), leaving room
for the three fields; :func:`seal_prepared` then puts them in and hashes, with no re-encoding.

A batch uses this to build and encode records on several CPUs while one process writes them in
chain order (:mod:`sharewise.frontends.batch.parallel`). The bytes are exactly those of
:func:`~sharewise.records.integrity.seal_checked` followed by
:func:`~sharewise.records.folder.encode` (a test holds the two to each other); a record orjson cannot
write the same way as the standard library (see :mod:`sharewise.formats._fastjson`) is not prepared.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

from sharewise.formats import _fastjson
from sharewise.records.folder import encode, record_filename
from sharewise.records.integrity import (
    _NOT_SEALED,
    CANONICAL_FORM,
    DIGEST_ALGORITHM,
    RECORD_CONTEXT,
    ChainLink,
    canonical_bytes,
)

if TYPE_CHECKING:
    from sharewise.records.signing import SigningKey

__all__ = ["Place", "PreparedRecord", "Sealed", "pack_into", "prepare", "seal_prepared", "unpack"]

_CLOSE = b"\n}\n"  # how the indented form of a dict ends
_CHAIN_ID: list[tuple[str | None, bytes]] = [(None, b"")]  # the last chain id sealed into, and its canonical text


Bytes = bytes | memoryview  # a batch hands records over as views into a buffer (see pack_into)


class PreparedRecord(NamedTuple):
    """A built record in both JSON forms, less its seal; made by :func:`prepare`.

    ``before``, ``between`` and ``after`` are the canonical form's members in three runs, split
    where ``chain`` and ``signing`` sort among them (each without braces, possibly empty);
    ``indented`` is the file form of the same fields, in the record's own order (the seal's
    fields come last). :func:`pack_into` and :func:`unpack` carry many of them in one buffer;
    a record unpacked so is a set of views into that buffer, valid only until it is used again.
    """

    name: str  # the record's file name (its time and id)
    before: Bytes
    between: Bytes
    after: Bytes
    indented: Bytes


#: Where a packed record lies in its buffer: its name, its start, and the end of each part.
Place = tuple[str, int, int, int, int, int]


def pack_into(records: list[PreparedRecord], buffer: memoryview) -> list[Place] | None:
    """Copy ``records`` into ``buffer``, one after another; their places, or None when they do not fit.

    A batch's workers leave each block's records in memory they share with the main process
    this way, so thousands of records never travel through a pipe, nor make and free thousands
    of large objects in the main process (which fragments its heap over a long batch).
    """
    places: list[Place] = []
    end, room = 0, len(buffer)
    for name, before, between, after, indented in records:
        start = end
        ends = []
        for part in (before, between, after, indented):
            size = len(part)
            if end + size > room:
                return None
            buffer[end : end + size] = part
            end += size
            ends.append(end)
        places.append((name, start, ends[0], ends[1], ends[2], ends[3]))
    return places


def unpack(buffer: memoryview, places: list[Place]) -> list[PreparedRecord]:
    """The records :func:`pack_into` left in ``buffer``, as views into it (nothing is copied)."""
    return [
        PreparedRecord(name, buffer[start:a], buffer[a:b], buffer[b:c], buffer[c:end])
        for name, start, a, b, c, end in places
    ]


class Sealed(NamedTuple):
    """What :func:`seal_prepared` gives: the file's bytes and the record's digest."""

    data: bytes
    digest: str


def prepare(record: Mapping[str, Any]) -> PreparedRecord | None:
    """``record`` encoded for :func:`seal_prepared`, or None when it must be sealed the usual way
    (no orjson, or a value only the standard library writes)."""
    if record.get("countersignatures"):
        raise ValueError("a countersigned record cannot be sealed again")
    body = {k: v for k, v in record.items() if k not in _NOT_SEALED}
    if not _fastjson.plain(body):
        return None
    indented = _fastjson.indented(body, checked=True)
    if indented is None or not indented.endswith(_CLOSE):
        return None
    runs: tuple[dict[str, Any], dict[str, Any], dict[str, Any]] = ({}, {}, {})
    for key in sorted(body):  # orjson sorts keys by their UTF-8 bytes, as str comparison does
        runs[0 if key < "chain" else 1 if key < "signing" else 2][key] = body[key]
    parts = []
    for run in runs:
        encoded = _fastjson.canonical(run, checked=True)
        if encoded is None:
            return None
        parts.append(encoded[1:-1])
    return PreparedRecord(record_filename(body), parts[0], parts[1], parts[2], indented)


def seal_prepared(prepared: PreparedRecord, link: ChainLink, key: SigningKey | None = None) -> Sealed:
    """The sealed file of ``prepared`` as the chain's ``link``, signed with ``key`` if given."""
    _, before, between, after, indented = prepared
    known = _CHAIN_ID[0]
    if known[0] != link.chain_id:  # a writer's records all join one chain: its id is encoded once
        known = _CHAIN_ID[0] = (link.chain_id, canonical_bytes(link.chain_id))
    previous = b"null" if link.previous is None else canonical_bytes(link.previous)
    chain = b'"chain":{"id":%b,"previous":%b,"sequence":%d}' % (known[1], previous, link.sequence)
    members = [before, chain, between] if before else [chain, between]
    declared = key.declaration() if key is not None else None
    if declared is not None:
        members.append(b'"signing":' + canonical_bytes(declared))
    if after:
        members.append(after)
    digest = hashlib.sha256(b"".join((b"{", b",".join(m for m in members if m), b"}"))).hexdigest()
    integrity: dict[str, Any] = {"canonical": CANONICAL_FORM, "algorithm": DIGEST_ALGORITHM, "digest": digest}
    if key is not None:
        integrity["signature"] = key.sign(RECORD_CONTEXT, digest)
    tail: dict[str, Any] = {"chain": link.as_json()}
    if declared is not None:
        tail["signing"] = declared
    tail["integrity"] = integrity
    # Both forms end in the same closing brace; the tail's members carry on from the body's, at
    # the same indent. (The seal's fields go through the usual encoders: a chain id read from a
    # damaged head fails here exactly as it would in seal_checked.)
    return Sealed(b"".join((indented[: -len(_CLOSE)], b",\n", encode(tail, checked=True)[2:])), digest)
