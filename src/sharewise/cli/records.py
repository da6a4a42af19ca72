"""``sharewise records ...``: verify, list, show, render and countersign decision records.

Thin adapters: each command parses its flags, calls the core (:mod:`sharewise.records.verify`,
:mod:`sharewise.records.store`, :mod:`sharewise.records.query` and :mod:`sharewise.records.listing`,
:mod:`sharewise.records.view`) and maps known errors to exit codes. The core modules are imported
inside the commands, so ``sharewise --version`` stays fast.
"""

from __future__ import annotations

import json
import sys
from datetime import date, datetime
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from sharewise.cli.report import emit_json, reported
from sharewise.errors import EXIT_VERIFY_FAILED, UsageError
from sharewise.formats.safetext import clean

__all__ = ["records_app"]

records_app = typer.Typer(
    help="Verify, list, show, render and countersign decision records.",
    no_args_is_help=True,
    rich_markup_mode=None,
)


class Format(str, Enum):
    md = "md"
    html = "html"


def _one_of(flag: str, value: str, allowed: list[str]) -> None:
    """A usage error naming the allowed values (the value is a flag's, never personal)."""
    if value not in allowed:
        raise UsageError(f"{flag} must be one of: {', '.join(allowed)} (not '{value}')")


# -- verify ---------------------------------------------------------------------------------------


