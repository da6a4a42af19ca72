"""Reading a tests file: cases written as data beside a tree, checked into :class:`TestCase` objects.

A tests file sits beside its tree (``when-to-share.tests.yaml`` beside ``when-to-share.yaml``)::

    format: sharewise-tree-tests/1
    defaults:                       # answers every case starts from; a case's own answers win
      urgent-what: Told police the children were alone at home since 9am.
    cases:
      - trigger=request urgent=yes -> share-urgently        # short form, one line per case
      - trigger=request urgent=no purpose=no -> decision:do-not-share
      - name: A proactive emergency share tells nobody who asked
        answers: {trigger: proactive, urgent: yes}
        outcome: share-urgently
        actions: [Follow your local safeguarding procedures]     # each must be among the actions
        no_actions: [Tell the person who asked]                  # none may be

An expectation is an outcome id (``share-urgently``, or ``how-much-to-share:share-full`` for an
outcome of a tree continued into), ``decision:DECISION``, or ``tree:TREE`` for a walk that
continues into that tree (answers for the rest can then be left out). Actions match when the
expected text is part of an actual action, ignoring case.

Every problem is reported at once, each as FILE:LINE place: message, and then no case is run.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from sharewise.diagnostics import Collector
from sharewise.errors import Diagnostic
from sharewise.formats.yamlio import LineMap, load_yaml_text
from sharewise.model import DECISIONS
from sharewise.trees.reader import SETTINGS

__all__ = ["TESTS_FORMAT", "Expect", "TestCase", "TestsFile", "load_tests"]

TESTS_FORMAT = "sharewise-tree-tests/1"
_TOP_KEYS = ("format", "tree", "settings", "defaults", "cases")
_CASE_KEYS = ("name", "answers", "outcome", "decision", "continues", "actions", "no_actions", "from")


@dataclass(frozen=True)
class Expect:
    """What a case expects; every field given must hold."""

    outcome: str | None = None
    outcome_tree: str | None = None
    decision: str | None = None
    continues: str | None = None
    actions: tuple[str, ...] = ()
    no_actions: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.outcome or self.decision or self.continues)


@dataclass(frozen=True)
class TestCase:
    name: str
    line: int | None
    answers: dict[str, Any]
    expect: Expect
    start: str | None = None  # ``from:``: start the walk in this tree, which continues into the one tested


@dataclass
class TestsFile:
    """A parsed tests file; ``diagnostics`` holds its problems (then no case is run)."""

    path: Path
    tree: str | None
    cases: list[TestCase]
    diagnostics: list[Diagnostic]
    settings: dict[str, str] = field(default_factory=dict)  # what the cases assume the settings file says


class _Reader(Collector):
    """The problems of one tests file, and the readers of its parts."""

    def __init__(self, path: Path, lines: LineMap) -> None:
        super().__init__(str(path), lines)

    def answers(self, raw: object, place: str, container: object, key: str | int) -> dict[str, Any]:
        if isinstance(raw, str):
            try:
                tokens = shlex.split(raw)
            except ValueError as exc:
                self.error(place, f"the answers do not parse: {exc}", container, str(key))
                return {}
            out: dict[str, Any] = {}
            for token in tokens:
                qid, sep, value = token.partition("=")
                if not sep or not qid:
                    self.error(place, f"'{token}' is not QUESTION=ANSWER", container, str(key))
                    continue
                out[qid] = value
            return out
        if isinstance(raw, dict):
            return {str(k): v for k, v in raw.items()}
        if raw is None:
            return {}
        self.error(place, "answers are a mapping of question id to answer, or 'id=value id=value'", container, str(key))
        return {}

    def expect_tokens(self, text: str, place: str, container: object, key: str) -> dict[str, str]:
        found: dict[str, str] = {}
        for token in text.split():
            kind, sep, value = token.partition(":")
            if sep and kind == "tree":
                found["continues"] = value
            elif sep and kind == "decision":
                found["decision"] = value
            elif sep:
                found["outcome_tree"], found["outcome"] = kind, value
            else:
                found["outcome"] = token
        if not found:
            self.error(place, "say what the case expects after '->'", container, key)
        return found

    def texts(self, raw: object, place: str, container: Mapping[str, Any], key: str) -> tuple[str, ...]:
        if raw is None:
            return ()
        items = [raw] if isinstance(raw, str) else raw
        if not isinstance(items, list) or not all(isinstance(i, str) and i.strip() for i in items):
            self.error(place, f"'{key}' is a list of action texts (or parts of them)", container, key)
            return ()
        return tuple(i.strip() for i in items)


def load_tests(path: Path) -> TestsFile:
    """Read and check a tests file; problems are reported as FILE:LINE place: message."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return TestsFile(path, None, [], [Diagnostic(str(path), None, "", f"cannot read the tests file: {exc}")])
    loaded = load_yaml_text(text, str(path))
    reader = _Reader(path, loaded.lines)
    reader.yaml_problems(loaded.problems)
    data = loaded.data
    if not isinstance(data, dict):
        if not loaded.problems:
            reader.error("", "a tests file is a mapping with 'cases' (and optionally 'tree' and 'defaults')")
        return TestsFile(path, None, [], reader.items)
    reader.unknown_keys(data, _TOP_KEYS, "")
    fmt = data.get("format", TESTS_FORMAT)
    if fmt != TESTS_FORMAT:
        reader.error(
            "format", f"unsupported format '{fmt}'; this version of sharewise reads '{TESTS_FORMAT}'", data, "format"
        )
    tree = data.get("tree")
    if tree is not None and not isinstance(tree, str):
        reader.error("tree", "'tree' is a tree id or a tree file path", data, "tree")
        tree = None
    defaults = reader.answers(data.get("defaults"), "defaults", data, "defaults")
    raw_cases = data.get("cases")
    if not isinstance(raw_cases, list) or not raw_cases:
        reader.error("cases", "'cases' is a list of at least one case", data, "cases" if "cases" in data else None)
        raw_cases = []
    cases: list[TestCase] = []
    item_lines = _sequence_lines(text, "cases")
    for index, raw in enumerate(raw_cases):
        line = item_lines[index] if index < len(item_lines) else None
        case = _case(reader, raw, index, line=line, data=data, defaults=defaults)
        if case is not None:
            cases.append(case)
    return TestsFile(path, tree, cases, reader.items, _settings(reader, data))


