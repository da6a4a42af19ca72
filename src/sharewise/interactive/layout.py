"""How a prompt is laid out on a terminal of a given width, shared by the prompter and the screen.

prompt_toolkit cuts a line at the terminal's edge (option labels) or breaks it mid-word (the key
hint), so every line of a prompt is wrapped here at word boundaries before it is shown. The screen
uses the same arithmetic to know how many rows the prompt will take, so it can fold a question's
help and keep the question and its options in view together (docs/interactive.md).
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

from sharewise.interactive.prompter import HELP_KEY, HELP_KEY_ANYWHERE_SHOWN, Choice

__all__ = ["POINTER_WIDTH", "hint", "prompt_rows", "wrap_answer", "wrap_help", "wrap_hint", "wrap_label"]

POINTER_WIDTH = 3
"""Columns before an option's label: the pointer (" > ") or its blank."""

_INDICATOR_WIDTH = 2
"""Columns taken by a checkbox's tick mark and its space."""


def _lines(text: str, width: int, indent: int) -> list[str]:
    return textwrap.wrap(" ".join(text.split()), max(width - indent, 12), break_on_hyphens=False) or [""]


def wrap_label(label: str, width: int, *, checkbox: bool = False) -> str:
    """``label`` broken at words so each line fits after the pointer; later lines line up under it."""
    indent = POINTER_WIDTH + (_INDICATOR_WIDTH if checkbox else 0)
    return ("\n" + " " * indent).join(_lines(label, width - 1, indent))


def wrap_help(text: str, width: int) -> str:
    """An option's help, shown under the list after "Description: ", broken at words."""
    lines = _lines(f"Description: {text}", width - 1, 2)
    return "\n  ".join(lines)[len("Description: ") :]


def wrap_answer(message: str, answer: str, width: int) -> str:
    """An answer shown after ``? message: ``, broken at words; later lines are indented two columns.

    Each line the practitioner wrote stays a line of its own.
    """
    first = len(message) + 3  # "? ", the message, a space
    lines: list[str] = []
    for number, written in enumerate(answer.splitlines() or [""]):
        indent = " " * first if number == 0 else "  "
        lines += textwrap.wrap(written, max(width - 1, 20), initial_indent=indent, subsequent_indent="  ") or [indent]
    return "\n".join(lines)[first:]


def wrap_hint(message: str, hint: str, width: int) -> str:
    """The key hint after ``? message``, broken at words; later lines are indented two columns."""
    first = len(message) + 4  # "? " before the message, a space either side of it
    lines = textwrap.wrap(hint, max(width - 1, 20), initial_indent=" " * first, subsequent_indent="  ")
    return "\n".join(lines)[first:] if lines else ""


def help_key(kind: str) -> str:
    """The key a prompt of ``kind`` (select, checkbox, text) names for the full help: ? on a list, F1
    on a written answer, where ? is help only as the whole answer (F1 works on every prompt)."""
    return HELP_KEY_ANYWHERE_SHOWN if kind == "text" else HELP_KEY


def hint(kind: str, *, back: bool, more_help: bool, multiline: bool = False) -> str:
    """The keys a prompt of ``kind`` (select, checkbox, text) answers to, as its hint says them."""
    if kind == "select":
        keys = ["arrow keys to move", "Enter to choose"]
    elif kind == "checkbox":
        keys = ["Space to tick or untick", "Enter when done"]
    elif multiline:
        keys = ["Enter starts a new line", "Esc then Enter to finish"]
    else:
        keys = ["Enter to finish"]
    if back:
        keys.append("PgUp to go back" if kind == "text" else "Left to go back")
    if more_help:
        keys.append(f"{help_key(kind)} for the full help")
    return f"({('; ' if multiline else ', ').join(keys)})"


def prompt_rows(
    kind: str,
    width: int,
    *,
    choices: Sequence[Choice] = (),
    hint: str = "",
    message: str = "",
    back: bool = False,
    multiline: bool = False,
    plain: bool = False,
) -> int:
    """Rows the prompt for a question of ``kind`` takes, with one row spare for a message under it."""
    rows = 1 + wrap_hint(message, hint, width).count("\n")
    if kind in ("choice", "multi"):
        for choice in choices:
            rows += 1 + wrap_label(choice.title, width, checkbox=kind == "multi").count("\n")
        if back and kind == "choice":
            rows += 1 if plain else 2  # a blank separator, then the Back choice
        helps = [1 + wrap_help(c.help, width).count("\n") for c in choices if c.help]
        rows += max(helps, default=0)
    else:
        rows += 4 if multiline else 1
    return rows + 1
