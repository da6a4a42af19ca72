"""Read a tree file: parse, normalise the short forms, validate, and build a :class:`Tree`.

Every problem is collected rather than raised, so one run of ``sharewise trees validate`` reports
them all, each with its file, line and dotted place (``nodes.consent.options.no.next``).
Checks that need other trees (routes into another tree) live in :mod:`sharewise.trees.library`.

This is the entry point: it reads the bytes, lays an overlay on its base
(:mod:`sharewise.trees.overlay`) and hands the data to :class:`~sharewise.trees.build.TreeBuilder`,
which reads the header and sources, questions and routes (:mod:`~sharewise.trees.questions`),
outcomes (:mod:`~sharewise.trees.outcomes`) and the checks across them (:mod:`~sharewise.trees.checks`,
with the graph work in :mod:`~sharewise.trees.reach`).
"""

from __future__ import annotations

import gc
import hashlib
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from sharewise.errors import Diagnostic
from sharewise.formats.yamlio import LineMap, load_yaml_text
from sharewise.model import ID_PATTERN, Tree, TreeSource
from sharewise.trees.build import FORMAT, MAX_NODES
from sharewise.trees.build import TreeBuilder as _Builder
from sharewise.trees.loaded import TreeFile
from sharewise.trees.overlay import apply_overlay
from sharewise.trees.placeholders import resolve_placeholders
from sharewise.trees.reader import MAX_DIAGNOSTICS, MAX_SUGGESTIONS, SETTINGS, SETTINGS_PREFIX, LoadOptions

if TYPE_CHECKING:
    from sharewise.trees.cache import TreeCache

__all__ = [
    "FORMAT",
    "ID_PATTERN",
    "MAX_DIAGNOSTICS",
    "MAX_NODES",
    "MAX_SUGGESTIONS",
    "MAX_TREE_BYTES",
    "SETTINGS",
    "SETTINGS_PREFIX",
    "LineMap",
    "LoadOptions",
    "load_tree_bytes",
    "load_tree_file",
    "resolve_placeholders",
]

#: The largest tree file read (a 100,000-question tree in the shipped style is about 34 MiB).
MAX_TREE_BYTES = 48 * 1024 * 1024
_FREEZE_BYTES = 1 << 20  # a tree file this big (some 3,000 nodes) is frozen out of the garbage collector


def load_tree_file(
    path: Path, today: date | None = None, *, options: LoadOptions | None = None, cache: TreeCache | None = None
) -> TreeFile:
    """Read and validate the tree at ``path``; an unreadable or oversized file is reported, not raised.

    With ``cache``, what reading the same bytes with the same options gave before is used instead
    (:mod:`sharewise.trees.cache`).
    """
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_TREE_BYTES + 1)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        return TreeFile(path, None, [Diagnostic(str(path), None, "", f"cannot read the file: {reason}")])
    if len(raw) > MAX_TREE_BYTES:
        message = f"the file is larger than {MAX_TREE_BYTES // (1024 * 1024)} MiB, the most a tree file may be"
        return TreeFile(path, None, [Diagnostic(str(path), None, "", message)])
    if cache is None:
        return load_tree_bytes(raw, path, today, options=options)
    from sharewise.trees.cache import cached_read

    given = options if options is not None else LoadOptions(today=today)
    given = replace(given, today=today if today is not None else given.today)  # the day the key names is the day read
    return cached_read(cache, raw, path, given, lambda chosen: load_tree_bytes(raw, path, chosen.today, options=chosen))


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
