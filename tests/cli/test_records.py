"""`sharewise records ...`: verify, list, show, render, countersign and keygen, through the real CLI."""

from __future__ import annotations

import json
import re
import stat
import subprocess
import sys
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, ClassVar

import pytest
from typer.testing import CliRunner, Result

from sharewise.cli import app
from sharewise.records.store import HEAD_FILE, write_record
from tests.helpers import REFUSE_REQUEST, make_record

runner = CliRunner()


def run(*args: str) -> Result:
    return runner.invoke(app, ["records", *args])


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """Three records: share (CASE-1, 09:30), do not share (CASE-2, next day), share (CASE-3, two days on)."""
    target = tmp_path / "records"
    write_record(make_record(case_ref="CASE-1"), folder=target)
    write_record(make_record(REFUSE_REQUEST, case_ref="CASE-2", minutes=24 * 60), folder=target)
    write_record(make_record(case_ref="CASE-3", minutes=48 * 60), folder=target)
    return target


def files(folder: Path) -> list[Path]:
    return sorted(folder.glob("[!.]*.json"))


# -- verify ----------------------------------------------------------------------------------------


def test_verify_a_path_that_does_not_exist_is_a_usage_error(folder: Path, tmp_path: Path) -> None:
    result = run("verify", str(folder), str(tmp_path / "nowhere"))
    assert result.exit_code == 2
    assert f"no such file or folder: {tmp_path / 'nowhere'}" in result.stderr


def test_verify_a_clean_folder_exits_0_and_prints_the_head(folder: Path) -> None:
    result = run("verify", str(folder))
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert "3 record(s) checked: all hold." in result.stderr
    head = json.loads((folder / HEAD_FILE).read_text(encoding="utf-8"))
    assert f"chain head 3 sha256 {head['digest']}" in result.stderr


def test_verify_prints_one_line_per_problem_naming_the_file_and_exits_6(folder: Path) -> None:
    first, second, third = files(folder)
    second.write_text(second.read_text(encoding="utf-8").replace("housing office", "housing offices"), encoding="utf-8")
    third.unlink()
    result = run("verify", str(folder))
    assert result.exit_code == 6
    assert result.stdout.splitlines() == [
        f"{second}: digest does not match: the record has been changed since it was written",
        f"{folder / HEAD_FILE}: says the newest record is {third.name} (position 3), which is missing",
    ]
    assert "2 record(s) checked: 2 problems found." in result.stderr
    assert first.name not in result.stdout


def test_verify_single_files_and_json_output(folder: Path) -> None:
    result = run("verify", "--json", *map(str, files(folder)))
    assert result.exit_code == 0
    payload = json.loads(result.stdout)
    assert (payload["ok"], payload["records"], payload["problems"]) == (True, 3, [])


def test_verify_require_signatures_fails_unsigned_records(folder: Path) -> None:
    result = run("verify", "--require-signatures", str(folder))
    assert result.exit_code == 6
    assert len(result.stdout.splitlines()) == 3
    assert all(
        line.endswith("the record is not signed, and signatures are required") for line in result.stdout.splitlines()
    )


def test_keygen_then_signed_records_verify_with_the_public_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    key = tmp_path / "alex.pem"
    result = run("keygen", "--out", str(key))
    assert result.exit_code == 0, result.output
    assert "Key id: " in result.stdout and f"SHAREWISE_SIGNING_KEY={key}" in result.stdout
    assert run("keygen", "--out", str(key)).exit_code == 2
    monkeypatch.setenv("SHAREWISE_SIGNING_KEY", str(key))
    folder = tmp_path / "signed"
    write_record(make_record(), folder=folder)
    monkeypatch.delenv("SHAREWISE_SIGNING_KEY")  # an auditor: no private key, only the public one
    untrusted = run("verify", str(folder))
    assert untrusted.exit_code == 6 and "not one of your trusted keys" in untrusted.stdout
    trusted = run("verify", "--require-signatures", "--trust", str(tmp_path / "alex.pub.pem"), str(folder))
    assert trusted.exit_code == 0, trusted.stdout


