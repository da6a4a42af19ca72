"""A scripted :class:`~sharewise.interactive.prompter.Prompter` for tests: no terminal needed.

Give it the answers in order. Each is what the practitioner would enter: a value (an option's
value, a list of values, text, or a bool for ``confirm``), :data:`BACK`, :data:`ENTER` (accept the
default), :data:`HELP` (the key for the full help, where the prompt offers it), or
:data:`CTRL_C` / :data:`CTRL_D` to stop the session. A text or checkbox answer that
fails validation is rejected as the terminal would, and the next scripted answer is tried; the
messages are kept in :attr:`FakePrompter.rejected`. Once the script runs out, ``then`` (if given)
is asked for each further answer, which lets a test walk any tree with a simple strategy. Every prompt is kept in
:attr:`FakePrompter.asked`, so a test can check what was offered and what was preselected.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sharewise.interactive.prompter import BACK, Back, Choice, InputClosed, Interrupted, MoreHelpWanted, Validator

__all__ = ["CTRL_C", "CTRL_D", "ENTER", "HELP", "Asked", "FakePrompter", "ScriptExhausted"]


class _Key(enum.Enum):
    ENTER = "enter"
    CTRL_C = "ctrl-c"
    CTRL_D = "ctrl-d"
    HELP = "help"


ENTER = _Key.ENTER
CTRL_C = _Key.CTRL_C
CTRL_D = _Key.CTRL_D
HELP = _Key.HELP


class ScriptExhausted(AssertionError):
    """Raised when the session asks more than the test scripted; names the unanswered prompt."""


@dataclass(frozen=True)
class Asked:
    """One prompt as the session put it."""

    kind: str
    message: str
    choices: tuple[Choice, ...] = ()
    default: Any = None
    back: str | None = None
    multiline: bool = False
    more_help: bool = False

    @property
    def values(self) -> list[str]:
        return [c.value for c in self.choices]


class FakePrompter:
    """Plays back scripted answers; see the module docstring."""

    def __init__(self, script: Iterable[Any] = (), *, then: Callable[[Asked], Any] | None = None) -> None:
        self.script: list[Any] = list(script)
        self.then = then
        self.asked: list[Asked] = []
        self.rejected: list[str] = []

    def feed(self, *answers: Any) -> None:
        self.script.extend(answers)

    def _next(self, asked: Asked) -> object:
        self.asked.append(asked)
        if self.script:
            answer = self.script.pop(0)
        elif self.then is not None:
            answer = self.then(asked)
        else:
            raise ScriptExhausted(f"no scripted answer left for {asked.kind} {asked.message!r}")
        if answer is CTRL_C:
            raise Interrupted
        if answer is CTRL_D:
            raise InputClosed
        if answer is BACK and asked.back is None:
            raise AssertionError(f"the script went back where there is no way back: {asked.message!r}")
        if answer is HELP:
            if not asked.more_help:
                raise AssertionError(f"the script asked for more help where none is offered: {asked.message!r}")
            raise MoreHelpWanted
        return answer

    def select(
        self,
        message: str,
        choices: Sequence[Choice],
        *,
        default: str | None = None,
        back: str | None = None,
        more_help: bool = False,
    ) -> str | Back:
        answer = self._next(Asked("select", message, tuple(choices), default, back, more_help=more_help))
        if answer is ENTER:
            return default if default is not None else choices[0].value
        if answer is BACK:
            return BACK
        if answer not in [c.value for c in choices]:
            raise AssertionError(f"{answer!r} is not offered for {message!r}; offered: {[c.value for c in choices]}")
        return str(answer)

    def checkbox(
        self,
        message: str,
        choices: Sequence[Choice],
        *,
        defaults: Sequence[str] = (),
        back: str | None = None,
        validate: Validator[list[str]] | None = None,
        more_help: bool = False,
    ) -> list[str] | Back:
        while True:
            answer = self._next(Asked("checkbox", message, tuple(choices), list(defaults), back, more_help=more_help))
            if answer is BACK:
                return BACK
            if answer is ENTER:
                values = list(defaults)
            elif isinstance(answer, (list, tuple)):
                values = [str(v) for v in answer]
            else:
                raise AssertionError(f"a checkbox answer must be a list, not {answer!r}")
            problem = validate(values) if validate else None
            if problem is None:
                return values
            self.rejected.append(problem)

    def text(
        self,
        message: str,
        *,
        default: str = "",
        multiline: bool = False,
        back: str | None = None,
        validate: Validator[str] | None = None,
        more_help: bool = False,
    ) -> str | Back:
        while True:
            answer = self._next(Asked("text", message, (), default, back, multiline, more_help))
            if answer is BACK:
                return BACK
            value = default if answer is ENTER else str(answer)
            problem = validate(value) if validate else None
            if problem is None:
                return value
            self.rejected.append(problem)
            default = value  # the terminal keeps what was typed, so the fix starts from it

    def confirm(self, message: str, *, default: bool = False) -> bool:
        answer = self._next(Asked("confirm", message, (), default))
        return default if answer is ENTER else bool(answer)
