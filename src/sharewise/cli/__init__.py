"""The command line: one module per command group, each parsing its flags, calling the core and
mapping known errors to documented exit codes through :mod:`sharewise.cli.report`.

``sharewise.cli:main`` is the installed program's entry point and ``sharewise.cli:app`` the typer
application (as tests and shell completion use it). The application is built when it is first
asked for: a plain ``sharewise check`` runs without it (see :mod:`sharewise.cli.checkcmd`).
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sharewise.cli.commands import app

__all__ = ["app", "main"]


def main() -> None:
    """Entry point for the ``sharewise`` command."""
    from sharewise.cli.checkcmd import run_quickly

    code = run_quickly(sys.argv[1:])
    if code is not None:
        sys.exit(code)
    from sharewise.cli.commands import main as with_typer

    with_typer()


def __getattr__(name: str) -> Any:
    if name == "app":
        from sharewise.cli.commands import app

        return app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
