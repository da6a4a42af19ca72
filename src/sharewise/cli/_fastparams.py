"""Plain text and path parameters without pydantic: a start-up saving for every command.

Recent typer releases coerce each parameter value through a pydantic ``TypeAdapter``. Importing
pydantic and building the adapters costs more than the rest of a scripted decision (about 0.2 s
of a 0.4 s run), yet sharewise's parameters are plain text, paths and lists of them, which need no
such machinery. :func:`install` gives exactly those parameters a direct coercion with the same
result, using typer's own path checks (so its messages are unchanged); every other parameter
(enums, numbers, parsers, dash-as-stdin paths) is left to typer.

The hook is on private typer internals, so it checks for each one it uses and does nothing when
they are not there: a typer that changes them is simply slower, never wrong.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = ["install"]

_INSTALLED = "_sharewise_fast_params"
_LEAVES = (str, Path, bool)


def install() -> bool:
    """Hook typer's parameter coercion; True when the hook is in place."""
    try:
        from typer import _coercion, _param_types, core
    except ImportError:  # pragma: no cover - a typer without these internals
        return False
    parameter = getattr(core, "_TyperParameter", None)
    runtime = getattr(_coercion, "RuntimeParam", None)
    check_path = getattr(_param_types, "coerce_cli_path", None)
    original = getattr(parameter, "get_runtime_param", None)
    if parameter is None or runtime is None or check_path is None or original is None:  # pragma: no cover
        return False
    if getattr(original, _INSTALLED, False):
        return True

    class _Direct(runtime):  # type: ignore[misc,valid-type]
        """Coerce text, paths and flags (or lists of text or paths) directly; anything unusual goes to typer."""

        def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
            if self.annotation in _LEAVES:
                return _leaf(self.annotation, value, self.parameter_info, param, ctx)
            item = self.annotation.__args__[0]
            items = value if isinstance(value, (list, tuple)) else [value]
            return [_leaf(item, v, self.parameter_info, param, ctx) for v in items]

    def _leaf(kind: type, value: Any, info: Any, param: Any, ctx: Any) -> Any:
        if (kind is str and isinstance(value, str)) or (kind is bool and isinstance(value, bool)):
            return value
        if kind is Path and isinstance(value, (str, Path)):
            path = Path(value)
            if isinstance(value, Path) or str(path) == value:  # "", "a/", "./a": typer's own way, for its messages
                return check_path(path, info, path_type=Path, param=param, ctx=ctx)
        # Not plain text (values from a command line always are): let typer coerce it its own way.
        descriptor = _coercion.resolve_type_descriptor(kind, info)
        return _coercion.build_runtime_param(descriptor)._coerce_value(value, param=param, ctx=ctx)

    def get_runtime_param(self: Any) -> Any:
        if getattr(self, "_runtime_param", None) is None and _plain(self):
            descriptor = self.type_descriptor
            self._runtime_param = _Direct(parameter_info=descriptor.parameter_info, annotation=descriptor.annotation)
        return original(self)

    setattr(get_runtime_param, _INSTALLED, True)
    get_runtime_param.__wrapped__ = original  # type: ignore[attr-defined]  # typer's own, for tests
    parameter.get_runtime_param = get_runtime_param
    return True


def _plain(param: Any) -> bool:
    """True for a ``str``, ``Path`` or ``bool`` parameter (or a list of text or paths) with no parser or dash."""
    descriptor = getattr(param, "type_descriptor", None)
    info = getattr(descriptor, "parameter_info", None)
    if descriptor is None or info is None:  # pragma: no cover - a typer without these internals
        return False
    if getattr(info, "parser", None) is not None or getattr(info, "allow_dash", False):
        return False
    if getattr(info, "path_type", None) not in (None, Path):
        return False
    if getattr(descriptor, "file_annotation", None) is not None:
        return False
    annotation = descriptor.annotation
    if annotation in _LEAVES:
        return True
    args: tuple[Any, ...] = getattr(annotation, "__args__", ())
    return getattr(annotation, "__origin__", None) is list and len(args) == 1 and args[0] in (str, Path)
