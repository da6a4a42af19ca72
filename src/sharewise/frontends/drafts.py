"""Drafts: the answers of an unfinished interactive decision, kept so it can be resumed.

Drafts hold personal information, so they are treated like records: one JSON file per draft in a
folder only the owner can open (0700), each file readable only by its owner (0600), replaced
atomically (:func:`sharewise.records.safefiles.replace_file`: a temporary file, flushed, renamed)
so a crash leaves the old draft or the new one, never half of either. The folder is
``$SHAREWISE_DRAFTS_DIR``, else ``$XDG_STATE_HOME/sharewise/drafts``, else
``~/.local/state/sharewise/drafts``.

A draft is deleted once its record is written.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from sharewise.engine.walk import AnswerValue
from sharewise.errors import UsageError, WriteFailed
from sharewise.records.safefiles import make_private_folder, replace_file

__all__ = ["DRAFTS_ENV", "DRAFT_FORMAT", "Draft", "DraftStore", "default_drafts_dir", "new_draft_id"]

DRAFT_FORMAT = "sharewise-draft/1"
DRAFTS_ENV = "SHAREWISE_DRAFTS_DIR"
_ID = re.compile(r"^[0-9A-Za-z-]{6,64}$")


def default_drafts_dir() -> Path:
    """``$SHAREWISE_DRAFTS_DIR``, else ``$XDG_STATE_HOME/sharewise/drafts``, else under ``~/.local/state``."""
    explicit = os.environ.get(DRAFTS_ENV, "").strip()
    if explicit:
        return Path(explicit).expanduser()
    base = os.environ.get("XDG_STATE_HOME", "").strip() or str(Path.home() / ".local" / "state")
    return Path(base).expanduser() / "sharewise" / "drafts"


def new_draft_id(now: datetime) -> str:
    """``20261122-143005-1a2b3c``: sortable by when the decision was started, and unique."""
    return f"{now.strftime('%Y%m%d-%H%M%S')}-{os.urandom(3).hex()}"


@dataclass(frozen=True, slots=True)
class Draft:
    """An unfinished decision: the tree it started from and the answers given so far."""

    id: str
    tree: str
    tree_title: str
    tree_version: str
    tree_sha256: str
    created_at: str
    updated_at: str
    answers: Mapping[str, AnswerValue] = field(default_factory=dict)
    case_ref: str | None = None

    def updated(self, answers: Mapping[str, AnswerValue], now: datetime, case_ref: str | None) -> Draft:
        return replace(self, answers=dict(answers), updated_at=now.isoformat(timespec="seconds"), case_ref=case_ref)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": DRAFT_FORMAT,
            "id": self.id,
            "tree": {
                "id": self.tree,
                "title": self.tree_title,
                "version": self.tree_version,
                "sha256": self.tree_sha256,
            },
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "case_ref": self.case_ref,
            "answers": dict(self.answers),
        }

    @classmethod
    def from_json(cls, data: object, where: str) -> Draft:
        """Read a draft file's data; raise :class:`ValueError` naming ``where`` if it is not one."""
        if not isinstance(data, dict) or data.get("format") != DRAFT_FORMAT:
            raise ValueError(f"{where} is not a sharewise draft")
        tree = data.get("tree")
        answers = data.get("answers")
        if not isinstance(tree, dict) or not isinstance(answers, dict):
            raise ValueError(f"{where} is not a complete sharewise draft")
        clean: dict[str, AnswerValue] = {}
        for key, value in answers.items():
            if isinstance(value, str) or (isinstance(value, list) and all(isinstance(v, str) for v in value)):
                clean[str(key)] = value
        return cls(
            id=str(data.get("id", "")),
            tree=str(tree.get("id", "")),
            tree_title=str(tree.get("title", "")),
            tree_version=str(tree.get("version", "")),
            tree_sha256=str(tree.get("sha256", "")),
            created_at=str(data.get("created_at", "")),
            updated_at=str(data.get("updated_at", "")),
            answers=clean,
            case_ref=data.get("case_ref") if isinstance(data.get("case_ref"), str) else None,
        )


class DraftStore:
    """The drafts folder: save, list, load and delete drafts, owner-only and atomically."""

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = default_drafts_dir() if folder is None else folder

    def _file(self, draft_id: str) -> Path:
        if not _ID.match(draft_id):
            raise UsageError(f"'{draft_id}' is not a draft id")
        return self.folder / f"{draft_id}.json"

    def save(self, draft: Draft) -> Path:
        """Write ``draft``, replacing its earlier version atomically."""
        target = self._file(draft.id)
        self._ensure_folder()
        data = (json.dumps(draft.to_json(), ensure_ascii=False, indent=2) + "\n").encode("utf-8")
        try:
            replace_file(target, data, fsync=True)
        except OSError as exc:
            raise WriteFailed(f"cannot save the draft in {self.folder}: {exc.strerror or exc}") from exc
        return target

    def saved(self) -> list[Draft]:
        """Every readable draft, the most recently saved first; unreadable files are skipped."""
        if not self.folder.is_dir():
            return []
        drafts: list[Draft] = []
        for path in self.folder.glob("*.json"):
            try:
                drafts.append(self._read(path))
            except (ValueError, OSError):
                continue
        return sorted(drafts, key=lambda d: (d.updated_at, d.id), reverse=True)

    def load(self, draft_id: str) -> Draft:
        path = self._file(draft_id)
        try:
            return self._read(path)
        except FileNotFoundError:
            raise UsageError(f"no draft called '{draft_id}' in {self.folder}") from None
        except ValueError as exc:
            raise UsageError(str(exc)) from None

    def delete(self, draft_id: str) -> bool:
        """Remove the draft ``draft_id``; False when there was none."""
        try:
            self._file(draft_id).unlink()
        except FileNotFoundError:
            return False
        return True

    def _read(self, path: Path) -> Draft:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ValueError(f"cannot read the draft {path}: {exc}") from None
        except (ValueError, RecursionError):  # a number too long for Python, or nesting too deep
            raise ValueError(f"cannot read the draft {path}: it is not a draft sharewise wrote") from None
        draft = Draft.from_json(data, str(path))
        if draft.id != path.stem:
            raise ValueError(f"{path} does not match the draft id inside it")
        return draft

    def _ensure_folder(self) -> None:
        try:
            make_private_folder(self.folder)  # each folder made is 0700, whatever the umask
            if self.folder.stat().st_mode & 0o077:
                self.folder.chmod(0o700)
        except OSError as exc:
            raise WriteFailed(f"cannot create the drafts folder {self.folder}: {exc.strerror or exc}") from exc
