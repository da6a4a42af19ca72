"""Tree tests: cases written as data beside a tree, run through the engine, with coverage.

This is the entry point ``sharewise trees test`` uses: it pairs tree files with their tests files,
runs each pair and reports the results. The parts are :mod:`sharewise.trees.testsfile` (reading
a ``.tests.yaml`` file, whose format it describes), :mod:`sharewise.trees.testrun` (running and
judging the cases) and :mod:`sharewise.trees.testcoverage` (what no case reached); their public
names can all be imported from here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sharewise.engine.walk import Engine
from sharewise.errors import EXIT_INVALID_TREE, EXIT_TESTS_FAILED, Diagnostic, TreeInvalid, UnknownTree, UsageError
from sharewise.trees.paths import TESTS_SUFFIXES, TREE_SUFFIXES, display_path, tree_files_in
from sharewise.trees.testcoverage import Coverage, places_of
from sharewise.trees.testrun import CaseResult, FileResult, run_tests
from sharewise.trees.testsfile import TESTS_FORMAT, Expect, TestCase, TestsFile, load_tests

__all__ = [
    "TESTS_FORMAT",
    "TESTS_SUFFIXES",
    "CaseResult",
    "Coverage",
    "Expect",
    "FileResult",
    "TestCase",
    "TestsFile",
    "collect",
    "load_tests",
    "places_of",
    "report",
    "run_pair",
    "run_tests",
    "tests_file_for",
    "tree_file_for",
]


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
            for ext in TREE_SUFFIXES:
                candidate = tests_file.with_name(stem + ext)
                if candidate.exists():
                    return candidate
            return tests_file.with_name(stem + TREE_SUFFIXES[0])
    return tests_file


def collect(paths: list[Path], library: Any) -> list[tuple[Path | None, Path | None]]:
    """``(tree file, tests file)`` pairs for ``paths``: tests files, tree files or folders.

    With no paths, every tree on the library's search path. A tree without tests pairs with None.
    """
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
        ref = str(tests.path.parent / named) if named.endswith(TREE_SUFFIXES) else named
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
    return tree_file.name.rsplit(".", 1)[0] + TESTS_SUFFIXES[0]
