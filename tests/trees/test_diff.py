"""`sharewise trees diff`: what changed between two versions of a tree, for policy sign-off."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from sharewise.cli import app
from sharewise.trees.diff import diff_trees, render_changes
from sharewise.trees.library import Library
from tests.helpers import HEADER, SIMPLE_BODY, WriteTree

NEW_BODY = (
    SIMPLE_BODY.replace("Is there a clear purpose?", "Is there a clear and lawful purpose?")
    .replace("      not-sure: advice\n", "      not-sure: no-purpose\n      unknown: advice\n")
    .replace("    decision: seek-advice\n", "    decision: do-not-share\n")
    .replace("      - Record what you shared.\n", "      - Record what you shared, and when.\n")
)


def _pair(tmp_path: Path) -> tuple[Path, Path]:
    old_dir, new_dir = tmp_path / "old", tmp_path / "new"
    old_dir.mkdir()
    new_dir.mkdir()
    old = old_dir / "t.yaml"
    new = new_dir / "t.yaml"
    old.write_text(HEADER.format(id="t") + SIMPLE_BODY, encoding="utf-8")
    header = HEADER.format(id="t").replace('version: "1"', 'version: "2"')
    new.write_text(
        header + NEW_BODY.replace("  why-not:", "  why-not-share:").replace("[why-not]", "[why-not-share]"),
        encoding="utf-8",
    )
    return old, new


def test_diff_lists_each_kind_of_change(tmp_path: Path) -> None:
    old, new = _pair(tmp_path)
    before = Library([old.parent]).get(str(old))
    after = Library([new.parent]).get(str(new))
    changes = {(c.section, c.kind, c.id, c.what, c.old, c.new) for c in diff_trees(before, after)}
    assert ("tree", "changed", "", "version", "1", "2") in changes
    assert (
        "questions",
        "changed",
        "purpose",
        "ask",
        "Is there a clear purpose?",
        "Is there a clear and lawful purpose?",
    ) in changes
    assert ("questions", "removed", "why-not", "question", "Why are you not sharing?", None) in changes
    assert ("questions", "added", "why-not-share", "question", None, "Why are you not sharing?") in changes
    assert ("options", "added", "purpose.unknown", "option", None, "Unknown") in changes
    assert ("routes", "changed", "purpose.not-sure", "route", "advice", "no-purpose") in changes
    assert ("outcomes", "changed", "advice", "decision", "seek-advice", "do-not-share") in changes
    assert ("outcomes", "removed", "share", "action", "Record what you shared.", None) in changes
    assert ("outcomes", "added", "share", "action", None, "Record what you shared, and when.") in changes
    assert ("outcomes", "changed", "no-purpose", "record", "why-not", "why-not-share") in changes


def test_a_changed_decision_is_shown_first(tmp_path: Path) -> None:
    old, new = _pair(tmp_path)
    result = CliRunner().invoke(app, ["trees", "diff", str(old), str(new)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == f"Comparing t 1 ({old}) with t 2 ({new})"
    assert lines[2:4] == ["DECISIONS CHANGED", "  ! advice: seek-advice -> do-not-share"]
    assert "  ~ purpose ask: Is there a clear purpose? -> Is there a clear and lawful purpose?" in lines
    assert "  ~ purpose.not-sure route: advice -> no-purpose" in lines
    assert "  + purpose.unknown option: Unknown" in lines


def test_diff_as_json(tmp_path: Path) -> None:
    old, new = _pair(tmp_path)
    result = CliRunner().invoke(app, ["trees", "diff", str(old), str(new), "--json"])
    payload = json.loads(result.output)
    assert payload["old"]["version"] == "1" and payload["new"]["version"] == "2"
    assert {
        "section": "routes",
        "kind": "changed",
        "id": "purpose.not-sure",
        "what": "route",
        "old": "advice",
        "new": "no-purpose",
    } in payload["changes"]


def test_an_identical_tree_has_no_differences(write_tree: WriteTree) -> None:
    path = write_tree()
    tree = Library([path.parent]).get("t")
    assert diff_trees(tree, tree) == []
    assert render_changes(tree, tree, [])[-1] == "No differences."


def test_an_overlay_alone_is_compared_with_the_tree_it_extends() -> None:
    example = Path(__file__).resolve().parents[2] / "examples" / "partnership"
    overlay = example / "trees" / "when-to-share.yaml"
    result = CliRunner().invoke(app, ["trees", "diff", str(overlay), "--config", str(example / "config.yaml")])
    assert result.exit_code == 0, result.output
    out = result.output.splitlines()
    shipped = Library.default().get("when-to-share").version
    assert f"  ~ version: {shipped} -> 2026.2" in out
    assert (
        "  + allocated-worker question: Does the child or adult already have an allocated Northshire social worker?"
        in out
    )
    assert "  ~ urgent.not-sure route: urgent-advice -> allocated-worker" in out
    assert "  ~ urgent.yes route: urgent-who -> allocated-worker" in out
    assert "  - urgent-advice outcome: seek-advice: Get advice straight away" in out
    assert (
        "  + front-door-consultation outcome: seek-advice: "
        "Talk it through now with social care, and ring 999 if anyone may be in danger"
    ) in out
    assert (
        "  + northshire-procedures source: Northshire Safeguarding Partnership multi-agency procedures (fictional example)"
        in out
    )


def test_diff_of_a_tree_that_is_no_overlay_asks_for_two() -> None:
    result = CliRunner().invoke(app, ["trees", "diff", "when-to-share"])
    assert result.exit_code == 2
    assert "is not an overlay; name the two trees to compare" in result.output


def test_exit_code_says_whether_the_trees_differ(tmp_path: Path) -> None:
    old, new = _pair(tmp_path)
    assert CliRunner().invoke(app, ["trees", "diff", str(old), str(new), "--exit-code"]).exit_code == 1
    assert CliRunner().invoke(app, ["trees", "diff", str(old), str(new), "--json", "--exit-code"]).exit_code == 1
    same = CliRunner().invoke(app, ["trees", "diff", str(old), str(old), "--exit-code"])
    assert same.exit_code == 0 and "No differences." in same.output
    assert CliRunner().invoke(app, ["trees", "diff", str(old), str(new)]).exit_code == 0
