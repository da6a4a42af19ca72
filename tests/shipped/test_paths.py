"""Every path through each shipped tree, driven only through the `decide --json` protocol.

The explorer sees nothing but the JSON a script sees: the next question, or the record. It gets
that JSON from the same function `sharewise decide --no-input --json` prints (one process per
path would take minutes); a separate test checks the command prints exactly that JSON.

Options that lead to the same place, and that no condition looks at, are the same path; one
stands for them all. A continuation into another tree is followed along one path, because the
continued tree's own paths are explored when it is the tree under test.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from typer.testing import CliRunner

from sharewise.cli import app
from sharewise.engine.conditions import names_and_values
from sharewise.engine.walk import Engine
from sharewise.frontends.answers import case_from_mapping
from sharewise.frontends.scripted import run_case
from sharewise.trees.library import Library

runner = CliRunner()
SCHEMA = json.loads((Path(__file__).parents[2] / "docs" / "record.schema.json").read_text(encoding="utf-8"))
RECORD_SCHEMA = jsonschema.Draft202012Validator(SCHEMA)
SHIPPED = ["when-to-share", "how-much-to-share", "ico-10-step"]


SIGN_OFF = {"name": "Test Signer", "role": "DSL"}


def _protocol(tree: str) -> Callable[[dict[str, Any]], Any]:
    """A function from answers to the JSON `decide --no-input --json` prints for them."""
    library = Library.default()
    engine = Engine(library.get(tree), library.get)

    def decide(answers: dict[str, Any]) -> Any:
        case = case_from_mapping({"answers": answers, "sign_off": SIGN_OFF, "case_ref": "T-1"}, "test")
        result = run_case(engine, case, now=lambda: datetime.now().astimezone(), write=False)
        assert result.exit_code in (0, 3), result.payload
        return json.loads(json.dumps(result.payload))

    return decide


def _decided_answers(tree_id: str) -> dict[str, Any]:
    """Answers that take ``tree_id`` to a record: the last offered option, a sentence for text."""
    library = Library.default()
    engine = Engine(library.get(tree_id), library.get)
    answers: dict[str, Any] = {}
    while (walk := engine.walk(answers, blank_optional=True)).pending is not None:
        tree, question = walk.pending
        if question.kind == "choice":
            answers[question.id] = walk.offered(tree, question)[-1].value
        elif question.kind == "multi":
            answers[question.id] = [question.options[0].value]
        else:
            answers[question.id] = "A realistic answer for the record: " + "x" * question.min_length
    return answers


def test_the_command_prints_the_protocol_json(tmp_path: Path) -> None:
    answers = _decided_answers("ico-10-step")
    assert _protocol("ico-10-step")(answers)["format"] == "sharewise-record/1"
    with_sign_off = tmp_path / "signed.json"
    with_sign_off.write_text(json.dumps({"answers": answers, "sign_off": SIGN_OFF, "case_ref": "T-1"}))
    without = tmp_path / "unsigned.json"
    without.write_text(json.dumps({"answers": answers, "case_ref": "T-1"}))
    runs = [[str(with_sign_off)], [str(without), "--signed-by", "Test Signer", "--role", "DSL"]]
    for n, (file, *flags) in enumerate(runs):
        args = ["decide", "ico-10-step", "--no-input", "--json", "--answers", file, *flags]
        printed = json.loads(runner.invoke(app, [*args, "--records-dir", str(tmp_path / f"cli{n}")]).stdout)
        printed.pop("record_file", None)  # where the record went: beside the record, not in it
        expected = _protocol("ico-10-step")(answers)
        for record in (printed, expected):
            record.pop("id")
            record.pop("created_at")
            record["sign_off"].pop("signed_at")
            record.pop("integrity", None)
            record.pop("chain", None)  # the records folder's hash chain, added when the record is written
        assert printed == expected  # sign-off included: from the file, or from the flags


def _distinct_options(tree_id: str) -> dict[str, list[str]]:
    """For each choice question: one option per (route, value seen by a condition)."""
    library = Library.default()
    tree = library.get(tree_id)
    seen: set[tuple[str, str]] = set()
    conditions = (
        [r.condition for r in tree.routes() if r.condition]
        + [a.condition for o in tree.outcomes.values() for a in o.actions if a.condition]
        + [opt.condition for q in tree.questions.values() for opt in q.options if opt.condition]
        + [cond for o in tree.outcomes.values() for _, cond in o.record_if]
    )
    for condition in conditions:
        seen |= {(name, value) for name, values in names_and_values(condition) for value in values}
    keep: dict[str, list[str]] = {}
    for question in tree.questions.values():
        groups: dict[tuple[Any, ...], str] = {}
        for option in question.options:
            key = (
                tuple(r.target for r in option.routes),
                option.value if (question.id, option.value) in seen else None,
            )
            groups.setdefault(key, option.value)
        keep[question.id] = list(groups.values())
    return keep


def _filler(question: dict[str, Any]) -> Any:
    if question["kind"] == "multi":
        return [question["options"][0]["value"]]
    if question["kind"] == "date":
        return "2026-11-20"
    return "A realistic answer for the record: " + "x" * question.get("min_length", 0)


@pytest.mark.parametrize("tree_id", SHIPPED)
def test_every_path_ends_in_a_record_that_matches_the_schema(tree_id: str) -> None:
    branch = _distinct_options(tree_id)
    outcomes: dict[str, str] = {}
    records = 0
    decide = _protocol(tree_id)
    stack: list[dict[str, Any]] = [{}]
    while stack:
        answers = stack.pop()
        payload = decide(answers)
        if payload.get("format") == "sharewise-record/1":
            RECORD_SCHEMA.validate(payload)
            assert payload["outcome"]["summary"] and payload["sign_off"]["name"] == "Test Signer"
            assert set(answers) <= {p["id"] for p in payload["path"]}
            outcomes[payload["outcome"]["id"]] = payload["outcome"]["decision"]
            for conclusion in payload.get("conclusions", [])[:-1]:  # hand-overs to the next tree
                outcomes[conclusion["id"]] = conclusion["decision"]
            records += 1
            continue
        nxt = payload["next"]
        if nxt["kind"] == "choice" and nxt["tree"] == tree_id:
            offered = {o["value"] for o in nxt["options"]}
            values = [v for v in branch[nxt["id"]] if v in offered] or [nxt["options"][0]["value"]]
            stack.extend({**answers, nxt["id"]: value} for value in values)
        elif nxt["kind"] == "choice":  # a continued tree: one path through it
            stack.append({**answers, nxt["id"]: nxt["options"][0]["value"]})
        else:
            stack.append({**answers, nxt["id"]: _filler(nxt)})
    decisions = set(outcomes.values())
    assert decisions == {"share", "do-not-share", "seek-advice"}, outcomes
    library = Library.default()
    tree = library.get(tree_id)
    assert set(tree.outcomes) <= set(outcomes), f"outcomes never reached: {set(tree.outcomes) - set(outcomes)}"


def test_every_shipped_question_cites_a_source_with_a_section() -> None:
    library = Library.default()
    for tree_id in SHIPPED:
        for question in library.get(tree_id).questions.values():
            assert question.source.section, f"{tree_id}.{question.id} cites no section"
            assert len(question.help) > 40, f"{tree_id}.{question.id} has thin help"


def test_when_to_share_continues_into_how_much_to_share() -> None:
    tree = Library.default().get("when-to-share")
    assert tree.continues_into() == ["how-much-to-share"]
