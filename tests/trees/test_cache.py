"""The cache of read trees (trees/cache.py): used only where reading the file again gives the same."""

from __future__ import annotations

import os
import stat
from datetime import date
from pathlib import Path

import pytest

from sharewise.trees import cache as tree_cache
from sharewise.trees import load
from sharewise.trees.library import Library
from tests.helpers import HEADER, SIMPLE_BODY, WriteTree


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Each tree file actually read and checked (not taken from the cache), in order."""
    done: list[Path] = []
    real = load.load_tree_bytes

    def counting(raw: bytes, path: Path, *args: object, **kwargs: object) -> object:
        done.append(path)
        return real(raw, path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(load, "load_tree_bytes", counting)
    return done


def _library(folder: Path, **kwargs: object) -> Library:
    return Library([folder], **kwargs)  # type: ignore[arg-type]


def _cache_dir() -> Path:
    folder = tree_cache.cache_folder()
    assert folder is not None
    return folder


def test_a_tree_read_once_comes_from_the_cache_the_second_time(
    write_tree: WriteTree, tmp_path: Path, reads: list[Path]
) -> None:
    path = write_tree()
    first = _library(tmp_path).read(path)
    second = _library(tmp_path).read(path)
    assert reads == [path]  # read and checked once; the second library took it from the cache
    assert second.tree == first.tree
    assert second.tree is not None and second.tree.id == "t"
    assert [str(d) for d in second.diagnostics] == [str(d) for d in first.diagnostics]
    # the entry is private, in a private folder
    (entry,) = _cache_dir().iterdir()
    assert stat.S_IMODE(entry.stat().st_mode) == 0o600
    assert stat.S_IMODE(_cache_dir().stat().st_mode) == 0o700


def test_a_changed_file_or_changed_settings_are_read_afresh(
    write_tree: WriteTree, tmp_path: Path, reads: list[Path]
) -> None:
    path = write_tree()
    _library(tmp_path).read(path)
    path.write_text(path.read_text(encoding="utf-8").replace("title: Test tree", "title: Test tree, edited"))
    edited = _library(tmp_path).read(path)
    assert edited.tree is not None and edited.tree.title == "Test tree, edited t"
    _library(tmp_path, placeholders={"organisation": "Hilltop"}).read(path)
    _library(tmp_path, today=date(2099, 1, 1)).read(path)  # the overdue warning depends on the day
    assert len(reads) == 4


def test_the_code_that_read_it_is_part_of_the_key(
    write_tree: WriteTree, tmp_path: Path, reads: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_tree()
    _library(tmp_path).read(path)
    monkeypatch.setattr(tree_cache, "_code_fingerprint", lambda: b"another version of sharewise")
    _library(tmp_path).read(path)
    assert len(reads) == 2


def _base_and_overlay(tmp_path: Path, changes: str = "") -> tuple[Path, Path, Path]:
    """Folders ``base`` (tree t) and ``local`` (an overlay on t with ``changes``), and the overlay."""
    base, local = tmp_path / "base", tmp_path / "local"
    base.mkdir()
    local.mkdir()
    (base / "t.yaml").write_text(HEADER.format(id="t") + SIMPLE_BODY, encoding="utf-8")
    overlay = local / "t.yaml"
    overlay.write_text(
        'format: sharewise-tree/1\nextends: t\nversion: "1-local"\nowner: IG\nreviewed: 2026-06-01\n'
        "next_review: 2099-01-01\n" + changes,
        encoding="utf-8",
    )
    return base, local, overlay


def test_invalid_trees_and_overlays_are_never_cached(tmp_path: Path, reads: list[Path]) -> None:
    base, local, overlay = _base_and_overlay(tmp_path)
    broken = local / "broken.yaml"
    broken.write_text(HEADER.format(id="broken") + "nodes: {}\n", encoding="utf-8")
    for _ in range(2):
        library = Library([local, base])
        assert library.read(overlay).tree is not None
        assert library.read(broken).tree is None
    assert reads.count(overlay) == 2
    assert reads.count(broken) == 2


def test_a_damaged_entry_is_read_afresh_and_replaced(write_tree: WriteTree, tmp_path: Path, reads: list[Path]) -> None:
    path = write_tree()
    _library(tmp_path).read(path)
    (entry,) = _cache_dir().iterdir()
    entry.write_bytes(b"not a pickle at all")
    assert _library(tmp_path).read(path).tree is not None
    assert _library(tmp_path).read(path).tree is not None
    assert len(reads) == 2  # the damaged entry was read afresh once, then the new entry used


@pytest.mark.skipif(not hasattr(os, "geteuid"), reason="file owners and modes")
def test_an_entry_or_folder_others_could_write_is_never_loaded(
    write_tree: WriteTree, tmp_path: Path, reads: list[Path]
) -> None:
    """Loading a pickle runs code: an entry anyone else could have written is not trusted."""
    path = write_tree()
    _library(tmp_path).read(path)
    (entry,) = _cache_dir().iterdir()
    entry.chmod(0o644)
    _library(tmp_path).read(path)
    entry.chmod(0o600)
    _cache_dir().chmod(0o777)
    _library(tmp_path).read(path)
    assert len(reads) == 3
    assert entry.stat().st_mode & 0o077 == 0  # and nothing was written into that folder
    _cache_dir().chmod(0o700)
    _library(tmp_path).read(path)
    assert len(reads) == 3


def test_the_cache_can_be_turned_off_and_never_fails_a_read(
    write_tree: WriteTree, tmp_path: Path, reads: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_tree()
    monkeypatch.setenv(tree_cache.CACHE_ENV, "off")
    _library(tmp_path).read(path)
    _library(tmp_path).read(path)
    assert len(reads) == 2
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv(tree_cache.CACHE_ENV, str(blocker / "trees"))  # cannot be made
    assert _library(tmp_path).read(path).tree is not None


def test_old_entries_are_removed_past_the_limit(
    write_tree: WriteTree, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tree_cache, "MAX_ENTRIES", 3)
    for n in range(5):
        path = write_tree(id=f"t{n}")
        _library(tmp_path).read(path)
    assert len(list(_cache_dir().iterdir())) == 3


# -- a tree from the cache is the tree read afresh, line numbers included --------------------------


def _lines_everywhere(loaded: object) -> list[tuple[str, int | None]]:
    """Every (file, line) the line map gives for the mappings of ``loaded.data`` and their keys."""
    found: list[tuple[str, int | None]] = []
    stack = [loaded.data]  # type: ignore[attr-defined]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            found.append(loaded.lines.where(value))  # type: ignore[attr-defined]
            found.extend(loaded.lines.where(value, key) for key in value)  # type: ignore[attr-defined]
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return found


def test_line_numbers_survive_the_cache(reads: list[Path]) -> None:
    """An overlay and `trees test` look up the lines of a base tree's data: a copy must keep them."""
    from sharewise.trees.paths import shipped_trees_dir

    path = shipped_trees_dir() / "when-to-share.yaml"
    cold = Library.default().read(path)
    warm = Library.default().read(path)
    assert len(reads) == 1  # the second came from the cache
    lines = _lines_everywhere(cold)
    assert lines == _lines_everywhere(warm)
    assert sum(1 for _, line in lines if line) > 1000  # real line numbers, not all None


