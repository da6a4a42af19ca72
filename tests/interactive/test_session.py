"""The interactive session through a scripted prompter: no terminal, every behaviour of issue 3."""

from __future__ import annotations

import io
import json
import stat
import textwrap
from collections.abc import Callable
from datetime import datetime, timezone
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from sharewise.errors import EXIT_INCOMPLETE, EXIT_OK, EXIT_USAGE
from sharewise.frontends.drafts import DraftStore
from sharewise.interactive import run_interactive
from sharewise.interactive.fake import CTRL_C, CTRL_D, ENTER, HELP, Asked, FakePrompter
from sharewise.interactive.prompter import BACK
from sharewise.trees.library import Library
from tests.helpers import WriteTree

NOW = datetime(2026, 11, 22, 14, 30, tzinfo=timezone.utc)
LONG = "An answer long enough for any minimum length in the trees."

ROUTES = """\
nodes:
  start:
    ask: How did this start?
    help: It changes the follow-up.
    source: src section 1
    section: How this started
    options:
      request: urgent
      noticed: urgent
  urgent:
    ask: Is it urgent?
    help: Urgency matters.
    source: src section 2
    options:
      yes: now-what
      no: purpose
  purpose:
    ask: Is there a clear purpose?
    help: Purpose matters.
    source: src section 3
    options:
      yes: reasons
      no: no-purpose
  reasons:
    ask: Why are you sharing?
    help: Write it for a later reader.
    source: src section 4
    kind: text
    min_length: 10
    multiline: true
    detail: reasons
    next: share
  now-what:
    ask: What did you share straight away?
    help: The facts passed on.
    source: src section 5
    kind: text
    min_length: 10
    detail: what_shared
    next: share-now
  why-not:
    ask: Why are you not sharing?
    help: Reasons matter.
    source: src section 6
    kind: text
    min_length: 10
    detail: reasons
outcomes:
  share:
    decision: share
    title: Share
    summary: Share what is needed.
    actions:
      - Record what you shared.
      - text: Tell the requester.
        if: start == 'request'
  share-now:
    decision: share
    title: Share now
    summary: Someone is in danger.
  no-purpose:
    decision: do-not-share
    title: Do not share
    summary: No purpose.
    record: [why-not]
"""

SIGN = ["Sam Patel", "Early help practitioner", ENTER, ENTER, "confirm"]
"""Sign-off with nothing remembered: name, role, organisation and case ref left as offered, confirm."""


class Run:
    """One call of ``run_interactive`` with a fake prompter and a recording console."""

    def __init__(self, code: int, prompter: FakePrompter, output: str) -> None:
        self.code = code
        self.prompter = prompter
        self.output = output
        self.text = " ".join(output.translate(str.maketrans("", "", "│╭╮╰╯")).split())
        """The output with panel borders and line wrapping taken out, for phrase checks."""

    @property
    def asked(self) -> list[Asked]:
        return self.prompter.asked


def records(tmp_path: Path) -> list[dict[str, Any]]:
    folder = tmp_path / "records"
    paths = sorted(p for p in folder.glob("*.json") if not p.name.startswith(".")) if folder.is_dir() else []
    return [json.loads(p.read_text(encoding="utf-8")) for p in paths]


def drafts() -> DraftStore:
    return DraftStore()


@pytest.fixture
def session(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, write_tree: WriteTree) -> Callable[..., Run]:
    """``session(script, tree="t", **flags)``: run an interactive decision on the ROUTES tree."""
    (tmp_path / "trees").mkdir()
    monkeypatch.setenv("SHAREWISE_TREES_PATH", str(tmp_path / "trees"))
    write_tree(ROUTES, id="t", name="trees/t.yaml")

    def _run(script: list[Any], tree: str | None = "t", *, then: Any = None, ref: Any = ENTER, **flags: Any) -> Run:
        """``ref`` answers the case reference asked first in a new decision (left blank by default)."""
        if not flags.get("resume") and "case_ref" not in flags:
            script = [ref, *script]
        prompter = FakePrompter(script, then=then)
        out = io.StringIO()
        console = Console(file=out, width=100, color_system=None, force_terminal=False)
        code = run_interactive(tree=tree, prompter=prompter, console=console, now=lambda: NOW, **flags)
        return Run(code, prompter, out.getvalue())

    return _run


def _schema_check(record: dict[str, Any]) -> None:
    schema_file = files("sharewise").joinpath("schemas/record.schema.json")
    if not schema_file.is_file():  # pragma: no cover - the schema arrives with the records issue
        return
    import jsonschema

    jsonschema.validate(record, json.loads(schema_file.read_text(encoding="utf-8")))


