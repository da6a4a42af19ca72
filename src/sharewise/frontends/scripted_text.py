"""What ``sharewise decide --no-input`` says in words (without ``--json``): the decision and its
actions, the answers that cannot be accepted, or the next question to answer; and the notice for a
tree past its review date.

The lines hold text from a tree or a case; the command line escapes control characters as it
prints them.
"""

from __future__ import annotations

from typing import Any

from sharewise.frontends.scripted import ScriptedResult
from sharewise.model import Tree

__all__ = ["overdue_notice", "result_lines"]


def overdue_notice(tree: Tree) -> str:
    return (
        f"sharewise: notice: the '{tree.id}' tree was due for review on {tree.next_review.isoformat()}; tell its owner"
    )


def result_lines(result: ScriptedResult) -> tuple[list[str], bool]:
    """The lines that describe ``result``, and whether they belong on standard error (all but a decision)."""
    if result.status == "decided":
        return _decided(result), False
    if result.status == "invalid":
        return _invalid(result.payload), True
    return _incomplete(result.payload["next"]), True


def _decided(result: ScriptedResult) -> list[str]:
    outcome = result.payload["outcome"]
    lines = [f"Decision: {outcome['decision']} - {outcome['title']}"]
    lines += [f"  [ ] {action}" for action in outcome["actions"]]
    return [*lines, f"Record written to {result.path}"]


def _invalid(payload: dict[str, Any]) -> list[str]:
    lines = ["Some answers cannot be accepted:"]
    for error in payload["errors"]:
        asked = f" ({error['question']})" if error.get("question") else ""
        lines.append(f"  {error['id']}{asked}: {error['message']}")
    return lines


def _incomplete(nxt: dict[str, Any]) -> list[str]:
    first = f"Incomplete: the next question is '{nxt['id']}': {nxt['text']}"
    if nxt.get("options"):
        values = ", ".join(o["value"] for o in nxt["options"])
        return [first, f"  answer with --answer {nxt['id']}=VALUE, one of: {values}"]
    if nxt["id"].startswith("sign_off."):
        return [first, "  give --signed-by NAME and --role ROLE"]
    return [first, f"  answer with --answer {nxt['id']}=TEXT ({nxt['kind']})"]
