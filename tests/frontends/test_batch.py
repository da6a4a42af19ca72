"""`sharewise check CASES`: many cases from JSONL, CSV or YAML, reported in input order."""

from __future__ import annotations

import io
import json
import os
import select
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from typer.testing import CliRunner

from sharewise.cli import app
from sharewise.frontends.batch import BatchOptions, run_check
from sharewise.frontends.batch import report as batch_report
from sharewise.records.integrity import check_record
from tests.helpers import ADVICE, MULTI_BODY, REFUSE, SHARE, UNFINISHED, WRONG, WriteTree, check, jsonl

runner = CliRunner()
ROOT = Path(__file__).parents[2]
SCHEMA = json.loads((ROOT / "docs" / "record.schema.json").read_text(encoding="utf-8"))
pytestmark = pytest.mark.usefixtures("tree")  # every case names the tree "t"
SIGNED = {"name": "Sam Carter", "role": "Designated safeguarding lead", "organisation": "Hilltop School"}


def record_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if not p.name.startswith("."))


# -- results, and the tree each case names ---------------------------------------------------------


def test_jsonl_results_come_in_input_order_with_the_decide_json_vocabulary(tmp_path: Path) -> None:
    cases = jsonl(tmp_path / "cases.jsonl", SHARE, REFUSE, ADVICE, UNFINISHED, WRONG)
    code, out, err = check(str(cases))
    assert code == 4
    assert [(r["case_ref"], r["line"], r["status"]) for r in out] == [
        ("A1", 1, "decided"),
        ("A2", 2, "decided"),
        ("A3", 3, "decided"),
        ("A4", 4, "incomplete"),
        ("A5", 5, "invalid"),
    ]
    assert [(r["decision"], r["outcome"]["id"]) for r in out[:3]] == [
        ("share", "share"),
        ("do-not-share", "no-purpose"),
        ("seek-advice", "advice"),
    ]
    assert out[0]["outcome"] == {"tree": "t", "id": "share", "decision": "share", "title": "Share"}
    # The next question is described exactly as `decide --json` describes it.
    assert out[3]["next"]["id"] == "reasons"
    assert out[3]["next"]["kind"] == "text"
    assert out[3]["next"]["min_length"] == 10
    assert out[3]["answered"] == 1
    assert out[4]["errors"] == [
        {
            "id": "purpose",
            "question": "Is there a clear purpose?",
            "message": "the answer given is not one of its options; allowed: yes, no, not-sure",
        }
    ]
    table = err.splitlines()
    assert table[2:9] == [
        "  decided         3",
        "    share         1",
        "    do-not-share  1",
        "    seek-advice   1",
        "  incomplete      1",
        "  invalid         1",
        "  total           5",
    ]


def test_tree_option_is_the_default_and_a_case_tree_wins(write_tree: WriteTree, tmp_path: Path) -> None:
    default = write_tree()
    other = write_tree(MULTI_BODY, id="m")
    cases = jsonl(
        tmp_path / "cases.jsonl",
        {"answers": {"purpose": "not-sure"}},  # a case without 'tree' takes --tree
        {"purpose": "not-sure"},  # so does a bare mapping of answers
        {"case_ref": "M", "tree": "m", "answers": {"who": ["gp"]}},
        {"case_ref": "F", "tree": str(other), "answers": {"who": ["gp"]}},  # a file: by id only
    )
    code, out, _ = check(str(cases), "--tree", str(default))
    assert code == 4
    assert [(r.get("tree"), r["status"]) for r in out] == [
        ("t", "decided"),
        ("t", "decided"),
        ("m", "decided"),
        (None, "invalid"),
    ]
    assert out[3]["errors"][0]["message"] == (
        "'tree' names a tree by its id (see 'sharewise trees list'); a tree file can be given only on the "
        "command line, with --tree"
    )
    assert str(tmp_path) not in json.dumps(out[3])


