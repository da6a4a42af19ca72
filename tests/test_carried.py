"""Answers carried from tree to tree: ``same_as``, conditional starts, ``TREE.QUESTION`` and
``continued_from`` in conditions and hand-over outcomes (the library's checks of them: trees/test_library.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sharewise.engine.walk import Engine
from sharewise.records.build import SignOff, build_record
from sharewise.trees.library import Library
from tests.helpers import GIVING, ORG, RECEIVING, WriteTree


@pytest.fixture
def pair(write_tree: WriteTree) -> Library:
    write_tree(GIVING, id="giving")
    path = write_tree(RECEIVING, id="how-much")
    return Library([path.parent])


def test_a_continued_tree_carries_earlier_answers_and_asks_none_of_them(pair: Library) -> None:
    engine = Engine(pair.get("giving"), pair.get)
    walk = engine.walk({"how": "request", "consent": "given"})
    assert walk.pending is not None and walk.pending[1].id == "hm-much"
    walk = engine.walk({"how": "request", "consent": "given", "hm-much": "all"})
    assert walk.status == "decided"
    assert [(s.question.id, s.carried) for s in walk.path] == [
        ("how", False),
        ("consent", False),
        ("hm-how", True),
        ("hm-consent", True),
        ("hm-much", False),
    ]
    carried = walk.path[3].carried_from
    assert carried is not None and (carried.tree.id, carried.question.id) == ("giving", "consent")
    assert walk.answers == {"how": "request", "consent": "given", "hm-much": "all"}
    assert [a.text for a in walk.actions()] == ["You are continuing a decision.", "Tell the requester."]
    assert walk.details() == {"consent": "Given"}
    assert [(t.id, o.id) for t, o in walk.conclusions] == [("giving", "may-share")]


def test_a_carried_value_is_mapped_and_other_trees_answers_steer_routes(pair: Library) -> None:
    engine = Engine(pair.get("giving"), pair.get)
    walk = engine.walk({"how": "proactive", "consent": "refused", "hm-much": "all"})
    assert walk.outcome is not None and walk.outcome[1].id == "share-refused"
    assert walk.path[3].value == "refused"


def test_started_on_its_own_the_tree_asks_every_question(pair: Library) -> None:
    engine = Engine(pair.get("how-much"), pair.get)
    walk = engine.walk({})
    assert walk.pending is not None and walk.pending[1].id == "hm-where"
    walk = engine.walk({"hm-where": "yes", "hm-how": "request", "hm-consent": "unknown", "hm-much": "all"})
    assert walk.status == "decided"
    assert not any(s.carried for s in walk.path)
    assert walk.outcome is not None and walk.outcome[1].id == "share-all"
    assert [a.text for a in walk.actions()] == ["Tell the requester."]  # not continued
    assert walk.details() == {"consent": "Unknown"}
    assert walk.conclusions == ()


def test_an_answer_that_contradicts_the_one_it_carries_is_invalid_naming_both_ids(pair: Library) -> None:
    engine = Engine(pair.get("giving"), pair.get)
    walk = engine.walk({"how": "request", "consent": "given", "hm-consent": "refused", "hm-much": "all"})
    assert walk.status == "invalid"
    [error] = walk.errors
    assert error.id == "hm-consent"
    assert "'consent' in 'giving'" in error.message and "leave 'hm-consent' out" in error.message
    # The same answer given twice is no contradiction.
    walk = engine.walk({"how": "request", "consent": "given", "hm-consent": "given", "hm-much": "all"})
    assert walk.status == "decided"
    assert walk.path[3].carried


def test_a_contradiction_off_the_path_is_caught_too(write_tree: WriteTree) -> None:
    write_tree(GIVING, id="giving")
    body = RECEIVING.replace("    to: hm-how\n  - to: hm-where", "    to: hm-much\n  - to: hm-where")
    path = write_tree(body, id="how-much")
    library = Library([path.parent])
    engine = Engine(library.get("giving"), library.get)
    walk = engine.walk({"how": "request", "consent": "given", "hm-how": "proactive", "hm-much": "some"})
    assert [e.id for e in walk.errors] == ["hm-how"]


def test_the_record_marks_carried_answers_and_keeps_each_conclusion(pair: Library) -> None:
    from datetime import datetime, timezone

    engine = Engine(pair.get("giving"), pair.get)
    walk = engine.walk({"how": "request", "consent": "given", "hm-much": "some"})
    record = build_record(
        walk,
        sign_off=SignOff("A Person", "DSL"),
        record_id="00000000-0000-4000-8000-000000000000",
        now=datetime(2026, 12, 1, tzinfo=timezone.utc),
    )
    marks = [(p["id"], p.get("carried_from")) for p in record["path"]]
    assert marks[2] == ("hm-how", {"tree": "giving", "id": "how"})
    assert marks[3] == ("hm-consent", {"tree": "giving", "id": "consent"})
    assert [m for _, m in marks].count(None) == 3
    assert [(c["tree"], c["id"], c["decision"]) for c in record["conclusions"]] == [
        ("giving", "may-share", "share"),
        ("how-much", "share-some", "share"),
    ]
    assert record["details"] == {"consent": "Given"}


def _messages(path: Path) -> list[str]:
    """Every problem the library finds in the tree file at ``path``, as printed."""
    return [str(d) for d in Library([path.parent]).check(path)]


def test_an_option_with_if_is_offered_only_when_it_holds(write_tree: WriteTree) -> None:
    path = write_tree(ORG, id="org")
    library = Library([path.parent])
    engine = Engine(library.get("org"), library.get)
    walk = engine.walk({"org": "yes"})
    assert walk.pending is not None
    assert [o.value for o in walk.offered(*walk.pending)] == ["public-task", "not-sure"]
    walk = engine.walk({"org": "yes", "basis": "legitimate-interests"})
    assert walk.status == "invalid"
    assert walk.errors[0].message.endswith("allowed: public-task, not-sure")
    walk = engine.walk({"org": "no", "basis": "legitimate-interests"})
    assert walk.status == "decided"


def test_a_question_with_setting_is_answered_by_the_settings_file(write_tree: WriteTree) -> None:
    path = write_tree(ORG, id="org")
    library = Library([path.parent], placeholders={"public_authority": "yes"})
    engine = Engine(library.get("org"), library.get)
    walk = engine.walk({})
    assert walk.pending is not None and walk.pending[1].id == "basis"
    assert walk.path[0].preset and walk.path[0].value == "yes" and walk.asked == ()
    assert [o.value for o in walk.offered(*walk.pending)] == ["public-task", "not-sure"]
    walk = engine.walk({"org": "no", "basis": "public-task"})
    assert [e.id for e in walk.errors] == ["org"] and "settings file ('public_authority')" in walk.errors[0].message
    # Without the setting the question is asked.
    unset = Library([path.parent])
    walk = Engine(unset.get("org"), unset.get).walk({})
    assert walk.pending is not None and walk.pending[1].id == "org"


SETTINGS_TREE = """\
nodes:
  how:
    ask: Were you asked?
    help: How it started.
    source: src s1
    options:
      request: basis
      proactive: basis
  basis:
    ask: Which lawful basis?
    help: Pick one.
    source: src s2
    options:
      public-task: refuse
      legitimate-interests:
        if: settings.public_authority != 'yes'
        next: refuse
  who-asked:
    ask: Who asked?
    help: Name, role, organisation.
    source: src s3
    kind: text
    detail: requester
  why:
    ask: Why not?
    help: Reasons.
    source: src s3
    kind: text
    detail: reasons
