"""Tree tests: cases written as data beside a tree, run through the engine, with coverage.

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

Coverage is judged per tree: the questions, options and outcomes of the tree under test that no
case reaches. A record question counts as reached when an outcome that asks it is reached.
"""

from __future__ import annotations

import difflib
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from sharewise.diagnostics import Collector
from sharewise.engine.conditions import evaluate, names_and_values
from sharewise.engine.walk import Engine, Walk
from sharewise.errors import EXIT_TESTS_FAILED, Diagnostic, SharewiseError
from sharewise.formats.yamlio import LineMap, load_yaml_text
from sharewise.model import DECISIONS, Option, Question, Tree
from sharewise.trees.reader import SETTINGS

__all__ = [
    "TESTS_FORMAT",
    "CaseResult",
    "Coverage",
    "Expect",
    "FileResult",
    "TestCase",
    "TestsFile",
    "load_tests",
    "places_of",
    "run_tests",
    "tests_file_for",
    "tree_file_for",
]

TESTS_FORMAT = "sharewise-tree-tests/1"
TESTS_SUFFIXES = (".tests.yaml", ".tests.yml")
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


@dataclass
class CaseResult:
    case: TestCase
    passed: bool
    diff: list[str]
    path: str


@dataclass
class Coverage:
    """What no case reached in the tree under test, each as (label, "FILE:LINE")."""

    questions: tuple[int, int]
    options: tuple[int, int]
    outcomes: tuple[int, int]
    missed: list[tuple[str, str]]

    @property
    def complete(self) -> bool:
        return not self.missed


@dataclass
class FileResult:
    """The run of one tests file, or of a tree that has none (``tests`` is then None)."""

    tree_file: Path | None
    tests: Path | None
    tree: Tree | None = None
    cases: list[CaseResult] = field(default_factory=list)
    coverage: Coverage | None = None
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def failed(self) -> int:
        return sum(1 for c in self.cases if not c.passed)


def tests_file_for(tree_file: Path) -> Path | None:
    """The tests file beside ``tree_file``, if there is one."""
    stem = tree_file.name.rsplit(".", 1)[0]
    for suffix in TESTS_SUFFIXES:
        candidate = tree_file.with_name(stem + suffix)
        if candidate.is_file():
            return candidate
    return None


def tree_file_for(tests_file: Path) -> Path:
    """The tree file a tests file sits beside (it may not exist)."""
    name = tests_file.name
    for suffix in TESTS_SUFFIXES:
        if name.endswith(suffix):
            stem = name[: -len(suffix)]
            for ext in (".yaml", ".yml"):
                candidate = tests_file.with_name(stem + ext)
                if candidate.exists():
                    return candidate
            return tests_file.with_name(stem + ".yaml")
    return tests_file


# -- reading -------------------------------------------------------------------------------------


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


def places_of(data: object, lines: LineMap) -> dict[str, str]:
    """ "FILE:LINE" of each question, option and outcome of a tree's (possibly merged) data."""
    out: dict[str, str] = {}

    def at(mapping: object, key: str) -> str:
        file, line = lines.where(mapping, key)
        return f"{file}:{line}" if line else file

    if not isinstance(data, dict):
        return out
    nodes, outcomes = data.get("nodes"), data.get("outcomes")
    if isinstance(nodes, dict):
        for qid, body in nodes.items():
            out[f"nodes.{qid}"] = at(nodes, qid)
            options = body.get("options") if isinstance(body, dict) else None
            if isinstance(options, dict):
                for value in options:
                    out[f"nodes.{qid}.options.{value}"] = at(options, value)
            elif isinstance(options, list):
                for value in options:
                    out[f"nodes.{qid}.options.{value}"] = at(body, "options")
    if isinstance(outcomes, dict):
        for oid in outcomes:
            out[f"outcomes.{oid}"] = at(outcomes, oid)
    return out


# -- running -------------------------------------------------------------------------------------


