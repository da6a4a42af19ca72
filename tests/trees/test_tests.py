"""`sharewise trees test`: cases as data beside a tree, pass/fail with a diff, coverage and --strict."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sharewise.cli import app
from sharewise.trees.paths import shipped_trees_dir
from sharewise.trees.tests import load_tests
from tests.helpers import WriteTree

FULL = """\
cases:
  - purpose=yes reasons="Because the nurse must follow up the injury" -> share
  - name: No purpose is not shared
    answers: {purpose: no}
    outcome: no-purpose
    decision: do-not-share
    actions: [tell the requester]
  - purpose=not-sure -> decision:seek-advice
"""


def _tests(tree: Path, text: str) -> Path:
    path = tree.with_name(tree.stem + ".tests.yaml")
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["trees", "test", *args])
    return result.exit_code, result.output


def test_passing_cases_and_full_coverage(write_tree: WriteTree) -> None:
    tree = write_tree()
    tests = _tests(tree, FULL)
    code, out = _run("--strict", str(tests))
    assert code == 0, out
    assert f"{tests} (t 1): 3 case(s)" in out
    assert "  PASS line 2: purpose=yes reasons=" in out
    assert "  PASS line 3: No purpose is not shared" in out
    assert "coverage of 't': questions 3/3, options 3/3, outcomes 3/3" in out
    assert "3 case(s) passed and 0 failed" in out


def test_a_tree_file_or_folder_finds_its_tests_beside_it(write_tree: WriteTree) -> None:
    tree = write_tree()
    _tests(tree, FULL)
    assert _run(str(tree))[0] == 0
    assert _run(str(tree.parent))[0] == 0


def test_a_failing_case_shows_expected_and_actual_and_exits_1(write_tree: WriteTree) -> None:
    tree = write_tree()
    _tests(
        tree,
        """\
        cases:
          - purpose=no -> advice
          - name: actions are checked
            answers: purpose=no
            outcome: no-purpose
            actions: [Ring the police]
            no_actions: [Tell the requester]
        """,
    )
    code, out = _run(str(tree))
    assert code == 1
    lines = out.splitlines()
    first = lines.index("  FAIL line 2: purpose=no -> advice")
    assert lines[first + 1 : first + 4] == [
        "      - outcome: advice",
        "      + outcome: no-purpose (do-not-share) in 't'",
        "      path: purpose=no",
    ]
    second = lines.index("  FAIL line 3: actions are checked")
    assert lines[second + 1 : second + 4] == [
        "      - action: Ring the police",
        "      + action: Tell the requester why.",
        "        actual action: Tell the requester why.",
    ]
    assert "0 case(s) passed and 2 failed" in out


def test_an_unanswered_question_is_shown_as_where_the_walk_stopped(write_tree: WriteTree) -> None:
    tree = write_tree()
    _tests(tree, "cases:\n  - purpose=yes -> share\n")
    code, out = _run(str(tree))
    assert code == 1
    assert "+ stopped at 'reasons' in 't', which has no answer: Why are you sharing?" in out


def test_an_invalid_answer_fails_the_case(write_tree: WriteTree) -> None:
    tree = write_tree()
    _tests(tree, "cases:\n  - purpose=perhaps -> advice\n")
    code, out = _run(str(tree))
    assert code == 1
    assert "+ invalid answer: purpose (Is there a clear purpose?): the answer given is not one of its options" in out


def test_coverage_names_what_no_case_reaches_and_strict_fails_on_it(write_tree: WriteTree) -> None:
    tree = write_tree()
    _tests(tree, "cases:\n  - purpose=no -> no-purpose\n")
    code, out = _run(str(tree))
    assert code == 0
    assert "coverage of 't': questions 2/3, options 1/3, outcomes 1/3" in out
    text = tree.read_text(encoding="utf-8").splitlines()

    def line(needle: str) -> int:
        return next(n for n, t in enumerate(text, 1) if t.startswith(needle))

    assert f"    not reached: question 'reasons' ({tree}:{line('  reasons:')})" in out
    assert f"    not reached: option 'purpose: yes' ({tree}:{line('      yes:')})" in out
    assert f"    not reached: outcome 'advice' ({tree}:{line('  advice:')})" in out
    assert "question 'why-not'" not in out  # a record question of a reached outcome counts as reached
    code, out = _run("--strict", str(tree))
    assert code == 1
    assert "--strict: coverage is incomplete" in out


def test_strict_fails_on_a_tree_without_tests(write_tree: WriteTree) -> None:
    tree = write_tree()
    code, out = _run(str(tree))
    assert code == 0 and f"{tree} (t 1): no tests (add t.tests.yaml)" in out
    assert _run("--strict", str(tree))[0] == 1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("cases:\n  - purpose=no\n", "cases[0]: a short case is 'id=value id=value -> EXPECTED'"),
        ("cases:\n  - purpose=no -> decision:maybe\n", "cases[0]: unknown decision 'maybe'"),
        (
            "cases:\n  - purpose=no -> no-purpse\n",
            "cases[0]: no outcome called 'no-purpse' (did you mean 'no-purpose'?)",
        ),
        (
            "cases:\n  - name: x\n    answers: {purpose: no}\n    outcom: no-purpose\n",
            "cases[0].outcom: unknown key 'outcom'",
        ),
        ("cases:\n  - purpose=no -> tree:other\n", "cases[0]: 't' cannot continue into 'other'"),
        ("cases: []\n", "cases: 'cases' is a list of at least one case"),
    ],
)
def test_mistakes_in_a_tests_file_name_its_line_and_exit_5(write_tree: WriteTree, text: str, message: str) -> None:
    tree = write_tree()
    tests = _tests(tree, text)
    code, out = _run(str(tests))
    assert code == 5, out
    assert any(line.strip().startswith(f"{tests}:") and message in line for line in out.splitlines()), out


def test_validate_checks_tests_files_too(write_tree: WriteTree) -> None:
    tree = write_tree()
    tests = _tests(tree, "cases:\n  - purpose=no\n")
    result = CliRunner().invoke(app, ["trees", "validate", str(tests)])
    assert result.exit_code == 5
    assert f"{tests}:2 cases[0]: a short case is" in result.output


def test_a_case_can_expect_the_walk_to_continue_into_another_tree(write_tree: WriteTree) -> None:
    write_tree(id="next")
    tree = write_tree(SIMPLE_CONTINUING, id="first")
    _tests(tree, "cases:\n  - go=on -> tree:next\n  - go=on purpose=no -> next:no-purpose\n  - go=stop -> stopped\n")
    code, out = _run("--strict", str(tree))
    assert code == 0, out
    assert "coverage of 'first': questions 1/1, options 2/2, outcomes 1/1" in out


SIMPLE_CONTINUING = """\
nodes:
  go:
    ask: Go on?
    help: h
    source: src s
    options:
      on: tree:next
      stop: stopped