# -- straight through -----------------------------------------------------------------------


def test_a_straight_run_writes_the_same_record_a_scripted_run_would(
    session: Callable[..., Run], tmp_path: Path
) -> None:
    run = session(["request", "no", "yes", "So the nurse can follow up.", "sign", *SIGN])
    assert run.code == EXIT_OK
    [record] = records(tmp_path)
    _schema_check(record)
    assert [step["id"] for step in record["path"]] == ["start", "urgent", "purpose", "reasons"]
    assert record["outcome"]["actions"] == ["Record what you shared.", "Tell the requester."]
    assert record["details"] == {"reasons": "So the nurse can follow up."}
    assert record["sign_off"]["name"] == "Sam Patel"
    assert "Question 1 of at most 4 · How this started" in run.text
    assert "Record written to" in run.text
    assert "[ ] Record what you shared." in run.text
    assert drafts().saved() == []


def test_the_first_question_has_no_way_back_and_later_ones_do(session: Callable[..., Run]) -> None:
    run = session(["request", "no", "yes", LONG, "sign", *SIGN])
    questions = [a for a in run.asked if a.message == "Your answer"]
    assert questions[0].back is None
    assert all(a.back == "Back to the previous question" for a in questions[1:])
    assert questions[3].multiline is True


def test_a_text_answer_shorter_than_the_minimum_is_asked_again(session: Callable[..., Run], tmp_path: Path) -> None:
    run = session(["request", "no", "yes", "too short", "  ", "Long enough now.", "sign", *SIGN])
    assert run.prompter.rejected == [
        "needs at least 10 characters (this answer has 9)",
        "an answer is required",
    ]
    assert records(tmp_path)[0]["details"]["reasons"] == "Long enough now."


def test_record_questions_follow_the_outcome_panel(session: Callable[..., Run], tmp_path: Path) -> None:
    run = session(["noticed", "no", "no", "Nobody needs to know this.", "sign", *SIGN])
    assert "Decision: Do not share" in run.text
    assert "1 more question for the record" in run.text
    assert "Question 4 of 4 · For the record" in run.text
    record = records(tmp_path)[0]
    assert record["outcome"]["decision"] == "do-not-share"
    assert record["details"]["reasons"] == "Nobody needs to know this."


# -- back and change ------------------------------------------------------------------------


def test_back_offers_the_earlier_answer_as_the_default(session: Callable[..., Run]) -> None:
    run = session(["request", "no", BACK, ENTER, "yes", LONG, "sign", *SIGN])
    _ref, _start, urgent, _purpose, urgent_again, *_ = run.asked
    assert urgent.default is None
    assert urgent_again.choices == urgent.choices
    assert urgent_again.default == "no"
    assert "Back to question 2." in run.text
    assert "Your earlier answer is filled in" in run.text
    assert run.code == EXIT_OK


def test_changing_an_answer_keeps_later_answers_still_on_the_path(session: Callable[..., Run], tmp_path: Path) -> None:
    script = ["request", "no", "yes", BACK, BACK, BACK, "noticed", ENTER, ENTER, LONG, "sign", *SIGN]
    run = session(script)
    assert "You changed your answer to question 1." in run.text
    assert "Kept 2 later answers still on your path (questions 2, 3)" in run.text
    assert "Dropped" not in run.text
    # the kept answers were offered again as defaults; reasons had not been answered before going back
    defaults = [a.default for a in run.asked if a.message == "Your answer"]
    assert defaults[-3:] == ["no", "yes", ""]
    assert run.code == EXIT_OK
    assert records(tmp_path)[0]["path"][0]["value"] == "noticed"


def test_changing_an_answer_drops_answers_no_longer_on_the_path_and_says_which(
    session: Callable[..., Run], tmp_path: Path
) -> None:
    script = ["request", "no", "yes", BACK, BACK, "yes", "Told the police at 9am.", "sign", *SIGN]
    run = session(script)
    assert "Dropped 1 answer, to a question no longer on your path:" in run.text
    assert "- Is there a clear purpose?" in run.text
    [record] = records(tmp_path)
    assert [s["id"] for s in record["path"]] == ["start", "urgent", "now-what"]
    assert "purpose" not in json.dumps(record["path"])


