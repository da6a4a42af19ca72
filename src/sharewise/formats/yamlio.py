"""Safe YAML loading that keeps line numbers and reads words as words.

Tree authors write ``yes:`` and ``no:`` as option values, dates and versions as plain text. YAML
1.1 would turn those into booleans, dates and floats, so the loader recognises only ``true`` and
``false`` as booleans, plain decimal integers and ``null``; everything else stays a string.

Every mapping the loader builds is remembered with the line of each of its keys, so validation can
name the line of any place in the tree without a second parse. Duplicate keys, which plain PyYAML
silently drops, are collected as problems.

Documents come from elsewhere (other organisations' trees, exports from other systems), so each is
bounded before any data is built from it: nesting at most :data:`MAX_DEPTH` deep, aliases repeating
at most :data:`MAX_ALIAS_VALUES` values, no alias inside what it names, and integers of at most
:data:`MAX_INT_DIGITS` digits (longer ones stay text). Going over a bound is a problem on its line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    import yaml

# PyYAML itself is imported by the functions that parse (about 10 ms): a command whose trees come
# from the tree cache (sharewise.trees.cache) and that reads no YAML file never needs it.

__all__ = [
    "MAX_ALIAS_VALUES",
    "MAX_DEPTH",
    "MAX_INT_DIGITS",
    "TOO_DEEP",
    "LineMap",
    "Loaded",
    "NodeBounds",
    "YamlProblem",
    "data_problem",
    "depth_problem",
    "load_plain",
    "load_yaml_text",
    "node_problem",
]

#: The deepest nesting of mappings and lists any document sharewise reads may have (a tree needs
#: about ten levels, an answers file four). Deeper input is refused with its line, not a crash.
MAX_DEPTH = 100
#: Anchors and aliases (``&name``, ``*name``) may repeat at most this many values in all. A few
#: hundred bytes of nested aliases can otherwise stand for billions of values (an "alias bomb").
MAX_ALIAS_VALUES = 100_000
#: Integers are read as numbers up to this many digits; longer runs of digits stay text, so no
#: input reaches Python's limit on converting very long integers.
MAX_INT_DIGITS = 18
TOO_DEEP = f"nested too deeply (more than {MAX_DEPTH} levels of lists and mappings)"


def _base_loader() -> type[yaml.SafeLoader]:
    """libyaml's parser, several times faster, or PyYAML's own where libyaml is not built."""
    import yaml

    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


_BOOL = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_INT = re.compile(rf"^[-+]?(?:0|[1-9][0-9]{{0,{MAX_INT_DIGITS - 1}}})$")
_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_STR = "tag:yaml.org,2002:str"
#: What a plain (unquoted) true/false, whole number or null can start with; the empty text is null.
BOOL_FIRST, INT_FIRST, NULL_FIRST = tuple("tTfF"), tuple("-+0123456789"), ("~", "n", "N", "")


@dataclass(frozen=True)
class YamlProblem:
    """A syntax error or duplicate key found while reading YAML."""

    line: int
    message: str
    place: str = ""


@dataclass
class LineMap:
    """Line numbers of mapping keys, looked up by the identity of the dict that holds them.

    A map read from one file names that file in ``file``. A map built by merging data from several
    files (a tree overlay on its base) also records, per mapping and per key, which file it came
    from, so a problem is reported against the file an author can edit.
    """

    _by_dict: dict[int, tuple[int, dict[str, int]]] = field(default_factory=dict)
    file: str = ""
    _files: dict[int, tuple[str, dict[str, str]]] = field(default_factory=dict)
    _keep: list[object] = field(default_factory=list)

    def add(self, mapping: dict[Any, Any], line: int, key_lines: dict[str, int]) -> None:
        self._by_dict[id(mapping)] = (line, key_lines)

    def move(self, mapping: dict[Any, Any], line: int) -> None:
        entry = self._by_dict.get(id(mapping))
        if entry is not None:
            self._by_dict[id(mapping)] = (line, entry[1])

    def of(self, mapping: object, key: str | None = None) -> int | None:
        """Line of ``key`` in ``mapping`` (or of the mapping itself when ``key`` is None)."""
        entry = self._by_dict.get(id(mapping))
        if entry is None:
            return None
        line, keys = entry
        if key is None:
            return line
        return keys.get(key, line)

    @property
    def merged(self) -> bool:
        """Whether any mapping came from another file than :attr:`file` (see :meth:`place`)."""
        return bool(self._files)

    def file_of(self, mapping: object, key: str | None = None) -> str:
        """The file that gave ``key`` of ``mapping`` (or the mapping itself when ``key`` is None)."""
        entry = self._files.get(id(mapping))
        if entry is None:
            return self.file
        file, keys = entry
        return file if key is None else keys.get(key, file)

    def where(self, mapping: object, key: str | None = None) -> tuple[str, int | None]:
        """``(file, line)`` of ``key`` in ``mapping``."""
        return self.file_of(mapping, key), self.of(mapping, key)

    def place(
        self,
        mapping: dict[Any, Any],
        line: int | None,
        file: str,
        key_lines: dict[str, int],
        key_files: dict[str, str] | None = None,
    ) -> None:
        """Record a mapping built from (possibly) several files; the map keeps it alive."""
        self._by_dict[id(mapping)] = (line or 0, key_lines)
        self._files[id(mapping)] = (file, key_files or {})
        self._keep.append(mapping)

    def portable(self, data: Any) -> tuple[list[tuple[Any, Any]], list[tuple[Any, Any]], list[object]]:
        """What this map knows of the mappings in ``data`` (and those it keeps alive itself), held
        against the mappings rather than their identities: see :meth:`from_portable`."""
        known: dict[int, object] = {id(kept): kept for kept in self._keep}
        stack: list[Any] = [data, *self._keep]
        while stack:
            value = stack.pop()
            if isinstance(value, dict):
                known[id(value)] = value
                stack.extend(value.values())
            elif isinstance(value, list):
                stack.extend(value)
        by_mapping = [(known[key], entry) for key, entry in self._by_dict.items() if key in known]
        files = [(known[key], entry) for key, entry in self._files.items() if key in known]
        return by_mapping, files, list(self._keep)

    @classmethod
    def from_portable(
        cls, file: str, by_mapping: list[tuple[Any, Any]], files: list[tuple[Any, Any]], keep: list[object]
    ) -> LineMap:
        """The map :meth:`portable` described, for the same mappings (after a copy, new objects)."""
        lines = cls(file=file)
        lines._by_dict = {id(mapping): entry for mapping, entry in by_mapping}
        lines._files = {id(mapping): entry for mapping, entry in files}
        lines._keep = list(keep)
        return lines

    def adopt(self, mapping: dict[Any, Any], other: LineMap) -> None:
        """Copy what ``other`` knows of ``mapping`` (read from another file) into this map."""
        entry = other._by_dict.get(id(mapping))
        if entry is None:
            return
        file, keys = other._files.get(id(mapping), (other.file, {}))
        self.place(mapping, entry[0], file, entry[1], keys)


@dataclass
class Loaded:
    """The plain data of a YAML document, with its line map and any problems."""

    data: Any
    lines: LineMap
    problems: list[YamlProblem]


def _build_loader(lines: LineMap, problems: list[YamlProblem]) -> type[yaml.SafeLoader]:
    import yaml

    scalar_node = yaml.ScalarNode

    class _Loader(_base_loader()):  # type: ignore[misc]
        # Replaced, not extended: only the resolvers added below apply (yes/no stay words).
        yaml_implicit_resolvers: ClassVar[dict[str, list[tuple[str, re.Pattern[str]]]]] = {}

        def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:  # noqa: ARG002 - values are always built deep
            pairs = node.value
            for key_node, _ in pairs:  # merge keys (<<) and '=' keys need PyYAML's flattening first
                if key_node.tag != _STR:
                    self.flatten_mapping(node)
                    pairs = node.value
                    break
            result: dict[Any, Any] = {}
            key_lines: dict[str, int] = {}
            for key_node, value_node in pairs:
                line = key_node.start_mark.line + 1
                # Plain text is most of a tree: take it straight from the node (what construct_object
                # would return for it), which cuts the time to read a large tree by about a third.
                if key_node.tag == _STR and type(key_node) is scalar_node:
                    skey = key_node.value
                else:
                    key = self.construct_object(key_node, deep=True)
                    if not isinstance(key, (str, int, bool)) and key is not None:
                        problems.append(YamlProblem(line, "a key must be a plain word"))
                        continue
                    skey = str(key) if not isinstance(key, str) else key
                if skey in key_lines:
                    problems.append(
                        YamlProblem(line, f"duplicate key '{skey}' (first given on line {key_lines[skey]})", place=skey)
                    )
                    continue
                key_lines[skey] = line
                if value_node.tag == _STR and type(value_node) is scalar_node:
                    result[skey] = value_node.value
                    continue
                value = self.construct_object(value_node, deep=True)
                if isinstance(value, dict):
                    lines.move(value, line)  # a missing key is reported on its parent's line
                result[skey] = value
            lines.add(result, node.start_mark.line + 1, key_lines)
            return result

        def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
            """PyYAML's ``Resolver.resolve``, for a loader with implicit resolvers and no path resolvers.

            The parser asks this of every node; the general version costs more than the rest of
            reading a scalar.
            """
            if kind is yaml.ScalarNode:
                if implicit[0]:
                    for tag, regexp in self.yaml_implicit_resolvers.get(value[0] if value else "", ()):
                        if regexp.match(value):
                            return tag
                return _STR
            return super().resolve(kind, value, implicit)

    _Loader.add_implicit_resolver("tag:yaml.org,2002:bool", _BOOL, list(BOOL_FIRST))
    _Loader.add_implicit_resolver("tag:yaml.org,2002:int", _INT, list(INT_FIRST))
    _Loader.add_implicit_resolver("tag:yaml.org,2002:null", _NULL, list(NULL_FIRST))

    def _mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
        return loader.construct_mapping(node)

    def _timestamp_as_text(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> str:
        return str(loader.construct_scalar(node))

    _Loader.add_constructor("tag:yaml.org,2002:map", _mapping)
    _Loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_as_text)
    _Loader.add_constructor("tag:yaml.org,2002:float", _timestamp_as_text)
    return _Loader


def load_yaml_text(text: str | bytes, source: Path | str = "<text>") -> Loaded:
    """Parse one YAML document safely; syntax errors become problems, never exceptions."""
    # With no '*' anywhere in the text there is no alias, so nothing repeats and nothing loops.
    aliased = "*" in text if isinstance(text, str) else b"*" in text
    if not aliased:
        plain = load_plain(text, source)
        if plain is not None:
            return plain
    return _load_composed(text, source, aliased=aliased)


def _load_composed(text: str | bytes, source: Path | str, *, aliased: bool) -> Loaded:
    """The document composed into nodes, bounded, then built (any document, with its problems)."""
    import yaml

    lines = LineMap(file=str(source))
    problems: list[YamlProblem] = []
    loader_cls = _build_loader(lines, problems)
    try:
        loader = loader_cls(text)
    except UnicodeEncodeError as exc:  # text with a lone surrogate (from a caller that decoded leniently)
        line = text[: exc.start].count("\n") + 1 if isinstance(text, str) else 1
        return Loaded(
            None, lines, [YamlProblem(line, "YAML error: this line holds a character that is not valid text")]
        )
    try:
        node = loader.get_single_node()
        # Without an alias only the depth needs checking, a third of the time of the whole check.
        bounded = None if node is None else node_problem(node) if aliased else depth_problem(node)
        if bounded is not None:
            problems.append(YamlProblem(*bounded))
            data = None
        else:
            data = loader.construct_document(node) if node is not None else None
    except RecursionError:  # pragma: no cover - node_problem refuses such depth first
        problems.append(YamlProblem(1, f"the document is {TOO_DEEP}"))
        data = None
    except yaml.MarkedYAMLError as exc:
        problems.append(_syntax_problem(exc, text))
        data = None
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow in a file, such as ESC
        code = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1] or "?")
        line = text[: exc.position].count("\n" if isinstance(text, str) else b"\n") + 1  # type: ignore[arg-type]
        problems.append(
            YamlProblem(
                line,
                f"YAML error: this line holds a control character (code 0x{code:02x}), which YAML does not allow "
                "in a file; remove it (pasted text often brings one)",
            )
        )
        data = None
    except yaml.YAMLError as exc:
        problems.append(YamlProblem(1, f"YAML error: {exc}"))
        data = None
    finally:
        loader.dispose()
    return Loaded(data, lines, problems)


# -- the quick way: a plain document built straight from the parser's events ----------------------
#
# Most documents sharewise reads (every tree an author writes) have no alias, no tag and no
# mistake. load_plain builds such a document from libyaml's events, without making a node for each
# value and walking the nodes twice (once for the bounds, once to build the data): the YAML part of
# a 10,000-node tree in about 0.35 s where composing took 0.47 s (docs/performance.md). It gives up,
# returning None, at anything else: an alias, an anchor or a tag, a second document, a key given
# twice, a list or mapping as a key, nesting deeper than MAX_DEPTH, any error from the parser; the
# composed way (_load_composed) then reads the document and gives the problems their messages.
# Both ways give the same data and line map (tested over the shipped trees, odd documents and
# hundreds of random ones).


class _NotPlain(Exception):
    """The document needs the composed way."""


def load_plain(text: str | bytes, source: Path | str) -> Loaded | None:
    """``text`` read from its events, or None when it must be read the composed way (see above)."""
    lines = LineMap(file=str(source))
    try:
        loader = _base_loader()(text)
    except Exception:  # the composed way says what is wrong
        return None
    try:
        return Loaded(_build(loader.get_event, lines), lines, [])
    except Exception:  # _NotPlain, a parser error or anything else: the composed way reads it and says what
        return None
    finally:
        loader.dispose()


def _build(get: Any, lines: LineMap) -> Any:  # noqa: PLR0912, PLR0915 - one loop, one step an event, kept whole for speed
    """The one document of the events ``get`` gives, noting each mapping's lines in ``lines``."""
    from yaml import events

    scalar_event, mapping_start, sequence_start = (
        events.ScalarEvent,
        events.MappingStartEvent,
        events.SequenceStartEvent,
    )
    closing = (events.MappingEndEvent, events.SequenceEndEvent)
    add, move = lines.add, lines.move
    if type(get()) is not events.StreamStartEvent:  # pragma: no cover - the parser always starts so
        raise _NotPlain
    event = get()
    if type(event) is events.StreamEndEvent:  # nothing but comments, or nothing at all
        return None
    if type(event) is not events.DocumentStartEvent:  # pragma: no cover
        raise _NotPlain
    # The containers open around the current one, each as (container, its key lines, or None for a
    # list; the line it starts on; the key it is the value of, and that key's line), innermost last.
    stack: list[tuple[Any, dict[str, int] | None, int, str | None, int]] = []
    container: Any = None
    key_lines: dict[str, int] | None = None
    key: str | None = None
    key_line = start = 0
    while True:
        event = get()
        kind = type(event)
        if kind is scalar_event:
            if event.tag is not None or event.anchor is not None:
                raise _NotPlain  # a tag, or an anchor (the composer refuses one given twice)
            value = _scalar(event.value) if event.implicit[0] else event.value
            if key_lines is not None and key is None:  # a key: its value comes next
                key = value if type(value) is str else str(value)
                key_line = event.start_mark.line + 1
                if key in key_lines:
                    raise _NotPlain
                continue
        elif kind is mapping_start or kind is sequence_start:
            if (
                event.tag is not None
                or event.anchor is not None
                or len(stack) >= MAX_DEPTH
                or (key_lines is not None and key is None)
            ):
                raise _NotPlain  # a tag or anchor, too deep (the composed way says where), a list or mapping as a key
            stack.append((container, key_lines, start, key, key_line))
            container, key_lines = ({}, {}) if kind is mapping_start else ([], None)
            start, key = event.start_mark.line + 1, None
            continue
        elif kind in closing:
            value = container
            if key_lines is not None:
                add(value, start, key_lines)
            container, key_lines, start, key, key_line = stack.pop()
            if key is not None and type(value) is dict:
                move(value, key_line)  # a missing key is reported on its parent's line
        elif kind is events.DocumentEndEvent and not stack and type(get()) is events.StreamEndEvent:
            return container
        else:  # an alias, or a second document
            raise _NotPlain
        if not stack:  # the document itself: a plain value, or its outermost list or mapping
            container = value
        elif key_lines is None:
            container.append(value)
        else:
            key_lines[key] = key_line  # type: ignore[index]  # a value in a mapping always follows its key
            container[key] = value
            key = None


