"""Placeholders in a tree's texts: ``{contacts.dsl}`` filled in from the config file.

Pure text work, no YAML: the loader (:mod:`sharewise.trees.reader`) reports the names it does not know.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

__all__ = ["resolve_placeholders"]

_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([A-Za-z0-9_.-]+)\}")


def resolve_placeholders(text: str, values: Mapping[str, str]) -> tuple[str, list[str]]:
    """``text`` with each ``{name}`` replaced from ``values``, and the names it does not know.

    ``{{`` and ``}}`` stand for literal braces; any other brace is left as written.
    """
    unknown: list[str] = []

    def _one(match: re.Match[str]) -> str:
        whole, name = match.group(0), match.group(1)
        if name is None:
            return whole[0]
        if name in values:
            return values[name]
        unknown.append(name)
        return whole

    if "{" not in text and "}" not in text:
        return text, unknown
    return _PLACEHOLDER.sub(_one, text), unknown
