"""The two JSON forms a record is written in, made by orjson when it is installed.

A batch writes each record twice over in JSON: once in canonical form for its digest
(:func:`sharewise.records.integrity.canonical_bytes`) and once indented for its file
(:func:`sharewise.records.folder.encode`). With the standard library those two encodings are about half the
cost of a record; orjson makes them some fifteen times faster. Both functions here return exactly
the bytes the standard library would, or None to say "use the standard library": when orjson is
not installed, when the value holds a float (orjson writes some floats differently, ``1e16`` for
``1e+16``; records hold none), or when orjson refuses the value (a key that is not text, an
integer beyond 64 bits, text that is not valid Unicode, a type JSON has no form for), so every
error is still raised, and worded, by the standard library.
"""

from __future__ import annotations

import re
from typing import Any

try:
    import orjson
except ImportError:  # pragma: no cover - orjson is a dependency; this keeps a broken install working
    orjson = None  # type: ignore[assignment]

__all__ = ["NOT_READ", "SURROGATE_ESCAPE", "canonical", "indented", "loads", "marks", "plain"]

_PASS = (
    0
    if orjson is None
    else orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_DATETIME | (orjson.OPT_PASSTHROUGH_SUBCLASS)
)
_INDENTED = 0 if orjson is None else _PASS | orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE
_CANONICAL = 0 if orjson is None else _PASS | orjson.OPT_SORT_KEYS


def indented(value: Any, *, checked: bool | None = None) -> bytes | None:
    """``(json.dumps(value, ensure_ascii=False, indent=2) + "\\n").encode()``, or None.

    ``checked`` is what :func:`plain` said of ``value``, when the caller has asked it already.
    """
    try:
        if orjson is None or not (_plain(value) if checked is None else checked):
            return None
        return orjson.dumps(value, option=_INDENTED)
    except (TypeError, RecursionError):
        return None


def canonical(value: Any, *, checked: bool | None = None) -> bytes | None:
    """The canonical form (:func:`sharewise.records.integrity.canonical_bytes`), or None.

    That is ``json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"),
    allow_nan=False).encode()``. ``checked`` is as for :func:`indented`.
    """
    try:
        if orjson is None or not (_plain(value) if checked is None else checked):
            return None
        return orjson.dumps(value, option=_CANONICAL)
    except (TypeError, RecursionError):
        return None


def plain(value: Any) -> bool:
    """Whether orjson may write ``value`` (see :func:`_plain`): ask once for a value written in both
    forms, and pass the answer to :func:`canonical` and :func:`indented` as ``checked``."""
    try:
        return _plain(value)
    except RecursionError:
        return False


def _plain(value: Any) -> bool:
    """True when ``value`` is made only of dicts, lists, text, whole numbers, booleans and None.

    Only exact types pass: subclasses (an ``IntEnum``, a ``str`` subclass) are left to json, which
    may write them differently from orjson. Each member is judged where it stands and only lists
    and mappings are looked into, so a record of some 130 values takes one call a container, not
    one a value (8.1 -> 6.2 us for a record of the benchmark's batch, measured).
    """
    kind = type(value)
    if kind is dict:
        items: Any = value.values()
    elif kind is list or kind is tuple:
        items = value
    else:
        return kind is str or kind is int or kind is bool or value is None
    for item in items:
        kind = type(item)
        if kind is str or kind is int or kind is bool or item is None:
            continue
        if (kind is dict or kind is list or kind is tuple) and _plain(item):
            continue
        return False
    return True


#: A JSON ``\u`` escape of a surrogate code, which may stand alone (text no record can hold).
SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
#: What :func:`loads` returns when the standard library must read the text.
NOT_READ = object()
_NOT_MARKS = bytes(b for b in range(256) if b not in b"0123456789[{\\")


def marks(raw: bytes) -> tuple[int, int, bool]:
    """``(digits, openers, backslash)`` of ``raw``: how many digits and ``[``/``{`` it holds, and
    whether it holds a backslash (so an escape). One pass over ``raw``; the counts are then taken
    from what is left, which on an ordinary line is a few dozen bytes."""
    kept = raw.translate(None, _NOT_MARKS)
    openers = kept.count(b"[") + kept.count(b"{")
    slashes = kept.count(b"\\")
    return len(kept) - openers - slashes, openers, slashes > 0


def loads(raw: bytes, *, max_int_digits: int, marked: tuple[int, int, bool] | None = None) -> Any:
    """``raw`` parsed by orjson when that gives what ``json.loads`` gives, else :data:`NOT_READ`.

    orjson is some three times faster. It agrees with ``json.loads`` on every document it accepts,
    except numbers longer than ``max_int_digits`` digits (it reads whole numbers beyond 64 bits as
    floats, and sharewise keeps long ones as text) and lone surrogate escapes; text that could hold
    either, and everything orjson refuses (invalid JSON, ``NaN``, ``1e400``, deep nesting, bytes
    that are not UTF-8), is left to the standard library, so results and messages are its own.
    ``marked`` is :func:`marks` of ``raw`` when the caller has it already.
    """
    digits, _, escaped = marked if marked is not None else marks(raw)
    if orjson is None or (escaped and SURROGATE_ESCAPE.search(raw) is not None):
        return NOT_READ
    # A long run of digits is looked for only when the line holds enough digits to make one.
    if digits > max_int_digits and re.search(rb"[0-9]{%d}" % (max_int_digits + 1), raw):
        return NOT_READ
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return NOT_READ
