"""``sharewise decide`` without a terminal, and what the interactive path imports."""

from __future__ import annotations

import json
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
    assert "trigger" in result.output  # it names the first question still to answer
    plain = CliRunner().invoke(app, ["decide", "when-to-share", "--json"], input="")
    assert json.loads(plain.stdout)["next"]["id"] == "trigger"


def test_resume_needs_a_terminal() -> None:
    result = CliRunner().invoke(app, ["decide", "when-to-share", "--resume"], input="")
    assert result.exit_code == EXIT_USAGE
    assert "--resume continues an interactive session" in result.output


@pytest.mark.parametrize(
    "code",
    [
        "import sharewise.interactive, sharewise.interactive.session, sharewise.interactive.fake",
        "from sharewise.cli import main; sys.argv = ['sharewise', 'decide', 'when-to-share', '--no-input']\n"
        "try:\n    main()\nexcept SystemExit as stop:\n    assert stop.code == 3, stop.code  # incomplete, as documented",
    ],
    ids=["interactive-core", "scripted-decide"],
)
def test_questionary_is_imported_only_by_the_terminal_prompter(code: str) -> None:
    check = "\nbad = [m for m in ('questionary', 'prompt_toolkit') if m in sys.modules]\nassert not bad, bad\n"
    result = subprocess.run(
        [sys.executable, "-c", "import sys\n" + code + check], capture_output=True, text=True, timeout=30, check=False
    )
    assert result.returncode == 0, result.stderr


def test_resume_without_a_terminal_names_what_the_user_did() -> None:
    alone = CliRunner().invoke(app, ["decide", "--resume"], input="")
    assert alone.exit_code == EXIT_USAGE
    assert "--resume continues an interactive session; standard input is not a terminal" in alone.output
    assert "--no-input" not in alone.output
    with_answers = CliRunner().invoke(app, ["decide", "when-to-share", "--resume", "-a", "trigger=request"], input="")
    assert "it cannot be combined with --answers or --answer" in with_answers.output


def _main(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    from sharewise.cli import main

    monkeypatch.setattr(sys, "argv", ["sharewise", *args])
    with pytest.raises(SystemExit) as stopped:
        main()
    out, err = capsys.readouterr()
    return int(stopped.value.code or 0), out, err


def test_a_bad_flag_under_json_is_an_error_object(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _main(monkeypatch, capsys, "decide", "when-to-share", "--no-input", "--json", "--bogus")
    assert code == EXIT_USAGE
    payload = json.loads(out)
    assert payload["status"] == "error" and payload["exit_code"] == EXIT_USAGE
    assert "--bogus" in payload["message"]
    assert err == ""


def test_a_bad_flag_without_json_is_the_usual_usage_message(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _main(monkeypatch, capsys, "trees", "list", "--bogus")
    assert code == EXIT_USAGE
    assert out == ""
    assert "No such option: --bogus" in err and "Usage:" in err


def test_main_passes_on_each_command_s_exit_code(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _main(monkeypatch, capsys, "--version")[0] == 0
    assert _main(monkeypatch, capsys, "decide", "when-to-share", "--no-input")[0] == EXIT_INCOMPLETE
