"""Hostile and broken input (issue 12): bounded, reported with its place and exit code, never a traceback.

Each test here reproduces a fault found by trying sharewise as an attacker would; each failed
before its fix (a hang, a traceback with exit 1, raw control characters on the terminal, or a
message repeating what was typed).
"""

from __future__ import annotations

import io
import json
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from sharewise.cli import app
from tests.helpers import HEADER, SIMPLE_BODY, WriteTree

runner = CliRunner()
SIGN = ["--signed-by", "Sam Carter", "--role", "Designated safeguarding lead"]
NOW = datetime(2026, 11, 30, 10, 0, tzinfo=timezone.utc)

KINDS_BODY = """\
nodes:
  who:
    ask: Who will receive it?
    help: h
    source: src a
    kind: multi
    options: [police, school, health]
    next: when
  when:
    ask: When was it requested?
    help: h
    source: src b
    kind: date
    next: done
outcomes:
  done:
    decision: share
    title: Share
    summary: s
"""


def bomb(indent: str = "", levels: int = 9, name: str = "x") -> str:
    """A billion-value alias bomb in a few hundred bytes: nine levels of ten aliases each."""
    lines = [f"{indent}{name}0: &{name}0 [v, v, v, v, v, v, v, v, v, v]"]
    for i in range(1, levels):
        refs = ", ".join([f"*{name}{i - 1}"] * 10)
        lines.append(f"{indent}{name}{i}: &{name}{i} [{refs}]")
    return "\n".join(lines) + "\n"


def invoke(*args: str) -> Any:
    return runner.invoke(app, list(args))


def no_traceback(result: Any) -> None:
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output


@pytest.fixture(autouse=True)
def _trees_here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHAREWISE_TREES_PATH", str(tmp_path))


# -- alias bombs ----------------------------------------------------------------------------------


@pytest.mark.timeout(20)
@pytest.mark.parametrize("question", ["who", "when"])
def test_an_alias_bomb_in_an_answers_file_is_refused_with_its_line(
    write_tree: WriteTree, tmp_path: Path, question: str
) -> None:
    tree = write_tree(KINDS_BODY)
    answers = tmp_path / "answers.yaml"
    answers.write_text("answers:\n" + bomb("  ") + f"  {question}: *x8\n", encoding="utf-8")
    started = time.monotonic()
    result = invoke("decide", str(tree), "--no-input", "--answers", str(answers), *SIGN, "--json")
    assert time.monotonic() - started < 10
    no_traceback(result)
    assert result.exit_code == 2
    out = json.loads(result.stdout)
    assert out["status"] == "error"
    assert out["message"].startswith(f"{answers}:")
    assert "aliases (*name) repeat more than 100,000 values" in out["message"]


@pytest.mark.timeout(20)
def test_an_alias_bomb_as_options_is_a_tree_error(write_tree: WriteTree) -> None:
    body = SIMPLE_BODY.replace(
        "    options:\n      yes: reasons\n", "    options: *x8\n    ignored:\n      yes: reasons\n"
    )
    tree = write_tree("bombs:\n" + bomb("  ") + body)
    result = invoke("trees", "validate", str(tree))
    no_traceback(result)
    assert result.exit_code == 5
    assert "aliases (*name) repeat more than 100,000 values" in result.stdout
    assert len(result.stdout) < 2000


@pytest.mark.timeout(20)
def test_an_alias_bomb_in_an_overlay_on_the_trees_path_does_not_hang_trees_list(
    write_tree: WriteTree, tmp_path: Path
) -> None:
    write_tree()
    (tmp_path / "local.yaml").write_text(
        'format: sharewise-tree/1\nextends: t\nid: local\nversion: "2"\nowner: o\n'
        "reviewed: 2026-01-01\nnext_review: 2099-01-01\n"
        "anchors:\n" + bomb("  ") + "nodes:\n  purpose:\n    help: *x8\n",
        encoding="utf-8",
    )
    result = invoke("trees", "list", "--json")
    no_traceback(result)
    assert result.exit_code == 0
    rows = {row["id"]: row for row in json.loads(result.stdout)}
    assert rows["t"]["valid"] is True
    assert rows["local"]["valid"] is False
    validate = invoke("trees", "validate", str(tmp_path / "local.yaml"))
    assert validate.exit_code == 5
    assert "aliases (*name) repeat more than 100,000 values" in validate.stdout


