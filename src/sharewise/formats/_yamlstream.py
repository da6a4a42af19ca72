"""A YAML loader that hands over one list item at a time, for cases files of any length.

PyYAML's loaders build a whole document before returning it. This one pairs libyaml's event parser
(when PyYAML has it) with PyYAML's node composer, so the caller can compose and construct the items
of a top-level list one by one. It reads scalars as :mod:`sharewise.formats.yamlio` does (``yes`` and
``no`` stay words, dates and decimals stay text) and rejects a key given twice in one mapping.
"""

from __future__ import annotations

import re
from typing import IO, Any

import yaml
from yaml.composer import Composer
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.resolver import Resolver

from sharewise.formats.yamlio import MAX_INT_DIGITS

__all__ = ["case_loader"]

_BOOL = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_INT = re.compile(rf"^[-+]?(?:0|[1-9][0-9]{{0,{MAX_INT_DIGITS - 1}}})$")  # longer: text, as yamlio reads it
_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")


class _CaseResolver(Resolver):
    yaml_implicit_resolvers: dict[Any, Any] = {}  # noqa: RUF012 - PyYAML's class-level registry


_CaseResolver.add_implicit_resolver("tag:yaml.org,2002:bool", _BOOL, list("tTfF"))
_CaseResolver.add_implicit_resolver("tag:yaml.org,2002:int", _INT, list("-+0123456789"))
_CaseResolver.add_implicit_resolver("tag:yaml.org,2002:null", _NULL, ["~", "n", "N", ""])


class _CaseConstructor(SafeConstructor):
    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                first = seen.get(key)
            except TypeError:
                raise ConstructorError(None, None, "a key must be a plain word", key_node.start_mark) from None
            if first is not None:
                raise ConstructorError(
                    None, None, f"duplicate key '{key}' (first given on line {first})", key_node.start_mark
                )
            seen[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep=deep)


def _as_text(loader: Any, node: yaml.ScalarNode) -> str:
    return str(loader.construct_scalar(node))


_CaseConstructor.add_constructor("tag:yaml.org,2002:timestamp", _as_text)
_CaseConstructor.add_constructor("tag:yaml.org,2002:float", _as_text)


try:  # libyaml's event parser, several times faster than PyYAML's own
    from yaml._yaml import CParser

    _LIBYAML = True
except ImportError:  # pragma: no cover - depends on the PyYAML build
    _LIBYAML = False

if _LIBYAML:

    class _CaseLoader(CParser, Composer, _CaseConstructor, _CaseResolver):
        def __init__(self, stream: IO[bytes]) -> None:
            CParser.__init__(self, stream)
            Composer.__init__(self)
            _CaseConstructor.__init__(self)
            _CaseResolver.__init__(self)

else:  # pragma: no cover - depends on the PyYAML build
    from yaml.parser import Parser
    from yaml.reader import Reader
    from yaml.scanner import Scanner

    class _CaseLoader(Reader, Scanner, Parser, Composer, _CaseConstructor, _CaseResolver):  # type: ignore[no-redef]
        def __init__(self, stream: IO[bytes]) -> None:
            Reader.__init__(self, stream)
            Scanner.__init__(self)
            Parser.__init__(self)
            Composer.__init__(self)
            _CaseConstructor.__init__(self)
            _CaseResolver.__init__(self)


def case_loader(stream: IO[bytes]) -> Any:
    """A loader over ``stream``: libyaml's events, with ``compose_node`` and ``construct_document``."""
    return _CaseLoader(stream)
