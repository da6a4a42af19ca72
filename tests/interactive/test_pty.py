"""The installed ``sharewise decide`` in a real pseudo-terminal, driven by pexpect.

Few and robust: each waits for stable words (never ANSI codes), sends named keys, and has its own
timeout, so a missing keystroke fails the test instead of hanging it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import pytest

pexpect = pytest.importorskip("pexpect")

pytestmark = [pytest.mark.pty, pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pty")]

UP = "\x1b[A"
DOWN = "\x1b[B"
ENTER = "\r"
CTRL_B = "\x02"
CTRL_C = "\x03"
FINISH = "\x1b\r"  # Esc then Enter ends a multi-line answer
WAIT = 15


def _executable() -> str:
    beside = Path(sys.executable).parent / "sharewise"
    found = str(beside) if beside.exists() else shutil.which("sharewise")
    if not found:  # pragma: no cover - the package is installed for the tests
        pytest.skip("the sharewise command is not installed")
    return found


def spawn(tmp_path: Path, *args: str, rows: int = 40, columns: int = 120) -> pexpect.spawn:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path / "home"),
        "TERM": "xterm",
        "LANG": "C.UTF-8",
        "SHAREWISE_RECORDS_DIR": str(tmp_path / "records"),
        "SHAREWISE_DRAFTS_DIR": str(tmp_path / "drafts"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "PROMPT_TOOLKIT_NO_CPR": "1",
    }
    child = pexpect.spawn(
        _executable(), ["decide", *args], env=env, dimensions=(rows, columns), encoding="utf-8", timeout=WAIT
    )
    child.delaybeforesend = None  # every send follows an expect, so the prompt is already waiting
    return child


def answer(child: pexpect.spawn, question: str, *keys: str) -> None:
    """Wait for the panel of ``question`` (e.g. "Question 3") and its prompt, then press ``keys``."""
    child.expect_exact(question)
    child.expect_exact("Your answer")
    child.send("".join(keys))


def finish_urgent_share(child: pexpect.spawn, first: int) -> None:
    """From the 'share urgently' outcome of a request: who asked, then the eight record questions,
    review and sign-off."""
    child.expect_exact("Decision: Share")
    go_on(child)
    answer(child, f"Question {first}", "A Khan, Northshire Police, by phone at 10:40", ENTER)
    first += 1
    answer(child, f"Question {first}", "Told the duty social worker the children were alone.", FINISH)
    answer(child, f"Question {first + 1}", "The neighbour's name, to protect her.", FINISH)
    answer(child, f"Question {first + 2}", "Duty social worker, children's services", ENTER)
    answer(child, f"Question {first + 3}", "Two young children alone at home, unable to open the door.", FINISH)
    answer(child, f"Question {first + 4}", "To get the children looked after safely without delay.", FINISH)
    answer(child, f"Question {first + 5}", "vital interests", ENTER)
    answer(child, f"Question {first + 6}", "Not asked: the mother could not be reached in time.", FINISH)
    answer(child, f"Question {first + 7}", "Not told yet: to decide with the social worker.", FINISH)
    sign_off(child)


def go_on(child: pexpect.spawn) -> None:
    """Past 'what to do now' (shown in parts when it does not fit the window) to the record questions."""
    while child.expect_exact(["Show the rest of what to do now", "Go on to the questions for the record"]) == 0:
        child.send(ENTER)
    child.send(ENTER)


def sign_off(child: pexpect.spawn) -> None:
    """From the review: sign off and wait for the record to be written."""
    child.expect_exact("Review your answers")
    child.expect_exact("What would you like to do?")
    child.send(ENTER)
    for label, keys in (
        ("Your name", "Sam Patel\r"),
        ("Your role", "Family support\r"),
        ("organisation", ENTER),
        ("reference", ENTER),
    ):
        child.expect_exact(label)
        child.send(keys)
    child.expect_exact("accurate and complete")
    child.send(ENTER)
    child.expect_exact("Record written to")
    child.expect(pexpect.EOF)
    child.close()


def written(tmp_path: Path) -> list[dict[str, Any]]:
    folder = tmp_path / "records"
    return [json.loads(p.read_text(encoding="utf-8")) for p in folder.glob("*.json") if not p.name.startswith(".")]


@pytest.mark.timeout(60)
def test_a_full_session_from_the_tree_menu_to_a_record(tmp_path: Path) -> None:
    child = spawn(tmp_path)
    child.expect_exact("Which questions do you want to work through?")
    child.send(ENTER)  # the preselected 'When to share information'
    child.expect_exact("Case or request reference")
    child.send("REQ-7" + ENTER)
    answer(child, "Question 1", ENTER)  # I received a request
    answer(child, "Question 2", ENTER)  # about a child
    answer(child, "Question 3", ENTER)  # yes, someone may be in danger now
    answer(child, "Question 4", DOWN, ENTER)  # to the police or social care, on numbers I found myself
    answer(child, "Question 5", DOWN, ENTER)  # it reveals nobody's whereabouts (the cautious answer comes first)
    finish_urgent_share(child, 6)
    assert child.exitstatus == 0
    [record] = written(tmp_path)
    assert record["outcome"]["id"] == "share-urgently"
    assert record["outcome"]["actions"][0].startswith("If anyone is in immediate danger, call the police on 999")
    assert record["details"]["recipient"] == "Duty social worker, children's services"
    assert record["case_ref"] == "REQ-7"


@pytest.mark.timeout(60)
def test_going_back_and_changing_an_answer(tmp_path: Path) -> None:
    child = spawn(tmp_path, "when-to-share", "--case-ref", "REQ-8")
    answer(child, "Question 1", ENTER)
    answer(child, "Question 2", ENTER)
    answer(child, "Question 3", DOWN, ENTER)  # not an emergency
    answer(child, "Question 4", ENTER)  # the request is to protect them
    answer(child, "Question 5", CTRL_B)
    child.expect_exact("Back to question 4")
    answer(child, "Question 4", CTRL_B)
    child.expect_exact("Back to question 3")
    answer(child, "Question 3", UP, ENTER)  # on reflection, yes: someone may be in danger now
    child.expect_exact("You changed your answer to question 3")
    child.expect_exact("Dropped 1 answer")
    child.expect_exact("What has the person asking told you")
    answer(child, "Question 4", DOWN, ENTER)
    answer(child, "Question 5", DOWN, ENTER)
    finish_urgent_share(child, 6)
    assert child.exitstatus == 0
    [record] = written(tmp_path)
    assert [step["id"] for step in record["path"]][:5] == ["trigger", "about", "urgent", "urgent-who", "urgent-where"]


@pytest.mark.timeout(90)
def test_a_decision_continues_into_the_next_tree_and_goes_back_over_the_boundary(tmp_path: Path) -> None:
    child = spawn(tmp_path, "when-to-share", "--case-ref", "REQ-10")
    answer(child, "Question 1", ENTER)  # a request
    answer(child, "Question 2", ENTER)  # about a child
    answer(child, "Question 3", DOWN, ENTER)  # not an emergency
    answer(child, "Question 4", ENTER)  # to protect the child
    answer(child, "Question 5", DOWN, ENTER)  # recipient confirmed (the cautious answer comes first)
    answer(child, "Question 6", DOWN, ENTER)  # nothing could reveal where anyone is
    for number in range(7, 11):  # identifies (confidential), consent (agreed), basis (public task), special (no)
        answer(child, f"Question {number}", ENTER)
    child.expect_exact("The decision moves on")
    child.expect_exact("So far: Share. You may share; now decide how much and how")
    child.expect_exact("they are not asked again")
    child.expect_exact("question 8: Asked, and they agreed")
    answer(child, "Question 11", CTRL_B)  # back over the boundary, to the last question of the first tree
    child.expect_exact("Back to question 10")
    answer(child, "Question 10", CTRL_B)
    answer(child, "Question 9", CTRL_B)
    answer(child, "Question 8", DOWN, ENTER)  # consent: asked, and they refused
    child.expect_exact("You changed your answer to question 8")
    answer(child, "Question 9", ENTER)  # public task, kept
    child.expect_exact("outweigh the duty of confidence")
    child.send(ENTER)  # the new question 10: protection outweighs confidentiality
    answer(child, "Question 11", ENTER)  # no special category details, kept
    child.expect_exact("question 8: Asked, and they refused")
    answer(child, "Question 12", ENTER)  # all of it is needed
    answer(child, "Question 13", ENTER)  # a secure route
    answer(child, "Question 14", ENTER)  # the child and their carers will be told
    child.expect_exact("Decision: Share")
    go_on(child)
    answer(child, "Question 15", "J Patel, family support worker, by email", ENTER)
    answer(child, "Question 16", "Any injuries seen this term; email of 1 December.", FINISH)
    answer(child, "Question 17", "Dates of two missed appointments and the injury seen.", FINISH)
    answer(child, "Question 18", "J Patel, family support worker", ENTER)
    answer(child, "Question 19", "Called back through the centre's switchboard.", FINISH)
    answer(child, "Question 20", "So the support worker can plan a safe visit today.", FINISH)
    answer(child, "Question 21", "Not known; the child is two.", FINISH)
    answer(child, "Question 22", "The worker needs this to plan today's visit safely.", FINISH)
    sign_off(child)
    assert child.exitstatus == 0
    [record] = written(tmp_path)
    by_id = {step["id"]: step for step in record["path"]}
    assert by_id["consent"]["value"] == "refused" and "carried_from" not in by_id["consent"]
    assert by_id["hm-consent"]["value"] == "refused"
    assert by_id["hm-consent"]["carried_from"] == {"tree": "when-to-share", "id": "consent"}
    assert [c["id"] for c in record["conclusions"]] == ["may-share", "share-full"]
    assert record["details"]["consent"] == "Asked, and they refused"


@pytest.mark.timeout(60)
def test_ctrl_c_keeps_a_draft_and_resume_finishes_it(tmp_path: Path) -> None:
    child = spawn(tmp_path, "when-to-share", "--case-ref", "REQ-8")
    answer(child, "Question 1", ENTER)
    answer(child, "Question 2", CTRL_C)
    child.expect_exact("kept as a draft")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 3
    assert written(tmp_path) == []
    assert len(list((tmp_path / "drafts").glob("*.json"))) == 1

    child = spawn(tmp_path, "--resume")
    child.expect_exact("Which draft do you want to carry on with?")
    child.send(ENTER)
    child.expect_exact("1 answer restored")
    answer(child, "Question 2", ENTER)
    answer(child, "Question 3", ENTER)
    answer(child, "Question 4", DOWN, ENTER)
    answer(child, "Question 5", DOWN, ENTER)
    finish_urgent_share(child, 6)
    assert child.exitstatus == 0
    assert len(written(tmp_path)) == 1
    assert list((tmp_path / "drafts").glob("*.json")) == []


@pytest.mark.timeout(30)
def test_closing_the_terminal_keeps_the_draft(tmp_path: Path) -> None:
    child = spawn(tmp_path, "when-to-share", "--case-ref", "REQ-8")
    answer(child, "Question 1", ENTER)
    child.expect_exact("Question 2")
    child.expect_exact("Your answer")
    child.close(force=True)  # hang up, as closing the window does
    assert written(tmp_path) == []
    [draft] = [json.loads(p.read_text(encoding="utf-8")) for p in (tmp_path / "drafts").glob("*.json")]
    assert draft["answers"] == {"trigger": "request"}


# -- an ordinary laptop terminal: 80 columns by 24 rows, read as the screen shows it ------------


class Terminal:
    """The child's output fed through a terminal emulator, so a test can read the visible screen."""

    def __init__(self, child: pexpect.spawn, rows: int, columns: int) -> None:
        pyte = pytest.importorskip("pyte")  # only these tests need it; the others run without
        self.child = child
        self.screen = pyte.Screen(columns, rows)
        self.stream = pyte.Stream(self.screen)

    @property
    def rows(self) -> list[str]:
        return [line.rstrip() for line in self.screen.display]

    def shows(self, *texts: str) -> bool:
        flat = " ".join(" ".join(row.strip("│ ").split()) for row in self.rows)
        return all(" ".join(t.split()) in flat for t in texts)

    def wait(self, *texts: str, timeout: float = WAIT) -> None:
        """Read output until every one of ``texts`` is on the screen at once (rows joined)."""
        deadline = time.monotonic() + timeout
        while not self.shows(*texts):
            if time.monotonic() > deadline:
                raise AssertionError(f"not all of {texts} on screen:\n" + "\n".join(self.rows))
            try:
                self.stream.feed(self.child.read_nonblocking(65536, timeout=0.2))
            except pexpect.TIMEOUT:
                continue

    def send(self, keys: str) -> None:
        self.child.send(keys)


