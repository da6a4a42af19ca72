"""The terminal console every command prints through: control characters escaped, plain when asked.

rich is imported only by the commands that draw, so this module is imported inside them.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from rich.console import Console, ConsoleOptions, RenderableType
from rich.segment import Segment

from sharewise.decisions import TABLE
from sharewise.formats.safetext import clean

__all__ = ["DECISION_STYLE", "SafeConsole", "make_console"]

DECISION_STYLE = {words.id: words.style for words in TABLE}
"""Decision id -> the rich style of its word (from :mod:`sharewise.decisions`)."""


class SafeConsole(Console):
    """A rich console that shows control characters in what it prints as escapes (:func:`clean`).

    Every piece of text rich writes passes through :meth:`render` as a segment, apart from the
    styles rich adds itself; so tree text, answers and names reach the terminal only as text,
    whatever renderable holds them.
    """

    def render(self, renderable: RenderableType, options: ConsoleOptions | None = None) -> Iterable[Segment]:
        for segment in super().render(renderable, options):
            text = segment.text if segment.control is not None else clean(segment.text)
            yield segment if text is segment.text else Segment(text, segment.style)


def make_console(plain: bool = False, stderr: bool = False) -> Console:
    """A console; ``plain`` (or NO_COLOR) drops colour and box drawing for screen readers."""
    plain = plain or bool(os.environ.get("NO_COLOR"))
    return SafeConsole(
        stderr=stderr,
        no_color=plain,
        highlight=False,
        markup=False,
        emoji=False,
        safe_box=True,
        force_terminal=None,
    )
