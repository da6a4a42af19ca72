"""Finding trees by id, and the checks that span more than one tree.

Trees are found on a search path, in this order:

1. folders named on the command line (``sharewise trees validate FOLDER``);
2. folders in ``SHAREWISE_TREES_PATH`` (separated by the platform's path separator);
3. folders in the config file's ``trees_path``;
4. the trees shipped inside the package.

The first file that declares an id wins, so a local folder can stand in for a shipped tree. An
overlay that declares the id of the tree it extends stands in for it, and extends the next file
on the path that declares that id.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from sharewise.errors import Diagnostic, TreeInvalid, UnknownTree
from sharewise.model import CrossRef, Question, Tree, TreeSource
from sharewise.trees.load import LoadOptions, load_tree_file
from sharewise.trees.loaded import TreeFile
from sharewise.trees.paths import (
    TREE_SUFFIXES,
    display_path,
    is_shipped,
    path_key,
    shipped_trees_dir,
    shown_path,
    tree_files_in,
)

if TYPE_CHECKING:
    from sharewise.config import Config
    from sharewise.trees.cache import TreeCache

__all__ = ["Library"]

_UNSET = object()


def _env_path() -> list[Path]:
    raw = os.environ.get("SHAREWISE_TREES_PATH", "")
    return [Path(p).expanduser() for p in raw.split(os.pathsep) if p.strip()]


def placeholders_of(config: Config) -> dict[str, str]:
    """The names trees can fill in from the config file: ``organisation`` and ``contacts.NAME``."""
    values = {f"contacts.{name}": text for name, text in config.contacts.items()}
    if config.organisation:
        values["organisation"] = config.organisation
    if config.public_authority is not None:
        values["public_authority"] = "yes" if config.public_authority else "no"
    return values


@dataclass
class Library:
    """Trees on a search path, read lazily and cached; ``today`` drives review-date warnings.

    ``placeholders`` fill ``{contacts.NAME}`` and ``{organisation}`` in tree text, from the config
    file ``settings`` names.
    """

    folders: list[Path] = field(default_factory=list)
    today: date | None = None
    placeholders: dict[str, str] = field(default_factory=dict)
    settings: str = ""
    settings_file: TreeSource | None = None
    _files: dict[Path, TreeFile] = field(default_factory=dict)
    _index: dict[str, list[Path]] | None = None
    _loading: list[Path] = field(default_factory=list)
    _broken_links: dict[Path, list[Path]] = field(default_factory=dict)  # tree file -> invalid trees it continues into
    _tree_cache: object = field(default=_UNSET, repr=False)  # _UNSET until looked up: TreeCache or None

    @classmethod
    def default(cls, today: date | None = None, extra: Iterable[Path] = (), config: Config | None = None) -> Library:
        """The documented search path; ``config`` defaults to the config file (see :mod:`sharewise.config`)."""
        if config is None:
            from sharewise.config import load_config

            config = load_config()
        settings = f"the config file {config.path}" if config.path else ""
        return cls(
            [*extra, *_env_path(), *config.trees_path, shipped_trees_dir()],
            today,
            placeholders_of(config),
            settings,
            _settings_source(config.path),
        )

    def with_placeholders(self, values: Mapping[str, str]) -> Library:
        """The same search path, with ``values`` filled in over the settings file's (trees read anew)."""
        return Library(
            list(self.folders), self.today, {**self.placeholders, **values}, self.settings, self.settings_file
        )

    def read(self, path: Path) -> TreeFile:
        """The file at ``path``, read once."""
        key = path_key(path)
        cached = self._files.get(key)
        if cached is None:
            self._loading.append(key)
            try:
                options = LoadOptions(
                    today=self.today,
                    placeholders=self.placeholders,
                    settings=self.settings,
                    base_of=lambda tree_id: self._base_for(key, tree_id),
                    shipped=is_shipped(key),
                    settings_file=self.settings_file,
                )
                cached = self._files[key] = load_tree_file(
                    display_path(path), self.today, options=options, cache=self._cache()
                )
            finally:
                self._loading.pop()
        return cached

    def _cache(self) -> TreeCache | None:
        """The cache of read trees (:mod:`sharewise.trees.cache`), found once per library."""
        if self._tree_cache is _UNSET:
            from sharewise.trees.cache import TreeCache

            self._tree_cache = TreeCache.default()
        return self._tree_cache  # type: ignore[return-value]

    def _base_for(self, key: Path, tree_id: str) -> TreeFile | str:
        """The file an overlay at ``key`` extends: the next on the path declaring ``tree_id``."""
        candidates = [path_key(p) for p in self._all_ids().get(tree_id, [])]
        if key in candidates:
            candidates = candidates[candidates.index(key) + 1 :]
        if not candidates:
            known = ", ".join(sorted(i for i in self.ids() if i != tree_id)) or "none"
            return f"no tree called '{tree_id}' to extend on the trees search path (available: {known})"
        base = candidates[0]
        if base in self._loading:
            chain = " -> ".join(str(display_path(p)) for p in [*self._loading, base])
            return f"overlays extend each other in a loop: {chain}"
        return self.read(base)

    def base_tree(self, tree: Tree) -> Tree | None:
        """The tree an overlay extends, as it was before the overlay; None for a tree that is no overlay."""
        if tree.file is None or len(tree.files) < 2:
            return None
        base = self._base_for(path_key(tree.file), tree.files[-2].tree)
        return None if isinstance(base, str) else base.tree

    def _all_ids(self) -> dict[str, list[Path]]:
        """Map of tree id to every file declaring it, in search order, read without a full load."""
        if self._index is None:
            index: dict[str, list[Path]] = {}
            seen: set[Path] = set()
            for folder in self.folders:
                for path in tree_files_in(folder):
                    if path_key(path) in seen:
                        continue
                    seen.add(path_key(path))
                    tree_id = _declared_id(path)
                    if tree_id:
                        index.setdefault(tree_id, []).append(path)
            self._index = index
        return self._index

    def _ids(self) -> dict[str, Path]:
        """Map of tree id to the file that wins for it."""
        return {tree_id: paths[0] for tree_id, paths in self._all_ids().items()}

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
            raise self._invalid(path, errors)
        return tree

    def _invalid(self, path: Path, errors: list[Diagnostic]) -> TreeInvalid:
        """The error for an unusable tree: which file is broken (an overlay, perhaps), where, and what still works."""
        broken = [p for p in dict.fromkeys(self._broken_links.get(path_key(path), [])) if path_key(p) != path_key(path)]
        shown = list(errors)
        for other in broken:  # the broken tree's own problems, on its own lines
            shown.extend(d for d in self.read(other).errors if d not in shown)
        culprit = broken[0] if broken else path
        base = _extends(culprit)
        what = f"the overlay {shown_path(culprit)} (on '{base}')" if base else f"the tree in {shown_path(culprit)}"
        if broken:
            message = f"the tree in {shown_path(path)} continues into a tree that cannot be used: {what} is not valid"
        else:
            message = f"{what} is not valid"
        unusable = {path_key(path), *map(path_key, broken)}
        usable = [tid for tid, p in self.files() if path_key(p) not in unusable and self._usable(p)]
        listed = ", ".join(usable[:10]) + (f" and {len(usable) - 10} more" if len(usable) > 10 else "")
        message += f"; still usable: {listed}" if usable else "; no other tree can be used either"
        if base:
            message += f" (to use sharewise's own '{base}' meanwhile, take the overlay off the trees path)"
        return TreeInvalid(message, shown)

    def _usable(self, path: Path) -> bool:
        return self.read(path).tree is not None and not any(d.severity == "error" for d in self.check(path))

    def check(self, path: Path) -> list[Diagnostic]:
        """Every diagnostic for the file at ``path``, including routes into other trees."""
        loaded = self.read(path)
        problems = list(loaded.diagnostics)
        if loaded.tree is not None:
            problems.extend(self._link_problems(loaded))
        return problems

    def _link_problems(self, loaded: TreeFile) -> list[Diagnostic]:
        tree = loaded.tree
        assert tree is not None
        problems: list[Diagnostic] = []
        broken: list[Path] = []
        self._broken_links[path_key(loaded.path)] = broken
        for target, place, line in tree.links():
            if target == tree.id:
                problems.append(loaded.diagnostic(place, line, "a tree cannot continue into itself"))
                continue
            path = self.path_of(target)
            if path is None:
                known = ", ".join(sorted(self.ids())) or "none"
                message = f"no tree called '{target}' (available: {known})"
                problems.append(loaded.diagnostic(place, line, message))
                continue
            other = self.read(path)
            if other.tree is None:
                if path in broken:
                    continue  # said once for each tree it continues into
                broken.append(path)
                base = _extends(path)
                what = f"the overlay {shown_path(path)} replaces it" if base else f"its file is {shown_path(path)}"
                message = f"continues into tree '{target}', which is not valid ({what}; see its own problems)"
                problems.append(loaded.diagnostic(place, line, message))
        problems.extend(self._chain_problems(loaded))
        problems.extend(self._ref_problems(loaded))
        return problems

    def _other(self, tree_id: str) -> Tree | str:
        """The valid tree called ``tree_id``, or a message saying why there is none."""
        path = self.path_of(tree_id)
        if path is None:
            known = ", ".join(sorted(self.ids())) or "none"
            return f"no tree called '{tree_id}' (available: {known})"
        other = self.read(path).tree
        if other is None:
            return f"tree '{tree_id}' ({shown_path(path)}) is not valid; see its own problems"
        return other

    def _leads_to(self, start: Tree, target: str) -> bool:
        """True when a decision started in ``start`` can continue (at any remove) into ``target``."""
        seen = {start.id}
        queue = list(start.continues_into())
        while queue:
            tree_id = queue.pop(0)
            if tree_id == target:
                return True
            if tree_id in seen:
                continue
            seen.add(tree_id)
            other = self._other(tree_id)
            if not isinstance(other, str):
                queue.extend(other.continues_into())
        return False

    def _ref_problems(self, loaded: TreeFile) -> list[Diagnostic]:
        """Check every use of another tree's answers: ``TREE.QUESTION``, ``continued_from``, ``same_as``."""
        tree = loaded.tree
        assert tree is not None
        problems: list[Diagnostic] = []
        said: set[str] = set()
        for ref in tree.refs:
            message = self._ref_problem(tree, ref)
            if message and message not in said:  # an invalid tree named by many references: said once
                said.add(message)
                problems.append(loaded.diagnostic(ref.place, ref.line, message))
        return problems

    def _ref_problem(self, tree: Tree, ref: CrossRef) -> str | None:
        if ref.tree == tree.id:
            if ref.kind == "from":
                return f"'{tree.id}' is this tree; 'continued_from' names the tree that continued into it"
            return f"'{ref.tree}.{ref.question}' is in this tree: name the question by its id alone"
        other = self._other(ref.tree)
        if isinstance(other, str):
            return other
        if ref.kind == "from":
            if tree.id not in other.continues_into():
                return f"'{ref.tree}' never continues into '{tree.id}', so this tree is never continued from it"
            return None
        if not self._leads_to(other, tree.id):
            return (
                f"'{ref.tree}' never continues into '{tree.id}', so its answers are never there to use; "
                f"hand on from '{ref.tree}' with 'next: tree:{tree.id}' or name another tree"
            )
        assert ref.question is not None
        giving = other.questions.get(ref.question)
        if giving is None:
            known = ", ".join(q for q in other.questions if not other.questions[q].is_record_question)
            return f"'{ref.tree}' has no question called '{ref.question}' (its questions: {_cut(known)})"
        if giving.is_record_question:
            return f"'{ref.tree}.{ref.question}' is a record question, asked after an outcome; name another question"
        if ref.kind == "answer":
            allowed = {o.value for o in giving.options}
            bad = [v for v in ref.values if giving.options and v not in allowed]
            if bad:
                return f"'{ref.tree}.{ref.question}' has no option '{bad[0]}' (its options: {_options(giving)})"
            return None
        return _same_as_problem(tree, ref, giving)

    def _chain_problems(self, loaded: TreeFile) -> list[Diagnostic]:
        """Question ids must be unique across a tree and every tree it can continue into."""
        tree = loaded.tree
        assert tree is not None
        problems: list[Diagnostic] = []
        owners: dict[str, str] = dict.fromkeys(tree.questions, tree.id)
        seen = {tree.id}
        queue = list(tree.continues_into())
        while queue:
            tree_id = queue.pop(0)
            if tree_id in seen:
                if tree_id != tree.id:
                    continue
                problems.append(loaded.diagnostic("", None, f"continuing into other trees leads back to '{tree.id}'"))
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
                        loaded.diagnostic(
                            f"nodes.{qid}" if mine else "",
                            tree.questions[qid].line if mine else None,
                            f"question id '{qid}' is used in both '{owners[qid]}' and '{tree_id}', "
                            "which one decision can pass through; answers are keyed by id, so rename one",
                        )
                    )
                else:
                    owners[qid] = tree_id
            queue.extend(other.continues_into())
        return problems


