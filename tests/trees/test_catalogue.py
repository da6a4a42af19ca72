"""trees.catalogue: which files 'trees validate' checks and what it counts, and the rows of 'trees list'."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from sharewise.errors import Diagnostic, UsageError
from sharewise.trees.catalogue import Validation, check_file, files_to_check, is_settings_file, tree_rows
from sharewise.trees.library import Library
from tests.helpers import WriteTree


def test_a_folder_gives_its_trees_and_passes_over_a_settings_file_kept_beside_them(
    write_tree: WriteTree, tmp_path: Path
) -> None:
    first, second = write_tree(id="a"), write_tree(id="b")
    settings = tmp_path / "settings.yaml"
    settings.write_text("records_dir: /somewhere\norganisation: Hilltop School\n", encoding="utf-8")
    (tmp_path / "a.tests.yaml").write_text("format: sharewise-tree-tests/1\ncases: []\n", encoding="utf-8")
    skipped: list[Path] = []
    files = files_to_check([tmp_path], Library([tmp_path]), skipped=skipped.append)
    assert files == [first, second]  # a tests file is checked only when named
    assert skipped == [settings]
    assert is_settings_file(settings) and not is_settings_file(first)


def test_named_files_are_checked_as_named_and_a_missing_one_is_a_usage_error(
    write_tree: WriteTree, tmp_path: Path
) -> None:
    tree = write_tree()
    tests = tmp_path / "t.tests.yaml"
    tests.write_text("format: sharewise-tree-tests/1\ncases: []\n", encoding="utf-8")
    assert files_to_check([tests, tree], Library([tmp_path]), skipped=pytest.fail) == [tests, tree]
    with pytest.raises(UsageError, match=r"^no such file or folder: .*gone\.yaml$"):
        files_to_check([tree, tmp_path / "gone.yaml"], Library([tmp_path]), skipped=pytest.fail)


def test_no_paths_means_every_tree_on_the_search_path(write_tree: WriteTree, tmp_path: Path) -> None:
    write_tree(id="a")
    library = Library([tmp_path])
    assert files_to_check([], library, skipped=pytest.fail) == [p for _, p in library.files()]


def test_check_file_reads_a_tests_file_as_tests_and_a_tree_as_a_tree(write_tree: WriteTree, tmp_path: Path) -> None:
    tree = write_tree()
    library = Library([tmp_path])
    assert check_file(tree, library) == []
    tests = tmp_path / "t.tests.yaml"
    tests.write_text("format: sharewise-tree-tests/1\ncases: nope\n", encoding="utf-8")
    problems = check_file(tests, library)
    assert problems and all(p.file == str(tests) for p in problems)


def test_validation_counts_errors_and_warnings_and_says_so() -> None:
    files = [Path("a.yaml"), Path("b.yaml")]
    validation = Validation(files)
    validation.add([Diagnostic("a.yaml", 3, "nodes.x", "broken"), Diagnostic("a.yaml", None, "", "old", "warning")])
    validation.add([])
    assert (validation.errors, validation.warnings, validation.valid) == (1, 1, False)
    assert validation.summary() == "2 tree file(s) checked: 1 error(s), 1 warning(s); not valid."
    assert validation.as_json() == {
        "valid": False,
        "files": ["a.yaml", "b.yaml"],
        "errors": 1,
        "warnings": 1,
        "problems": [
            {"file": "a.yaml", "line": 3, "place": "nodes.x", "severity": "error", "message": "broken"},
            {"file": "a.yaml", "line": None, "place": "", "severity": "warning", "message": "old"},
        ],
    }
    only_warned = Validation(files[:1])
    only_warned.add([Diagnostic("a.yaml", 1, "", "old", "warning")])
    assert only_warned.valid and only_warned.summary().endswith("0 error(s), 1 warning(s); valid.")


def test_tree_rows_name_a_tree_that_is_not_valid(write_tree: WriteTree, tmp_path: Path) -> None:
    good = write_tree(id="a")
    bad = write_tree("nodes: {}\n", id="b")
    rows = {row["id"]: row for row in tree_rows(Library([tmp_path], date(2026, 6, 1)))}
    assert rows["a"] == {
        "id": "a",
        "title": "Test tree a",
        "version": "1",
        "description": "A small tree written by a test.",
        "file": str(good),
        "valid": True,
        "usable": True,
    }
    assert rows["b"]["file"] == str(bad)
    assert (rows["b"]["valid"], rows["b"]["usable"], rows["b"]["version"]) == (False, False, "")
    assert rows["b"]["title"] == "(not valid: run 'sharewise trees validate')"