# -- exit codes -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cases", "expected"),
    [
        ([SHARE, REFUSE, ADVICE], 0),
        ([SHARE, UNFINISHED], 3),
        ([WRONG, SHARE], 4),
        ([UNFINISHED, WRONG], 4),  # invalid outranks incomplete
        ([], 0),
    ],
)
def test_exit_code_reports_the_worst_case(tmp_path: Path, cases: list[dict[str, Any]], expected: int) -> None:
    path = jsonl(tmp_path / "cases.jsonl", *cases)
    assert runner.invoke(app, ["check", str(path)]).exit_code == expected


def test_an_invalid_tree_outranks_everything(write_tree: WriteTree, tmp_path: Path) -> None:
    write_tree("nodes: {}\noutcomes: {}\n", id="broken")
    path = jsonl(tmp_path / "cases.jsonl", WRONG, UNFINISHED, {"tree": "broken", "answers": {}})
    result = runner.invoke(app, ["check", str(path), "--format", "jsonl"])
    assert result.exit_code == 5
    last = json.loads(result.stdout.splitlines()[-1])
    assert last["status"] == "invalid"
    assert "is not valid" in last["errors"][0]["message"]
    assert "a tree needs at least one question" in result.stderr  # the diagnostics, printed once


def test_usage_errors_exit_2_and_an_invalid_default_tree_exits_5(write_tree: WriteTree, tmp_path: Path) -> None:
    cases = jsonl(tmp_path / "cases.jsonl", SHARE)
    missing = runner.invoke(app, ["check", str(tmp_path / "nothing.jsonl")])
    assert (missing.exit_code, missing.stderr.strip()) == (
        2,
        f"sharewise: no cases file at {tmp_path / 'nothing.jsonl'}",
    )
    assert runner.invoke(app, ["check", str(tmp_path / "cases.txt")]).exit_code == 2
    stdin = runner.invoke(app, ["check", "-"], input="{}\n")
    assert (stdin.exit_code, stdin.stderr.strip()) == (
        2,
        "sharewise: reading cases from standard input: give --input-format jsonl, csv or yaml",
    )
    named = cases.with_suffix(".txt")
    named.write_text(cases.read_text(encoding="utf-8"), encoding="utf-8")
    assert runner.invoke(app, ["check", str(named), "--input-format", "jsonl"]).exit_code == 0
    assert runner.invoke(app, ["check", str(cases), "--format", "xml"]).exit_code == 2
    unknown = runner.invoke(app, ["check", str(cases), "--tree", "nope"])
    assert unknown.exit_code == 2
    assert unknown.stdout == ""  # nothing is checked before the batch can run
    write_tree("nodes: {}\noutcomes: {}\n", id="broken")
    assert runner.invoke(app, ["check", str(cases), "--tree", "broken"]).exit_code == 5
    bad_header = tmp_path / "cases.csv"
    bad_header.write_text("case_ref,purpose,purpose\n", encoding="utf-8")
    result = runner.invoke(app, ["check", str(bad_header)])
    assert (result.exit_code, result.stderr.strip()) == (
        2,
        "sharewise: the CSV header (row 1) names the column 'purpose' twice",
    )


# -- records --------------------------------------------------------------------------------------


