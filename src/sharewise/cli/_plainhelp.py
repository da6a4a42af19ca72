"""Help text in words, not Python types: ``--answer ID=VALUE`` rather than ``<list[str]>``.

Recent typer releases show each parameter's Python type in ``--help`` (``<str>``, ``<list[Path]>``)
and put a required argument in braces on the usage line (``{cases}``). sharewise's commands name
what each value is with ``metavar``; :func:`install` makes help show those names (or a plain word
such as TEXT, FILE or PATH where none is given), the allowed values of a choice, and arguments in
capitals as most command-line tools do (``CASES``, ``[PATHS]...``).

Like :mod:`sharewise.cli._fastparams` this hooks private typer internals, checking for each, and does
nothing when they are missing: a typer that changes them shows its own help, never an error.
"""

from __future__ import annotations

from typing import Any

__all__ = ["install"]

_WORDS = {"str": "TEXT", "file": "FILE", "dir": "DIR", "path": "PATH", "int": "N", "float": "NUMBER"}


def install() -> bool:
    """Hook typer's help display; True when the hook is in place."""
    try:
        from typer import core
    except ImportError:  # pragma: no cover
        return False
    parameter = getattr(core, "_TyperParameter", None)
    argument = getattr(core, "TyperArgument", None)
    original = getattr(parameter, "display_type", None)
    if parameter is None or argument is None or original is None:  # pragma: no cover - another typer
        return False
    if getattr(original, "_sharewise_plain", False):
        return True
    if not all(hasattr(argument, name) for name in ("_usage_display_name", "_rich_display_name")):
        return False  # pragma: no cover

    def display_type(self: Any, ctx: Any) -> str:
        shown = str(original(self, ctx))
        bare = shown.strip("<>")
        if bare.startswith("list[") and bare.endswith("]"):
            bare = bare[5:-1]
        if "|" in bare:
            return f"[{bare}]"  # a choice: its values
        return _WORDS.get(bare, bare.upper())

    display_type._sharewise_plain = True  # type: ignore[attr-defined]

    def argument_type(self: Any, ctx: Any) -> str | None:  # noqa: ARG001 - called as (self, ctx=...)
        return None  # the argument's name says what it is; its help line says the rest

    def argument_name(self: Any) -> str:
        return str(self.metavar or self.name.upper())

    def usage_name(self: Any) -> str:
        name = argument_name(self)
        name = name if self.required else f"[{name}]"
        return name + ("..." if self.nargs != 1 and not name.endswith("...") else "")

    def help_name(self: Any) -> str:
        name = argument_name(self)
        return name + ("..." if self.nargs != 1 and not name.endswith("...") else "")

    parameter.display_type = display_type
    argument.display_type_rich = argument_type
    argument._usage_display_name = usage_name
    argument._rich_display_name = help_name
    return True
