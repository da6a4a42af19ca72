"""Messages for tree authors (issue 14, points 14 and 15): YAML mistakes and broken local overlays."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from sharewise.cli import app
from sharewise.errors import EXIT_INCOMPLETE
from sharewise.interactive import run_interactive
from sharewise.interactive.fake import CTRL_C, FakePrompter
from tests.helpers import SIMPLE_BODY, WriteTree

runner = CliRunner()


def validate(path: Path) -> str:
    result = runner.invoke(app, ["trees", "validate", str(path)])
    assert result.exit_code == 5, result.output
    return result.stdout


def line_of(path: Path, text: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), start=1) if text in line)


# -- YAML mistakes --------------------------------------------------------------------------------


def test_a_tab_says_to_use_spaces(write_tree: WriteTree) -> None:
    path = write_tree(SIMPLE_BODY.replace("    help: Purpose matters.", "\thelp: Purpose matters."))
    assert (
        validate(path)
        == f"{path}:{line_of(path, 'Purpose matters')}: YAML syntax error: a tab cannot indent YAML; use spaces\n"
    )


@pytest.mark.parametrize(
    ("before", "after", "marker"),
    [
        ("    help: Purpose matters.", "    help Purpose matters.", "help Purpose"),
        ("  purpose:\n", "  purpose\n", "  purpose"),  # a mapping's key: the parser stops on the line after
    ],
)
def test_a_missing_colon_names_its_own_line(write_tree: WriteTree, before: str, after: str, marker: str) -> None:
    path = write_tree(SIMPLE_BODY.replace(before, after, 1))
    assert validate(path) == (
        f"{path}:{line_of(path, marker)}: YAML syntax error: this line has no ':' after its key; "
        "write 'key: value', or 'key:' before a block\n"
    )


def test_an_unquoted_colon_in_text_says_to_quote_it(write_tree: WriteTree) -> None:
    path = write_tree(SIMPLE_BODY.replace("    help: Purpose matters.", "    help: Note: purpose matters."))
    out = validate(path)
    assert out.startswith(f"{path}:{line_of(path, 'Note: purpose')}: YAML syntax error: a ': ' inside text")
    assert "double quotes" in out


def test_one_wrong_route_name_gives_one_error(write_tree: WriteTree) -> None:
    path = write_tree(SIMPLE_BODY.replace("      yes: reasons", "      yes: reasosn"))
    assert validate(path) == (
        f"{path}:{line_of(path, 'yes: reasosn')} nodes.purpose.options.yes: "
        "no question or outcome called 'reasosn' (did you mean 'reasons'?)\n"
    )


def test_a_route_to_nowhere_gives_no_follow_on_errors(write_tree: WriteTree) -> None:
    path = write_tree(SIMPLE_BODY.replace("      yes: reasons", "      yes: qqqqqqqqqq"))
    out = validate(path)
    assert out.count("\n") == 1
    assert "no path from the start" not in out


def test_an_unreachable_question_is_still_reported_when_the_routes_are_sound(write_tree: WriteTree) -> None:
    path = write_tree(SIMPLE_BODY.replace("      yes: reasons", "      yes: share"))
    assert "nodes.reasons: no path from the start ('purpose') reaches this question" in validate(path)


def test_validating_a_folder_skips_its_settings_file(write_tree: WriteTree, tmp_path: Path) -> None:
    write_tree()
    (tmp_path / "config.yaml").write_text("organisation: Hilltop School\ncontacts:\n  dsl: Sam\n", encoding="utf-8")
    result = runner.invoke(app, ["trees", "validate", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert f"skipped {tmp_path / 'config.yaml'}: a settings file, not a tree" in result.stderr
    assert "1 tree file(s) checked: 0 error(s)" in result.stderr


# -- a broken local overlay -----------------------------------------------------------------------

BROKEN_OVERLAY = """\
format: sharewise-tree/1
extends: how-much-to-share
version: "2026.1"
owner: Northshire Safeguarding Partnership
reviewed: 2026-12-01
next_review: 2099-01-01
nodes:
  hm-necessary:
    options:
      some: nowhere-at-all