def test_records_are_written_for_decided_signed_cases_as_valid_owner_only_files(tmp_path: Path) -> None:
    cases = jsonl(
        tmp_path / "cases.jsonl",
        {**SHARE, "sign_off": SIGNED},
        {**REFUSE, "sign_off": SIGNED},
        ADVICE,  # decided, but nobody signed it off: no record
        {**UNFINISHED, "sign_off": SIGNED},  # signed, but not decided: no record
    )
    folder = tmp_path / "out"
    code, out, err = check(str(cases), "--records-dir", str(folder))
    assert code == 3
    files = record_files(folder)
    assert len(files) == 2
    assert sorted(Path(r["record"]) for r in out[:2]) == files
    assert out[2]["record"] is None
    assert out[2]["missing_sign_off"] == ["sign_off.name", "sign_off.role"]
    assert "record" not in out[3]
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    records = []
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        record = json.loads(path.read_text(encoding="utf-8"))
        jsonschema.validate(record, SCHEMA)
        assert check_record(record) == []
        records.append(record)
    assert sorted((r["case_ref"], r["outcome"]["id"], r["sign_off"]["name"]) for r in records) == [
        ("A1", "share", "Sam Carter"),
        ("A2", "no-purpose", "Sam Carter"),
    ]
    verify = runner.invoke(app, ["records", "verify", str(folder)])
    assert verify.exit_code == 0, verify.output  # digests and the folder's chain hold
    assert "Records written: 2" in err
    assert "No record for 1 decided case without a sign-off" in err


def test_a_results_line_names_its_record_as_if_encoded_with_the_path_in_it(tmp_path: Path) -> None:
    # A worker formats the result before the record is written; the path is added to that text
    # afterwards (report.with_record). The line must be exactly the encoding of the whole result,
    # whatever the folder's name holds: quotes, backslashes, non-ASCII, a control character.
    result = {"case_ref": "A1", "line": 1, "status": "decided", "outcome": {"id": "share", "title": "Share \u2028"}}
    form = batch_report.formatter("line", jsonl=True)
    for path in ("/r/x.json", '/r/"quoted"\\back\u00e9\u2028\x7f\x1b[31m/x.json'):
        whole = form({**result, "record": path})
        assert batch_report.with_record(form(result), path, jsonl=True) == whole
        assert json.loads(whole)["record"] == path
    text = batch_report.formatter("line", jsonl=False)
    assert batch_report.with_record(text(result), "/r/x.json", jsonl=False) == ""

    folder = tmp_path / 'odd "records" \u00e9\\'
    cases = jsonl(tmp_path / "cases.jsonl", {**SHARE, "sign_off": SIGNED})
    for workers in ("1", "2"):
        result_ = runner.invoke(app, ["check", str(cases), "--records-dir", str(folder), "--format", "jsonl",
                                      "--workers", workers])  # fmt: skip
        (line,) = result_.stdout.splitlines()
        reported = json.loads(line)
        assert Path(reported["record"]).parent == folder and Path(reported["record"]).is_file()
        assert line == json.dumps(reported, ensure_ascii=False)


def test_signed_by_and_role_sign_every_decided_case(tmp_path: Path) -> None:
    cases = jsonl(tmp_path / "cases.jsonl", SHARE, {**REFUSE, "sign_off": SIGNED}, ADVICE)
    folder = tmp_path / "out"
    result = runner.invoke(
        app, ["check", str(cases), "--records-dir", str(folder), "--signed-by", "Kim Lee", "--role", "DSL"]
    )
    assert result.exit_code == 0
    names = sorted(json.loads(p.read_text(encoding="utf-8"))["sign_off"]["name"] for p in record_files(folder))
    assert names == ["Kim Lee", "Kim Lee", "Sam Carter"]  # a case's own sign-off wins over the flags


def test_no_records_without_records_dir(tmp_path: Path) -> None:
    cases = jsonl(tmp_path / "cases.jsonl", {**SHARE, "sign_off": SIGNED})
    code, out, _ = check(str(cases))
    assert code == 0
    assert "record" not in out[0]
    assert not (tmp_path / "records").exists()


# -- streaming, text output, progress -------------------------------------------------------------


