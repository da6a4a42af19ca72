"""What every command module shares: a known error turned into its message and documented exit code,
JSON written to standard output, the local date and time commands work from, tree ids for shell
completion, and the help of the ``--plain`` flag that many commands take."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any

from sharewise.errors import SharewiseError
from sharewise.formats.safetext import clean, json_text

__all__ = ["PLAIN_HELP", "complete_tree", "emit_json", "local_now", "local_today", "reported", "show_error"]

PLAIN_HELP = "No colour or box drawing (this output has none; taken by every command that prints)."


def emit_json(payload: Any) -> None:
    sys.stdout.write(json_text(json.dumps(payload, ensure_ascii=False, indent=2)) + "\n")


@contextmanager
def reported(as_json: bool = False) -> Iterator[None]:
    """Turn a known error into its message and exit code; with ``as_json`` print it as JSON."""
    try:
        yield
    except SharewiseError as exc:
        import typer  # here, not above: the quick path of ``check`` (cli/checkcmd) never loads typer

        raise typer.Exit(show_error(exc, as_json)) from None


def show_error(exc: SharewiseError, as_json: bool = False) -> int:
    """Print a known error (on standard error, or as JSON on standard output); its exit code."""
    details = [str(d) for d in getattr(exc, "diagnostics", [])]
    if as_json:
        emit_json({"status": "error", "exit_code": exc.exit_code, "message": str(exc), "errors": details})
    else:
        print(clean(f"sharewise: {exc}"), file=sys.stderr)
        for line in details:
            print(clean(f"  {line}"), file=sys.stderr)
    return exc.exit_code


def local_today() -> date:
    return datetime.now().astimezone().date()


def local_now() -> datetime:
    return datetime.now().astimezone()


def complete_tree(incomplete: str) -> list[str]:
    """Tree ids for shell completion (a path typed instead is completed by the shell as a file)."""
    try:
        from sharewise.trees.library import Library

        return sorted(tree_id for tree_id in Library.default(local_today()).ids() if tree_id.startswith(incomplete))
    except Exception:  # completion must never print a traceback into the user's shell
        return []
