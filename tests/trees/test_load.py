"""Each fault the validator must catch, in its own small tree, with its line and place."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sharewise.cli import app
from sharewise.trees.library import Library
from sharewise.trees.load import load_tree_file
from sharewise.trees.paths import shipped_trees_dir
from tests.helpers import HEADER, SIMPLE_BODY, WriteTree


def problems(path: Path, today: date | None = None) -> list[str]:
    """Every diagnostic for ``path``, as the CLI prints them, minus the folder."""
    library = Library([path.parent], today)
    return [str(d).replace(f"{path.parent}/", "") for d in library.check(path)]


CONDITIONAL = SIMPLE_BODY.replace(
    "    next: share",
    "    next:\n      - if: {cond}\n        to: advice\n      - to: share",
)


def line_of(path: Path, needle: str, nth: int = 1) -> int:
    """The line number of the ``nth`` line of ``path`` containing ``needle``."""
    hits = [i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if needle in line]
    return hits[nth - 1]


def test_the_simple_tree_is_valid(write_tree: WriteTree) -> None:
    path = write_tree()
    assert problems(path) == []
    tree = load_tree_file(path).tree
    assert tree is not None
    assert tree.start == "purpose"
    assert [o.value for o in tree.questions["purpose"].options] == ["yes", "no", "not-sure"]
    assert tree.questions["purpose"].options[2].label == "Not sure"


def test_yaml_syntax_error(write_tree: WriteTree) -> None:
    path = write_tree(SIMPLE_BODY.replace("      no: no-purpose", "      no: [no-purpose"))
    found = problems(path)
    assert len(found) == 1
    assert found[0].startswith("t.yaml:24:") or found[0].startswith("t.yaml:2")
    assert "YAML syntax error" in found[0]


def test_unknown_key_with_suggestion(write_tree: WriteTree) -> None:
    path = write_tree(SIMPLE_BODY.replace("    next: share", "    nxt: share"))
    found = problems(path)
    assert f"t.yaml:{line_of(path, 'nxt:')} nodes.reasons.nxt: unknown key 'nxt' (did you mean 'next'?)" in found


def test_missing_required_field(write_tree: WriteTree) -> None:
    path = write_tree(SIMPLE_BODY.replace("    ask: Is there a clear purpose?\n", ""))
    assert f"t.yaml:{line_of(path, 'purpose:')} nodes.purpose.ask: 'ask' is required" in problems(path)


def test_route_to_a_node_that_does_not_exist(write_tree: WriteTree) -> None:
    path = write_tree(SIMPLE_BODY.replace("      no: no-purpose", "      no: no-purpse"))
    found = problems(path)
    assert (
        f"t.yaml:{line_of(path, 'no: no-purpse')} nodes.purpose.options.no: no question or outcome called 'no-purpse' (did you mean 'no-purpose'?)"
        in found
    )


def test_route_in_long_form_names_its_next(write_tree: WriteTree) -> None:
    body = SIMPLE_BODY.replace("      no: no-purpose", "      no:\n        label: No\n        next: nowhere")
    path = write_tree(body)
    assert (
        f"t.yaml:{line_of(path, 'next: nowhere')} nodes.purpose.options.no.next: no question or outcome called 'nowhere'"
        in problems(path)
    )


def test_route_to_a_tree_that_does_not_exist(write_tree: WriteTree) -> None:
    path = write_tree(CONDITIONAL.format(cond="purpose == 'yes'").replace("to: advice", "to: tree:no-such-tree"))
    found = problems(path)
    assert any(
        f.startswith(f"t.yaml:{line_of(path, 'tree:no-such')} nodes.reasons.next[0].to: no tree called 'no-such-tree'")
        for f in found
    )


def test_unreachable_question_and_outcome(write_tree: WriteTree) -> None:
    body = (
        SIMPLE_BODY.replace("      not-sure: advice\n", "")
        + "  orphan:\n    decision: share\n    title: T\n    summary: S\n"
    )
    path = write_tree(body)
    found = problems(path)
    assert (
        f"t.yaml:{line_of(path, '  advice:')} outcomes.advice: no path from the start ('purpose') reaches this outcome"
        in found
    )
    assert (
        f"t.yaml:{line_of(path, '  orphan:')} outcomes.orphan: no path from the start ('purpose') reaches this outcome"
        in found
    )


def test_cycle(write_tree: WriteTree) -> None:
    body = SIMPLE_BODY.replace("    next: share", "    next: purpose")
    path = write_tree(body)
    assert (
        f"t.yaml:{line_of(path, '  purpose:')} nodes.purpose: the routes form a loop: purpose -> reasons -> purpose"
        in problems(path)
    )


def test_duplicate_option_values(write_tree: WriteTree) -> None:
    body = SIMPLE_BODY.replace("      not-sure: advice", "      not-sure: advice\n      yes: advice")
    path = write_tree(body)
    first, second = line_of(path, "yes: reasons"), line_of(path, "yes: advice")
    assert f"t.yaml:{second} yes: duplicate key 'yes' (first given on line {first})" in problems(path)


def test_duplicate_option_values_in_list_form(write_tree: WriteTree) -> None:
    body = """\
    nodes:
      q:
        ask: Pick
        help: h
        source: src s
        kind: multi
        options: [a, b, a]
        next: done
    outcomes:
      done: {decision: share, title: T, summary: S}
    """
    path = write_tree(body)
    assert f"t.yaml:{line_of(path, 'options:')} nodes.q.options: an option value is given twice" in problems(path)


def test_outcome_without_decision(write_tree: WriteTree) -> None:
    path = write_tree(SIMPLE_BODY.replace("    decision: seek-advice\n", ""))
    found = problems(path)
    assert (
        f"t.yaml:{line_of(path, '  advice:')} outcomes.advice.decision: an outcome needs a 'decision': one of share, do-not-share, seek-advice"
        in found
    )


def test_outcome_with_unknown_decision(write_tree: WriteTree) -> None:
    path = write_tree(SIMPLE_BODY.replace("decision: seek-advice", "decision: maybe"))
    found = problems(path)
    assert (
        f"t.yaml:{line_of(path, 'maybe')} outcomes.advice.decision: unknown decision 'maybe'; expected one of: share, do-not-share, seek-advice"
        in found
    )


def test_question_without_help_or_source(write_tree: WriteTree) -> None:
    body = SIMPLE_BODY.replace("    help: Purpose matters.\n", "").replace("    source: src section 2\n", "")
    path = write_tree(body)
    found = problems(path)
    assert f"t.yaml:{line_of(path, '  purpose:')} nodes.purpose.help: 'help' is required" in found
    assert f"t.yaml:{line_of(path, '  reasons:')} nodes.reasons.source: 'source' is required" in found


def test_source_ref_must_be_listed(write_tree: WriteTree) -> None:
    path = write_tree(SIMPLE_BODY.replace("source: src section 1", "source: ico step 1"))
    found = problems(path)
    assert (
        f"t.yaml:{line_of(path, 'ico step 1')} nodes.purpose.source: 'ico' is not a ref listed under 'sources' (listed: src); "
        "write the ref, then the section"
    ) in found


def test_condition_that_does_not_parse(write_tree: WriteTree) -> None:
    path = write_tree(CONDITIONAL.format(cond="purpose = 'yes'"))
    found = problems(path)
    assert any(
        f.startswith(
            f"t.yaml:{line_of(path, '- if:')} nodes.reasons.next[0].if: the condition does not parse: unexpected character '='"
        )
        for f in found
    )


def test_condition_naming_an_unknown_answer(write_tree: WriteTree) -> None:
    path = write_tree(CONDITIONAL.format(cond="purpos == 'yes'"))
    found = problems(path)
    assert (
        f"t.yaml:{line_of(path, '- if:')} nodes.reasons.next[0].if: the condition names 'purpos', which is not a question in this tree"
        in found
    )


def test_condition_naming_an_unknown_option(write_tree: WriteTree) -> None:
    path = write_tree(CONDITIONAL.format(cond="purpose == 'maybe'"))
    found = problems(path)
    assert (
        f"t.yaml:{line_of(path, '- if:')} nodes.reasons.next[0].if: 'purpose' has no option 'maybe' (its options: yes, no, not-sure)"
        in found
    )


def test_conditional_route_default_must_be_last(write_tree: WriteTree) -> None:
    body = SIMPLE_BODY.replace(
        "    next: share", "    next:\n      - to: share\n      - if: purpose == 'yes'\n        to: advice"
    )
    found = problems(write_tree(body))
    assert any("only the last route may leave out 'if'" in f for f in found)
    assert any("the last route must have no 'if'" in f for f in found)


def test_action_condition_is_checked(write_tree: WriteTree) -> None:
    body = SIMPLE_BODY.replace(
        "      - Tell the requester why.", "      - text: Tell the requester why.\n        if: requested == 'yes'"
    )
    path = write_tree(body)
    found = problems(path)
    assert (
        f"t.yaml:{line_of(path, 'if: requested')} outcomes.no-purpose.actions[0].if: the condition names 'requested', which is not a question in this tree"
        in found
    )


def test_next_review_in_the_past_is_a_warning_not_an_error(write_tree: WriteTree) -> None:
    path = write_tree()
    found = problems(path, today=date(2100, 1, 1))
    assert found == [
        f"t.yaml:{line_of(path, 'next_review:')} next_review: warning: the review due on 2099-01-01 has passed; review the content and update the dates"
    ]
    assert load_tree_file(path, date(2100, 1, 1)).tree is not None


def test_record_question_never_asked(write_tree: WriteTree) -> None:
    path = write_tree(SIMPLE_BODY.replace("    record: [why-not]\n", ""))
    found = problems(path)
    assert (
        f"t.yaml:{line_of(path, '  why-not:')} nodes.why-not: this question has no 'next' and no outcome lists it under 'record', so it would never be asked"
        in found
    )


def test_route_to_a_record_question(write_tree: WriteTree) -> None:
    path = write_tree(SIMPLE_BODY.replace("      no: no-purpose", "      no: why-not"))
    found = problems(path)
    assert (
        f"t.yaml:{line_of(path, 'no: why-not')} nodes.purpose.options.no: 'why-not' has no 'next'; a route cannot lead to a record question"
        in found
    )


def test_ids_must_be_lower_case_words(write_tree: WriteTree) -> None:
    path = write_tree(SIMPLE_BODY.replace("      not-sure: advice", "      Not Sure: advice"))
    found = problems(path)
    assert any(
        f.startswith(
            f"t.yaml:{line_of(path, 'Not Sure')} nodes.purpose.options.Not Sure: an option value 'Not Sure' must be lower-case"
        )
        for f in found
    )


def test_every_problem_is_reported_in_one_run(write_tree: WriteTree) -> None:
    body = (
        SIMPLE_BODY.replace("    next: share", "    nxt: share")
        .replace("      no: no-purpose", "      no: nowhere")
        .replace("decision: seek-advice", "decision: maybe")
    )
    found = problems(write_tree(body))
    assert len(found) >= 3
    assert any("nxt" in f for f in found)
    assert any("nowhere" in f for f in found)
    assert any("maybe" in f for f in found)


def test_question_ids_clash_across_continued_trees(write_tree: WriteTree) -> None:
    write_tree(SIMPLE_BODY, id="second")
    first = write_tree(CONDITIONAL.format(cond="purpose == 'yes'").replace("to: advice", "to: tree:second"), id="first")
    found = problems(first)
    assert any(
        f.startswith(
            f"first.yaml:{line_of(first, '  purpose:')} nodes.purpose: question id 'purpose' is used in both 'first' and 'second'"
        )
        for f in found
    )


def test_not_a_mapping(write_tree: WriteTree) -> None:
    found = problems(write_tree("- just\n- a list\n", header=False))
    assert found == ["t.yaml:1: a tree file must be a mapping with 'id', 'nodes' and 'outcomes'"]


# -- the command --------------------------------------------------------------------------------

runner = CliRunner()


def test_validate_command_exit_codes_and_output(write_tree: WriteTree) -> None:
    good = write_tree(id="good")
    result = runner.invoke(app, ["trees", "validate", str(good)])
    assert result.exit_code == 0, result.output
    bad = write_tree(SIMPLE_BODY.replace("    next: share", "    nxt: share"), id="bad")
    result = runner.invoke(app, ["trees", "validate", str(good), str(bad)])
    assert result.exit_code == 5
    assert f"bad.yaml:{line_of(bad, 'nxt:')} nodes.reasons.nxt: unknown key 'nxt'" in result.stdout
    assert "2 tree file(s) checked" in result.stderr


def test_validate_missing_path_is_a_usage_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["trees", "validate", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 2
    assert "no such file or folder" in result.stderr


def test_shipped_trees_are_valid_without_warnings() -> None:
    result = runner.invoke(app, ["trees", "validate", str(shipped_trees_dir())])
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert "3 tree file(s) checked: 0 error(s), 0 warning(s); valid." in result.stderr


def test_list_and_show_and_schema() -> None:
    listed = runner.invoke(app, ["trees", "list", "--json"])
    assert listed.exit_code == 0
    ids = {row["id"] for row in __import__("json").loads(listed.stdout)}
    assert {"when-to-share", "how-much-to-share", "ico-10-step"} <= ids
    shown = runner.invoke(app, ["trees", "show", "ico-10-step", "--plain"])
    assert shown.exit_code == 0
    assert "Outcomes" in shown.stdout and "SEEK-ADVICE" in shown.stdout
    schema = runner.invoke(app, ["trees", "schema"])
    assert '"sharewise-tree/1"' in schema.stdout


@pytest.mark.parametrize("tree_id", ["when-to-share", "how-much-to-share", "ico-10-step"])
def test_shipped_trees_match_the_json_schema(tree_id: str) -> None:
    import json

    import jsonschema

    from sharewise.formats.yamlio import load_yaml_text

    schema = json.loads(runner.invoke(app, ["trees", "schema"]).stdout)
    data = load_yaml_text((shipped_trees_dir() / f"{tree_id}.yaml").read_text(encoding="utf-8")).data
    jsonschema.validate(data, schema)


def test_the_example_overlay_matches_the_json_schema_and_a_broken_one_does_not() -> None:
    import json

    import jsonschema

    from sharewise.formats.yamlio import load_yaml_text

    validator = jsonschema.Draft202012Validator(json.loads(runner.invoke(app, ["trees", "schema"]).stdout))
    example = Path(__file__).parents[2] / "examples" / "partnership" / "trees" / "when-to-share.yaml"
    data = load_yaml_text(example.read_text(encoding="utf-8")).data
    assert list(validator.iter_errors(data)) == []
    data["nodes"]["urgent"] = {"nxt": "x"}
    assert any("nxt" in e.message for e in validator.iter_errors(data))


def test_a_question_can_cite_several_sources(write_tree: WriteTree) -> None:
    header = HEADER.format(id="t").replace(
        "    title: Test source\n", "    title: Test source\n  other:\n    title: Other guide\n"
    )
    body = SIMPLE_BODY.replace("source: src section 1", "source: src principles (adequate; accurate); other chapter 2")
    path = write_tree(header + body, header=False)
    assert problems(path) == []
    tree = load_tree_file(path).tree
    assert tree is not None
    assert (
        str(tree.questions["purpose"].source) == "Test source, principles (adequate; accurate); Other guide, chapter 2"
    )
