"""The one-pass scan that decides whether orjson may read a line (formats._fastjson.marks/loads)."""

from __future__ import annotations

import pytest

from sharewise.formats import _fastjson


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b'{"a": "b"}', (0, 1, False)),
        (b'{"n": [12, 345], "m": {"k": "v9"}}', (6, 3, False)),
        (b'{"t": "say \\"no\\""}', (0, 1, True)),
        (b'{"t": "\\u00e9"}', (3, 1, True)),
        (b"", (0, 0, False)),
    ],
)
def test_marks_counts_digits_openers_and_escapes(raw: bytes, expected: tuple[int, int, bool]) -> None:
    assert _fastjson.marks(raw) == expected


def test_long_numbers_and_lone_surrogates_go_to_the_standard_library() -> None:
    assert _fastjson.loads(b'{"n": 1234567890123456789}', max_int_digits=18) is _fastjson.NOT_READ
    assert _fastjson.loads(b'{"t": "\\ud800"}', max_int_digits=18) is _fastjson.NOT_READ
    # many short numbers add up to more than 18 digits, but none is long: orjson reads it
    assert _fastjson.loads(b'{"n": [123456789, 123456789, 12]}', max_int_digits=18) == {"n": [123456789, 123456789, 12]}
    # an escape that is not a surrogate is read by orjson
    assert _fastjson.loads(b'{"t": "\\u00e9 \\"x\\""}', max_int_digits=18) == {"t": 'é "x"'}


def test_given_marks_are_used() -> None:
    raw = b'{"n": 1234567890123456789}'
    assert _fastjson.loads(raw, max_int_digits=18, marked=_fastjson.marks(raw)) is _fastjson.NOT_READ
    # marks that say "no digits" let orjson read it (the caller vouches for the marks)
    assert _fastjson.loads(raw, max_int_digits=18, marked=(0, 1, False)) == {"n": 1234567890123456789}
