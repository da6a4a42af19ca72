"""Batch checks: many cases from one file, each walked through the engine, reported in input order.

``sharewise check CASES`` is a thin adapter over :func:`run_check`. Cases stream through: one is
read, walked, reported (and its record written) before the next is read, so memory stays flat
however long the file is. Engines are built once per tree id and reused, since trees never change
during a run.

Each case ends in one of three states, the same as ``decide --json``: ``decided``, ``incomplete``
(the next question, from :func:`sharewise.frontends.scripted.describe_walk`) or ``invalid`` (answers that
cannot be accepted, a tree that cannot be used, or a line or row that cannot be read). The exit
code reports the worst: 5 an invalid tree, then 4 an invalid case, then 3 an incomplete case, else
0. A record that cannot be written stops the batch (exit 1): carrying on would leave decisions
without their records.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, TextIO

from sharewise.engine.walk import Engine
from sharewise.errors import (
    EXIT_INCOMPLETE,
    EXIT_INVALID_ANSWER,
    EXIT_INVALID_TREE,
    EXIT_OK,
    SharewiseError,
    TreeInvalid,
    UsageError,
)
from sharewise.formats.safetext import clean, json_text
from sharewise.frontends.casefiles import CaseSource, Entry, open_cases
from sharewise.frontends.scripted import describe_walk
from sharewise.model import DECISIONS
from sharewise.records.build import SignOff, build_record, missing_sign_off
from sharewise.records.store import RecordSink, open_store
from sharewise.trees.library import Library

__all__ = ["OUTPUT_FORMATS", "BatchOptions", "Checker", "Summary", "format_summary", "run_check"]

OUTPUT_FORMATS = ("text", "jsonl")
#: Output lines are written in blocks of this many, or sooner when this many seconds have passed.
FLUSH_LINES = 256
FLUSH_SECONDS = 0.5
#: The progress bar is redrawn at most this often (seconds), and only on a terminal.
PROGRESS_INTERVAL = 0.1
#: Engines (and tree errors) kept per run; past this, further tree names are looked up each time.
MAX_CACHED_TREES = 1000


@dataclass(frozen=True)
class BatchOptions:
    """What ``sharewise check`` was asked to do; the command line maps its flags onto these."""

    cases: Path
    input_format: str | None = None
    tree: str | None = None
    output: str = "text"
    records_dir: Path | None = None
    sign_off: SignOff = field(default_factory=SignOff)
    progress: bool | None = None  # None: draw it when standard error is a terminal


@dataclass
class Summary:
    """Counts for the summary table and the exit code."""

    total: int = 0
    decisions: dict[str, int] = field(default_factory=lambda: dict.fromkeys(DECISIONS, 0))
    incomplete: int = 0
    invalid: int = 0
    unreadable: int = 0
    tree_errors: int = 0
    records: int = 0
    unsigned: int = 0

    @property
    def decided(self) -> int:
        return sum(self.decisions.values())

    def exit_code(self) -> int:
        """5 when a case named an invalid tree, else 4 for any invalid case, else 3 for any incomplete."""
        if self.tree_errors:
            return EXIT_INVALID_TREE
        if self.invalid:
            return EXIT_INVALID_ANSWER
        if self.incomplete:
            return EXIT_INCOMPLETE
        return EXIT_OK


#: What a case's ``tree`` may be: a tree id (the tree-file rules, and short).
_TREE_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


def _error(message: str) -> list[dict[str, Any]]:
    return [{"id": None, "question": None, "message": message}]


class Checker:
    """Checks cases one at a time: finds (and caches) the engine, walks, builds the record.

    With ``records``, a decided case that has a sign-off also yields its record, to be written;
    ``sign_off`` fills any sign-off field a case leaves empty (the case's own sign-off wins).
    """

    def __init__(
        self,
        library: Library,
        *,
        default_tree: str | None,
        sign_off: SignOff,
        records: bool,
        now: Callable[[], datetime],
        label: str = "line",
        on_tree_error: Callable[[TreeInvalid], None] | None = None,
    ) -> None:
        self.library = library
        self.default_tree = default_tree
        self.sign_off = sign_off
        self.records = records
        self.now = now
        self.label = label
        self.summary = Summary()
        self._engines: dict[str, Engine | SharewiseError] = {}
        self._outcomes: dict[tuple[str, str], dict[str, Any]] = {}
        self._on_tree_error = on_tree_error

    def engine(self, ref: str) -> Engine:
        """The engine for tree ``ref`` (an id or a file); raises when the tree cannot be used."""
        found = self._engine(ref)
        if isinstance(found, SharewiseError):
            raise found
        return found

    def _engine(self, ref: str) -> Engine | SharewiseError:
        """The engine for ``ref``, or the error that stops its use; both are built once and kept."""
        cached = self._engines.get(ref)
        if cached is None:
            try:
                start = self.library.get(ref)
                cached = Engine(start, self.library.get)
                cached.reachable_trees()  # resolve the trees it continues into now, once
            except SharewiseError as exc:
                cached = exc
            if len(self._engines) < MAX_CACHED_TREES:
                self._engines[ref] = cached
        return cached

    def check(self, entry: Entry) -> tuple[dict[str, Any], dict[str, Any] | None]:
        """The JSON-ready result for one case and the record to write, if any; updates :attr:`summary`."""
        summary = self.summary
        summary.total += 1
        case = entry.case
        if case is None:
            summary.invalid += 1
            summary.unreadable += 1
            errors = _error(entry.error or "")
            return {"case_ref": None, self.label: entry.number, "status": "invalid", "errors": errors}, None
        ref = case.tree or self.default_tree
        out: dict[str, Any] = {"case_ref": case.case_ref, self.label: entry.number}
        if ref is None:
            summary.invalid += 1
            out["status"] = "invalid"
            out["errors"] = _error("no tree: give 'tree' in the case, or --tree for the whole batch")
            return out, None
        if ref != self.default_tree and not _TREE_ID.match(ref):
            # A cases file comes from elsewhere: it may name trees on the search path, never read files.
            summary.invalid += 1
            out["status"] = "invalid"
            out["errors"] = _error(
                "'tree' names a tree by its id (see 'sharewise trees list'); a tree file can be given "
                "only on the command line, with --tree"
            )
            return out, None
        engine = self._engines.get(ref)
        if not isinstance(engine, Engine):
            engine = self._engine(ref)
            if isinstance(engine, SharewiseError):
                return self._tree_failed(out, ref, engine), None
        walk = engine.walk(case.answers, blank_optional=True)
        out["status"] = status = walk.status
        out["tree"] = engine.start.id
        if status != "decided":
            if status == "invalid":
                summary.invalid += 1
            else:
                summary.incomplete += 1
            payload = describe_walk(walk, [])
            del payload["status"]
            out.update(payload)
            return out, None
        outcome_tree, outcome = walk.outcome  # type: ignore[misc]
        summary.decisions[outcome.decision] += 1
        key = (outcome_tree.id, outcome.id)
        shown = self._outcomes.get(key)
        if shown is None:
            shown = self._outcomes[key] = {
                "tree": outcome_tree.id,
                "id": outcome.id,
                "decision": outcome.decision,
                "title": outcome.title,
            }
        out["decision"] = outcome.decision
        out["outcome"] = shown
        if not self.records:
            return out, None
        sign_off = self.sign_off.merged(case.sign_off)
        missing = missing_sign_off(sign_off)
        if missing:
            summary.unsigned += 1
            out["record"] = None
            out["missing_sign_off"] = [f"sign_off.{m}" for m in missing]
            return out, None
        record = build_record(walk, sign_off=sign_off, record_id=_uuid4(), now=self.now(), case_ref=case.case_ref)
        return out, record

    def failed(self, entry: Entry, exc: Exception) -> dict[str, Any]:
        """The result for a case that could not be checked at all: invalid, naming the fault only by kind."""
        self.summary.invalid += 1
        ref = entry.case.case_ref if entry.case is not None else None
        message = f"this case could not be checked ({type(exc).__name__}); please report it to sharewise's maintainers"
        return {"case_ref": ref, self.label: entry.number, "status": "invalid", "errors": _error(message)}

    def _tree_failed(self, out: dict[str, Any], ref: str, exc: SharewiseError) -> dict[str, Any]:
        self.summary.invalid += 1
        message = str(exc)
        if isinstance(exc, TreeInvalid):
            self.summary.tree_errors += 1
            message += "; run 'sharewise trees validate' for the details"
            if self._on_tree_error is not None:
                self._on_tree_error(exc)
        out.update(status="invalid", tree=ref, errors=_error(message))
        return out


# -- output ---------------------------------------------------------------------------------------


class _Lines:
    """Output lines gathered into blocks: one write per block, not per case.

    With ``each`` (input from a pipe, which may be a script feeding one case at a time) every
    line goes out at once, so the answer to a case never waits for the next case to arrive.
    """

    def __init__(self, stream: TextIO, *, each: bool = False) -> None:
        self.stream = stream
        self.buffer: list[str] = []
        self.last = time.monotonic()
        self.limit = 1 if each else FLUSH_LINES

    def add(self, line: str) -> None:
        buffer = self.buffer
        buffer.append(line)
        if len(buffer) >= self.limit or (len(buffer) & 15 == 0 and time.monotonic() - self.last > FLUSH_SECONDS):
            self.flush()

    def flush(self) -> None:
        if self.buffer:
            self.stream.write("".join(self.buffer))
            self.buffer.clear()
        self.stream.flush()
        self.last = time.monotonic()


class _Progress:
    """A one-line progress bar on standard error, redrawn a few times a second, then erased."""

    WIDTH = 24

    def __init__(self, stream: TextIO, source: CaseSource) -> None:
        self.stream = stream
        self.source = source
        self.name = clean(source.path.name) if str(source.path) != "-" else "standard input"
        self.next_draw = time.monotonic() + PROGRESS_INTERVAL
        self.drawn = 0

    def tick(self, summary: Summary) -> None:
        now = time.monotonic()
        if now < self.next_draw:
            return
        self.next_draw = now + PROGRESS_INTERVAL
        count = f"{summary.total:,} cases"
        problems = summary.incomplete + summary.invalid
        if problems:
            count += f", {problems:,} not decided"
        size = self.source.size
        if size:
            fraction = min(self.source.position() / size, 1.0)
            filled = int(fraction * self.WIDTH)
            line = f"checking {self.name} [{'#' * filled}{'.' * (self.WIDTH - filled)}] {fraction:4.0%}  {count}"
        else:
            line = f"checking {self.name}  {count}"
        self.stream.write("\r" + line.ljust(self.drawn))
        self.stream.flush()
        self.drawn = len(line)

    def close(self) -> None:
        if self.drawn:
            self.stream.write("\r" + " " * self.drawn + "\r")
            self.stream.flush()


def _text_lines(result: dict[str, Any], label: str) -> list[str]:
    """The text report of a case that was not decided (decided cases are only counted)."""
    status = result["status"]
    where = f"{label} {result[label]}"
    if result.get("case_ref"):
        where += f" (case {result['case_ref']})"
    if status == "incomplete":
        nxt = result["next"]
        return [f"{where}: incomplete: the next question is '{nxt['id']}' ({nxt['kind']}): {nxt['text']}\n"]
    lines = []
    for error in result["errors"]:
        message = error["message"]
        if error["id"] is None and message.startswith(f"{label} {result[label]}: "):
            message = message[len(f"{label} {result[label]}: ") :]
        prefix = f"{error['id']}: " if error["id"] else ""
        lines.append(f"{where}: invalid: {prefix}{message}\n")
    return lines


def format_summary(summary: Summary, source: str, seconds: float, records_dir: Path | None) -> str:
    """The summary table: cases by decision, then those incomplete and invalid."""
    rate = f", {summary.total / seconds:,.0f} a second" if seconds > 0 and summary.total >= 1000 else ""
    rows: list[tuple[str, int, str]] = [("decided", summary.decided, "")]
    rows += [(f"  {decision}", count, "") for decision, count in summary.decisions.items()]
    unread = f"  ({summary.unreadable:,} could not be read)" if summary.unreadable else ""
    trees = f"  ({summary.tree_errors:,} named an invalid tree)" if summary.tree_errors else ""
    rows += [("incomplete", summary.incomplete, ""), ("invalid", summary.invalid, unread + trees)]
    rows.append(("total", summary.total, ""))
    width = max(len(f"{count:,}") for _, count, _ in rows)
    cases = f"{summary.total:,} case{'s' if summary.total != 1 else ''}"
    lines = [f"Checked {cases} from {source} in {seconds:.1f} s{rate}.", ""]
    lines += [f"  {name:<16}{count:>{width},}{note}" for name, count, note in rows]
    if records_dir is not None:
        lines.append("")
        lines.append(f"Records written: {summary.records:,} to {records_dir}")
        if summary.unsigned:
            lines.append(
                f"No record for {summary.unsigned:,} decided case{'s' if summary.unsigned != 1 else ''} without a "
                "sign-off: give sign_off in the case, or --signed-by and --role."
            )
    return "\n".join(lines) + "\n"


# -- the command ----------------------------------------------------------------------------------


def run_check(
    options: BatchOptions,
    *,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
    now: Callable[[], datetime] | None = None,
    today: date | None = None,
) -> int:
    """Check every case in ``options.cases``; print the results; return the exit code.

    Raises :class:`UsageError` (exit 2) before any case is read when the command cannot run, and
    :class:`TreeInvalid` (exit 5) when ``--tree`` names an invalid tree.
    """
    out = stdout if stdout is not None else sys.stdout
    err = stderr if stderr is not None else sys.stderr
    clock = now if now is not None else _Clock()
    if options.output not in OUTPUT_FORMATS:
        raise UsageError(f"unknown output format '{options.output}'; use one of: {', '.join(OUTPUT_FORMATS)}")
    started = time.perf_counter()
    given = Path(options.tree) if options.tree is not None else None
    # A tree file given with --tree is the user's choice: cases may name the trees beside it by id.
    library = Library.default(today, extra=[given.parent] if given is not None and given.is_file() else [])
    reported: set[str] = set()

    def tree_error(exc: TreeInvalid) -> None:
        if str(exc) in reported:
            return
        reported.add(str(exc))
        print(clean(f"sharewise: {exc}"), file=err)
        for diagnostic in exc.diagnostics:
            print(clean(f"  {diagnostic}"), file=err)

    with open_cases(options.cases, options.input_format) as source:
        checker = Checker(
            library,
            default_tree=options.tree,
            sign_off=options.sign_off,
            records=options.records_dir is not None,
            now=clock,
            label=source.label,
            on_tree_error=tree_error,
        )
        if options.tree is not None:
            checker.engine(options.tree)  # an unknown or invalid --tree stops here, before any output
        draw = options.progress if options.progress is not None else _is_terminal(err)
        progress = _Progress(err, source) if draw else None
        lines = _Lines(out, each=source.size is None)
        emit = _emitter(lines, source.label, jsonl=options.output == "jsonl")
        records = open_store(options.records_dir).writer(fsync=False) if options.records_dir is not None else None
        with records if records is not None else contextlib.nullcontext():
            try:
                _loop(source, checker, _sink(emit, records, checker.summary), progress)
            finally:
                lines.flush()
                if progress is not None:
                    progress.close()
    shown = "standard input" if str(options.cases) == "-" else clean(str(options.cases))
    table = format_summary(checker.summary, shown, time.perf_counter() - started, options.records_dir)
    if options.output == "jsonl":
        err.write(table)
    else:
        if checker.summary.total > checker.summary.decided:
            out.write("\n")
        out.write(table)
    out.flush()
    return checker.summary.exit_code()


def _loop(
    source: CaseSource,
    checker: Checker,
    sink: Callable[[dict[str, Any], dict[str, Any] | None], None],
    progress: _Progress | None,
) -> None:
    check = checker.check
    summary = checker.summary
    for entry in source:
        try:
            result, record = check(entry)
        except (ValueError, TypeError, RecursionError, UnicodeError, AttributeError, KeyError) as exc:
            # A fault in checking one case (a bug sharewise should fix) never stops the batch.
            result, record = checker.failed(entry, exc), None
        sink(result, record)
        if progress is not None:
            progress.tick(summary)


def _sink(
    emit: Callable[[dict[str, Any]], None], records: RecordSink | None, summary: Summary
) -> Callable[[dict[str, Any], dict[str, Any] | None], None]:
    """What takes each checked case: writes its record (when there is one), then reports it."""
    if records is None:
        return lambda result, _: emit(result)
    write = records.write

    def write_then_emit(result: dict[str, Any], record: dict[str, Any] | None) -> None:
        if record is not None:
            result["record"] = str(write(record))
            summary.records += 1
        emit(result)

    return write_then_emit


def _emitter(lines: _Lines, label: str, *, jsonl: bool) -> Callable[[dict[str, Any]], None]:
    """What reports one result: its JSON line, or (text) a line for each case not decided."""
    add = lines.add
    if jsonl:
        encode = json.JSONEncoder(ensure_ascii=False).encode

        def emit_json(result: dict[str, Any]) -> None:
            add(json_text(encode(result)) + "\n")

        return emit_json

    def emit_text(result: dict[str, Any]) -> None:
        if result["status"] != "decided":
            for line in _text_lines(result, label):
                add(clean(line))

    return emit_text


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


class _Clock:
    """The local time, aware, read from the system once a second: records keep whole seconds.

    Same values as ``datetime.now().astimezone()`` truncated to the second, at a tenth of the cost.
    """

    def __init__(self) -> None:
        self._second = -1
        self._now = datetime.now().astimezone()

    def __call__(self) -> datetime:
        second = int(time.time())
        if second != self._second:
            self._second = second
            self._now = datetime.fromtimestamp(second).astimezone()
        return self._now


def _uuid4() -> str:
    """``str(uuid.uuid4())``, without building a ``UUID`` object (a noticeable share of a record)."""
    raw = bytearray(os.urandom(16))
    raw[6] = (raw[6] & 0x0F) | 0x40  # version 4
    raw[8] = (raw[8] & 0x3F) | 0x80  # RFC 4122 variant
    h = raw.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
