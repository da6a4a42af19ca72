"""``loads_json`` reads through orjson when it can; what it returns and raises must not change."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sharewise.formats import _fastjson
from sharewise.frontends import answers
from sharewise.frontends.answers import loads_json


def _standard(text: str | bytes) -> object:
    """What the standard library alone reads (the path before orjson was used)."""
    return json.loads(text, parse_int=answers._whole_number)


_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**25), max_value=10**25)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)


@settings(
    max_examples=120, deadline=None, derandomize=True, database=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(_VALUES, st.booleans())
def test_quick_path_reads_what_the_standard_library_reads(value: object, ascii_only: bool) -> None:
    text = json.dumps(value, ensure_ascii=ascii_only)
    assert loads_json(text.encode()) == _standard(text)
    assert loads_json(text) == _standard(text)


@pytest.mark.parametrize(
    "text",
    [
        b"12345678901234567890",  # 20 digits: text, as YAML reads it, not a number
        b'{"n": 123456789012345678901234}',  # beyond 64 bits: orjson would read a float
        b"[1e400, -1e400]",  # the standard library reads infinity
        b"NaN",
        b'{"a": 1, "a": 2}',  # the later key wins
        b'"\\ud83d\\ude00"',  # a surrogate pair is one character
        b"1.2345678901234567890123",
    ],
)
def test_documents_orjson_reads_differently_go_to_the_standard_library(text: bytes) -> None:
    got, want = loads_json(text), _standard(text)
    assert json.dumps(got) == json.dumps(want)


@pytest.mark.parametrize(
    ("text", "error"),
    [
        (b'{"a": ', json.JSONDecodeError),
        (b'"\xff"', UnicodeDecodeError),
        (b'"\\ud800"', ValueError),  # a lone surrogate cannot be written to a record
        (b"[" * 200 + b"]" * 200, ValueError),  # deeper than MAX_DEPTH
    ],
)
def test_refusals_are_the_standard_librarys(text: bytes, error: type[Exception]) -> None:
    with pytest.raises(error) as raised:
        loads_json(text)
    if error is json.JSONDecodeError:
        with pytest.raises(json.JSONDecodeError) as expected:
            _standard(text)
        assert raised.value.msg == expected.value.msg


def test_a_batch_line_is_read_by_orjson() -> None:
    """The quick path is taken for an ordinary case (else this change bought nothing)."""
    line = b'{"case_ref": "A-1", "answers": {"urgency": "no", "person": "child"}}'
    assert _fastjson.loads(line, max_int_digits=18) == {
        "case_ref": "A-1",
        "answers": {"urgency": "no", "person": "child"},
    }
