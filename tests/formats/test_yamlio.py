import random

import yaml

from sharewise.formats.yamlio import depth_problem, load_yaml_text, node_problem


def test_yes_no_on_off_stay_words_and_dates_and_versions_stay_text() -> None:
    loaded = load_yaml_text("yes: a\nno: b\non: c\noff: d\nwhen: 2026-11-01\nversion: 1.10\nflag: true\nn: 3\n")
    assert loaded.problems == []
    assert loaded.data == {
        "yes": "a", "no": "b", "on": "c", "off": "d", "when": "2026-11-01", "version": "1.10", "flag": True, "n": 3,
    }  # fmt: skip


def test_duplicate_keys_are_reported_with_both_lines() -> None:
    loaded = load_yaml_text("options:\n  yes: a\n  no: b\n  yes: c\n")
    assert [(p.line, p.message) for p in loaded.problems] == [(4, "duplicate key 'yes' (first given on line 2)")]
    assert loaded.data == {"options": {"yes": "a", "no": "b"}}


def test_syntax_error_names_the_line_and_does_not_raise() -> None:
    loaded = load_yaml_text("a: 1\nb: [1, 2\nc: 3\n")
    assert loaded.data is None
    assert len(loaded.problems) == 1
    assert loaded.problems[0].line == 3
    assert loaded.problems[0].message.startswith("YAML syntax error")


def test_line_map_knows_each_key() -> None:
    loaded = load_yaml_text("top:\n  inner:\n    leaf: 1\n")
    inner = loaded.data["top"]["inner"]
    assert loaded.lines.of(inner, "leaf") == 3
    assert loaded.lines.of(loaded.data["top"], "inner") == 2


def test_unsafe_tags_are_refused() -> None:
    loaded = load_yaml_text("x: !!python/object/apply:os.system ['echo hi']\n")
    assert loaded.data is None
    assert "python/object" in loaded.problems[0].message


def _nested(rng: random.Random, level: int, deepest: int) -> str:
    """A YAML document in flow style: a spine of lists and mappings ``deepest`` levels deep, with
    short branches off it at random."""
    if level >= deepest:
        return rng.choice(["a", "1", "true", "null", "'quoted'"])
    items = [_nested(rng, level + 1, deepest)]
    for _ in range(rng.randint(0, 2)):
        items.insert(rng.randint(0, len(items)), _nested(rng, level + 1, min(deepest, level + rng.randint(1, 3))))
    if rng.random() < 0.5:
        return "[" + ", ".join(items) + "]"
    return "{" + ", ".join(f"k{n}: {item}" for n, item in enumerate(items)) + "}"


def test_a_document_without_aliases_gets_the_same_depth_check_as_one_with() -> None:
    """Without a '*' in the text the loader checks only the depth; it finds what the whole check finds."""
    rng = random.Random(7)
    outcomes = set()
    for n in range(60):
        deepest = rng.choice([3, 99, 100, 101, 102, 130])
        text = "\n".join(f"d{row}: {_nested(rng, 1, deepest)}" for row in range(rng.randint(1, 4))) + "\n"
        node = yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        assert node is not None
        assert depth_problem(node) == node_problem(node), n
        plain, starred = load_yaml_text(text), load_yaml_text(text + "# a comment with a * in it\n")
        assert plain.problems == starred.problems, n  # the second takes the whole check
        outcomes.add(bool(plain.problems))
    assert outcomes == {True, False}  # some were too deep, some not


def test_an_alias_is_still_bounded_however_the_document_is_read() -> None:
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + n)}: &{chr(98 + n)} [*{chr(97 + n)}, *{chr(97 + n)}, *{chr(97 + n)}, *{chr(97 + n)}, "
        f"*{chr(97 + n)}, *{chr(97 + n)}, *{chr(97 + n)}, *{chr(97 + n)}, *{chr(97 + n)}, *{chr(97 + n)}]\n"
        for n in range(6)
    )
    loaded = load_yaml_text(bomb)
    assert loaded.data is None
    assert any("aliases (*name) repeat more than" in p.message for p in loaded.problems)
    assert depth_problem(yaml.compose("[1, [2]]", Loader=yaml.SafeLoader)) is None
    assert depth_problem(yaml.compose("plain", Loader=yaml.SafeLoader)) is None
