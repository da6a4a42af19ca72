from sharewise.formats.yamlio import load_yaml_text


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
