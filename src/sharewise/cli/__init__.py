"""The command line: one module per command group, each parsing its flags, calling the core and
mapping known errors to documented exit codes through :mod:`sharewise.cli.report`.

``sharewise.cli:program`` is the installed program's entry point (:func:`main`, as a program that
ends when it is done) and ``sharewise.cli:app`` the typer
application (as tests and shell completion use it). The application is built when it is first
asked for: a plain ``sharewise check`` runs without it (see :mod:`sharewise.cli.checkcmd`).
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sharewise.cli.commands import app

__all__ = ["app", "main", "program"]


def main(*, exit_at_once: bool = False) -> None:
    """Run the ``sharewise`` command in ``sys.argv``; ends with ``SystemExit``.

    ``exit_at_once`` (the installed program, :func:`program`) ends a finished ``check`` with
    ``os._exit`` instead, for a process that has nothing left to do (see :func:`_exit_at_once`).
    """
    from sharewise.cli.checkcmd import run_quickly

    code = run_quickly(sys.argv[1:])
    if code is not None:
        if exit_at_once:
            _exit_at_once(code)
        sys.exit(code)
    from sharewise.cli.commands import main as with_typer

    with_typer()


def program() -> None:
    """The entry point of the installed ``sharewise`` command and of ``python -m sharewise``."""
    main(exit_at_once=True)


def _exit_at_once(code: int) -> None:
    """End a finished ``check`` with ``code`` once its output is flushed, without tearing down the
    interpreter: its shutdown took 40 to 75 ms of a 10,000-case check with records (measured, on
    tmpfs and on disk), for nothing. By then every file is written and closed, the
    records flushed and the folder's lock let go, and no thread is left running. A flush that fails
    takes the usual way out, which reports it, and so does a run under a profiler, a debugger or
    coverage, which have their own work to do at exit."""
    import os

    if sys.getprofile() is not None or sys.gettrace() is not None or _monitored():  # they write at exit
        sys.exit(code)
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BaseException:  # any failure is left to the interpreter's own exit
        sys.exit(code)
    os._exit(code)


def _monitored() -> bool:
    """Whether a tool watches through ``sys.monitoring`` (Python 3.12 and later: cProfile, coverage,
    debuggers), which leaves ``sys.getprofile()`` and ``sys.gettrace()`` empty."""
    monitoring = getattr(sys, "monitoring", None)
    return monitoring is not None and any(monitoring.get_tool(tool) for tool in range(6))


def __getattr__(name: str) -> Any:
    if name == "app":
        from sharewise.cli.commands import app

        return app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