def laptop(tmp_path: Path, *args: str) -> Terminal:
    return Terminal(spawn(tmp_path, *args, rows=24, columns=80), 24, 80)


@pytest.mark.timeout(60)
def test_at_80x24_every_question_stays_in_view_with_its_options(tmp_path: Path) -> None:
    term = laptop(tmp_path, "when-to-share", "--case-ref", "REQ-9")
    term.wait("Question 1 of at most", "Has someone asked you", "I noticed something I think should be passed on")
    term.send(ENTER)
    term.wait("Question 2 of at most", "Whose safety or welfare is this about?", "An adult (18 or over)")
    term.send(ENTER)
    urgent = "Is someone at risk of serious harm right now"
    term.wait("Question 3 of at most", urgent, "Not sure", "Back to the previous question")
    term.send(DOWN + ENTER)  # not an emergency
    term.wait("Question 4 of at most", "What has the person asking told you", "Back to the previous question")
    term.send(ENTER)  # to protect the child
    term.wait("Question 5 of at most", "safeguarding or support role", "Back to the previous question")
    term.send(DOWN + ENTER)  # confirmed
    where = "reveal where someone at risk lives"
    term.wait("Question 6 of at most", where, "Back to the previous question", "? for the full help")
    term.send("?")  # the help was shortened to fit; ? shows the rest, then the question again
    term.wait("Help for question 6", "a solicitor")
    term.wait(where, "Back to the previous question")
    term.send(DOWN + ENTER)  # no
    term.wait("Question 7 of at most", "identify a living person", "Back to the previous question")
    term.send(ENTER)  # confidential
    term.wait("Question 8 of at most", "Did you ask the person", "Back to the previous question")
    # The longest option label wraps instead of being cut at the edge.
    assert term.shows("Not asked, because consent is not the right basis (I would share even if they refused)")
    term.send(ENTER)
    term.wait("Question 9 of at most", "Which lawful basis will you rely on to share?", "Recognised legitimate")
    assert term.shows("None of these applies", "Not sure", "Back to the previous question")
    term.child.close(force=True)


