"""What the fast paths import, and the start-up shortcuts that keep them fast (docs/performance.md).

The scripted and batch paths must never import the interactive libraries (questionary,
prompt_toolkit), and should not import pydantic either: typer would use it to coerce parameters,
which :mod:`sharewise.cli._fastparams` does directly for sharewise's plain text and path options.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from sharewise.cli import _fastparams

INTERACTIVE = ("questionary", "prompt_toolkit")

_PROBE = """
import json, sys
from sharewise.cli import main

def run(*argv):
    sys.argv = ["sharewise", *argv]
    try:
        main()
    except SystemExit as exc:
        return exc.code
    return 0

codes = [run(*args) for args in json.loads(sys.argv[1])]
names = sorted({m.split(".")[0] for m in sys.modules})
print(json.dumps({"codes": codes, "modules": names}))
"""


def probe(tmp_path: Path, *commands: list[str]) -> dict[str, Any]:
    """Run sharewise commands in one fresh interpreter; their exit codes and the top-level modules loaded."""
    result = subprocess.run(
        [sys.executable, "-c", _PROBE, json.dumps(commands)], capture_output=True, text=True, cwd=tmp_path, check=False
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])  # type: ignore[no-any-return]


@pytest.fixture
def cases(tmp_path: Path) -> Path:
    path = tmp_path / "cases.jsonl"
    answers = {
        "urgency": "not-sure",
        "advice-plan": "Speak to the DSL straight after this lesson.",
        "requester-told": "Nobody asked; this is my own concern.",
    }
    sign_off = {"name": "Sam Carter", "role": "Designated safeguarding lead"}
    path.write_text(json.dumps({"tree": "ico-10-step", "answers": answers, "sign_off": sign_off}) + "\n")
    return path


def test_scripted_and_batch_paths_do_not_import_the_interactive_libraries(tmp_path: Path, cases: Path) -> None:
    answers = tmp_path / "answers.json"
    answers.write_text(cases.read_text(encoding="utf-8"), encoding="utf-8")
    out = probe(
        tmp_path,
        ["decide", "ico-10-step", "--no-input", "--answers", str(answers), "--records-dir", str(tmp_path / "r1")],
        ["check", str(cases), "--format", "jsonl", "--records-dir", str(tmp_path / "r2")],
        ["check", str(cases)],
    )
    assert out["codes"] == [0, 0, 0]  # each really ran to a decision (and a record)
    assert len(list((tmp_path / "r1").glob("*.json"))) == 1
    assert len(list((tmp_path / "r2").glob("*.json"))) == 1
    assert [m for m in INTERACTIVE if m in out["modules"]] == []


def test_version_and_help_import_no_tree_or_interactive_code(tmp_path: Path) -> None:
    out = probe(tmp_path, ["--version"], ["--help"], ["check", "--help"])
    assert out["codes"] == [0, 0, 0]
    for name in (*INTERACTIVE, "rich", "yaml", "pydantic"):
        assert name not in out["modules"], name


@pytest.mark.skipif(
    not _fastparams.install(), reason="this typer has not the internals sharewise.cli._fastparams hooks"
)
def test_running_commands_does_not_import_pydantic(tmp_path: Path, cases: Path) -> None:
    out = probe(tmp_path, ["check", str(cases), "--tree", "ico-10-step", "--format", "jsonl"])
    assert out["codes"] == [0]
    assert "pydantic" not in out["modules"]


def test_a_plain_check_does_not_load_typer(tmp_path: Path, cases: Path) -> None:
    """The quick start of ``check`` (cli/checkcmd): typer is a third of a batch's start-up time."""
    out = probe(tmp_path, ["check", str(cases), "--format=jsonl", "--plain", "--workers", "1"])
    assert out["codes"] == [0]
    assert "typer" not in out["modules"]
    # a form the quick reading leaves alone still works, through typer
    out = probe(tmp_path, ["check", str(cases), "--format", "jsonl", "--format", "jsonl"])
    assert out["codes"] == [0]
    assert "typer" in out["modules"]
