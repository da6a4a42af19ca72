"""Finding trees by id, and the checks that span more than one tree.

Trees are found on a search path: folders given by ``SHAREWISE_TREES_PATH`` (separated by the
platform's path separator), then the trees shipped inside the package. The first file that
declares an id wins, so a local folder can stand in for a shipped tree.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sharewise.errors import TreeInvalid, UnknownTree
from sharewise.model import Diagnostic, Tree
from sharewise.treefile import TreeFile, load_tree_file

__all__ = ["Library", "display_path", "shipped_trees_dir", "tree_files_in"]

TREE_SUFFIXES = (".yaml", ".yml")


def shipped_trees_dir() -> Path:
    """The folder of trees that travel inside the package (or the checkout's ``trees/``)."""
    packaged = Path(__file__).parent / "trees"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "trees"


def tree_files_in(folder: Path) -> list[Path]:
    """Tree files directly in ``folder``, sorted; tree test files (``*.tests.yaml``) are skipped."""
    if not folder.is_dir():
        return []
    return sorted(
        p for p in folder.iterdir() if p.suffix in TREE_SUFFIXES and not p.name.endswith((".tests.yaml", ".tests.yml"))
    )


def display_path(path: Path) -> Path:
    """``path`` relative to the working folder when it lies inside it, for shorter messages."""
    try:
        return path.resolve().relative_to(Path.cwd())
    except (ValueError, OSError):
        return path


def _env_path() -> list[Path]:
    raw = os.environ.get("SHAREWISE_TREES_PATH", "")
    return [Path(p).expanduser() for p in raw.split(os.pathsep) if p.strip()]


@dataclass
class Library:
    """Trees on a search path, read lazily and cached; ``today`` drives review-date warnings."""

    folders: list[Path] = field(default_factory=list)
    today: date | None = None
    _files: dict[Path, TreeFile] = field(default_factory=dict)
    _index: dict[str, Path] | None = None

    @classmethod
    def default(cls, today: date | None = None, extra: Iterable[Path] = ()) -> Library:
        return cls([*extra, *_env_path(), shipped_trees_dir()], today)

    def read(self, path: Path) -> TreeFile:
        key = path.resolve() if path.exists() else path
        cached = self._files.get(key)
        if cached is None:
            cached = self._files[key] = load_tree_file(display_path(path), self.today)
        return cached

    def _ids(self) -> dict[str, Path]:
        """Map of tree id to file, read from each file's ``id`` without a full load."""
        if self._index is None:
            index: dict[str, Path] = {}
            for folder in self.folders:
                for path in tree_files_in(folder):
                    tree_id = _declared_id(path)
                    if tree_id and tree_id not in index:
                        index[tree_id] = path
            self._index = index
        return self._index

    def ids(self) -> list[str]:
        return list(self._ids())

    def files(self) -> Iterator[tuple[str, Path]]:
        yield from self._ids().items()

    def path_of(self, tree_id: str) -> Path | None:
        return self._ids().get(tree_id)

    def get(self, ref: str) -> Tree:
        """The valid tree named by id or file path; raise if unknown or invalid (with diagnostics)."""
        candidate = Path(ref)
        if candidate.suffix in TREE_SUFFIXES and (candidate.exists() or os.sep in ref):
            if not candidate.exists():
                raise UnknownTree(f"no tree file at {ref}")
            path = candidate
        else:
            found = self.path_of(ref)
            if found is None:
                known = ", ".join(sorted(self.ids())) or "none"
                raise UnknownTree(f"no tree called '{ref}' (available: {known})")
            path = found
        problems = self.check(path)
        errors = [d for d in problems if d.severity == "error"]
        tree = self.read(path).tree
        if errors or tree is None:
            raise TreeInvalid(f"the tree in {path} is not valid", errors)
        return tree

    def check(self, path: Path) -> list[Diagnostic]:
        """Every diagnostic for the file at ``path``, including routes into other trees."""
        loaded = self.read(path)
        problems = list(loaded.diagnostics)
        if loaded.tree is not None:
            problems.extend(self._link_problems(loaded.tree, str(path)))
        return problems

    def _link_problems(self, tree: Tree, file: str) -> list[Diagnostic]:
        problems: list[Diagnostic] = []
        for route in tree.routes():
            target = route.tree
            if target is None:
                continue
            if target == tree.id:
                problems.append(Diagnostic(file, route.line, route.place, "a tree cannot continue into itself"))
                continue
            path = self.path_of(target)
            if path is None:
                known = ", ".join(sorted(self.ids())) or "none"
                problems.append(Diagnostic(file, route.line, route.place, f"no tree called '{target}' (available: {known})"))
                continue
            other = self.read(path)
            if other.tree is None:
                problems.append(Diagnostic(file, route.line, route.place, f"tree '{target}' ({path}) is not valid"))
                continue
        problems.extend(self._chain_problems(tree, file))
        return problems

    def _chain_problems(self, tree: Tree, file: str) -> list[Diagnostic]:
        """Question ids must be unique across a tree and every tree it can continue into."""
        problems: list[Diagnostic] = []
        owners: dict[str, str] = dict.fromkeys(tree.questions, tree.id)
        seen = {tree.id}
        queue = list(tree.continues_into())
        while queue:
            tree_id = queue.pop(0)
            if tree_id in seen:
                if tree_id != tree.id:
                    continue
                problems.append(Diagnostic(file, None, "", f"continuing into other trees leads back to '{tree.id}'"))
                continue
            seen.add(tree_id)
            path = self.path_of(tree_id)
            other = self.read(path).tree if path else None
            if other is None:
                continue
            for qid in other.questions:
                if qid in owners:
                    mine = owners[qid] == tree.id
                    problems.append(
                        Diagnostic(
                            file,
                            tree.questions[qid].line if mine else None,
                            f"nodes.{qid}" if mine else "",
                            f"question id '{qid}' is used in both '{owners[qid]}' and '{tree_id}', "
                            "which one decision can pass through; answers are keyed by id, so rename one",
                        )
                    )
                else:
                    owners[qid] = tree_id
            queue.extend(other.continues_into())
        return problems


def _declared_id(path: Path) -> str | None:
    """The tree id a file declares, read from its first top-level ``id:`` line."""
    try:
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("id:"):
                    value = line[3:].split("#", 1)[0].strip().strip("'\"")
                    return value or None
    except (OSError, UnicodeDecodeError):
        return None
    return path.stem
