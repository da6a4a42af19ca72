"""The scripted contract: `sharewise decide TREE --no-input ...`, its JSON and its exit codes."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from typer.testing import CliRunner

from sharewise.cli import app
from tests.helpers import SIMPLE_BODY, WriteTree

runner = CliRunner()
SCHEMA = json.loads((Path(__file__).parents[2] / "docs" / "record.schema.json").read_text(encoding="utf-8"))
SIGN = ["--signed-by", "Sam Carter", "--role", "Designated safeguarding lead"]


def record_files(folder: Path) -> list[Path]:
    """The records in ``folder`` (the folder also holds hidden bookkeeping files)."""
    return sorted(p for p in folder.iterdir() if not p.name.startswith("."))


def decide(*args: str) -> tuple[int, Any]:
    result = runner.invoke(app, ["decide", *args, "--no-input", "--json"])
    return result.exit_code, json.loads(result.stdout)


def test_incomplete_describes_the_next_question(write_tree: WriteTree) -> None:
    tree = str(write_tree())
    code, out = decide(tree, *SIGN)
    assert code == 3
    assert out["status"] == "incomplete"
    nxt = out["next"]
    assert (nxt["id"], nxt["kind"], nxt["text"]) == ("purpose", "choice", "Is there a clear purpose?")
    assert nxt["help"] == "Purpose matters."
    assert nxt["source"] == "Test source, section 1"
    assert nxt["options"] == [
        {"value": "yes", "label": "Yes"},
        {"value": "no", "label": "No"},
        {"value": "not-sure", "label": "Not sure"},
    ]


def test_next_lists_only_the_options_offered_on_this_path(write_tree: WriteTree) -> None:
    body = SIMPLE_BODY.replace(
        "      not-sure: advice\n",
        "      not-sure:\n        if: purpose == 'yes'\n        next: advice\n",
        1,
    )
    assert body != SIMPLE_BODY
    tree = str(write_tree(body))
    code, out = decide(tree, *SIGN)
    assert code == 3
    assert [o["value"] for o in out["next"]["options"]] == ["yes", "no"]


def test_decided_writes_a_record_that_matches_the_schema(write_tree: WriteTree, tmp_path: Path) -> None:
    tree = str(write_tree())
    out_file = tmp_path / "rec.json"
    code, record = decide(tree, "-a", "purpose=yes", "-a", "reasons=to keep the child safe", *SIGN, "--out", str(out_file),
                          "--organisation", "Hilltop School", "--case-ref", "REQ-42")  # fmt: skip
    assert code == 0
    assert record.pop("record_file") == str(out_file)  # beside the record, not in it
    jsonschema.validate(record, SCHEMA)
    assert json.loads(out_file.read_text(encoding="utf-8")) == record
    assert stat.S_IMODE(out_file.stat().st_mode) == 0o600
    assert record["outcome"]["decision"] == "share"
    assert record["details"] == {"reasons": "to keep the child safe"}
    assert record["sign_off"]["organisation"] == "Hilltop School"
    assert record["case_ref"] == "REQ-42"
    assert [p["id"] for p in record["path"]] == ["purpose", "reasons"]
    assert record["trees"][0]["id"] == "t" and len(record["trees"][0]["sha256"]) == 64


def test_a_decision_not_to_share_is_recorded_too(write_tree: WriteTree, tmp_path: Path) -> None:
    code, record = decide(str(write_tree()), "-a", "purpose=no", "-a", "why-not=the request gave no reason", *SIGN)
    assert code == 0
    assert record["outcome"]["decision"] == "do-not-share"
    assert record["outcome"]["actions"] == ["Tell the requester why."]
    written = list((tmp_path / "records").glob("*.json"))  # beside the lock and chain-head files
    assert len(written) == 1 and json.loads(written[0].read_text(encoding="utf-8"))["id"] == record["id"]
    assert record["record_file"] == str(written[0])  # --records-dir (here from the environment) is reported


def test_missing_sign_off_is_incomplete(write_tree: WriteTree, tmp_path: Path) -> None:
    code, out = decide(str(write_tree()), "-a", "purpose=not-sure", "--signed-by", "Sam")
    assert code == 3
    assert out["next"]["id"] == "sign_off.role"
    assert out["outcome"]["decision"] == "seek-advice"
    assert not (tmp_path / "records").exists()


def test_invalid_lists_every_bad_answer(write_tree: WriteTree) -> None:
    code, out = decide(str(write_tree()), "-a", "purpose=maybe", "-a", "reasons=short", "-a", "nope=1", *SIGN)
    assert code == 4
    assert out["status"] == "invalid"
    assert {e["id"]: e["message"] for e in out["errors"]} == {
        "purpose": "the answer given is not one of its options; allowed: yes, no, not-sure",
        "reasons": "needs at least 10 characters (this answer has 5)",
        "nope": "no question with this id in t",
    }


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_answers_file_full_form_and_flags_override(write_tree: WriteTree, tmp_path: Path, suffix: str) -> None:
    data = {
        "case_ref": "C-1",
        "answers": {"purpose": "no", "why-not": "x"},
        "sign_off": {"name": "Ana", "role": "Head", "organisation": "Org"},
    }
    file = tmp_path / f"answers{suffix}"
    file.write_text(json.dumps(data), encoding="utf-8")  # JSON is valid YAML too
    code, record = decide(str(write_tree()), "--answers", str(file), "-a", "why-not=overridden and long enough",
                          "--role", "Deputy head")  # fmt: skip
    assert code == 0, record
    assert record["case_ref"] == "C-1"
    assert record["details"]["reasons"] == "overridden and long enough"
    assert record["sign_off"]["name"] == "Ana" and record["sign_off"]["role"] == "Deputy head"


def test_bare_yaml_answers_file_reads_yes_as_a_word(write_tree: WriteTree, tmp_path: Path) -> None:
    file = tmp_path / "answers.yaml"
    file.write_text("purpose: yes\nreasons: a reason long enough\n", encoding="utf-8")
    code, record = decide(str(write_tree()), "--answers", str(file), *SIGN)
    assert code == 0
    assert record["path"][0]["value"] == "yes"


def test_bad_answers_file_is_a_usage_error(write_tree: WriteTree, tmp_path: Path) -> None:
    file = tmp_path / "answers.json"
    file.write_text("{not json", encoding="utf-8")
    code, out = decide(str(write_tree()), "--answers", str(file), *SIGN)
    assert code == 2
    assert out["status"] == "error" and "answers.json:1: not valid JSON" in out["message"]
    code, out = decide(str(write_tree()), "--answer", "no-equals-sign", *SIGN)
    assert code == 2 and "--answer takes ID=VALUE" in out["message"]


def test_unknown_and_invalid_trees(write_tree: WriteTree) -> None:
    code, out = decide("no-such-tree", *SIGN)
    assert code == 2 and "no tree called 'no-such-tree'" in out["message"]
    bad = write_tree(SIMPLE_BODY.replace("    next: share", "    nxt: share"))
    code, out = decide(str(bad), *SIGN)
    assert code == 5
    assert any("unknown key 'nxt'" in e for e in out["errors"])


def test_out_file_is_never_overwritten(write_tree: WriteTree, tmp_path: Path) -> None:
    target = tmp_path / "rec.json"
    target.write_text("precious", encoding="utf-8")
    code, out = decide(str(write_tree()), "-a", "purpose=not-sure", *SIGN, "--out", str(target))
    assert code == 2 and "already exists" in out["message"]
    assert target.read_text(encoding="utf-8") == "precious"


def test_records_folder_gets_one_new_file_per_record(write_tree: WriteTree, tmp_path: Path) -> None:
    folder = tmp_path / "chosen"
    for _ in range(3):
        code, _record = decide(str(write_tree()), "-a", "purpose=not-sure", *SIGN, "--records-dir", str(folder))
        assert code == 0
    files = sorted(folder.glob("*.json"))  # beside the hidden lock and chain-head files
    assert len(files) == 3
    assert all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in files)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700


def test_human_output_prints_the_path_and_the_next_question(write_tree: WriteTree) -> None:
    tree = str(write_tree())
    result = runner.invoke(app, ["decide", tree, "--no-input", "-a", "purpose=not-sure", *SIGN])
    assert result.exit_code == 0
    assert "Decision: seek-advice - Seek advice" in result.stdout
    assert "Record written to" in result.stdout
    result = runner.invoke(app, ["decide", tree, "--no-input", *SIGN])
    assert result.exit_code == 3
    assert "answer with --answer purpose=VALUE, one of: yes, no, not-sure" in result.stderr


def test_no_terminal_and_no_tree_is_a_usage_error() -> None:
    result = runner.invoke(app, ["decide"])
    assert result.exit_code == 2
    assert "standard input is not a terminal" in result.stderr


def test_settings_give_the_organisation_and_records_folder_but_not_the_signer(
    write_tree: WriteTree, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = tmp_path / "config.yaml"
    settings.write_text(
        "organisation: Hilltop School\nsigner: {name: Pat Doe, role: DSL}\nrecords_dir: kept\n", encoding="utf-8"
    )
    monkeypatch.setenv("SHAREWISE_CONFIG", str(settings))
    monkeypatch.delenv("SHAREWISE_RECORDS_DIR")
    tree = str(write_tree())
    code, out = decide(tree, "-a", "purpose=not-sure")
    assert code == 3 and out["next"]["id"] == "sign_off.name"
    code, record = decide(tree, "-a", "purpose=not-sure", *SIGN)
    assert code == 0
    assert record["sign_off"]["organisation"] == "Hilltop School"
    assert len(record_files(tmp_path / "kept")) == 1


def test_an_overdue_tree_gives_a_notice_not_a_block(write_tree: WriteTree) -> None:
    path = write_tree()
    path.write_text(path.read_text(encoding="utf-8").replace("next_review: 2099-01-01", "next_review: 2026-01-02"))
    result = runner.invoke(app, ["decide", str(path), "--no-input", "--json", "-a", "purpose=not-sure", *SIGN])
    assert result.exit_code == 0
    assert json.loads(result.stdout)["outcome"]["decision"] == "seek-advice"
    assert "notice: the 't' tree was due for review on 2026-01-02" in result.stderr


# -- a decision carried from when-to-share into how-much-to-share ---------------------------------

CONTINUED = [
    "-a", "trigger=request", "-a", "about=child", "-a", "urgent=no", "-a", "request-purpose=safeguarding",
    "-a", "recipient-check=confirmed", "-a", "whereabouts=no", "-a", "identifies=not-confidential",
    "-a", "consent=given", "-a", "basis=public-task", "-a", "special=no",
]  # fmt: skip


def test_json_never_reports_a_carried_question_as_next() -> None:
    code, payload = decide("when-to-share", *CONTINUED, *SIGN)
    assert code == 3
    assert payload["next"]["id"] == "hm-necessary" and payload["next"]["tree"] == "how-much-to-share"
    assert payload["answered"] == 10
    carried = {c["id"]: c for c in payload["carried"]}
    assert set(carried) == {"hm-trigger", "hm-about", "hm-urgent", "hm-request", "hm-check", "hm-where",
                            "hm-consent", "hm-basis", "hm-special"}  # fmt: skip
    assert carried["hm-consent"] == {
        "id": "hm-consent",
        "tree": "how-much-to-share",
        "value": "given",
        "label": "Asked, and they agreed",
        "from": {"tree": "when-to-share", "id": "consent"},
    }


def test_an_answers_file_contradicting_a_carried_answer_is_invalid_and_names_both_ids(tmp_path: Path) -> None:
    code, payload = decide("when-to-share", *CONTINUED, "-a", "hm-consent=refused", *SIGN)
    assert code == 4
    [error] = payload["errors"]
    assert error["id"] == "hm-consent"
    assert "'consent' in 'when-to-share'" in error["message"] and "'hm-consent'" in error["message"]
    # Giving the same answer again is no contradiction: the decision goes on to its record.
    answers = ["-a", "hm-consent=given", "-a", "hm-necessary=all", "-a", "hm-route=yes", "-a", "hm-tell=both"]
    texts = [
        f"-a hm-{q}=A realistic answer long enough for the record."
        for q in ("what-shared", "purpose-note", "views", "reasons")
    ]
    flat = [part for t in texts for part in t.split(" ", 1)]
    more = ["-a", "hm-recipient=J Patel, support worker", "-a", "hm-requester=J Patel, by email",
            "-a", "hm-request-what=Any injuries seen this term", "-a", "hm-identity=A colleague I know"]  # fmt: skip
    code, record = decide("when-to-share", *CONTINUED, *answers, *flat, *more, "--records-dir", str(tmp_path), *SIGN)
    assert code == 0, record
    jsonschema.validate(record, SCHEMA)
    assert [c["id"] for c in record["conclusions"]] == ["may-share", "share-full"]
    assert sum(1 for p in record["path"] if "carried_from" in p) == 9
    assert record["details"]["consent"] == "Asked, and they agreed"