def run_tests(tests: TestsFile, tree: Tree, engine: Engine, where: Mapping[str, str]) -> FileResult:
    """Run every case of ``tests`` against ``tree``; ``where`` gives "FILE:LINE" of each place."""
    result = FileResult(tree.file, tests.path, tree)
    checked = _static_problems(tests, tree, engine)
    if checked:
        result.diagnostics = checked
        return result
    reached_q: set[str] = set()
    reached_o: set[tuple[str, str]] = set()
    reached_out: set[str] = set()
    for case in tests.cases:
        walker = engine if case.start is None else engine.starting_at(case.start)
        walk = walker.walk(case.answers, blank_optional=True)
        result.cases.append(_judge(case, walk))
        for step in walk.path:
            if step.tree.id != tree.id:
                continue
            reached_q.add(step.question.id)
            values = step.value if isinstance(step.value, list) else [step.value]
            reached_o.update((step.question.id, v) for v in values)
        reached_out.update(o.id for t, o in walk.conclusions if t.id == tree.id)  # hand-overs to the next tree
        if walk.outcome is not None and walk.outcome[0].id == tree.id:
            reached_out.add(walk.outcome[1].id)
            reached_q.update(walk.record_questions())
    result.coverage = _coverage(tree, reached_q, reached_o, reached_out, where)
    return result


def _static_problems(tests: TestsFile, tree: Tree, engine: Engine) -> list[Diagnostic]:
    problems: list[Diagnostic] = []
    for index, case in enumerate(tests.cases):
        place = f"cases[{index}]"
        exp = case.expect

        def add(message: str, place: str = place, line: int | None = case.line) -> None:
            problems.append(Diagnostic(str(tests.path), line, place, message))

        if case.start is not None:
            try:
                started = engine.starting_at(case.start)
            except SharewiseError as exc:
                add(f"'from' names '{case.start}': {exc}")
                continue
            if not any(t.id == tree.id for t in started.reachable_trees()):
                add(f"'{case.start}' never continues into '{tree.id}', so a walk from it cannot test this tree")
                continue
            trees = started.reachable_trees()
            by_id = {t.id: t for t in trees}
            all_outcomes = {o for t in trees for o in t.outcomes}
        else:
            trees = engine.reachable_trees()
            by_id = {t.id: t for t in trees}
            all_outcomes = {o for t in trees for o in t.outcomes}

        if exp.continues is not None and (exp.continues == tree.id or exp.continues not in by_id):
            known = ", ".join(t for t in by_id if t != tree.id) or "none"
            add(f"'{tree.id}' cannot continue into '{exp.continues}' (it can continue into: {known})")
        if exp.outcome_tree is not None and exp.outcome_tree not in by_id:
            add(f"no tree '{exp.outcome_tree}' is reachable from '{tree.id}'")
        elif exp.outcome is not None:
            pool = by_id[exp.outcome_tree].outcomes if exp.outcome_tree else all_outcomes
            if exp.outcome not in pool:
                hint = difflib.get_close_matches(exp.outcome, list(pool), n=1)
                tip = f" (did you mean '{hint[0]}'?)" if hint else ""
                add(f"no outcome called '{exp.outcome}'{tip}")
    return problems


def _judge(case: TestCase, walk: Walk) -> CaseResult:
    exp = case.expect
    diff: list[str] = []
    tree_outcome = walk.outcome
    actual_outcome = (
        f"{tree_outcome[1].id} ({tree_outcome[1].decision}) in '{tree_outcome[0].id}'" if tree_outcome else "none"
    )
    if walk.errors:
        diff.extend(f"+ invalid answer: {e}" for e in walk.errors)
    if exp.outcome is not None:
        ok = tree_outcome is not None and tree_outcome[1].id == exp.outcome
        ok = ok and (exp.outcome_tree is None or (tree_outcome is not None and tree_outcome[0].id == exp.outcome_tree))
        if not ok:
            wanted = f"{exp.outcome_tree}:{exp.outcome}" if exp.outcome_tree else exp.outcome
            diff += [f"- outcome: {wanted}", f"+ outcome: {actual_outcome}"]
    if exp.decision is not None:
        actual = tree_outcome[1].decision if tree_outcome else "none"
        if actual != exp.decision:
            diff += [f"- decision: {exp.decision}", f"+ decision: {actual}"]
    if exp.continues is not None and exp.continues not in {t.id for t in walk.trees}:
        diff += [
            f"- continues into: {exp.continues}",
            f"+ continues into: {', '.join(t.id for t in walk.trees[1:]) or 'none'}",
        ]
    if (exp.outcome or exp.decision) and tree_outcome is None and walk.pending is not None and not walk.errors:
        pending_tree, question = walk.pending
        diff.append(f"+ stopped at '{question.id}' in '{pending_tree.id}', which has no answer: {question.ask}")
    actions = [a.text for a in walk.actions()]
    for wanted in exp.actions:
        if not any(wanted.lower() in a.lower() for a in actions):
            diff.append(f"- action: {wanted}")
    for unwanted in exp.no_actions:
        diff.extend(f"+ action: {a}" for a in actions if unwanted.lower() in a.lower())
    if diff and (exp.actions or exp.no_actions):
        diff.extend(f"  actual action: {a}" for a in actions)
    path = " ".join(f"{s.question.id}={_shown(s.value)}" for s in walk.path if s.question.kind in ("choice", "multi"))
    return CaseResult(case, not diff, diff, path)


