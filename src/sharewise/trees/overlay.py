"""Overlays: a local tree file that extends another tree instead of copying it.

An overlay is a tree file with ``extends: TREE-ID``. It gives its own ``version``, ``owner`` and
review dates, and only the parts it changes::

    format: sharewise-tree/1
    extends: when-to-share          # the tree it changes; its own id defaults to the same
    version: "2026.1"
    owner: Northshire Safeguarding Partnership
    reviewed: 2026-12-01
    next_review: 2027-12-01
    nodes:
      urgent:
        help: ...                   # a key given replaces that key
        options:
          not-sure: local-check     # re-point one option's route
      local-check: {...}            # a new question, written in full
      old-question: {retire: true}  # take a question out
    outcomes:
      advice:
        add_actions: [...]          # add local actions after the tree's own

The merge works on the parsed data, keeping for every key the file and line it came from, and the
ordinary validator then checks the merged tree as a whole. A problem found in a part the overlay
did not write is moved onto the overlay (the nearest place it touches, else its ``extends`` line),
naming where in the extended tree it sits: the extended tree was valid on its own, so the overlay
is what has to change.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from sharewise.diagnostics import Collector
from sharewise.errors import Diagnostic
from sharewise.formats.yamlio import LineMap
from sharewise.model import ID_PATTERN, TreeSource
from sharewise.trees.paths import shown_path

if TYPE_CHECKING:
    from sharewise.trees.loaded import TreeFile

__all__ = ["OVERLAY_ONLY_KEYS", "Merged", "apply_overlay"]

OVERLAY_ONLY_KEYS = ("extends", "retire", "add_actions")
_REQUIRED = ("version", "owner", "reviewed", "next_review")
_SEGMENT = re.compile(r"\.?([^.\[]+)|\[(\d+)\]")


@dataclass
class Merged:
    """An overlay laid on its base: the merged data and line map, and how to report problems."""

    data: dict[str, Any]
    lines: LineMap
    relocate: Callable[[Diagnostic], Diagnostic]
    retired: dict[str, tuple[str, int | None]]
    base_files: tuple[TreeSource, ...]


class _Merge:
    def __init__(self, found: Collector, base_lines: LineMap) -> None:
        self.found = found  # problems are named on the overlay's own lines
        self.file = found.file
        self.over = found.lines
        self.base = base_lines
        self.lines = LineMap(file=self.file)
        self.retired: dict[str, tuple[str, int | None]] = {}

    def error(self, place: str, message: str, container: object, key: str | None = None) -> None:
        self.found.error(place, message, container, key)

    # -- line bookkeeping -------------------------------------------------------------------
    def adopt(self, value: object, source: LineMap) -> None:
        """Register every mapping inside ``value`` (unchanged data from one file) in the merged map."""
        stack = [value]
        while stack:
            item = stack.pop()
            if isinstance(item, dict):
                self.lines.adopt(item, source)
                stack.extend(item.values())
            elif isinstance(item, list):
                stack.extend(item)

    def combine(
        self, base: dict[str, Any], over: dict[str, Any], result: dict[str, Any], taken: Mapping[str, str]
    ) -> None:
        """Record ``result``: a mapping whose keys come from ``base`` or ``over`` as ``taken`` says.

        ``taken`` maps each key to ``"over"``, ``"base"`` or the name of an overlay key whose line it
        takes (for a key the merge writes itself, such as ``actions`` made from ``add_actions``).
        """
        key_lines: dict[str, int] = {}
        key_files: dict[str, str] = {}
        for key in result:
            how = taken.get(key, "base")
            if how == "base":
                file, line = self.base.where(base, key)
            else:
                file, line = self.file, self.over.of(over, key if how == "over" else how)
            key_lines[key] = line or 0
            key_files[key] = file
        self.lines.place(result, self.over.of(over), self.file, key_lines, key_files)

    # -- the merge --------------------------------------------------------------------------
    def top(self, base: dict[str, Any], over: dict[str, Any], base_start: str) -> dict[str, Any]:
        result: dict[str, Any] = {}
        taken: dict[str, str] = {}
        for key, value in base.items():
            result[key] = value
            self.adopt(value, self.base)
        if "start" not in result:
            result["start"] = base_start
        for key, value in over.items():
            if key == "extends":
                continue
            if key in ("nodes", "outcomes", "sources") and isinstance(value, dict) and isinstance(base.get(key), dict):
                result[key] = self.items(key, base[key], value)
            else:
                result[key] = value
                self.adopt(value, self.over)
            taken[key] = "over"
        if "id" not in over:
            result["id"] = base.get("id")
            taken["id"] = "extends"
        nodes = result.get("nodes")
        raw_start = result.get("start")
        # A conditional start is a list of routes: each target counts as a start question.
        starts = [r.get("to") for r in raw_start if isinstance(r, dict)] if isinstance(raw_start, list) else [raw_start]
        for start in starts:
            if not isinstance(start, str) or "start" in over or not isinstance(nodes, dict):
                continue
            if start not in nodes and start in self.retired:
                self.error("start", f"this overlay retires the start question '{start}'; give 'start'", over, "extends")
        self.combine(base, over, result, taken)
        return result

    def items(self, section: str, base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
        """Merge ``nodes``, ``outcomes`` or ``sources``: by id, keeping the base's order."""
        result: dict[str, Any] = {}
        taken: dict[str, str] = {}
        for key, value in base.items():
            result[key] = value
        for key, value in over.items():
            place = f"{section}.{key}"
            if _is_retire(value):
                if not _retire_only(value):
                    self.error(place, "'retire: true' takes no other keys", over, key)
                if key not in base:
                    self.error(place, f"there is nothing called '{key}' under '{section}' to retire", over, key)
                    continue
                del result[key]
                self.retired[key] = (self.file, self.over.of(over, key))
                continue
            if key in base and isinstance(value, dict) and isinstance(base[key], dict) and section != "sources":
                result[key] = self.item(place, base[key], value)
            else:
                result[key] = value
                self.adopt(value, self.over)
            taken[key] = "over"
        for key, value in result.items():
            if key not in taken:
                self.adopt(value, self.base)
        self.combine(base, over, result, taken)
        return result

    def item(self, place: str, base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
        """Merge one question or outcome: a key given replaces; options merge; actions can be added."""
        result: dict[str, Any] = {}
        taken: dict[str, str] = {}
        for key, value in base.items():
            result[key] = value
            self.adopt(value, self.base)
        for key, value in over.items():
            if key == "options" and "options" in base:
                merged = self.options(f"{place}.options", base["options"], value, over)
                if merged is not None:
                    result[key] = merged
                    taken[key] = "over"
                    continue
            if key == "add_actions":
                continue
            result[key] = value
            self.adopt(value, self.over)
            taken[key] = "over"
        if "add_actions" in over:
            extra = over["add_actions"]
            if not isinstance(extra, list):
                self.error(f"{place}.add_actions", "'add_actions' must be a list of actions", over, "add_actions")
            else:
                existing = result.get("actions", [])
                result["actions"] = [*(existing if isinstance(existing, list) else []), *extra]
                self.adopt(extra, self.over)
                taken["actions"] = "add_actions"
        self.combine(base, over, result, taken)
        return result

    def options(self, place: str, base: object, over: object, body: dict[str, Any]) -> dict[str, Any] | None:
        """Merge a question's options by value; None leaves an unmergeable shape to the validator."""
        base_map = _as_mapping(base)
        over_map = _as_mapping(over)
        if base_map is None or over_map is None:
            return None
        result: dict[str, Any] = dict(base_map)
        taken: dict[str, str] = {}
        for value, spec in over_map.items():
            if _is_retire(spec):
                if self._retire_option(f"{place}.{value}", value, spec, over_map, base_map):
                    del result[value]
                continue
            result[value] = self._option(value, spec, base_map, over_map)
            taken[value] = "over"
        for value, spec in result.items():
            if taken.get(value) != "over":
                self.adopt(spec, self.base)
        key_lines: dict[str, int] = {}
        key_files: dict[str, str] = {}
        for value in result:
            if taken.get(value) == "over":
                key_lines[value], key_files[value] = self.over.of(over_map, value) or 0, self.file
            else:
                key_lines[value] = self.base.of(base_map, value) or 0
                key_files[value] = self.base.file_of(base_map, value)
        self.lines.place(result, self.over.of(body, "options"), self.file, key_lines, key_files)
        return result

    def _retire_option(
        self, vplace: str, value: str, spec: dict[str, Any], over_map: dict[str, Any], base_map: dict[str, Any]
    ) -> bool:
        """Check ``value: {retire: true}``; True when there is such an option to take out."""
        if not _retire_only(spec):
            self.error(vplace, "'retire: true' takes no other keys", over_map, value)
        if value not in base_map:
            self.error(vplace, f"there is no option '{value}' to retire", over_map, value)
            return False
        return True

    def _option(self, value: str, spec: object, base_map: dict[str, Any], over_map: dict[str, Any]) -> object:
        """One option the overlay gives: merged into the base's, re-pointed, or taken as written."""
        old = base_map.get(value)
        if isinstance(spec, dict) and value in base_map:
            merged = dict(old) if isinstance(old, dict) else ({"next": old} if old is not None else {})
            merged_taken = dict.fromkeys(merged, "base")
            for key, item in spec.items():
                merged[key] = item
                merged_taken[key] = "over"
                self.adopt(item, self.over)
            if isinstance(old, dict):
                for item in old.values():
                    self.adopt(item, self.base)
                self.combine(old, spec, merged, merged_taken)
            else:
                self._short_option(merged, spec, base_map, value, merged_taken)
            return merged
        if isinstance(spec, (str, list)) and isinstance(old, dict):
            merged = {**old, "next": spec}
            for item in old.values():
                self.adopt(item, self.base)
            self.adopt(spec, self.over)
            keys = {k: self.base.of(old, k) or 0 for k in old}
            files = {k: self.base.file_of(old, k) for k in old}
            keys["next"], files["next"] = self.over.of(over_map, value) or 0, self.file
            self.lines.place(merged, self.over.of(over_map, value), self.file, keys, files)
            return merged
        self.adopt(spec, self.over)
        return spec

    def _short_option(
        self, merged: dict[str, Any], spec: dict[str, Any], base_map: dict[str, Any], value: str, taken: dict[str, str]
    ) -> None:
        keys = {k: (self.over.of(spec, k) or 0) for k in merged}
        files = dict.fromkeys(merged, self.file)
        if taken.get("next") == "base":
            keys["next"], files["next"] = self.base.of(base_map, value) or 0, self.base.file_of(base_map, value)
        self.lines.place(merged, self.over.of(spec), self.file, keys, files)


def _is_retire(value: object) -> bool:
    return isinstance(value, dict) and "retire" in value


def _retire_only(value: dict[str, Any]) -> bool:
    return value.get("retire") is True and len(value) == 1


def _as_mapping(options: object) -> dict[str, Any] | None:
    if isinstance(options, dict):
        return options
    if isinstance(options, list) and all(isinstance(v, str) for v in options):
        return dict.fromkeys(options)
    return None


def _overlay_places(data: object, lines: LineMap) -> dict[str, int]:
    """Dotted place of everything the overlay writes, with its line."""
    places: dict[str, int] = {}
    stack: list[tuple[str, object]] = [("", data)]
    while stack:
        prefix, value = stack.pop()
        if isinstance(value, dict):
            for key, item in value.items():
                place = f"{prefix}.{key}" if prefix else str(key)
                places[place] = lines.of(value, key) or 0
                stack.append((place, item))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                place = f"{prefix}[{index}]"
                if isinstance(item, dict):
                    places[place] = lines.of(item) or places.get(prefix, 0)
                stack.append((place, item))
    return places


def _parents(place: str) -> list[str]:
    """``nodes.a.options.b.next[0].to`` and each of its ancestors, nearest first."""
    parts = [m.group(0) for m in _SEGMENT.finditer(place)]
    return ["".join(parts[:n]).lstrip(".") for n in range(len(parts), 0, -1)]


def _relocator(
    file: str, places: Mapping[str, int], fallback: int | None, base_id: str
) -> Callable[[Diagnostic], Diagnostic]:
    def relocate(diag: Diagnostic) -> Diagnostic:
        if diag.file == file:
            return diag
        line = fallback
        for parent in _parents(diag.place):
            if places.get(parent):
                line = places[parent]
                break
        shown = shown_path(diag.file)
        where = f"{shown}:{diag.line}" if diag.line else shown
        message = f"{diag.message} (in '{base_id}' at {where}, which this overlay extends)"
        return replace(diag, file=file, line=line, message=message)

    return relocate


def apply_overlay(
    data: dict[str, Any],
    lines: LineMap,
    file: str,
    base_of: Callable[[str], TreeFile | str] | None,
    diags: list[Diagnostic],
) -> Merged | None:
    """Lay the overlay ``data`` (read from ``file``) on the tree it extends; None when it cannot be."""
    found = Collector(file, lines, diags)
    extends = data.get("extends")
    ext_line = lines.of(data, "extends")
    if not isinstance(extends, str) or not ID_PATTERN.match(extends):
        found.at(ext_line, "extends", "'extends' names the tree this overlay changes, by its id")
        return None
    if base_of is None:
        message = "an overlay is read through the trees search path; use 'sharewise trees validate'"
        found.at(ext_line, "extends", message)
        return None
    base = base_of(extends)
    if isinstance(base, str):
        found.at(ext_line, "extends", base)
        return None
    if base.tree is None or not isinstance(base.data, dict):
        first = next((str(d) for d in base.errors), "")
        message = f"the tree '{extends}' ({base.path}) is not valid; fix it first" + (f": {first}" if first else "")
        found.at(ext_line, "extends", message)
        return None
    missing = [key for key in _REQUIRED if key not in data]
    if missing:
        found.at(
            lines.of(data),
            "",
            f"an overlay gives its own {', '.join(repr(k) for k in missing)}: "
            "it is local policy, owned and reviewed locally",
        )
    merge = _Merge(found, base.lines)
    merged = merge.top(base.data, data, base.tree.start)
    base_reviewed = base.tree.reviewed.isoformat()
    own_reviewed = str(data.get("reviewed", ""))
    if own_reviewed and own_reviewed < base_reviewed:
        found.warning(
            "reviewed",
            f"'{extends}' was reviewed on {base_reviewed}, after this overlay ({own_reviewed}); "
            "check the overlay against it and update 'reviewed'",
            data,
            "reviewed",
        )
    places = _overlay_places(data, lines)
    return Merged(
        merged,
        merge.lines,
        _relocator(file, places, ext_line, extends),
        merge.retired,
        base.tree.files,
    )