def test_an_alias_that_holds_itself_is_refused(write_tree: WriteTree) -> None:
    tree = write_tree("loop: &a [1, *a]\n" + SIMPLE_BODY)
    result = invoke("trees", "validate", str(tree))
    assert result.exit_code == 5
    assert "an alias (*name) refers to a list or mapping that holds it" in result.stdout


def test_a_few_aliases_still_work(write_tree: WriteTree) -> None:
    body = SIMPLE_BODY.replace("    help: Purpose matters.\n", "    help: &shared Purpose matters.\n").replace(
        "    help: Reasons matter.\n", "    help: *shared\n"
    )
    assert invoke("trees", "validate", str(write_tree(body))).exit_code == 0


@pytest.mark.timeout(20)
def test_an_alias_bomb_in_a_yaml_cases_file_spoils_only_its_cases(write_tree: WriteTree, tmp_path: Path) -> None:
    write_tree()
    cases = tmp_path / "cases.yaml"
    big = ", ".join(["v"] * 1000)
    cases.write_text(
        f"- &c {{tree: t, answers: {{purpose: [{big}]}}}}\n"
        + "- *c\n" * 300
        + "- {tree: t, answers: {purpose: not-sure}}\n",
        encoding="utf-8",
    )
    result = invoke("check", str(cases), "--format", "jsonl")
    no_traceback(result)
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(out) == 302
    assert out[-1]["status"] == "decided"
    # The first hundred copies fit the allowance (each is a list, the wrong answer for a choice).
    assert out[0]["errors"][0]["message"].startswith("takes one answer, not a list")
    refused = [r for r in out if "aliases (*name) repeat more than" in r.get("errors", [{}])[0].get("message", "")]
    assert 150 < len(refused) < 300
    assert refused[0]["line"] > 1  # the line of the item, not of the anchor it names


# -- no tracebacks --------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".json", ".yaml"])
def test_a_huge_integer_answer_is_an_invalid_answer_not_a_crash(
    write_tree: WriteTree, tmp_path: Path, suffix: str
) -> None:
    tree = write_tree()
    answers = tmp_path / f"answers{suffix}"
    answers.write_text('{"answers": {"purpose": ' + "9" * 5000 + "}}", encoding="utf-8")
    result = invoke("decide", str(tree), "--no-input", "--answers", str(answers), *SIGN, "--json")
    no_traceback(result)
    assert result.exit_code == 4
    error = json.loads(result.stdout)["errors"][0]
    assert error["id"] == "purpose"
    assert "9999" not in error["message"]


def test_a_huge_integer_in_a_tree_is_reported(write_tree: WriteTree) -> None:
    tree = write_tree(SIMPLE_BODY.replace("min_length: 10", "min_length: " + "1" * 5000))
    result = invoke("trees", "validate", str(tree))
    no_traceback(result)
    assert result.exit_code == 5
    assert "nodes.reasons.min_length" in result.stdout


def test_a_deeply_nested_json_answers_file_is_refused_with_one_json_object(
    write_tree: WriteTree, tmp_path: Path
) -> None:
    tree = write_tree()
    answers = tmp_path / "answers.json"
    answers.write_text('{"answers": {"purpose": ' + "[" * 5000 + "]" * 5000 + "}}", encoding="utf-8")
    result = invoke("decide", str(tree), "--no-input", "--answers", str(answers), *SIGN, "--json")
    no_traceback(result)
    assert result.exit_code == 2
    out = json.loads(result.stdout)
    assert out["message"] == f"{answers}: nested too deeply (more than 100 levels of lists and mappings)"