"""


@pytest.fixture
def broken_overlay(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "local"
    folder.mkdir()
    path = folder / "local-how-much.yaml"
    path.write_text(BROKEN_OVERLAY, encoding="utf-8")
    monkeypatch.setenv("SHAREWISE_TREES_PATH", str(folder))
    return path


def test_a_tree_continuing_into_a_broken_overlay_names_the_overlay_and_what_still_works(broken_overlay: Path) -> None:
    result = runner.invoke(
        app, ["decide", "when-to-share", "--no-input", "-a", "trigger=request", "-a", "urgent=no", "--json"]
    )
    assert result.exit_code == 5
    out = json.loads(result.stdout)
    assert out["message"].endswith(
        f"continues into a tree that cannot be used: the overlay {broken_overlay} (on 'how-much-to-share') is not "
        "valid; still usable: ico-10-step (to use sharewise's own 'how-much-to-share' meanwhile, take the overlay "
        "off the trees path)"
    )
    line = line_of(broken_overlay, "some: nowhere-at-all")
    assert (
        f"{broken_overlay}:{line} nodes.hm-necessary.options.some.next: no question or outcome called 'nowhere-at-all'"
        in out["errors"]
    )
    links = [e for e in out["errors"] if "continues into tree 'how-much-to-share'" in e]
    assert len(links) == 1  # once, not once per route into it
    assert f"the overlay {broken_overlay} replaces it" in links[0]


def test_the_broken_overlay_itself_says_what_still_works(broken_overlay: Path) -> None:
    result = runner.invoke(app, ["decide", "how-much-to-share", "--no-input", "--json"])
    assert result.exit_code == 5
    assert json.loads(result.stdout)["message"].startswith(
        f"the overlay {broken_overlay} (on 'how-much-to-share') is not valid; still usable: ico-10-step"
    )


def test_the_menu_says_which_trees_are_not_available(broken_overlay: Path) -> None:
    prompter = FakePrompter([CTRL_C])
    out = io.StringIO()
    console = Console(file=out, width=200, color_system=None)
    code = run_interactive(tree=None, prompter=prompter, console=console)
    assert code == EXIT_INCOMPLETE  # stopped at the menu
    assert prompter.asked[0].values == ["ico-10-step"]
    shown = " ".join(out.getvalue().split())
    assert f"Not available until fixed: how-much-to-share ({broken_overlay})" in shown
    assert "when-to-share" in shown


def test_a_problem_in_the_shipped_tree_an_overlay_extends_names_it_without_its_install_path(tmp_path: Path) -> None:
    from sharewise.trees.paths import shipped_trees_dir

    overlay = tmp_path / "local.yaml"
    overlay.write_text(
        BROKEN_OVERLAY.split("nodes:", maxsplit=1)[0] + "nodes:\n  hm-necessary: {retire: true}\n", encoding="utf-8"
    )
    out = validate(overlay)
    assert "(in 'how-much-to-share' at sharewise's own how-much-to-share.yaml:" in out
    assert str(shipped_trees_dir()) not in out


def test_a_pasted_control_character_is_named_on_its_line(write_tree: WriteTree) -> None:
    path = write_tree(SIMPLE_BODY.replace("    help: Purpose matters.", "    help: Purpose\x1b matters."))
    assert validate(path) == (
        f"{path}:{line_of(path, 'Purpose')}: YAML error: this line holds a control character (code 0x1b), which "
        "YAML does not allow in a file; remove it (pasted text often brings one)\n"
    )


def test_trees_list_marks_a_tree_that_continues_into_a_broken_overlay(broken_overlay: Path) -> None:
    result = runner.invoke(app, ["trees", "list", "--json"])
    assert result.exit_code == 0
    rows = {row["id"]: row for row in json.loads(result.stdout)}
    assert rows["how-much-to-share"]["file"] == str(broken_overlay)
    assert (rows["how-much-to-share"]["valid"], rows["how-much-to-share"]["usable"]) == (False, False)
    assert (rows["when-to-share"]["valid"], rows["when-to-share"]["usable"]) == (True, False)
    assert rows["when-to-share"]["title"].endswith(
        "(not usable: a tree it continues into is not valid; run 'sharewise trees validate')"
    )
    assert rows["ico-10-step"]["usable"] is True