outcomes:
  refuse:
    decision: do-not-share
    title: Do not share
    summary: No.
    record:
      - question: who-asked
        if: how == 'request'
      - why
"""


def test_conditions_can_name_settings_and_record_questions_can_be_conditional(write_tree: WriteTree) -> None:
    path = write_tree(SETTINGS_TREE, id="s")
    public = Library([path.parent], placeholders={"public_authority": "yes"})
    walk = Engine(public.get("s"), public.get).walk({"how": "request"})
    assert walk.pending is not None
    assert [o.value for o in walk.offered(*walk.pending)] == ["public-task"]
    unset = Library([path.parent])
    engine = Engine(unset.get("s"), unset.get)
    walk = engine.walk({"how": "request"})
    assert walk.pending is not None
    assert [o.value for o in walk.offered(*walk.pending)] == ["public-task", "legitimate-interests"]
    walk = engine.walk({"how": "request", "basis": "public-task"})
    assert walk.pending is not None and walk.pending[1].id == "who-asked"
    walk = engine.walk({"how": "proactive", "basis": "public-task"})
    assert walk.pending is not None and walk.pending[1].id == "why"
    walk = engine.walk({"how": "proactive", "basis": "public-task", "why": "because"})
    assert walk.status == "decided"


@pytest.mark.parametrize(
    ("tree", "old", "new", "fragment"),
    [
        ("org", "setting: public_authority", "setting: colour", "'setting' names a setting a question can take"),
        ("org", "      no: basis\n", "", "needs the options yes, no (missing: no)"),
        ("org", "if: org == 'no'", "if: org == 'maybe'", "'org' has no option 'maybe'"),
        ("s", "settings.public_authority != 'yes'", "settings.colour == 'x'", "no setting called 'colour'"),
        ("s", "!= 'yes'", "== 'maybe'", "'settings.public_authority' is yes or no, never 'maybe'"),
    ],
)
def test_settings_and_option_conditions_are_checked(
    write_tree: WriteTree, tree: str, old: str, new: str, fragment: str
) -> None:
    body = ORG if tree == "org" else SETTINGS_TREE
    assert old in body
    problems = _messages(write_tree(body.replace(old, new), id=tree))
    assert any(fragment in p for p in problems), problems


OVERLAY = """\
format: sharewise-tree/1
extends: how-much
version: "1-local"
owner: Local IG lead
reviewed: 2026-12-01
next_review: 2099-01-01
start:
  - if: continued_from == 'giving' and giving.how == 'proactive'
    to: hm-local
  - if: continued_from == 'giving'
    to: hm-how
  - to: hm-where
