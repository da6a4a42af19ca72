"""The command line's help, completion and machine-readable outputs (issue 14, points 11 and 12)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sharewise.cli import app
from sharewise.cli.report import complete_tree as _complete_tree

runner = CliRunner()
COMMANDS = [
    ["decide"], ["check"], ["trees", "validate"], ["trees", "list"], ["trees", "show"], ["trees", "test"],
    ["trees", "graph"], ["trees", "diff"], ["records", "verify"], ["records", "list"], ["records", "show"],
    ["records", "render"], ["records", "countersign"], ["drafts", "list"], ["drafts", "delete"],
]  # fmt: skip


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_help_names_values_in_words_not_python_types(command: list[str]) -> None:
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0
    assert not re.search(r"<[a-z\[\]]+>", result.output), result.output  # <str>, <list[Path]>
    usage = result.output.splitlines()[0]
    assert "{" not in usage, usage  # a required argument in braces, as in {cases}


def test_help_shows_defaults_and_allowed_values() -> None:
    decide = runner.invoke(app, ["decide", "--help"]).output
    assert "-a, --answer ID=VALUE" in decide
    assert "see README" not in decide and "~/.local/share/sharewise/records" in " ".join(decide.split())
    assert "--format [text|jsonl]" in runner.invoke(app, ["check", "--help"]).output
    assert "-f, --format [mermaid|dot]" in runner.invoke(app, ["trees", "graph", "--help"]).output
    assert runner.invoke(app, ["check", "--help"]).output.startswith("Usage: sharewise check [OPTIONS] CASES")


def test_short_version_flag() -> None:
    result = runner.invoke(app, ["-V"])
    assert result.exit_code == 0 and result.output.startswith("sharewise ")


@pytest.mark.parametrize(
    "command", [["check", "x.jsonl"], ["trees", "validate"], ["trees", "test"], ["trees", "diff", "a"]]
)
def test_every_printing_command_takes_plain(command: list[str]) -> None:
    result = runner.invoke(app, [*command, "--plain"])
    assert "No such option" not in result.output


def test_trees_validate_json_lists_every_problem(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("format: sharewise-tree/1\nid: broken\n", encoding="utf-8")
    result = runner.invoke(app, ["trees", "validate", str(broken), "--json"])
    assert result.exit_code == 5
    payload = json.loads(result.stdout)
    assert payload["valid"] is False and payload["errors"] >= 1
    assert {"file", "line", "place", "severity", "message"} <= set(payload["problems"][0])
    good = json.loads(runner.invoke(app, ["trees", "validate", "--json"]).stdout)
    assert good["valid"] is True and good["problems"] == [] and len(good["files"]) >= 3


def test_trees_test_json_has_each_case_and_the_exit_code() -> None:
    result = runner.invoke(app, ["trees", "test", "--json"])
    payload = json.loads(result.stdout)
    assert payload["exit_code"] == result.exit_code == 0
    first = payload["files"][0]
    assert first["cases"] and {"name", "line", "passed", "diff", "path"} <= set(first["cases"][0])
    assert set(first["coverage"]) == {"questions", "options", "outcomes", "not_reached"}


def test_tree_ids_complete() -> None:
    assert _complete_tree("wh") == ["when-to-share"]
    assert set(_complete_tree("")) >= {"when-to-share", "how-much-to-share", "ico-10-step"}


def test_the_shell_completes_tree_ids_through_the_installed_command() -> None:
    exe = Path(sys.executable).parent / "sharewise"
    if not exe.exists():  # pragma: no cover - the package is installed for the tests
        pytest.skip("the sharewise command is not installed")
    env = {
        **os.environ,
        "_SHAREWISE_COMPLETE": "complete_bash",
        "COMP_WORDS": "sharewise trees graph wh",
        "COMP_CWORD": "3",
    }
    done = subprocess.run([str(exe)], env=env, capture_output=True, text=True, timeout=30, check=False)
    assert done.stdout.split() == ["when-to-share"]
    shown = runner.invoke(app, ["--show-completion", "bash"])
    assert "_SHAREWISE_COMPLETE" in shown.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["records", "render", "x.json", "-f", "pdf"], "--format must be one of: md, html (not 'pdf')"),
        (["records", "list", "--decision", "maybe"], "--decision must be one of: share, do-not-share, seek-advice"),
        (["trees", "graph", "when-to-share", "-f", "pdf"], "--format must be one of: mermaid, dot (not 'pdf')"),
    ],
)
def test_a_value_not_allowed_names_the_allowed_values_in_plain_words(args: list[str], message: str) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert message in result.output
    assert "Value error" not in result.output
