"""Building a :class:`~sharewise.model.Tree` from a tree file's parsed data: the header and sources,
then the questions and outcomes, then the checks across them.

:class:`TreeBuilder` walks the data once, normalising the short forms and keeping every problem
(it is a :class:`~sharewise.diagnostics.Collector`). It is made of the readers of each part:
:class:`~sharewise.trees.questions.QuestionReader`, :class:`~sharewise.trees.outcomes.OutcomeReader`
and :class:`~sharewise.trees.checks.CrossChecks`, which share :class:`~sharewise.trees.reader.TreeReader`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any, NamedTuple, cast

from sharewise.model import ID_PATTERN, Outcome, Question, Route, Source, Tree
from sharewise.trees.checks import CrossChecks
from sharewise.trees.outcomes import OutcomeReader
from sharewise.trees.questions import QuestionReader

__all__ = ["FORMAT", "MAX_NODES", "TreeBuilder"]

FORMAT = "sharewise-tree/1"
MAX_NODES = 250_000

_TOP_KEYS = {
    "format": True, "id": True, "title": True, "description": True, "version": True,
    "owner": True, "reviewed": True, "next_review": True, "sources": True, "start": False,
    "nodes": True, "outcomes": True,
}  # fmt: skip
_SOURCE_KEYS = ("title", "url")


class _Header(NamedTuple):
    """The tree's own fields; each is None when it is missing or wrong (and reported)."""

    id: str | None
    title: str | None
    description: str | None
    version: str | None
    owner: str | None
    reviewed: date | None
    next_review: date | None


