"""Reachability and loops over a tree's routes (trees.reach), on plain graphs with no tree file."""

from __future__ import annotations

from sharewise.trees.reach import find_loops, reached_from


def test_what_is_reached_follows_routes_and_an_outcome_pulls_in_its_record_questions() -> None:
    edges = {"a": ["b", "out"], "b": ["out"], "lost": ["out"], "note": []}
    reached = reached_from(["a"], edges, {"out": ["note"], "other": ["x"]})
    assert reached == {"a", "b", "out", "note"}


def test_several_roots_are_all_followed() -> None:
    edges = {"a": ["end"], "b": ["end"], "c": []}
    assert reached_from(["a", "b"], edges, {}) == {"a", "b", "end"}


def test_a_graph_without_loops_has_none() -> None:
    assert find_loops("a", {"a": ["b", "c"], "b": ["c"], "c": ["out"]}) == []


def test_each_loop_is_given_once_as_the_path_back_to_where_it_began() -> None:
    edges = {"a": ["b"], "b": ["c", "a"], "c": ["b"], "d": ["d"]}
    assert find_loops("a", edges) == [["b", "c", "b"], ["a", "b", "a"], ["d", "d"]]


def test_a_loop_far_from_the_start_is_still_found() -> None:
    edges = {"start": ["out"], "x": ["y"], "y": ["x"]}
    assert find_loops("start", edges) == [["x", "y", "x"]]
