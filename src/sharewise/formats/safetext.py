"""Text from files and typing, made safe to show: one place for every front-end.

Trees come from other organisations' repositories and answers from other systems' exports, so
any text sharewise prints may hold terminal control sequences (an ESC that clears the screen,
retitles the window, hides text or disguises a link) or a lone surrogate code that cannot be
written as UTF-8 at all. :func:`clean` shows each such character as a visible escape (``\\x1b``,
``\\ud800``) instead, keeping line breaks and tabs; every command, and the interactive session,
passes text through it on the way out. :func:`cut` shortens text before it is formatted, and
:func:`json_text` makes JSON output safe in the same way without changing what it means.
"""

from __future__ import annotations

import re

__all__ = ["clean", "cut", "json_text"]

# C0 controls except tab and line feed, DEL, C1 controls, and lone surrogates.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u2028\u2029\ud800-\udfff]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group(0))
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def clean(text: str) -> str:
    """``text`` with control characters and lone surrogates shown as escapes; line breaks and tabs kept."""
    if _UNSAFE.search(text) is None:
        return text
    return _UNSAFE.sub(_escape, text)


def cut(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters (ending ``...``), then cleaned; the cut comes first."""
    if len(text) > limit:
        text = text[: max(limit - 3, 0)] + "..."
    return clean(text)


def json_text(encoded: str) -> str:
    """JSON text whose DEL, C1 controls, line and paragraph separators and lone surrogates are ``\\u`` escapes.

    The standard library already escapes the other controls. These characters can only stand
    inside JSON strings, where the escape means the same, so the data read back is unchanged;
    the output can always be written as UTF-8, and tools that split lines on U+2028 still see
    one JSON object a line.
    """
    if encoded.isascii() and "\x7f" not in encoded:  # every other character it escapes is beyond ASCII
        return encoded
    if _JSON_UNSAFE.search(encoded) is None:
        return encoded
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group(0)):04x}", encoded)
