"""trees.library: finding trees by id on the search path, and the checks that span trees (answers carried
from one tree to the next, hand-overs, conditional starts)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sharewise.config import Config
from sharewise.errors import TreeInvalid
from sharewise.trees.library import Library
from tests.helpers import GIVING, RECEIVING, WriteTree

# -- checks that span trees ------------------------------------------------------------------------


def _problems(library: Library, tree_id: str) -> list[str]:
    path = library.path_of(tree_id)
    assert path is not None
    return [str(d) for d in library.check(path) if d.severity == "error"]


@pytest.mark.parametrize(
    ("change", "marker", "fragment"),
    [
        (("same_as: giving.consent", "same_as: giving.consnet"), "giving.consnet", "no question called 'consnet'"),
        (("same_as: giving.consent", "same_as: nowhere.consent"), "nowhere.consent", "no tree called 'nowhere'"),
        (("    map: {not-sure: unknown}\n", ""), "giving.consent", "answered 'not-sure', which 'hm-consent' does not"),
        (("map: {not-sure: unknown}", "map: {maybe: unknown}"), "giving.consent", "'map' names 'maybe', which"),
        (("map: {not-sure: unknown}", "map: {not-sure: dunno}"), "giving.consent", "'map' gives 'dunno', which"),
        (("if: giving.consent == 'refused'", "if: giving.consent == 'refsued'"), "'refsued'", "no option 'refsued'"),
        (("if: continued_from == 'giving'", "if: continued_from == 'other'"), "'other'", "no tree called 'other'"),
        (("if: continued_from == 'giving'", "if: continued_from == 'how-much'"), "'how-much'", "is this tree"),
    ],
)
def test_the_library_checks_every_cross_tree_reference_with_its_line(
    write_tree: WriteTree, change: tuple[str, str], marker: str, fragment: str
) -> None:
    write_tree(GIVING, id="giving")
    assert change[0] in RECEIVING
    path = write_tree(RECEIVING.replace(change[0], change[1], 1), id="how-much")
    line = next(n for n, text in enumerate(path.read_text().splitlines(), start=1) if marker in text)
    library = Library([path.parent])
    problems = _problems(library, "how-much")
    hits = [p for p in problems if fragment in p]
    assert len(hits) == 1, problems
    assert hits[0].startswith(f"{path}:{line} "), hits[0]
    with pytest.raises(TreeInvalid):
        library.get("how-much")


def test_a_reference_to_a_tree_that_never_continues_here_is_an_error(write_tree: WriteTree) -> None:
    write_tree(
        GIVING.replace("next: tree:how-much", "").replace("summary: Now decide how much.", "summary: Done."),
        id="giving",
    )
    path = write_tree(RECEIVING, id="how-much")
    problems = _problems(Library([path.parent]), "how-much")
    assert any("'giving' never continues into 'how-much'" in p for p in problems), problems


def test_kinds_must_match_and_a_hand_over_outcome_asks_no_record_questions(write_tree: WriteTree) -> None:
    write_tree(GIVING, id="giving")
    body = RECEIVING.replace(
        """    same_as: giving.how
    options:
      request: hm-consent
      proactive: hm-consent""",
        """    same_as: giving.how
    kind: text
    next: hm-consent""",
    )
    path = write_tree(body, id="how-much")
    problems = _problems(Library([path.parent]), "how-much")
    assert any("'giving.how' is a 'choice' question but 'hm-how' is 'text'" in p for p in problems), problems
    giving = write_tree(
        GIVING.replace("next: tree:how-much", "next: tree:how-much\n    record: [consent]"), id="giving"
    )
    problems = [str(d) for d in Library([giving.parent]).check(giving)]
    assert any("hands on to another tree asks no record questions" in p for p in problems), problems


def test_a_start_list_must_lead_to_questions(write_tree: WriteTree) -> None:
    write_tree(GIVING, id="giving")
    path = write_tree(RECEIVING.replace("    to: hm-how\n", "    to: share-all\n"), id="how-much")
    problems = _problems(Library([path.parent]), "how-much")
    assert any("'start' can lead only to a question" in p for p in problems), problems


# -- the search path ------------------------------------------------------------------------------


def test_search_order_is_command_line_then_environment_then_config_then_shipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folders = {}
    for name in ("cli", "env", "config"):
        folder = tmp_path / name
        folder.mkdir()
        (folder / "when-to-share.yaml").write_text(f"id: when-to-share\n# {name}\n", encoding="utf-8")
        folders[name] = folder
    monkeypatch.setenv("SHAREWISE_TREES_PATH", str(folders["env"]))
    library = Library.default(extra=[folders["cli"]], config=Config(trees_path=(folders["config"],)))
    assert library.folders[:3] == [folders["cli"], folders["env"], folders["config"]]
    assert library.path_of("when-to-share") == folders["cli"] / "when-to-share.yaml"
    from sharewise.trees.paths import shipped_trees_dir

    assert library.folders[-1] == shipped_trees_dir()  # the shipped trees come last
