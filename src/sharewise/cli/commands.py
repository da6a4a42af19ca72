"""The root command, ``decide`` and ``check``: parse flags, call the core, map known errors to exit codes.

Each command group has its own module (:mod:`sharewise.cli.trees`, :mod:`sharewise.cli.records`,
:mod:`sharewise.cli.drafts`); this one builds the application from them.

Heavy libraries (rich, questionary) are imported inside the commands that use them, so
``--version``, ``--help`` and the scripted path start quickly.
"""

# No ``from __future__ import annotations`` here: typer reads every command's annotations on each
# run, and evaluating them from strings costs more start-up time than the rest of --help.

import sys
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from sharewise import __version__
from sharewise.cli._fastparams import install as _install_fast_params
from sharewise.cli._plainhelp import install as _install_plain_help
from sharewise.cli.checkcmd import check_command
from sharewise.cli.drafts import drafts_app
from sharewise.cli.records import records_app
from sharewise.cli.report import PLAIN_HELP, complete_tree, emit_json, local_now, local_today, reported
from sharewise.cli.trees import trees_app
from sharewise.errors import EXIT_INCOMPLETE, EXIT_INVALID_TREE, TreeInvalid, UsageError
from sharewise.formats.safetext import clean

__all__ = ["RECORD_FILE_KEY", "app", "main"]

RECORD_FILE_KEY = "record_file"
"""In ``decide --json`` output for a decided case: the path of the record file written."""

_install_fast_params()  # text and path options coerced without importing pydantic (start-up time)
_install_plain_help()  # --help names values in words (ID=VALUE, FILE), not Python types

