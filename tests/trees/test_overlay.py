"""Overlays: a local file that changes a tree, validated as merged, with problems on the overlay's lines."""

from __future__ import annotations

import hashlib
import json
import textwrap
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sharewise.cli import app
from sharewise.config import Config
from sharewise.engine.walk import Engine
from sharewise.records.build import SignOff, build_record
from sharewise.trees.library import Library
from tests.helpers import HEADER, SIMPLE_BODY, WriteTree

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "partnership"

OVERLAY_HEAD = """\
format: sharewise-tree/1
extends: t
version: "1-local"
owner: Local IG lead
reviewed: 2026-06-01
next_review: 2099-01-01
"""


def _folders(tmp_path: Path) -> tuple[Path, Path]:
    base, local = tmp_path / "shipped", tmp_path / "local"
    base.mkdir(exist_ok=True)
    local.mkdir(exist_ok=True)
    (base / "t.yaml").write_text(HEADER.format(id="t") + SIMPLE_BODY, encoding="utf-8")
    return base, local


def _overlay(local: Path, body: str, head: str = OVERLAY_HEAD, name: str = "t.yaml") -> Path:
    path = local / name
    path.write_text(head + textwrap.dedent(body), encoding="utf-8")
    return path


def _messages(library: Library, path: Path) -> list[str]:
    return [str(d) for d in library.check(path)]


def _line_of(path: Path, text: str) -> int:
    return next(n for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if text in line)


def test_an_overlay_changes_wording_adds_a_question_and_an_action_and_reroutes(tmp_path: Path) -> None:
    base, local = _folders(tmp_path)
    _overlay(
        local,
        """\
        sources:
          local:
            title: Local procedures
            url: https://example.org/procedures
        nodes:
          purpose:
            help: Local help text.
            options:
              not-sure: check-local
              no:
                label: No purpose at all
          check-local:
            ask: Have you read the local procedures?
            help: They say whom to call.
            source: local section 2
            options:
              yes: reasons
              no: advice
        outcomes:
          advice:
            add_actions:
              - Ring the local consultation line.
          share:
            title: Share, the local way
        """,
    )
    library = Library([local, base])
    tree = library.get("t")
    assert tree.version == "1-local"
    purpose = tree.questions["purpose"]
    assert purpose.help == "Local help text."
    assert purpose.ask == "Is there a clear purpose?"  # kept from the base
    routes = {o.value: [r.target for r in o.routes] for o in purpose.options}
    assert routes == {"yes": ["reasons"], "no": ["no-purpose"], "not-sure": ["check-local"]}
    assert purpose.option("no").label == "No purpose at all"  # relabelled, route kept
    assert "check-local" in tree.questions
    assert [a.text for a in tree.outcomes["advice"].actions] == ["Ring the local consultation line."]
    assert tree.outcomes["share"].title == "Share, the local way"
    assert tree.outcomes["share"].summary == "Share what is needed."
    assert tree.sources["local"].url == "https://example.org/procedures"
    assert library.check(local / "t.yaml") == []


def test_the_overlay_stands_in_for_the_tree_it_extends_and_keeps_its_base(tmp_path: Path) -> None:
    base, local = _folders(tmp_path)
    _overlay(local, "nodes:\n  purpose:\n    ask: Is there a clear, local purpose?\n")
    library = Library([local, base])
    tree = library.get("t")
    assert tree.questions["purpose"].ask == "Is there a clear, local purpose?"
    original = library.base_tree(tree)
    assert original is not None and original.questions["purpose"].ask == "Is there a clear purpose?"
    assert library.ids() == ["t"]


def test_an_overlay_with_its_own_id_is_a_second_tree(tmp_path: Path) -> None:
    base, local = _folders(tmp_path)
    _overlay(local, "id: t-local\n", name="t-local.yaml")
    library = Library([local, base])
    assert sorted(library.ids()) == ["t", "t-local"]
    assert library.get("t-local").id == "t-local"
    assert library.get("t").version == "1"