outcomes:
  stopped:
    decision: do-not-share
    title: Stopped
    summary: s
"""


def test_short_and_long_forms_read_the_same_case(tmp_path: Path) -> None:
    path = tmp_path / "x.tests.yaml"
    path.write_text(
        "defaults: {reasons: a default reason}\n"
        "cases:\n"
        "  - purpose=yes 'reasons=two words' -> t:share\n"
        "  - answers: {purpose: yes}\n"
        "    outcome: t:share\n",
        encoding="utf-8",
    )
    loaded = load_tests(path)
    assert loaded.diagnostics == []
    short, long = loaded.cases
    assert short.answers == {"reasons": "two words", "purpose": "yes"}
    assert long.answers == {"reasons": "a default reason", "purpose": "yes"}
    assert (short.expect.outcome_tree, short.expect.outcome) == (long.expect.outcome_tree, long.expect.outcome)
    assert (short.line, long.line) == (3, 4)


def test_the_shipped_trees_reach_full_coverage_with_strict() -> None:
    code, out = _run("--strict", "-q", str(shipped_trees_dir()))
    assert code == 0, out
    assert "0 with coverage gaps; 0 tree(s) without tests" in out
    for tree_id in ("when-to-share", "how-much-to-share", "ico-10-step"):
        assert f"coverage of '{tree_id}'" in out
