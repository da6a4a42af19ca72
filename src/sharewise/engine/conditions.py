"""A tiny, safe condition language over earlier answers.

Grammar (nothing here is ever handed to Python's ``eval``)::

    expr    := or
    or      := and ("or" and)*
    and     := not ("and" not)*
    not     := "not" not | atom
    atom    := "(" expr ")" | compare
    compare := NAME ("==" | "!=") STRING
             | NAME ["not"] "in" "[" STRING ("," STRING)* "]"
             | STRING ["not"] "in" NAME

A NAME is a question id, ``TREE.QUESTION`` for a question of a tree this one was continued from,
or ``continued_from`` (the id of that tree; empty when the tree was started on its own); a
STRING is single- or double-quoted. Parsing yields a small tree of
frozen dataclasses; evaluation walks it with a dispatch table, one handler per node kind.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Union

from sharewise.errors import SharewiseError

__all__ = [
    "Condition",
    "ConditionError",
    "evaluate",
    "names_and_values",
    "parse_condition",
]

MAX_LENGTH = 2000
MAX_DEPTH = 30

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>'[^']*'|"[^"]*")
      | (?P<op>==|!=|\(|\)|\[|\]|,)
      | (?P<name>[A-Za-z0-9][A-Za-z0-9_-]*(?:\.[A-Za-z0-9][A-Za-z0-9_-]*)?)
      | (?P<bad>\S)
    )""",
    re.VERBOSE,
)
_KEYWORDS = frozenset({"and", "or", "not", "in"})


class ConditionError(SharewiseError, ValueError):
    """Raised when a condition does not parse; ``position`` is a 0-based column. The tree loader turns
    it into a diagnostic on the condition's line, so it reaches a user only through that."""

    def __init__(self, message: str, expression: str, position: int) -> None:
        super().__init__(f"{message} at column {position + 1} of '{expression}'")
        self.reason = message
        self.expression = expression
        self.position = position


@dataclass(frozen=True)
class Equals:
    name: str
    value: str
    negate: bool


@dataclass(frozen=True)
class AnswerIn:
    name: str
    values: tuple[str, ...]
    negate: bool


@dataclass(frozen=True)
class Contains:
    value: str
    name: str
    negate: bool


@dataclass(frozen=True)
class Not:
    operand: Condition


@dataclass(frozen=True)
class BoolOp:
    op: str  # "and" | "or"
    operands: tuple[Condition, ...]


Condition = Union[Equals, AnswerIn, Contains, Not, BoolOp]


@dataclass(frozen=True)
class _Tok:
    kind: str
    text: str
    pos: int


def _tokens(expression: str) -> list[_Tok]:
    out: list[_Tok] = []
    for match in _TOKEN.finditer(expression):
        kind = match.lastgroup
        if kind is None:
            continue
        text = match.group(kind)
        pos = match.start(kind)
        if kind == "bad":
            raise ConditionError(f"unexpected character '{text}'", expression, pos)
        if kind == "name" and text in _KEYWORDS:
            kind = "kw"
        out.append(_Tok(kind, text, pos))
    return out