def test_a_dropped_answer_is_offered_again_if_the_path_comes_back(session: Callable[..., Run]) -> None:
    script = ["request", "no", "yes", "Reasons for sharing.", "change", "1", "yes", "Called the police at once."]
    run = session([*script, "change", "1", "no", ENTER, ENTER, "sign", *SIGN])
    assert "Dropped 2 answers" in run.text
    assert "Dropped 1 answer, to a question no longer on your path: - What did you share straight away?" in run.text
    *_, purpose, reasons = (a for a in run.asked if a.message == "Your answer")
    assert purpose.default == "yes"
    assert reasons.default == "Reasons for sharing."
    assert run.code == EXIT_OK


# -- review and amend -----------------------------------------------------------------------


def test_review_lists_every_answer_and_lets_one_be_changed(session: Callable[..., Run], tmp_path: Path) -> None:
    script = ["request", "no", "yes", "First reasons given.", "change", "3", "Better reasons, on reflection.", "sign"]
    run = session([*script, *SIGN])
    assert "Review your answers" in run.text
    review_menus = [a for a in run.asked if a.message == "What would you like to do?"]
    assert len(review_menus) == 2  # back to the review after the change
    change_menu = next(a for a in run.asked if a.message == "Which answer do you want to change?")
    assert change_menu.values == ["0", "1", "2", "3"]
    assert change_menu.back == "Back to the review"
    assert records(tmp_path)[0]["details"]["reasons"] == "Better reasons, on reflection."


def test_a_change_at_review_asks_only_the_new_questions(session: Callable[..., Run], tmp_path: Path) -> None:
    run = session(["request", "no", "yes", LONG, "change", "1", "yes", "Called the duty team.", "sign", *SIGN])
    assert "Dropped 2 answers" in run.text
    assert [s["id"] for s in records(tmp_path)[0]["path"]] == ["start", "urgent", "now-what"]
    assert run.code == EXIT_OK


def test_going_back_from_the_change_menu_or_the_question_returns_to_review(session: Callable[..., Run]) -> None:
    run = session(["request", "no", "yes", LONG, "change", BACK, "change", "0", BACK, "sign", *SIGN])
    assert len([a for a in run.asked if a.message == "What would you like to do?"]) == 3
    assert run.code == EXIT_OK


def test_declining_the_accuracy_confirmation_returns_to_review(session: Callable[..., Run], tmp_path: Path) -> None:
    run = session(["request", "no", "yes", LONG, "sign", "Sam", "Lead", ENTER, ENTER, "review", "sign", *SIGN])
    assert run.code == EXIT_OK
    assert len(records(tmp_path)) == 1


# -- sign-off -------------------------------------------------------------------------------


