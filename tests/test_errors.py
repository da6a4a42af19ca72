"""Every exception sharewise raises for a user to read is a SharewiseError, and says when it is raised."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import sharewise
from sharewise.errors import SharewiseError

#: Signals between the prompter and the session (a key pressed, input closed): never shown as errors.
CONTROL_FLOW = {
    "sharewise.interactive.fake.ScriptExhausted",
    "sharewise.interactive.prompter.MoreHelpWanted",
    "sharewise.interactive.prompter.SessionStopped",
    "sharewise.interactive.prompter.Interrupted",
    "sharewise.interactive.prompter.InputClosed",
    "sharewise.interactive.session._Paused",
    "sharewise.formats.yamlio._NotPlain",  # never leaves the module: the composed way reads the file
}


def _exceptions() -> dict[str, type[BaseException]]:
    found: dict[str, type[BaseException]] = {}
    for module_info in pkgutil.walk_packages(sharewise.__path__, "sharewise."):
        if module_info.name.endswith("__main__"):
            continue
        module = importlib.import_module(module_info.name)
        for name, value in vars(module).items():
            if inspect.isclass(value) and issubclass(value, BaseException) and value.__module__ == module.__name__:
                found[f"{module.__name__}.{name}"] = value
    return found


def test_every_error_is_under_the_root_and_has_a_docstring() -> None:
    found = _exceptions()
    assert "sharewise.records.verify.RecordUnreadable" in found  # the walk sees the subpackages
    outside = sorted(n for n, cls in found.items() if not issubclass(cls, SharewiseError) and n not in CONTROL_FLOW)
    assert outside == []
    undocumented = sorted(n for n, cls in found.items() if not (cls.__doc__ or "").strip())
    assert undocumented == []


def test_the_control_flow_list_names_only_classes_that_exist() -> None:
    assert set(_exceptions()) >= CONTROL_FLOW
