"""The real prompter: questionary prompts on the terminal, behind the :class:`Prompter` protocol.

This is the only module that imports questionary and prompt_toolkit. It asks with
``unsafe_ask()`` and turns Ctrl-C into :class:`Interrupted` and end of input into
:class:`InputClosed`, so the session decides what happens next (keep a draft), not questionary.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from typing import Any

import questionary
from prompt_toolkit import print_formatted_text
from prompt_toolkit.filters import Condition, Filter
from prompt_toolkit.formatted_text import FormattedText
from prompt_toolkit.input import Input
from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent, merge_key_bindings
from prompt_toolkit.output import ColorDepth, Output

from sharewise.interactive.layout import hint, wrap_answer, wrap_help, wrap_hint, wrap_label
from sharewise.interactive.prompter import (
    BACK,
    BACK_KEY,
    HELP_KEY,
    HELP_KEY_ANYWHERE,
    Back,
    Choice,
    InputClosed,
    Interrupted,
    MoreHelpWanted,
    Validator,
)

__all__ = ["QuestionaryPrompter"]

_LIST_BACK_KEYS = ("left", "pageup")
_TEXT_BACK_KEYS = ("pageup",)


_PLAIN_STYLE = questionary.Style(
    [
        (name, "noinherit")
        for name in (
            "qmark",
            "question",
            "answer",
            "pointer",
            "highlighted",
            "selected",
            "separator",
            "instruction",
            "text",
            "disabled",
        )
    ]
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

    def _columns(self) -> int:
        output = self._io.get("output")
        return output.get_size().columns if output is not None else shutil.get_terminal_size().columns

    def select(
        self,
        message: str,
        choices: Sequence[Choice],
        *,
        default: str | None = None,
        back: str | None = None,
        more_help: bool = False,
    ) -> str | Back:
        width = self._columns()
        items: list[Any] = [
            questionary.Choice(
                wrap_label(c.title, width), value=c.value, description=c.help and wrap_help(c.help, width)
            )
            for c in choices
        ]
        if back is not None:
            if not self.plain:
                items.append(questionary.Separator(" "))
            items.append(questionary.Choice(wrap_label(back, width), value=_BACK_VALUE))
        question = questionary.select(
            message,
            items,
            default=_default_choice(items, default),
            qmark="?",
            pointer=">",
            style=self._style,
            instruction=wrap_hint(message, hint("select", back=back is not None, more_help=more_help), width),
            **self._io,
        )
        answer = self._ask(question, back is not None, _LIST_BACK_KEYS, more_help=more_help)
        if answer is BACK or answer == _BACK_VALUE:
            return BACK
        self._echo(message, next((c.title for c in choices if c.value == answer), str(answer)))
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
        width = self._columns()
        items = [
            questionary.Choice(
                wrap_label(c.title, width, checkbox=True),
                value=c.value,
                description=c.help and wrap_help(c.help, width),
                checked=c.value in defaults,
            )
            for c in choices
        ]
        question = questionary.checkbox(
            message,
            items,
            validate=_adapt(validate) or _accept_any,
            qmark="?",
            pointer=">",
            style=self._style,
            instruction=wrap_hint(message, hint("checkbox", back=back is not None, more_help=more_help), width),
            **self._io,
        )
        answer: list[Any] | Back = self._ask(question, back is not None, _LIST_BACK_KEYS, more_help=more_help)
        if answer is BACK:
            return BACK
        values = [str(v) for v in answer]
        self._echo(message, "; ".join(c.title for c in choices if c.value in values) or "(none ticked)")
        return values

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
        keys = hint("text", back=back is not None, more_help=more_help, multiline=multiline)
        # The keys are shown on the prompt line, broken at words to fit: a bottom toolbar stayed on
        # the terminal's last row after a changed answer, with blank rows above it.
        question = questionary.text(
            message,
            default=default,
            multiline=multiline,
            validate=_adapt(validate),
            qmark="?",
            style=self._style,
            instruction=wrap_hint(message, keys, self._columns()) + ("\n>" if multiline else ""),
            **self._io,
        )
        answer: object = self._ask(
            question, back is not None, _TEXT_BACK_KEYS, more_help=more_help, help_when_empty=True
        )
        if answer is BACK:
            return BACK
        typed = str(answer)
        self._echo(message, typed or "(left blank)")
        return typed

    def confirm(self, message: str, *, default: bool = False) -> bool:
        question = questionary.confirm(message, default=default, qmark="?", style=self._style, **self._io)
        answer = bool(self._ask(question, False))
        self._echo(message, "Yes" if answer else "No")
        return answer

    def _echo(self, message: str, answer: str) -> None:
        """What was answered, in place of the prompt, wrapped at words (the prompt's own line cut
        words at the edge, and said 'done (2 selections)' rather than which)."""
        said = message if message.endswith(("?", ":", ".")) else f"{message}:"
        text = wrap_answer(said, answer, self._columns())
        tokens = FormattedText([("class:qmark", "?"), ("class:question", f" {said} "), ("class:answer", text)])
        print_formatted_text(tokens, style=self._style, output=self._io.get("output"))

    def _ask(
        self,
        question: questionary.Question,
        back: bool,
        extra_back_keys: Sequence[str] = (),
        *,
        more_help: bool = False,
        help_when_empty: bool = False,
    ) -> Any:
        app = question.application
        app.erase_when_done = True  # the answer is shown again by _echo, wrapped to fit
        bindings = KeyBindings()
        if back:

            def _go_back(event: KeyPressEvent) -> None:
                event.app.exit(result=BACK)

            for key in (BACK_KEY, *extra_back_keys):
                bindings.add(key, eager=True)(_go_back)
        if more_help:
            # On a written answer ? is an ordinary character, so it asks for help only as the
            # whole answer (an empty line); anywhere else it types as usual.
            allowed: Filter = (
                Condition(lambda: not app.current_buffer.text) if help_when_empty else Condition(lambda: True)
            )

            def _more_help(event: KeyPressEvent) -> None:
                event.app.exit(result=_HELP_VALUE)

            bindings.add(HELP_KEY, eager=True, filter=allowed)(_more_help)
            bindings.add(HELP_KEY_ANYWHERE, eager=True)(_more_help)
        if back or more_help:
            app.key_bindings = merge_key_bindings([app.key_bindings or KeyBindings(), bindings])
        try:
            answer = question.unsafe_ask()
        except KeyboardInterrupt:
            raise Interrupted from None
        except EOFError:
            raise InputClosed from None
        if answer is _HELP_VALUE:
            raise MoreHelpWanted
        return answer


_BACK_VALUE = "\x00sharewise-back"
_HELP_VALUE = object()


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