def test_sign_off_offers_remembered_details_for_confirmation(
    session: Callable[..., Run], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "config" / "sharewise" / "config.yaml"
    config.parent.mkdir(parents=True)
    config.write_text("organisation: Anytown Council\nsigner:\n  name: Sam Patel\n  role: DSL\n", encoding="utf-8")
    monkeypatch.setenv("SHAREWISE_SIGNER_ROLE", "Designated safeguarding lead")
    run = session(["request", "no", "yes", LONG, "sign", ENTER, ENTER, ENTER, "CASE-7", "confirm"])
    fields = {a.message: a.default for a in run.asked if a.kind == "text" and a.message.startswith(("Your ", "Case"))}
    assert fields["Your name"] == "Sam Patel"
    assert fields["Your role"] == "Designated safeguarding lead"
    assert fields["Your organisation (optional)"] == "Anytown Council"
    record = records(tmp_path)[0]
    assert record["sign_off"]["organisation"] == "Anytown Council"
    assert record["case_ref"] == "CASE-7"


def test_flags_win_over_remembered_details(session: Callable[..., Run], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHAREWISE_SIGNER_NAME", "From Env")
    run = session(["request", "no", "yes", LONG, "sign", ENTER, "Role", ENTER, ENTER, "confirm"], signed_by="From Flag")
    assert next(a.default for a in run.asked if a.message == "Your name") == "From Flag"


def test_a_blank_name_is_not_accepted(session: Callable[..., Run]) -> None:
    run = session(["request", "no", "yes", LONG, "sign", "  ", "Sam", "Lead", ENTER, ENTER, "confirm"])
    assert run.prompter.rejected == ["this is needed for the record"]
    assert run.code == EXIT_OK


# -- stopping and resuming ------------------------------------------------------------------


def test_ctrl_c_mid_way_keeps_a_draft_and_writes_no_record(session: Callable[..., Run], tmp_path: Path) -> None:
    run = session(["request", "no", CTRL_C])
    assert run.code == EXIT_INCOMPLETE
    assert records(tmp_path) == []
    [draft] = drafts().saved()
    assert draft.answers == {"start": "request", "urgent": "no"}
    assert draft.tree == "t"
    assert "Your 2 answers are kept as a draft" in run.text
    assert "sharewise decide --resume" in run.text


def test_end_of_input_behaves_like_ctrl_c(session: Callable[..., Run], tmp_path: Path) -> None:
    run = session(["request", CTRL_D])
    assert run.code == EXIT_INCOMPLETE
    assert records(tmp_path) == []
    assert drafts().saved()[0].answers == {"start": "request"}


def test_stopping_before_any_answer_saves_nothing(session: Callable[..., Run]) -> None:
    run = session([CTRL_C])
    assert run.code == EXIT_INCOMPLETE
    assert drafts().saved() == []
    assert "there were no answers to keep" in run.text


def test_ctrl_c_during_sign_off_keeps_the_draft(session: Callable[..., Run], tmp_path: Path) -> None:
    run = session(["request", "no", "yes", LONG, "sign", "Sam", CTRL_C])
    assert run.code == EXIT_INCOMPLETE
    assert records(tmp_path) == []
    assert len(drafts().saved()[0].answers) == 4


def test_stop_at_review_keeps_a_draft(session: Callable[..., Run], tmp_path: Path) -> None:
    run = session(["request", "no", "yes", LONG, "stop"])
    assert run.code == EXIT_INCOMPLETE
    assert records(tmp_path) == [] and len(drafts().saved()) == 1


def test_resume_continues_to_a_record_and_deletes_the_draft(session: Callable[..., Run], tmp_path: Path) -> None:
    session(["request", "no", CTRL_C], case_ref="REQ-12")
    [draft] = drafts().saved()
    run = session([draft.id, "yes", LONG, "sign", *SIGN], tree=None, resume=True)
    menu = run.asked[0]
    assert menu.message == "Which draft do you want to carry on with?"
    assert menu.choices[0].title == "Test tree t · case REQ-12 · 2 answers, saved 2026-11-22 14:30 · Request; No"
    assert "2 answers restored" in run.text
    assert run.asked[1].default is None and run.asked[1].back == "Back to the previous question"
    assert run.code == EXIT_OK
    [record] = records(tmp_path)
    assert [s["id"] for s in record["path"]] == ["start", "urgent", "purpose", "reasons"]
    assert record["case_ref"] == "REQ-12"
    assert drafts().saved() == []


def test_a_resumed_draft_can_go_back_into_restored_answers(session: Callable[..., Run], tmp_path: Path) -> None:
    session(["request", "no", CTRL_C])
    run = session([ENTER, BACK, "yes", "Shared with the police.", "sign", *SIGN], tree=None, resume=True)
    assert run.code == EXIT_OK
    assert "Dropped" not in run.text  # urgent had nothing after it yet
    assert records(tmp_path)[0]["outcome"]["id"] == "share-now"


def test_resume_with_no_drafts_says_so(session: Callable[..., Run]) -> None:
    run = session([], tree=None, resume=True)
    assert run.code == EXIT_USAGE
    assert "There are no saved drafts to resume" in run.text


def test_resume_can_be_cancelled(session: Callable[..., Run]) -> None:
    session(["request", CTRL_C])
    run = session([""], tree=None, resume=True)
    assert run.code == EXIT_INCOMPLETE
    assert len(drafts().saved()) == 1


def test_a_draft_whose_answers_no_longer_fit_is_resumed_without_them(session: Callable[..., Run]) -> None:
    session(["request", "no", CTRL_C])
    [draft] = drafts().saved()
    path = drafts().folder / f"{draft.id}.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["answers"]["urgent"] = "maybe"
    data["tree"]["sha256"] = "0" * 64
    path.write_text(json.dumps(data), encoding="utf-8")
    run = session([ENTER, "no", "yes", LONG, "sign", *SIGN], tree=None, resume=True)
    assert "1 saved answer no longer fit the questions" in run.text
    assert "have changed since this draft was saved" in run.text
    assert run.code == EXIT_OK


def test_drafts_are_owner_only(session: Callable[..., Run]) -> None:
    session(["request", CTRL_C])
    store = drafts()
    [path] = list(store.folder.glob("*.json"))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(store.folder.stat().st_mode) == 0o700


# -- menus, notices and plain output -------------------------------------------------------


def test_the_tree_menu_preselects_when_to_share() -> None:
    prompter = FakePrompter([CTRL_C])
    console = Console(file=io.StringIO(), width=100)
    code = run_interactive(tree=None, prompter=prompter, console=console, now=lambda: NOW)
    menu = prompter.asked[0]
    assert menu.default == "when-to-share" == menu.values[0]
    assert {"how-much-to-share", "ico-10-step"} <= set(menu.values)
    assert all(c.help for c in menu.choices)  # each tree's one-line description
    assert code == EXIT_INCOMPLETE


def test_an_overdue_tree_is_a_notice_not_a_block(session: Callable[..., Run], tmp_path: Path) -> None:
    tree_file = tmp_path / "trees" / "t.yaml"
    text = tree_file.read_text(encoding="utf-8").replace("next_review: 2099-01-01", "next_review: 2026-01-01")
    tree_file.write_text(text, encoding="utf-8")
    run = session(["request", "no", "yes", LONG, "sign", *SIGN])
    assert "Review overdue: the 'Test tree t' questions were due for review on 2026-01-01" in run.text
    assert run.code == EXIT_OK


def test_plain_mode_has_no_box_drawing(session: Callable[..., Run]) -> None:
    fancy = session(["request", CTRL_C])
    plain = session(["request", CTRL_C], plain=True)
    assert "╭" in fancy.output
    assert not any(ch in plain.output for ch in "╭╮╰╯│─┃━")
    assert "Question 1 of at most 4: How this started (Test tree t)" in plain.output


def test_no_color_means_plain(session: Callable[..., Run], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    run = session(["request", CTRL_C])
    assert "How did this start?" in run.output  # the question is drawn...
    assert "╭" not in run.output  # ...without box drawing


def test_an_existing_out_file_is_refused_before_any_question(session: Callable[..., Run], tmp_path: Path) -> None:
    from sharewise.errors import UsageError

    (tmp_path / "taken.json").write_text("{}", encoding="utf-8")
    with pytest.raises(UsageError, match="already exists"):
        session([], out=tmp_path / "taken.json")


def test_out_writes_the_record_there(session: Callable[..., Run], tmp_path: Path) -> None:
    run = session(["request", "no", "yes", LONG, "sign", *SIGN], out=tmp_path / "case.json")
    assert run.code == EXIT_OK
    assert json.loads((tmp_path / "case.json").read_text(encoding="utf-8"))["outcome"]["id"] == "share"


# -- every shipped tree ---------------------------------------------------------------------


def _strategy(pick: str) -> Callable[[Asked], Any]:
    """Answer anything: the first (or last) option, a long text, the default for menus and sign-off."""

    def answer(asked: Asked) -> Any:
        if asked.message != "Your answer":
            if asked.kind == "text":
                return asked.default or "Sam Patel"
            return ENTER
        if asked.kind == "select":
            return asked.values[0 if pick == "first" else -1]
        if asked.kind == "checkbox":
            return [asked.values[0]]
        return LONG

    return answer


SHIPPED = sorted(Library.default().ids())


@pytest.mark.parametrize("pick", ["first", "last"])
@pytest.mark.parametrize("tree_id", SHIPPED)
def test_every_shipped_tree_reaches_a_record(tree_id: str, pick: str, tmp_path: Path) -> None:
    prompter = FakePrompter(then=_strategy(pick))
    console = Console(file=io.StringIO(), width=100)
    code = run_interactive(tree=tree_id, prompter=prompter, console=console, now=lambda: NOW)
    assert code == EXIT_OK
    [record] = records(tmp_path)
    _schema_check(record)
    assert record["trees"][0]["id"] == tree_id
    assert drafts().saved() == []


@pytest.mark.parametrize(
    ("numbers", "text"),
    [([2, 4, 5, 6], "2, 4 to 6"), ([7, 8, 9, 10, 11], "7 to 11"), ([2, 3], "2, 3"), ([5], "5"), ([], "")],
)
def test_question_numbers_are_read_as_ranges(numbers: list[int], text: str) -> None:
    from sharewise.interactive.screen import number_ranges

    assert number_ranges(numbers) == text


KINDS = """\
nodes:
  who:
    ask: Who will receive it?
    help: Name every recipient.
    source: src section 1
    kind: multi
    options:
      police: {label: The police}
      school: {label: The school}
    detail: recipient
    next: when
  when:
    ask: When will you share it?
    help: A date.
    source: src section 2
    kind: date
    next: note
  note:
    ask: Anything else?
    help: Optional.
    source: src section 3
    kind: text
    optional: true
    next: done
outcomes:
  done:
    decision: share
    title: Share
    summary: Share it.
"""


def test_several_choices_dates_and_optional_text(
    session: Callable[..., Run], write_tree: WriteTree, tmp_path: Path
) -> None:
    write_tree(KINDS, id="kinds", name="trees/kinds.yaml")
    script = [[], ["police", "school"], "tomorrow", "2026-11-23", BACK, BACK, ENTER, ENTER, ENTER]
    run = session([*script, "sign", *SIGN], tree="kinds")
    assert run.prompter.rejected == [
        "tick at least one option with Space, then press Enter",
        "the answer given is not a date; write it as YYYY-MM-DD, for example 2026-11-30",
    ]
    who_again = [a for a in run.asked if a.kind == "checkbox"][-1]
    assert who_again.default == ["police", "school"]
    assert "You may leave this blank." in run.text
    record = records(tmp_path)[0]
    assert [s["value"] for s in record["path"]] == [["police", "school"], "2026-11-23", ""]
    assert record["details"]["recipient"] == "The police; The school"


from tests.helpers import ORG  # noqa: E402 - the tree with an option offered only to some organisations


def test_only_the_options_whose_if_holds_are_offered(session: Callable[..., Run], write_tree: WriteTree) -> None:
    write_tree(ORG, id="org", name="trees/org.yaml")
    run = session(["yes", "public-task", "sign", *SIGN], tree="org")
    assert run.code == EXIT_OK
    basis = [a for a in run.asked if a.message == "Your answer"][1]
    assert basis.values == ["public-task", "not-sure"]
    run = session(["no", "legitimate-interests", "sign", *SIGN], tree="org")
    assert run.code == EXIT_OK
    assert [a for a in run.asked if a.message == "Your answer"][1].values == [
        "public-task",
        "legitimate-interests",
        "not-sure",
    ]


def test_the_config_file_supplies_trees_and_the_records_folder(
    tmp_path: Path, write_tree: WriteTree, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "team-trees").mkdir()
    write_tree(ROUTES, id="team", name="team-trees/team.yaml")
    config = tmp_path / "config" / "sharewise" / "config.yaml"
    config.parent.mkdir(parents=True)
    config.write_text(f"trees_path: [{tmp_path / 'team-trees'}]\nrecords_dir: team-records\n", encoding="utf-8")
    monkeypatch.delenv("SHAREWISE_RECORDS_DIR")
    prompter = FakePrompter([ENTER, "request", "no", "yes", LONG, "sign", *SIGN])
    console = Console(file=io.StringIO(), width=100)
    assert run_interactive(tree="team", prompter=prompter, console=console, now=lambda: NOW) == EXIT_OK
    assert len(list((config.parent / "team-records").glob("2*.json"))) == 1


# -- a decision that continues into another tree ----------------------------------------------


@pytest.fixture
def continued(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, write_tree: WriteTree) -> Callable[..., Run]:
    """``continued(script)``: run a decision that starts in 'giving' and continues into 'how-much'."""
    from tests.helpers import GIVING, RECEIVING

    (tmp_path / "trees").mkdir(exist_ok=True)
    monkeypatch.setenv("SHAREWISE_TREES_PATH", str(tmp_path / "trees"))
    write_tree(GIVING, id="giving", name="trees/giving.yaml")
    write_tree(RECEIVING, id="how-much", name="trees/how-much.yaml")

    def _run(script: list[Any], tree: str = "giving") -> Run:
        prompter = FakePrompter([ENTER, *script])  # no case reference
        out = io.StringIO()
        console = Console(file=out, width=100, color_system=None, force_terminal=False)
        code = run_interactive(tree=tree, prompter=prompter, console=console, now=lambda: NOW)
        return Run(code, prompter, out.getvalue())

    return _run


def test_a_continued_tree_never_asks_a_carried_question_and_says_what_it_reuses(
    continued: Callable[..., Run], tmp_path: Path
) -> None:
    run = continued(["request", "given", "all", "sign", *SIGN])
    assert run.code == EXIT_OK
    questions = [a for a in run.asked if a.message == "Your answer" and a.kind == "select"]
    assert [a.values for a in questions] == [
        ["request", "proactive"],
        ["given", "refused", "not-sure"],
        ["all", "some"],
    ]
    assert "The decision moves on" in run.text
    assert "So far: Share. You may share" in run.text
    assert "question 2: Given" in run.text and "question 1: Request" in run.text
    assert "Question 3" in run.text and "Question 5" not in run.text  # carried answers take no number
    [record] = records(tmp_path)
    _schema_check(record)
    assert [(p["id"], "carried_from" in p) for p in record["path"]] == [
        ("how", False),
        ("consent", False),
        ("hm-how", True),
        ("hm-consent", True),
        ("hm-much", False),
    ]
    assert "Given (same answer as in Test tree giving)" in run.text  # the review marks carried answers


def test_going_back_over_the_boundary_and_changing_the_source_changes_the_carried_answer(
    continued: Callable[..., Run], tmp_path: Path
) -> None:
    run = continued(["request", "given", BACK, "refused", "all", "sign", *SIGN])
    assert run.code == EXIT_OK
    assert "Back to question 2" in run.text
    assert "You changed your answer to question 2" in run.text
    [record] = records(tmp_path)
    by_id = {p["id"]: p for p in record["path"]}
    assert by_id["consent"]["value"] == by_id["hm-consent"]["value"] == "refused"
    assert record["outcome"]["id"] == "share-refused"  # the receiving tree's route follows the change
    assert record["details"] == {"consent": "Refused"}


def test_started_on_its_own_the_continued_tree_asks_everything(continued: Callable[..., Run], tmp_path: Path) -> None:
    run = continued(["yes", "proactive", "unknown", "some", "sign", *SIGN], tree="how-much")
    assert run.code == EXIT_OK
    assert "The decision moves on" not in run.text
    [record] = records(tmp_path)
    assert [p["id"] for p in record["path"]] == ["hm-where", "hm-how", "hm-consent", "hm-much"]
    assert "conclusions" not in record


# -- a window of 80 by 24: the question stays in view, the decision says what to do now --------

LONG_HELP = "\n\n".join(f"Paragraph {n}: " + "this help goes on at some length. " * 6 for n in range(1, 6))


def _on_a_terminal(
    script: list[Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, write_tree: WriteTree, body: str
) -> Run:
    (tmp_path / "trees").mkdir(exist_ok=True)
    monkeypatch.setenv("SHAREWISE_TREES_PATH", str(tmp_path / "trees"))
    write_tree(body, id="t", name="trees/t.yaml")
    prompter = FakePrompter([ENTER, *script])  # no case reference
    out = io.StringIO()
    console = Console(file=out, width=80, height=24, color_system=None, force_terminal=True)
    code = run_interactive(tree="t", prompter=prompter, console=console, now=lambda: NOW)
    return Run(code, prompter, out.getvalue())


def test_help_too_long_for_the_window_is_shortened_and_shown_whole_on_request(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, write_tree: WriteTree
) -> None:
    body = ROUTES.replace("    help: Urgency matters.\n", "    help: |\n" + textwrap.indent(LONG_HELP, " " * 6) + "\n")
    run = _on_a_terminal(
        ["request", HELP, "no", "yes", LONG, "go", "sign", *SIGN], tmp_path, monkeypatch, write_tree, body
    )
    assert run.code == EXIT_OK
    urgent = [a for a in run.asked if a.message == "Your answer"][1:3]  # after the first question
    assert [a.more_help for a in urgent] == [True, True]  # asked again after the help, still folded
    first_box = run.text.split("Question 2 of at most 4")[1].split("Help for question 2")[0]
    assert "Paragraph 1" in first_box
    assert "Paragraph 5" not in first_box
    assert "Press ? for the full help" in first_box
    full = run.text.split("Help for question 2")[1].split("Question 2 of at most 4")[0]
    assert "Paragraph 5" in full and "Source: Test source, section 2" in full


def test_short_help_is_shown_whole_and_offers_no_help_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, write_tree: WriteTree
) -> None:
    run = _on_a_terminal(["request", "no", "yes", LONG, "go", "sign", *SIGN], tmp_path, monkeypatch, write_tree, ROUTES)
    assert not any(a.more_help for a in run.asked)
    assert "Press ? for the full help" not in run.text


WITH_ACTIONS = ROUTES.replace(
    "    summary: No purpose.\n", "    summary: No purpose.\n    actions: [Tell the requester why not.]\n"
)
NOT_SHARING = ["noticed", "no", "no"]


def test_the_decision_says_what_to_do_now_before_the_record_questions(
    session: Callable[..., Run], write_tree: WriteTree
) -> None:
    write_tree(WITH_ACTIONS, id="t", name="trees/t.yaml")
    run = session([*NOT_SHARING, LONG, "sign", *SIGN])
    assert run.code == EXIT_OK
    decided = run.text.index("Decision: Do not share")
    assert (
        decided < run.text.index("What to do now: [ ] Tell the requester why not.") < run.text.index("Question 4 of 4")
    )
    end = run.text.split("Sign-off")[-1]
    assert "What to do next: [ ] Tell the requester why not." in end  # and again at the end


def test_on_a_terminal_the_decision_waits_to_be_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, write_tree: WriteTree
) -> None:
    run = _on_a_terminal([*NOT_SHARING, "go", LONG, "sign", *SIGN], tmp_path, monkeypatch, write_tree, WITH_ACTIONS)
    assert run.code == EXIT_OK
    pause = run.asked[4]
    assert pause.message == "Press Enter when you have read this"
    assert pause.values == ["go"] and pause.choices[0].title == "Go on to the questions for the record"


# -- drafts you can tell apart, and delete -------------------------------------------------------


def test_the_case_reference_asked_first_goes_into_the_draft_and_the_record(
    session: Callable[..., Run], tmp_path: Path
) -> None:
    session(["request", CTRL_C], ref="REF-3")
    assert drafts().saved()[0].case_ref == "REF-3"
    run = session(["request", "no", "yes", LONG, "sign", *SIGN], ref="  REF-4 ")
    assert run.asked[0].message == "Case or request reference (optional)"
    sign_ref = [a for a in run.asked if a.message == "Case or request reference (optional)"][-1]
    assert sign_ref.default == "REF-4"  # offered again at sign-off
    assert records(tmp_path)[0]["case_ref"] == "REF-4"


def test_a_draft_can_be_deleted_from_the_resume_list(session: Callable[..., Run]) -> None:
    session(["request", CTRL_C], ref="KEEP")
    session(["noticed", "no", CTRL_C], ref="GONE")
    gone = next(d for d in drafts().saved() if d.case_ref == "GONE")
    run = session(["\x00delete", gone.id, True, ""], tree=None, resume=True)
    assert run.code == EXIT_INCOMPLETE
    assert [d.case_ref for d in drafts().saved()] == ["KEEP"]
    assert "Draft deleted." in run.text
    second_menu = [a for a in run.asked if a.message == "Which draft do you want to carry on with?"][1]
    assert [c.title.split(" · ")[1] for c in second_menu.choices[:-2]] == ["case KEEP"]


def test_declining_to_delete_keeps_the_draft(session: Callable[..., Run]) -> None:
    session(["request", CTRL_C], ref="KEEP")
    [draft] = drafts().saved()
    run = session(["\x00delete", draft.id, False, ""], tree=None, resume=True)
    assert "Nothing deleted." in run.text
    assert len(drafts().saved()) == 1


def test_drafts_commands_list_and_delete(session: Callable[..., Run]) -> None:
    from typer.testing import CliRunner

    from sharewise.cli import app

    session(["noticed", "yes", CTRL_C], ref="REF-9")
    [draft] = drafts().saved()
    listed = CliRunner().invoke(app, ["drafts", "list"])
    assert listed.exit_code == 0
    assert f"{draft.id}  Test tree t · case REF-9 · 2 answers, saved 2026-11-22 14:30 · Noticed; Yes" in listed.output
    as_json = json.loads(CliRunner().invoke(app, ["drafts", "list", "--json"]).output)
    assert as_json[0]["case_ref"] == "REF-9" and as_json[0]["answers"] == 2
    missing = CliRunner().invoke(app, ["drafts", "delete", "20260101-000000-abcdef"])
    assert missing.exit_code == EXIT_USAGE
    assert "no draft called '20260101-000000-abcdef'" in missing.output
    deleted = CliRunner().invoke(app, ["drafts", "delete", draft.id])
    assert deleted.exit_code == 0
    assert drafts().saved() == []


def test_a_dropped_question_is_named_in_full_however_long(session: Callable[..., Run], write_tree: WriteTree) -> None:
    long_ask = "Is there a clear purpose for sharing, one that a colleague reading the record later would accept?"
    write_tree(ROUTES.replace("Is there a clear purpose?", long_ask), id="t", name="trees/t.yaml")
    run = session(["request", "no", "yes", BACK, BACK, "yes", "Told the police at 9am.", "sign", *SIGN])
    assert f"- {long_ask}" in run.text
    assert "…" not in run.text.split("Answer changed")[1].split("Question")[0]


def test_progress_counts_the_longest_route_left_across_trees_and_record_questions() -> None:
    from sharewise.interactive.progress import Progress

    library = Library.default()
    start = library.get("when-to-share")
    progress = Progress(library.get)
    total = progress.total(1, start, start.questions["trigger"])
    # trigger, urgent, then the longest way on through how-much-to-share, never fewer than the urgent path
    urgent_path = 2 + len(start.outcomes["share-urgently"].record)
    assert total > urgent_path
    assert progress.total(2, start, start.questions["about"]) == total  # one answered, one fewer left
    consent = start.questions["consent"]
    assert progress.total(6, start, consent) <= total