def test_a_broken_overlay_names_its_own_file_and_line(tmp_path: Path) -> None:
    base, local = _folders(tmp_path)
    path = _overlay(
        local,
        """\
        nodes:
          purpose:
            options:
              not-sure: advise
          extra:
            ask: A local question?
            help: Why.
            source: nowhere section 1
            options: [yes, no]
            next: share
        outcomes:
          share:
            decision: maybe
        """,
    )
    messages = _messages(Library([local, base]), path)
    assert (
        f"{path}:{_line_of(path, 'not-sure: advise')} nodes.purpose.options.not-sure: "
        "no question or outcome called 'advise' (did you mean 'advice'?)"
    ) in messages
    assert any(
        m.startswith(f"{path}:{_line_of(path, 'source: nowhere')} nodes.extra.source: 'nowhere'") for m in messages
    )
    assert (
        f"{path}:{_line_of(path, 'decision: maybe')} outcomes.share.decision: "
        "unknown decision 'maybe'; expected one of: share, do-not-share, seek-advice"
    ) in messages
    assert all(m.startswith(str(path)) for m in messages), messages


def test_a_problem_in_an_untouched_part_of_the_base_is_reported_on_the_overlay(tmp_path: Path) -> None:
    base, local = _folders(tmp_path)
    path = _overlay(local, "nodes:\n  purpose:\n    options:\n      not-sure: no-purpose\n")
    messages = _messages(Library([local, base]), path)
    base_line = _line_of(base / "t.yaml", "  advice:")
    assert messages == [
        f"{path}:{_line_of(path, 'extends:')} outcomes.advice: no path from the start ('purpose') reaches this outcome "
        f"(in 't' at {base / 't.yaml'}:{base_line}, which this overlay extends)"
    ]


def test_retiring_a_node_that_is_still_routed_to_says_so(tmp_path: Path) -> None:
    base, local = _folders(tmp_path)
    path = _overlay(local, "outcomes:\n  advice: {retire: true}\n")
    retire_line = _line_of(path, "advice: {retire: true}")
    messages = _messages(Library([local, base]), path)
    assert len(messages) == 1
    assert messages[0].startswith(f"{path}:{_line_of(path, 'extends:')} nodes.purpose.options.not-sure: ")
    assert f"'advice' is retired (at {path}:{retire_line}); point this route somewhere else" in messages[0]


def test_retiring_and_rerouting_together_is_valid(tmp_path: Path) -> None:
    base, local = _folders(tmp_path)
    _overlay(
        local, "nodes:\n  purpose:\n    options:\n      not-sure: no-purpose\noutcomes:\n  advice: {retire: true}\n"
    )
    tree = Library([local, base]).get("t")
    assert "advice" not in tree.outcomes


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            "nodes:\n  nothing: {retire: true}\n",
            "nodes.nothing: there is nothing called 'nothing' under 'nodes' to retire",
        ),
        ("outcomes:\n  advice: {retire: true, title: x}\n", "outcomes.advice: 'retire: true' takes no other keys"),
        ("nodes:\n  purpose:\n    options:\n      maybe: {retire: true}\n", "there is no option 'maybe' to retire"),
    ],
)
def test_retire_mistakes_are_named(tmp_path: Path, body: str, message: str) -> None:
    base, local = _folders(tmp_path)
    path = _overlay(local, body)
    assert any(message in m and m.startswith(f"{path}:") for m in _messages(Library([local, base]), path))


def test_an_overlay_must_give_its_own_version_owner_and_review_dates(tmp_path: Path) -> None:
    base, local = _folders(tmp_path)
    path = _overlay(local, "", head="format: sharewise-tree/1\nextends: t\nversion: '2'\n")
    messages = _messages(Library([local, base]), path)
    assert messages == [
        f"{path}:1: an overlay gives its own 'owner', 'reviewed', 'next_review': "
        "it is local policy, owned and reviewed locally"
    ]


def test_extending_a_tree_that_is_not_there_names_the_extends_line(tmp_path: Path) -> None:
    base, local = _folders(tmp_path)
    path = _overlay(local, "", head=OVERLAY_HEAD.replace("extends: t", "extends: nope"), name="nope.yaml")
    messages = _messages(Library([local, base]), path)
    assert messages == [f"{path}:2 extends: no tree called 'nope' to extend on the trees search path (available: t)"]


