"""The root command, ``decide`` and the ``trees`` group: parse flags, call the core, map known errors to exit codes.

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
from sharewise.cli.drafts import drafts_app
from sharewise.cli.records import records_app
from sharewise.cli.report import emit_json, local_now, local_today, reported
from sharewise.errors import EXIT_INCOMPLETE, EXIT_INVALID_TREE, TreeInvalid, UsageError
from sharewise.formats.safetext import clean

__all__ = ["RECORD_FILE_KEY", "app", "main"]

_PLAIN_HELP = "No colour or box drawing (this output has none; taken by every command that prints)."

RECORD_FILE_KEY = "record_file"
EXIT_DIFFERENT = 1  # 'trees diff --exit-code': the trees differ
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
trees_app = typer.Typer(
    help="List, show, validate and describe decision trees.", no_args_is_help=True, rich_markup_mode=None
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


def _complete_tree(incomplete: str) -> list[str]:
    """Tree ids for shell completion (a path typed instead is completed by the shell as a file)."""
    try:
        from sharewise.trees.library import Library

        return sorted(tree_id for tree_id in Library.default(local_today()).ids() if tree_id.startswith(incomplete))
    except Exception:  # completion must never print a traceback into the user's shell
        return []


# -- decide -------------------------------------------------------------------------------------


@app.command()
def decide(
    tree: Annotated[
        Optional[str],
        typer.Argument(
            metavar="TREE", help="Tree id (see 'sharewise trees list') or a tree file.", autocompletion=_complete_tree
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
    from sharewise.records.build import SignOff
    from sharewise.records.store import records_dir as resolve_records_dir
    from sharewise.trees.library import Library

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
    for tree in engine.reachable_trees():
        if tree.next_review < today:
            print(
                f"sharewise: notice: the '{tree.id}' tree was due for review on {tree.next_review.isoformat()}; "
                "tell its owner",
                file=sys.stderr,
            )
    folder = None if out else resolve_records_dir(records_dir, config.records_dir)
    result = run_case(engine, case, now=local_now, out=out, folder=folder)
    if as_json:
        # The record itself, and beside it where it was written (not part of the record: the file
        # holds exactly the record, and its digest covers only that).
        emit_json({**result.payload, RECORD_FILE_KEY: str(result.path)} if result.path else result.payload)
    else:
        _print_result(result)
    raise typer.Exit(result.exit_code)


def _say(text: str, file: Any = None) -> None:
    """Print a line that holds text from a tree or a case: control characters shown as escapes."""
    print(clean(text), file=file)


def _print_result(result: Any) -> None:
    payload = result.payload
    if result.status == "decided":
        outcome = payload["outcome"]
        _say(f"Decision: {outcome['decision']} - {outcome['title']}")
        for action in outcome["actions"]:
            _say(f"  [ ] {action}")
        _say(f"Record written to {result.path}")
    elif result.status == "invalid":
        _say("Some answers cannot be accepted:", file=sys.stderr)
        for error in payload["errors"]:
            asked = f" ({error['question']})" if error.get("question") else ""
            _say(f"  {error['id']}{asked}: {error['message']}", file=sys.stderr)
    else:
        nxt = payload["next"]
        _say(f"Incomplete: the next question is '{nxt['id']}': {nxt['text']}", file=sys.stderr)
        if nxt.get("options"):
            values = ", ".join(o["value"] for o in nxt["options"])
            _say(f"  answer with --answer {nxt['id']}=VALUE, one of: {values}", file=sys.stderr)
        elif nxt["id"].startswith("sign_off."):
            _say("  give --signed-by NAME and --role ROLE", file=sys.stderr)
        else:
            _say(f"  answer with --answer {nxt['id']}=TEXT ({nxt['kind']})", file=sys.stderr)


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
    plain: Annotated[bool, typer.Option("--plain", help=_PLAIN_HELP)] = False,
) -> None:
    """Check many cases at once from a JSONL, CSV or YAML file (see docs/batch.md).

    Exit codes: 0 every case decided; 3 some case incomplete; 4 some case invalid (including a
    line or row that cannot be read); 5 a tree is invalid; 2 usage error; 1 a record could not be
    written. When several apply the highest wins: 5, then 4, then 3.
    """
    del plain  # this output has no colour or boxes; the flag is taken for consistency
    with reported():
        from sharewise.frontends.batch import BatchOptions, run_check
        from sharewise.records.build import SignOff

        options = BatchOptions(
            cases=cases,
            input_format=input_format,
            tree=tree,
            output=output,
            records_dir=records_dir,
            sign_off=SignOff(signed_by, role, organisation),
        )
        code = run_check(options, today=local_today())  # its clock reads the time once a second
    raise typer.Exit(code)


# -- trees --------------------------------------------------------------------------------------


_CONFIG_HELP = "Settings file: trees path and {contacts.NAME} (default: $SHAREWISE_CONFIG, then the user's)."


def _trees_library(paths: list[Path], config_file: Path | None, *, add_paths: bool = True) -> Any:
    """The library on the documented search path, with the folders of ``paths`` in front."""
    from sharewise.config import load_config
    from sharewise.trees.library import Library

    extra = [p for p in paths if p.is_dir()] + list({p.parent: None for p in paths if p.is_file()})
    return Library.default(local_today(), extra=extra if add_paths else [], config=load_config(config_file))


def _is_settings_file(path: Path) -> bool:
    """True for a sharewise settings file: its top-level keys are all settings (read line by line)."""
    from sharewise.config import _PARSERS

    keys = set()
    try:
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                if line[:1].isalpha():
                    keys.add(line.split(":", 1)[0].strip())
    except (OSError, UnicodeDecodeError):
        return False
    return bool(keys) and keys <= set(_PARSERS)


@trees_app.command("validate")
def trees_validate(
    paths: Annotated[
        Optional[list[Path]], typer.Argument(help="Tree files or folders; default: every tree found.")
    ] = None,
    config_file: Annotated[Optional[Path], typer.Option("--config", help=_CONFIG_HELP, dir_okay=False)] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object: counts and every problem (for editors and CI).")
    ] = False,
    plain: Annotated[bool, typer.Option("--plain", help=_PLAIN_HELP)] = False,
) -> None:
    """Check tree files (and tree tests files) and report every problem with its file, line and place.

    Exit 0 when every tree is valid (warnings allowed), 5 when any has an error, 2 usage error.
    """
    del plain  # this output has no colour or boxes; the flag is taken for consistency
    from sharewise.trees.paths import tree_files_in

    with reported(as_json):
        library = _trees_library(paths or [], config_file)
        files: list[Path] = []
        for path in paths or []:
            if path.is_dir():
                for candidate in tree_files_in(path):
                    if _is_settings_file(candidate):  # a folder may keep its settings beside its trees
                        print(
                            f"sharewise: skipped {clean(str(candidate))}: a settings file, not a tree", file=sys.stderr
                        )
                    else:
                        files.append(candidate)
            elif path.exists():
                files.append(path)
            else:
                raise UsageError(f"no such file or folder: {path}")
        if not paths:
            files = [p for _, p in library.files()]
        errors = warnings = 0
        found: list[Any] = []
        for path in files:
            if path.name.endswith((".tests.yaml", ".tests.yml")):
                from sharewise.trees.tests import load_tests

                problems = load_tests(path).diagnostics
            else:
                problems = library.check(path)
            for problem in problems:
                if not as_json:
                    print(clean(str(problem)))
            found.extend(problems)
            n_err = sum(1 for p in problems if p.severity == "error")
            errors += n_err
            warnings += len(problems) - n_err
        verdict = "valid" if errors == 0 else "not valid"
        if as_json:
            emit_json(
                {
                    "valid": errors == 0,
                    "files": [str(p) for p in files],
                    "errors": errors,
                    "warnings": warnings,
                    "problems": [
                        {"file": d.file, "line": d.line, "place": d.place, "severity": d.severity, "message": d.message}
                        for d in found
                    ],
                }
            )
        else:
            print(
                f"{len(files)} tree file(s) checked: {errors} error(s), {warnings} warning(s); {verdict}.",
                file=sys.stderr,
            )
        if errors:
            raise typer.Exit(EXIT_INVALID_TREE)


@trees_app.command("list")
def trees_list(
    as_json: Annotated[bool, typer.Option("--json", help="Print the list as JSON.")] = False,
) -> None:
    """List the trees available: id, title, version and source file."""
    from sharewise.trees.library import Library

    with reported(as_json):  # the config file is read here, and may be wrong
        library = Library.default(local_today())
    rows = []
    for tree_id, path in library.files():
        loaded = library.read(path)
        tree = loaded.tree
        # Valid on its own, but unusable while a tree it continues into (a broken overlay) is not.
        usable = tree is not None and not any(d.severity == "error" for d in library.check(path))
        title = tree.title if tree else "(not valid: run 'sharewise trees validate')"
        if tree is not None and not usable:
            title += " (not usable: a tree it continues into is not valid; run 'sharewise trees validate')"
        rows.append(
            {
                "id": tree_id,
                "title": title,
                "version": tree.version if tree else "",
                "description": tree.description if tree else "",
                "file": str(path),
                "valid": tree is not None,
                "usable": usable,
            }
        )
    if as_json:
        emit_json(rows)
        return
    from sharewise.trees.show import print_tree_list

    print_tree_list(rows)


@trees_app.command("show")
def trees_show(
    tree: Annotated[str, typer.Argument(help="Tree id or file.", autocompletion=_complete_tree)],
    plain: Annotated[bool, typer.Option("--plain", help="No colour or box drawing.")] = False,
) -> None:
    """Print a tree readably: its questions, options, routes and outcomes."""
    from sharewise.trees.library import Library
    from sharewise.trees.show import print_tree

    with reported():
        loaded = Library.default(local_today()).get(tree)
        print_tree(loaded, plain=plain)


@trees_app.command("schema")
def trees_schema() -> None:
    """Print the JSON Schema for tree files, for editors that check YAML as you type."""
    from importlib.resources import files

    sys.stdout.write(files("sharewise").joinpath("schemas/tree.schema.json").read_text(encoding="utf-8"))


@trees_app.command("test")
def trees_test(
    paths: Annotated[
        Optional[list[Path]], typer.Argument(help="Tests files, tree files or folders; default: every tree found.")
    ] = None,
    strict: Annotated[
        bool,
        typer.Option("--strict", help="Also fail when a question, option or outcome is unreached, or no tests exist."),
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="List only failing cases.")] = False,
    config_file: Annotated[Optional[Path], typer.Option("--config", help=_CONFIG_HELP, dir_okay=False)] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object: each file's cases and coverage (for CI).")
    ] = False,
    plain: Annotated[bool, typer.Option("--plain", help=_PLAIN_HELP)] = False,
) -> None:
    """Run the test cases kept beside each tree (TREE.tests.yaml) and report coverage.

    Exit 0 when every case passes (with --strict: and every question, option and outcome is
    reached); 1 when a case fails (with --strict: or something is not reached); 5 when a tree or a
    tests file is not valid.
    """
    del plain  # this output has no colour or boxes; the flag is taken for consistency
    from sharewise.trees.tests import collect, report, run_pair

    with reported(as_json):
        library = _trees_library(paths or [], config_file)
        results = [run_pair(tree, tests, library) for tree, tests in collect(paths or [], library)]
        lines, code = report(results, strict=strict, quiet=quiet)
        if as_json:
            emit_json({"exit_code": code, "files": [_test_result_json(r) for r in results]})
        else:
            print(clean("\n".join(lines)))
    raise typer.Exit(code)


def _test_result_json(result: Any) -> dict[str, Any]:
    tree = result.tree
    coverage = result.coverage
    return {
        "tests": str(result.tests) if result.tests else None,
        "tree_file": str(result.tree_file) if result.tree_file else None,
        "tree": {"id": tree.id, "version": tree.version} if tree else None,
        "cases": [
            {"name": c.case.name, "line": c.case.line, "passed": c.passed, "diff": c.diff, "path": c.path}
            for c in result.cases
        ],
        "coverage": None
        if coverage is None
        else {
            "questions": list(coverage.questions),
            "options": list(coverage.options),
            "outcomes": list(coverage.outcomes),
            "not_reached": [{"what": what, "at": at} for what, at in coverage.missed],
        },
        "problems": [str(d) for d in result.diagnostics],
    }


@trees_app.command("graph")
def trees_graph(
    tree: Annotated[str, typer.Argument(help="Tree id or file.", autocompletion=_complete_tree)],
    fmt: Annotated[
        str,
        typer.Option(
            "--format",
            "-f",
            metavar="[mermaid|dot]",
            help="mermaid (for Markdown, wikis and code hosts) or dot (Graphviz).",
        ),
    ] = "mermaid",
    config_file: Annotated[Optional[Path], typer.Option("--config", help=_CONFIG_HELP, dir_okay=False)] = None,
) -> None:
    """Print a tree as a diagram for people: conditions in words, a key to the colours, an overlay's changes marked."""
    with reported():
        from sharewise.trees.graph import FORMATS, to_dot, to_mermaid

        if fmt not in FORMATS:
            raise UsageError(f"--format must be one of: {', '.join(FORMATS)} (not '{fmt}')")
        library = _trees_library([Path(tree)] if Path(tree).is_file() else [], config_file)
        loaded = library.get(tree)
        base = library.base_tree(loaded)  # an overlay: its changes are marked on the diagram
        sys.stdout.write(clean(to_mermaid(loaded, base) if fmt == "mermaid" else to_dot(loaded, base)))


