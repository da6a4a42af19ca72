"""Read a tree file: parse, normalise the short forms, validate, and build a :class:`Tree`.

Every problem is collected rather than raised, so one run of ``sharewise trees validate`` reports
them all, each with its file, line and dotted place (``nodes.consent.options.no.next``).
Checks that need other trees (routes into another tree) live in :mod:`sharewise.trees.library`.
"""

from __future__ import annotations

import difflib
import gc
import hashlib
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any, Literal, cast

from sharewise.engine.conditions import Condition, ConditionError, names_and_values, parse_condition
from sharewise.errors import Diagnostic
from sharewise.formats.safetext import cut
from sharewise.formats.yamlio import LineMap, fast_load, load_yaml_text
from sharewise.model import (
    CONTINUED_FROM,
    DECISIONS,
    KINDS,
    TREE_PREFIX,
    Action,
    Citation,
    CrossRef,
    Decision,
    Kind,
    Option,
    Outcome,
    Question,
    Route,
    Source,
    Tree,
    TreeSource,
)
from sharewise.trees.loaded import TreeFile
from sharewise.trees.overlay import apply_overlay

__all__ = ["FORMAT", "LoadOptions", "load_tree_bytes", "load_tree_file", "resolve_placeholders"]

FORMAT = "sharewise-tree/1"
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
MAX_NODES = 250_000
#: The largest tree file read (a 100,000-question tree in the shipped style is about 34 MiB).
MAX_TREE_BYTES = 48 * 1024 * 1024
#: At most this many problems are listed for one file; the rest are counted in one last line.
MAX_DIAGNOSTICS = 200
#: "Did you mean" suggestions are looked for this many times per file, each among at most
#: :data:`_HINT_POOL` names, so a file full of mistakes is still checked in linear time.
MAX_SUGGESTIONS = 20
_HINT_POOL = 2000
_FREEZE_BYTES = 1 << 20  # a tree file this big (some 3,000 nodes) is frozen out of the garbage collector

_TOP_KEYS = {
    "format": True, "id": True, "title": True, "description": True, "version": True,
    "owner": True, "reviewed": True, "next_review": True, "sources": True, "start": False,
    "nodes": True, "outcomes": True,
}  # fmt: skip
_NODE_KEYS = (
    "ask", "help", "source", "section", "kind", "options", "next", "min_length", "multiline",
    "optional", "detail", "same_as", "map", "setting",
)  # fmt: skip
_OPTION_KEYS = ("label", "help", "next", "if")
SETTINGS = {"public_authority": ("yes", "no")}
SETTINGS_PREFIX = "settings."  # settings a question can be answered from, and their values
_OUTCOME_KEYS = ("decision", "title", "summary", "source", "actions", "record", "next")
_ROUTE_KEYS = ("if", "to")
_RECORD_KEYS = ("question", "if")
_ACTION_KEYS = ("text", "if")
_SOURCE_KEYS = ("title", "url")


_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([A-Za-z0-9_.-]+)\}")


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
    fast: bool = True  # allow the line-less fast parser for large, valid trees (see _FAST_FROM_BYTES)


# Trees this large are read first by the fast parser (when installed); smaller ones are quick
# to read with line numbers, so every message about them is built the one, fully-lined way.
_FAST_FROM_BYTES = 256 * 1024


def load_tree_file(path: Path, today: date | None = None, *, options: LoadOptions | None = None) -> TreeFile:
    """Read and validate the tree at ``path``; an unreadable or oversized file is reported, not raised."""
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_TREE_BYTES + 1)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        return TreeFile(path, None, [Diagnostic(str(path), None, "", f"cannot read the file: {reason}")])
    if len(raw) > MAX_TREE_BYTES:
        message = f"the file is larger than {MAX_TREE_BYTES // (1024 * 1024)} MiB, the most a tree file may be"
        return TreeFile(path, None, [Diagnostic(str(path), None, "", message)])
    return load_tree_bytes(raw, path, today, options=options)


def load_tree_bytes(
    raw: bytes, path: Path, today: date | None = None, *, options: LoadOptions | None = None
) -> TreeFile:
    """Validate a tree (or an overlay on one) from its bytes; ``today`` enables the overdue-review warning."""
    # Reading builds a large tree of new objects with no cycles to collect: pausing the cyclic
    # garbage collector meanwhile halves the time of a big tree, and for a big one, moving what was
    # built out of the collector's reach saves the one full pass it would then make over it
    # (docs/performance.md).
    paused = gc.isenabled()
    gc.disable()
    try:
        return _load_tree_bytes(raw, path, today, options)
    finally:
        if len(raw) >= _FREEZE_BYTES:
            gc.freeze()
        if paused:
            gc.enable()