def test_overlays_that_extend_each_other_are_a_loop(tmp_path: Path) -> None:
    _, local = _folders(tmp_path)
    _overlay(local, "id: a\n", head=OVERLAY_HEAD.replace("extends: t", "extends: b"), name="a.yaml")
    path_b = _overlay(local, "id: b\n", head=OVERLAY_HEAD.replace("extends: t", "extends: a"), name="b.yaml")
    messages = _messages(Library([local]), path_b)
    assert len(messages) == 1 and "overlays extend each other in a loop" in messages[0]


def test_an_overlay_on_an_overlay_lists_every_file(tmp_path: Path) -> None:
    base, local = _folders(tmp_path)
    school = tmp_path / "school"
    school.mkdir()
    _overlay(local, "nodes:\n  purpose:\n    help: Partnership help.\n")
    _overlay(
        school, "nodes:\n  purpose:\n    ask: School question?\n", head=OVERLAY_HEAD.replace('"1-local"', '"1-school"')
    )
    tree = Library([school, local, base]).get("t")
    assert (tree.questions["purpose"].ask, tree.questions["purpose"].help) == ("School question?", "Partnership help.")
    assert [(f.role, f.version) for f in tree.files] == [("base", "1"), ("overlay", "1-local"), ("overlay", "1-school")]


def test_an_overlay_reviewed_before_its_base_is_warned_about(tmp_path: Path) -> None:
    base, local = _folders(tmp_path)
    path = _overlay(local, "", head=OVERLAY_HEAD.replace("2026-06-01", "2025-06-01"))
    problems = Library([local, base]).check(path)
    assert [(p.severity, p.line) for p in problems] == [("warning", 5)]
    assert "'t' was reviewed on 2026-01-01, after this overlay (2025-06-01)" in problems[0].message


def _placeholder_library(local: Path, base: Path, contacts: dict[str, str]) -> Library:
    config_file = local.parent / "config.yaml"
    config_file.write_text("contacts: {}\n", encoding="utf-8")
    config = Config(path=config_file, organisation="Anytown Council", contacts=contacts)
    return Library.default(extra=[local, base], config=config)


def test_contacts_fill_placeholders_and_unknown_names_are_errors(tmp_path: Path) -> None:
    base, local = _folders(tmp_path)
    path = _overlay(
        local,
        """\
        outcomes:
          advice:
            summary: Ask {contacts.dsl} at {organisation}; {{contacts.dsl}} stays as written.
            add_actions:
              - Or ring {contacts.dpo}.
        """,
    )
    library = _placeholder_library(local, base, {"dsl": "J Bloggs, DSL, 01632 960001", "dpo": "the DPO"})
    advice = library.get("t").outcomes["advice"]
    assert advice.summary == "Ask J Bloggs, DSL, 01632 960001 at Anytown Council; {contacts.dsl} stays as written."
    assert [a.text for a in advice.actions] == ["Or ring the DPO."]
    wrong = _placeholder_library(local, base, {"dsl": "J Bloggs"})
    messages = _messages(wrong, path)
    assert len(messages) == 1
    assert messages[0].startswith(f"{path}:{_line_of(path, 'actions:')} outcomes.advice.actions[0]: ")
    assert "unknown placeholder '{contacts.dpo}': the config file " in messages[0]
    assert "did you mean '{contacts.dsl}'?" in messages[0]


def test_without_a_config_file_a_placeholder_is_an_error(write_tree: WriteTree) -> None:
    path = write_tree(SIMPLE_BODY.replace("Ask your DSL.", "Ask {contacts.dsl}."))
    problems = Library([path.parent]).check(path)
    assert [str(p) for p in problems] == [
        f"{path}:{_line_of(path, 'Ask {contacts')} outcomes.advice.summary: unknown placeholder "
        "'{contacts.dsl}': no config file was found to give 'contacts.dsl'; write '{{' for a literal brace"
    ]


