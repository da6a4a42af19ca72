"""``sharewise check``'s work, and a quick start for it that does not load typer.

:func:`check_command` is what ``sharewise check`` does once its flags are read; the typer command
(:func:`sharewise.cli.commands.check`) calls it. Importing typer and building the application is
about a third of the start-up time of a batch, which for a file of some thousands of cases is a
good part of the whole run. So the program's entry point first offers its arguments to
:func:`run_quickly`, which reads them only when they are plainly a ``check`` command in the
documented form: the command, one cases file, and known flags given once each, as ``--flag
VALUE`` or ``--flag=VALUE``. Anything else (``--help``, an unknown or repeated flag, a value that
begins with a dash, a second file, shell completion) goes to typer, which reads and reports it as
always; a test holds the two readings to the same options for every form the quick one takes.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

from sharewise.errors import EXIT_INCOMPLETE, EXIT_WRITE_FAILED, SharewiseError, UsageError

__all__ = ["FLAGS", "OPTIONS", "check_command", "parse_quickly", "run_quickly"]

#: ``check``'s flags that take a value, and the :func:`check_command` parameter each sets.
OPTIONS = {
    "--tree": "tree",
    "--format": "output",
    "--input-format": "input_format",
    "--records-dir": "records_dir",
    "--signed-by": "signed_by",
    "--role": "role",
    "--organisation": "organisation",
    "--workers": "workers",
}
#: ``check``'s flags that take no value.
FLAGS = {"--plain": "plain"}


def check_command(
    cases: Path,
    *,
    tree: str | None = None,
    output: str = "text",
    input_format: str | None = None,
    records_dir: Path | None = None,
    signed_by: str | None = None,
    role: str | None = None,
    organisation: str | None = None,
    workers: str | None = None,
) -> int:
    """Run ``sharewise check``; its exit code. Raises :class:`SharewiseError` for what stops it."""
    from sharewise.cli.report import local_today
    from sharewise.frontends.batch import BatchOptions, run_check
    from sharewise.records.build import SignOff

    options = BatchOptions(
        cases=cases,
        input_format=input_format,
        tree=tree,
        output=output,
        records_dir=records_dir,
        sign_off=SignOff(signed_by, role, organisation),
        workers=_workers(workers),
    )
    return run_check(options, today=local_today())  # its clock reads the time once a second


def _workers(given: str | None) -> int | None:
    """``--workers``: a whole number from 1 to 64 (typer's int parsing would cost start-up time)."""
    if given is None:
        return None
    text = given.strip()
    if not (text.isascii() and text.isdigit() and 1 <= int(text) <= 64):
        raise UsageError(f"--workers takes a whole number from 1 to 64, not '{given}'")
    return int(text)


def parse_quickly(args: Sequence[str]) -> tuple[str, dict[str, str]] | None:
    """``(cases, {parameter: value})`` when ``args`` is plainly a ``check`` command; None otherwise."""
    if not args or args[0] != "check":
        return None
    files: list[str] = []
    given: dict[str, str] = {}
    rest = iter(args[1:])
    for arg in rest:
        if not arg.startswith("-") or arg == "-":  # the cases file ('-' is standard input)
            files.append(arg)
            continue
        flag = _flag(arg, rest)
        if flag is None or flag[0] in given:
            return None
        given[flag[0]] = flag[1]
    if len(files) != 1:
        return None
    given.pop("plain", None)  # taken for consistency; a batch has no colour or boxes
    return files[0], given


def _flag(arg: str, rest: Iterator[str]) -> tuple[str, str] | None:
    """The parameter ``arg`` sets and its value (the next of ``rest`` unless given with ``=``); None
    for a flag this reading leaves to typer."""
    name, equals, value = arg.partition("=")
    if name in FLAGS and not equals:
        return FLAGS[name], "yes"
    if name not in OPTIONS:
        return None
    if not equals:
        value = next(rest, "-")  # a missing value is left to typer's message
    return None if value.startswith("-") else (OPTIONS[name], value)


def run_quickly(args: Sequence[str]) -> int | None:
    """Run ``args`` as a ``check`` command without typer, when :func:`parse_quickly` reads them; its
    exit code, or None to leave them to typer."""
    if any(name.startswith("_SHAREWISE_COMPLETE") for name in os.environ):
        return None  # shell completion is typer's
    parsed = parse_quickly(args)
    if parsed is None:
        return None
    cases, given = parsed
    records_dir = given.get("records_dir")
    try:
        return check_command(
            Path(cases),
            tree=given.get("tree"),
            output=given.get("output", "text"),
            input_format=given.get("input_format"),
            records_dir=Path(records_dir) if records_dir is not None else None,
            signed_by=given.get("signed_by"),
            role=given.get("role"),
            organisation=given.get("organisation"),
            workers=given.get("workers"),
        )
    except SharewiseError as exc:
        from sharewise.cli.report import show_error

        return show_error(exc)
    except (KeyboardInterrupt, EOFError):  # as typer reports them (see sharewise.cli.commands.main)
        print(file=sys.stderr)
        print("sharewise: stopped", file=sys.stderr)
        return EXIT_INCOMPLETE
    except BrokenPipeError:  # the reader went away ('| head'): stop quietly with 1, as typer does
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # so the final flush at exit has somewhere to go
        os.close(devnull)
        return EXIT_WRITE_FAILED
