"""Checking a large JSONL batch on more than one CPU, with the same output as checking it in one.

Walking a case is pure: the same answers through the same trees give the same result wherever
they are walked. So for a large JSONL file the main process reads the lines, unparsed, in blocks
(:data:`BLOCK_LINES`), and a few worker processes, forked once the trees are loaded, each parse,
check and format a whole block: its output text, its counts
(:class:`~sharewise.frontends.batch.check.Summary`) and any tree errors it met. The main process
writes the blocks' output in input order, adds up the counts and reports each tree error once,
so stdout, stderr and the exit code are those of the one-process run, only sooner.

A batch that writes records is checked the same way, with one difference: a record's place in
its folder's chain depends on the record before it, so only the main process can seal and write
it. Each worker builds the records of its block and encodes them, leaving room for the seal
(:mod:`sharewise.records.prepared`), and sends them back with the results, unformatted; the main
process seals each (a splice and one digest), writes it, then reports its case, in input order.
Every record of a block is stamped with the time the main process handed the block out, so
records are in time order along the chain, as in one process. The lines and the records (some
megabytes a block) do not go through the executor's pipes: each block in flight has two slots in
memory the main process shares with the workers (:data:`LINES_SLOT_BYTES`, :data:`SLOT_BYTES`),
one for its lines and one for its records, so nothing is pickled or copied through a pipe, and
the main process makes no large objects whose freeing, out of order, would fragment its heap
over a long batch. A slot is used again only once its last block was taken; lines or records
that do not fit go the ordinary way.

Only a few blocks are in flight at once, so memory stays flat however long the file is. A worker
that dies (killed, out of memory) costs speed, never a result: its block, and every block after
it, are checked in the main process instead.
"""

from __future__ import annotations

import contextlib
import mmap
import os
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from itertools import chain, islice
from typing import TYPE_CHECKING, Any

from sharewise.frontends.batch.check import Checker, Summary
from sharewise.frontends.batch.report import formatter
from sharewise.frontends.casefiles import CaseSource, jsonl_entry

if TYPE_CHECKING:
    from concurrent.futures import Future, ProcessPoolExecutor

    from sharewise.errors import TreeInvalid
    from sharewise.records.prepared import PreparedRecord

__all__ = [
    "BLOCK_LINES",
    "MAX_WORKERS",
    "MIN_PARALLEL_BYTES",
    "RECORD_BLOCK_LINES",
    "SLOT_BYTES",
    "WORKERS_ENV",
    "Block",
    "Workers",
    "report_tree_error",
    "workers_for",
]

#: Lines sent to a worker at a time: enough work (tens of milliseconds) to make the hand-over cheap.
BLOCK_LINES = 500
#: The same when the batch writes records: each comes back to the main process (some kilobytes),
#: so fewer of them are in flight at once.
RECORD_BLOCK_LINES = 250
#: With records, each block in flight has a slot of this size in memory shared with the workers,
#: where the worker leaves the block's records; records that do not fit travel pickled instead.
SLOT_BYTES = 8 << 20
#: ... and one of this size where the main process leaves the block's lines for the worker.
LINES_SLOT_BYTES = 2 << 20
#: Files smaller than this are checked in one process: forking would cost more than it saves.
MIN_PARALLEL_BYTES = 1 << 20
#: At most this many worker processes, however many CPUs there are.
MAX_WORKERS = 8
#: How often a worker checks that the main process is still there (seconds).
PARENT_CHECK_SECONDS = 0.25
#: ``SHAREWISE_WORKERS=N`` caps the worker processes (1 checks every batch in one process).
WORKERS_ENV = "SHAREWISE_WORKERS"

RawLines = list[tuple[int, "bytes | None"]]  # numbered lines as read, not yet parsed (None: too long)
LinePlaces = list[tuple[int, int, int]]  # where each numbered line lies in a lines slot (start -1: None)
#: Where a record lies in a records slot: its file name, then the ends of its four parts.
Place = tuple[str, int, int, int, int]
TreeError = tuple[str, list[str]]  # the error's text (to report it once) and the lines that report it
#: A case's report (see :func:`~sharewise.frontends.batch.report.formatter`; without the path of
#: its record, which is added once the record is written) and the record to write for it
#: (prepared, or as built when it cannot be), if any.
Checked = tuple[str, "PreparedRecord | dict[str, Any] | None"]
#: The same as a block carries it: a prepared record is its index among the block's prepared ones.
CaseRecord = tuple[str, "int | dict[str, Any] | None"]


