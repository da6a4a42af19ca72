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
from sharewise.record import SignOff
from sharewise.yamlio import load_yaml_text

__all__ = ["Case", "case_from_mapping", "load_answers_file", "parse_answer_flags"]

_CASE_KEYS = ("answers", "sign_off", "case_ref", "tree")
_SIGN_OFF_KEYS = ("name", "role", "organisation")


@dataclass
class Case:
    """One decision's inputs: answers by question id, sign-off, case reference and tree."""

    answers: dict[str, Any] = field(default_factory=dict)
    sign_off: SignOff = field(default_factory=SignOff)
    case_ref: str | None = None
    tree: str | None = None


def _text_or_none(value: object, where: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise AnswersFileError(f"{where} must be text")
    return str(value).strip() or None


def case_from_mapping(data: object, where: str) -> Case:
    """Read the documented case shape from parsed data; ``where`` names it in errors."""
    if not isinstance(data, Mapping):
        raise AnswersFileError(f"{where}: expected a mapping of question ids to answers")
    if "answers" not in data:
        return Case(answers={str(k): v for k, v in data.items()})
    unknown = [k for k in data if k not in _CASE_KEYS]
    if unknown:
        raise AnswersFileError(f"{where}: unknown key '{unknown[0]}'; expected: {', '.join(_CASE_KEYS)}")
    answers = data.get("answers") or {}
    if not isinstance(answers, Mapping):
        raise AnswersFileError(f"{where}: 'answers' must map question ids to answers")
    raw_sign = data.get("sign_off") or {}
    if not isinstance(raw_sign, Mapping):
        raise AnswersFileError(f"{where}: 'sign_off' must be a mapping with name, role and organisation")
    bad = [k for k in raw_sign if k not in _SIGN_OFF_KEYS]
    if bad:
        raise AnswersFileError(f"{where}: unknown key 'sign_off.{bad[0]}'; expected: {', '.join(_SIGN_OFF_KEYS)}")
    sign_off = SignOff(**{k: _text_or_none(raw_sign.get(k), f"{where}: sign_off.{k}") for k in _SIGN_OFF_KEYS})
    return Case(
        answers={str(k): v for k, v in answers.items()},
        sign_off=sign_off,
        case_ref=_text_or_none(data.get("case_ref"), f"{where}: case_ref"),
        tree=_text_or_none(data.get("tree"), f"{where}: tree"),
    )


def load_answers_file(path: Path) -> Case:
    """Read an answers file (JSON when it ends in .json, YAML otherwise)."""
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise AnswersFileError(f"no answers file at {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise AnswersFileError(f"cannot read the answers file {path}: {exc}") from None
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise AnswersFileError(f"{path}:{exc.lineno}: not valid JSON ({exc.msg})") from None
    else:
        loaded = load_yaml_text(raw, str(path))
        if loaded.problems:
            problem = loaded.problems[0]
            raise AnswersFileError(f"{path}:{problem.line}: {problem.message}")
        data = loaded.data
    return case_from_mapping(data, str(path))


def parse_answer_flags(flags: Iterable[str]) -> dict[str, str]:
    """``ID=VALUE`` pairs from ``--answer``; the value may contain ``=``; a later flag wins."""
    out: dict[str, str] = {}
    for flag in flags:
        key, sep, value = flag.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--answer takes ID=VALUE, for example --answer purpose=yes (got '{flag}')")
        out[key.strip()] = value
    return out