nodes:
  hm-local:
    ask: Did you notice this yourself?
    help: A local question that carries the giving tree's answer.
    source: src s9
    same_as: giving.how
    options:
      request: hm-how
      proactive:
        if: continued_from == 'giving'
        next: hm-how
"""


def test_an_overlay_can_use_carried_answers_conditional_starts_and_option_conditions(tmp_path: Path) -> None:
    from tests.helpers import HEADER

    shipped, local = tmp_path / "shipped", tmp_path / "local"
    shipped.mkdir()
    local.mkdir()
    (shipped / "giving.yaml").write_text(HEADER.format(id="giving") + GIVING, encoding="utf-8")
    (shipped / "how-much.yaml").write_text(HEADER.format(id="how-much") + RECEIVING, encoding="utf-8")
    overlay = local / "how-much.yaml"
    overlay.write_text(OVERLAY, encoding="utf-8")
    library = Library([local, shipped])
    assert [str(d) for d in library.check(overlay) if d.severity == "error"] == []
    engine = Engine(library.get("giving"), library.get)
    walk = engine.walk({"how": "proactive", "consent": "given", "hm-much": "some"})
    assert walk.status == "decided"
    assert [(s.question.id, s.carried) for s in walk.path][2:4] == [("hm-local", True), ("hm-how", True)]
    # A broken reference in the overlay is reported on the overlay's own line.
    overlay.write_text(OVERLAY.replace("same_as: giving.how", "same_as: giving.hw"), encoding="utf-8")
    library = Library([local, shipped])
    problems = [str(d) for d in library.check(overlay) if d.severity == "error"]
    line = next(n for n, t in enumerate(overlay.read_text().splitlines(), 1) if "giving.hw" in t)
    assert any(p.startswith(f"{overlay}:{line} ") and "no question called 'hw'" in p for p in problems), problems


def test_strict_coverage_leaves_out_what_the_settings_rule_out(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from sharewise.cli import app
    from tests.helpers import HEADER

    (tmp_path / "s.yaml").write_text(HEADER.format(id="s") + SETTINGS_TREE, encoding="utf-8")
    (tmp_path / "s.tests.yaml").write_text(
        "cases:\n  - how=request basis=public-task who-asked=A.N.Other why=because -> refuse\n"
        "  - how=proactive basis=public-task why=because -> refuse\n",
        encoding="utf-8",
    )
    config = tmp_path.parent / f"{tmp_path.name}-config.yaml"
    config.write_text("public_authority: yes\n", encoding="utf-8")
    runner = CliRunner()
    public = runner.invoke(app, ["trees", "test", "--strict", "--config", str(config), str(tmp_path)])
    assert public.exit_code == 0, public.output
    assert "options 3/3" in public.output
    unset = runner.invoke(app, ["trees", "test", "--strict", str(tmp_path)])
    assert unset.exit_code == 1
    assert "not reached: option 'basis: legitimate-interests'" in unset.output


def test_an_overlay_on_a_tree_with_a_conditional_start_keeps_it(tmp_path: Path) -> None:
    """Regression: merging an overlay read the extended tree's 'start' as one id and failed on a list."""
    from tests.helpers import HEADER

    shipped, local = tmp_path / "shipped", tmp_path / "local"
    shipped.mkdir()
    local.mkdir()
    (shipped / "giving.yaml").write_text(HEADER.format(id="giving") + GIVING, encoding="utf-8")
    (shipped / "how-much.yaml").write_text(HEADER.format(id="how-much") + RECEIVING, encoding="utf-8")
    overlay = local / "how-much.yaml"
    overlay.write_text(
        OVERLAY.split("start:", maxsplit=1)[0] + "nodes:\n  hm-much:\n    help: Local help.\n", encoding="utf-8"
    )
    library = Library([local, shipped])
    assert [str(d) for d in library.check(overlay) if d.severity == "error"] == []
    assert library.get("how-much").start_routes[0].target == "hm-how"