@dataclass
class Block:
    """What checking one block of lines gave: output text, counts, tree errors in the order met.

    With records, :meth:`checked` gives each case's report and record instead of ``text``: the
    main process writes the record and then reports the case, with the record's path. In ``cases`` a prepared record is
    its index among the block's prepared records, which are ``placed`` in the block's shared
    slot or, when they did not fit there, carried in ``prepared``.
    """

    text: str
    summary: Summary
    tree_errors: list[TreeError] = field(default_factory=list)
    #: with records, the case (its index in ``cases``) that met each tree error, so the main
    #: process reports it just before that case, as one process does, should the batch stop early
    errors_at: list[int] = field(default_factory=list)
    cases: list[CaseRecord] | None = None
    prepared: list[PreparedRecord] = field(default_factory=list)
    placed: tuple[int, list[Place]] | None = None  # the slot, and where each record lies in it

    def checked(self) -> Iterator[Checked]:
        """Each case's report and its record (None for none), in input order."""
        prepared = self.prepared
        if self.placed is not None and _SLOTS is not None:
            slot, places = self.placed
            prepared = records_from(_slot(_SLOTS, slot, SLOT_BYTES), places)
        for result, record in self.cases or ():
            yield result, prepared[record] if isinstance(record, int) else record


def workers_for(source: CaseSource, *, asked: int | None = None) -> int:
    """How many worker processes to check ``source`` with; 0 to check it in this process.

    ``asked`` (``--workers``) or ``SHAREWISE_WORKERS`` caps the count; without either it is the
    CPUs this process may use, at most :data:`MAX_WORKERS`. Parallel checking needs a regular JSONL
    file of at least :data:`MIN_PARALLEL_BYTES` (a pipe may be a script feeding one case at a
    time, and wants each answer at once) and ``fork``
    (Linux and most Unix; Python 3.11 or later, whose process pools fork every worker before
    starting any thread).
    """
    limit = asked if asked is not None else _from_env()
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    count = min(cpus, MAX_WORKERS, limit if limit is not None else MAX_WORKERS)
    if count < 2 or source.fmt != "jsonl" or (source.size or 0) < MIN_PARALLEL_BYTES:
        return 0
    if sys.version_info < (3, 11) or not _can_fork():
        return 0
    return count


def _from_env() -> int | None:
    text = os.environ.get(WORKERS_ENV, "").strip()
    return int(text) if text.isascii() and text.isdigit() else None


def _can_fork() -> bool:
    import multiprocessing

    return "fork" in multiprocessing.get_all_start_methods()


def report_tree_error(exc: TreeInvalid) -> TreeError:
    """The lines that report a tree error on standard error, keyed by the error's text."""
    from sharewise.formats.safetext import clean

    return str(exc), [clean(f"sharewise: {exc}"), *(clean(f"  {d}") for d in exc.diagnostics)]


# -- in a worker ----------------------------------------------------------------------------------

_CHECKER: Checker | None = None  # set in the main process just before the workers are forked
_SLOTS: mmap.mmap | None = None  # with records, the memory shared with the workers (see SLOT_BYTES)
_LINE_SLOTS: mmap.mmap | None = None  # ... and the lines handed to them (see LINES_SLOT_BYTES)
_JSONL = True


def _start_worker(parent: int) -> None:
    # Ctrl-C reaches every process of the terminal's group: the main process deals with it.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # A worker waits on a pipe it holds both ends of, so it would outlive a main process that was
    # killed outright; this thread sees the main process go and ends the worker.
    threading.Thread(target=_outlive_not, args=(parent,), name="sharewise-parent-watch", daemon=True).start()


