"""``sharewise records list`` on a terminal or a pipe: the rows of :mod:`sharewise.records.query`,
written as they are read.

A table widget holding every row took gigabytes and most of the time, so rows stream out: piped,
one tab-separated line a record (for grep, cut and sort; never wrapped); on a narrow terminal, two
lines a record with the whole file name on the second; otherwise a table whose first block of rows
sets the column widths. A file name is never broken, so it can be copied.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Iterator
from itertools import islice
from typing import Any

from rich.cells import cell_len
from rich.text import Text

from sharewise.decisions import BY_ID, label_of
from sharewise.formats.console import make_console
from sharewise.formats.safetext import clean

__all__ = ["WIDE_LIST", "write_rows"]

WIDE_LIST = 110
"""Columns from which ``records list`` is a table with whole file names; below, two lines a record."""
_CHUNK = 500  # rows laid out at a time: the first block sets the column widths for the rest
_HEADERS = ("date", "case ref", "trees", "decision", "signed by", "file")
_DECISION, _FILE = 3, 5  # columns
_FLEXIBLE = (1, 2, 4)  # the columns that give up width on a narrow table (the file name keeps its width)


def write_rows(rows: Iterable[dict[str, Any]], plain: bool) -> int:
    """Write ``rows`` to standard output (see the module); how many there were."""
    writer = _Writer(plain)
    if not writer.console.is_terminal:
        count = writer.piped(rows)
    elif writer.console.width < WIDE_LIST:  # too narrow for six columns and a whole file name
        count = writer.narrow(rows)
    else:
        count = writer.table(iter(rows))
    writer.out.flush()
    return count


def _cells(row: dict[str, Any]) -> list[str]:
    signed_by = str(row["signed_by"] or "")
    if row["countersigned_by"]:
        signed_by += " + " + ", ".join(str(c) for c in row["countersigned_by"])
    values = [
        row["created_at"][:16].replace("T", " "),
        str(row["case_ref"] or ""),
        ", ".join(row["trees"]),
        label_of(row["decision"], str(row["decision"])),
        signed_by,
        row["file"],
    ]
    return [" ".join(clean(v).split()) for v in values]


def _wrap(text: str, width: int) -> list[str]:
    if cell_len(text) <= width:
        return [text]
    return textwrap.wrap(text, width) or [""]


class _Writer:
    def __init__(self, plain: bool) -> None:
        self.plain = plain
        self.console = console = make_console(plain)
        self.colour = not plain and console.is_terminal and not console.no_color and console.color_system is not None
        self.out = console.file
        self._painted: dict[tuple[object, str], str] = {}

    def paint(self, style: str, text: str) -> str:
        with self.console.capture() as captured:
            self.console.print(Text(text, style=style), end="")
        return captured.get()

    def styled(self, column: int, text: str, decision: object) -> str:
        """``text`` in ``column``, coloured for its decision when it is the decision and colour is on."""
        words = BY_ID.get(decision) if isinstance(decision, str) else None
        if not (self.colour and column == _DECISION and words is not None and text):
            return text
        key = (decision, text)
        if key not in self._painted:
            self._painted[key] = self.paint(words.style, text)
        return self._painted[key]

    def piped(self, rows: Iterable[dict[str, Any]]) -> int:
        self.out.write("\t".join(_HEADERS) + "\n")
        count = 0
        for row in rows:
            self.out.write("\t".join(_cells(row)) + "\n")
            count += 1
        return count

    def narrow(self, rows: Iterable[dict[str, Any]]) -> int:
        count = 0
        for row in rows:
            date, ref, trees, decision, signed_by, file = _cells(row)
            details = " · ".join(d for d in (ref and f"case {ref}", trees, signed_by) if d)
            first = f"{date}  {self.styled(_DECISION, decision, row['decision'])}  {details}"
            shown = first if self.colour else textwrap.fill(first, self.console.width, subsequent_indent="  ")
            self.out.write(shown + "\n")
            self.out.write(f"  {file}\n")
            count += 1
        return count

    def table(self, rows: Iterator[dict[str, Any]]) -> int:
        count = 0
        widths: list[int] | None = None
        while True:
            raw = list(islice(rows, _CHUNK))
            block = [_cells(row) for row in raw]
            if widths is None:
                widths = self._fit(block)
                self._header(widths)
            for row, values in zip(raw, block, strict=True):
                self._table_row(row["decision"], values, widths)
            count += len(block)
            if len(block) < _CHUNK:
                return count

    def _fit(self, block: list[list[str]]) -> list[int]:
        widths = [max([cell_len(h), *(cell_len(c[i]) for c in block)]) for i, h in enumerate(_HEADERS)]
        spare = self.console.width - 2 * (len(_HEADERS) - 1) - widths[0] - widths[_DECISION] - widths[_FILE]
        total = sum(widths[i] for i in _FLEXIBLE)
        if total > spare > 0:
            for i in _FLEXIBLE:
                widths[i] = max(cell_len(_HEADERS[i]), widths[i] * spare // total)
        return widths

    def _header(self, widths: list[int]) -> None:
        header = "  ".join(h.ljust(w) for h, w in zip(_HEADERS, widths, strict=True)).rstrip()
        self.out.write((self.paint("bold", header) if self.colour else header) + "\n")
        if not self.plain:
            self.out.write("  ".join("-" * w for w in widths) + "\n")

    def _table_row(self, decision: object, values: list[str], widths: list[int]) -> None:
        """One record: as many lines as its longest wrapped cell; the file name is never wrapped."""
        parts = [[v] if i == _FILE else _wrap(v, w) for i, (v, w) in enumerate(zip(values, widths, strict=True))]
        for n in range(max(len(p) for p in parts)):
            line = []
            for column, (part, width) in enumerate(zip(parts, widths, strict=True)):
                text = part[n] if n < len(part) else ""
                line.append(self.styled(column, text, decision) + " " * (width - cell_len(text)))
            self.out.write("  ".join(line).rstrip() + "\n")
