"""cli._fastparams: sharewise's own coercion of plain text and path options gives exactly typer's results."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import sharewise.cli  # noqa: F401 - importing the command line installs the fast parameters


def _all_parameters() -> list[tuple[Any, Any]]:
    from typer.main import get_command

    from sharewise.cli import app

    found: list[tuple[Any, Any]] = []

    def walk(command: Any) -> None:
        for sub in getattr(command, "commands", {}).values():
            walk(sub)
        found.extend((command, param) for param in getattr(command, "params", []))

    walk(get_command(app))
    return found


def test_fast_parameters_coerce_exactly_as_typer_does(tmp_path: Path) -> None:
    """Every parameter of every command, given awkward values: same value, same type, same error."""
    from typer import core
    from typer._click import Context

    fast_get = core._TyperParameter.get_runtime_param
    if not getattr(fast_get, "_sharewise_fast_params", False):
        pytest.skip("this typer has not the internals sharewise.cli._fastparams hooks")
    typer_get = fast_get.__wrapped__
    (tmp_path / "file.txt").write_text("x")
    values: list[Any] = [True, False, "1", "x", "", "-", str(tmp_path), f"{tmp_path}/", str(tmp_path / "file.txt"),
                         f"{tmp_path}/file.txt/", "./file.txt", "a//b", str(tmp_path / "missing"), "ünï",
                         ["a", str(tmp_path)], (str(tmp_path / "file.txt"),), [], 0]  # fmt: skip

    def outcome(command: Any, param: Any, value: Any) -> Any:
        param._runtime_param = None
        try:
            result = param.get_runtime_param().coerce(value, param=param, ctx=Context(command))
        except Exception as exc:
            return ("error", type(exc).__name__, str(exc))
        return (
            "ok",
            type(result).__name__,
            [(type(v).__name__, v) for v in result] if isinstance(result, list) else result,
        )

    checked = 0
    for command, param in _all_parameters():
        for value in values:
            core._TyperParameter.get_runtime_param = typer_get
            try:
                expected = outcome(command, param, value)
            finally:
                core._TyperParameter.get_runtime_param = fast_get
            assert outcome(command, param, value) == expected, (command.name, param.name, value)
            checked += 1
    assert checked > 500