@pytest.mark.timeout(60)
def test_at_80x24_an_emergency_shows_what_to_do_now_before_the_record_questions(tmp_path: Path) -> None:
    term = laptop(tmp_path, "when-to-share", "--case-ref", "REQ-9")
    term.wait("Has someone asked you", "I received a request")
    term.send(DOWN + ENTER)  # something I noticed
    term.wait("Whose safety or welfare", "A child or young person")
    term.send(ENTER)
    term.wait("Is someone at risk of serious harm", "Yes, someone may be in danger now")
    term.send(ENTER)
    term.wait("Who will you pass the information to?", "on numbers I found myself")
    term.send(DOWN + ENTER)
    term.wait("Could what you pass on", "Not sure")
    term.send(DOWN + ENTER)
    term.wait(
        "Decision: Share",
        "What to do now (1 of",
        "call the police on 999 now",
        "Contact children's social care straight away",
        "Tell your designated safeguarding lead",
        "Press Enter when you have",
    )
    assert not term.shows("For the record")
    parts = int(re.search(r"What to do now \(1 of (\d+)\)", " ".join(term.rows)).group(1))  # type: ignore[union-attr]
    for part in range(2, parts + 1):  # the rest, one part at a time
        term.send(ENTER)
        term.wait(f"What to do now ({part} of {parts})")
    term.wait("Go on to the questions for the record")
    term.send(ENTER)
    term.wait("Question 6 of 13 · For the record", "What did you share", "Esc then Enter to finish")
    term.child.close(force=True)
