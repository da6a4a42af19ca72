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
    CANONICAL_FORM,
    DIGEST_ALGORITHM,
    RECORD_CONTEXT,
    ChainLink,
    canonical_bytes,
    unsealed_body,
)

if TYPE_CHECKING:
    from sharewise.records.signing import SigningKey

__all__ = ["PreparedRecord", "Sealed", "prepare", "seal_prepared"]

_CLOSE = b"\n}\n"  # how the indented form of a dict ends


Bytes = bytes | memoryview  # a batch hands records over as views into shared memory (see batch.parallel)


class PreparedRecord(NamedTuple):
    """A built record in both JSON forms, less its seal; made by :func:`prepare`.

    ``before``, ``between`` and ``after`` are the canonical form's members in three runs, split
    where ``chain`` and ``signing`` sort among them (each without braces, possibly empty);
    ``indented`` is the file form of the same fields, in the record's own order (the seal's
    fields come last). A batch's workers hand them over as views into shared memory
    (:mod:`sharewise.frontends.batch.parallel`), valid only until that memory is used again.
    """

    name: str  # the record's file name (its time and id)
    before: Bytes
    between: Bytes
    after: Bytes
    indented: Bytes


class Sealed(NamedTuple):
    """What :func:`seal_prepared` gives: the file's bytes and the record's digest."""

    data: bytes
    digest: str


def prepare(record: Mapping[str, Any]) -> PreparedRecord | None:
    """``record`` encoded for :func:`seal_prepared`, or None when it must be sealed the usual way
    (no orjson, or a value only the standard library writes)."""
    body = unsealed_body(record)
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
    chain = link.as_json()
    declared = key.declaration() if key is not None else None
    # The canonical form, members in key order: the three runs, with the chain and signing between.
    parts: list[Bytes] = [b"{", before, b"," if before else b"", b'"chain":', canonical_bytes(chain)]
    if between:
        parts += (b",", between)
    if declared is not None:
        parts += (b',"signing":', canonical_bytes(declared))
    if after:
        parts += (b",", after)
    parts.append(b"}")
    digest = hashlib.sha256(b"".join(parts)).hexdigest()
    integrity: dict[str, Any] = {"canonical": CANONICAL_FORM, "algorithm": DIGEST_ALGORITHM, "digest": digest}
    if key is not None:
        integrity["signature"] = key.sign(RECORD_CONTEXT, digest)
    tail: dict[str, Any] = {"chain": chain}
    if declared is not None:
        tail["signing"] = declared
    tail["integrity"] = integrity
    # Both forms end in the same closing brace; the tail's members carry on from the body's, at
    # the same indent. (The seal's fields go through the usual encoders: a chain id read from a
    # damaged head fails here exactly as it would in seal_checked.)
    return Sealed(b"".join((indented[: -len(_CLOSE)], b",\n", encode(tail, checked=True)[2:])), digest)
