"""The trees on the search path as the ``trees`` commands report them: which files ``trees
validate`` checks and what it counts, and the rows of ``trees list``.

The command line only prints what these give it (:mod:`sharewise.cli.trees`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sharewise.errors import Diagnostic, UsageError
from sharewise.trees.library import Library
from sharewise.trees.paths import TESTS_SUFFIXES

__all__ = ["Validation", "check_file", "files_to_check", "is_settings_file", "library_for", "tree_rows"]

_NOT_VALID = "(not valid: run 'sharewise trees validate')"
_NOT_USABLE = " (not usable: a tree it continues into is not valid; run 'sharewise trees validate')"


def library_for(paths: Iterable[Path], config_file: Path | None, today: date, *, add_paths: bool = True) -> Library:
    """The library on the documented search path, with the folders of ``paths`` in front."""
    from sharewise.config import load_config

    paths = list(paths)
    extra = [p for p in paths if p.is_dir()] + list({p.parent: None for p in paths if p.is_file()})
    return Library.default(today, extra=extra if add_paths else [], config=load_config(config_file))


def is_settings_file(path: Path) -> bool:
    """True for a sharewise settings file: its top-level keys are all settings (read line by line)."""
    from sharewise.config import _PARSERS

    keys = set()
    try:
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                if line[:1].isalpha():
                    keys.add(line.split(":", 1)[0].strip())
    except (OSError, UnicodeDecodeError):
        return False
    return bool(keys) and keys <= set(_PARSERS)


def files_to_check(paths: Iterable[Path], library: Library, *, skipped: Callable[[Path], None]) -> list[Path]:
    """The files ``trees validate`` checks: those named and the tree files in the folders named, or
    with no paths every tree on the search path. A settings file kept in a folder among its trees is
    passed to ``skipped`` instead; a path that does not exist is a usage error."""
    paths = list(paths)
    if not paths:
        return [p for _, p in library.files()]
    from sharewise.trees.paths import tree_files_in

    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            for candidate in tree_files_in(path):
                if is_settings_file(candidate):
                    skipped(candidate)
                else:
                    files.append(candidate)
        elif path.exists():
            files.append(path)
        else:
            raise UsageError(f"no such file or folder: {path}")
    return files


def check_file(path: Path, library: Library) -> list[Diagnostic]:
    """Every problem in one tree file or tree tests file."""
    if path.name.endswith(TESTS_SUFFIXES):
        from sharewise.trees.tests import load_tests

        return list(load_tests(path).diagnostics)
    return library.check(path)


@dataclass
class Validation:
    """What ``trees validate`` found across its files: the problems and how many are errors."""

    files: list[Path]
    problems: list[Diagnostic] = field(default_factory=list)
    errors: int = 0
    warnings: int = 0

    def add(self, problems: list[Diagnostic]) -> None:
        self.problems.extend(problems)
        found = sum(1 for p in problems if p.severity == "error")
        self.errors += found
        self.warnings += len(problems) - found

    @property
    def valid(self) -> bool:
        return self.errors == 0

    def summary(self) -> str:
        verdict = "valid" if self.valid else "not valid"
        return f"{len(self.files)} tree file(s) checked: {self.errors} error(s), {self.warnings} warning(s); {verdict}."

    def as_json(self) -> dict[str, Any]:
        return {
            "valid": self.valid,
            "files": [str(p) for p in self.files],
            "errors": self.errors,
            "warnings": self.warnings,
            "problems": [
                {"file": d.file, "line": d.line, "place": d.place, "severity": d.severity, "message": d.message}
                for d in self.problems
            ],
        }


def tree_rows(library: Library) -> list[dict[str, Any]]:
    """One row a tree file on the search path, as ``trees list`` shows it (and prints with --json)."""
    rows = []
    for tree_id, path in library.files():
        tree = library.read(path).tree
        # Valid on its own, but unusable while a tree it continues into (a broken overlay) is not.
        usable = tree is not None and not any(d.severity == "error" for d in library.check(path))
        title = tree.title if tree else _NOT_VALID
        if tree is not None and not usable:
            title += _NOT_USABLE
        rows.append(
            {
                "id": tree_id,
                "title": title,
                "version": tree.version if tree else "",
                "description": tree.description if tree else "",
                "file": str(path),
                "valid": tree is not None,
                "usable": usable,
            }
        )
    return rows