def _scalar(value: str) -> Any:
    """A plain (unquoted) scalar as sharewise's loader reads it: true or false, a whole number of
    at most 18 digits, null, or else the text as written."""
    first = value[:1]
    if first in BOOL_FIRST:
        if _BOOL.match(value):
            return value.lower() == "true"
    elif first in INT_FIRST:
        if _INT.match(value):
            return int(value)
    elif first in NULL_FIRST and _NULL.match(value):
        return None
    return value


def node_problem(root: yaml.Node) -> tuple[int, str] | None:
    """``(line, message)`` when a composed document is nested too deeply or its aliases repeat too much."""
    return NodeBounds().check(root)


def depth_problem(root: yaml.Node) -> tuple[int, str] | None:
    """``(line, message)`` when a composed document without aliases is nested too deeply.

    :func:`node_problem` gives the same answer for such a document (it finds the same node first:
    the nodes are visited in the same order); this only skips what aliases need.
    """
    import yaml

    scalar, mapping = yaml.ScalarNode, yaml.MappingNode
    if type(root) is scalar:
        return None
    stack: list[tuple[yaml.Node, int]] = [(root, 0)]  # a list or mapping, and how many hold it
    pop, push = stack.pop, stack.append
    while stack:
        node, above = pop()
        if above >= MAX_DEPTH:
            return node.start_mark.line + 1, f"the document is {TOO_DEEP}"
        kids = [part for pair in node.value for part in pair] if type(node) is mapping else node.value
        for child in kids:
            if type(child) is not scalar:
                push((child, above + 1))
    return None


