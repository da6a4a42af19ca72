"""The shared diagnostics collector: lines from the line map, the cap on listed problems, the hint budget."""

from __future__ import annotations

from sharewise.diagnostics import HINT_POOL, Collector, join
from sharewise.formats.yamlio import load_yaml_text


def test_a_problem_is_named_at_the_line_of_its_key() -> None:
    loaded = load_yaml_text("organisation: x\nsigner:\n  name: 3\n", "f.yaml")
    found = Collector("f.yaml", loaded.lines)
    found.error("signer.name", "must be text", loaded.data["signer"], "name")
    found.error("", "somewhere in the file")
    assert [str(d) for d in found.items] == ["f.yaml:3 signer.name: must be text", "f.yaml: somewhere in the file"]


def test_problems_past_the_limit_are_counted_in_one_line_that_keeps_their_severity() -> None:
    found = Collector("f", limit=2)
    found.warning("a", "one")
    found.warning("b", "two")
    found.warning("c", "three")
    assert not found.has_errors()
    found.error("d", "four")
    assert found.has_errors()  # the error is counted though not listed
    found.count_dropped()
    assert [d.message for d in found.items] == [
        "one",
        "two",
        "2 more problem(s) not listed (at most 2 are); fix these first",
    ]
    assert found.items[-1].severity == "error"


def test_without_a_limit_every_problem_is_listed() -> None:
    found = Collector("f")
    for n in range(500):
        found.at(n + 1, "", "x")
    found.count_dropped()
    assert len(found.items) == 500


def test_suggestions_stop_when_the_budget_is_spent() -> None:
    found = Collector("f", max_hints=2)
    assert found.hint("titel", ["title", "owner"]) == "title"
    assert found.hint("ownr", ["title", "owner"]) == "owner"
    assert found.hint("titel", ["title", "owner"]) is None
    assert Collector("f").hint("x" * 100 + "titel", ["x" * 100 + "title"]) is not None  # no budget, no length limit


def test_in_a_large_pool_only_names_alike_in_first_letter_and_length_are_compared() -> None:
    fillers = [f"zz{n}" for n in range(HINT_POOL)]
    assert Collector("f", max_hints=5).hint("xtitle", ["title", *fillers[:10]]) == "title"
    assert Collector("f", max_hints=5).hint("xtitle", ["title", *fillers]) is None  # 't' is not 'x'
    assert Collector("f", max_hints=5).hint("titel", ["title", *fillers]) == "title"


def test_unknown_keys_name_the_key_and_suggest_or_list_the_known_ones() -> None:
    loaded = load_yaml_text("titel: x\nzzz: y\n" + "k" * 80 + ": z\n", "t.yaml")
    found = Collector("t.yaml", loaded.lines)
    found.unknown_keys(loaded.data, ("title", "owner"), "", width=10)
    assert [str(d) for d in found.items] == [
        "t.yaml:1 titel: unknown key 'titel' (did you mean 'title'?)",
        "t.yaml:2 zzz: unknown key 'zzz'; expected one of: title, owner",
        f"t.yaml:3 {'k' * 7}...: unknown key '{'k' * 7}...'; expected one of: title, owner",
    ]


def test_join_makes_a_dotted_place() -> None:
    assert join("nodes.consent", "ask") == "nodes.consent.ask"
    assert join("", "ask") == "ask"
