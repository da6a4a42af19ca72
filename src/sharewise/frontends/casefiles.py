"""Reading batch cases from JSONL, CSV and YAML files, one case at a time.

Every reader is a generator: it holds one case in memory, never the file, so a batch of a million
cases costs what a batch of ten does. Each case comes with its line number (JSONL, YAML) or row
number (CSV, counting the header as row 1, as a spreadsheet shows it). A case that cannot be read
is yielded as an :class:`Entry` with an ``error`` instead of a case, and reading goes on with the
next line or row; only a YAML syntax error ends a YAML file early, because the parser cannot find
where the next case starts.
"""

from __future__ import annotations

import csv
import io
import json
import os
import stat
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Literal

from sharewise.errors import AnswersFileError, UsageError
from sharewise.formats.safetext import cut
from sharewise.formats.yamlio import NodeBounds
from sharewise.frontends.answers import Case, case_from_mapping, loads_json

__all__ = ["FORMATS", "CaseSource", "Entry", "InputFormat", "detect_format", "jsonl_entry", "open_cases"]

InputFormat = Literal["jsonl", "csv", "yaml"]
FORMATS: tuple[InputFormat, ...] = ("jsonl", "csv", "yaml")
SUFFIXES: dict[str, InputFormat] = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".csv": "csv",
    ".yaml": "yaml",
    ".yml": "yaml",
}
#: CSV columns that are not question ids.
CSV_CASE_COLUMNS = ("case_ref", "tree")
CSV_SIGN_OFF_COLUMNS = ("sign_off.name", "sign_off.role", "sign_off.organisation")
_CASE_LEVEL_KEYS = ("case_ref", "tree", "sign_off")
#: The longest JSONL line (one case) read; longer lines are reported, and reading goes on.
MAX_LINE_BYTES = 1 << 20


@dataclass(frozen=True, slots=True)
class Entry:
    """One case as read from the file, or the reason it could not be read.

    ``number`` is the line (JSONL, YAML) or row (CSV) where the case starts.
    """

    number: int
    case: Case | None = None
    error: str | None = None


def detect_format(path: Path, explicit: str | None) -> InputFormat:
    """The input format: ``explicit`` when given, else from the file's suffix."""
    if explicit is not None:
        name = explicit.strip().lower()
        if name not in FORMATS:
            raise UsageError(f"unknown input format '{explicit}'; use one of: {', '.join(FORMATS)}")
        return name
    fmt = SUFFIXES.get(path.suffix.lower())
    if fmt is None:
        if str(path) == "-":
            raise UsageError("reading cases from standard input: give --input-format jsonl, csv or yaml")
        raise UsageError(
            f"cannot tell the format of {path} from its name; use a .jsonl, .csv or .yaml file, or give --input-format"
        )
    return fmt


class CaseSource:
    """An open cases file: iterate it for :class:`Entry` objects; close it when done.

    ``size`` is the file's size in bytes when known (a regular file), and :meth:`position` says
    roughly how far reading has got, for a progress bar.
    """

    def __init__(self, path: Path, fmt: InputFormat) -> None:
        self.path = path
        self.fmt = fmt
        self.label = "row" if fmt == "csv" else "line"
        if str(path) == "-":
            self._binary: IO[bytes] = os.fdopen(os.dup(0), "rb")
        else:
            try:
                self._binary = path.open("rb")
            except FileNotFoundError:
                raise UsageError(f"no cases file at {path}") from None
            except IsADirectoryError:
                raise UsageError(f"{path} is a folder, not a cases file") from None
            except OSError as exc:
                raise UsageError(f"cannot read the cases file {path}: {exc.strerror or exc}") from None
        try:
            info = os.fstat(self._binary.fileno())
            self.size: int | None = info.st_size if info.st_size and stat.S_ISREG(info.st_mode) else None
        except OSError:  # pragma: no cover - fstat on an open file does not fail in practice
            self.size = None

    def position(self) -> int:
        try:
            return self._binary.tell()
        except (OSError, ValueError):
            return 0

    def __iter__(self) -> Iterator[Entry]:
        if self.fmt == "jsonl":
            return _read_jsonl(self._binary)
        if self.fmt == "csv":
            text = io.TextIOWrapper(self._binary, encoding="utf-8-sig", errors="surrogateescape", newline="")
            return _read_csv(text)
        return _read_yaml(self._binary)

    def jsonl_lines(self) -> Iterator[tuple[int, bytes | None]]:
        """A JSONL file's lines, unread, with their numbers, for :func:`jsonl_entry` to read (perhaps
        in another process); None for a line longer than :data:`MAX_LINE_BYTES`."""
        if self.fmt != "jsonl":
            raise ValueError(f"{self.fmt} cases are read in one piece, not line by line")
        return _lines(self._binary)

    def close(self) -> None:
        self._binary.close()

    def __enter__(self) -> CaseSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_cases(path: Path, fmt: str | None = None) -> CaseSource:
    """Open ``path`` (``-`` for standard input) as a source of cases."""
    return CaseSource(path, detect_format(path, fmt))