@records_app.command("verify")
def verify(
    paths: Annotated[list[Path], typer.Argument(help="Record files or records folders.")],
    require_signatures: Annotated[
        bool, typer.Option("--require-signatures", help="Fail any record or countersignature that is not signed.")
    ] = False,
    trust: Annotated[
        Optional[list[Path]],
        typer.Option("--trust", help="Also trust this Ed25519 public key (PEM); repeat for more.", dir_okay=False),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as one JSON object.")] = False,
) -> None:
    """Check digests, signatures and each folder's chain; one line per problem, naming the file.

    Exit codes: 0 every record holds; 6 any problem was found; 2 usage error (such as a bad key file
    or a path that does not exist).
    """
    from sharewise.records.signing import TrustedKeys
    from sharewise.records.verify import verify_paths

    with reported():
        missing = [str(p) for p in paths if not p.exists()]
        if missing:  # a mistyped path is a usage error, not a record that failed to verify
            raise UsageError(f"no such file or folder: {', '.join(missing)}")
        trusted = TrustedKeys.load(trust or [])
        report = verify_paths(paths, trusted=trusted, require_signatures=require_signatures)
    if as_json:
        emit_json(
            {
                "ok": report.ok,
                "records": report.records,
                "problems": [{"file": str(p.path), "message": p.message} for p in report.problems],
                "folders": [
                    {
                        "folder": str(f.folder),
                        "records": f.records,
                        "head_sequence": f.head_sequence,
                        "head_digest": f.head_digest,
                    }
                    for f in report.folders
                ],
            }
        )
    else:
        for problem in report.problems:
            print(clean(str(problem)))
        for folder in report.folders if report.ok else ():
            if folder.head_digest:  # worth quoting elsewhere: it anchors the whole chain
                print(
                    clean(
                        f"{folder.folder}: {folder.records} record(s); chain head {folder.head_sequence} "
                        f"sha256 {folder.head_digest}"
                    ),
                    file=sys.stderr,
                )
        count = len(report.problems)
        verdict = "all hold" if report.ok else f"{count} problem{'s' if count != 1 else ''} found"
        print(f"{report.records} record(s) checked: {verdict}.", file=sys.stderr)
    if not report.ok:
        raise typer.Exit(EXIT_VERIFY_FAILED)


# -- list -----------------------------------------------------------------------------------------


def _parse_day(value: str | None, flag: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"{flag} takes a date as YYYY-MM-DD, not '{value}'") from None


@records_app.command("list")
def list_records(  # noqa: PLR0917 - typer maps each parameter to a flag
    folder: Annotated[
        Optional[Path], typer.Argument(help="Records folder (default: the records folder).", file_okay=False)
    ] = None,
    decision: Annotated[
        Optional[str],
        typer.Option("--decision", metavar="[share|do-not-share|seek-advice]", help="Only records with this decision."),
    ] = None,
    tree: Annotated[Optional[str], typer.Option("--tree", help="Only records that used this tree id.")] = None,
    case_ref: Annotated[
        Optional[str], typer.Option("--case-ref", help="Only records with this case reference.")
    ] = None,
    since: Annotated[Optional[str], typer.Option("--since", help="Only records made on or after YYYY-MM-DD.")] = None,
    until: Annotated[Optional[str], typer.Option("--until", help="Only records made on or before YYYY-MM-DD.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the rows as JSON.")] = False,
    plain: Annotated[bool, typer.Option("--plain", help="No colour or box drawing.")] = False,
) -> None:
    """A table of the records in a folder: date, case ref, trees, decision, signed by. Does not verify.

    Rows stream out oldest first (record files are named by time); memory grows only by the
    folder's file names, kept packed (about 35 bytes a record: 3.4 MB for 100,000).
    """
    from sharewise.records.query import RecordFilter, record_rows
    from sharewise.records.store import open_store, records_dir

    with reported():
        if decision is not None:
            from sharewise.decisions import DECISIONS

            _one_of("--decision", decision, list(DECISIONS))
        folder = records_dir(folder)
        if not folder.is_dir():
            raise UsageError(f"no records folder at {folder}")
        first, last = _parse_day(since, "--since"), _parse_day(until, "--until")
        wanted = RecordFilter(decision, tree, case_ref, first, last)
        rows = (row for row in record_rows(open_store(folder), skipped=_skipped) if wanted(row))
        if as_json:
            count = _write_json_rows(rows)
        else:
            from sharewise.records.listing import write_rows

            count = write_rows(rows, plain)
    if not as_json:
        print(f"{count} record(s).", file=sys.stderr)


def _skipped(path: Path, problem: Exception) -> None:
    print(f"sharewise: skipped {path}: {problem}", file=sys.stderr)


def _write_json_rows(rows: Any) -> int:
    """The rows as one JSON array, byte for byte ``json.dumps(rows, indent=2)``, written as they come."""
    out = sys.stdout
    count = 0
    for row in rows:
        text = json.dumps(row, ensure_ascii=False, indent=2).replace("\n", "\n  ")
        out.write(("[\n  " if not count else ",\n  ") + text)
        count += 1
    out.write("\n]\n" if count else "[]\n")
    return count


# -- show and render ------------------------------------------------------------------------------


def _load_view(path: Path) -> Any:
    from sharewise.records.integrity import check_record
    from sharewise.records.signing import TrustedKeys
    from sharewise.records.verify import RecordUnreadable, load_record
    from sharewise.records.view import RecordView

    try:
        record, _ = load_record(path)
    except FileNotFoundError:
        raise UsageError(f"no record at {path}") from None
    except (RecordUnreadable, OSError) as exc:
        raise UsageError(f"{path}: {exc}") from None
    return RecordView.of(record, check_record(record, trusted=TrustedKeys.load()))


@records_app.command("show")
def show(
    file: Annotated[Path, typer.Argument(help="A record file.", dir_okay=False)],
    plain: Annotated[bool, typer.Option("--plain", help="No colour or box drawing (screen readers).")] = False,
) -> None:
    """Lay a record out readably in the terminal, with whether its digest and signature hold."""
    from sharewise.records.view import print_record

    with reported():
        view = _load_view(file)
    print_record(view, plain=plain)


@records_app.command("render")
def render(
    file: Annotated[Path, typer.Argument(help="A record file.", dir_okay=False)],
    fmt: Annotated[
        str,
        typer.Option("--format", "-f", metavar="[md|html]", help="md (Markdown) or html (one self-contained page)."),
    ] = Format.md.value,
    out: Annotated[
        Optional[Path],
        typer.Option("--out", "-o", help="Write to this new file (owner-only) instead of printing.", dir_okay=False),
    ] = None,
) -> None:
    """Render a record for a case file or an email: Markdown, or HTML that prints well."""
    from sharewise.records.safefiles import write_new_file
    from sharewise.records.view import render_html, render_markdown

    with reported():
        _one_of("--format", fmt, [f.value for f in Format])
        view = _load_view(file)
        text = render_html(view) if fmt == Format.html.value else render_markdown(view)
        if out is None:
            sys.stdout.write(clean(text))
            return
        try:
            write_new_file(out, text.encode("utf-8"))
        except FileExistsError:
            raise UsageError(f"{out} already exists; choose a new file name") from None
    print(f"Written to {out}", file=sys.stderr)


# -- countersign ----------------------------------------------------------------------------------


@records_app.command("countersign")
def countersign(
    file: Annotated[Path, typer.Argument(help="The record file to countersign.", dir_okay=False)],
    signed_by: Annotated[str, typer.Option("--signed-by", help="Your name (the second signer).")],
    role: Annotated[str, typer.Option("--role", help="Your role, for example designated safeguarding lead.")],
    organisation: Annotated[Optional[str], typer.Option("--organisation", help="Your organisation.")] = None,
    note: Annotated[Optional[str], typer.Option("--note", help="A comment to keep with your countersignature.")] = None,
) -> None:
    """Add a second person's sign-off to a record; the original is kept and the record still verifies.

    Signed with your key when one is set up (and must be, if the record is signed).
    Exit codes: 0 countersigned; 1 the file could not be updated; 2 usage error or the record does not verify.
    """
    from sharewise.records.store import countersign_file

    with reported():
        if not signed_by.strip() or not role.strip():
            raise UsageError("give your name with --signed-by and your role with --role")
        record = countersign_file(
            file,
            name=signed_by,
            role=role,
            organisation=organisation,
            note=note,
            now=datetime.now().astimezone(),
        )
    entry = record["countersignatures"][-1]
    signed = " and signed with your key" if "signature" in entry else ""
    print(clean(f"Countersigned {file} as {entry['name']}{signed}."))


# -- keygen ---------------------------------------------------------------------------------------


@records_app.command("keygen")
def keygen(
    out: Annotated[
        Optional[Path],
        typer.Option("--out", help="Private key file (default: the standard signing key location).", dir_okay=False),
    ] = None,
) -> None:
    """Make your Ed25519 signing key (mode 0600) and its public key to give to whoever checks your records."""
    from sharewise.records.signing import default_key_path, generate_key, public_key_path

    with reported():
        path = out or default_key_path()
        key = generate_key(path)
    print(f"Signing key written to {path} (keep it private; back it up safely).")
    print(f"Public key written to {public_key_path(path)}: give it to anyone who verifies your records.")
    print(f"Key id: {key.key_id}")
    if out is not None:
        print(f"To sign with it, set SHAREWISE_SIGNING_KEY={path}")