class NodeBounds:
    """Checks composed YAML nodes against :data:`MAX_DEPTH` and :data:`MAX_ALIAS_VALUES`.

    One pass over the distinct lists and mappings, remembering the expanded size and depth of each,
    so the check costs the same however far the aliases would expand. An alias inside the list or
    mapping it names (a loop) is refused too: nothing that reads the data could finish. Several
    documents checked by one instance (the cases of a cases file, which may alias earlier cases)
    share one allowance.
    """

    def __init__(self) -> None:
        self.size: dict[int, int] = {}  # expanded number of values, by list or mapping
        self.depth: dict[int, int] = {}
        self.written = 0  # values as written: every scalar, and each list and mapping once
        self.expanded = 0  # values as the data read will hold them

    def check(self, root: yaml.Node) -> tuple[int, str] | None:
        """``(line, message)`` for the first problem in ``root``, or None."""
        import yaml

        scalar = yaml.ScalarNode
        if type(root) is scalar:
            self.written += 1
            self.expanded += 1
            return None
        problem = self._walk(root)
        if problem is not None:
            return problem
        if self.expanded + self.size[id(root)] - self.written > MAX_ALIAS_VALUES:
            return root.start_mark.line + 1, self._too_many()  # refused: it adds nothing to the total
        self.expanded += self.size[id(root)]
        return None

    @staticmethod
    def _too_many() -> str:
        return (
            f"aliases (*name) repeat more than {MAX_ALIAS_VALUES:,} values; write the values out, or use fewer aliases"
        )

    def _close(self, node: yaml.Node, children: list[yaml.Node], scalar: type[yaml.ScalarNode]) -> str | None:
        """Note the size and depth of ``node``, whose children are measured; a problem if either is too much.

        ``scalar`` is PyYAML's scalar node class, passed in: this runs once a node, and an import
        statement here would cost a tenth of a large tree's reading."""
        size, depth = self.size, self.depth
        total, deepest = 1, 0
        for child in children:
            if type(child) is scalar:
                total += 1
            else:
                total += size[id(child)]
                deepest = max(deepest, depth[id(child)])
        size[id(node)], depth[id(node)] = total, deepest + 1
        if total - self.written > MAX_ALIAS_VALUES:
            return self._too_many()
        if deepest + 1 > MAX_DEPTH:
            return f"the document is {TOO_DEEP}"
        return None

    def _walk(self, root: yaml.Node) -> tuple[int, str] | None:
        import yaml

        scalar = yaml.ScalarNode
        mapping = yaml.MappingNode
        size = self.size
        open_: set[int] = set()  # the lists and mappings being walked: the current one's ancestors
        stack: list[tuple[yaml.Node, list[yaml.Node] | None]] = [(root, None)]
        while stack:
            node, children = stack.pop()
            key = id(node)
            if children is not None:  # its children are done
                open_.discard(key)
                problem = self._close(node, children, scalar)
                if problem is not None:
                    return node.start_mark.line + 1, problem
                continue
            if key in size:
                continue
            if key in open_:
                return node.start_mark.line + 1, "an alias (*name) refers to a list or mapping that holds it"
            if len(open_) >= MAX_DEPTH:
                return node.start_mark.line + 1, f"the document is {TOO_DEEP}"
            open_.add(key)
            kids = [part for pair in node.value for part in pair] if type(node) is mapping else list(node.value)
            self.written += 1
            stack.append((node, kids))
            for child in kids:
                if type(child) is scalar:
                    self.written += 1
                elif id(child) not in size:
                    stack.append((child, None))
        return None