def _case(data: object, where: str, *, text_keys: bool = False) -> Case:
    """The case in ``data``; raises :class:`AnswersFileError` naming ``where``."""
    if isinstance(data, Mapping) and "answers" not in data:
        stray = [k for k in _CASE_LEVEL_KEYS if k in data]
        if stray:
            raise AnswersFileError(f"{where}: a case that gives '{stray[0]}' must put its answers under 'answers'")
    return case_from_mapping(data, where, text_keys=text_keys)


# -- JSONL ----------------------------------------------------------------------------------------


def _read_jsonl(stream: IO[bytes]) -> Iterator[Entry]:
    for number, line in _lines(stream):
        entry = jsonl_entry(number, line)
        if entry is not None:
            yield entry


def jsonl_entry(number: int, line: bytes | None) -> Entry | None:
    """The case on JSONL line ``number`` (None from :meth:`CaseSource.jsonl_lines` for a line too
    long to read), or the reason it cannot be read; None for a blank line, which holds no case."""
    if line is None:
        return Entry(number, error=f"line {number}: longer than {MAX_LINE_BYTES // 1024:,} KiB; a case is shorter")
    raw = line[3:] if number == 1 and line.startswith(b"\xef\xbb\xbf") else line  # a byte order mark
    if not raw.strip():
        return None
    try:
        return Entry(number, _case(loads_json(raw), f"line {number}", text_keys=True))
    except json.JSONDecodeError as exc:
        problem = f"line {number}: not valid JSON ({exc.msg}, column {exc.colno})"
    except UnicodeDecodeError:
        problem = f"line {number}: not UTF-8 text"
    except AnswersFileError as exc:
        problem = str(exc)
    except ValueError as exc:  # nested too deeply, or text that is not valid Unicode
        problem = f"line {number}: {exc}"
    return Entry(number, error=problem)


def _lines(stream: IO[bytes]) -> Iterator[tuple[int, bytes | None]]:
    """Each line with its number; None for a line longer than :data:`MAX_LINE_BYTES` (then skipped)."""
    number = 0
    readline = stream.readline
    while True:
        raw = readline(MAX_LINE_BYTES + 1)
        if not raw:
            return
        number += 1
        if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
            while raw and not raw.endswith(b"\n"):  # skip the rest of the line, a block at a time
                raw = readline(MAX_LINE_BYTES)
            yield number, None
            continue
        yield number, raw


# -- CSV ------------------------------------------------------------------------------------------


def _csv_row_problem(row: list[str], width: int) -> str | None:
    """What makes a non-empty row unreadable as a case, if anything."""
    if len(row) > width and any(cell.strip() for cell in row[width:]):
        return f"{len(row)} cells, but the header names {width} columns"
    try:
        "".join(row).encode("utf-8")
    except UnicodeEncodeError:
        return "not UTF-8 text"
    return None


def _read_csv(stream: IO[str]) -> Iterator[Entry]:
    reader = csv.reader(stream, strict=True)
    found = _csv_header(reader)
    if found is None:
        return
    number, header = found
    width = len(header)
    questions = [(i, name) for i, name in enumerate(header) if name not in CSV_CASE_COLUMNS + CSV_SIGN_OFF_COLUMNS]
    ref_at = header.index("case_ref") if "case_ref" in header else None
    tree_at = header.index("tree") if "tree" in header else None
    sign_at = [(name.partition(".")[2], header.index(name)) for name in CSV_SIGN_OFF_COLUMNS if name in header]
    while True:
        number += 1
        before = reader.line_num
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield Entry(number, error=f"row {number}: not valid CSV ({exc})")
            if reader.line_num == before:  # pragma: no cover - the reader always moves on
                return
            continue
        if not any(cell.strip() for cell in row):
            continue  # an empty row (spreadsheets often leave some at the end)
        problem = _csv_row_problem(row, width)
        if problem is not None:
            yield Entry(number, error=f"row {number}: {problem}")
            continue
        cells = row + [""] * (width - len(row)) if len(row) < width else row
        data: dict[str, Any] = {"answers": {name: value for i, name in questions if (value := cells[i].strip())}}
        for key, at in (("case_ref", ref_at), ("tree", tree_at)):
            if at is not None:
                data[key] = cells[at]
        if sign_at:
            data["sign_off"] = {key: cells[index] for key, index in sign_at}
        try:
            yield Entry(number, _case(data, f"row {number}"))
        except AnswersFileError as exc:  # pragma: no cover - the mapping built here always has the shape
            yield Entry(number, error=str(exc))


