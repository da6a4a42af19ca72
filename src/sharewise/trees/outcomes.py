"""Reading a tree's outcomes: the decision, its actions, the record questions, a hand-over to another tree."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from sharewise.engine.conditions import Condition
from sharewise.model import DECISIONS, ID_PATTERN, TREE_PREFIX, Action, Decision, Outcome
from sharewise.trees.reader import TreeReader

__all__ = ["OutcomeReader"]

_OUTCOME_KEYS = ("decision", "title", "summary", "source", "actions", "record", "next")
_RECORD_KEYS = ("question", "if")
_ACTION_KEYS = ("text", "if")


class OutcomeReader(TreeReader):
    """Reads ``outcomes``: one :class:`Outcome` per entry."""

    def _outcome(self, outcome_id: str, raw: object, container: Mapping[str, Any]) -> Outcome | None:
        place = f"outcomes.{outcome_id}"
        ok = self.ident(outcome_id, place, container, outcome_id, "an outcome id") is not None
        body = self.mapping(raw, place, container, outcome_id)
        if body is None or not ok:
            return None
        self.keys(body, _OUTCOME_KEYS, place)
        decision = self._decision(body, place)
        title = self.words(self.text(body, "title", place), place, body, "title")
        summary = self.words(self.text(body, "summary", place), place, body, "summary")
        source = self._citation(body, place, required=False) if "source" in body else None
        actions = self._actions(body, place)
        record, record_if = self._record(body, place)
        continues = self._continues(body, place, record) if "next" in body else None
        if None in (decision, title, summary):
            return None
        return Outcome(
            outcome_id,
            cast(Decision, decision),
            cast(str, title),
            cast(str, summary),
            tuple(actions),
            tuple(record),
            source,
            continues,
            f"{place}.next",
            self.lines.of(body, "next") if continues else self.lines.of(container, outcome_id),
            tuple(record_if),
        )

    def _decision(self, body: Mapping[str, Any], place: str) -> str | None:
        decision = body.get("decision")
        if decision is None:
            self.error(f"{place}.decision", f"an outcome needs a 'decision': one of {', '.join(DECISIONS)}", body)
        elif decision not in DECISIONS:
            self.error(
                f"{place}.decision",
                f"unknown decision '{decision}'; expected one of: {', '.join(DECISIONS)}",
                body,
                "decision",
            )
            decision = None
        return cast("str | None", decision)

    def _actions(self, body: Mapping[str, Any], place: str) -> list[Action]:
        """``actions``: each a text, or a mapping with ``text`` and the ``if`` under which it applies."""
        actions: list[Action] = []
        raw_actions = body.get("actions", [])
        if not isinstance(raw_actions, list):
            self.error(f"{place}.actions", "'actions' must be a list", body, "actions")
            raw_actions = []
        for index, item in enumerate(raw_actions):
            aplace = f"{place}.actions[{index}]"
            if isinstance(item, str) and item.strip():
                actions.append(Action(cast(str, self.words(item.strip(), aplace, body, "actions", at=aplace))))
                continue
            action = self.mapping(item, aplace, body, "actions")
            if action is None:
                continue
            self.keys(action, _ACTION_KEYS, aplace)
            text = self.text(action, "text", aplace)
            cond_text = self.text(action, "if", aplace, required=False)
            cond = self._condition(cond_text, f"{aplace}.if", action, "if") if cond_text else None
            if text:
                actions.append(Action(cast(str, self.words(text, aplace, action, "text")), cond, cond_text))
        return actions

    def _record(self, body: Mapping[str, Any], place: str) -> tuple[list[str], list[tuple[str, Condition]]]:
        """``record``: the questions asked for the record, some only under a condition."""
        record: list[str] = []
        record_if: list[tuple[str, Condition]] = []
        raw_record = body.get("record", [])
        if isinstance(raw_record, str):
            raw_record = [raw_record]
        if not isinstance(raw_record, list):
            self.error(f"{place}.record", "'record' must be a list of question ids", body, "record")
            raw_record = []
        for index, item in enumerate(raw_record):
            rplace = f"{place}.record[{index}]"
            if isinstance(item, dict):
                self.keys(item, _RECORD_KEYS, rplace)
                qid = self.ident(item.get("question"), f"{rplace}.question", item, "question", "a record question id")
                cond_text = self.text(item, "if", rplace)
                cond = self._condition(cond_text, f"{rplace}.if", item, "if") if cond_text else None
                if qid is not None and cond is not None:
                    record.append(qid)
                    record_if.append((qid, cond))
                continue
            qid = self.ident(item, rplace, body, "record", "a record question id")
            if qid is not None:
                record.append(qid)
        return record, record_if

    def _continues(self, body: Mapping[str, Any], place: str, record: list[str]) -> str | None:
        """``next: tree:ID``: the tree the decision is handed on to."""
        continues = None
        raw_next = body["next"]
        if not (isinstance(raw_next, str) and raw_next.strip().startswith(TREE_PREFIX)):
            self.error(
                f"{place}.next",
                "an outcome's 'next' can only hand the decision on to another tree: 'tree:ID'",
                body,
                "next",
            )
        else:
            continues = raw_next.strip()[len(TREE_PREFIX) :]
            if not ID_PATTERN.match(continues):
                self.error(
                    f"{place}.next",
                    f"'{raw_next}' does not name a tree: write 'tree:' then the tree id",
                    body,
                    "next",
                )
                continues = None
            elif record:
                self.error(
                    f"{place}.record",
                    "an outcome that hands on to another tree asks no record questions; ask them in that tree",
                    body,
                    "record",
                )
        self._origin(f"{place}.next", body, "next")
        return continues
