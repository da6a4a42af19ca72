"""frontends.casefiles: reading a file of cases as JSON lines, CSV rows or a YAML list, each case numbered by its
line or row, and a malformed one reported without stopping the rest."""

from __future__ import annotations

from pathlib import Path

import pytest

from sharewise.frontends.casefiles import open_cases
from tests.helpers import ADVICE, MULTI_BODY, SHARE, WriteTree, check, jsonl

pytestmark = pytest.mark.usefixtures("tree")  # every case names the tree "t"


# -- the three input formats ----------------------------------------------------------------------


def test_csv_rows_split_multiple_choices_and_leave_empty_cells_unanswered(
    write_tree: WriteTree, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHAREWISE_TREES_PATH", str(tmp_path))
    write_tree(MULTI_BODY, id="m")
    write_tree()
    cases = tmp_path / "cases.csv"
    cases.write_text(
        "case_ref,tree,who,done,purpose,reasons\n"
        "C1,m,police;school,,,\n"  # multi values split on ';', the optional note left blank
        'C2,t,,,yes,"to keep the child safe, today"\n'  # a quoted comma stays in the text
        "C3,t,,,yes,\n"  # an empty cell is unanswered
        "C4,m,police;vet,,,\n",
        encoding="utf-8",
    )
    code, out, _ = check(str(cases))
    assert code == 4
    assert [(r["case_ref"], r["row"], r["status"]) for r in out] == [
        ("C1", 2, "decided"),
        ("C2", 3, "decided"),
        ("C3", 4, "incomplete"),
        ("C4", 5, "invalid"),
    ]
    assert out[2]["next"]["id"] == "reasons"
    assert out[3]["errors"][0]["message"].startswith("value 2 of 2 given is not an option")


def test_yaml_list_reads_words_as_words(tmp_path: Path) -> None:
    cases = tmp_path / "cases.yaml"
    cases.write_text(
        "- case_ref: Y1\n  tree: t\n  answers: {purpose: yes, reasons: to keep the child safe}\n"
        "- case_ref: Y2\n  tree: t\n  answers:\n    purpose: no\n    why-not: nobody can say why\n"
        "- case_ref: Y3\n  tree: t\n  answers: {purpose: not-sure}\n",
        encoding="utf-8",
    )
    code, out, _ = check(str(cases))
    assert code == 0
    assert [(r["case_ref"], r["line"], r["decision"]) for r in out] == [
        ("Y1", 1, "share"),
        ("Y2", 4, "do-not-share"),
        ("Y3", 9, "seek-advice"),
    ]


# -- bad input never stops the batch --------------------------------------------------------------


def test_malformed_lines_are_reported_by_number_and_the_rest_still_run(tmp_path: Path) -> None:
    cases = jsonl(
        tmp_path / "cases.jsonl",
        SHARE,
        '{"case_ref": "broken", "answers": {',
        "",
        '["a list"]',
        {"case_ref": "A9", "purpose": "yes"},
        {"case_ref": "A6", "tree": "nope", "answers": {}},
        {"case_ref": "A7", "answers": {"purpose": "yes"}},
        ADVICE,
    )
    code, out, _ = check(str(cases))
    assert code == 4
    assert [(r["line"], r["status"]) for r in out] == [
        (1, "decided"),
        (2, "invalid"),
        (4, "invalid"),
        (5, "invalid"),
        (6, "invalid"),
        (7, "invalid"),
        (8, "decided"),
    ]
    messages = [r["errors"][0]["message"] for r in out if r["status"] == "invalid"]
    assert messages[0].startswith("line 2: not valid JSON (")
    assert messages[1] == "line 4: expected a mapping of question ids to answers"
    assert messages[2] == "line 5: a case that gives 'case_ref' must put its answers under 'answers'"
    assert messages[3].startswith("no tree called 'nope' (available: ")
    assert messages[4] == "no tree: give 'tree' in the case, or --tree for the whole batch"


def test_malformed_csv_rows_and_yaml_items_are_reported_by_number(tmp_path: Path) -> None:
    rows = tmp_path / "cases.csv"
    rows.write_text(
        'case_ref,tree,purpose\nR1,t,not-sure\nR2,t,yes,extra\nR3,t,"bad"x\nR4,t,not-sure\n', encoding="utf-8"
    )
    code, out, _ = check(str(rows))
    assert code == 4
    assert [(r["row"], r["status"]) for r in out] == [(2, "decided"), (3, "invalid"), (4, "invalid"), (5, "decided")]
    assert out[1]["errors"][0]["message"] == "row 3: 4 cells, but the header names 3 columns"
    assert out[2]["errors"][0]["message"].startswith("row 4: not valid CSV (")

    items = tmp_path / "cases.yaml"
    items.write_text(
        "- {tree: t, answers: {purpose: not-sure}}\n"
        "- just a sentence\n"
        "- tree: t\n  answers:\n    purpose: yes\n    purpose: no\n"
        "- {tree: t, answers: {purpose: not-sure}}\n",
        encoding="utf-8",
    )
    code, out, _ = check(str(items))
    assert code == 4
    assert [(r["line"], r["status"]) for r in out] == [(1, "decided"), (2, "invalid"), (3, "invalid"), (7, "decided")]
    assert out[1]["errors"][0]["message"] == "line 2: expected a mapping of question ids to answers"
    assert out[2]["errors"][0]["message"] == "line 6: duplicate key 'purpose' (first given on line 5)"


def test_a_yaml_syntax_error_ends_the_file_with_its_line(tmp_path: Path) -> None:
    items = tmp_path / "cases.yaml"
    items.write_text("- {tree: t, answers: {purpose: not-sure}}\n- {tree: t, answers: [\n", encoding="utf-8")
    code, out, _ = check(str(items))
    assert code == 4
    assert out[0]["status"] == "decided"
    assert out[1]["status"] == "invalid"
    assert "the rest of the file was not read" in out[1]["errors"][0]["message"]


# -- question ids are text whatever the format ----------------------------------------------------


def _answers(path: Path) -> list[dict[str, object]]:
    with open_cases(path) as source:
        return [entry.case.answers for entry in source if entry.case is not None]


def test_a_number_key_in_yaml_is_the_id_written(tmp_path: Path) -> None:
    cases = tmp_path / "cases.yaml"
    cases.write_text('- answers: {7: "yes", urgency: "no"}\n', encoding="utf-8")
    assert _answers(cases) == [{"7": "yes", "urgency": "no"}]


def test_jsonl_answers_arrive_as_written(tmp_path: Path) -> None:
    cases = tmp_path / "cases.jsonl"
    cases.write_text('{"answers": {"7": "yes", "urgency": "no"}, "sign_off": {"name": " Ann "}}\n', encoding="utf-8")
    with open_cases(cases) as source:
        (entry,) = list(source)
    assert entry.case is not None
    assert entry.case.answers == {"7": "yes", "urgency": "no"}
    assert entry.case.sign_off.name == "Ann"
    assert entry.case.sign_off.role is None
