"""The decision vocabulary (sharewise.decisions): one table, and every renderer reading it."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import get_args

from sharewise import decisions, model
from sharewise.decisions import BY_ID, DECISIONS, TABLE, label_of
from sharewise.formats.console import DECISION_STYLE
from sharewise.interactive.screen import DECISION_WORDS
from sharewise.records.view import DECISION_LABELS, SECTION_TITLES, RecordView, render_html
from sharewise.trees.graph import DECISION_COLOURS, to_dot, to_mermaid
from sharewise.trees.load import load_tree_file
from tests.helpers import REFUSE_REQUEST, WriteTree, make_record


def test_the_type_the_ids_and_the_table_agree() -> None:
    assert get_args(decisions.Decision) == DECISIONS == ("share", "do-not-share", "seek-advice")
    assert model.Decision is decisions.Decision and model.DECISIONS is DECISIONS  # trees read the same ids
    assert [w.id for w in TABLE] == list(BY_ID) == list(DECISIONS)


def test_the_words_people_read() -> None:
    assert [w.label for w in TABLE] == ["Share", "Do not share", "Seek advice"]
    assert [w.key_text for w in TABLE] == ["Decision: share", "Decision: do not share", "Decision: seek advice"]
    assert BY_ID["do-not-share"].heading == "The request, and why it was not shared"
    assert [w.style for w in TABLE] == ["bold green", "bold red", "bold yellow"]


def test_every_renderer_takes_its_words_and_colours_from_the_table() -> None:
    assert DECISION_LABELS == DECISION_WORDS == {w.id: w.label for w in TABLE}
    assert {w.id: w.style for w in TABLE} == DECISION_STYLE
    assert {w.id: w.heading for w in TABLE} == SECTION_TITLES
    assert {w.id: (w.graph_fill, w.graph_stroke) for w in TABLE} == DECISION_COLOURS


def test_names_fit_where_they_are_used() -> None:
    for words in TABLE:
        assert re.fullmatch(r"[a-z][a-zA-Z]*", words.mermaid_class), words  # Mermaid: no '-'
        assert re.fullmatch(r"[a-z][a-z-]*", words.css_name), words
        for colour in (words.css_colour, words.graph_fill, words.graph_stroke):
            assert re.fullmatch(r"#[0-9a-f]{6}", colour), words


def test_label_of_never_looks_up_an_odd_value() -> None:
    assert label_of("seek-advice", "?") == "Seek advice"
    assert label_of("maybe", "maybe") == "maybe"
    assert label_of(["share"], "odd") == "odd"  # a list in a damaged record is not a key
    assert label_of(None, "(none)") == "(none)"


def test_a_record_page_colours_each_decision_from_the_table() -> None:
    page = render_html(RecordView.of(make_record(REFUSE_REQUEST)))
    for words in TABLE:
        assert f"--{words.css_name}: {words.css_colour};" in page
        assert f".decision.{words.id} {{ border-color: var(--{words.css_name}); }}" in page
    assert '<section class="decision do-not-share" aria-label="Decision">' in page
    assert "<h2>The request, and why it was not shared</h2>" in page


def test_a_diagram_colours_and_keys_each_decision_from_the_table(write_tree: WriteTree) -> None:
    tree = load_tree_file(write_tree()).tree
    assert tree is not None
    mermaid, dot = to_mermaid(tree), to_dot(tree)
    for words in TABLE:
        fill, stroke = words.graph_fill, words.graph_stroke
        assert f"classDef {words.mermaid_class} fill:{fill},stroke:{stroke},color:#000000" in mermaid
        assert f'"key:{words.id}" [label="{words.key_text}", style="rounded,filled", fillcolor="{fill}"' in dot
    assert "class R_share share" in mermaid and "class R_no_dpurpose doNotShare" in mermaid


def _decision_enums(node: object) -> list[list[str]]:
    if isinstance(node, dict):
        found = [node["enum"]] if "share" in node.get("enum", []) else []
        return found + [e for value in node.values() for e in _decision_enums(value)]
    if isinstance(node, list):
        return [e for value in node for e in _decision_enums(value)]
    return []


def test_the_schemas_and_the_records_list_flag_name_the_same_decisions() -> None:
    """Text that cannot read the table (JSON Schemas; --help, kept free of imports) is kept in step here."""
    root = Path(__file__).parents[1]
    schemas = [root / "src/sharewise/schemas/tree.schema.json", root / "src/sharewise/schemas/record.schema.json"]
    for schema in [*schemas, root / "docs/record.schema.json"]:
        enums = _decision_enums(json.loads(schema.read_text(encoding="utf-8")))
        assert enums and all(enum == list(DECISIONS) for enum in enums), schema
    from typer.testing import CliRunner

    from sharewise.cli import app

    result = CliRunner().invoke(app, ["records", "list", "--help"])
    assert f"--decision [{'|'.join(DECISIONS)}]" in result.stdout