def test_a_record_names_every_file_that_shaped_the_tree_with_its_digest(tmp_path: Path) -> None:
    base, local = _folders(tmp_path)
    overlay = _overlay(local, "outcomes:\n  advice:\n    summary: Ask {contacts.dsl}.\n")
    library = _placeholder_library(local, base, {"dsl": "J Bloggs"})
    tree = library.get("t")
    walk = Engine(tree, library.get).walk({"purpose": "not-sure"})
    record = build_record(
        walk, sign_off=SignOff("A", "B"), record_id="r1", now=datetime(2026, 12, 1, tzinfo=timezone.utc)
    )
    files = record["trees"][0]["files"]

    def sha(p: Path) -> str:
        return hashlib.sha256(p.read_bytes()).hexdigest()

    assert [(f["role"], f["sha256"]) for f in files] == [
        ("base", sha(base / "t.yaml")),
        ("overlay", sha(overlay)),
        ("settings", sha(tmp_path / "config.yaml")),
    ]
    assert [f["version"] for f in files[:2]] == ["1", "1-local"]
    assert record["trees"][0]["sha256"] not in {f["sha256"] for f in files}  # a digest over all three
    assert record["outcome"]["summary"] == "Ask J Bloggs."


def test_a_shipped_tree_record_lists_its_one_file_without_an_install_path() -> None:
    library = Library.default(config=Config())
    tree = library.get("when-to-share")
    assert [(f.role, f.path, f.name) for f in tree.files] == [("base", None, "when-to-share.yaml")]
    assert tree.files[0].sha256 == tree.sha256


# -- the worked example ------------------------------------------------------------------------


def _example_config() -> Path:
    return EXAMPLE / "config.yaml"


def test_the_example_overlay_validates_runs_and_passes_its_own_tests() -> None:
    runner = CliRunner()
    config = str(_example_config())
    validated = runner.invoke(app, ["trees", "validate", "--config", config, str(EXAMPLE / "trees")])
    assert validated.exit_code == 0, validated.output
    tested = runner.invoke(app, ["trees", "test", "--strict", "-q", "--config", config, str(EXAMPLE / "trees")])
    assert tested.exit_code == 0, tested.output
    assert "questions 37/37, options 81/81, outcomes 22/22" in tested.output


def test_the_example_shows_up_in_a_record_with_its_digest(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHAREWISE_CONFIG", str(_example_config()))
    out = tmp_path / "record.json"
    result = CliRunner().invoke(
        app,
        [
            "decide", "when-to-share", "--no-input", "--signed-by", "R Ahmed", "--role", "DSL", "--out", str(out),
            "-a", "trigger=proactive", "-a", "about=adult", "-a", "urgent=not-sure", "-a", "allocated-worker=no",
            "-a", "advice-needed=Whether this is an emergency; asking Adult Social Care.",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    record = json.loads(out.read_text(encoding="utf-8"))
    assert record["outcome"]["id"] == "front-door-consultation"
    assert any("Northshire Adult Social Care safeguarding, 01632 960300" in a for a in record["outcome"]["actions"])
    files = record["trees"][0]["files"]
    overlay = EXAMPLE / "trees" / "when-to-share.yaml"
    assert [f["role"] for f in files] == ["base", "overlay", "settings"]
    assert files[1]["sha256"] == hashlib.sha256(overlay.read_bytes()).hexdigest()
    assert files[1]["version"] == "2026.2"


def test_a_broken_example_overlay_names_its_file_and_line(tmp_path: Path) -> None:
    broken = tmp_path / "trees"
    broken.mkdir()
    text = (EXAMPLE / "trees" / "when-to-share.yaml").read_text(encoding="utf-8")
    path = broken / "when-to-share.yaml"
    path.write_text(text.replace("to: urgent-who\n", "to: urgnet-who\n", 1), encoding="utf-8")
    result = CliRunner().invoke(app, ["trees", "validate", "--config", str(_example_config()), str(broken)])
    assert result.exit_code == 5
    line = _line_of(path, "to: urgnet-who")
    assert (
        f"{path}:{line} nodes.allocated-worker.options.yes.next[0].to: no question or outcome called 'urgnet-who' "
        "(did you mean 'urgent-who'?)"
    ) in result.output


def test_overlay_reading_alone_explains_it_needs_the_library(tmp_path: Path) -> None:
    from sharewise.trees.load import load_tree_file

    path = _overlay(tmp_path, "")
    loaded = load_tree_file(path, date(2026, 1, 1))
    assert loaded.tree is None
    assert "read through the trees search path" in str(loaded.diagnostics[0])
