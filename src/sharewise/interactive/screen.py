"""Everything the interactive session shows (as opposed to asks), drawn with rich.

In plain mode (``--plain`` or ``NO_COLOR``) there is no colour and no box drawing: each block is a
heading line followed by its text, which reads well through a screen reader and in a log. Free-text
answers are shown back only to the practitioner at the desk, never in error messages.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich import box
from rich.console import Console, Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from sharewise.decisions import TABLE
from sharewise.engine.walk import Step, Walk
from sharewise.interactive.layout import help_key, hint, prompt_rows
from sharewise.interactive.prompter import HELP_KEY, HELP_KEY_ANYWHERE_SHOWN, Choice
from sharewise.model import Action, Outcome, Question, Tree

__all__ = ["DECISION_WORDS", "ChangedAnswer", "Position", "Screen", "number_ranges", "shorten"]

DECISION_WORDS = {words.id: words.label for words in TABLE}
_DECISION_STYLE = {words.id: words.colour for words in TABLE}  # a panel's border: the colour, not bold
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
class Position:
    """Where a question stands: its number, and how many the decision takes (``exact``) or at most."""

    number: int
    total: int | None = None
    exact: bool = False

    def __str__(self) -> str:
        if self.total is None:
            return f"Question {self.number}"
        return f"Question {self.number} of {'' if self.exact else 'at most '}{self.total}"


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

    def _rows(self, title: str, body: Sequence[RenderableType], subtitle: str = "") -> int:
        """The rows :meth:`_block` would take for this block, counting the blank line before it."""
        options = self.console.options.update_width(self._width())
        if self.plain:
            parts: list[RenderableType] = [Text(title), Text("-"), *body]
            return 2 + len(self.console.render_lines(Group(*parts), options, pad=False))
        panel = Panel(Group(*body), title=title, subtitle=subtitle or None, width=self._width(), padding=(0, 1))
        return 1 + len(self.console.render_lines(panel, options, pad=False))

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
                    "Answer each question in turn. Use the arrow keys and Enter to choose. To go back, "
                    f"choose Back, or press Left on a list or PgUp on a written answer ({back_key} works too, "
                    f"except inside tmux or screen, which keep {back_key} for themselves). Where a question's "
                    f"help is shortened to fit the window, press {HELP_KEY} on a list or "
                    f"{HELP_KEY_ANYWHERE_SHOWN} on a written answer to read all of it. Press Ctrl-C at any time "
                    "to stop: your answers are kept as a draft, and 'sharewise decide --resume' carries on."
                ),
            ],
            subtitle=f"version {tree.version}",
        )

    def case_ref_intro(self) -> None:
        self.say(
            "First, a reference of your own for this case or request, if you have one (a case number, not "
            "a name). It tells this decision's draft and record apart from others; press Enter to leave it "
            "blank, and add it at sign-off if you like."
        )

    def overdue(self, tree: Tree) -> None:
        self.notice(
            f"the '{tree.title}' questions were due for review on {tree.next_review.isoformat()} "
            f"(owner: {tree.owner}). They may not reflect the latest guidance; you can still use them, "
            "and you may want to tell the owner.",
            title="Review overdue",
        )

    def question(
        self,
        number: int | Position,
        tree: Tree,
        question: Question,
        *,
        previous: bool,
        for_record: bool,
        back: bool = False,
    ) -> bool:
        """Show ``question`` in its box; True when its help was shortened to keep the prompt in view.

        On a terminal, the box and the prompt under it (the options, wrapped to the width) must fit
        the window together, so the question is never scrolled away by its own help. When they do
        not, the help is cut to whole paragraphs that fit, and the box says which key shows it all.
        """
        position = number if isinstance(number, Position) else Position(number)
        section = question.section or ("For the record" if for_record else "")
        title = str(position) + (f" · {section}" if section and not self.plain else "")
        if self.plain and section:
            title = f"{position}: {section}"
        paragraphs = [Text(p.strip()) for p in question.help.strip().splitlines() if p.strip()]
        source = Text(f"Source: {question.source}", style="dim")
        notes: list[RenderableType] = []
        if question.kind == "text" and question.min_length and not question.optional:
            notes.append(Text(f"Write at least {question.min_length} characters.", style="dim"))
        if question.optional:
            notes.append(Text("You may leave this blank.", style="dim"))
        if previous:
            notes.append(Text("Your earlier answer is filled in; press Enter to keep it.", style="italic"))
        ask = Text(question.ask, style="bold")
        body: list[RenderableType] = [ask, *_spaced(paragraphs), Text(""), source, *notes]
        room = self._room(question, back)
        folded = room is not None and self._rows(title, body, tree.title) > room
        if folded:
            assert room is not None
            more = Text(
                f"Press {help_key(_prompt_kind(question))} for the full help (shortened to fit the window).",
                style="italic",
            )
            kept: list[Text] = []
            for paragraph in paragraphs:
                trial = [ask, *_spaced([*kept, paragraph]), Text(""), more, *notes]
                if self._rows(title, trial, tree.title) > room:
                    break
                kept.append(paragraph)
            body = [ask, *_spaced(kept), Text(""), more, *notes]
        self._block(title, body, subtitle=tree.title)
        return folded

    def _room(self, question: Question, back: bool) -> int | None:
        """Rows left for the question's box under a window's height, or None when there is no window."""
        if not self.console.is_terminal:
            return None  # a pipe or a log: nothing scrolls out of view
        kind = question.kind if question.kind in ("choice", "multi") else "text"
        choices = [Choice(o.label, o.value, o.help) for o in question.options]
        keys = hint(
            _prompt_kind(question),
            back=back,
            more_help=True,
            multiline=question.multiline,
        )
        needed = prompt_rows(
            kind,
            self.console.width,
            choices=choices,
            hint=keys,
            message="Your answer",
            back=back,
            multiline=question.multiline,
            plain=self.plain,
        )
        return self.console.height - needed

    def full_help(self, number: int, question: Question) -> None:
        """The help a folded question box left out, with its source."""
        paragraphs = [Text(p.strip()) for p in question.help.strip().splitlines() if p.strip()]
        body: list[RenderableType] = [
            *_spaced(paragraphs)[1:],
            Text(""),
            Text(f"Source: {question.source}", style="dim"),
        ]
        self._block(f"Help for question {number}", body, style="cyan")

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
            lines.extend(_bullet(q.ask) for q in change.dropped)
            lines.append(
                Text(
                    "If your new answers lead back to one of these, your earlier answer is filled in again.",
                    style="dim",
                )
            )
        if not change.kept and not change.dropped:
            lines.append(Text("No other answers were affected."))
        self._block("Answer changed", lines, style="yellow")

    def outcome_reached(
        self,
        tree: Tree,
        outcome: Outcome,
        record_questions: int,
        actions: Sequence[Action] = (),
        *,
        pause: Callable[[str], None] | None = None,
    ) -> None:
        """The decision as soon as the answers reach it, with what to do now, before any record question.

        On a terminal with actions to show, ``pause`` is called after the box so the practitioner
        reads it before the next question pushes it away; a box taller than the window is shown in
        parts that each fit, with a pause after each.
        """
        if record_questions:
            more = (
                f"{record_questions} more question{'s' if record_questions != 1 else ''} "
                "for the record, then a review before you sign off."
            )
        else:
            more = "Next, a review of your answers before you sign off."
        title = f"Decision: {DECISION_WORDS[outcome.decision]}"
        style = _DECISION_STYLE[outcome.decision]
        head: list[RenderableType] = [Text(outcome.title, style="bold"), Text(outcome.summary)]
        tail: list[RenderableType] = [Text(""), Text(more)]
        items = [a.text for a in actions]
        room = self.console.height - 3 if self.console.is_terminal and pause is not None else None

        def page(chunk: Sequence[str], first: bool, last: bool, label: str) -> list[RenderableType]:
            body = list(head) if first else []
            if chunk:
                body += ([Text("")] if first else []) + [Text(label, style="bold"), _checklist(chunk)]
            return body + (tail if last else [])

        pages: list[list[str]] = [items]
        if room is not None and items and self._rows(title, page(items, True, True, "x"), tree.title) > room:
            pages = [[]]
            for item in items:
                trial = [*pages[-1], item]
                if pages[-1] and self._rows(title, page(trial, len(pages) == 1, False, "x"), tree.title) > room:
                    pages.append([item])
                else:
                    pages[-1] = trial
        for number, chunk in enumerate(pages, start=1):
            label = "What to do now:" if len(pages) == 1 else f"What to do now ({number} of {len(pages)}):"
            first, last = number == 1, number == len(pages)
            self._block(title, page(chunk, first, last, label), style=style, subtitle=tree.title)
            if pause is not None and room is not None and items:
                pause("Show the rest of what to do now" if not last else _go_on(record_questions))

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
            body += [Text(""), Text("What to do next:", style="bold"), _checklist(outcome["actions"])]
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


def _spaced(paragraphs: Sequence[Text]) -> list[RenderableType]:
    """Paragraphs each after a blank line, as a question's help is laid out."""
    out: list[RenderableType] = []
    for paragraph in paragraphs:
        out += [Text(""), paragraph]
    return out


def _bullet(text: str) -> Table:
    """``- text``, wrapped with later lines under the text rather than under the dash."""
    grid = Table.grid(padding=(0, 1))
    grid.add_column(no_wrap=True)
    grid.add_column()
    grid.add_row("  -", Text(" ".join(text.split())))
    return grid


def _checklist(items: Sequence[str]) -> Table:
    checklist = Table.grid(padding=(0, 1))
    checklist.add_column(no_wrap=True)
    checklist.add_column()
    for item in items:
        checklist.add_row("[ ]", Text(item))
    return checklist


def _go_on(record_questions: int) -> str:
    return "Go on to the questions for the record" if record_questions else "Go on to the review"


def _prompt_kind(question: Question) -> str:
    """The prompt a question is asked with: select (a choice), checkbox (several) or text."""
    return {"choice": "select", "multi": "checkbox"}.get(question.kind, "text")