def _shown(value: str | list[str]) -> str:
    return ",".join(value) if isinstance(value, list) else value


def _ruled_out(tree: Tree, question: Question, option: Option) -> bool:
    """True for an option the settings file makes impossible: not the value a setting gives, or
    offered only under a condition on the settings alone that does not hold for them."""
    if question.preset is not None:
        return option.value != question.preset
    if option.condition is None:
        return False
    names = [name for name, _ in names_and_values(option.condition)]
    if not names or not all(name.startswith("settings.") for name in names):
        return False
    seen = {f"settings.{k}": v for k, v in tree.settings.items()}
    return not evaluate(option.condition, seen)


def _coverage(
    tree: Tree,
    reached_q: set[str],
    reached_o: set[tuple[str, str]],
    reached_out: set[str],
    where: Mapping[str, str],
) -> Coverage:
    missed: list[tuple[str, str]] = []
    n_options = 0
    n_q = 0
    for question in tree.questions.values():
        if question.preset is not None and question.id not in reached_q:
            continue  # the settings answer it, and route around it: nothing a case could reach
        n_q += 1
        if question.id not in reached_q:
            missed.append((f"question '{question.id}'", where.get(f"nodes.{question.id}", "")))
        for option in question.options:
            if _ruled_out(tree, question, option):
                continue
            n_options += 1
            if (question.id, option.value) not in reached_o:
                missed.append(
                    (
                        f"option '{question.id}: {option.value}'",
                        where.get(f"nodes.{question.id}.options.{option.value}", ""),
                    )
                )
    for outcome_id in tree.outcomes:
        if outcome_id not in reached_out:
            missed.append((f"outcome '{outcome_id}'", where.get(f"outcomes.{outcome_id}", "")))
    got_q = len(reached_q & set(tree.questions))
    got_o = len({o for o in reached_o if tree.questions.get(o[0]) and tree.questions[o[0]].option(o[1])})
    got_out = len(reached_out)
    return Coverage((got_q, n_q), (got_o, n_options), (got_out, len(tree.outcomes)), missed)


# -- finding and reporting -----------------------------------------------------------------------


def collect(paths: list[Path], library: Any) -> list[tuple[Path | None, Path | None]]:
    """``(tree file, tests file)`` pairs for ``paths``: tests files, tree files or folders.

    With no paths, every tree on the library's search path. A tree without tests pairs with None.
    """
    from sharewise.errors import UsageError
    from sharewise.trees.paths import display_path, tree_files_in

    pairs: list[tuple[Path | None, Path | None]] = []
    if not paths:
        found = [display_path(path) for _, path in library.files()]
        return [(path, tests_file_for(path)) for path in found]
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.name.endswith(TESTS_SUFFIXES))
            covered = {tree_file_for(t).resolve() for t in found}
            pairs.extend((tree_file_for(t), t) for t in found)
            pairs.extend((t, None) for t in tree_files_in(path) if t.resolve() not in covered)
        elif path.name.endswith(TESTS_SUFFIXES):
            pairs.append((tree_file_for(path), path))
        elif path.is_file():
            pairs.append((path, tests_file_for(path)))
        else:
            raise UsageError(f"no such file or folder: {path}")
    return pairs