def test_deep_nesting_in_a_yaml_answers_file_is_refused_with_its_line(write_tree: WriteTree, tmp_path: Path) -> None:
    tree = write_tree()
    answers = tmp_path / "answers.yaml"
    answers.write_text("answers:\n  purpose: " + "[" * 300 + "]" * 300 + "\n", encoding="utf-8")
    result = invoke("decide", str(tree), "--no-input", "--answers", str(answers), *SIGN)
    no_traceback(result)
    assert result.exit_code == 2
    assert f"{answers}:2: the document is nested too deeply" in result.stderr


def test_deep_nesting_in_a_large_tree_takes_no_fast_path_to_a_crash(write_tree: WriteTree) -> None:
    # Large trees were once read first by a second, line-less parser, where deep nesting crashed
    # the conversion; that parser is gone, and a large tree must still be refused with its line.
    filler = "".join(f"  pad{i}:\n    title: {'x' * 60}\n" for i in range(3000))
    deep = "".join(" " * (4 + 2 * i) + f"k{i}:\n" for i in range(400)) + " " * 804 + "v\n"
    body = SIMPLE_BODY + "extra:\n" + deep
    tree = write_tree(body.replace("outcomes:\n", "outcomes:\n", 1))
    tree.write_text(tree.read_text().replace("sources:\n", "sources:\n" + filler, 1), encoding="utf-8")
    assert tree.stat().st_size > 256 * 1024
    result = invoke("trees", "validate", str(tree))
    no_traceback(result)
    assert result.exit_code == 5
    assert "nested too deeply (more than 100 levels" in result.stdout


@pytest.mark.parametrize("where", ["answer", "case_ref", "sign_off"])
def test_a_lone_surrogate_is_refused_before_sealing(write_tree: WriteTree, tmp_path: Path, where: str) -> None:
    tree = write_tree()
    case: dict[str, Any] = {"answers": {"purpose": "yes", "reasons": "to keep the child safe"}}
    if where == "answer":
        case["answers"]["reasons"] = "to keep the child safe \ud800"
    elif where == "case_ref":
        case["case_ref"] = "REQ-\udfff"
    else:
        case["sign_off"] = {"name": "Sam \ud83d"}
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps(case), encoding="utf-8")  # json writes them as \\u escapes
    result = invoke("decide", str(tree), "--no-input", "--answers", str(answers), *SIGN, "--json")
    no_traceback(result)
    assert result.exit_code == 2
    out = json.loads(result.stdout)
    assert out["message"].startswith(f"{answers}: ")
    assert "not valid Unicode" in out["message"]
    assert not (tmp_path / "records").exists() or not any((tmp_path / "records").iterdir())


def test_a_lone_surrogate_on_the_command_line_is_refused(write_tree: WriteTree) -> None:
    # Bytes that are not UTF-8 in argv arrive as lone surrogates.
    tree = write_tree()
    result = invoke(
        "decide", str(tree), "--no-input", "-a", "purpose=yes", "-a", "reasons=to keep the child safe",
        "--case-ref", "REQ-\udcff", *SIGN,
    )  # fmt: skip
    no_traceback(result)
    assert result.exit_code == 2
    assert "the command line: case_ref holds text that is not valid Unicode" in result.stderr


def test_an_answers_file_with_a_byte_order_mark_is_read(write_tree: WriteTree, tmp_path: Path) -> None:
    tree = write_tree()
    answers = tmp_path / "answers.json"
    answers.write_bytes(b"\xef\xbb\xbf" + json.dumps({"answers": {"purpose": "not-sure"}}).encode())
    result = invoke("decide", str(tree), "--no-input", "--answers", str(answers), *SIGN, "--json")
    assert result.exit_code == 0, result.stdout
    assert json.loads(result.stdout)["outcome"]["id"] == "advice"


def test_an_answers_file_over_the_size_limit_is_refused(write_tree: WriteTree, tmp_path: Path) -> None:
    tree = write_tree()
    answers = tmp_path / "answers.yaml"
    answers.write_text("answers:\n  reasons: " + "x" * (1 << 20) + "\n", encoding="utf-8")
    result = invoke("decide", str(tree), "--no-input", "--answers", str(answers), *SIGN)
    assert result.exit_code == 2
    assert f"{answers}: an answers file may be at most 1,024 KiB" in result.stderr


