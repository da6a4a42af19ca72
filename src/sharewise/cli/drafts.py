"""``sharewise drafts ...``: list and delete the drafts of unfinished interactive decisions.

Drafts hold personal information, so the list shows what tells them apart (the questions, the case
reference, when saved, the first answers' labels) and ``delete`` removes one by its id for good.
"""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from sharewise.cli.report import local_today, reported

__all__ = ["drafts_app"]

drafts_app = typer.Typer(
    help="List and delete the drafts of unfinished decisions (see 'sharewise decide --resume').",
    no_args_is_help=True,
    rich_markup_mode=None,
)


def _complete_draft_id(incomplete: str) -> list[str]:
    from sharewise.frontends.drafts import DraftStore

    return [d.id for d in DraftStore().saved() if d.id.startswith(incomplete)]


@drafts_app.command("list")
def drafts_list(
    as_json: Annotated[bool, typer.Option("--json", help="Print the drafts as a JSON list.")] = False,
) -> None:
    """List saved drafts, the most recent first: id, questions, case reference, answers, when saved."""
    from sharewise.frontends.drafts import DraftStore
    from sharewise.interactive.run import draft_title
    from sharewise.trees.library import Library

    with reported(as_json):
        store = DraftStore()
        drafts = store.saved()
        library = Library.default(local_today())
    if as_json:
        rows = [
            {
                "id": d.id,
                "tree": d.tree,
                "title": d.tree_title,
                "case_ref": d.case_ref,
                "answers": len(d.answers),
                "created_at": d.created_at,
                "updated_at": d.updated_at,
            }
            for d in drafts
        ]
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2) + "\n")
        return
    if not drafts:
        print(f"No saved drafts in {store.folder}.", file=sys.stderr)
        return
    for draft in drafts:
        print(f"{draft.id}  {draft_title(draft, library)}")


@drafts_app.command("delete")
def drafts_delete(
    draft_ids: Annotated[
        list[str],
        typer.Argument(
            help="The id of each draft to delete (see 'sharewise drafts list').",
            metavar="ID...",
            autocompletion=_complete_draft_id,
        ),
    ],
) -> None:
    """Delete drafts by id, for good. Exit 2 if an id names no draft (the others are still deleted)."""
    from sharewise.errors import UsageError
    from sharewise.frontends.drafts import DraftStore

    store = DraftStore()
    missing: list[str] = []
    with reported():
        for draft_id in draft_ids:
            if store.delete(draft_id):
                print(f"Deleted draft {draft_id}.")
            else:
                missing.append(draft_id)
        if missing:
            raise UsageError(f"no draft called {', '.join(repr(m) for m in missing)} in {store.folder}")
