"""The command line: parse flags, call the core, map known errors to documented exit codes.

Heavy libraries (rich, questionary) are imported inside the commands that use them, so
``--version``, ``--help`` and the scripted path start quickly.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from sharewise import __version__
from sharewise.errors import EXIT_INVALID_TREE, SharewiseError, TreeInvalid, UsageError

__all__ = ["app", "main"]

app = typer.Typer(
    name="sharewise",
    help="Guided, recorded decisions about sharing information to safeguard children and adults at risk.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)
trees_app = typer.Typer(help="List, show, validate and describe decision trees.", no_args_is_help=True, rich_markup_mode=None)
app.add_typer(trees_app, name="trees")


def _version(value: bool) -> None:
    if value:
        print(f"sharewise {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    """Guided, recorded decisions about sharing information to safeguard people."""


def _emit_json(payload: Any) -> None:
    sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2) + "\n")


@contextmanager
def _reported(as_json: bool = False) -> Iterator[None]:
    """Turn a known error into its message and exit code; with ``as_json`` print it as JSON."""
    try:
        yield
    except SharewiseError as exc:
        details = [str(d) for d in getattr(exc, "diagnostics", [])]
        if as_json:
            _emit_json({"status": "error", "exit_code": exc.exit_code, "message": str(exc), "errors": details})
        else:
            print(f"sharewise: {exc}", file=sys.stderr)
            for line in details:
                print(f"  {line}", file=sys.stderr)
        raise typer.Exit(exc.exit_code) from None


def _today() -> date:
    return datetime.now().astimezone().date()


def _now() -> datetime:
    return datetime.now().astimezone()


# -- decide -------------------------------------------------------------------------------------


@app.command()
def decide(
    tree: Annotated[Optional[str], typer.Argument(help="Tree id (see 'sharewise trees list') or a tree file.")] = None,
    no_input: Annotated[bool, typer.Option("--no-input", help="Never prompt; take answers from flags and files.")] = False,
    answers: Annotated[
        Optional[Path], typer.Option("--answers", help="YAML or JSON answers file.", dir_okay=False)
    ] = None,
    answer: Annotated[
        Optional[list[str]], typer.Option("--answer", "-a", help="ID=VALUE; repeat for each answer. Overrides the file.")
    ] = None,
    signed_by: Annotated[Optional[str], typer.Option("--signed-by", help="Name of the person signing off.")] = None,
    role: Annotated[Optional[str], typer.Option("--role", help="Role of the person signing off.")] = None,
    organisation: Annotated[Optional[str], typer.Option("--organisation", help="Organisation of the signer.")] = None,
    case_ref: Annotated[Optional[str], typer.Option("--case-ref", help="Your case or request reference.")] = None,
    out: Annotated[Optional[Path], typer.Option("--out", help="Write the record to this new file.", dir_okay=False)] = None,
    records_dir: Annotated[
        Optional[Path], typer.Option("--records-dir", help="Folder for records (default: see README).", file_okay=False)
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print exactly one JSON object on standard output.")] = False,
    resume: Annotated[bool, typer.Option("--resume", help="Continue a saved draft (interactive).")] = False,
    plain: Annotated[bool, typer.Option("--plain", help="No colour or box drawing (screen readers).")] = False,
) -> None:
    """Take a case through a decision tree to a signed-off decision record.

    Interactive on a terminal; with --no-input (or when standard input is not a terminal) the
    answers come from --answers and --answer, and nothing is ever prompted.

    Exit codes: 0 decided and record written; 1 the record could not be written; 2 usage error;
    3 incomplete; 4 an answer is invalid; 5 the tree is invalid.
    """
    scripted = no_input or answers is not None or bool(answer) or not sys.stdin.isatty()
    with _reported(as_json):
        if scripted:
            if resume:
                raise UsageError("--resume continues an interactive session; it cannot be combined with --no-input")
            if tree is None:
                if not no_input and not sys.stdin.isatty():
                    raise UsageError(
                        "standard input is not a terminal, so sharewise will not prompt; "
                        "name a tree and pass --no-input with --answers FILE or --answer ID=VALUE"
                    )
                raise UsageError("name the tree to use, for example: sharewise decide when-to-share --no-input ...")
            _decide_scripted(
                tree, answers, answer or [], signed_by, role, organisation, case_ref, out, records_dir, as_json
            )
            return
        from sharewise.interactive import run_interactive

        code = run_interactive(
            tree=tree,
            signed_by=signed_by,
            role=role,
            organisation=organisation,
            case_ref=case_ref,
            out=out,
            records_dir=records_dir,
            resume=resume,
            plain=plain,
        )
        raise typer.Exit(code)


def _decide_scripted(
    tree_ref: str,
    answers_file: Path | None,
    answer_flags: list[str],
    signed_by: str | None,
    role: str | None,
    organisation: str | None,
    case_ref: str | None,
    out: Path | None,
    records_dir: Path | None,
    as_json: bool,
) -> None:
    from sharewise.answers import Case, load_answers_file, parse_answer_flags
    from sharewise.engine import Engine
    from sharewise.library import Library
    from sharewise.record import SignOff
    from sharewise.scripted import run_case
    from sharewise.store import records_dir as resolve_records_dir

    case = load_answers_file(answers_file) if answers_file else Case()
    case.answers.update(parse_answer_flags(answer_flags))
    case.sign_off = case.sign_off.merged(SignOff(signed_by, role, organisation))
    case.case_ref = case_ref or case.case_ref
    library = Library.default(_today())
    start = library.get(tree_ref)
    engine = Engine(start, library.get)
    folder = None if out else resolve_records_dir(records_dir)
    result = run_case(engine, case, now=_now, out=out, folder=folder)
    if as_json:
        _emit_json(result.payload)
    else:
        _print_result(result)
    raise typer.Exit(result.exit_code)


def _print_result(result: Any) -> None:
    payload = result.payload
    if result.status == "decided":
        outcome = payload["outcome"]
        print(f"Decision: {outcome['decision']} - {outcome['title']}")
        for action in outcome["actions"]:
            print(f"  [ ] {action}")
        print(f"Record written to {result.path}")
    elif result.status == "invalid":
        print("Some answers cannot be accepted:", file=sys.stderr)
        for error in payload["errors"]:
            asked = f" ({error['question']})" if error.get("question") else ""
            print(f"  {error['id']}{asked}: {error['message']}", file=sys.stderr)
    else:
        nxt = payload["next"]
        print(f"Incomplete: the next question is '{nxt['id']}': {nxt['text']}", file=sys.stderr)
        if nxt.get("options"):
            values = ", ".join(o["value"] for o in nxt["options"])
            print(f"  answer with --answer {nxt['id']}=VALUE, one of: {values}", file=sys.stderr)
        elif nxt["id"].startswith("sign_off."):
            print("  give --signed-by NAME and --role ROLE", file=sys.stderr)
        else:
            print(f"  answer with --answer {nxt['id']}=TEXT ({nxt['kind']})", file=sys.stderr)


# -- trees --------------------------------------------------------------------------------------


@trees_app.command("validate")
def trees_validate(
    paths: Annotated[Optional[list[Path]], typer.Argument(help="Tree files or folders; default: every tree found.")] = None,
) -> None:
    """Check tree files and report every problem with its file, line and place.

    Exit 0 when every tree is valid (warnings allowed), 5 when any has an error.
    """
    from sharewise.library import Library, tree_files_in

    with _reported():
        extra = [p for p in (paths or []) if p.is_dir()]
        library = Library.default(_today(), extra=[*extra, *{p.parent for p in (paths or []) if p.is_file()}])
        files: list[Path] = []
        for path in paths or []:
            if path.is_dir():
                files.extend(tree_files_in(path))
            elif path.exists():
                files.append(path)
            else:
                raise UsageError(f"no such file or folder: {path}")
        if not paths:
            files = [p for _, p in library.files()]
        errors = warnings = 0
        for path in files:
            problems = library.check(path)
            for problem in problems:
                print(problem)
            n_err = sum(1 for p in problems if p.severity == "error")
            errors += n_err
            warnings += len(problems) - n_err
        verdict = "valid" if errors == 0 else "not valid"
        print(f"{len(files)} tree file(s) checked: {errors} error(s), {warnings} warning(s); {verdict}.", file=sys.stderr)
        if errors:
            raise typer.Exit(EXIT_INVALID_TREE)


@trees_app.command("list")
def trees_list(
    as_json: Annotated[bool, typer.Option("--json", help="Print the list as JSON.")] = False,
) -> None:
    """List the trees available: id, title, version and source file."""
    from sharewise.library import Library

    library = Library.default(_today())
    rows = []
    for tree_id, path in library.files():
        loaded = library.read(path)
        tree = loaded.tree
        rows.append(
            {
                "id": tree_id,
                "title": tree.title if tree else "(not valid: run 'sharewise trees validate')",
                "version": tree.version if tree else "",
                "description": tree.description if tree else "",
                "file": str(path),
                "valid": tree is not None,
            }
        )
    if as_json:
        _emit_json(rows)
        return
    from sharewise.render import print_tree_list

    print_tree_list(rows)


@trees_app.command("show")
def trees_show(
    tree: Annotated[str, typer.Argument(help="Tree id or file.")],
    plain: Annotated[bool, typer.Option("--plain", help="No colour or box drawing.")] = False,
) -> None:
    """Print a tree readably: its questions, options, routes and outcomes."""
    from sharewise.library import Library
    from sharewise.render import print_tree

    with _reported():
        loaded = Library.default(_today()).get(tree)
        print_tree(loaded, plain=plain)


@trees_app.command("schema")
def trees_schema() -> None:
    """Print the JSON Schema for tree files, for editors that check YAML as you type."""
    from importlib.resources import files

    sys.stdout.write(files("sharewise").joinpath("schemas/tree.schema.json").read_text(encoding="utf-8"))


def main() -> None:
    """Entry point for the ``sharewise`` command."""
    try:
        app()
    except TreeInvalid as exc:  # pragma: no cover - commands report their own errors
        print(f"sharewise: {exc}", file=sys.stderr)
        sys.exit(EXIT_INVALID_TREE)
