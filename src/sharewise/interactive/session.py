"""The interactive decision: questions, going back, review, amendments, sign-off and drafts.

The session holds the practitioner's answers and nothing else; where they lead is always asked of
:meth:`sharewise.engine.walk.Engine.walk`, so routing lives in one place. It asks through a
:class:`~sharewise.interactive.prompter.Prompter` and shows through a
:class:`~sharewise.interactive.screen.Screen`, so it runs without a terminal in tests.

How answers survive a change (the rule shown on screen and in docs/interactive.md):

* ``held`` is every answer on the current path; the engine's walk of ``held`` is the path.
* Going back moves a cursor one question back along that path; each answer is offered again as
  the default, and answering moves the cursor forward.
* When an answer changes, the engine walks the new answers. Answers still on the new path are kept
  (and offered as defaults as the practitioner moves forward); the rest are dropped from the
  decision, and the screen lists both. Dropped answers are remembered for this sitting only, so if
  new answers lead back to one of those questions the earlier answer is filled in again.
* After every accepted answer the held answers are saved as a draft, so stopping at any moment
  (Ctrl-C, a closed terminal, a crash) never loses more than the answer being typed and never
  writes a record.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from sharewise.engine.walk import AnswerValue, Engine, Step, Walk, check_answer
from sharewise.errors import WriteFailed
from sharewise.frontends.drafts import Draft, DraftStore, new_draft_id
from sharewise.interactive.progress import Progress
from sharewise.interactive.prompter import BACK, Back, Choice, MoreHelpWanted, Prompter, SessionStopped
from sharewise.interactive.screen import ChangedAnswer, Position, Screen, shorten
from sharewise.model import Option, Question, Tree
from sharewise.records.build import SignOff, build_record

__all__ = ["ANSWER_PROMPT", "Session", "SessionResult"]

ANSWER_PROMPT = "Your answer"
READ_PROMPT = "Press Enter when you have read this"
CASE_REF_PROMPT = "Case or request reference (optional)"
BACK_TO_PREVIOUS = "Back to the previous question"
BACK_TO_REVIEW = "Back to the review"


class _Paused(SessionStopped):
    """Raised when the practitioner chooses, at the review, to stop and keep a draft."""


@dataclass
class SessionResult:
    """How a session ended: ``written`` (with the record and its path), ``stopped`` or ``failed``."""

    status: Literal["written", "stopped", "failed"]
    record: dict[str, Any] | None = None
    path: Path | None = None
    draft: Draft | None = None
    error: str | None = None


@dataclass(frozen=True)
class _SignField:
    key: str
    label: str
    required: bool


_SIGN_FIELDS = (
    _SignField("name", "Your name", True),
    _SignField("role", "Your role", True),
    _SignField("organisation", "Your organisation (optional)", False),
    _SignField("case_ref", CASE_REF_PROMPT, False),
)


class Session:
    """One practitioner taking one case through a tree to a written record (or a draft)."""

    def __init__(
        self,
        engine: Engine,
        prompter: Prompter,
        screen: Screen,
        *,
        write: Callable[[dict[str, Any]], Path],
        now: Callable[[], datetime],
        drafts: DraftStore | None = None,
        draft: Draft | None = None,
        sign_off: SignOff | None = None,
        case_ref: str | None = None,
        new_id: Callable[[], str] = lambda: str(uuid.uuid4()),
    ) -> None:
        self.engine = engine
        self.prompter = prompter
        self.screen = screen
        self._write = write
        self._now = now
        self._drafts = drafts
        self.draft = draft
        self.sign_off = sign_off or SignOff()
        self.case_ref = case_ref or (draft.case_ref if draft else None)
        self._new_id = new_id
        self.held: dict[str, AnswerValue] = {}
        self.set_aside: dict[str, AnswerValue] = {}
        self.cursor: int | None = None
        self._announced: str | None = None
        self._draft_warning_shown = False
        self._progress = Progress(engine.tree)

    # -- the whole session -------------------------------------------------------------------

    def run(self) -> SessionResult:
        """Ask until the record is written or the practitioner stops; never raises for a stop."""
        try:
            if self.draft is not None:
                self._restore(self.draft)
            elif self.case_ref is None:
                self._ask_case_ref()
            while True:
                walk = self._ask_until_decided()
                action = self._review(walk)
                if action == "sign":
                    sign_off = self._sign_off()
                    if sign_off is not None:
                        return self._finish(walk, sign_off)
                elif action == "stop":
                    raise _Paused
        except SessionStopped:
            saved = self._save_draft(quiet=True)
            with contextlib.suppress(OSError):  # the terminal may already be gone
                self.screen.stopped(len(self.held), saved)
            return SessionResult("stopped", draft=self.draft if saved else None)

    def _ask_case_ref(self) -> None:
        """An optional reference first, so this decision's draft can be told apart from others."""
        self.screen.case_ref_intro()
        answer = self.prompter.text(CASE_REF_PROMPT)
        self.case_ref = " ".join(str(answer).split()) or None

    # -- questions ---------------------------------------------------------------------------

    def _ask_until_decided(self) -> Walk:
        while True:
            walk = self.engine.walk(self.held)
            asked = walk.asked  # answers carried from an earlier tree, or set by settings, are never asked
            if self.cursor is not None and self.cursor >= len(asked):
                self.cursor = None
            if self.cursor is None:
                self._announce_outcome(walk)
                if walk.pending is None:
                    return walk
                tree, question = walk.pending
                if asked and asked[-1].tree != tree:
                    self._announce_tree(walk, tree)
                index = len(asked)
                default = self.set_aside.get(question.id)
            else:
                index = self.cursor
                step = asked[index]
                tree, question, default = step.tree, step.question, step.value
            back = BACK_TO_PREVIOUS if index > 0 else None
            answer = self._ask(tree, question, number=index + 1, default=default, back=back, walk=walk)
            if answer is BACK:
                self.cursor = max(index - 1, 0)
                self.screen.went_back(self.cursor + 1)
                continue
            changed = self._accept(question, answer, index)
            if self.cursor is not None:
                self.cursor += 1
            if changed is not None:
                self.screen.answer_changed(changed)

    def _ask(
        self,
        tree: Tree,
        question: Question,
        *,
        number: int,
        default: AnswerValue | None,
        back: str | None,
        walk: Walk,
    ) -> AnswerValue | Back:
        for_record = walk.outcome is not None and question.id in walk.record_questions()
        position = self._position(number, tree, question, walk)
        show = True
        while True:
            if show:
                folded = self.screen.question(
                    position,
                    tree,
                    question,
                    previous=default not in (None, "", []),
                    for_record=for_record,
                    back=back is not None,
                )
            show = False
            try:
                raw = self._prompt(question, default, back, more_help=folded, offered=walk.offered(tree, question))
            except MoreHelpWanted:
                self.screen.full_help(number, question)
                show = True  # then the question again, with its options, in view
                continue
            if raw is BACK:
                return BACK
            checked = check_answer(question, raw)
            if isinstance(checked, str):  # a prompter that does not validate in place
                self.screen.problem(checked)
                default = raw
                continue
            return checked[0]

    def _prompt(
        self,
        question: Question,
        default: AnswerValue | None,
        back: str | None,
        *,
        more_help: bool,
        offered: tuple[Option, ...] = (),
    ) -> str | list[str] | Back:
        """Ask ``question``, offering only the options whose ``if`` holds on this path (``offered``)."""
        if question.kind == "choice":
            choices = [Choice(o.label, o.value, o.help) for o in offered]
            return self.prompter.select(
                ANSWER_PROMPT,
                choices,
                default=default if isinstance(default, str) else None,
                back=back,
                more_help=more_help,
            )
        if question.kind == "multi":
            choices = [Choice(o.label, o.value, o.help) for o in offered]
            return self.prompter.checkbox(
                ANSWER_PROMPT,
                choices,
                defaults=default if isinstance(default, list) else [],
                back=back,
                validate=lambda values: _problem(question, values),
                more_help=more_help,
            )
        return self.prompter.text(
            ANSWER_PROMPT,
            default=default if isinstance(default, str) else "",
            multiline=question.multiline,
            back=back,
            validate=lambda text: _problem(question, text),
            more_help=more_help,
        )

    def _position(self, number: int, tree: Tree, question: Question, walk: Walk) -> Position:
        """Question ``number`` of how many: exact once the outcome is known, else the longest route."""
        if walk.outcome is not None and question.is_record_question:
            answered = walk.answers
            left = [qid for qid in walk.record_questions() if qid not in answered]
            return Position(number, len(walk.asked) + len(left), exact=True)
        continued = tree is not self.engine.start and any(t is tree for t in walk.trees[1:])
        return Position(number, self._progress.total(number, tree, question, continued=continued))

    def _accept(
        self, question: Question, value: AnswerValue, index: int, *, revisiting: bool = True
    ) -> ChangedAnswer | None:
        """Take ``value`` for ``question``; when it changes an earlier answer, say what that did."""
        old = self.held.get(question.id)
        if old == value:
            return None
        before = dict(self.held)
        after = self.engine.walk({**before, question.id: value})
        self.held = dict(after.answers)
        dropped = [qid for qid in before if qid not in self.held]
        for qid in dropped:
            self.set_aside[qid] = before[qid]
        self.set_aside.pop(question.id, None)
        self._save_draft()
        if old is None:
            return None
        kept = [
            (number, step.question)
            for number, step in enumerate(after.asked, start=1)
            if number > index + 1 and step.question.id in before
        ]
        dropped_questions = [found[1] for qid in dropped if (found := self.engine.find_question(qid)) is not None]
        return ChangedAnswer(index + 1, question, kept, dropped_questions, revisiting)

    def _announce_tree(self, walk: Walk, tree: Tree) -> None:
        """The decision moves on into ``tree``: show the conclusion so far and the answers it reuses."""
        conclusion = next((c for c in reversed(walk.conclusions) if c[0] is not tree), None)
        reused = [step for step in walk.path if step.tree is tree and not step.was_asked]
        numbers = {id(step): number for number, step in enumerate(walk.asked, start=1)}
        carried = [(step, numbers.get(id(_root(step)))) for step in reused]
        self.screen.entering(tree, conclusion=conclusion, carried=carried)

    def _announce_outcome(self, walk: Walk) -> None:
        """As soon as the answers reach an outcome: the decision and what to do now, once per outcome."""
        if walk.outcome is None:
            return
        tree, outcome = walk.outcome
        if self._announced == outcome.id:
            return
        self._announced = outcome.id
        remaining = [qid for qid in walk.record_questions() if qid not in self.held]
        self.screen.outcome_reached(tree, outcome, len(remaining), walk.actions(), pause=self._pause)

    def _pause(self, label: str) -> None:
        """Wait for the practitioner to read what is on screen before anything pushes it away."""
        self.prompter.select(READ_PROMPT, [Choice(label, "go")], default="go")

    # -- review and amendments --------------------------------------------------------------

    def _review(self, walk: Walk) -> str:
        self.screen.review(walk)
        action = self.prompter.select(
            "What would you like to do?",
            [
                Choice("Sign off and write the record", "sign"),
                Choice("Change an answer", "change"),
                Choice("Stop for now and keep a draft", "stop", "Nothing is written; you can resume it later."),
            ],
            default="sign",
        )
        if action == "change":
            self._change_answer(walk)
        return str(action)

    def _change_answer(self, walk: Walk) -> None:
        # One line each where the window allows: the question cut to what is left beside the answer.
        room = max(min(self.screen.console.width, 100) - 44, 24)
        choices = [
            Choice(f"{n}. {shorten(step.question.ask, room)}  [{shorten(step.label or '(blank)', 30)}]", str(n - 1))
            for n, step in enumerate(walk.asked, start=1)
        ]
        picked = self.prompter.select("Which answer do you want to change?", choices, back=BACK_TO_REVIEW)
        if picked is BACK:
            return
        index = int(picked)
        step = walk.asked[index]
        answer = self._ask(
            step.tree, step.question, number=index + 1, default=step.value, back=BACK_TO_REVIEW, walk=walk
        )
        if answer is BACK:
            return
        changed = self._accept(step.question, answer, index, revisiting=False)
        if changed is not None:
            self.screen.answer_changed(changed)
        self.cursor = None  # carry on from the first question the change left unanswered, if any

    # -- sign-off and the record ------------------------------------------------------------

    def _sign_off(self) -> tuple[SignOff, str | None] | None:
        """Ask for (and show) the sign-off details; None means go back to the review."""
        self.screen.sign_off_intro()
        values: dict[str, str | None] = {
            "name": self.sign_off.name,
            "role": self.sign_off.role,
            "organisation": self.sign_off.organisation,
            "case_ref": self.case_ref,
        }
        index = 0
        while index < len(_SIGN_FIELDS):
            field = _SIGN_FIELDS[index]
            answer = self.prompter.text(
                field.label,
                default=values[field.key] or "",
                back=BACK_TO_REVIEW if index == 0 else BACK_TO_PREVIOUS,
                validate=_required if field.required else None,
            )
            if answer is BACK:
                if index == 0:
                    return None
                index -= 1
                continue
            if field.required and _required(answer) is not None:
                self.screen.problem(str(_required(answer)))
                continue
            values[field.key] = " ".join(answer.split()) or None
            index += 1
        self.sign_off = SignOff(values["name"], values["role"], values["organisation"])
        self.case_ref = values["case_ref"]
        confirm = self.prompter.select(
            "Is this record accurate and complete, to the best of your knowledge?",
            [
                Choice("Yes: sign it off and write the record", "confirm"),
                Choice("No, go back to the review", "review"),
            ],
        )
        if confirm != "confirm":
            return None
        return self.sign_off, self.case_ref

    def _finish(self, walk: Walk, signed: tuple[SignOff, str | None]) -> SessionResult:
        sign_off, case_ref = signed
        record = build_record(walk, sign_off=sign_off, record_id=self._new_id(), now=self._now(), case_ref=case_ref)
        try:
            path = self._write(record)
        except WriteFailed as exc:
            saved = self._save_draft(quiet=True)
            self.screen.problem(str(exc))
            self.screen.stopped(len(self.held), saved)
            return SessionResult("failed", draft=self.draft if saved else None, error=str(exc))
        if self.draft is not None and self._drafts is not None:
            self._drafts.delete(self.draft.id)
        self.screen.summary(record, path)
        return SessionResult("written", record=record, path=path)

    # -- drafts ------------------------------------------------------------------------------

    def _restore(self, draft: Draft) -> None:
        answers: dict[str, AnswerValue] = dict(draft.answers)
        refused: list[str] = []
        walk = self.engine.walk(answers)
        while walk.errors:
            for error in walk.errors:
                if error.id in answers:
                    refused.append(error.id)
                    del answers[error.id]
            walk = self.engine.walk(answers)
        self.held = dict(walk.answers)
        self.set_aside = {qid: value for qid, value in answers.items() if qid not in self.held}
        count = len(self.held)
        self.screen.notice(
            f"carrying on from the draft saved {draft.updated_at.replace('T', ' at ')[:22]}: "
            f"{count} answer{'s' if count != 1 else ''} restored.",
            title="Resumed",
        )
        if draft.tree_sha256 and draft.tree_sha256 != self.engine.start.sha256:
            self.screen.notice(
                f"the '{self.engine.start.title}' questions have changed since this draft was saved. "
                "Check your answers carefully at the review.",
                title="Questions changed",
            )
        if refused:
            self.screen.notice(
                f"{len(refused)} saved answer{'s' if len(refused) != 1 else ''} no longer fit the questions "
                "and will be asked again.",
                title="Questions changed",
            )

    def _save_draft(self, *, quiet: bool = False) -> bool:
        """Save the held answers as the draft; True when a draft with them exists on disk."""
        if self._drafts is None or (not self.held and self.draft is None):
            return False
        now = self._now()
        if self.draft is None:
            start = self.engine.start
            stamp = now.isoformat(timespec="seconds")
            self.draft = Draft(new_draft_id(now), start.id, start.title, start.version, start.sha256, stamp, stamp)
        self.draft = self.draft.updated(self.held, now, self.case_ref)
        try:
            self._drafts.save(self.draft)
        except WriteFailed as exc:
            if not (quiet or self._draft_warning_shown):
                self._draft_warning_shown = True
                self.screen.notice(f"{exc}. Your answers are not being kept if you stop now.", title="Draft not saved")
            return False
        return True


def _root(step: Step) -> Step:
    """The asked answer a carried one comes from (following carries of carries)."""
    while step.carried_from is not None:
        step = step.carried_from
    return step


def _problem(question: Question, raw: object) -> str | None:
    if question.kind == "multi" and not raw and not question.optional:
        # The engine's message names the values a script would pass; at the desk, say what to do.
        return "tick at least one option with Space, then press Enter"
    checked = check_answer(question, raw)
    return checked if isinstance(checked, str) else None


def _required(text: str) -> str | None:
    return None if text.strip() else "this is needed for the record"
