"""``sharewise trees ...``: list, show, validate, test, draw and compare decision trees.

Thin adapters: each command parses its flags, calls the core (:mod:`sharewise.trees.catalogue`,
:mod:`sharewise.trees.library`, :mod:`sharewise.trees.tests`, :mod:`sharewise.trees.graph`,
:mod:`sharewise.trees.diff`, :mod:`sharewise.trees.show`) and maps known errors to exit codes. The
core modules are imported inside the commands, so ``sharewise --help`` stays fast.
"""

# No ``from __future__ import annotations`` here: typer reads every command's annotations on each
# run, and evaluating them from strings costs more start-up time than the rest of --help.

import sys
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from sharewise.cli.report import PLAIN_HELP, complete_tree, emit_json, local_today, reported
from sharewise.errors import EXIT_DIFFERENT, EXIT_INVALID_TREE, UsageError
from sharewise.formats.safetext import clean

__all__ = ["trees_app"]


trees_app = typer.Typer(
    help="List, show, validate and describe decision trees.", no_args_is_help=True, rich_markup_mode=None
)


# -- the commands ----------------------------------------------------------------------------------


_CONFIG_HELP = "Settings file: trees path and {contacts.NAME} (default: $SHAREWISE_CONFIG, then the user's)."


def _library(paths: list[Path], config_file: Optional[Path], *, add_paths: bool = True) -> Any:
    from sharewise.trees.catalogue import library_for

    return library_for(paths, config_file, local_today(), add_paths=add_paths)


@trees_app.command("validate")
def trees_validate(
    paths: Annotated[
        Optional[list[Path]], typer.Argument(help="Tree files or folders; default: every tree found.")
    ] = None,
    config_file: Annotated[Optional[Path], typer.Option("--config", help=_CONFIG_HELP, dir_okay=False)] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object: counts and every problem (for editors and CI).")
    ] = False,
    plain: Annotated[bool, typer.Option("--plain", help=PLAIN_HELP)] = False,
) -> None:
    """Check tree files (and tree tests files) and report every problem with its file, line and place.

    Exit 0 when every tree is valid (warnings allowed), 5 when any has an error, 2 usage error.
    """
    del plain  # this output has no colour or boxes; the flag is taken for consistency
    from sharewise.trees.catalogue import Validation, check_file, files_to_check

    with reported(as_json):
        library = _library(paths or [], config_file)
        validation = Validation(files_to_check(paths or [], library, skipped=_skipped_settings))
        for path in validation.files:
            problems = check_file(path, library)
            if not as_json:
                for problem in problems:
                    print(clean(str(problem)))
            validation.add(problems)
        if as_json:
            emit_json(validation.as_json())
        else:
            print(validation.summary(), file=sys.stderr)
        if not validation.valid:
            raise typer.Exit(EXIT_INVALID_TREE)


def _skipped_settings(path: Path) -> None:
    """A folder may keep its settings beside its trees: say the file was passed over, and why."""
    print(f"sharewise: skipped {clean(str(path))}: a settings file, not a tree", file=sys.stderr)


@trees_app.command("list")
def trees_list(
    as_json: Annotated[bool, typer.Option("--json", help="Print the list as JSON.")] = False,
) -> None:
    """List the trees available: id, title, version and source file."""
    from sharewise.trees.catalogue import tree_rows
    from sharewise.trees.library import Library

    with reported(as_json):  # the config file is read here, and may be wrong
        library = Library.default(local_today())
    rows = tree_rows(library)
    if as_json:
        emit_json(rows)
        return
    from sharewise.trees.show import print_tree_list

    print_tree_list(rows)


@trees_app.command("show")
def trees_show(
    tree: Annotated[str, typer.Argument(help="Tree id or file.", autocompletion=complete_tree)],
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
def trees_test(  # noqa: PLR0917 - typer maps each parameter to a flag
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
    plain: Annotated[bool, typer.Option("--plain", help=PLAIN_HELP)] = False,
) -> None:
    """Run the test cases kept beside each tree (TREE.tests.yaml) and report coverage.

    Exit 0 when every case passes (with --strict: and every question, option and outcome is
    reached); 1 when a case fails (with --strict: or something is not reached); 5 when a tree or a
    tests file is not valid.
    """
    del plain  # this output has no colour or boxes; the flag is taken for consistency
    from sharewise.trees.tests import collect, report, run_pair

    with reported(as_json):
        library = _library(paths or [], config_file)
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
    tree: Annotated[str, typer.Argument(help="Tree id or file.", autocompletion=complete_tree)],
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
        library = _library([Path(tree)] if Path(tree).is_file() else [], config_file)
        loaded = library.get(tree)
        base = library.base_tree(loaded)  # an overlay: its changes are marked on the diagram
        sys.stdout.write(clean(to_mermaid(loaded, base) if fmt == "mermaid" else to_dot(loaded, base)))


@trees_app.command("diff")
def trees_diff(  # noqa: PLR0917 - typer maps each parameter to a flag
    old: Annotated[
        str,
        typer.Argument(
            help="The earlier tree, id or file (an overlay alone: against its base).", autocompletion=complete_tree
        ),
    ],
    new: Annotated[
        Optional[str], typer.Argument(help="The later tree: id or file.", autocompletion=complete_tree)
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the changes as JSON.")] = False,
    exit_code: Annotated[
        bool, typer.Option("--exit-code", help="Exit 1 when the trees differ, 0 when they do not (as git diff).")
    ] = False,
    plain: Annotated[bool, typer.Option("--plain", help=PLAIN_HELP)] = False,
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

        library = _library([], config_file, add_paths=False)
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
