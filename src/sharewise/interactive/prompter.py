"""The one seam between the session and the keyboard: a small :class:`Prompter` protocol.

The session asks for answers only through these four methods, so it runs the same against the real
terminal (:class:`~sharewise.interactive.terminal.QuestionaryPrompter`) and against a scripted
fake in tests (:class:`~sharewise.interactive.fake.FakePrompter`). Going back is an ordinary
result (:data:`BACK`); stopping is an exception (:class:`Interrupted`, :class:`InputClosed`).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol, TypeVar

__all__ = [
    "BACK",
    "BACK_KEY",
    "BACK_KEY_NAME",
    "HELP_KEY",
    "HELP_KEY_ANYWHERE",
    "HELP_KEY_ANYWHERE_SHOWN",
    "Back",
    "Choice",
    "InputClosed",
    "Interrupted",
    "MoreHelpWanted",
    "Prompter",
    "SessionStopped",
    "Validator",
]

T = TypeVar("T")

BACK_KEY = "c-b"
"""The prompt_toolkit name of the key that goes back to the previous question, on every question."""

BACK_KEY_NAME = "Ctrl-B"
"""How :data:`BACK_KEY` is named on screen and in the docs. tmux and screen take Ctrl-B for
themselves, so every prompt also goes back with a key they leave alone: Left on a list of options,
PgUp on a written answer."""

HELP_KEY = "?"
"""Asks for a question's full help where the screen had to shorten it (on a written answer: a ?
typed as the whole answer)."""

HELP_KEY_ANYWHERE = "f1"
"""Asks for the full help on any prompt that offers it, a written answer already filled in too,
where ``?`` is an ordinary character; shown to the practitioner as :data:`HELP_KEY_ANYWHERE_SHOWN`."""
HELP_KEY_ANYWHERE_SHOWN = "F1"


class _Back(enum.Enum):
    BACK = "back"

    def __repr__(self) -> str:
        return "BACK"


Back = Literal[_Back.BACK]

BACK: Back = _Back.BACK
"""Returned by a prompter when the practitioner chose to go back rather than answer."""

Validator = Callable[[T], "str | None"]
"""Checks an answer before it is accepted: None when it is fine, else a message saying why not."""


@dataclass(frozen=True, slots=True)
class Choice:
    """One option in a list: ``title`` is shown, ``value`` is returned, ``help`` is shown when pointed at."""

    title: str
    value: str
    help: str | None = None


class MoreHelpWanted(Exception):
    """Raised by a prompter asked with ``more_help`` when the practitioner pressed :data:`HELP_KEY`."""


class SessionStopped(Exception):
    """Raised by a prompter when the practitioner can no longer be asked anything."""


class Interrupted(SessionStopped):
    """Raised when the practitioner presses Ctrl-C."""


class InputClosed(SessionStopped):
    """Raised when input ends: Ctrl-D on an empty answer, or the terminal closed."""


class Prompter(Protocol):
    """Asks the practitioner for one answer at a time.

    ``back`` is the label of the way back (a "Back" choice, and :data:`BACK_KEY` everywhere), or
    None where there is nowhere to go back to. ``validate`` is checked before an answer is accepted,
    so the practitioner can correct it in place. With ``more_help`` the prompt offers
    :data:`HELP_KEY` and raises :class:`MoreHelpWanted` when it is pressed.
    """

    def select(
        self,
        message: str,
        choices: Sequence[Choice],
        *,
        default: str | None = None,
        back: str | None = None,
        more_help: bool = False,
    ) -> str | Back: ...

    def checkbox(
        self,
        message: str,
        choices: Sequence[Choice],
        *,
        defaults: Sequence[str] = (),
        back: str | None = None,
        validate: Validator[list[str]] | None = None,
        more_help: bool = False,
    ) -> list[str] | Back: ...

    def text(
        self,
        message: str,
        *,
        default: str = "",
        multiline: bool = False,
        back: str | None = None,
        validate: Validator[str] | None = None,
        more_help: bool = False,
    ) -> str | Back: ...

    def confirm(self, message: str, *, default: bool = False) -> bool: ...
