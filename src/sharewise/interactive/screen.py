"""Everything the interactive session shows (as opposed to asks), drawn with rich.

In plain mode (``--plain`` or ``NO_COLOR``) there is no colour and no box drawing: each block is a
heading line followed by its text, which reads well through a screen reader and in a log. Free-text
answers are shown back only to the practitioner at the desk, never in error messages.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich import box
from rich.console import Console, Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from sharewise.engine import Step, Walk
from sharewise.model import Outcome, Question, Tree

__all__ = ["DECISION_WORDS", "ChangedAnswer", "Screen", "number_ranges", "shorten"]

DECISION_WORDS = {"share": "Share", "do-not-share": "Do not share", "seek-advice": "Seek advice"}
_DECISION_STYLE = {"share": "green", "do-not-share": "red", "seek-advice": "yellow"}
MAX_WIDTH = 100


def shorten(text: str, limit: int = 70) -> str:
    """``text`` on one line, cut at a word boundary to at most ``limit`` characters."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat[: limit - 1].rsplit(" ", 1)[0]
    return cut.rstrip(",;:.") + "…"


def number_ranges(numbers: Sequence[int]) -> str:
    """``[2, 4, 5, 6]`` as ``2, 4 to 6``: short enough to read out."""
    parts: list[str] = []
    run: list[int] = []
    for number in [*sorted(numbers), None]:
        if run and (number is None or number != run[-1] + 1):
            parts.append(f"{run[0]} to {run[-1]}" if len(run) > 2 else ", ".join(map(str, run)))
            run = []
        if number is not None:
            run.append(number)
    return ", ".join(parts)


@dataclass(frozen=True)
class ChangedAnswer:
    """What changing an answer did: which later answers stay and which were dropped."""

    number: int
    question: Question
    kept: Sequence[tuple[int, Question]]
    dropped: Sequence[Question]
    revisiting: bool = True


def _numbered(walk: Walk) -> list[tuple[int | None, Step]]:
    """Every step of the path, asked ones numbered as they were asked; carried ones unnumbered."""
    out: list[tuple[int | None, Step]] = []
    number = 0
    for step in walk.path:
        if step.was_asked:
            number += 1
            out.append((number, step))
        else:
            out.append((None, step))
    return out


def _answer_text(step: Step) -> str:
    label = step.label or "(left blank)"
    if step.carried_from is not None:
        return f"{label} (same answer as in {step.carried_from.tree.title})"
    if step.preset:
        return f"{label} (from your organisation's settings)"
    return label