def _load_tree_bytes(raw: bytes, path: Path, today: date | None, options: LoadOptions | None) -> TreeFile:
    options = options or LoadOptions(today=today)
    today = today if today is not None else options.today
    name = str(path)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return TreeFile(path, None, [Diagnostic(name, None, "", f"the file is not UTF-8 text ({exc.reason})")])
    digest = hashlib.sha256(raw).hexdigest()
    fast = fast_load(text) if options.fast and len(raw) >= _FAST_FROM_BYTES else None
    if isinstance(fast, dict) and "extends" not in fast:
        quiet: list[Diagnostic] = []
        builder = _Builder(name, LineMap(file=name), quiet, today, options=options, retired={})
        tree = builder.build(fast)
        if tree is not None and not quiet:
            result = TreeFile(path, None, [], origins=builder.origins, text=text)
            result.tree = _finish(tree, builder, path=path, name=name, digest=digest, base_files=(), options=options)
            return result
        # Something to report: read it again with the full loader, which knows every line.
    loaded = load_yaml_text(text, name)
    diags = [Diagnostic(name, p.line, p.place, p.message) for p in loaded.problems]
    if loaded.data is None and loaded.problems:
        return TreeFile(path, None, diags)
    data, lines = loaded.data, loaded.lines
    relocate: Callable[[Diagnostic], Diagnostic] | None = None
    retired: Mapping[str, tuple[str, int | None]] = {}
    base_files: tuple[TreeSource, ...] = ()
    if isinstance(data, dict) and "extends" in data:
        merged = apply_overlay(data, lines, name, options.base_of, diags)
        if merged is None:
            return TreeFile(path, None, diags)
        data, lines, relocate, retired, base_files = (
            merged.data, merged.lines, merged.relocate, merged.retired, merged.base_files
        )  # fmt: skip
    first = len(diags)
    builder = _Builder(name, lines, diags, today, options=options, retired=retired)
    tree = builder.build(data)
    builder.count_dropped()
    if relocate is not None:
        diags[first:] = [relocate(d) for d in diags[first:]]
    result = TreeFile(path, None, diags, data=data, lines=lines, origins=builder.origins, relocate=relocate)
    if tree is not None and not any(d.severity == "error" for d in diags):
        result.tree = _finish(
            tree, builder, path=path, name=name, digest=digest, base_files=base_files, options=options
        )
    return result


def _finish(
    tree: Tree,
    builder: _Builder,
    *,
    path: Path,
    name: str,
    digest: str,
    base_files: tuple[TreeSource, ...],
    options: LoadOptions,
) -> Tree:
    """The valid ``tree`` with its file and every file that shaped it, each with its digest."""
    role: Literal["base", "overlay"] = "overlay" if base_files else "base"
    own = TreeSource(path.name, None if options.shipped else name, digest, role, tree.id, tree.version)
    files = (*(f for f in base_files if f.role != "settings"), own)
    if builder.filled and options.settings_file is not None:
        files = (*files, options.settings_file)
    if len(files) > 1:  # the tree's digest then covers every file that shaped it
        summary = "".join(f"{f.role} {f.sha256} {f.name}\n" for f in files)
        digest = hashlib.sha256(summary.encode()).hexdigest()
    return replace(tree, file=path, sha256=digest, files=files)


def resolve_placeholders(text: str, values: Mapping[str, str]) -> tuple[str, list[str]]:
    """``text`` with each ``{name}`` replaced from ``values``, and the names it does not know.

    ``{{`` and ``}}`` stand for literal braces; any other brace is left as written.
    """
    unknown: list[str] = []

    def _one(match: re.Match[str]) -> str:
        whole, name = match.group(0), match.group(1)
        if name is None:
            return whole[0]
        if name in values:
            return values[name]
        unknown.append(name)
        return whole

    if "{" not in text and "}" not in text:
        return text, unknown
    return _PLACEHOLDER.sub(_one, text), unknown


def _title_case(value: str) -> str:
    words = value.replace("-", " ").replace("_", " ").strip()
    return words[:1].upper() + words[1:]