def _csv_header(reader: Any) -> tuple[int, list[str]] | None:
    """The header's row number and its column names, checked: every column named, none twice."""
    for number, raw in enumerate(reader, start=1):
        if not any(cell.strip() for cell in raw):
            continue
        header = [cell.strip() for cell in raw]
        for index, name in enumerate(header, start=1):
            if not name:
                raise UsageError(f"the CSV header (row {number}) leaves column {index} without a name")
        seen: set[str] = set()
        for name in header:
            if name in seen:
                raise UsageError(f"the CSV header (row {number}) names the column '{cut(name, 40)}' twice")
            seen.add(name)
        unknown_sign = [n for n in header if n.startswith("sign_off.") and n not in CSV_SIGN_OFF_COLUMNS]
        if unknown_sign:
            raise UsageError(
                f"the CSV header (row {number}) has an unknown column '{cut(unknown_sign[0], 40)}'; "
                f"expected: {', '.join(CSV_SIGN_OFF_COLUMNS)}"
            )
        return number, header
    return None


# -- YAML -----------------------------------------------------------------------------------------


def _read_yaml(stream: IO[bytes]) -> Iterator[Entry]:
    import yaml

    from sharewise.formats._yamlstream import case_loader

    loader = case_loader(stream)
    try:
        loader.get_event()  # stream start
        if loader.check_event(yaml.StreamEndEvent):
            return
        loader.get_event()  # document start
        if loader.check_event(yaml.ScalarEvent):
            event = loader.peek_event()
            if isinstance(event, yaml.ScalarEvent) and event.value in ("", "~", "null"):
                return  # an empty document: no cases
        if not loader.check_event(yaml.SequenceStartEvent):
            line = loader.peek_event().start_mark.line + 1
            raise UsageError(f"line {line}: a YAML cases file must be a list of cases, each starting with '- '")
        loader.get_event()
        bounds = NodeBounds()
        while not loader.check_event(yaml.SequenceEndEvent):
            number = loader.peek_event().start_mark.line + 1  # the item's own line, even for an alias
            node = _compose(loader)
            bounded = bounds.check(node)
            if bounded is not None:
                yield Entry(number, error=f"line {max(bounded[0], number)}: {bounded[1]}")
                continue
            try:
                data = loader.construct_document(node)
            except yaml.YAMLError as exc:
                yield Entry(number, error=f"line {_mark_line(exc, number)}: {_yaml_message(exc)}")
                continue
            try:
                yield Entry(number, _case(data, f"line {number}"))
            except AnswersFileError as exc:
                yield Entry(number, error=str(exc))
        loader.get_event()  # sequence end
        loader.get_event()  # document end
        if not loader.check_event(yaml.StreamEndEvent):
            line = loader.peek_event().start_mark.line + 1
            yield Entry(line, error=f"line {line}: a cases file holds one YAML document; the rest was not read")
    except yaml.YAMLError as exc:
        line = _mark_line(exc, 1)
        yield Entry(line, error=f"line {line}: {_yaml_message(exc)}; the rest of the file was not read")
    finally:
        loader.dispose()


def _compose(loader: Any) -> Any:
    """The next case's node. PyYAML's composer recurses, two calls a level, and libyaml allows
    1,000 levels, so the limit is raised while it runs; the node is then checked against
    :data:`sharewise.formats.yamlio.MAX_DEPTH` before anything is built from it."""
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 4000))
    try:
        return loader.compose_node(None, None)
    finally:
        sys.setrecursionlimit(limit)


def _mark_line(exc: Exception, default: int) -> int:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    return int(mark.line) + 1 if mark is not None else default


def _yaml_message(exc: Exception) -> str:
    problem = getattr(exc, "problem", None)
    context = getattr(exc, "context", None)
    if type(exc).__name__ == "ConstructorError" and problem:
        return str(problem)  # a duplicate key or an unhashable key: the syntax itself was fine
    if problem is None:
        return f"YAML error: {exc}"
    return f"YAML syntax error: {context}, {problem}" if context else f"YAML syntax error: {problem}"