def test_in_check_every_bad_line_is_reported_and_the_batch_goes_on(write_tree: WriteTree, tmp_path: Path) -> None:
    write_tree()
    good = json.dumps({"tree": "t", "answers": {"purpose": "not-sure"}})
    lines = [
        "\ufeff" + good,  # a byte order mark on the first line
        '{"tree": "t", "answers": {"purpose": ' + "[" * 5000 + "]" * 5000 + "}}",
        '{"tree": "t", "answers": {"purpose": ' + "7" * 5000 + "}}",
        '{"tree": "t", "case_ref": "\\ud800", "answers": {"purpose": "not-sure"}}',
        '{"tree": "t", "answers": {"purpose": ' + "[" * 150 + "]" * 150 + "}}",
        good,
    ]
    cases = tmp_path / "cases.jsonl"
    cases.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = invoke("check", str(cases), "--format", "jsonl")
    no_traceback(result)
    assert result.exit_code == 4
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(r["line"], r["status"]) for r in out] == [
        (1, "decided"),
        (2, "invalid"),
        (3, "invalid"),
        (4, "invalid"),
        (5, "invalid"),
        (6, "decided"),
    ]
    messages = [r["errors"][0]["message"] for r in out if r["status"] == "invalid"]
    assert messages[0] == "line 2: nested too deeply (more than 100 levels of lists and mappings)"
    assert messages[1] == "the answer given is not one of its options; allowed: yes, no, not-sure"
    assert messages[2] == "line 4: case_ref holds text that is not valid Unicode (a lone surrogate code)"
    assert messages[3] == "line 5: nested too deeply (more than 100 levels of lists and mappings)"


def test_in_check_a_deep_yaml_case_spoils_only_itself(write_tree: WriteTree, tmp_path: Path) -> None:
    write_tree()
    cases = tmp_path / "cases.yaml"
    cases.write_text(
        "- {tree: t, answers: {purpose: " + "[" * 900 + "]" * 900 + "}}\n- {tree: t, answers: {purpose: not-sure}}\n",
        encoding="utf-8",
    )
    result = invoke("check", str(cases), "--format", "jsonl")
    no_traceback(result)
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(r["line"], r["status"]) for r in out] == [(1, "invalid"), (2, "decided")]


def test_in_check_an_overlong_line_is_reported_and_skipped(write_tree: WriteTree, tmp_path: Path) -> None:
    write_tree()
    cases = tmp_path / "cases.jsonl"
    good = json.dumps({"tree": "t", "answers": {"purpose": "not-sure"}})
    cases.write_text(good + "\n" + '{"x": "' + "y" * (2 << 20) + '"}\n' + good + "\n", encoding="utf-8")
    result = invoke("check", str(cases), "--format", "jsonl")
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(r["line"], r["status"]) for r in out] == [(1, "decided"), (2, "invalid"), (3, "decided")]
    assert out[1]["errors"][0]["message"] == "line 2: longer than 1,024 KiB; a case is shorter"


# -- messages never repeat what was typed -----------------------------------------------------------


def test_a_misaligned_csv_never_prints_the_cell_that_landed_in_a_choice(write_tree: WriteTree, tmp_path: Path) -> None:
    write_tree()
    cases = tmp_path / "cases.csv"
    cases.write_text("tree,purpose\nt,Jane Doe 2014-03-09\n", encoding="utf-8")
    result = invoke("check", str(cases))
    assert result.exit_code == 4
    assert "Jane" not in result.stdout and "2014" not in result.stdout
    assert "row 2: invalid: purpose: the answer given is not one of its options; allowed: yes, no, not-sure" in (
        result.stdout
    )


def test_wrong_multi_and_date_answers_are_named_by_position_not_repeated(write_tree: WriteTree) -> None:
    tree = write_tree(KINDS_BODY)
    result = invoke(
        "decide", str(tree), "--no-input", "-a", "who=police;Jane Doe", "-a", "when=9 March 2014 Jane", "--json",
    )  # fmt: skip
    assert result.exit_code == 4
    assert "Jane" not in result.stdout
    errors = {e["id"]: e["message"] for e in json.loads(result.stdout)["errors"]}
    assert errors == {
        "who": "value 2 of 2 given is not an option; allowed: police, school, health",
        "when": "the answer given is not a date; write it as YYYY-MM-DD, for example 2026-11-30",
    }


