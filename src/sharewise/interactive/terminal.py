"""The real prompter: questionary prompts on the terminal, behind the :class:`Prompter` protocol.

This is the only module that imports questionary and prompt_toolkit. It asks with
``unsafe_ask()`` and turns Ctrl-C into :class:`Interrupted` and end of input into
:class:`InputClosed`, so the session decides what happens next (keep a draft), not questionary.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import questionary
from prompt_toolkit.input import Input
from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent, merge_key_bindings
from prompt_toolkit.output import ColorDepth, Output

from sharewise.interactive.prompter import (
    BACK,
    BACK_KEY,
    BACK_KEY_NAME,
    Back,
    Choice,
    InputClosed,
    Interrupted,
    Validator,
)

__all__ = ["QuestionaryPrompter"]

_PLAIN_STYLE = questionary.Style(
    [(name, "noinherit") for name in ("qmark", "question", "answer", "pointer", "highlighted", "selected",
                                      "separator", "instruction", "text", "disabled")]
)
_STYLE = questionary.Style(
    [
        ("qmark", "fg:ansicyan bold"),
        ("question", "bold"),
        ("answer", "fg:ansicyan bold"),
        ("pointer", "fg:ansicyan bold"),
        ("highlighted", "fg:ansicyan bold"),
        ("instruction", "fg:ansibrightblack"),
    ]
)


class QuestionaryPrompter:
    """Asks on the terminal; ``plain`` drops colour and non-ASCII marks for screen readers.

    ``input`` and ``output`` are for tests (prompt_toolkit pipe input and dummy output).
    """

    def __init__(self, *, plain: bool = False, input: Input | None = None, output: Output | None = None) -> None:
        self.plain = plain
        self._io: dict[str, Any] = {}
        if input is not None:
            self._io["input"] = input
        if output is not None:
            self._io["output"] = output
        if plain:
            self._io["color_depth"] = ColorDepth.DEPTH_1_BIT

    @property
    def _style(self) -> questionary.Style:
        return _PLAIN_STYLE if self.plain else _STYLE

    def select(
        self, message: str, choices: Sequence[Choice], *, default: str | None = None, back: str | None = None
    ) -> str | Back:
        items: list[Any] = [questionary.Choice(c.title, value=c.value, description=c.help) for c in choices]
        if back is not None:
            if not self.plain:
                items.append(questionary.Separator(" "))
            items.append(questionary.Choice(back, value=_BACK_VALUE))
        hint = f"arrow keys to move, Enter to choose{f', {BACK_KEY_NAME} to go back' if back else ''}"
        question = questionary.select(
            message,
            items,
            default=_default_choice(items, default),
            qmark="?",
            pointer=">",
            style=self._style,
            instruction=f"({hint})",
            **self._io,
        )
        answer = self._ask(question, back is not None, extra_back_keys=("left",))
        return BACK if answer is BACK or answer == _BACK_VALUE else str(answer)

    def checkbox(
        self,
        message: str,
        choices: Sequence[Choice],
        *,
        defaults: Sequence[str] = (),
        back: str | None = None,
        validate: Validator[list[str]] | None = None,
    ) -> list[str] | Back:
        items = [
            questionary.Choice(c.title, value=c.value, description=c.help, checked=c.value in defaults) for c in choices
        ]
        hint = f"Space to tick or untick, Enter when done{f', {BACK_KEY_NAME} to go back' if back else ''}"
        question = questionary.checkbox(
            message,
            items,
            validate=_adapt(validate) or _accept_any,
            qmark="?",
            pointer=">",
            style=self._style,
            instruction=f"({hint})",
            **self._io,
        )
        answer = self._ask(question, back is not None)
        return BACK if answer is BACK else [str(v) for v in answer]

    def text(
        self,
        message: str,
        *,
        default: str = "",
        multiline: bool = False,
        back: str | None = None,
        validate: Validator[str] | None = None,
    ) -> str | Back:
        keys = ["Esc then Enter to finish" if multiline else "Enter to finish"]
        if multiline:
            keys.insert(0, "Enter starts a new line")
        if back:
            keys.append(f"{BACK_KEY_NAME} to go back")
        hint = f"({'; '.join(keys)})"
        # The keys are shown inline in plain mode (read out in order); otherwise in the bottom
        # toolbar, which disappears once answered and so keeps the scrollback calm.
        extra: dict[str, Any] = {} if self.plain else {"bottom_toolbar": " " + hint}
        question = questionary.text(
            message,
            default=default,
            multiline=multiline,
            validate=_adapt(validate),
            qmark="?",
            style=self._style,
            instruction=(hint if self.plain else "") + ("\n>" if multiline else ""),
            **self._io,
            **extra,
        )
        answer = self._ask(question, back is not None)
        return BACK if answer is BACK else str(answer)

    def confirm(self, message: str, *, default: bool = False) -> bool:
        question = questionary.confirm(message, default=default, qmark="?", style=self._style, **self._io)
        return bool(self._ask(question, False))

    def _ask(self, question: questionary.Question, back: bool, extra_back_keys: Sequence[str] = ()) -> Any:
        if back:
            bindings = KeyBindings()

            def _go_back(event: KeyPressEvent) -> None:
                event.app.exit(result=BACK)

            for key in (BACK_KEY, *extra_back_keys):
                bindings.add(key, eager=True)(_go_back)
            app = question.application
            app.key_bindings = merge_key_bindings([app.key_bindings or KeyBindings(), bindings])
        try:
            return question.unsafe_ask()
        except KeyboardInterrupt:
            raise Interrupted from None
        except EOFError:
            raise InputClosed from None


_BACK_VALUE = "\x00sharewise-back"


def _default_choice(items: list[Any], default: str | None) -> Any:
    for item in items:
        if isinstance(item, questionary.Choice) and item.value == default:
            return item
    return None


def _accept_any(_value: object) -> bool:
    return True


def _adapt(validate: Validator[Any] | None) -> Any:
    if validate is None:
        return None

    def check(value: Any) -> bool | str:
        problem = validate(value)
        return True if problem is None else problem

    return check
