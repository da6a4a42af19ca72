"""Answer files and ``--answer`` flags: the input side of scripted decisions.

An answers file is YAML or JSON. Its full form is a mapping with ``answers`` (question id to
value) and optionally ``sign_off`` (``name``, ``role``, ``organisation``), ``case_ref`` and
``tree``; a bare mapping of question id to value is accepted too. Batch cases share this shape.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sharewise.errors import AnswersFileError, UsageError
from sharewise.formats import _fastjson
from sharewise.formats.safetext import cut
from sharewise.formats.yamlio import MAX_DEPTH, MAX_INT_DIGITS, TOO_DEEP, data_problem, load_yaml_text
from sharewise.records.build import SignOff

__all__ = [
    "MAX_ANSWERS_BYTES",
    "Case",
    "case_from_mapping",
    "check_case_text",
    "load_answers_file",
    "loads_json",
    "parse_answer_flags",
]

#: The largest answers file read; a decision's answers fill a few kilobytes.
MAX_ANSWERS_BYTES = 1 << 20

_CASE_KEYS = ("answers", "sign_off", "case_ref", "tree")
_SIGN_OFF_KEYS = ("name", "role", "organisation")
_NO_SIGN_OFF = SignOff()
_CASE_KEY_SET = frozenset(_CASE_KEYS)
_SIGN_OFF_KEY_SET = frozenset(_SIGN_OFF_KEYS)
_SIGN_OFF_FIELDS = tuple((key, f"sign_off.{key}") for key in _SIGN_OFF_KEYS)


@dataclass
class Case:
    """One decision's inputs: answers by question id, sign-off, case reference and tree."""

    answers: dict[str, Any] = field(default_factory=dict)
    sign_off: SignOff = field(default_factory=SignOff)
    case_ref: str | None = None
    tree: str | None = None


def _text_or_none(value: object, where: str, field: str) -> str | None:
    """``value`` as stripped text (None when blank or absent); ``where`` and ``field`` name it in the error."""
    if value.__class__ is str:  # the usual case, first
        return value.strip() or None
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise AnswersFileError(f"{where}: {field} must be text")
    return str(value).strip() or None


def _whole_number(text: str) -> int | str:
    """A JSON integer as a number, or (beyond 18 digits) as the text written, as YAML reads it."""
    return int(text) if len(text.lstrip("-")) <= MAX_INT_DIGITS else text


def loads_json(text: str | bytes) -> Any:
    """JSON text as data, bounded as YAML documents are; raises ``ValueError`` with a short reason.

    Integers longer than 18 digits stay text (so no number reaches Python's limit on converting
    long integers); nesting deeper than :data:`sharewise.formats.yamlio.MAX_DEPTH`, and text holding a lone
    surrogate (``"\\ud800"``, which cannot be written as UTF-8, so no record could hold it), are
    refused. Invalid JSON raises :class:`json.JSONDecodeError`, itself a ``ValueError``.
    """
    raw = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    marked = _fastjson.marks(raw)
    data = _fastjson.loads(raw, max_int_digits=MAX_INT_DIGITS, marked=marked)
    if data is _fastjson.NOT_READ:
        try:
            data = json.loads(text, parse_int=_whole_number)
        except RecursionError:
            raise ValueError(TOO_DEEP) from None
    # Each check walks the data only when the text could hold what it looks for, which is rare.
    _, openers, escaped = marked
    if openers > MAX_DEPTH:
        problem = data_problem(data)
        if problem is not None:
            raise ValueError(problem)
    if escaped and _fastjson.SURROGATE_ESCAPE.search(raw) is not None:
        problem = _unicode_problem(data)
        if problem is not None:
            raise ValueError(problem)
    return data


def _unicode_problem(data: object) -> str | None:
    """What in ``data`` holds text that cannot be written as UTF-8 (a lone surrogate), if anything."""
    stack: list[tuple[object, str]] = [(data, "")]
    while stack:
        value, place = stack.pop()
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                return f"{place or 'the case'} holds text that is not valid Unicode (a lone surrogate code)"
        elif isinstance(value, Mapping):
            for key, item in value.items():
                name = f"{place}.{key}" if place else str(key)
                if isinstance(key, str):
                    stack.append((key, place or "a key"))
                stack.append((item, name if _printable_key(key) else (place or "a value")))
        elif isinstance(value, (list, tuple)):
            stack.extend((item, place) for item in value)
    return None


def _printable_key(key: object) -> bool:
    return isinstance(key, str) and len(key) <= 40 and key.isascii() and key.isprintable()