def test_an_unknown_answer_key_is_cut_short(write_tree: WriteTree) -> None:
    tree = write_tree()
    key = "Jane Doe, 14 Acacia Avenue, date of birth 2014-03-09, school Hilltop"
    result = invoke("decide", str(tree), "--no-input", "-a", f"{key}=x", "--json")
    assert result.exit_code == 4
    error = json.loads(result.stdout)["errors"][0]
    assert error["id"] == key[:37] + "..."
    assert "Hilltop" not in result.stdout


def test_an_unknown_case_key_is_cut_short(tmp_path: Path) -> None:
    cases = tmp_path / "cases.jsonl"
    key = "Jane Doe, 14 Acacia Avenue, date of birth 2014-03-09, school Hilltop"
    cases.write_text(json.dumps({"answers": {}, key: 1}) + "\n", encoding="utf-8")
    result = invoke("check", str(cases), "--format", "jsonl")
    assert "Hilltop" not in result.stdout
    assert json.loads(result.stdout)["errors"][0]["message"].startswith("line 1: unknown key 'Jane Doe, 14 Acacia")


def test_a_bad_answer_flag_is_not_repeated() -> None:
    result = invoke("decide", "t", "--no-input", "-a", "Jane Doe lives at 14 Acacia Avenue")
    assert result.exit_code == 2
    assert "Acacia" not in result.output


# -- a case names its tree by id ------------------------------------------------------------------


def test_a_case_cannot_make_check_read_a_file(tmp_path: Path) -> None:
    secret = tmp_path / "elsewhere" / "secret.yaml"
    secret.parent.mkdir()
    secret.write_text(HEADER.format(id="secret") + "nodes:\n  private-question-text: {}\n", encoding="utf-8")
    cases = tmp_path / "cases.jsonl"
    cases.write_text(json.dumps({"tree": str(secret), "answers": {}}) + "\n", encoding="utf-8")
    result = invoke("check", str(cases), "--format", "jsonl")
    assert result.exit_code == 4
    assert "private-question-text" not in result.output
    assert "secret" not in result.stdout
    assert json.loads(result.stdout)["errors"][0]["message"].startswith("'tree' names a tree by its id")


