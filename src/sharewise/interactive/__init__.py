"""The interactive ``sharewise decide``: a calm, keyboard-driven session on a terminal.

Only :mod:`sharewise.interactive.terminal` imports questionary and prompt_toolkit, and only when a
real terminal session starts; the scripted and batch paths never import this package.
"""

from __future__ import annotations

from sharewise.interactive.run import run_interactive

__all__ = ["run_interactive"]