def check_case_text(case: Case, where: str) -> None:
    """Raise :class:`AnswersFileError` when any text of ``case`` is not valid Unicode."""
    problem = _unicode_problem(
        {
            "answers": case.answers,
            "case_ref": case.case_ref,
            "tree": case.tree,
            "sign_off": {
                "name": case.sign_off.name,
                "role": case.sign_off.role,
                "organisation": case.sign_off.organisation,
            },
        },
    )
    if problem is not None:
        raise AnswersFileError(f"{where}: {problem}")


def case_from_mapping(data: object, where: str, *, text_keys: bool = False) -> Case:
    """Read the documented case shape from parsed data; ``where`` names it in errors.

    ``text_keys`` says every key is already text (as in data read from JSON), which saves a copy.
    """
    if not isinstance(data, Mapping):
        raise AnswersFileError(f"{where}: expected a mapping of question ids to answers")
    if "answers" not in data:
        return Case(answers=dict(data) if text_keys else {str(k): v for k, v in data.items()})
    if not _CASE_KEY_SET.issuperset(data):
        unknown = next(k for k in data if k not in _CASE_KEYS)
        raise AnswersFileError(f"{where}: unknown key {shown_key(unknown)}; expected: {', '.join(_CASE_KEYS)}")
    answers = data.get("answers") or {}
    if not isinstance(answers, Mapping):
        raise AnswersFileError(f"{where}: 'answers' must map question ids to answers")
    raw_sign = data.get("sign_off") or {}
    if not isinstance(raw_sign, Mapping):
        raise AnswersFileError(f"{where}: 'sign_off' must be a mapping with name, role and organisation")
    if not _SIGN_OFF_KEY_SET.issuperset(raw_sign):
        bad = next(k for k in raw_sign if k not in _SIGN_OFF_KEYS)
        raise AnswersFileError(
            f"{where}: unknown key under 'sign_off': {shown_key(bad)}; expected: {', '.join(_SIGN_OFF_KEYS)}"
        )
    name, role, organisation = (_text_or_none(raw_sign.get(k), where, field) for k, field in _SIGN_OFF_FIELDS)
    return Case(
        # JSON keys are always text; other formats may give numbers or booleans as keys.
        answers=dict(answers) if text_keys else {str(k): v for k, v in answers.items()},
        sign_off=SignOff(name, role, organisation) if raw_sign else _NO_SIGN_OFF,
        case_ref=_text_or_none(data.get("case_ref"), where, "case_ref"),
        tree=_text_or_none(data.get("tree"), where, "tree"),
    )


def load_answers_file(path: Path) -> Case:
    """Read an answers file (JSON when it ends in .json, YAML otherwise); a UTF-8 BOM is allowed."""
    try:
        with path.open("rb") as stream:
            content = stream.read(MAX_ANSWERS_BYTES + 1)
    except FileNotFoundError:
        raise AnswersFileError(f"no answers file at {path}") from None
    except OSError as exc:
        raise AnswersFileError(f"cannot read the answers file {path}: {exc.strerror or type(exc).__name__}") from None
    if len(content) > MAX_ANSWERS_BYTES:
        raise AnswersFileError(f"{path}: an answers file may be at most {MAX_ANSWERS_BYTES // 1024:,} KiB")
    try:
        raw = content.decode("utf-8-sig")  # editors on Windows often start a file with a byte order mark
    except UnicodeDecodeError as exc:
        line = content[: exc.start].count(b"\n") + 1
        raise AnswersFileError(f"{path}:{line}: not UTF-8 text") from None
    if path.suffix.lower() == ".json":
        try:
            data = loads_json(raw)
        except json.JSONDecodeError as exc:
            raise AnswersFileError(f"{path}:{exc.lineno}: not valid JSON ({exc.msg})") from None
        except ValueError as exc:
            raise AnswersFileError(f"{path}: {exc}") from None
    else:
        loaded = load_yaml_text(raw, str(path))
        if loaded.problems:
            problem = loaded.problems[0]
            raise AnswersFileError(f"{path}:{problem.line}: {problem.message}")
        data = loaded.data
    return case_from_mapping(data, str(path))


def shown_key(key: object) -> str:
    """A key someone typed, for a message: quoted, and cut to 40 characters (it may be misplaced data)."""
    return f"'{cut(str(key), 40)}'"


def parse_answer_flags(flags: Iterable[str]) -> dict[str, str]:
    """``ID=VALUE`` pairs from ``--answer``; the value may contain ``=``; a later flag wins."""
    out: dict[str, str] = {}
    for flag in flags:
        key, sep, value = flag.partition("=")
        if not sep or not key.strip():
            raise UsageError("--answer takes ID=VALUE, for example --answer purpose=yes")
        out[key.strip()] = value
    return out