def test_a_tree_file_given_with_tree_lets_cases_name_it_and_its_neighbours_by_id(
    write_tree: WriteTree, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SHAREWISE_TREES_PATH")
    folder = tmp_path / "local"
    folder.mkdir()
    tree = folder / "t.yaml"
    tree.write_text(write_tree().read_text(), encoding="utf-8")
    cases = tmp_path / "cases.jsonl"
    cases.write_text(json.dumps({"tree": "t", "answers": {"purpose": "not-sure"}}) + "\n", encoding="utf-8")
    result = invoke("check", str(cases), "--tree", str(tree), "--format", "jsonl")
    assert result.exit_code == 0, result.stdout
    assert json.loads(result.stdout)["tree"] == "t"


# -- control characters never reach the terminal ----------------------------------------------------

ESCAPES = ["\x1b]0;owned\x07", "\x1b]8;;https://evil.example/\x1b\\", "\x1b[2J", "\x1b[8m", "\x9b2J"]
HOSTILE = "".join(ESCAPES)
SHOWN = "\\x1b]0;owned"  # what the first of them looks like once neutralised


def quoted(text: str) -> str:
    """``text`` as a double-quoted YAML scalar (YAML allows control characters only as escapes)."""
    return json.dumps(text)


def hostile_tree(write_tree: WriteTree) -> Path:
    body = SIMPLE_BODY.replace(
        "ask: Is there a clear purpose?", f"ask: {quoted('Is there a clear purpose? ' + HOSTILE)}"
    )
    body = body.replace("title: Seek advice", f"title: {quoted('Seek advice ' + HOSTILE)}")
    return write_tree(body.replace("- Tell the requester why.", f"- {quoted('Tell the requester why. ' + HOSTILE)}"))


def assert_neutralised(text: str) -> None:
    assert "\x1b" not in text and "\x9b" not in text and "\x07" not in text
    assert SHOWN in text


def test_trees_show_neutralises_control_characters(write_tree: WriteTree) -> None:
    result = invoke("trees", "show", str(hostile_tree(write_tree)))
    assert result.exit_code == 0, result.output
    assert_neutralised(result.stdout)


def test_scripted_decide_neutralises_tree_text_and_answers(write_tree: WriteTree) -> None:
    tree = hostile_tree(write_tree)
    result = invoke("decide", str(tree), "--no-input", "-a", "purpose=not-sure", *SIGN, "--case-ref", f"R{HOSTILE}")
    assert result.exit_code == 0, result.output
    assert_neutralised(result.stdout)
    as_json = invoke("decide", str(tree), "--no-input", "-a", "purpose=not-sure", *SIGN, "--json")
    assert "\x1b" not in as_json.stdout and "\x9b" not in as_json.stdout
    assert json.loads(as_json.stdout)["outcome"]["title"] == f"Seek advice {HOSTILE}"  # the data is unchanged
    incomplete = invoke("decide", str(tree), "--no-input", *SIGN)
    assert_neutralised(incomplete.stderr)


def test_records_show_and_list_neutralise_control_characters(write_tree: WriteTree, tmp_path: Path) -> None:
    tree = hostile_tree(write_tree)
    folder = tmp_path / "records"
    made = invoke("decide", str(tree), "--no-input", "-a", "purpose=not-sure", "--signed-by", f"Sam {HOSTILE}",
                  "--role", "DSL", "--case-ref", f"R{HOSTILE}", "--records-dir", str(folder))  # fmt: skip
    assert made.exit_code == 0, made.output
    record = next(p for p in folder.iterdir() if not p.name.startswith("."))
    shown = invoke("records", "show", str(record))
    assert shown.exit_code == 0, shown.output
    assert_neutralised(shown.stdout)
    listed = invoke("records", "list", str(folder))
    assert listed.exit_code == 0, listed.output
    assert "\x1b" not in listed.stdout and "\x9b" not in listed.stdout
    rendered = invoke("records", "render", str(record))
    assert "\x1b" not in rendered.stdout and "\x9b" not in rendered.stdout and "\\x1b" in rendered.stdout


def test_check_neutralises_case_refs_and_tree_text(write_tree: WriteTree, tmp_path: Path) -> None:
    hostile_tree(write_tree)
    cases = tmp_path / "cases.jsonl"
    cases.write_text(json.dumps({"tree": "t", "case_ref": f"R{HOSTILE}", "answers": {}}) + "\n", encoding="utf-8")
    text = invoke("check", str(cases))
    assert_neutralised(text.stdout)
    lines = invoke("check", str(cases), "--format", "jsonl")
    assert "\x1b" not in lines.stdout and "\x9b" not in lines.stdout
    assert json.loads(lines.stdout)["case_ref"] == f"R{HOSTILE}"


def test_trees_validate_messages_neutralise_control_characters(write_tree: WriteTree) -> None:
    tree = write_tree(SIMPLE_BODY + f"{quoted('bad' + HOSTILE)}: 1\n")
    result = invoke("trees", "validate", str(tree))
    assert result.exit_code == 5
    assert_neutralised(result.stdout)


def test_the_interactive_console_neutralises_what_it_prints() -> None:
    from rich.panel import Panel
    from rich.text import Text

    from sharewise.formats.console import make_console

    console = make_console()
    console.file = io.StringIO()
    console.print(Panel(Text(f"question {HOSTILE}", style="bold"), title=f"title {HOSTILE}"))
    console.print(f"plain {HOSTILE} \ud800")
    assert_neutralised(console.file.getvalue())
    assert "\\ud800" in console.file.getvalue()


# -- validation cost ------------------------------------------------------------------------------


def bad_routes_body(count: int) -> str:
    nodes = "".join(
        f"  q{i}:\n    ask: Q{i}?\n    help: h\n    source: src a\n    options:\n      yes: gone-{i}\n"
        for i in range(count)
    )
    return "nodes:\n" + nodes + "outcomes:\n  o0:\n    decision: share\n    title: T\n    summary: S\n"


def test_many_bad_routes_give_capped_diagnostics_and_few_suggestions(write_tree: WriteTree) -> None:
    from sharewise.trees.load import MAX_DIAGNOSTICS, load_tree_file

    loaded = load_tree_file(write_tree(bad_routes_body(1500)))
    assert loaded.tree is None
    assert len(loaded.diagnostics) == MAX_DIAGNOSTICS + 1
    last = loaded.diagnostics[-1]
    assert last.severity == "error"
    assert last.message == "1,300 more problem(s) not listed (at most 200 are); fix these first"
    assert sum("did you mean" in d.message for d in loaded.diagnostics) <= 20


def test_many_unknown_keys_are_capped_too(write_tree: WriteTree) -> None:
    from sharewise.trees.load import load_tree_file

    extra = "".join(f"stray-{i}: 1\n" for i in range(5000))
    loaded = load_tree_file(write_tree(SIMPLE_BODY + extra))
    assert len(loaded.diagnostics) == 201
    assert loaded.diagnostics[0].message.startswith("unknown key 'stray-0'")


def test_only_warnings_before_the_cap_still_leave_a_tree_with_dropped_errors_invalid() -> None:
    from sharewise.trees import load as treefile

    builder = treefile._Builder("f", treefile.LineMap(), [], None)
    for _ in range(treefile.MAX_DIAGNOSTICS):
        builder.warning("x", "a warning")
    builder.error("y", "an error")
    assert builder.has_errors()
    builder.count_dropped()
    assert builder.diags[-1].severity == "error"


def test_a_tree_file_over_the_size_limit_is_refused_unread(
    write_tree: WriteTree, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sharewise.trees import load as treefile

    tree = write_tree()
    monkeypatch.setattr(treefile, "MAX_TREE_BYTES", tree.stat().st_size - 1)
    loaded = treefile.load_tree_file(tree)
    assert loaded.tree is None
    assert [d.message for d in loaded.diagnostics] == ["the file is larger than 0 MiB, the most a tree file may be"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"format": ' + "[" * 5000 + "]" * 5000 + "}", "is nested too deeply to be a record"),
        ('{"format": "sharewise-record/1", "n": ' + "9" * 5000 + "}", "holds a number too long to be part of a record"),
    ],
)
def test_a_hostile_record_file_is_reported_not_a_crash(tmp_path: Path, content: str, message: str) -> None:
    record = tmp_path / "r.json"
    record.write_text(content, encoding="utf-8")
    shown = invoke("records", "show", str(record))
    no_traceback(shown)
    assert shown.exit_code == 2
    assert f"{record}: {message}" in shown.stderr
    verified = invoke("records", "verify", str(record))
    no_traceback(verified)
    assert verified.exit_code == 6
    assert message in verified.stdout


def test_an_interactive_session_on_a_hostile_tree_shows_no_raw_escapes(write_tree: WriteTree, tmp_path: Path) -> None:
    from sharewise.errors import EXIT_OK
    from sharewise.formats.console import make_console
    from sharewise.interactive import run_interactive
    from sharewise.interactive.fake import ENTER, FakePrompter

    hostile_tree(write_tree)
    console = make_console()  # the console run_interactive makes for itself
    console.file = io.StringIO()
    prompter = FakePrompter([ENTER, "not-sure", "sign", f"Sam {HOSTILE}", "DSL", ENTER, ENTER, "confirm"])
    code = run_interactive(
        tree="t", prompter=prompter, console=console, records_dir=tmp_path / "records", now=lambda: NOW
    )
    assert code == EXIT_OK
    assert_neutralised(console.file.getvalue())
    assert "Seek advice \\x1b]0;owned" in console.file.getvalue()


def test_a_hostile_draft_file_is_skipped_not_a_crash(tmp_path: Path) -> None:
    from sharewise.frontends.drafts import DraftStore

    folder = tmp_path / "drafts"
    folder.mkdir()
    (folder / "deep.json").write_text("[" * 5000 + "]" * 5000, encoding="utf-8")
    (folder / "huge.json").write_text('{"n": ' + "9" * 5000 + "}", encoding="utf-8")
    assert DraftStore(folder).saved() == []


def test_jsonl_output_stays_one_line_per_case_for_any_splitter(write_tree: WriteTree, tmp_path: Path) -> None:
    write_tree()
    cases = tmp_path / "cases.jsonl"
    cases.write_text(
        json.dumps({"tree": "t", "case_ref": "A\u2028B\u2029C\x85D", "answers": {"purpose": "not-sure"}}) + "\n",
        encoding="utf-8",
    )
    result = invoke("check", str(cases), "--format", "jsonl")
    assert len(result.stdout.splitlines()) == 1  # str.splitlines also breaks at U+2028, U+2029 and U+0085
    assert json.loads(result.stdout)["case_ref"] == "A\u2028B\u2029C\x85D"


def test_a_csv_header_naming_a_column_twice_is_cut_short(tmp_path: Path) -> None:
    name = "Jane Doe, 14 Acacia Avenue, date of birth 2014-03-09, school Hilltop"
    cases = tmp_path / "cases.csv"
    cases.write_text(f'"{name}","{name}"\n1,2\n', encoding="utf-8")
    result = invoke("check", str(cases))
    assert result.exit_code == 2
    assert "Hilltop" not in result.output and "Jane Doe, 14 Acacia" in result.output


def test_an_option_that_is_not_a_word_is_named_by_kind_not_formatted_whole(write_tree: WriteTree) -> None:
    big = "[" + ", ".join(["v"] * 5000) + "]"
    body = SIMPLE_BODY.replace("    options:\n      yes: reasons\n      no: no-purpose\n      not-sure: advice\n", "")
    body = body.replace("    source: src section 1\n", f"    source: src section 1\n    options: [yes, {big}]\n", 1)
    out = invoke("trees", "validate", str(write_tree(body))).stdout
    assert "nodes.purpose.options.(list 2): an option value '(list 2)' must be lower-case" in out
    assert len(out) < 3000


def test_a_fault_while_checking_one_case_never_stops_the_batch(
    write_tree: WriteTree, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sharewise.engine.walk import Engine

    write_tree()
    walk = Engine.walk

    def faulty(self: Engine, answers: Any, **kwargs: Any) -> Any:
        if answers.get("purpose") == "boom":
            raise RecursionError("a fault sharewise should fix")
        return walk(self, answers, **kwargs)

    monkeypatch.setattr(Engine, "walk", faulty)
    cases = tmp_path / "cases.jsonl"
    rows = [
        {"tree": "t", "case_ref": f"C{n}", "answers": {"purpose": p}}
        for n, p in enumerate(["not-sure", "boom", "not-sure"])
    ]
    cases.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    result = invoke("check", str(cases), "--format", "jsonl")
    no_traceback(result)
    assert result.exit_code == 4
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(r["case_ref"], r["status"]) for r in out] == [("C0", "decided"), ("C1", "invalid"), ("C2", "decided")]
    assert out[1]["errors"][0]["message"] == (
        "this case could not be checked (RecursionError); please report it to sharewise's maintainers"
    )


def test_the_progress_line_neutralises_the_cases_file_name(write_tree: WriteTree, tmp_path: Path) -> None:
    from sharewise.frontends.batch import BatchOptions, run_check

    write_tree()
    cases = tmp_path / "cases\x1b]0;owned\x07.jsonl"
    cases.write_text(json.dumps({"tree": "t", "answers": {"purpose": "not-sure"}}) + "\n", encoding="utf-8")
    err = io.StringIO()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("sharewise.frontends.batch.report.PROGRESS_INTERVAL", 0.0)  # draw at every case
        run_check(BatchOptions(cases=cases, progress=True), stdout=io.StringIO(), stderr=err)
    assert "checking cases\\x1b]0;owned" in err.getvalue()
    assert "\x1b" not in err.getvalue()
