"""The command line: one module per command group, each parsing its flags, calling the core and
mapping known errors to documented exit codes through :mod:`sharewise.cli.report`.

``sharewise.cli:main`` is the installed program's entry point and ``sharewise.cli:app`` the typer
application (as tests and shell completion use it).
"""

from sharewise.cli.commands import app, main

__all__ = ["app", "main"]
