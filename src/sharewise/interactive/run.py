"""``sharewise decide`` on a terminal: settings, the tree or draft menu, then one :class:`Session`.

The command line calls :func:`run_interactive` with its flags. Tests pass a fake prompter, a
recording console and a fixed clock through the keyword-only extras; the real questionary prompter
is imported only when none is given.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from rich.console import Console

from sharewise.config import load_config, sign_off_defaults
from sharewise.engine.walk import Engine
from sharewise.errors import EXIT_INCOMPLETE, EXIT_OK, EXIT_USAGE, EXIT_WRITE_FAILED, SharewiseError, UsageError
from sharewise.frontends.drafts import Draft, DraftStore
from sharewise.interactive.prompter import BACK, BACK_KEY_NAME, Choice, Prompter, SessionStopped
from sharewise.interactive.screen import Screen, shorten
from sharewise.interactive.session import Session
from sharewise.model import Tree
from sharewise.records.build import SignOff
from sharewise.records.store import records_dir as resolve_records_dir
from sharewise.records.store import write_record
from sharewise.trees.library import Library
from sharewise.trees.review import overdue

__all__ = ["DEFAULT_TREE", "draft_title", "first_answers", "run_interactive"]

DEFAULT_TREE = "when-to-share"
_EXIT = {"written": EXIT_OK, "stopped": EXIT_INCOMPLETE, "failed": EXIT_WRITE_FAILED}


def run_interactive(
    *,
    tree: str | None = None,
    signed_by: str | None = None,
    role: str | None = None,
    organisation: str | None = None,
    case_ref: str | None = None,
    out: Path | None = None,
    records_dir: Path | None = None,
    resume: bool = False,
    plain: bool = False,
    prompter: Prompter | None = None,
    console: Console | None = None,
    now: Callable[[], datetime] | None = None,
) -> int:
    """Run one interactive decision and return the exit code (0 written, 3 stopped, 1 not written).

    Known problems (an unknown tree, a bad config file) are raised as :class:`SharewiseError` for
    the command line to report.
    """
    plain = plain or bool(os.environ.get("NO_COLOR"))
    clock = now or (lambda: datetime.now().astimezone())
    config = load_config()
    if out is not None and out.exists():
        raise UsageError(f"{out} already exists; sharewise never overwrites a record")
    if console is None:
        from sharewise.formats.console import make_console

        console = make_console(plain)
    screen = Screen(console, plain=plain)
    if prompter is None:
        from sharewise.interactive.terminal import QuestionaryPrompter

        prompter = QuestionaryPrompter(plain=plain)
    today = clock().date()
    library = Library.default(today, config=config)
    store = DraftStore()
    draft: Draft | None = None
    try:
        if resume:
            draft = _choose_draft(store, prompter, screen, tree, library)
            if draft is None:
                return EXIT_USAGE if not store.saved() else EXIT_INCOMPLETE
            start = library.get(draft.tree)
        else:
            start = library.get(tree) if tree else _choose_tree(library, prompter, screen)
    except SessionStopped:
        screen.stopped(0, draft_saved=False)
        return EXIT_INCOMPLETE
    engine = Engine(start, library.get)
    if draft is None:
        screen.welcome(start, BACK_KEY_NAME)
    for reached in overdue(engine.reachable_trees(), today):
        screen.overdue(reached)
    folder = resolve_records_dir(records_dir, config.records_dir)

    def write(record: dict[str, Any]) -> Path:
        return write_record(record, out=out, folder=None if out else folder)

    session = Session(
        engine,
        prompter,
        screen,
        write=write,
        now=clock,
        drafts=store,
        draft=draft,
        sign_off=sign_off_defaults(config).merged(SignOff(signed_by, role, organisation)),
        case_ref=case_ref,
    )
    return _EXIT[session.run().status]


def _choose_tree(library: Library, prompter: Prompter, screen: Screen) -> Tree:
    choices: list[Choice] = []
    unusable: list[tuple[str, Path]] = []
    for tree_id, path in library.files():
        loaded = library.read(path).tree
        if loaded is None or any(d.severity == "error" for d in library.check(path)):
            unusable.append((tree_id, path))  # the menu offers only usable trees, and says which are not
            continue
        choices.append(Choice(loaded.title, tree_id, loaded.description))
    if unusable:
        names = "; ".join(f"{tree_id} ({path})" for tree_id, path in unusable)
        screen.say(
            f"Not available until fixed: {names}. Run 'sharewise trees validate' to see what is wrong with each; "
            "an overlay that is broken also stops the trees that continue into it."
        )
    if not choices:
        raise UsageError("no valid decision trees were found; run 'sharewise trees validate'")
    choices.sort(key=lambda c: c.value != DEFAULT_TREE)  # the usual starting point first
    default = choices[0].value
    picked = prompter.select("Which questions do you want to work through?", choices, default=default)
    return library.get(str(picked))


def _choose_draft(
    store: DraftStore, prompter: Prompter, screen: Screen, tree: str | None, library: Library
) -> Draft | None:
    while True:
        drafts = [d for d in store.saved() if tree is None or d.tree == tree]
        if not drafts:
            which = f" for '{tree}'" if tree else ""
            screen.say(f"There are no saved drafts{which} to resume. Start a new decision with: sharewise decide")
            return None
        choices = [Choice(draft_title(d, library), d.id) for d in drafts]
        choices += [Choice("Delete a draft", _DELETE), Choice("Cancel", "")]
        picked = prompter.select("Which draft do you want to carry on with?", choices, default=drafts[0].id)
        if picked == _DELETE:
            _delete_draft(store, prompter, screen, drafts, library)
            continue
        if not picked:
            screen.say("Nothing resumed; your drafts are unchanged.")
            return None
        return next(d for d in drafts if d.id == picked)


_DELETE = "\x00delete"


def _delete_draft(store: DraftStore, prompter: Prompter, screen: Screen, drafts: list[Draft], library: Library) -> None:
    choices = [Choice(draft_title(d, library), d.id) for d in drafts]
    picked = prompter.select("Which draft do you want to delete?", choices, back="Back to the list of drafts")
    if picked is BACK:
        return
    chosen = next(d for d in drafts if d.id == picked)
    if prompter.confirm("Delete this draft? Its answers cannot be brought back", default=False):
        store.delete(chosen.id)
        screen.say("Draft deleted.")
    else:
        screen.say("Nothing deleted.")


def draft_title(draft: Draft, library: Library | None = None) -> str:
    """One line that tells drafts apart: the questions, the case reference, when, and the first answers."""
    count = len(draft.answers)
    saved = draft.updated_at.replace("T", " ")[:16]
    ref = f" · case {draft.case_ref}" if draft.case_ref else ""
    first = first_answers(draft, library) if library is not None else ""
    return f"{draft.tree_title}{ref} · {count} answer{'s' if count != 1 else ''}, saved {saved}" + (
        f" · {first}" if first else ""
    )


def first_answers(draft: Draft, library: Library, count: int = 2) -> str:
    """The labels of the draft's first ``count`` answers in the order they were asked, shortened."""
    try:
        engine = Engine(library.get(draft.tree), library.get)
        walk = engine.walk(draft.answers)
    except SharewiseError:
        return ""
    return "; ".join(shorten(step.label, 32) for step in walk.path[:count] if step.label)
