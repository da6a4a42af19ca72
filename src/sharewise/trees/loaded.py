"""What reading a tree file gives: the tree when it is valid, every diagnostic, and the data an overlay needs.

Its own module so the loader and the overlay reader can both name it without importing each other.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Literal

from sharewise.errors import Diagnostic
from sharewise.formats.yamlio import LineMap
from sharewise.model import Tree

__all__ = ["TreeFile"]


class TreeFile:
    """The result of reading one tree file: the tree when it is valid, and every diagnostic.

    ``data`` and ``lines`` keep the parsed (for an overlay: merged) data, so an overlay can be laid
    on this tree in turn. ``origins`` names the file of places that came from another file than
    ``path``, and ``relocate`` moves a problem found in a tree an overlay extends onto the overlay.
    """

    def __init__(
        self,
        path: Path,
        tree: Tree | None,
        diagnostics: list[Diagnostic],
        *,
        data: Any = None,
        lines: LineMap | None = None,
        origins: Mapping[str, str] | None = None,
        relocate: Callable[[Diagnostic], Diagnostic] | None = None,
    ) -> None:
        self.path = path
        self.tree = tree
        self.diagnostics = diagnostics
        self.data = data
        self.lines = lines or LineMap(file=str(path))
        self.origins = dict(origins or {})
        self.relocate = relocate

    def __getstate__(self) -> dict[str, Any]:
        """For the tree cache (:mod:`sharewise.trees.cache`): the line map names each mapping of
        ``data`` by its identity, which a copy does not keep, so it is stored against the mappings
        themselves (a pickle keeps them the same objects as in ``data``) and named afresh on load."""
        state = self.__dict__.copy()
        lines: LineMap = state.pop("lines")
        state["_lines"] = (lines.file, *lines.portable(self.data))
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        file, by_mapping, files, keep = state.pop("_lines")
        state["lines"] = LineMap.from_portable(file, by_mapping, files, keep)
        self.__dict__.update(state)

    def diagnostic(
        self, place: str, line: int | None, message: str, severity: Literal["error", "warning"] = "error"
    ) -> Diagnostic:
        """A problem at ``place`` of this tree, named against the file an author would edit."""
        found = Diagnostic(self.origins.get(place, str(self.path)), line, place, message, severity)
        return self.relocate(found) if self.relocate else found

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "error"]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "warning"]