class TreeBuilder(QuestionReader, OutcomeReader, CrossChecks):
    """Walks the parsed data once, normalising short forms and recording every problem."""

    def build(self, data: object) -> Tree | None:
        if not isinstance(data, dict):
            self.at(1, "", "a tree file must be a mapping with 'id', 'nodes' and 'outcomes'")
            return None
        top: Mapping[str, Any] = data
        header = self._header(top)
        self._sources(top.get("sources"), top)
        sections = self._sections(top)
        if sections is None:
            return None
        raw_nodes, raw_outcomes = sections
        questions, outcomes = self._parts(top, raw_nodes, raw_outcomes)
        start, start_routes = self._start(top, raw_nodes)

        self._check_conditions(questions)
        self._check_routes(questions, outcomes, raw_nodes, raw_outcomes)
        if start is not None and start in questions:
            roots = [start, *(r.target for r in start_routes if r.target in questions)]
            self._check_graph(roots, questions, outcomes, raw_nodes, raw_outcomes)

        if self.has_errors() or None in (*header, start):
            return None
        return Tree(
            id=cast(str, header.id),
            title=cast(str, header.title),
            description=cast(str, header.description),
            version=cast(str, header.version),
            owner=cast(str, header.owner),
            reviewed=cast(date, header.reviewed),
            next_review=cast(date, header.next_review),
            sources=self.sources,
            start=cast(str, start),
            questions=questions,
            outcomes=outcomes,
            start_routes=start_routes,
            refs=tuple(self.refs),
            settings=self.settings,
        )

    # -- the header ------------------------------------------------------------------------
    def _header(self, top: Mapping[str, Any]) -> _Header:
        self.keys(top, _TOP_KEYS, "")
        for key, required in _TOP_KEYS.items():
            if required and key not in top:
                self.error(key, f"'{key}' is required", top)
        fmt = self.text(top, "format", "")
        if fmt is not None and fmt != FORMAT:
            self.error(
                "format", f"unsupported format '{fmt}'; this version of sharewise reads '{FORMAT}'", top, "format"
            )
        tree_id = self.ident(top.get("id"), "id", top, "id", "the tree id") if "id" in top else None
        title = self.text(top, "title", "")
        description = self.text(top, "description", "")
        if description and "\n" in description:
            self.error("description", "'description' must be one line", top, "description")
        version = self.text(top, "version", "")
        owner = self.text(top, "owner", "")
        reviewed = self.day(top, "reviewed")
        next_review = self.day(top, "next_review")
        if reviewed and next_review and next_review < reviewed:
            self.error("next_review", "'next_review' is before 'reviewed'", top, "next_review")
        if next_review and self.today and next_review < self.today:
            self.warning(
                "next_review",
                f"the review due on {next_review.isoformat()} has passed; review the content and update the dates",
                top,
                "next_review",
            )
        return _Header(tree_id, title, description, version, owner, reviewed, next_review)

    def _sources(self, raw: object, top: Mapping[str, Any]) -> None:
        if "sources" not in top:
            return
        sources = self.mapping(raw, "sources", top, "sources")
        if sources is None:
            return
        if not sources:
            self.error("sources", "list at least one source the tree cites", top, "sources")
        for ref, spec in sources.items():
            place = f"sources.{ref}"
            if self.ident(ref, place, sources, ref, "a source ref") is None:
                continue
            if isinstance(spec, str):
                self.sources[ref] = Source(ref, spec.strip())
                continue
            body = self.mapping(spec, place, sources, ref)
            if body is None:
                continue
            self.keys(body, _SOURCE_KEYS, place)
            title = self.text(body, "title", place)
            url = self.text(body, "url", place, required=False)
            if url and not url.startswith(("https://", "http://")):
                self.error(f"{place}.url", "'url' must start with https:// or http://", body, "url")
            if title:
                self.sources[ref] = Source(ref, title, url or None)

    # -- questions and outcomes ------------------------------------------------------------
    def _sections(self, top: Mapping[str, Any]) -> tuple[Mapping[str, Any], Mapping[str, Any]] | None:
        """``nodes`` and ``outcomes`` as mappings (empty when wrong); None for a tree too large to read."""
        raw_nodes = self.mapping(top.get("nodes"), "nodes", top, "nodes") if "nodes" in top else None
        raw_outcomes = self.mapping(top.get("outcomes"), "outcomes", top, "outcomes") if "outcomes" in top else None
        raw_nodes = raw_nodes or {}
        raw_outcomes = raw_outcomes or {}
        if len(raw_nodes) + len(raw_outcomes) > MAX_NODES:
            self.error("nodes", f"a tree may hold at most {MAX_NODES} nodes and outcomes", top, "nodes")
            return None
        if "nodes" in top and not raw_nodes and isinstance(top.get("nodes"), dict):
            self.error("nodes", "a tree needs at least one question", top, "nodes")
        self.node_ids = {k for k in raw_nodes if ID_PATTERN.match(k)}
        self.outcome_ids = {k for k in raw_outcomes if ID_PATTERN.match(k)}
        for clash in sorted(self.node_ids & self.outcome_ids):
            self.error(
                f"outcomes.{clash}",
                f"'{clash}' is both a question and an outcome; ids must be unique",
                raw_outcomes,
                clash,
            )
        return raw_nodes, raw_outcomes

    def _parts(
        self, top: Mapping[str, Any], raw_nodes: Mapping[str, Any], raw_outcomes: Mapping[str, Any]
    ) -> tuple[dict[str, Question], dict[str, Outcome]]:
        questions: dict[str, Question] = {}
        for node_id, raw in raw_nodes.items():
            question = self._question(node_id, raw, raw_nodes)
            if question is not None:
                questions[question.id] = question
        outcomes: dict[str, Outcome] = {}
        for outcome_id, raw in raw_outcomes.items():
            outcome = self._outcome(outcome_id, raw, raw_outcomes)
            if outcome is not None:
                outcomes[outcome.id] = outcome
        if "outcomes" in top and not raw_outcomes and isinstance(top.get("outcomes"), dict):
            self.error("outcomes", "a tree needs at least one outcome", top, "outcomes")
        return questions, outcomes

    # -- the start -------------------------------------------------------------------------
    def _start(self, top: Mapping[str, Any], raw_nodes: Mapping[str, Any]) -> tuple[str | None, tuple[Route, ...]]:
        """The start question (the first in 'nodes' unless 'start' says), and any conditional starts."""
        start = None
        start_routes: tuple[Route, ...] = ()
        if isinstance(top.get("start"), list):
            start_routes = self._routes(top["start"], "start", top, "start")
            start = self._check_start(start_routes, raw_nodes)
        elif "start" in top:
            start = self.ident(top["start"], "start", top, "start", "'start'")
            if start is not None and start not in raw_nodes:
                self.error("start", f"'start' names '{start}', which is not a question in 'nodes'", top, "start")
                start = None
        elif raw_nodes:
            start = next(iter(raw_nodes))
        return start, start_routes

    def _check_start(self, routes: tuple[Route, ...], raw_nodes: Mapping[str, Any]) -> str | None:
        """The default start of a conditional ``start``; every target must be a question here."""
        for route in routes:
            if route.tree is not None or route.target not in raw_nodes:
                self._route_error(route, f"'start' can lead only to a question in 'nodes', not '{route.target}'")
                return None
        return routes[-1].target if routes else None
