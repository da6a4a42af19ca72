"""Running a tree's test cases through the engine and judging each walk against what the case expects."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from sharewise.engine.walk import Engine, Walk
from sharewise.errors import Diagnostic, SharewiseError
from sharewise.model import Tree
from sharewise.trees.testcoverage import Coverage, coverage_of
from sharewise.trees.testsfile import TestCase, TestsFile

__all__ = ["CaseResult", "FileResult", "run_tests"]


@dataclass
class CaseResult:
    case: TestCase
    passed: bool
    diff: list[str]
    path: str


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
    result.coverage = coverage_of(tree, reached_q, reached_o, reached_out, where)
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