class Screen:
    """Draws the session's panels, notices and tables on ``console``."""

    def __init__(self, console: Console, *, plain: bool = False) -> None:
        self.console = console
        self.plain = plain

    # -- building blocks ---------------------------------------------------------------------

    def _width(self) -> int:
        return min(self.console.width, MAX_WIDTH)

    def _block(self, title: str, body: Sequence[RenderableType], *, style: str = "", subtitle: str = "") -> None:
        if self.plain:
            self.console.print()
            heading = f"{title} ({subtitle})" if subtitle else title
            self.console.print(Text(heading, style="bold"))
            self.console.print(Text("-" * min(len(heading), self._width())))
            for part in body:
                self.console.print(part, width=self._width())
            self.console.print()
            return
        self.console.print()
        self.console.print(
            Panel(
                Group(*body),
                title=Text(title, style="bold"),
                title_align="left",
                subtitle=Text(subtitle, style="dim") if subtitle else None,
                subtitle_align="right",
                border_style=style or "blue",
                box=box.ROUNDED,
                width=self._width(),
                padding=(0, 1),
            )
        )

    def notice(self, text: str, *, title: str = "Note") -> None:
        """A calm notice: something to know, not a reason to stop."""
        if self.plain:
            self.console.print(Text(f"{title}: {text}"))
            return
        line = Text()
        line.append(f"{title}: ", style="bold yellow")
        line.append(text)
        self.console.print(line, width=self._width())

    def problem(self, text: str) -> None:
        self.console.print(Text(f"Not accepted: {text}", style="" if self.plain else "bold red"), width=self._width())

    def entering(
        self,
        tree: Tree,
        *,
        conclusion: tuple[Tree, Outcome] | None = None,
        carried: Sequence[tuple[Step, int | None]] = (),
    ) -> None:
        """The decision continues into another tree: say where it stands and which earlier answers
        the next questions use, so nothing has to be answered twice."""
        if conclusion is None and not carried:
            self.console.print()
            self.say(f"Next: {tree.title}. {tree.description}", style="bold")
            return
        body: list[RenderableType] = []
        if conclusion is not None:
            _, outcome = conclusion
            body += [Text(f"So far: {DECISION_WORDS[outcome.decision]}. {outcome.title}", style="bold")]
            body += [Text(outcome.summary), Text("")]
        body.append(Text(f"Next: {tree.title}. {tree.description}"))
        if carried:
            body += [Text(""), Text("These questions use your earlier answers; they are not asked again:")]
            for step, number in carried:
                where = f"  question {number}: " if number else "  settings: "
                room = max(self._width() - 4 - len(where), 20)  # one line each, inside the panel's border
                body.append(Text(where + shorten(step.label, room)))
            body.append(
                Text("To change one, go back to that question; both parts of the decision follow.", style="dim")
            )
        style = _DECISION_STYLE[conclusion[1].decision] if conclusion is not None else "blue"
        self._block("The decision moves on", body, style=style, subtitle=tree.title)

    def went_back(self, number: int) -> None:
        self.say(f"Back to question {number}.", style="dim")

    def say(self, text: str, style: str = "") -> None:
        self.console.print(Text(text, style="" if self.plain else style), width=self._width())

    # -- the session --------------------------------------------------------------------------

    def welcome(self, tree: Tree, back_key: str) -> None:
        self._block(
            tree.title,
            [
                Text(tree.description),
                Text(""),
                Text(
                    "Answer each question in turn. Use the arrow keys and Enter to choose. "
                    f"To go back, choose Back or press {back_key}. Press Ctrl-C at any time to stop: "
                    "your answers are kept as a draft, and 'sharewise decide --resume' carries on."
                ),
            ],
            subtitle=f"version {tree.version}",
        )

    def overdue(self, tree: Tree) -> None:
        self.notice(
            f"the '{tree.title}' questions were due for review on {tree.next_review.isoformat()} "
            f"(owner: {tree.owner}). They may not reflect the latest guidance; you can still use them, "
            "and you may want to tell the owner.",
            title="Review overdue",
        )

    def question(self, number: int, tree: Tree, question: Question, *, previous: bool, for_record: bool) -> None:
        section = question.section or ("For the record" if for_record else "")
        title = f"Question {number}" + (f" · {section}" if section and not self.plain else "")
        if self.plain and section:
            title = f"Question {number}: {section}"
        body: list[RenderableType] = [Text(question.ask, style="bold")]
        for paragraph in question.help.strip().splitlines():
            if paragraph.strip():
                body += [Text(""), Text(paragraph.strip())]
        body += [Text(""), Text(f"Source: {question.source}", style="dim")]
        if question.kind == "text" and question.min_length and not question.optional:
            body.append(Text(f"Write at least {question.min_length} characters.", style="dim"))
        if question.optional:
            body.append(Text("You may leave this blank.", style="dim"))
        if previous:
            body.append(Text("Your earlier answer is filled in; press Enter to keep it.", style="italic"))
        self._block(title, body, subtitle=tree.title)

    def answer_changed(self, change: ChangedAnswer) -> None:
        lines: list[RenderableType] = [Text(f"You changed your answer to question {change.number}.")]
        if change.kept:
            numbers = number_ranges([n for n, _ in change.kept])
            lines.append(
                Text(
                    f"Kept {len(change.kept)} later answer{'s' if len(change.kept) != 1 else ''} still on your path "
                    f"(question{'s' if len(change.kept) != 1 else ''} {numbers})"
                    + ("; each is filled in for you to check as you go on." if change.revisiting else ".")
                )
            )
        if change.dropped:
            count = len(change.dropped)
            lines.append(
                Text(
                    f"Dropped {count} answer{'s' if count != 1 else ''}, to "
                    f"{'questions' if count != 1 else 'a question'} no longer on your path:"
                )
            )
            lines.extend(Text(f"  - {shorten(q.ask)}") for q in change.dropped)
            lines.append(
                Text(
                    "If your new answers lead back to one of these, your earlier answer is filled in again.",
                    style="dim",
                )
            )
        if not change.kept and not change.dropped:
            lines.append(Text("No other answers were affected."))
        self._block("Answer changed", lines, style="yellow")

    def outcome_reached(self, tree: Tree, outcome: Outcome, record_questions: int) -> None:
        more = (
            f"{record_questions} more question{'s' if record_questions != 1 else ''} "
            "for the record, then a review before you sign off."
        )
        self._block(
            f"Decision: {DECISION_WORDS[outcome.decision]}",
            [Text(outcome.title, style="bold"), Text(outcome.summary), Text(""), Text(more)],
            style=_DECISION_STYLE[outcome.decision],
            subtitle=tree.title,
        )

    def review(self, walk: Walk) -> None:
        table = Table(box=box.SIMPLE_HEAD, show_edge=False, expand=True, pad_edge=False)
        table.add_column("No.", justify="right", no_wrap=True)
        table.add_column("Question", ratio=3)
        table.add_column("Your answer", ratio=2)
        for number, step in _numbered(walk):
            table.add_row(str(number or ""), step.question.ask, _answer_text(step))
        body: list[RenderableType] = [table]
        for tree, reached in walk.conclusions:
            body += [Text(""), Text(f"{tree.title}: {DECISION_WORDS[reached.decision]}. {reached.title}")]
        if walk.outcome is not None:
            _tree, outcome = walk.outcome
            body += [
                Text(""),
                Text(f"Decision: {DECISION_WORDS[outcome.decision]}. {outcome.title}", style="bold"),
                Text(outcome.summary),
            ]
        if self.plain:
            self.console.print()
            self.console.print(Text("Review your answers", style="bold"))
            self.console.print(Text("-------------------"))
            for number, step in _numbered(walk):
                self.console.print(Text(f"{str(number) + '.' if number else '-'} {step.question.ask}"))
                self.console.print(Text(f"   Answer: {_answer_text(step)}"))
            for part in body[1:]:
                self.console.print(part)
            self.console.print()
            return
        self._block("Review your answers", body, style="cyan")

    def sign_off_intro(self) -> None:
        self._block(
            "Sign-off",
            [
                Text(
                    "The record names who took this decision. Check each detail: press Enter to keep "
                    "what is filled in, or type over it."
                )
            ],
        )

    def summary(self, record: dict[str, Any], path: Path) -> None:
        outcome = record["outcome"]
        body: list[RenderableType] = [Text(outcome["title"], style="bold"), Text(outcome["summary"])]
        if outcome["actions"]:
            checklist = Table.grid(padding=(0, 1))
            checklist.add_column(no_wrap=True)
            checklist.add_column()
            for action in outcome["actions"]:
                checklist.add_row("[ ]", Text(action))
            body += [Text(""), Text("What to do next:", style="bold"), checklist]
        sign = record["sign_off"]
        signer = ", ".join(v for v in (sign["name"], sign["role"], sign.get("organisation")) if v)
        body += [Text(""), Text(f"Signed off by {signer}."), Text(f"Record written to {path}")]
        self._block(
            f"Decision: {DECISION_WORDS[outcome['decision']]}",
            body,
            style=_DECISION_STYLE[outcome["decision"]],
            subtitle=f"record {str(record['id'])[:8]}",
        )

    def stopped(self, answered: int, draft_saved: bool) -> None:
        if draft_saved:
            text = (
                f"Stopped. No record was written. Your {answered} answer{'s are' if answered != 1 else ' is'} "
                "kept as a draft; to carry on, run: sharewise decide --resume"
            )
        else:
            text = "Stopped. No record was written, and there were no answers to keep."
        self.console.print()
        self.say(text, style="bold")