def _outlive_not(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(PARENT_CHECK_SECONDS)
    os._exit(1)


def check_block(
    lines: RawLines | None, moment: datetime | None = None, slot: int | None = None, placed: LinePlaces | None = None
) -> Block:
    """Parse, check and format ``lines`` (or the lines ``placed`` in lines slot ``slot``) with the
    checker this process was forked with; records are stamped with ``moment`` and left in shared
    ``slot`` when they fit."""
    checker = _CHECKER
    if checker is None:  # pragma: no cover - a worker is always forked with one
        raise RuntimeError("no checker in this worker")
    if moment is not None:
        checker.now = lambda: moment
    if lines is None:
        if placed is None or slot is None or _LINE_SLOTS is None:  # pragma: no cover - never sent so
            raise RuntimeError("a block with no lines")
        lines = lines_from(_slot(_LINE_SLOTS, slot, LINES_SLOT_BYTES), placed)
    return _check_block(checker, lines, jsonl=_JSONL, slot=slot)


def _slot(slots: mmap.mmap, slot: int, size: int) -> memoryview:
    return memoryview(slots)[slot * size : (slot + 1) * size]


def _copy_into(parts: Iterable[bytes | memoryview], buffer: memoryview) -> list[int] | None:
    """Copy ``parts`` into ``buffer`` one after another: where each ends, or None if they do not fit."""
    ends: list[int] = []
    end, room = 0, len(buffer)
    for part in parts:
        size = len(part)
        if end + size > room:
            return None
        buffer[end : end + size] = part
        end += size
        ends.append(end)
    return ends


def lines_into(lines: RawLines, buffer: memoryview) -> LinePlaces | None:
    """Copy ``lines`` into ``buffer``; where each lies, or None when they do not fit."""
    ends = _copy_into((line for _, line in lines if line is not None), buffer)
    if ends is None:
        return None
    places: LinePlaces = []
    start, taken = 0, iter(ends)
    for number, line in lines:
        if line is None:
            places.append((number, -1, -1))
        else:
            end = next(taken)
            places.append((number, start, end))
            start = end
    return places


def lines_from(buffer: memoryview, places: LinePlaces) -> RawLines:
    """The lines :func:`lines_into` left in ``buffer``."""
    return [(number, None if start < 0 else bytes(buffer[start:end])) for number, start, end in places]


def records_into(records: list[PreparedRecord], buffer: memoryview) -> list[Place] | None:
    """Copy ``records`` into ``buffer``; where each lies, or None when they do not fit."""
    ends = _copy_into((part for record in records for part in record[1:]), buffer)
    if ends is None:
        return None
    return [
        (record.name, ends[4 * n], ends[4 * n + 1], ends[4 * n + 2], ends[4 * n + 3])
        for n, record in enumerate(records)
    ]


def records_from(buffer: memoryview, places: list[Place]) -> list[PreparedRecord]:
    """The records :func:`records_into` left in ``buffer``, as views into it (nothing is copied)."""
    from sharewise.records.prepared import PreparedRecord

    found: list[PreparedRecord] = []
    start = 0
    for name, a, b, c, end in places:
        found.append(PreparedRecord(name, buffer[start:a], buffer[a:b], buffer[b:c], buffer[c:end]))
        start = end
    return found


def _check_block(checker: Checker, lines: RawLines, *, jsonl: bool, slot: int | None = None) -> Block:
    checker.summary = summary = Summary()
    met: list[TreeError] = []
    at: list[int] = []  # with records: the case that met each tree error
    cases: list[CaseRecord] = []

    def noted(exc: TreeInvalid) -> None:
        met.append(report_tree_error(exc))
        at.append(len(cases))  # the case being checked: the next to go in

    checker.on_tree_error = noted
    check, form = checker.check_safely, formatter(checker.label, jsonl=jsonl)
    entries = (entry for number, line in lines if (entry := jsonl_entry(number, line)) is not None)
    if checker.records:
        from sharewise.records.prepared import prepare

        ready: list[PreparedRecord] = []
        for entry in entries:
            result, record = check(entry)
            prepared = prepare(record) if record is not None else None
            if prepared is not None:
                ready.append(prepared)
            cases.append((form(result), len(ready) - 1 if prepared is not None else record))
        if slot is None or _SLOTS is None:  # in the main process, or with no shared memory
            return Block("", summary, met, at, cases, ready)
        places = records_into(ready, _slot(_SLOTS, slot, SLOT_BYTES))
        if places is None:  # too big for the slot: they go as they are
            return Block("", summary, met, at, cases, ready)
        return Block("", summary, met, at, cases, placed=(slot, places))
    return Block("".join([form(check(entry)[0]) for entry in entries]), summary, met)


# -- in the main process --------------------------------------------------------------------------


class Workers:
    """Worker processes forked from this one, each with a copy of ``checker`` as it is now (its
    trees already loaded); use as a context manager, and :meth:`check` a source with them.

    The workers are forked on entry, before anything else is opened (such as a records folder's
    lock, which a forked process would otherwise hold too). The counts and tree errors arrive with
    each block: ``checker``'s own summary and tree-error hook are not to be relied on afterwards.
    """

    def __init__(self, checker: Checker, count: int, *, jsonl: bool) -> None:
        self.checker = checker
        self.count = count
        self.jsonl = jsonl
        self._executor: ProcessPoolExecutor | None = None

    def __enter__(self) -> Workers:
        from concurrent.futures import ProcessPoolExecutor
        from multiprocessing import get_context

        global _CHECKER, _JSONL, _SLOTS, _LINE_SLOTS  # noqa: PLW0603 - what a forked worker starts with
        _CHECKER, _JSONL = self.checker, self.jsonl
        # Anonymous and shared: the workers forked below write into it, and only they and this
        # process can see it. A slot for each block that can be in flight at once (see check).
        _SLOTS = _LINE_SLOTS = None
        if self.checker.records:
            import sharewise.records.prepared  # noqa: F401 - imported once here, not in every worker

            try:
                _SLOTS = mmap.mmap(-1, self.in_flight * SLOT_BYTES)
                _LINE_SLOTS = mmap.mmap(-1, self.in_flight * LINES_SLOT_BYTES)
            except OSError:  # no room for them (a memory limit): everything goes through the pipes
                _SLOTS = _LINE_SLOTS = None
        self._executor = ProcessPoolExecutor(
            self.count, mp_context=get_context("fork"), initializer=_start_worker, initargs=(os.getpid(),)
        )
        self._executor.submit(int)  # with fork, the first task forks every worker (no need to wait for it)
        return self

    @property
    def in_flight(self) -> int:
        """How many blocks are handed out at most: enough to keep each worker busy, and no more."""
        return 2 * self.count

    def __exit__(self, *exc: object) -> None:
        global _CHECKER, _SLOTS, _LINE_SLOTS  # noqa: PLW0603 - cleared for the next batch in this process
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
        self._executor = None
        _CHECKER = None
        for shared in (_SLOTS, _LINE_SLOTS):
            if shared is not None:
                with contextlib.suppress(BufferError):  # a view still held elsewhere: freed with it
                    shared.close()
        _SLOTS = _LINE_SLOTS = None

    def _submit(self, block: RawLines, sent: int, moment: datetime | None) -> Future[Block]:
        """Hand ``block`` (the ``sent``-th) to a worker; with records, through its shared slots."""
        executor = self._executor
        if executor is None:
            raise RuntimeError("use Workers as a context manager")
        if _LINE_SLOTS is None:
            return executor.submit(check_block, block, moment)
        slot = sent % self.in_flight  # free: the block that had it last was taken before this one was read
        placed = lines_into(block, _slot(_LINE_SLOTS, slot, LINES_SLOT_BYTES))
        if placed is None:  # lines too long for the slot: they go pickled
            return executor.submit(check_block, block, moment, slot)
        return executor.submit(check_block, None, moment, slot, placed)

    def check(self, source: CaseSource, take: Callable[[Block], None]) -> None:
        """Check every case of ``source``; ``take`` each block's result, in input order."""
        from concurrent.futures.process import BrokenProcessPool

        executor = self._executor
        if executor is None:
            raise RuntimeError("use Workers as a context manager")
        records = self.checker.records
        now = self.checker.now
        blocks = _blocks(source, RECORD_BLOCK_LINES if records else BLOCK_LINES)
        sent = 0
        pending: deque[tuple[RawLines, Future[Block]]] = deque()
        unsent: RawLines | None = None  # a block read but not yet handed to a worker
        try:
            for block in blocks:
                unsent = block
                pending.append((block, self._submit(block, sent, now() if records else None)))
                sent += 1
                unsent = None
                while len(pending) >= self.in_flight:  # keep each worker busy, and no more in memory
                    take(pending[0][1].result())
                    pending.popleft()
            while pending:
                take(pending[0][1].result())
                pending.popleft()
        except BrokenProcessPool:
            # The block that was lost, and every one after it, are checked here instead.
            rest = [block for block, _ in pending] + ([unsent] if unsent is not None else [])
            for block in chain(rest, blocks):
                take(_check_block(self.checker, block, jsonl=self.jsonl))


def _blocks(source: CaseSource, size: int) -> Iterator[RawLines]:
    lines = source.jsonl_lines()
    while True:
        block = list(islice(lines, size))
        if not block:
            return
        yield block