app = typer.Typer(
    name="sharewise",
    help="Guided, recorded decisions about sharing information to safeguard children and adults at risk.",
    no_args_is_help=True,
    add_completion=True,  # --install-completion and --show-completion; trees and files complete
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.add_typer(trees_app, name="trees")
app.add_typer(records_app, name="records")
app.add_typer(drafts_app, name="drafts")


def _version(value: bool) -> None:
    if value:
        print(f"sharewise {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", "-V", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    """Guided, recorded decisions about sharing information to safeguard people."""


# -- decide -------------------------------------------------------------------------------------


@app.command()
def decide(
    tree: Annotated[
        Optional[str],
        typer.Argument(
            metavar="TREE", help="Tree id (see 'sharewise trees list') or a tree file.", autocompletion=complete_tree
        ),
    ] = None,
    no_input: Annotated[
        bool, typer.Option("--no-input", help="Never prompt; take answers from flags and files.")
    ] = False,
    answers: Annotated[
        Optional[Path], typer.Option("--answers", help="YAML or JSON answers file.", dir_okay=False)
    ] = None,
    answer: Annotated[
        Optional[list[str]],
        typer.Option("--answer", "-a", metavar="ID=VALUE", help="One answer; repeat for each. Overrides the file."),
    ] = None,
    signed_by: Annotated[
        Optional[str], typer.Option("--signed-by", metavar="NAME", help="Name of the person signing off.")
    ] = None,
    role: Annotated[
        Optional[str], typer.Option("--role", metavar="ROLE", help="Role of the person signing off.")
    ] = None,
    organisation: Annotated[
        Optional[str], typer.Option("--organisation", metavar="ORG", help="Organisation of the signer.")
    ] = None,
    case_ref: Annotated[
        Optional[str], typer.Option("--case-ref", metavar="REF", help="Your case or request reference.")
    ] = None,
    out: Annotated[
        Optional[Path], typer.Option("--out", help="Write the record to this new file.", dir_okay=False)
    ] = None,
    records_dir: Annotated[
        Optional[Path],
        typer.Option(
            "--records-dir",
            help="Folder for records (default: $SHAREWISE_RECORDS_DIR, else records_dir in the settings file, "
            "else ~/.local/share/sharewise/records).",
            file_okay=False,
        ),
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
    with reported(as_json):
        if scripted:
            if resume:
                raise UsageError(_resume_refused(no_input, answers is not None or bool(answer)))
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


def _resume_refused(no_input: bool, given_answers: bool) -> str:
    """Why --resume cannot run here, naming only what the user actually did."""
    if no_input:
        reason = "it cannot be combined with --no-input"
    elif given_answers:
        reason = "it cannot be combined with --answers or --answer"
    else:
        reason = "standard input is not a terminal"
    return f"--resume continues an interactive session; {reason}"


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
    from sharewise.config import load_config, sign_off_defaults
    from sharewise.engine.walk import Engine
    from sharewise.frontends.answers import Case, check_case_text, load_answers_file, parse_answer_flags
    from sharewise.frontends.scripted import run_case
    from sharewise.frontends.scripted_text import overdue_notice
    from sharewise.records.build import SignOff
    from sharewise.records.store import records_dir as resolve_records_dir
    from sharewise.trees.library import Library
    from sharewise.trees.review import overdue

    config = load_config()
    case = load_answers_file(answers_file) if answers_file else Case()
    case.answers.update(parse_answer_flags(answer_flags))
    # Only the organisation comes from the settings: a script must say who signs off.
    configured = SignOff(organisation=sign_off_defaults(config).organisation)
    case.sign_off = configured.merged(case.sign_off).merged(SignOff(signed_by, role, organisation))
    case.case_ref = case_ref or case.case_ref
    # The file was checked as it was read; what is left to check came from the command line.
    check_case_text(case, f"{answers_file} or the command line" if answers_file else "the command line")
    today = local_today()
    library = Library.default(today, config=config)
    start = library.get(tree_ref)
    engine = Engine(start, library.get)
    for tree in overdue(engine.reachable_trees(), today):
        print(overdue_notice(tree), file=sys.stderr)
    folder = None if out else resolve_records_dir(records_dir, config.records_dir)
    result = run_case(engine, case, now=local_now, out=out, folder=folder)
    if as_json:
        # The record itself, and beside it where it was written (not part of the record: the file
        # holds exactly the record, and its digest covers only that).
        emit_json({**result.payload, RECORD_FILE_KEY: str(result.path)} if result.path else result.payload)
    else:
        _print_result(result)
    raise typer.Exit(result.exit_code)


def _print_result(result: Any) -> None:
    """The result in words: a decision on standard output, anything else on standard error."""
    from sharewise.frontends.scripted_text import result_lines

    lines, on_stderr = result_lines(result)
    for line in lines:  # text from a tree or a case: control characters shown as escapes
        print(clean(line), file=sys.stderr if on_stderr else None)


# -- check --------------------------------------------------------------------------------------


@app.command("check")
def check(
    cases: Annotated[Path, typer.Argument(help="Cases file: .jsonl, .csv or .yaml; '-' reads standard input.")],
    tree: Annotated[
        Optional[str], typer.Option("--tree", metavar="TREE", help="Tree for cases that do not name one.")
    ] = None,
    output: Annotated[
        str, typer.Option("--format", metavar="[text|jsonl]", help="text (a summary) or jsonl (a JSON line per case).")
    ] = "text",
    input_format: Annotated[
        Optional[str],
        typer.Option("--input-format", metavar="[jsonl|csv|yaml]", help="Default: from the file name."),
    ] = None,
    records_dir: Annotated[
        Optional[Path],
        typer.Option("--records-dir", metavar="DIR", help="Write a record for each decided, signed-off case here."),
    ] = None,
    signed_by: Annotated[
        Optional[str], typer.Option("--signed-by", metavar="NAME", help="Sign-off name for cases with none.")
    ] = None,
    role: Annotated[
        Optional[str], typer.Option("--role", metavar="ROLE", help="Sign-off role for cases with none.")
    ] = None,
    organisation: Annotated[
        Optional[str], typer.Option("--organisation", metavar="ORG", help="Sign-off organisation.")
    ] = None,
    plain: Annotated[bool, typer.Option("--plain", help=PLAIN_HELP)] = False,
    workers: Annotated[
        Optional[str],
        typer.Option(
            "--workers",
            metavar="N",
            help="Check a large JSONL file in at most N processes (1: in one). Default: one per CPU, up to 8.",
        ),
    ] = None,
) -> None:
    """Check many cases at once from a JSONL, CSV or YAML file (see docs/batch.md).

    Exit codes: 0 every case decided; 3 some case incomplete; 4 some case invalid (including a
    line or row that cannot be read); 5 a tree is invalid; 2 usage error; 1 a record could not be
    written. When several apply the highest wins: 5, then 4, then 3.
    """
    del plain  # this output has no colour or boxes; the flag is taken for consistency
    with reported():
        code = check_command(
            cases,
            tree=tree,
            output=output,
            input_format=input_format,
            records_dir=records_dir,
            signed_by=signed_by,
            role=role,
            organisation=organisation,
            workers=workers,
        )
    raise typer.Exit(code)


def main() -> None:
    """Entry point for the ``sharewise`` command."""
    try:
        code = app(standalone_mode=False)
    except typer.TyperException as exc:  # a bad flag or value: the parser's usage errors
        if "--json" in sys.argv[1:]:  # the README promises an error object for usage errors too
            emit_json({"status": "error", "exit_code": exc.exit_code, "message": exc.format_message(), "errors": []})
        else:
            show = getattr(exc, "show", None)
            if callable(show):
                show()
            else:  # pragma: no cover - every parser error can show itself
                print(f"sharewise: {exc.format_message()}", file=sys.stderr)
        sys.exit(exc.exit_code)
    except typer.Abort:
        print("sharewise: stopped", file=sys.stderr)
        sys.exit(EXIT_INCOMPLETE)
    except TreeInvalid as exc:  # pragma: no cover - commands report their own errors
        print(clean(f"sharewise: {exc}"), file=sys.stderr)
        sys.exit(EXIT_INVALID_TREE)
    sys.exit(code if isinstance(code, int) else 0)
