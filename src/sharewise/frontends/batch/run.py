"""``sharewise check CASES``: the run of a batch, from the cases file to the results and the records.

``sharewise check CASES`` is a thin adapter over :func:`run_check`. Cases stream through: one is
read (:mod:`sharewise.frontends.casefiles`), checked (:class:`~sharewise.frontends.batch.check.Checker`),
reported (:mod:`sharewise.frontends.batch.report`) and its record written before the next is read,
so memory stays flat however long the file is. A record that cannot be written stops the batch
(exit 1): carrying on would leave decisions without their records.
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from sharewise.errors import TreeInvalid, UsageError
from sharewise.formats.safetext import clean
from sharewise.frontends.batch.check import Checker, Clock, Summary
from sharewise.frontends.batch.parallel import Block, Workers, report_tree_error, workers_for
from sharewise.frontends.batch.report import (
    OUTPUT_FORMATS,
    Lines,
    Progress,
    format_summary,
    formatter,
    is_terminal,
    with_record,
)
from sharewise.frontends.casefiles import CaseSource, open_cases
from sharewise.records.build import SignOff
from sharewise.trees.library import Library

if TYPE_CHECKING:
    from sharewise.records.store import RecordSink

__all__ = ["BatchOptions", "run_check"]


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
    workers: int | None = None  # at most this many worker processes (see batch.parallel); None: as many as useful


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
    clock = now if now is not None else Clock()
    if options.output not in OUTPUT_FORMATS:
        raise UsageError(f"unknown output format '{options.output}'; use one of: {', '.join(OUTPUT_FORMATS)}")
    started = time.perf_counter()
    given = Path(options.tree) if options.tree is not None else None
    # A tree file given with --tree is the user's choice: cases may name the trees beside it by id.
    library = Library.default(today, extra=[given.parent] if given is not None and given.is_file() else [])
    errors = _TreeErrors(err)
    with open_cases(options.cases, options.input_format) as source:
        checker = Checker(
            library,
            default_tree=options.tree,
            sign_off=options.sign_off,
            records=options.records_dir is not None,
            now=clock,
            label=source.label,
            on_tree_error=errors.tree_error,
        )
        if options.tree is not None:
            checker.engine(options.tree)  # an unknown or invalid --tree stops here, before any output
        draw = options.progress if options.progress is not None else is_terminal(err)
        progress = Progress(err, source) if draw else None
        lines = Lines(out, each=source.size is None)
        jsonl = options.output == "jsonl"
        count = workers_for(source, asked=options.workers)
        records = _writer(options.records_dir) if options.records_dir is not None else None
        try:
            if count:
                summary = Summary()
                sink = _sink(lines, records, summary, jsonl=jsonl) if records is not None else None
                # The workers are forked first, before the records folder is locked and opened.
                with Workers(checker, count, jsonl=jsonl) as workers, records or contextlib.nullcontext():
                    _in_parallel(source, workers, into=summary, lines=lines, errors=errors, progress=progress,
                                 sink=sink)  # fmt: skip
            else:
                summary = checker.summary
                with records or contextlib.nullcontext():
                    form = formatter(source.label, jsonl=jsonl)
                    _loop(source, checker, form, _sink(lines, records, summary, jsonl=jsonl), progress)
        finally:
            lines.flush()
            if progress is not None:
                progress.close()
    shown = "standard input" if str(options.cases) == "-" else clean(str(options.cases))
    table = format_summary(summary, shown, time.perf_counter() - started, options.records_dir)
    if options.output == "jsonl":
        err.write(table)
    else:
        if summary.total > summary.decided:
            out.write("\n")
        out.write(table)
    out.flush()
    return summary.exit_code()


class _TreeErrors:
    """Reports each tree error on standard error once, however many cases meet it."""

    def __init__(self, err: TextIO) -> None:
        self.err = err
        self.reported: set[str] = set()

    def tree_error(self, exc: TreeInvalid) -> None:
        self.report(*report_tree_error(exc))

    def report(self, key: str, lines: list[str]) -> None:
        if key not in self.reported:
            self.reported.add(key)
            for line in lines:
                print(line, file=self.err)


def _in_parallel(
    source: CaseSource,
    workers: Workers,
    *,
    into: Summary,
    lines: Lines,
    errors: _TreeErrors,
    progress: Progress | None,
    sink: Callable[[str, Any], None] | None = None,
) -> None:
    """Check ``source`` with ``workers`` (:mod:`~sharewise.frontends.batch.parallel`), counting the
    cases ``into`` a summary; with records, ``sink`` writes each case's record, then reports it."""

    def take(block: Block) -> None:
        into.add(block.summary)
        if block.cases is not None and sink is not None:
            met = deque(zip(block.errors_at, block.tree_errors, strict=True))
            for number, (text, record) in enumerate(block.checked()):
                while met and met[0][0] <= number:  # told just before the case that met it, as in one process
                    errors.report(*met.popleft()[1])
                sink(text, record)
        else:
            for key, shown in block.tree_errors:
                errors.report(key, shown)
            lines.add(block.text)
        lines.flush()
        if progress is not None:
            progress.tick(into)

    workers.check(source, take)


def _writer(folder: Path) -> RecordSink:
    # Imported here: a check that writes no records never needs the store (a little start-up time).
    from sharewise.records.store import open_store

    return open_store(folder).writer(fsync=False)


def _loop(
    source: CaseSource,
    checker: Checker,
    form: Callable[[dict[str, Any]], str],
    sink: Callable[[str, dict[str, Any] | None], None],
    progress: Progress | None,
) -> None:
    check = checker.check_safely
    summary = checker.summary
    for entry in source:
        result, record = check(entry)
        sink(form(result), record)
        if progress is not None:
            progress.tick(summary)


def _sink(lines: Lines, records: RecordSink | None, summary: Summary, *, jsonl: bool) -> Callable[[str, Any], None]:
    """What takes each checked case, as its report and its record (if any): writes the record,
    then reports the case with the record's path."""
    add = lines.add
    if records is None:
        return lambda text, _: add(text) if text else None
    write = records.write

    def write_then_add(text: str, record: Any) -> None:  # a record dict, or prepared
        if record is not None:
            text = with_record(text, str(write(record)), jsonl=jsonl)
            summary.records += 1
        if text:
            add(text)

    return write_then_add
