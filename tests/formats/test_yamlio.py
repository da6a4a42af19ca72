import random
from pathlib import Path
from typing import Any

import yaml

from sharewise.formats import yamlio
from sharewise.formats.yamlio import Loaded, depth_problem, load_yaml_text, node_problem


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


def _typed(value: Any) -> Any:
    """``value`` with every type spelled out (``True == 1`` in Python, but not in a tree)."""
    if isinstance(value, dict):
        return ("dict", [(key, _typed(item)) for key, item in value.items()])
    if isinstance(value, list):
        return ("list", [_typed(item) for item in value])
    return (type(value).__name__, value)


def _line_entries(loaded: Loaded) -> list[Any]:
    """What the line map says of each mapping in the data, in the order the data holds them."""
    found: list[Any] = []
    stack = [loaded.data]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            found.append((loaded.lines.of(value), {key: loaded.lines.of(value, key) for key in value}))
            stack.extend(reversed(list(value.values())))
        elif isinstance(value, list):
            stack.extend(reversed(value))
    return found


_EDGES = [
    "", "# only a comment\n", "---\n", "plain\n", "- a\n- b\n", "[1, [2, {a: b}]]\n",
    "true: 1\n1: x\n~: y\n'': z\nTrue: t\n", "a: 'true'\nb: \"12\"\nc: true\nd: TRUE\ne: tRue\nf: 0\ng: -0\nh: +5\n",
    "i: 007\nj: 1.5\nk: 2026-01-01\nl: yes\nm: no\nn: null\no: Null\np: NULL\nq: ~\nr:\ns: nulls\nt: 1234567890123456789\n",
    "text: |\n  two\n  lines\nfolded: >\n  one\n  line\n", "a: &x 1\nb: 2\n", "<<: {a: 1}\nb: 2\n",
    "a: !!str 1\n", "a: !custom x\n", "a: 1\na: 2\n", "? [a]\n: b\n", "a: 1\n---\nb: 2\n", "a: [1, 2\n",
    "a: \x1b\n", "\ufeffa: 1\n", "a: {b: {c: [d, {e: f}]}}\nx:\n  - y: 1\n    z: 2\n  - [3]\n",
    "a:\n  b: 1\n  b: 2\nc: 3\n", "[" * 101 + "]" * 101 + "\n", "[" * 100 + "]" * 100 + "\n",
    "key: value # comment\n'quoted key': 1\n\"double\": 2\n", "a: *x\n", "%YAML 1.1\n---\na: 1\n",
    "a: &x 1\nb: &x 2\n", "- &x a\n- &x b\n", "&x a: &y 1\n", "a: &m {b: 1}\nc: &s [1]\n",
]  # fmt: skip


def _random_document(rng: random.Random) -> str:
    words = ["a", "b", "yes", "true", "1", "-2", "~", "null", "'q'", '"d"', "x y", "", "0", "2026-12-03"]

    def value(depth: int) -> Any:
        if depth > 3 or rng.random() < 0.4:
            return rng.choice(words)
        if rng.random() < 0.5:
            return [value(depth + 1) for _ in range(rng.randint(0, 3))]
        return {rng.choice(words) or "k": value(depth + 1) for _ in range(rng.randint(0, 3))}

    def block(item: Any, indent: int) -> str:
        pad = " " * indent
        if isinstance(item, dict) and item:
            return "".join(f"{pad}{k}:\n{block(v, indent + 2)}" if isinstance(v, (dict, list)) and v
                           else f"{pad}{k}: {flow(v)}\n" for k, v in item.items())  # fmt: skip
        if isinstance(item, list) and item:
            return "".join(f"{pad}-\n{block(v, indent + 2)}" if isinstance(v, (dict, list)) and v
                           else f"{pad}- {flow(v)}\n" for v in item)  # fmt: skip
        return f"{pad}{flow(item)}\n"

    def flow(item: Any) -> str:
        if isinstance(item, dict):
            return "{" + ", ".join(f"{k}: {flow(v)}" for k, v in item.items()) + "}"
        if isinstance(item, list):
            return "[" + ", ".join(flow(v) for v in item) + "]"
        return str(item)

    top = {f"k{n}": value(1) for n in range(rng.randint(1, 5))}
    text = block(top, 0) if rng.random() < 0.7 else flow(top) + "\n"
    if rng.random() < 0.1:
        text += "k0: again\n"  # a key given twice
    return text


def test_the_document_read_from_events_is_the_one_composed_with_the_same_lines() -> None:
    """The quick way (events, for documents without aliases, tags or problems) and the composed way
    give the same data, types, problems and line map; anything the quick way does not take is
    read the composed way."""
    rng = random.Random(11)
    shipped = [p.read_text(encoding="utf-8") for p in sorted(Path(__file__).parents[2].glob("trees/*.yaml"))]
    documents = shipped + _EDGES + [_random_document(rng) for _ in range(400)]
    quick = 0
    for text in documents:
        fast = yamlio.load_plain(text, "t.yaml")
        composed = yamlio._load_composed(text, "t.yaml", aliased="*" in text)
        whole = load_yaml_text(text, "t.yaml")
        for loaded in (whole, *([fast] if fast is not None else [])):
            assert _typed(loaded.data) == _typed(composed.data), text
            assert loaded.problems == composed.problems, text
            assert _line_entries(loaded) == _line_entries(composed), text
        quick += fast is not None
    assert 300 < quick < len(documents)  # most took the quick way, and some could not
    assert yamlio.load_plain("a: 1\na: 2\n", "t.yaml") is None  # a key twice: read the composed way
    assert yamlio.load_plain("a: !!str 1\n", "t.yaml") is None
    assert (
        yamlio.load_plain("a: &x 1\nb: &x 2\n", "t.yaml") is None
    )  # an anchor given twice is the composer's to refuse
    surrogate = load_yaml_text("a: 1\nb: \ud800\n")
    assert surrogate.data is None
    assert [(p.line, p.message) for p in surrogate.problems] == [
        (2, "YAML error: this line holds a character that is not valid text")
    ]