@trees_app.command("diff")
def trees_diff(
    old: Annotated[
        str,
        typer.Argument(
            help="The earlier tree, id or file (an overlay alone: against its base).", autocompletion=_complete_tree
        ),
    ],
    new: Annotated[
        Optional[str], typer.Argument(help="The later tree: id or file.", autocompletion=_complete_tree)
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the changes as JSON.")] = False,
    exit_code: Annotated[
        bool, typer.Option("--exit-code", help="Exit 1 when the trees differ, 0 when they do not (as git diff).")
    ] = False,
    plain: Annotated[bool, typer.Option("--plain", help=_PLAIN_HELP)] = False,
    config_file: Annotated[Optional[Path], typer.Option("--config", help=_CONFIG_HELP, dir_okay=False)] = None,
) -> None:
    """Show what changed between two versions of a tree, for policy sign-off.

    Lists questions added, removed and reworded, options and routes changed, outcomes added,
    removed or changed (changed decisions first), and sources and dates. Exit 0; with
    --exit-code, 1 when there are changes. 2 usage error; 5 a tree is invalid.
    """
    del plain  # this output has no colour or boxes; the flag is taken for consistency
    with reported():
        from sharewise.trees.diff import diff_trees, render_changes

        library = _trees_library([], config_file, add_paths=False)
        if new is None:
            after = library.get(old)
            before = library.base_tree(after)
            if before is None:
                raise UsageError(f"{old} is not an overlay; name the two trees to compare")
        else:
            before, after = library.get(old), library.get(new)
        changes = diff_trees(before, after)
        if as_json:
            emit_json(
                {
                    "old": {"id": before.id, "version": before.version, "sha256": before.sha256},
                    "new": {"id": after.id, "version": after.version, "sha256": after.sha256},
                    "changes": [c.as_dict() for c in changes],
                }
            )
        else:
            print(clean("\n".join(render_changes(before, after, changes))))
    if exit_code and changes:
        raise typer.Exit(EXIT_DIFFERENT)


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