def _settings(reader: _Reader, data: Mapping[str, Any]) -> dict[str, str]:
    """``settings: {public_authority: yes}``: the settings the cases are written for, whatever the
    settings file of the machine running them says."""
    raw = data.get("settings")
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        reader.error("settings", f"'settings' maps a setting to its value: {', '.join(SETTINGS)}", data, "settings")
        return {}
    out: dict[str, str] = {}
    for name, value in raw.items():
        allowed = SETTINGS.get(str(name))
        if allowed is None:
            reader.error(f"settings.{name}", f"no setting called '{name}'; known: {', '.join(SETTINGS)}", raw, name)
        elif value not in allowed:
            reader.error(f"settings.{name}", f"'{name}' is {' or '.join(allowed)}", raw, name)
        else:
            out[str(name)] = str(value)
    return out


def _case(
    reader: _Reader, raw: object, index: int, *, line: int | None, data: Mapping[str, Any], defaults: dict[str, Any]
) -> TestCase | None:
    place = f"cases[{index}]"
    if isinstance(raw, str):
        given, arrow, expected = raw.partition("->")
        if not arrow:
            reader.at(line, place, "a short case is 'id=value id=value -> EXPECTED'")
            return None
        answers = reader.answers(given, place, data, "cases")
        found = reader.expect_tokens(expected, place, data, "cases")
        expect = Expect(found.get("outcome"), found.get("outcome_tree"), found.get("decision"), found.get("continues"))
        problem = _check_expect(expect)
        if problem:
            reader.at(line, place, problem)
            return None
        return TestCase(raw.strip(), line, {**defaults, **answers}, expect)
    if not isinstance(raw, dict):
        reader.at(line, place, "a case is 'id=value ... -> EXPECTED' or a mapping")
        return None
    reader.unknown_keys(raw, _CASE_KEYS, place)
    answers = reader.answers(raw.get("answers"), f"{place}.answers", raw, "answers")
    outcome = raw.get("outcome")
    outcome_tree = None
    if isinstance(outcome, str) and ":" in outcome:
        outcome_tree, _, outcome = outcome.partition(":")
    expect = Expect(
        outcome if isinstance(outcome, str) else None,
        outcome_tree,
        raw.get("decision") if isinstance(raw.get("decision"), str) else None,
        raw.get("continues") if isinstance(raw.get("continues"), str) else None,
        reader.texts(raw.get("actions"), f"{place}.actions", raw, "actions"),
        reader.texts(raw.get("no_actions"), f"{place}.no_actions", raw, "no_actions"),
    )
    problem = _check_expect(expect)
    if problem:
        reader.at(line, place, problem)
        return None
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        name = " ".join(f"{k}={v}" for k, v in answers.items())
    start = raw.get("from")
    if start is not None and not isinstance(start, str):
        reader.error(f"{place}.from", "'from' names the tree the walk starts in, by id", raw, "from")
        start = None
    return TestCase(name.strip(), line, {**defaults, **answers}, expect, start)


def _check_expect(expect: Expect) -> str | None:
    if expect.empty:
        return "say what the case expects: 'outcome', 'decision' or 'continues'"
    if expect.decision is not None and expect.decision not in DECISIONS:
        return f"unknown decision '{expect.decision}'; expected one of: {', '.join(DECISIONS)}"
    return None


def _sequence_lines(text: str, key: str) -> list[int]:
    """The line of each item of the top-level list ``key`` (a one-line case has no line map entry)."""
    try:
        root = yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError:
        return []
    if not isinstance(root, yaml.MappingNode):
        return []
    for key_node, value_node in root.value:
        if getattr(key_node, "value", None) == key and isinstance(value_node, yaml.SequenceNode):
            return [item.start_mark.line + 1 for item in value_node.value]
    return []