def test_results_stream_out_before_the_input_ends() -> None:
    """A script can feed cases through a pipe and read each answer before sending the next."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "sharewise", "check", "-", "--input-format", "jsonl", "--format", "jsonl"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    assert proc.stdin is not None and proc.stdout is not None
    try:
        for case in (SHARE, WRONG, ADVICE):
            proc.stdin.write((json.dumps(case) + "\n").encode())
            proc.stdin.flush()
            ready, _, _ = select.select([proc.stdout], [], [], 20)
            assert ready, "no result while the input was still open"
            result = json.loads(proc.stdout.readline())
            assert result["case_ref"] == case["case_ref"]
        proc.stdin.close()
        assert proc.wait(timeout=20) == 4
    finally:
        proc.kill()
        proc.wait()


def test_a_check_exits_at_once_with_all_its_output_written(tmp_path: Path) -> None:
    # The quick check path ends with os._exit once its output is flushed (cli._exit_at_once):
    # nothing written may be lost, and a reader that goes away early still gets exit code 1.
    cases = jsonl(tmp_path / "cases.jsonl", *[{**SHARE, "case_ref": f"C{n}", "sign_off": SIGNED} for n in range(3000)])
    out = tmp_path / "out.jsonl"
    folder = tmp_path / "records"
    command = [
        sys.executable,
        "-m",
        "sharewise",
        "check",
        str(cases),
        "--format",
        "jsonl",
        "--records-dir",
        str(folder),
    ]
    with out.open("wb") as handle:
        done = subprocess.run(command, stdout=handle, stderr=subprocess.PIPE, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    lines = out.read_bytes().splitlines()
    assert [json.loads(line)["case_ref"] for line in lines] == [f"C{n}" for n in range(3000)]
    assert b"Records written: 3,000" in done.stderr
    assert len(record_files(folder)) == 3000
    verify = runner.invoke(app, ["records", "verify", str(folder)])
    assert verify.exit_code == 0, verify.output

    proc = subprocess.Popen([*command[:-1], str(tmp_path / "more")], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.readline()
    proc.stdout.close()  # as '| head -1' does
    err = proc.stderr.read()
    assert proc.wait(timeout=120) == 1
    assert b"Traceback" not in err


def test_a_check_under_a_profiler_still_ends_the_usual_way(tmp_path: Path) -> None:
    # ... so that the profiler (or coverage) can write what it gathered at exit.
    cases = jsonl(tmp_path / "cases.jsonl", SHARE)
    profile = tmp_path / "check.prof"
    command = [sys.executable, "-m", "cProfile", "-o", str(profile), "-m", "sharewise", "check", str(cases)]
    done = subprocess.run(command, capture_output=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert profile.stat().st_size > 0


def test_text_output_lists_the_cases_not_decided_then_the_summary(tmp_path: Path) -> None:
    cases = jsonl(tmp_path / "cases.jsonl", SHARE, UNFINISHED, "{oops", WRONG)
    result = runner.invoke(app, ["check", str(cases)])
    assert result.exit_code == 4
    lines = result.stdout.splitlines()
    assert lines[:3] == [
        "line 2 (case A4): incomplete: the next question is 'reasons' (text): Why are you sharing?",
        "line 3: invalid: not valid JSON (Expecting property name enclosed in double quotes, column 2)",
        "line 4 (case A5): invalid: purpose: the answer given is not one of its options; allowed: yes, no, not-sure",
    ]
    assert lines[3] == ""
    assert lines[4].startswith("Checked 4 cases from ")
    assert lines[6:] == [
        "  decided         1",
        "    share         1",
        "    do-not-share  0",
        "    seek-advice   0",
        "  incomplete      1",
        "  invalid         2  (1 could not be read)",
        "  total           4",
    ]


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_only_on_a_terminal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(batch_report, "PROGRESS_INTERVAL", 0.0)
    cases = jsonl(tmp_path / "cases.jsonl", *([ADVICE] * 5))
    piped, terminal = io.StringIO(), _Terminal()
    assert run_check(BatchOptions(cases, output="jsonl"), stdout=io.StringIO(), stderr=piped) == 0
    assert "\r" not in piped.getvalue()
    assert run_check(BatchOptions(cases, output="jsonl"), stdout=io.StringIO(), stderr=terminal) == 0
    drawn = terminal.getvalue()
    assert "\rchecking cases.jsonl [" in drawn
    assert "100%  5 cases" in drawn


# -- the examples ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "label", "numbers"),
    [
        ("cases.jsonl", "line", [1, 2, 3, 4, 5]),
        ("cases.csv", "row", [2, 3, 4, 5, 6]),
        ("cases.yaml", "line", [4, 30, 44, 51, 55]),
    ],
)
def test_each_example_file_gives_the_documented_results(
    tmp_path: Path, name: str, label: str, numbers: list[int]
) -> None:
    """examples/README.md describes these results; the three files hold the same five cases."""
    folder = tmp_path / "records"
    code, out, err = check(str(ROOT / "examples" / name), "--records-dir", str(folder))
    assert code == 4
    assert [(r["case_ref"], r[label], r["status"], r.get("outcome", {}).get("id")) for r in out] == [
        ("REQ-2026-001", numbers[0], "decided", "share-emergency"),
        ("REQ-2026-002", numbers[1], "decided", "no-objective"),
        ("REQ-2026-003", numbers[2], "decided", "urgent-advice"),
        ("REQ-2026-004", numbers[3], "incomplete", None),
        ("REQ-2026-005", numbers[4], "invalid", None),
    ]
    assert out[3]["next"]["id"] == "purpose"
    assert len(record_files(folder)) == 2  # the two signed-off decisions
    assert "No record for 1 decided case without a sign-off" in err


# -- record JSON from orjson is byte for byte the standard library's ------------------------------


def test_fast_json_gives_the_standard_librarys_bytes_or_steps_aside() -> None:
    from sharewise.formats import _fastjson
    from sharewise.records.integrity import canonical_bytes
    from sharewise.records.store import encode

    values: list[Any] = [
        {"b": 1, "a": [True, None, 'é \u2028 \x00 \x1f \x7f "q" \\ /', {}, []], "c": {"z": -(2**63), "y": 2**63 - 1}},
        {"emoji": "\U0001f600", "ключ": "значение", "": ""},
        [],
        "text",
    ]
    for value in values:
        expected_file = (json.dumps(value, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
        expected_digest = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        assert encode(value) == expected_file
        assert canonical_bytes(value) == expected_digest
    # Values orjson would write differently, or refuse, are left to the standard library.
    for odd in ({"a": 1.5}, {"a": 1e16}, {1: "x"}, {"a": 2**64}, {"a": "\ud800"}, {"a": {1, 2}}):
        assert _fastjson.indented(odd) is None
        assert _fastjson.canonical(odd) is None
    assert encode({"a": 1e16}) == b'{\n  "a": 1e+16\n}\n'
    with pytest.raises(ValueError):
        canonical_bytes({"a": float("nan")})


def test_batch_cases_carry_answers_across_trees_and_catch_contradictions(tmp_path: Path) -> None:
    answers = {
        "trigger": "proactive", "about": "child", "urgent": "no", "purpose": "safeguarding",
        "recipient-check": "confirmed", "whereabouts": "no", "identifies": "not-confidential",
        "consent": "given", "basis": "public-task", "special": "no",
    }  # fmt: skip
    going_on = {"case_ref": "C1", "tree": "when-to-share", "answers": answers}
    contradicts = {"case_ref": "C2", "tree": "when-to-share", "answers": {**answers, "hm-about": "adult"}}
    code, out, _ = check(str(jsonl(tmp_path / "cases.jsonl", going_on, contradicts)))
    assert code == 4
    assert out[0]["status"] == "incomplete" and out[0]["next"]["id"] == "hm-necessary"
    assert {c["id"] for c in out[0]["carried"]} >= {"hm-trigger", "hm-about", "hm-consent"}
    assert out[1]["status"] == "invalid" and [e["id"] for e in out[1]["errors"]] == ["hm-about"]