class _Parser:
    def __init__(self, expression: str) -> None:
        self.expression = expression
        self.toks = _tokens(expression)
        self.i = 0
        self.depth = 0

    def _peek(self) -> _Tok | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def _fail(self, message: str) -> ConditionError:
        tok = self._peek()
        pos = tok.pos if tok else len(self.expression)
        return ConditionError(message, self.expression, pos)

    def _take(self, kind: str, text: str | None = None) -> _Tok:
        tok = self._peek()
        if tok is None or tok.kind != kind or (text is not None and tok.text != text):
            want = f"'{text}'" if text else {"name": "a question id", "string": "a quoted value"}[kind]
            got = f"'{tok.text}'" if tok else "the end"
            raise self._fail(f"expected {want} but found {got}")
        self.i += 1
        return tok

    def _at(self, kind: str, text: str) -> bool:
        tok = self._peek()
        return tok is not None and tok.kind == kind and tok.text == text

    def parse(self) -> Condition:
        if not self.toks:
            raise ConditionError("the condition is empty", self.expression, 0)
        node = self._or()
        if self._peek() is not None:
            raise self._fail(f"unexpected '{self.toks[self.i].text}'")
        return node

    def _or(self) -> Condition:
        return self._chain("or", self._and)

    def _and(self) -> Condition:
        return self._chain("and", self._not)

    def _chain(self, op: str, inner: Callable[[], Condition]) -> Condition:
        parts = [inner()]
        while self._at("kw", op):
            self.i += 1
            parts.append(inner())
        return parts[0] if len(parts) == 1 else BoolOp(op, tuple(parts))

    def _not(self) -> Condition:
        if self._at("kw", "not"):
            self.i += 1
            return Not(self._nested(self._not))
        return self._atom()

    def _nested(self, inner: Callable[[], Condition]) -> Condition:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self._fail(f"the condition nests more than {MAX_DEPTH} deep")
        try:
            return inner()
        finally:
            self.depth -= 1

    def _atom(self) -> Condition:
        if self._at("op", "("):
            self.i += 1
            node = self._nested(self._or)
            self._take("op", ")")
            return node
        tok = self._peek()
        if tok is not None and tok.kind == "string":
            value = self._take("string").text[1:-1]
            negate = self._in_operator()
            name = self._take("name").text
            return Contains(value, name, negate)
        name = self._take("name").text
        tok = self._peek()
        if tok is not None and tok.kind == "op" and tok.text in ("==", "!="):
            self.i += 1
            value = self._take("string").text[1:-1]
            return Equals(name, value, tok.text == "!=")
        if tok is not None and tok.kind == "kw" and tok.text in ("in", "not"):
            negate = self._in_operator()
            return AnswerIn(name, self._list(), negate)
        raise self._fail(f"expected '==', '!=' or 'in' after '{name}'")

    def _in_operator(self) -> bool:
        negate = False
        if self._at("kw", "not"):
            self.i += 1
            negate = True
        self._take("kw", "in")
        return negate

    def _list(self) -> tuple[str, ...]:
        self._take("op", "[")
        values = [self._take("string").text[1:-1]]
        while self._at("op", ","):
            self.i += 1
            values.append(self._take("string").text[1:-1])
        self._take("op", "]")
        return tuple(values)


def parse_condition(expression: str) -> Condition:
    """Parse ``expression``; raise :class:`ConditionError` naming the bad token and column."""
    if len(expression) > MAX_LENGTH:
        raise ConditionError(f"the condition is longer than {MAX_LENGTH} characters", expression[:40] + "...", 0)
    return _Parser(expression).parse()


def _eq(node: Condition, answers: Mapping[str, object]) -> bool:
    assert isinstance(node, Equals)
    return (answers.get(node.name) == node.value) != node.negate


def _in(node: Condition, answers: Mapping[str, object]) -> bool:
    assert isinstance(node, AnswerIn)
    return (answers.get(node.name) in node.values) != node.negate


def _contains(node: Condition, answers: Mapping[str, object]) -> bool:
    assert isinstance(node, Contains)
    got = answers.get(node.name)
    present = isinstance(got, (list, tuple)) and node.value in got
    return present != node.negate


def _not_handler(node: Condition, answers: Mapping[str, object]) -> bool:
    assert isinstance(node, Not)
    return not evaluate(node.operand, answers)


def _boolop(node: Condition, answers: Mapping[str, object]) -> bool:
    assert isinstance(node, BoolOp)
    if node.op == "and":
        return all(evaluate(part, answers) for part in node.operands)
    return any(evaluate(part, answers) for part in node.operands)


_HANDLERS: dict[type, Callable[[Condition, Mapping[str, object]], bool]] = {
    Equals: _eq,
    AnswerIn: _in,
    Contains: _contains,
    Not: _not_handler,
    BoolOp: _boolop,
}


def evaluate(node: Condition, answers: Mapping[str, object]) -> bool:
    """True when ``node`` holds for ``answers`` (question id to value); unanswered is never equal."""
    handler = _HANDLERS.get(type(node))
    if handler is None:  # pragma: no cover - only reachable by constructing nodes by hand
        raise TypeError(f"{type(node).__name__} is not supported in conditions")
    return handler(node, answers)


def names_and_values(node: Condition) -> Iterator[tuple[str, tuple[str, ...]]]:
    """Every (question id, values compared with it) pair, for validation."""
    if isinstance(node, Equals):
        yield node.name, (node.value,)
    elif isinstance(node, AnswerIn):
        yield node.name, node.values
    elif isinstance(node, Contains):
        yield node.name, (node.value,)
    elif isinstance(node, Not):
        yield from names_and_values(node.operand)
    else:
        for part in node.operands:
            yield from names_and_values(part)
