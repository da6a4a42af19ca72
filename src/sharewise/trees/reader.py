"""What every part of reading one tree file shares: its options, what was found so far, and typed getters.

:class:`TreeReader` is a :class:`~sharewise.diagnostics.Collector` (so every problem is kept with
its file, line and dotted place) with the small getters that check one value each and report what
is wrong with it. The parts of a tree are read by its subclasses: :mod:`sharewise.trees.questions`,
:mod:`sharewise.trees.outcomes` and :mod:`sharewise.trees.checks`, brought together in
:mod:`sharewise.trees.build`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sharewise.diagnostics import Collector, join
from sharewise.engine.conditions import Condition, ConditionError, parse_condition
from sharewise.errors import Diagnostic
from sharewise.formats.safetext import cut
from sharewise.formats.yamlio import LineMap
from sharewise.model import ID_PATTERN, Citation, CrossRef, Route, Source, TreeSource
from sharewise.trees.loaded import TreeFile
from sharewise.trees.placeholders import resolve_placeholders

__all__ = ["MAX_DIAGNOSTICS", "MAX_SUGGESTIONS", "SETTINGS", "SETTINGS_PREFIX", "LoadOptions", "TreeReader"]

#: At most this many problems are listed for one file; the rest are counted in one last line.
MAX_DIAGNOSTICS = 200
#: "Did you mean" suggestions are looked for this many times per file, each among at most
#: :data:`sharewise.diagnostics.HINT_POOL` names, so a file full of mistakes is still checked in linear time.
MAX_SUGGESTIONS = 20
SETTINGS = {"public_authority": ("yes", "no")}
SETTINGS_PREFIX = "settings."  # settings a question can be answered from, and their values


@dataclass(frozen=True)
class LoadOptions:
    """What reading a tree needs from outside the file.

    ``placeholders`` maps a name such as ``contacts.dsl`` to its text, from the config file that
    ``settings`` names for messages ("the config file PATH", or empty when there is none).
    ``base_of`` finds the tree an overlay extends: it returns that tree's :class:`TreeFile`, or a
    message saying why it cannot. ``shipped`` marks a file that travels with sharewise, whose
    install path a record leaves out. ``settings_file`` describes the config file; a tree that
    fills in a placeholder lists it among its files.
    """

    today: date | None = None
    placeholders: Mapping[str, str] = field(default_factory=dict)
    settings: str = ""
    base_of: Callable[[str], TreeFile | str] | None = None
    shipped: bool = False
    settings_file: TreeSource | None = None


class TreeReader(Collector):
    """The state of reading one tree file, and the getters that check its values one by one."""

    def __init__(
        self,
        file: str,
        lines: LineMap,
        diags: list[Diagnostic],
        today: date | None,
        *,
        options: LoadOptions | None = None,
        retired: Mapping[str, tuple[str, int | None]] | None = None,
    ) -> None:
        super().__init__(file, lines, diags, limit=MAX_DIAGNOSTICS, max_hints=MAX_SUGGESTIONS)
        self.today = today
        self.options = options or LoadOptions()
        self.retired = retired or {}
        self.origins: dict[str, str] = {}
        self.filled = False
        self.sources: dict[str, Source] = {}
        self.node_ids: set[str] = set()
        self.outcome_ids: set[str] = set()
        self.conditions: list[tuple[Condition, str, Mapping[str, Any], str]] = []
        self.refs: list[CrossRef] = []
        self.settings: dict[str, str] = {}
        self._targets: list[str] | None = None
        self.meant: dict[int, str | None] = {}  # a bad route's likely target, by the route's identity

    @property
    def diags(self) -> list[Diagnostic]:
        """Every problem listed so far (the list the caller passed in)."""
        return self.items

    # -- reporting -------------------------------------------------------------------------
    def _origin(self, place: str, container: object, key: str | None) -> None:
        if not self.lines.merged:  # read from one file: everything in it comes from that file
            return
        file = self.lines.file_of(container, key)
        if file and file != self.file:
            self.origins[place] = file

    def _route_error(self, route: Route, message: str) -> None:
        self.add(Diagnostic(self.origins.get(route.place, self.file), route.line, route.place, message))

    def words(
        self, value: str | None, place: str, container: Mapping[str, Any], key: str, *, at: str | None = None
    ) -> str | None:
        """``value`` with its ``{contacts.NAME}``-style placeholders filled in from the config file.

        ``at`` names the place when it is not ``place.key`` (an action given as a plain string).
        """
        if value is None:
            return None
        values = self.options.placeholders
        filled, unknown = resolve_placeholders(value, values)
        self.filled = self.filled or filled != value
        for name in unknown:
            hint = self.hint(name, list(values))
            tip = f" (did you mean '{{{hint}}}'?)" if hint else ""
            settings = self.options.settings
            why = f"{settings} gives no '{name}'{tip}" if settings else f"no config file was found to give '{name}'"
            self.error(
                at or join(place, key),
                f"unknown placeholder '{{{name}}}': {why}; write '{{{{' for a literal brace",
                container,
                key,
            )
        return filled

    # -- small typed getters ---------------------------------------------------------------
    def keys(self, mapping: Mapping[str, Any], allowed: Iterable[str], place: str) -> None:
        self.unknown_keys(mapping, allowed, place, width=60)

    def text(self, mapping: Mapping[str, Any], key: str, place: str, required: bool = True) -> str | None:
        if key not in mapping or mapping[key] is None:
            if required:
                self.error(join(place, key), f"'{key}' is required", mapping)
            return None
        value = mapping[key]
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            self.error(join(place, key), f"'{key}' must be text", mapping, key)
            return None
        value = str(value).strip()
        if required and not value:
            self.error(join(place, key), f"'{key}' must not be empty", mapping, key)
            return None
        return value

    def ident(self, value: object, place: str, container: object, key: str | None, what: str) -> str | None:
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            self.error(place, f"{what} must be a word, not {type(value).__name__}", container, key)
            return None
        text = str(value)
        if not ID_PATTERN.match(text):
            self.error(
                place,
                f"{what} '{cut(text, 60)}' must be lower-case letters, digits, '-' or '_', "
                "starting with a letter or digit",
                container,
                key,
            )
            return None
        return text

    def flag(self, mapping: Mapping[str, Any], key: str, place: str) -> bool:
        value = mapping.get(key, False)
        if not isinstance(value, bool):
            self.error(join(place, key), f"'{key}' must be true or false", mapping, key)
            return False
        return value

    def day(self, mapping: Mapping[str, Any], key: str) -> date | None:
        raw = self.text(mapping, key, "")
        if raw is None:
            return None
        try:
            return date.fromisoformat(raw)
        except ValueError:
            self.error(key, f"'{key}' must be a date written YYYY-MM-DD, not '{cut(raw, 40)}'", mapping, key)
            return None

    def mapping(self, value: object, place: str, container: object, key: str | None) -> Mapping[str, Any] | None:
        if not isinstance(value, dict):
            kind = "nothing" if value is None else type(value).__name__
            self.error(place, f"expected a mapping of keys to values, found {kind}", container, key)
            return None
        return value

    # -- parts shared by questions and outcomes --------------------------------------------
    def _citation(self, mapping: Mapping[str, Any], place: str, required: bool) -> Citation | None:
        raw = self.text(mapping, "source", place, required=required)
        if raw is None:
            return None
        # Several citations are separated by ';' where the next one starts with a listed ref, so a
        # ';' inside a section ("principles (adequate; accurate)") stays part of that section.
        parts = [raw]
        if ";" in raw and self.sources:
            refs = "|".join(re.escape(r) for r in sorted(self.sources, key=len, reverse=True))
            parts = re.split(rf";\s*(?=(?:{refs})(?:\s|$))", raw)
        cited: list[tuple[str, str]] = []
        for part in parts:
            ref, _, section = part.strip().partition(" ")
            if ref not in self.sources:
                known = ", ".join(sorted(self.sources)) or "none"
                self.error(
                    f"{place}.source",
                    f"'{ref}' is not a ref listed under 'sources' (listed: {known}); write the ref, then the section",
                    mapping,
                    "source",
                )
                return None
            cited.append((ref, section.strip()))
        (ref, section), *more = cited
        also = tuple((self.sources[r].title, sec) for r, sec in more)
        return Citation(ref, section, self.sources[ref].title, also)

    def _condition(self, text: str, place: str, container: Mapping[str, Any], key: str) -> Condition | None:
        try:
            parsed = parse_condition(text)
        except ConditionError as exc:
            self.error(place, f"the condition does not parse: {exc}", container, key)
            return None
        self.conditions.append((parsed, place, container, key))
        return parsed