def test_an_overlay_on_a_cached_base_reports_the_base_s_lines(tmp_path: Path) -> None:
    base, local, overlay = _base_and_overlay(tmp_path, "nodes:\n  purpose:\n    options:\n      not-sure: no-purpose\n")
    runs = [[str(d) for d in Library([local, base]).check(overlay)] for _ in range(3)]
    assert runs[0] == runs[1] == runs[2]
    assert f"{base / 't.yaml'}:" in runs[0][0]  # the base's file and line, from a cached base too


def test_trees_test_names_the_same_lines_from_the_cache(write_tree: WriteTree) -> None:
    from typer.testing import CliRunner

    from sharewise.cli import app

    tree = write_tree()
    tree.with_name("t.tests.yaml").write_text("cases:\n  - purpose=not-sure -> advice\n", encoding="utf-8")
    outputs = [CliRunner().invoke(app, ["trees", "test", str(tree)]).output for _ in range(2)]
    assert outputs[0] == outputs[1]
    assert f"{tree}:" in outputs[0]  # what is not reached is named with its line, from the cache too


# -- the folder and what is in it -----------------------------------------------------------------


def test_only_the_cache_s_own_entries_are_ever_removed(
    write_tree: WriteTree, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "shared-folder"
    folder.mkdir(mode=0o700)
    for n in range(5):
        (folder / f"model-{n}.pickle").write_bytes(b"someone else's")
    monkeypatch.setenv(tree_cache.CACHE_ENV, str(folder))
    monkeypatch.setattr(tree_cache, "MAX_ENTRIES", 1)
    for n in range(3):
        _library(tmp_path).read(write_tree(id=f"t{n}"))
    names = sorted(p.name for p in folder.iterdir())
    assert [n for n in names if n.startswith("model-")] == [f"model-{n}.pickle" for n in range(5)]
    assert len([n for n in names if not n.startswith("model-")]) == 1


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="symbolic links, FIFOs and hard links")
def test_links_and_fifos_in_the_cache_are_never_followed_or_waited_on(
    write_tree: WriteTree, tmp_path: Path, reads: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_tree()
    _library(tmp_path).read(path)
    (entry,) = _cache_dir().iterdir()
    # a hard link to the entry (as someone could make to a file of their choosing): refused
    os.link(entry, tmp_path / "other-name")
    _library(tmp_path).read(path)
    (tmp_path / "other-name").unlink()
    # a FIFO where the entry should be: refused at once, never waited on
    entry.unlink()
    os.mkfifo(entry, 0o600)
    _library(tmp_path).read(path)
    entry.unlink()
    # the cache folder a symbolic link to a private folder: not used
    real = tmp_path / "real-cache"
    real.mkdir(mode=0o700)
    link = tmp_path / "linked-cache"
    link.symlink_to(real)
    monkeypatch.setenv(tree_cache.CACHE_ENV, str(link))
    _library(tmp_path).read(path)
    _library(tmp_path).read(path)
    assert list(real.iterdir()) == []
    assert len(reads) == 5


def test_a_large_tree_file_is_not_cached(
    write_tree: WriteTree, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A generated tree of thousands of nodes costs more to pickle than the cache saves."""
    monkeypatch.setattr(tree_cache, "MAX_CACHED_TREE_BYTES", 100)
    _library(tmp_path).read(write_tree())
    assert not _cache_dir().exists() or list(_cache_dir().iterdir()) == []
