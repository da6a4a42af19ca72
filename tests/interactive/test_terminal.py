"""The questionary prompter driven by prompt_toolkit pipe input: real key handling, no terminal.

Each test sends its keystrokes and then closes the pipe, so a keystroke the prompt does not act on
ends the prompt with end of input (InputClosed) instead of hanging the test.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator

import pytest
from prompt_toolkit.application import create_app_session
from prompt_toolkit.data_structures import Size
from prompt_toolkit.input import PipeInput, create_pipe_input
from prompt_toolkit.output import DummyOutput
from prompt_toolkit.output.vt100 import Vt100_Output

from sharewise.interactive.layout import hint
from sharewise.interactive.prompter import BACK, Choice, InputClosed, Interrupted, MoreHelpWanted
from sharewise.interactive.terminal import QuestionaryPrompter

DOWN = "\x1b[B"
LEFT = "\x1b[D"
ENTER = "\r"
CTRL_B = "\x02"
CTRL_C = "\x03"
CTRL_D = "\x04"
ESC_ENTER = "\x1b\r"

CHOICES = [Choice("Yes", "yes"), Choice("No", "no"), Choice("Not sure", "not-sure", "Choose this if unsure.")]


@pytest.fixture
def pipe() -> Iterator[PipeInput]:
    with create_pipe_input() as pipe_input, create_app_session(input=pipe_input, output=DummyOutput()):
        yield pipe_input


def keys(pipe: PipeInput, *presses: str, plain: bool = False) -> QuestionaryPrompter:
    """Send ``presses`` and close the pipe; return a prompter reading from it."""
    pipe.send_text("".join(presses))
    pipe.close()
    return QuestionaryPrompter(plain=plain, input=pipe, output=DummyOutput())


def test_select_moves_with_arrows_and_chooses_with_enter(pipe: PipeInput) -> None:
    assert keys(pipe, DOWN, ENTER).select("Q", CHOICES) == "no"


def test_select_starts_on_the_default(pipe: PipeInput) -> None:
    assert keys(pipe, ENTER).select("Q", CHOICES, default="not-sure") == "not-sure"


def test_select_back_choice_is_last(pipe: PipeInput) -> None:
    assert keys(pipe, DOWN * 3, ENTER).select("Q", CHOICES, back="Back") is BACK


@pytest.mark.parametrize("key", [CTRL_B, LEFT])
def test_select_back_keys(pipe: PipeInput, key: str) -> None:
    assert keys(pipe, key).select("Q", CHOICES, back="Back") is BACK


def test_back_key_does_nothing_where_there_is_no_way_back(pipe: PipeInput) -> None:
    with pytest.raises(InputClosed):
        keys(pipe, CTRL_B).select("Q", CHOICES)


def test_without_back_the_list_has_only_the_options(pipe: PipeInput) -> None:
    assert keys(pipe, DOWN * 5, ENTER).select("Q", CHOICES) == "not-sure"


def test_ctrl_c_interrupts(pipe: PipeInput) -> None:
    with pytest.raises(Interrupted):
        keys(pipe, DOWN, CTRL_C).select("Q", CHOICES, back="Back")


def test_closed_input_is_end_of_input(pipe: PipeInput) -> None:
    with pytest.raises(InputClosed):
        keys(pipe).select("Q", CHOICES)


def test_plain_select_works_the_same(pipe: PipeInput) -> None:
    assert keys(pipe, DOWN, DOWN, ENTER, plain=True).select("Q", CHOICES) == "not-sure"


def test_text_returns_what_was_typed(pipe: PipeInput) -> None:
    assert keys(pipe, "Sam Patel", ENTER).text("Name") == "Sam Patel"


def test_text_enter_keeps_the_default(pipe: PipeInput) -> None:
    assert keys(pipe, ENTER).text("Name", default="Sam Patel") == "Sam Patel"


def test_text_validation_keeps_the_prompt_open_until_the_answer_is_fixed(pipe: PipeInput) -> None:
    def at_least_eight(text: str) -> str | None:
        return None if len(text) >= 8 else "needs at least 8 characters"

    prompter = keys(pipe, "short", ENTER, " enough", ENTER)
    assert prompter.text("Why?", validate=at_least_eight) == "short enough"


def test_multiline_text_takes_enter_as_a_new_line_and_esc_enter_to_finish(pipe: PipeInput) -> None:
    assert keys(pipe, "line one", ENTER, "line two", ESC_ENTER).text("Why?", multiline=True) == "line one\nline two"


def test_text_back_key(pipe: PipeInput) -> None:
    assert keys(pipe, "half typed", CTRL_B).text("Why?", back="Back") is BACK


def test_ctrl_d_on_empty_text_is_end_of_input(pipe: PipeInput) -> None:
    with pytest.raises(InputClosed):
        keys(pipe, CTRL_D).text("Why?")


def test_text_ctrl_c_interrupts(pipe: PipeInput) -> None:
    with pytest.raises(Interrupted):
        keys(pipe, "abc", CTRL_C).text("Why?", multiline=True)


def test_checkbox_ticks_with_space(pipe: PipeInput) -> None:
    assert keys(pipe, " ", DOWN, DOWN, " ", ENTER).checkbox("Which?", CHOICES) == ["yes", "not-sure"]


def test_checkbox_starts_with_the_defaults_ticked(pipe: PipeInput) -> None:
    assert keys(pipe, ENTER).checkbox("Which?", CHOICES, defaults=["no"]) == ["no"]


def test_checkbox_validation_and_back(pipe: PipeInput) -> None:
    prompter = keys(pipe, ENTER, CTRL_B)
    assert prompter.checkbox("Which?", CHOICES, back="Back", validate=lambda v: None if v else "choose one") is BACK


def test_confirm(pipe: PipeInput) -> None:
    assert keys(pipe, "y").confirm("Sure?") is True


# -- keys that work inside tmux, the help key, and answers shown back to fit the window ----------

PAGE_UP = "\x1b[5~"


def test_page_up_goes_back_from_a_written_answer(pipe: PipeInput) -> None:
    assert keys(pipe, "half typed", PAGE_UP).text("Why?", back="Back") is BACK


@pytest.mark.parametrize("key", [LEFT, PAGE_UP])
def test_left_and_page_up_go_back_from_a_checkbox(pipe: PipeInput, key: str) -> None:
    assert keys(pipe, " ", key).checkbox("Which?", CHOICES, back="Back") is BACK


def test_question_mark_asks_for_the_full_help_on_a_list(pipe: PipeInput) -> None:
    with pytest.raises(MoreHelpWanted):
        keys(pipe, DOWN, "?").select("Q", CHOICES, more_help=True)


def test_question_mark_is_help_only_as_a_whole_written_answer(pipe: PipeInput) -> None:
    assert keys(pipe, "why?", ENTER).text("Why?", more_help=True) == "why?"


def test_question_mark_on_an_empty_written_answer_asks_for_help(pipe: PipeInput) -> None:
    with pytest.raises(MoreHelpWanted):
        keys(pipe, "?").text("Why?", more_help=True)


def test_question_mark_is_typed_where_no_help_is_offered(pipe: PipeInput) -> None:
    assert keys(pipe, "?", ENTER).text("Why?") == "?"


def _screen_output(columns: int) -> tuple[io.StringIO, Vt100_Output]:
    buffer = io.StringIO()
    return buffer, Vt100_Output(buffer, lambda: Size(rows=24, columns=columns), term="dumb")


def test_long_labels_wrap_at_words_and_the_answer_is_shown_back_in_full(pipe: PipeInput) -> None:
    label = "Not asked, because consent is not the right basis (I would share even if they refused)"
    buffer, output = _screen_output(60)
    pipe.send_text(DOWN + ENTER)
    pipe.close()
    prompter = QuestionaryPrompter(plain=True, input=pipe, output=output)
    assert prompter.select("Your answer", [Choice("Asked", "asked"), Choice(label, "not-right")]) == "not-right"
    shown = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", buffer.getvalue())
    assert "   Not asked, because consent is not the right basis (I\r\n   would share even if they refused)" in shown
    assert (
        "? Your answer: Not asked, because consent is not the right\r\n  basis (I would share even if they refused)"
        in shown
    )


def test_ticked_options_are_named_after_a_checkbox(pipe: PipeInput) -> None:
    buffer, output = _screen_output(80)
    pipe.send_text(" " + DOWN + " " + ENTER)
    pipe.close()
    prompter = QuestionaryPrompter(plain=True, input=pipe, output=output)
    assert prompter.checkbox("Your answer", CHOICES) == ["yes", "no"]
    shown = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", buffer.getvalue())
    assert "? Your answer: Yes; No" in shown
    assert "selections" not in shown


def test_the_key_hint_breaks_at_words_with_later_lines_indented(pipe: PipeInput) -> None:
    buffer, output = _screen_output(60)
    pipe.send_text(ENTER)
    pipe.close()
    prompter = QuestionaryPrompter(plain=True, input=pipe, output=output)
    assert prompter.select("Your answer", CHOICES, back="Back", more_help=True) == "yes"
    shown = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", buffer.getvalue())
    assert "? Your answer (arrow keys to move, Enter to choose, Left\r\n  to go back, ? for the full help)" in shown


F1 = "\x1bOP"


def test_f1_asks_for_the_full_help_on_a_written_answer_already_filled_in(pipe: PipeInput) -> None:
    with pytest.raises(MoreHelpWanted):
        keys(pipe, F1).text("Why?", default="Because the school nurse saw", more_help=True)


def test_f1_asks_for_the_full_help_on_a_list_too(pipe: PipeInput) -> None:
    with pytest.raises(MoreHelpWanted):
        keys(pipe, F1).select("Q", CHOICES, more_help=True)


def test_a_written_answer_names_f1_as_its_help_key() -> None:
    assert hint("text", back=True, more_help=True) == "(Enter to finish, PgUp to go back, F1 for the full help)"
    assert hint("select", back=False, more_help=True) == "(arrow keys to move, Enter to choose, ? for the full help)"
