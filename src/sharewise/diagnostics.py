"""Collecting the problems found while reading an author's file, each at its file, line and place.

Every reader of a YAML file an author writes (a tree, an overlay, a tree's tests, the settings
file) reports through one :class:`Collector`: it names the file and looks up the line of the key
at fault in the file's :class:`~sharewise.formats.yamlio.LineMap`, so every problem reads
``FILE:LINE place: message`` however it was found. Each reader keeps its own wording.

A tree can be huge and full of mistakes, so its collector is given limits: at most ``limit``
problems are listed (the rest are counted in one last line), and "did you mean" suggestions are
looked for at most ``max_hints`` times, among at most :data:`HINT_POOL` names. The small files
(tests, settings) leave both open.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Literal

from sharewise.errors import Diagnostic
from sharewise.formats.safetext import cut
from sharewise.formats.yamlio import LineMap, YamlProblem

__all__ = ["HINT_POOL", "Collector", "join"]

#: With a budget for suggestions, a word is compared with at most this many names.
HINT_POOL = 2000
_HINT_WORD = 64  # with a budget, no suggestion is looked for a word longer than this


def join(place: str, key: str) -> str:
    """The dotted place of ``key`` under ``place`` (``nodes.consent`` and ``ask``: ``nodes.consent.ask``)."""
    return f"{place}.{key}" if place else key


class Collector:
    """The problems found in one file, appended to ``items`` (a list the caller may share)."""

    def __init__(
        self,
        file: str,
        lines: LineMap | None = None,
        items: list[Diagnostic] | None = None,
        *,
        limit: int | None = None,
        max_hints: int | None = None,
    ) -> None:
        self.file = file
        self.lines = lines if lines is not None else LineMap(file=file)
        self.items: list[Diagnostic] = items if items is not None else []
        self.limit = limit
        self.max_hints = max_hints
        self.hints = 0
        self.dropped = 0  # problems past ``limit``, counted, not listed
        self.dropped_errors = False

    # -- adding -----------------------------------------------------------------------------
    def add(self, diagnostic: Diagnostic) -> None:
        """Keep ``diagnostic``, or count it once ``limit`` problems are listed."""
        if self.limit is None or len(self.items) < self.limit:
            self.items.append(diagnostic)
            return
        self.dropped += 1
        self.dropped_errors = self.dropped_errors or diagnostic.severity == "error"

    def at(self, line: int | None, place: str, message: str, severity: Literal["error", "warning"] = "error") -> None:
        """A problem of this file at a known ``line`` (or none)."""
        self.add(Diagnostic(self.file, line, place, message, severity))

    def error(self, place: str, message: str, container: object = None, key: str | None = None) -> None:
        """A problem at ``place``, on the line of ``key`` in ``container`` (or of ``container`` itself)."""
        self._located(place, message, container, key, "error")

    def warning(self, place: str, message: str, container: object = None, key: str | None = None) -> None:
        """Like :meth:`error`, for something that does not stop the file being used."""
        self._located(place, message, container, key, "warning")

    def _located(
        self, place: str, message: str, container: object, key: str | None, severity: Literal["error", "warning"]
    ) -> None:
        # Merged data (an overlay on its base) knows which file each key came from.
        file, line = self.lines.where(container, key) if container is not None else (self.file, None)
        self.add(Diagnostic(file or self.file, line, place, message, severity))

    def yaml_problems(self, problems: Iterable[YamlProblem]) -> None:
        """The syntax errors and duplicate keys found while parsing the file."""
        for problem in problems:
            self.at(problem.line, problem.place, problem.message)

    def unknown_keys(
        self, mapping: Mapping[str, Any], allowed: Iterable[str], place: str, *, width: int | None = None
    ) -> None:
        """An error for each key of ``mapping`` not in ``allowed``, suggesting the likely one.

        ``width`` shortens a long key where it is shown (a key can be as long as the file).
        """
        allowed = tuple(allowed)
        for key in mapping:
            if key in allowed:
                continue
            shown = cut(key, width) if width is not None else key
            hint = self.hint(key, list(allowed))
            tip = f" (did you mean '{hint}'?)" if hint else f"; expected one of: {', '.join(allowed)}"
            self.error(join(place, shown), f"unknown key '{shown}'{tip}", mapping, key)

    # -- suggesting -------------------------------------------------------------------------
    def hint(self, word: str, names: Iterable[str]) -> str | None:
        """The closest of ``names`` to ``word`` (None when nothing is close, or the budget is spent)."""
        if self.max_hints is not None:
            if self.hints >= self.max_hints or len(word) > _HINT_WORD:
                return None
            self.hints += 1
        pool = names if isinstance(names, list) else list(names)
        if len(pool) > HINT_POOL:
            size = len(word)
            pool = [n for n in pool if n[:1] == word[:1] and abs(len(n) - size) <= 2][:HINT_POOL]
        import difflib  # only a misspelt name needs it

        found = difflib.get_close_matches(word, pool, n=1, cutoff=0.6)
        return found[0] if found else None

    # -- the end ----------------------------------------------------------------------------
    def has_errors(self) -> bool:
        return self.dropped_errors or any(d.severity == "error" for d in self.items)

    def count_dropped(self) -> None:
        """Add the line that counts the problems not listed, if any were left out."""
        if self.dropped:
            self.items.append(
                Diagnostic(
                    self.file,
                    None,
                    "",
                    f"{self.dropped:,} more problem(s) not listed (at most {self.limit} are); fix these first",
                    "error" if self.dropped_errors else "warning",
                )
            )
            self.dropped = 0