def test_a_tests_file_states_the_settings_its_cases_assume(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from sharewise.cli import app
    from tests.helpers import HEADER

    (tmp_path / "s.yaml").write_text(HEADER.format(id="s") + SETTINGS_TREE, encoding="utf-8")
    cases = "cases:\n  - how=proactive basis=legitimate-interests why=because -> refuse\n"
    (tmp_path / "s.tests.yaml").write_text("settings: {public_authority: 'no'}\n" + cases, encoding="utf-8")
    config = tmp_path.parent / f"{tmp_path.name}-config.yaml"
    config.write_text("public_authority: yes\n", encoding="utf-8")  # the machine's settings say otherwise
    runner = CliRunner()
    result = runner.invoke(app, ["trees", "test", "--config", str(config), str(tmp_path)])
    assert result.exit_code == 0, result.output
    (tmp_path / "s.tests.yaml").write_text(cases, encoding="utf-8")  # without it, the machine's settings rule
    result = runner.invoke(app, ["trees", "test", "--config", str(config), str(tmp_path)])
    assert result.exit_code == 1 and "not offered here" in result.output
    (tmp_path / "s.tests.yaml").write_text("settings: {colour: red}\n" + cases, encoding="utf-8")
    result = runner.invoke(app, ["trees", "test", str(tmp_path)])
    assert result.exit_code == 5 and "no setting called 'colour'" in result.output
