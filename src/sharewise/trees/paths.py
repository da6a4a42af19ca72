"""Where tree files are: the shipped trees' folder, the tree files in a folder, a tree file's name in messages.

Shared by the library (which finds trees) and the overlay reader (which names the trees it extends),
so neither imports the other for them.
"""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "TESTS_SUFFIXES",
    "TREE_SUFFIXES",
    "display_path",
    "is_shipped",
    "path_key",
    "shipped_trees_dir",
    "shown_path",
    "tree_files_in",
]

TREE_SUFFIXES = (".yaml", ".yml")
#: A tree's tests file is named after it with one of these (``when-to-share.tests.yaml``); the first is the usual.
TESTS_SUFFIXES = (".tests.yaml", ".tests.yml")


def shipped_trees_dir() -> Path:
    """The folder of trees that travel inside the package (or the checkout's ``trees/``)."""
    packaged = Path(__file__).parent / "shipped"  # where the wheel puts the checkout's trees/
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[3] / "trees"


def tree_files_in(folder: Path) -> list[Path]:
    """Tree files directly in ``folder``, sorted; tree test files (:data:`TESTS_SUFFIXES`) are skipped."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix in TREE_SUFFIXES and not p.name.endswith(TESTS_SUFFIXES))


def display_path(path: Path) -> Path:
    """``path`` relative to the working folder when it lies inside it, for shorter messages."""
    try:
        return path.resolve().relative_to(Path.cwd())
    except (ValueError, OSError):
        return path


def path_key(path: Path) -> Path:
    """The path a tree file is known by: resolved when it exists, so two spellings of it compare equal."""
    return path.resolve() if path.exists() else path


def is_shipped(path: Path) -> bool:
    """True when ``path`` (a :func:`path_key`) is one of the trees shipped inside the package."""
    return path.parent == path_key(shipped_trees_dir())


def shown_path(path: Path | str) -> str:
    """A tree file for a message: a shipped one by name (not its long install path), others as found."""
    path = Path(path)
    if is_shipped(path_key(path)):
        return f"sharewise's own {path.name}"
    return str(display_path(path))
