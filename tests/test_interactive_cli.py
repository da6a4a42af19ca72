"""``sharewise decide`` without a terminal, and what the interactive path imports."""

from __future__ import annotations

import subprocess
import sys

import pytest
from typer.testing import CliRunner

from sharewise.cli import app
from sharewise.errors import EXIT_INCOMPLETE, EXIT_USAGE


def test_without_a_terminal_decide_does_not_prompt() -> None:
    result = CliRunner().invoke(app, ["decide"], input="")
    assert result.exit_code == EXIT_USAGE
    assert "standard input is not a terminal, so sharewise will not prompt" in result.output
    assert "--no-input" in result.output


def test_without_a_terminal_a_named_tree_reports_what_is_missing() -> None:
    result = CliRunner().invoke(app, ["decide", "when-to-share"], input="")
    assert result.exit_code == EXIT_INCOMPLETE


def test_resume_needs_a_terminal() -> None:
    result = CliRunner().invoke(app, ["decide", "when-to-share", "--resume"], input="")
    assert result.exit_code == EXIT_USAGE
    assert "--resume continues an interactive session" in result.output


@pytest.mark.parametrize(
    "code",
    [
        "import sharewise.interactive, sharewise.interactive.session, sharewise.interactive.fake",
        "from sharewise.cli import main; sys.argv = ['sharewise', 'decide', 'when-to-share', '--no-input']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass",
    ],
    ids=["interactive-core", "scripted-decide"],
)
def test_questionary_is_imported_only_by_the_terminal_prompter(code: str) -> None:
    check = "\nbad = [m for m in ('questionary', 'prompt_toolkit') if m in sys.modules]\nassert not bad, bad\n"
    result = subprocess.run(
        [sys.executable, "-c", "import sys\n" + code + check], capture_output=True, text=True, timeout=30, check=False
    )
    assert result.returncode == 0, result.stderr
