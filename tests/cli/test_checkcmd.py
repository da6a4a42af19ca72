"""The quick start of ``sharewise check`` (cli/checkcmd): it reads its flags as typer does, or leaves them to typer."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from sharewise.cli import app, checkcmd, commands

FORMS = [
    ["check", "cases.jsonl"],
    ["check", "-"],
    ["check", "cases.jsonl", "--format", "jsonl"],
    ["check", "--format=jsonl", "cases.jsonl"],
    ["check", "cases.jsonl", "--tree", "when-to-share", "--input-format", "csv", "--plain"],
    ["check", "cases.jsonl", "--records-dir", "out dir", "--signed-by", "Sam Carter", "--role=DSL"],
    ["check", "cases.jsonl", "--organisation", "", "--workers", "3", "--tree=ico-10-step"],
    ["check", "cases.jsonl", "--signed-by", "Zoë = name", "--records-dir="],
    ["check", "cases.jsonl", "--workers", "lots"],
]
LEFT_TO_TYPER = [
    [],
    ["decide"],
    ["check"],
    ["check", "--help"],
    ["check", "cases.jsonl", "-h"],
    ["check", "a.jsonl", "b.jsonl"],
    ["check", "cases.jsonl", "--tree", "t", "--tree", "u"],
    ["check", "cases.jsonl", "--tree"],
    ["check", "cases.jsonl", "--tree", "-t"],
    ["check", "cases.jsonl", "--tree", "--format"],
    ["check", "cases.jsonl", "--unknown", "x"],
    ["check", "cases.jsonl", "--plain=yes"],
    ["check", "cases.jsonl", "--plain", "--plain"],
    ["check", "--", "cases.jsonl"],
    ["check", "cases.jsonl", "--form", "jsonl"],
]


def _capture(monkeypatch: pytest.MonkeyPatch, module: Any) -> list[dict[str, Any]]:
    calls: list[dict[str, Any]] = []

    def fake(cases: Path, **kwargs: Any) -> int:
        calls.append({"cases": cases, **kwargs})
        return 0

    monkeypatch.setattr(module, "check_command", fake)
    return calls


@pytest.mark.parametrize("args", FORMS, ids=" ".join)
def test_the_quick_reading_gives_typer_s_options(args: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    by_typer = _capture(monkeypatch, commands)
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    quick = _capture(monkeypatch, checkcmd)
    assert checkcmd.run_quickly(args) == 0
    assert quick == by_typer
    assert len(quick) == 1


@pytest.mark.parametrize("args", LEFT_TO_TYPER, ids=" ".join)
def test_anything_else_is_left_to_typer(args: list[str]) -> None:
    assert checkcmd.parse_quickly(args) is None


def test_shell_completion_is_left_to_typer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("_SHAREWISE_COMPLETE", "complete_bash")
    assert checkcmd.run_quickly(["check", "cases.jsonl"]) is None


def test_errors_and_interrupts_are_reported_as_typer_reports_them(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    missing = str(tmp_path / "none.jsonl")
    assert checkcmd.run_quickly(["check", missing]) == 2
    quick = capsys.readouterr().err
    result = CliRunner().invoke(app, ["check", missing])
    assert result.exit_code == 2
    assert quick == result.stderr == f"sharewise: no cases file at {missing}\n"

    def interrupted(*_: Any, **__: Any) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(checkcmd, "check_command", interrupted)
    assert checkcmd.run_quickly(["check", missing]) == 3
    assert capsys.readouterr().err == "\nsharewise: stopped\n"


def test_the_installed_program_gives_the_same_output_both_ways(tmp_path: Path) -> None:
    cases = tmp_path / "cases.jsonl"
    cases.write_text(
        '{"case_ref": "A", "tree": "ico-10-step", "answers": {"urgency": "yes"}}\n{"answers": \n', encoding="utf-8"
    )
    quick = subprocess.run(
        [sys.executable, "-m", "sharewise", "check", str(cases), "--format", "jsonl"],
        capture_output=True, text=True, check=False, cwd=tmp_path,
    )  # fmt: skip
    by_typer = CliRunner().invoke(app, ["check", str(cases), "--format", "jsonl"])
    assert quick.returncode == by_typer.exit_code == 4
    assert quick.stdout == by_typer.stdout
    summary = [line for line in quick.stderr.splitlines() if not line.startswith("Checked ")]
    assert summary == [line for line in by_typer.stderr.splitlines() if not line.startswith("Checked ")]


@pytest.mark.parametrize("extra", [[], ["--format", "jsonl"]], ids=["quick", "typer"])
def test_a_reader_that_goes_away_stops_the_batch_quietly(tmp_path: Path, extra: list[str]) -> None:
    """``sharewise check ... | head -1``: exit 1 and nothing on standard error, either way."""
    cases = tmp_path / "cases.jsonl"
    line = '{"case_ref": "A", "tree": "ico-10-step", "answers": {"urgency": "yes"}}\n'
    cases.write_text(line * 3000, encoding="utf-8")  # far more output than a pipe holds
    proc = subprocess.Popen(
        [sys.executable, "-m", "sharewise", "check", str(cases), "--format", "jsonl", *extra, "--workers", "1"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path,
    )  # fmt: skip
    assert proc.stdout is not None and proc.stderr is not None
    assert proc.stdout.readline().startswith(b'{"case_ref": "A"')
    proc.stdout.close()
    assert proc.wait(timeout=60) == 1
    assert proc.stderr.read() == b""