def test_default_keygen_location_is_used_for_signing(tmp_path: Path) -> None:
    assert run("keygen").exit_code == 0
    key = tmp_path / "config" / "sharewise" / "signing-key.pem"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    path = write_record(make_record(), folder=tmp_path / "r")
    assert "signature" in json.loads(path.read_text(encoding="utf-8"))["integrity"]


# -- list ------------------------------------------------------------------------------------------


def test_list_shows_a_table_and_filters(folder: Path) -> None:
    result = runner.invoke(app, ["records", "list", str(folder)], env={"COLUMNS": "160"})
    assert result.exit_code == 0
    for text in (
        "date",
        "case ref",
        "trees",
        "decision",
        "signed by",
        "CASE-1",
        "CASE-2",
        "Do not share",
        "Alex Jones",
    ):
        assert text in result.stdout
    assert "3 record(s)." in result.stderr

    def refs(*args: str) -> list[str]:
        out = run("list", str(folder), "--json", *args)
        assert out.exit_code == 0, out.output
        return [row["case_ref"] for row in json.loads(out.stdout)]

    assert refs() == ["CASE-1", "CASE-2", "CASE-3"]
    assert refs("--decision", "do-not-share") == ["CASE-2"]
    assert refs("--decision", "share", "--since", "2026-11-23") == ["CASE-3"]
    assert refs("--until", "2026-11-23") == ["CASE-1", "CASE-2"]
    assert refs("--tree", "ico-10-step", "--case-ref", "CASE-3") == ["CASE-3"]
    assert refs("--tree", "when-to-share") == []
    bad = run("list", str(folder), "--since", "22/11/2026")
    assert bad.exit_code == 2 and "--since takes a date as YYYY-MM-DD" in bad.stderr


