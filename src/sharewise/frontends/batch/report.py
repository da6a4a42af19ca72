"""Reporting a batch: a line per case (JSON, or text for those not decided), the progress bar, the summary.

Output lines are gathered into blocks, one write per block (or one per case when the cases come
from a pipe); the progress bar is drawn on standard error only on a terminal; every line that
carries text from the cases file goes through :mod:`sharewise.formats.safetext` first.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from sharewise.formats.safetext import clean, json_text
from sharewise.frontends.batch.check import Summary
from sharewise.frontends.casefiles import CaseSource

__all__ = [
    "FLUSH_LINES",
    "FLUSH_SECONDS",
    "OUTPUT_FORMATS",
    "PROGRESS_INTERVAL",
    "format_summary",
    "formatter",
    "with_record",
]

OUTPUT_FORMATS = ("text", "jsonl")
#: Output lines are written in blocks of this many, or sooner when this many seconds have passed.
FLUSH_LINES = 256
FLUSH_SECONDS = 0.5
#: The progress bar is redrawn at most this often (seconds), and only on a terminal.
PROGRESS_INTERVAL = 0.1


class Lines:
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


class Progress:
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


def is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


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


def formatter(label: str, *, jsonl: bool) -> Callable[[dict[str, Any]], str]:
    """What one result is reported as: its JSON line, or (text) a line for each case not decided
    (nothing for one decided, which is only counted)."""
    if jsonl:
        encode = json.JSONEncoder(ensure_ascii=False).encode
        return lambda result: json_text(encode(result)) + "\n"

    def text(result: dict[str, Any]) -> str:
        if result["status"] == "decided":
            return ""
        return "".join(clean(line) for line in _text_lines(result, label))

    return text


def with_record(text: str, path: str, *, jsonl: bool) -> str:
    """``text``, the report of a decided result without its ``record``, as it reads with
    ``"record": path`` added last: a JSON line gains the member; a text report has nothing to say.

    The same text as formatting the result with the path in it, with no second encoding: a
    worker formats the result before the record is written, and the main process adds the path
    of the file it wrote (:mod:`sharewise.frontends.batch.parallel`).
    """
    if not jsonl:
        return text
    return f'{text[:-2]}, "record": {json_text(_encode_text(path))}}}\n'


_encode_text = json.JSONEncoder(ensure_ascii=False).encode


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