class _Builder:
    """Walks the parsed data once, normalising short forms and recording every problem."""

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
        self.file = file
        self.lines = lines
        self.diags = diags
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
        self.dropped = 0  # problems past MAX_DIAGNOSTICS, counted, not listed
        self.dropped_errors = False
        self.hints = 0
        self._targets: list[str] | None = None
        self.meant: dict[int, str | None] = {}  # a bad route's likely target, by the route's identity

    # -- reporting -------------------------------------------------------------------------
    def _push(self, diagnostic: Diagnostic) -> None:
        if len(self.diags) < MAX_DIAGNOSTICS:
            self.diags.append(diagnostic)
            return
        self.dropped += 1
        self.dropped_errors = self.dropped_errors or diagnostic.severity == "error"

    def count_dropped(self) -> None:
        """Add the line that counts the problems not listed, if any were left out."""
        if self.dropped:
            self.diags.append(
                Diagnostic(
                    self.file,
                    None,
                    "",
                    f"{self.dropped:,} more problem(s) not listed (at most {MAX_DIAGNOSTICS} are); fix these first",
                    "error" if self.dropped_errors else "warning",
                )
            )
            self.dropped = 0

    def hint(self, word: str, names: Iterable[str]) -> str | None:
        """The closest of ``names`` to ``word``, within the per-file budget for suggestions."""
        if self.hints >= MAX_SUGGESTIONS or len(word) > 64:
            return None
        self.hints += 1
        pool = list(names) if not isinstance(names, list) else names
        if len(pool) > _HINT_POOL:
            size = len(word)
            pool = [n for n in pool if n[:1] == word[:1] and abs(len(n) - size) <= 2][:_HINT_POOL]
        found = difflib.get_close_matches(word, pool, n=1, cutoff=0.6)
        return found[0] if found else None

    def error(self, place: str, message: str, container: object = None, key: str | None = None) -> None:
        self._add(place, message, container, key, "error")

    def warning(self, place: str, message: str, container: object = None, key: str | None = None) -> None:
        self._add(place, message, container, key, "warning")

    def _add(self, place: str, message: str, container: object, key: str | None, severity: str) -> None:
        file, line = self.lines.where(container, key) if container is not None else (self.file, None)
        self._push(Diagnostic(file or self.file, line, place, message, severity))  # type: ignore[arg-type]

    def _origin(self, place: str, container: object, key: str | None) -> None:
        file = self.lines.file_of(container, key)
        if file and file != self.file:
            self.origins[place] = file

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
                at or _join(place, key),
                f"unknown placeholder '{{{name}}}': {why}; write '{{{{' for a literal brace",
                container,
                key,
            )
        return filled

    def has_errors(self) -> bool:
        return self.dropped_errors or any(d.severity == "error" for d in self.diags)

    # -- small typed getters ---------------------------------------------------------------
    def keys(self, mapping: Mapping[str, Any], allowed: Iterable[str], place: str) -> None:
        allowed = tuple(allowed)
        for key in mapping:
            if key not in allowed:
                hint = self.hint(key, list(allowed))
                tip = f" (did you mean '{hint}'?)" if hint else f"; expected one of: {', '.join(allowed)}"
                self.error(_join(place, cut(key, 60)), f"unknown key '{cut(key, 60)}'{tip}", mapping, key)

    def text(self, mapping: Mapping[str, Any], key: str, place: str, required: bool = True) -> str | None:
        if key not in mapping or mapping[key] is None:
            if required:
                self.error(_join(place, key), f"'{key}' is required", mapping)
            return None
        value = mapping[key]
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            self.error(_join(place, key), f"'{key}' must be text", mapping, key)
            return None
        value = str(value).strip()
        if required and not value:
            self.error(_join(place, key), f"'{key}' must not be empty", mapping, key)
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
            self.error(_join(place, key), f"'{key}' must be true or false", mapping, key)
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

    # -- the tree --------------------------------------------------------------------------
    def build(self, data: object) -> Tree | None:
        if not isinstance(data, dict):
            self._push(Diagnostic(self.file, 1, "", "a tree file must be a mapping with 'id', 'nodes' and 'outcomes'"))
            return None
        top: Mapping[str, Any] = data
        self.keys(top, _TOP_KEYS, "")
        for key, required in _TOP_KEYS.items():
            if required and key not in top:
                self.error(key, f"'{key}' is required", top)
        fmt = self.text(top, "format", "")
        if fmt is not None and fmt != FORMAT:
            self.error(
                "format", f"unsupported format '{fmt}'; this version of sharewise reads '{FORMAT}'", top, "format"
            )
        tree_id = self.ident(top.get("id"), "id", top, "id", "the tree id") if "id" in top else None
        title = self.text(top, "title", "")
        description = self.text(top, "description", "")
        if description and "\n" in description:
            self.error("description", "'description' must be one line", top, "description")
        version = self.text(top, "version", "")
        owner = self.text(top, "owner", "")
        reviewed = self.day(top, "reviewed")
        next_review = self.day(top, "next_review")
        if reviewed and next_review and next_review < reviewed:
            self.error("next_review", "'next_review' is before 'reviewed'", top, "next_review")
        if next_review and self.today and next_review < self.today:
            self.warning(
                "next_review",
                f"the review due on {next_review.isoformat()} has passed; review the content and update the dates",
                top,
                "next_review",
            )
        self._sources(top.get("sources"), top)
        raw_nodes = self.mapping(top.get("nodes"), "nodes", top, "nodes") if "nodes" in top else None
        raw_outcomes = self.mapping(top.get("outcomes"), "outcomes", top, "outcomes") if "outcomes" in top else None
        raw_nodes = raw_nodes or {}
        raw_outcomes = raw_outcomes or {}
        if len(raw_nodes) + len(raw_outcomes) > MAX_NODES:
            self.error("nodes", f"a tree may hold at most {MAX_NODES} nodes and outcomes", top, "nodes")
            return None
        if "nodes" in top and not raw_nodes and isinstance(top.get("nodes"), dict):
            self.error("nodes", "a tree needs at least one question", top, "nodes")
        self.node_ids = {k for k in raw_nodes if ID_PATTERN.match(k)}
        self.outcome_ids = {k for k in raw_outcomes if ID_PATTERN.match(k)}
        for clash in sorted(self.node_ids & self.outcome_ids):
            self.error(
                f"outcomes.{clash}",
                f"'{clash}' is both a question and an outcome; ids must be unique",
                raw_outcomes,
                clash,
            )

        questions: dict[str, Question] = {}
        for node_id, raw in raw_nodes.items():
            question = self._question(node_id, raw, raw_nodes)
            if question is not None:
                questions[question.id] = question
        outcomes: dict[str, Outcome] = {}
        for outcome_id, raw in raw_outcomes.items():
            outcome = self._outcome(outcome_id, raw, raw_outcomes)
            if outcome is not None:
                outcomes[outcome.id] = outcome
        if "outcomes" in top and not raw_outcomes and isinstance(top.get("outcomes"), dict):
            self.error("outcomes", "a tree needs at least one outcome", top, "outcomes")

        start = None
        start_routes: tuple[Route, ...] = ()
        if isinstance(top.get("start"), list):
            start_routes = self._routes(top["start"], "start", top, "start")
            start = self._check_start(start_routes, raw_nodes)
        elif "start" in top:
            start = self.ident(top["start"], "start", top, "start", "'start'")
            if start is not None and start not in raw_nodes:
                self.error("start", f"'start' names '{start}', which is not a question in 'nodes'", top, "start")
                start = None
        elif raw_nodes:
            start = next(iter(raw_nodes))

        self._check_conditions(questions)
        self._check_routes(questions, outcomes, raw_nodes, raw_outcomes)
        if start is not None and start in questions:
            roots = [start, *(r.target for r in start_routes if r.target in questions)]
            self._check_graph(roots, questions, outcomes, raw_nodes, raw_outcomes)

        if self.has_errors() or None in (tree_id, title, description, version, owner, reviewed, next_review, start):
            return None
        return Tree(
            id=cast(str, tree_id),
            title=cast(str, title),
            description=cast(str, description),
            version=cast(str, version),
            owner=cast(str, owner),
            reviewed=cast(date, reviewed),
            next_review=cast(date, next_review),
            sources=self.sources,
            start=cast(str, start),
            questions=questions,
            outcomes=outcomes,
            start_routes=start_routes,
            refs=tuple(self.refs),
            settings=self.settings,
        )

    def _check_start(self, routes: tuple[Route, ...], raw_nodes: Mapping[str, Any]) -> str | None:
        """The default start of a conditional ``start``; every target must be a question here."""
        for route in routes:
            if route.tree is not None or route.target not in raw_nodes:
                self._route_error(route, f"'start' can lead only to a question in 'nodes', not '{route.target}'")
                return None
        return routes[-1].target if routes else None

    def _sources(self, raw: object, top: Mapping[str, Any]) -> None:
        if "sources" not in top:
            return
        sources = self.mapping(raw, "sources", top, "sources")
        if sources is None:
            return
        if not sources:
            self.error("sources", "list at least one source the tree cites", top, "sources")
        for ref, spec in sources.items():
            place = f"sources.{ref}"
            if self.ident(ref, place, sources, ref, "a source ref") is None:
                continue
            if isinstance(spec, str):
                self.sources[ref] = Source(ref, spec.strip())
                continue
            body = self.mapping(spec, place, sources, ref)
            if body is None:
                continue
            self.keys(body, _SOURCE_KEYS, place)
            title = self.text(body, "title", place)
            url = self.text(body, "url", place, required=False)
            if url and not url.startswith(("https://", "http://")):
                self.error(f"{place}.url", "'url' must start with https:// or http://", body, "url")
            if title:
                self.sources[ref] = Source(ref, title, url or None)

    def _citation(self, mapping: Mapping[str, Any], place: str, required: bool) -> Citation | None:
        raw = self.text(mapping, "source", place, required=required)
        if raw is None:
            return None
        # Several citations are separated by ';' where the next one starts with a listed ref, so a
        # ';' inside a section ("principles (adequate; accurate)") stays part of that section.
        refs = "|".join(re.escape(r) for r in sorted(self.sources, key=len, reverse=True))
        parts = re.split(rf";\s*(?=(?:{refs})(?:\s|$))", raw) if refs else [raw]
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

    def _question(self, node_id: str, raw: object, container: Mapping[str, Any]) -> Question | None:
        place = f"nodes.{node_id}"
        ok = self.ident(node_id, place, container, node_id, "a question id") is not None
        body = self.mapping(raw, place, container, node_id)
        if body is None or not ok:
            return None
        self.keys(body, _NODE_KEYS, place)
        self._origin(place, container, node_id)
        ask = self.words(self.text(body, "ask", place), place, body, "ask")
        help_text = self.words(self.text(body, "help", place), place, body, "help")
        source = self._citation(body, place, required=True)
        section = self.text(body, "section", place, required=False)
        kind_raw = body.get("kind", "choice" if "options" in body else None)
        kind: Kind | None = None
        if kind_raw is None:
            self.error(
                f"{place}.kind",
                f"say what kind of answer this is: 'kind' one of {', '.join(KINDS)}, or give 'options'",
                body,
            )
        elif kind_raw not in KINDS:
            self.error(f"{place}.kind", f"unknown kind '{kind_raw}'; expected one of: {', '.join(KINDS)}", body, "kind")
        else:
            kind = cast(Kind, kind_raw)
        node_routes = self._routes(body.get("next"), f"{place}.next", body, "next") if "next" in body else ()
        options: tuple[Option, ...] = ()
        if kind in ("choice", "multi"):
            if "options" not in body:
                self.error(f"{place}.options", f"a '{kind}' question needs 'options'", body)
            else:
                options = self._options(body["options"], place, body, kind == "choice", node_routes)
        elif "options" in body and kind is not None:
            self.error(f"{place}.options", f"a '{kind}' question takes no 'options'", body, "options")
        if kind == "choice" and options:
            routed = [o for o in options if o.routes]
            if routed and len(routed) != len(options) and not node_routes:
                for option in options:
                    if not option.routes:
                        self.error(
                            f"{place}.options.{option.value}.next",
                            "this option has no 'next', and the question has no 'next' to fall back on",
                            body.get("options"),
                            option.value,
                        )
        min_length = 0
        if "min_length" in body:
            value = body["min_length"]
            if kind != "text":
                self.error(f"{place}.min_length", "'min_length' applies only to 'text' questions", body, "min_length")
            elif isinstance(value, bool) or not isinstance(value, int) or value < 0:
                self.error(f"{place}.min_length", "'min_length' must be a whole number, 0 or more", body, "min_length")
            else:
                min_length = value
        multiline = self.flag(body, "multiline", place)
        if multiline and kind != "text":
            self.error(f"{place}.multiline", "'multiline' applies only to 'text' questions", body, "multiline")
        optional = self.flag(body, "optional", place)
        if optional and kind not in ("text", "multi", "date"):
            self.error(
                f"{place}.optional", "only 'text', 'multi' and 'date' questions can be optional", body, "optional"
            )
        detail = None
        if "detail" in body:
            detail = self.ident(body["detail"], f"{place}.detail", body, "detail", "'detail'")
        same_as, carry_map = self._same_as(node_id, body, place)
        setting, preset = self._setting(body, place, options)
        if node_id == CONTINUED_FROM:
            self.error(
                place, f"'{CONTINUED_FROM}' is kept for conditions; give the question another id", container, node_id
            )
        if None in (ask, help_text, source, kind):
            return None
        return Question(
            id=node_id,
            ask=cast(str, ask),
            help=cast(str, help_text),
            source=cast(Citation, source),
            kind=cast(Kind, kind),
            section=section,
            options=options,
            routes=() if kind == "choice" else node_routes,
            min_length=min_length,
            multiline=multiline,
            optional=optional,
            detail=detail,
            line=self.lines.of(container, node_id),
            same_as=same_as,
            carry_map=carry_map,
            setting=setting,
            preset=preset,
        )

    def _setting(
        self, body: Mapping[str, Any], place: str, options: tuple[Option, ...]
    ) -> tuple[str | None, str | None]:
        """``setting: NAME``: the settings file can answer this question; the value it gives, if any."""
        if "setting" not in body:
            return None, None
        name = body["setting"]
        if not isinstance(name, str) or name not in SETTINGS:
            known = ", ".join(SETTINGS)
            self.error(f"{place}.setting", f"'setting' names a setting a question can take: {known}", body, "setting")
            return None, None
        values = {o.value for o in options}
        missing = [v for v in SETTINGS[name] if v not in values]
        if missing:
            self.error(
                f"{place}.setting",
                f"a question answered by '{name}' needs the options {', '.join(SETTINGS[name])} "
                f"(missing: {', '.join(missing)})",
                body,
                "setting",
            )
            return None, None
        preset = self.options.placeholders.get(name)
        if preset is not None:
            self.filled = True
        return name, preset

    def _same_as(
        self, node_id: str, body: Mapping[str, Any], place: str
    ) -> tuple[tuple[str, str] | None, tuple[tuple[str, str], ...]]:
        """``same_as: TREE.QUESTION`` and its optional ``map`` of giving values to this question's."""
        if "same_as" not in body:
            if "map" in body:
                self.error(f"{place}.map", "'map' applies only to a question with 'same_as'", body, "map")
            return None, ()
        raw = body["same_as"]
        parts = raw.split(".") if isinstance(raw, str) else []
        if len(parts) != 2 or not all(ID_PATTERN.match(p) for p in parts):
            self.error(
                f"{place}.same_as",
                "'same_as' names another tree's question as TREE.QUESTION, for example when-to-share.consent",
                body,
                "same_as",
            )
            return None, ()
        pairs: list[tuple[str, str]] = []
        if "map" in body:
            spec = self.mapping(body["map"], f"{place}.map", body, "map")
            for giving, mine in (spec or {}).items():
                if not (isinstance(mine, str) and ID_PATTERN.match(mine) and ID_PATTERN.match(str(giving))):
                    self.error(
                        f"{place}.map.{giving}",
                        "each entry of 'map' is GIVING-VALUE: THIS-QUESTION'S-VALUE",
                        spec,
                        giving,
                    )
                    continue
                pairs.append((str(giving), mine))
        self._origin(f"{place}.same_as", body, "same_as")
        self.refs.append(
            CrossRef(
                "same_as",
                parts[0],
                parts[1],
                (),  # the values are checked from the question's own map
                f"{place}.same_as",
                self.lines.of(body, "same_as"),
                owner=node_id,
            )
        )
        return (parts[0], parts[1]), tuple(pairs)

    def _options(
        self, raw: object, place: str, body: Mapping[str, Any], routed: bool, fallback: tuple[Route, ...]
    ) -> tuple[Option, ...]:
        oplace = f"{place}.options"
        if isinstance(raw, list):
            # Anything but a word is named by its kind and position, never formatted whole (it may be huge).
            raw = {
                str(v) if isinstance(v, (str, int)) and not isinstance(v, bool) else f"({type(v).__name__} {n})": None
                for n, v in enumerate(raw, start=1)
            }
            if len(raw) != len(body["options"]):
                self.error(oplace, "an option value is given twice", body, "options")
        spec = self.mapping(raw, oplace, body, "options")
        if spec is None:
            return ()
        if not spec:
            self.error(oplace, "give at least one option", body, "options")
        options: list[Option] = []
        for value, item in spec.items():
            vplace = f"{oplace}.{value}"
            if self.ident(value, vplace, spec, value, "an option value") is None:
                continue
            label, help_text = _title_case(value), None
            offered_if: tuple[Condition, str] | tuple[None, None] = (None, None)
            routes: tuple[Route, ...] = ()
            if isinstance(item, (str, list)):
                routes = self._routes(item, vplace, spec, value) if routed else ()
                if not routed:
                    self.error(
                        vplace, "options of a 'multi' question cannot route; give 'next' on the question", spec, value
                    )
            elif isinstance(item, dict):
                self.keys(item, _OPTION_KEYS, vplace)
                label = self.words(self.text(item, "label", vplace, required=False), vplace, item, "label") or label
                help_text = self.words(self.text(item, "help", vplace, required=False), vplace, item, "help")
                if "if" in item:
                    cond_text = self.text(item, "if", vplace)
                    if cond_text is not None:
                        condition = self._condition(cond_text, f"{vplace}.if", item, "if")
                        if condition is not None:
                            offered_if = (condition, cond_text)
                if "next" in item:
                    if routed:
                        routes = self._routes(item["next"], f"{vplace}.next", item, "next")
                    else:
                        self.error(
                            f"{vplace}.next",
                            "options of a 'multi' question cannot route; give 'next' on the question",
                            item,
                            "next",
                        )
            elif item is not None:
                self.error(vplace, "an option is a target id, or a mapping with label, help and next", spec, value)
            options.append(Option(value, label, help_text, routes or (fallback if routed else ()), *offered_if))
        if options and all(o.condition is not None for o in options):
            self.error(
                oplace, "at least one option must have no 'if', so there is always an answer to give", body, "options"
            )
        return tuple(options)

    def _routes(self, raw: object, place: str, container: object, key: str | None) -> tuple[Route, ...]:
        line = self.lines.of(container, key)
        if isinstance(raw, str):
            self._origin(place, container, key)
            return (Route(raw.strip(), place=place, line=line),)
        if not isinstance(raw, list) or not raw:
            self.error(
                place, "a route is an id, 'tree:ID', or a list of {if, to} ending with a plain {to}", container, key
            )
            return ()
        routes: list[Route] = []
        for index, item in enumerate(raw):
            iplace = f"{place}[{index}]"
            body = self.mapping(item, iplace, container, key)
            if body is None:
                continue
            self.keys(body, _ROUTE_KEYS, iplace)
            target = self.text(body, "to", iplace)
            last = index == len(raw) - 1
            condition = condition_text = None
            if "if" in body:
                if last:
                    self.error(
                        f"{iplace}.if",
                        "the last route must have no 'if': it is the default when nothing else holds",
                        body,
                        "if",
                    )
                condition_text = self.text(body, "if", iplace)
                if condition_text is not None:
                    condition = self._condition(condition_text, f"{iplace}.if", body, "if")
            elif not last:
                self.error(iplace, "only the last route may leave out 'if'; routes after it could never be taken", body)
            if target is not None:
                self._origin(f"{iplace}.to", body, "to")
                routes.append(Route(target, condition, condition_text, f"{iplace}.to", self.lines.of(body, "to")))
        return tuple(routes)

    def _condition(self, text: str, place: str, container: Mapping[str, Any], key: str) -> Condition | None:
        try:
            parsed = parse_condition(text)
        except ConditionError as exc:
            self.error(place, f"the condition does not parse: {exc}", container, key)
            return None
        self.conditions.append((parsed, place, container, key))
        return parsed

    def _outcome(self, outcome_id: str, raw: object, container: Mapping[str, Any]) -> Outcome | None:
        place = f"outcomes.{outcome_id}"
        ok = self.ident(outcome_id, place, container, outcome_id, "an outcome id") is not None
        body = self.mapping(raw, place, container, outcome_id)
        if body is None or not ok:
            return None
        self.keys(body, _OUTCOME_KEYS, place)
        decision = body.get("decision")
        if decision is None:
            self.error(f"{place}.decision", f"an outcome needs a 'decision': one of {', '.join(DECISIONS)}", body)
        elif decision not in DECISIONS:
            self.error(
                f"{place}.decision",
                f"unknown decision '{decision}'; expected one of: {', '.join(DECISIONS)}",
                body,
                "decision",
            )
            decision = None
        title = self.words(self.text(body, "title", place), place, body, "title")
        summary = self.words(self.text(body, "summary", place), place, body, "summary")
        source = self._citation(body, place, required=False) if "source" in body else None
        actions: list[Action] = []
        raw_actions = body.get("actions", [])
        if not isinstance(raw_actions, list):
            self.error(f"{place}.actions", "'actions' must be a list", body, "actions")
            raw_actions = []
        for index, item in enumerate(raw_actions):
            aplace = f"{place}.actions[{index}]"
            if isinstance(item, str) and item.strip():
                actions.append(Action(cast(str, self.words(item.strip(), aplace, body, "actions", at=aplace))))
                continue
            action = self.mapping(item, aplace, body, "actions")
            if action is None:
                continue
            self.keys(action, _ACTION_KEYS, aplace)
            text = self.text(action, "text", aplace)
            cond_text = self.text(action, "if", aplace, required=False)
            cond = self._condition(cond_text, f"{aplace}.if", action, "if") if cond_text else None
            if text:
                actions.append(Action(cast(str, self.words(text, aplace, action, "text")), cond, cond_text))
        record: list[str] = []
        record_if: list[tuple[str, Condition]] = []
        raw_record = body.get("record", [])
        if isinstance(raw_record, str):
            raw_record = [raw_record]
        if not isinstance(raw_record, list):
            self.error(f"{place}.record", "'record' must be a list of question ids", body, "record")
            raw_record = []
        for index, item in enumerate(raw_record):
            rplace = f"{place}.record[{index}]"
            if isinstance(item, dict):
                self.keys(item, _RECORD_KEYS, rplace)
                qid = self.ident(item.get("question"), f"{rplace}.question", item, "question", "a record question id")
                cond_text = self.text(item, "if", rplace)
                cond = self._condition(cond_text, f"{rplace}.if", item, "if") if cond_text else None
                if qid is not None and cond is not None:
                    record.append(qid)
                    record_if.append((qid, cond))
                continue
            qid = self.ident(item, rplace, body, "record", "a record question id")
            if qid is not None:
                record.append(qid)
        continues = None
        if "next" in body:
            raw_next = body["next"]
            if not (isinstance(raw_next, str) and raw_next.strip().startswith(TREE_PREFIX)):
                self.error(
                    f"{place}.next",
                    "an outcome's 'next' can only hand the decision on to another tree: 'tree:ID'",
                    body,
                    "next",
                )
            else:
                continues = raw_next.strip()[len(TREE_PREFIX) :]
                if not ID_PATTERN.match(continues):
                    self.error(
                        f"{place}.next",
                        f"'{raw_next}' does not name a tree: write 'tree:' then the tree id",
                        body,
                        "next",
                    )
                    continues = None
                elif record:
                    self.error(
                        f"{place}.record",
                        "an outcome that hands on to another tree asks no record questions; ask them in that tree",
                        body,
                        "record",
                    )
            self._origin(f"{place}.next", body, "next")
        if None in (decision, title, summary):
            return None
        return Outcome(
            outcome_id,
            cast(Decision, decision),
            cast(str, title),
            cast(str, summary),
            tuple(actions),
            tuple(record),
            source,
            continues,
            f"{place}.next",
            self.lines.of(body, "next") if continues else self.lines.of(container, outcome_id),
            tuple(record_if),
        )

    # -- cross-references inside the tree ---------------------------------------------------
    def _check_conditions(self, questions: Mapping[str, Question]) -> None:
        for parsed, place, container, key in self.conditions:
            for name, values in names_and_values(parsed):
                if name.startswith(SETTINGS_PREFIX):
                    self._setting_condition(name, values, place, container, key)
                    continue
                if name == CONTINUED_FROM or "." in name:
                    self._external(name, values, place, container, key)
                    continue
                question = questions.get(name)
                if question is None:
                    if name not in self.node_ids:
                        self.error(
                            place, f"the condition names '{name}', which is not a question in this tree", container, key
                        )
                    continue
                if question.options:
                    for value in values:
                        if question.option(value) is None:
                            allowed = ", ".join(o.value for o in question.options)
                            self.error(
                                place, f"'{name}' has no option '{value}' (its options: {allowed})", container, key
                            )

    def _setting_condition(
        self, name: str, values: tuple[str, ...], place: str, container: Mapping[str, Any], key: str
    ) -> None:
        """A condition on a setting, such as ``settings.public_authority == 'yes'``."""
        setting = name[len(SETTINGS_PREFIX) :]
        allowed = SETTINGS.get(setting)
        if allowed is None:
            self.error(
                place, f"no setting called '{setting}'; a condition can name: {', '.join(SETTINGS)}", container, key
            )
            return
        for value in values:
            if value not in allowed:
                self.error(place, f"'{name}' is {' or '.join(allowed)}, never '{value}'", container, key)
        given = self.options.placeholders.get(setting)
        if given is not None:
            self.settings[setting] = given
            self.filled = True

    def _external(self, name: str, values: tuple[str, ...], place: str, container: Mapping[str, Any], key: str) -> None:
        """Note a condition's reference to another tree, for the library to check."""
        self._origin(place, container, key)
        line = self.lines.of(container, key)
        if name == CONTINUED_FROM:
            for value in values:
                self.refs.append(CrossRef("from", value, None, (), place, line))
            return
        tree_id, _, qid = name.partition(".")
        self.refs.append(CrossRef("answer", tree_id, qid, values, place, line))

    def _check_routes(
        self,
        questions: Mapping[str, Question],
        outcomes: Mapping[str, Outcome],
        raw_nodes: Mapping[str, Any],
        raw_outcomes: Mapping[str, Any],
    ) -> None:
        for question in questions.values():
            for route in _question_routes(question):
                target = route.target
                if route.tree is not None:
                    if not ID_PATTERN.match(route.tree):
                        self._route_error(route, f"'{target}' does not name a tree: write 'tree:' then the tree id")
                    continue
                if target in raw_outcomes or target in outcomes:
                    continue
                if target not in raw_nodes:
                    if target in self.retired:
                        file, line = self.retired[target]
                        where = f"{file}:{line}" if line else file
                        self._route_error(route, f"'{target}' is retired (at {where}); point this route somewhere else")
                        continue
                    if self._targets is None:
                        self._targets = [*raw_nodes, *raw_outcomes]
                    known = self.hint(target, self._targets)
                    tip = f" (did you mean '{known}'?)" if known else ""
                    # The reachability check then follows the route as it was surely meant, so one
                    # typo gives one error; with no likely target it says nothing of what it cuts off.
                    self.meant[id(route)] = known
                    self._route_error(route, f"no question or outcome called '{cut(target, 80)}'{tip}")
                elif target in questions and questions[target].is_record_question:
                    self._route_error(route, f"'{target}' has no 'next'; a route cannot lead to a record question")
        for outcome in outcomes.values():
            for index, qid in enumerate(outcome.record):
                place = f"outcomes.{outcome.id}.record[{index}]"
                container = raw_outcomes.get(outcome.id)
                if qid not in raw_nodes:
                    retired = self.retired.get(qid)
                    why = f" ('{qid}' is retired at {retired[0]}:{retired[1]})" if retired else ""
                    self.error(place, f"no question called '{qid}'{why}", container, "record")
                elif qid in questions and not questions[qid].is_record_question:
                    self.error(
                        place,
                        f"'{qid}' has a 'next'; list only record questions (no 'next') under 'record'",
                        container,
                        "record",
                    )
        asked_by_outcomes = {qid for o in outcomes.values() for qid in o.record}
        for question in questions.values():
            if question.is_record_question and question.id not in asked_by_outcomes:
                self.error(
                    f"nodes.{question.id}",
                    "this question has no 'next' and no outcome lists it under 'record', so it would never be asked",
                    raw_nodes,
                    question.id,
                )

    def _route_error(self, route: Route, message: str) -> None:
        self._push(Diagnostic(self.origins.get(route.place, self.file), route.line, route.place, message))

    def _check_graph(
        self,
        roots: list[str],
        questions: Mapping[str, Question],
        outcomes: Mapping[str, Outcome],
        raw_nodes: Mapping[str, Any],
        raw_outcomes: Mapping[str, Any],
    ) -> None:
        meant = self.meant
        edges: dict[str, list[str]] = {
            qid: [meant.get(id(r)) or r.target for r in _question_routes(q) if r.tree is None]
            for qid, q in questions.items()
        }
        # Reachability: outcomes pull in their record questions.
        start = roots[0]
        reached: set[str] = set()
        stack = list(roots)
        while stack:
            current = stack.pop()
            if current in reached:
                continue
            reached.add(current)
            if current in edges:
                stack.extend(edges[current])
            elif current in outcomes:
                stack.extend(outcomes[current].record)
        # After a route to nowhere, what it cuts off is found once it is mended: no follow-on errors.
        lost = any(target is None for target in meant.values())
        for node_id in raw_nodes if not lost else ():
            if node_id not in reached and node_id in questions:
                self.error(
                    f"nodes.{node_id}", f"no path from the start ('{start}') reaches this question", raw_nodes, node_id
                )
        for outcome_id in raw_outcomes if not lost else ():
            if outcome_id not in reached and outcome_id in outcomes:
                self.error(
                    f"outcomes.{outcome_id}",
                    f"no path from the start ('{start}') reaches this outcome",
                    raw_outcomes,
                    outcome_id,
                )
        self._check_cycles(start, edges, raw_nodes)

    def _check_cycles(self, start: str, edges: Mapping[str, list[str]], raw_nodes: Mapping[str, Any]) -> None:
        white, grey, black = 0, 1, 2
        colour = dict.fromkeys(edges, white)
        reported: set[frozenset[str]] = set()
        for root in [start, *edges]:
            if colour.get(root) != white:
                continue
            colour[root] = grey
            path = [root]
            iters = [iter(edges[root])]
            while iters:
                nxt = next(iters[-1], None)
                if nxt is None:
                    colour[path.pop()] = black
                    iters.pop()
                    continue
                state = colour.get(nxt)
                if state is None or state == black:
                    continue
                if state == grey:
                    loop = path[path.index(nxt) :]
                    key = frozenset(loop)
                    if key not in reported:
                        reported.add(key)
                        shown = (
                            " -> ".join([*loop, nxt])
                            if len(loop) <= 12
                            else " -> ".join([*loop[:6], f"... {len(loop) - 11} more ...", *loop[-5:], nxt])
                        )
                        self.error(f"nodes.{nxt}", f"the routes form a loop: {shown}", raw_nodes, nxt)
                    continue
                colour[nxt] = grey
                path.append(nxt)
                iters.append(iter(edges[nxt]))


def _question_routes(question: Question) -> list[Route]:
    routes = list(question.routes)
    seen = {id(r) for r in routes}
    for option in question.options:
        for route in option.routes:
            if id(route) not in seen:
                seen.add(id(route))
                routes.append(route)
    return routes


def _join(place: str, key: str) -> str:
    return f"{place}.{key}" if place else key