def run_pair(tree_file: Path | None, tests_file: Path | None, library: Any) -> FileResult:
    """Load the tree (via ``library``, so overlays and continued trees resolve) and run its tests."""
    from sharewise.errors import TreeInvalid, UnknownTree

    result = FileResult(tree_file, tests_file)
    tests = load_tests(tests_file) if tests_file else None
    if tests is not None and tests.diagnostics:
        result.diagnostics = tests.diagnostics
        return result
    if tests is not None and tests.settings:  # the cases' own settings win over the machine's
        library = library.with_placeholders(tests.settings)
    ref = str(tree_file) if tree_file is not None and tree_file.exists() else None
    if tests is not None and tests.tree:
        named = tests.tree
        ref = str(tests.path.parent / named) if named.endswith((".yaml", ".yml")) else named
    if ref is None:
        where = str(tests_file or tree_file)
        result.diagnostics = [Diagnostic(where, None, "tree", "no tree beside this tests file; name it with 'tree:'")]
        return result
    try:
        tree = library.get(ref)
    except TreeInvalid as exc:
        result.diagnostics = list(exc.diagnostics) or [Diagnostic(ref, None, "", str(exc))]
        return result
    except UnknownTree as exc:
        result.diagnostics = [Diagnostic(str(tests_file), None, "tree", str(exc))]
        return result
    result.tree = tree
    if tests is None:
        return result
    loaded = library.read(tree.file) if tree.file else None
    places = places_of(loaded.data, loaded.lines) if loaded is not None else {}
    ran = run_tests(tests, tree, Engine(tree, library.get), places)
    ran.tree_file = tree_file
    return ran


def report(results: list[FileResult], *, strict: bool = False, quiet: bool = False) -> tuple[list[str], int]:
    """The lines to print for ``results`` and the exit code (0 pass, 1 fail or gap, 5 invalid)."""
    from sharewise.errors import EXIT_INVALID_TREE

    out: list[str] = []
    passed = failed = gaps = invalid = untested = 0
    for result in results:
        title = str(result.tests or result.tree_file)
        if result.diagnostics:
            invalid += 1
            out.append(f"{title}: not run")
            out.extend(f"  {d}" for d in result.diagnostics)
            continue
        tree = result.tree
        label = f"{tree.id} {tree.version}" if tree else "?"
        if result.tests is None:
            untested += 1
            out.append(f"{result.tree_file} ({label}): no tests (add {_tests_name(result.tree_file)})")
            continue
        out.append(f"{title} ({label}): {len(result.cases)} case(s)")
        for case in result.cases:
            at = f"line {case.case.line}: " if case.case.line else ""
            if case.passed:
                passed += 1
                if not quiet:
                    out.append(f"  PASS {at}{case.case.name}")
                continue
            failed += 1
            out.append(f"  FAIL {at}{case.case.name}")
            out.extend(f"      {line}" for line in case.diff)
            out.append(f"      path: {case.path or '(no question answered)'}")
        cov = result.coverage
        if cov is not None:
            out.append(
                f"  coverage of '{tree.id if tree else '?'}': questions {cov.questions[0]}/{cov.questions[1]}, "
                f"options {cov.options[0]}/{cov.options[1]}, outcomes {cov.outcomes[0]}/{cov.outcomes[1]}"
            )
            if cov.missed:
                gaps += 1
                out.extend(f"    not reached: {what}{' (' + at + ')' if at else ''}" for what, at in cov.missed)
    verdict = []
    if invalid:
        verdict.append(f"{invalid} file(s) could not be run")
    if strict and (gaps or untested):
        verdict.append("--strict: coverage is incomplete" if gaps else "--strict: a tree has no tests")
    summary = (
        f"trees test: {passed} case(s) passed and {failed} failed in {len(results) - untested - invalid} tests file(s)"
        f"; {gaps} with coverage gaps; {untested} tree(s) without tests"
    )
    out.append(summary + (". " + "; ".join(verdict) if verdict else "") + ".")
    if invalid:
        return out, EXIT_INVALID_TREE
    if failed or (strict and (gaps or untested)):
        return out, EXIT_TESTS_FAILED
    return out, 0


def _tests_name(tree_file: Path | None) -> str:
    if tree_file is None:
        return "a tests file"
    return tree_file.name.rsplit(".", 1)[0] + ".tests.yaml"