def test_list_uses_the_records_folder_by_default(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHAREWISE_RECORDS_DIR", str(folder))
    result = run("list", "--json")
    assert [row["case_ref"] for row in json.loads(result.stdout)] == ["CASE-1", "CASE-2", "CASE-3"]


# -- show and render -------------------------------------------------------------------------------


def test_show_lays_the_record_out(folder: Path) -> None:
    target = files(folder)[0]
    record = json.loads(target.read_text(encoding="utf-8"))
    result = run("show", "--plain", str(target))
    assert result.exit_code == 0, result.output
    out = result.stdout
    for text in (
        "Decision: SHARE",
        "Share now (emergency, child)",
        "CASE-1",
        "22 November 2026, 09:30 (UTC+00:00)",
        "Shared with",
        "Sam Patel, duty social worker",
        "What was shared",
        "Questions and answers",
        "Signed off by Alex Jones, Designated safeguarding lead, Anytown Primary School",
        record["integrity"]["digest"],
        "Checked when this copy was made: the record matches its digest.",
    ):
        assert text in out, text


def test_render_markdown(folder: Path) -> None:
    target = files(folder)[0]
    record = json.loads(target.read_text(encoding="utf-8"))
    assert run("countersign", str(target), "--signed-by", "Jo Smith", "--role", "Head teacher").exit_code == 0
    result = run("render", str(target), "--format", "md")
    assert result.exit_code == 0, result.output
    md = result.stdout
    assert md.startswith("# Information sharing decision: Share\n")
    assert "**Decision:** Share: Share now (emergency, child)" in md
    assert "**Case reference:** CASE-1" in md
    assert "## What was shared, with whom" in md
    assert "**Shared with:**  \nSam Patel, duty social worker, Anytown Children's Services front door" in md
    assert 'in her words:  \n"Mum\'s boyfriend shouts and I hide under the bed."' in md  # line break kept
    assert "could increase the risk to Mia \\<and her brother\\>." in md  # escaped, never raw markup
    assert "## Reasons" in md and "**Lawful basis:**" in md
    assert "- [ ] If anyone is in immediate danger, call 999" in md
    assert "1. **Is there a risk of serious harm" in md
    assert "Signed off by Alex Jones, Designated safeguarding lead, Anytown Primary School on 22 November 2026" in md
    assert "Countersigned by Jo Smith, Head teacher on " in md
    assert f"**SHA-256 digest:** `{record['integrity']['digest']}`" in md
    assert "Checked when this copy was made: the record matches its digest." in md


def test_a_refusal_shows_the_request_and_the_reply_never_a_recipient(folder: Path) -> None:
    target = files(folder)[1]  # CASE-2: a request refused
    shown = run("show", "--plain", str(target)).stdout
    md = run("render", str(target), "--format", "md").stdout
    page = run("render", str(target), "--format", "html").stdout
    for out in (shown, md, page):
        assert "Shared with" not in out and "What was shared, with whom" not in out
        assert "The request, and why it was not shared" in out
        assert "Requested by" in out and "What they asked for" in out and "Was the requester told, and how" in out
        assert "housing office, no name given" in out and "only that we cannot help" in out
    assert md.index("## The request, and why it was not shared") < md.index("**Reasons:**") < md.index("## Actions")
    assert "**Requested by:**  \nA caller saying they are from the housing office" in md
    assert "<h2>The request, and why it was not shared</h2>" in page


class _Balanced(HTMLParser):
    VOID: ClassVar[set[str]] = {"meta", "br", "link", "img", "hr", "input"}

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.tags: set[str] = set()
        self.errors: list[str] = []

    def handle_starttag(self, tag: str, _attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack.pop() != tag:
            self.errors.append(tag)


def test_render_html_is_one_self_contained_printable_page(folder: Path, tmp_path: Path) -> None:
    target = files(folder)[0]
    record = json.loads(target.read_text(encoding="utf-8"))
    out = tmp_path / "record.html"
    result = run("render", str(target), "--format", "html", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(out.stat().st_mode) == 0o600  # it holds personal information
    page = out.read_text(encoding="utf-8")
    parser = _Balanced()
    parser.feed(page)
    assert parser.errors == [] and parser.stack == []
    assert page.startswith("<!DOCTYPE html>")
    assert parser.tags.isdisjoint({"script", "link", "img", "iframe"})  # nothing from outside
    assert "default-src 'none'" in page and "@media print" in page and "@page" in page
    assert "<title>Decision record CASE-1: Share</title>" in page
    assert '<p class="verdict">Decision: Share</p>' in page
    assert "Sam Patel, duty social worker, Anytown Children&#x27;s Services front door" in page
    assert "Mia &lt;and her brother&gt;" in page and "asked for help &amp; said" in page
    assert f'<code class="digest">{record["integrity"]["digest"]}</code>' in page
    assert "Signed off by <strong>Alex Jones, Designated safeguarding lead, Anytown Primary School</strong>" in page
    assert page.count('<li><p class="q">') == len(record["path"])
    again = run("render", str(target), "--format", "html", "--out", str(out))
    assert again.exit_code == 2 and "already exists" in again.stderr


def test_render_warns_when_the_record_does_not_check_out(folder: Path) -> None:
    target = files(folder)[1]
    target.write_text(target.read_text(encoding="utf-8").replace("do-not-share", "share"), encoding="utf-8")
    md = run("render", str(target)).stdout
    assert "**WARNING: this record did NOT check out when this copy was made: digest does not match" in md
    page = run("render", str(target), "-f", "html").stdout
    assert '<p class="warning" role="alert">WARNING' in page


def test_show_and_render_refuse_what_is_not_a_record(tmp_path: Path) -> None:
    other = tmp_path / "x.json"
    other.write_text("[1, 2]", encoding="utf-8")
    result = run("show", str(other))
    assert result.exit_code == 2 and "is not a sharewise record" in result.stderr
    assert run("render", str(tmp_path / "none.json")).exit_code == 2


# -- countersign -----------------------------------------------------------------------------------


def test_countersign_adds_a_second_sign_off_and_still_verifies(folder: Path) -> None:
    target = files(folder)[2]
    result = run("countersign", str(target), "--signed-by", "Jo Smith", "--role", "Head teacher", "--note", "Agreed.")
    assert result.exit_code == 0, result.output
    assert result.stdout == f"Countersigned {target} as Jo Smith.\n"
    assert run("verify", str(folder)).exit_code == 0
    listed = json.loads(run("list", str(folder), "--json", "--case-ref", "CASE-3").stdout)
    assert listed[0]["countersigned_by"] == ["Jo Smith"]
    same = run("countersign", str(target), "--signed-by", "Jo Smith", "--role", "Head teacher")
    assert same.exit_code == 2 and "already signed this record" in same.stderr
    assert run("countersign", str(target), "--signed-by", "Pat Lee").exit_code == 2  # --role is required


# -- start-up cost ---------------------------------------------------------------------------------


def test_the_cli_does_not_import_the_records_machinery_until_used() -> None:
    code = (
        "import sys, sharewise.cli; "
        "print([m for m in sys.modules if m.startswith(('sharewise.records.integrity', 'sharewise.records.signing', "
        "'sharewise.records.verify', 'sharewise.records.view', 'cryptography', 'rich'))])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# -- list and show on a pipe or a terminal ---------------------------------------------------------


def test_list_piped_is_one_tab_separated_line_per_record(folder: Path) -> None:
    result = run("list", str(folder))  # the test runner's output is not a terminal
    lines = result.stdout.splitlines()
    assert lines[0] == "date\tcase ref\ttrees\tdecision\tsigned by\tfile"
    assert len(lines) == 4 and all(line.count("\t") == 5 for line in lines)
    assert [line.split("\t")[-1] for line in lines[1:]] == [p.name for p in files(folder)]  # whole names


def test_show_piped_keeps_wrapped_answers_indented(folder: Path) -> None:
    out = run("show", "--plain", str(files(folder)[0])).stdout
    qa = out.split("Questions and answers", 1)[1].split("Sign-off", 1)[0]
    body = [line for line in qa.splitlines() if line.strip()]
    assert body[0].startswith("1. ")
    assert all(line.startswith(("   ", f"{n}. ")) for line in body for n in [line.split(".")[0]])
    assert any(line.startswith("   ") and not line.startswith("    ") for line in body[1:])


@pytest.mark.parametrize("columns", [80, 160])
def test_list_on_a_terminal_never_cuts_a_file_name(folder: Path, columns: int) -> None:
    env = {"COLUMNS": str(columns), "FORCE_COLOR": "1", "NO_COLOR": ""}  # rich then draws as on a terminal
    out = runner.invoke(app, ["records", "list", "--plain", str(folder)], env=env).stdout
    shown = re.sub(r"\x1b\[[0-9;]*m", "", out)
    for path in files(folder):
        assert path.name in shown  # whole, on one line
    assert ("date" in shown) == (columns == 160)  # a table when wide, two lines a record when not
    assert all(len(line) <= columns for line in shown.splitlines())


def test_json_rows_go_out_as_they_are_read(capsys: pytest.CaptureFixture[str]) -> None:
    from sharewise.cli.records import _write_json_rows

    seen: list[str] = []

    def rows() -> Iterator[dict[str, Any]]:
        yield {"file": "a.json"}
        seen.append(capsys.readouterr().out)
        yield {"file": "b.json"}

    assert _write_json_rows(rows()) == 2
    assert seen == ['[\n  {\n    "file": "a.json"\n  }']
    assert capsys.readouterr().out == ',\n  {\n    "file": "b.json"\n  }\n]\n'