def _same_as_problem(tree: Tree, ref: CrossRef, giving: Question) -> str | None:
    mine = tree.questions[ref.owner]
    name = f"'{ref.tree}.{ref.question}'"
    if mine.kind != giving.kind:
        return f"{name} is a '{giving.kind}' question but '{mine.id}' is '{mine.kind}'; a carried answer needs one kind"
    if mine.is_record_question:
        return "a record question cannot carry an answer; carry it into a question on the way to an outcome"
    mapping = dict(mine.carry_map)
    for giving_value in mapping:
        if giving.option(giving_value) is None:
            return f"'map' names '{giving_value}', which {name} does not offer (its options: {_options(giving)})"
    for mine_value in mapping.values():
        if mine.option(mine_value) is None:
            return f"'map' gives '{mine_value}', which '{mine.id}' does not offer (its options: {_options(mine)})"
    for option in giving.options:
        if mine.option(mapping.get(option.value, option.value)) is None:
            return (
                f"{name} can be answered '{option.value}', which '{mine.id}' does not offer; add that option "
                f"or map it to one of '{mine.id}' under 'map:' (its options: {_options(mine)})"
            )
    if mine.kind == "text" and giving.min_length < mine.min_length:
        return f"{name} accepts shorter answers than '{mine.id}' ({giving.min_length} < {mine.min_length} characters)"
    return None


def _options(question: Question) -> str:
    return ", ".join(o.value for o in question.options)


def _cut(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _settings_source(path: Path | None) -> TreeSource | None:
    """The config file as a record lists it when a tree's text was filled in from it."""
    if path is None:
        return None
    try:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None
    return TreeSource(path.name, str(display_path(path)), digest, "settings", "", "")


def _extends(path: Path) -> str | None:
    """The tree an overlay file extends (its top-level ``extends:``), or None for any other file."""
    try:
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("extends:"):
                    return line.partition(":")[2].split("#", 1)[0].strip().strip("'\"") or None
                if line.startswith(("nodes:", "outcomes:")):
                    break
    except (OSError, UnicodeDecodeError):
        return None
    return None


def _declared_id(path: Path) -> str | None:
    """The tree id a file declares: its top-level ``id:``, else the ``extends:`` of an overlay."""
    extends = None
    try:
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                if line.startswith(("id:", "extends:")):
                    key, _, rest = line.partition(":")
                    value = rest.split("#", 1)[0].strip().strip("'\"") or None
                    if key == "id":
                        return value
                    extends = value
                elif line.startswith(("nodes:", "outcomes:")) and extends:
                    break
    except (OSError, UnicodeDecodeError):
        return None
    return extends or path.stem