def data_problem(data: Any) -> str | None:
    """A message when parsed JSON ``data`` is nested deeper than :data:`MAX_DEPTH`, else None."""
    level: list[tuple[Any, int]] = [(data, 1)]
    while level:
        value, at = level.pop()
        if at > MAX_DEPTH:
            return TOO_DEEP
        if isinstance(value, dict):
            level.extend((v, at + 1) for v in value.values())
        elif isinstance(value, list):
            level.extend((v, at + 1) for v in value)
    return None


_NO_COLON = "YAML syntax error: this line has no ':' after its key; write 'key: value', or 'key:' before a block"


def _syntax_problem(exc: yaml.MarkedYAMLError, text: str | bytes) -> YamlProblem:
    """A YAML syntax error in words a tree author can act on, on the line that needs the change."""
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + 1 if mark is not None else 1
    problem = exc.problem or str(exc)
    if "tab" in problem:
        return YamlProblem(line, "YAML syntax error: a tab cannot indent YAML; use spaces")
    if "could not find expected ':'" in problem and exc.context_mark is not None:
        # The parser notices on the next line; the key without its colon is where it started.
        return YamlProblem(exc.context_mark.line + 1, _NO_COLON)
    if problem.startswith("mapping values are not allowed") and mark is not None:
        lines = (text if isinstance(text, str) else text.decode("utf-8", "replace")).splitlines()
        before = lines[mark.line][: mark.column] if mark.line < len(lines) else ""
        if ": " not in before and mark.line > 0:
            # The first key of its line: the parser read it as the value of a key above that has no ':'.
            above = next(
                (n for n in range(mark.line - 1, -1, -1) if lines[n].strip() and not lines[n].lstrip().startswith("#")),
                None,
            )
            if above is not None and ":" not in lines[above]:
                return YamlProblem(above + 1, _NO_COLON)
        return YamlProblem(
            line,
            "YAML syntax error: a ': ' inside text would start a new key; put the whole text in double quotes "
            '("Note: ..."), or write it as a block: the key, then > and the text on the lines below',
        )
    what = f"{exc.context}, {problem}" if exc.context else problem
    return YamlProblem(line, f"YAML syntax error: {what}")
