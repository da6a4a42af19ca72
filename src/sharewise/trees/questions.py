"""Reading a tree's questions: their kind, options, routes and the rules on their answers.

Each question is checked on its own here; whether its routes lead anywhere is checked once every
question and outcome is read (:mod:`sharewise.trees.checks`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from sharewise.engine.conditions import Condition
from sharewise.model import CONTINUED_FROM, ID_PATTERN, KINDS, Citation, CrossRef, Kind, Option, Question, Route
from sharewise.trees.reader import SETTINGS, TreeReader

__all__ = ["QuestionReader"]

_NODE_KEYS = (
    "ask", "help", "source", "section", "kind", "options", "next", "min_length", "multiline",
    "optional", "detail", "same_as", "map", "setting",
)  # fmt: skip
_OPTION_KEYS = ("label", "help", "next", "if")
_ROUTE_KEYS = ("if", "to")
_MULTI_ROUTES = "options of a 'multi' question cannot route; give 'next' on the question"


def _title_case(value: str) -> str:
    label = _LABELS.get(value)
    if label is None:
        words = value.replace("-", " ").replace("_", " ").strip()
        label = words[:1].upper() + words[1:]
        if len(_LABELS) < 1024:  # the same few values (yes, no, not-sure) come back in every question
            _LABELS[value] = label
    return label


_LABELS: dict[str, str] = {}


class QuestionReader(TreeReader):
    """Reads ``nodes``: one :class:`Question` per entry, and routes wherever they are written."""

    def _question(self, node_id: str, raw: object, container: Mapping[str, Any]) -> Question | None:
        place = f"nodes.{node_id}"
        ok = self.ident(node_id, place, container, node_id, "a question id") is not None
        body = self.mapping(raw, place, container, node_id)
        if body is None or not ok:
            return None
        self.keys(body, _NODE_KEYS, place)
        self._origin(place, container, node_id)
        ask = self.words(self.text(body, "ask", place), place, body, "ask")
        help_text = self.words(self.text(body, "help", place), place, body, "help")
        source = self._citation(body, place, required=True)
        section = self.text(body, "section", place, required=False)
        kind = self._kind(body, place)
        node_routes = self._routes(body.get("next"), f"{place}.next", body, "next") if "next" in body else ()
        options = self._question_options(kind, body, place, node_routes)
        min_length, multiline, optional = self._answer_rules(kind, body, place)
        detail = None
        if "detail" in body:
            detail = self.ident(body["detail"], f"{place}.detail", body, "detail", "'detail'")
        same_as, carry_map = self._same_as(node_id, body, place)
        setting, preset = self._setting(body, place, options)
        if node_id == CONTINUED_FROM:
            self.error(
                place, f"'{CONTINUED_FROM}' is kept for conditions; give the question another id", container, node_id
            )
        if None in (ask, help_text, source, kind):
            return None
        return Question(
            id=node_id,
            ask=cast(str, ask),
            help=cast(str, help_text),
            source=cast(Citation, source),
            kind=cast(Kind, kind),
            section=section,
            options=options,
            routes=() if kind == "choice" else node_routes,
            min_length=min_length,
            multiline=multiline,
            optional=optional,
            detail=detail,
            line=self.lines.of(container, node_id),
            same_as=same_as,
            carry_map=carry_map,
            setting=setting,
            preset=preset,
        )

    def _kind(self, body: Mapping[str, Any], place: str) -> Kind | None:
        """The question's ``kind`` (``choice`` when it gives options and no kind)."""
        kind_raw = body.get("kind", "choice" if "options" in body else None)
        if kind_raw is None:
            self.error(
                f"{place}.kind",
                f"say what kind of answer this is: 'kind' one of {', '.join(KINDS)}, or give 'options'",
                body,
            )
            return None
        if kind_raw not in KINDS:
            self.error(f"{place}.kind", f"unknown kind '{kind_raw}'; expected one of: {', '.join(KINDS)}", body, "kind")
            return None
        return cast(Kind, kind_raw)

    def _question_options(
        self, kind: Kind | None, body: Mapping[str, Any], place: str, node_routes: tuple[Route, ...]
    ) -> tuple[Option, ...]:
        """The options of a ``choice`` or ``multi`` question; every other kind takes none."""
        options: tuple[Option, ...] = ()
        if kind in ("choice", "multi"):
            if "options" not in body:
                self.error(f"{place}.options", f"a '{kind}' question needs 'options'", body)
            else:
                options = self._options(body["options"], place, body, kind == "choice", node_routes)
        elif "options" in body and kind is not None:
            self.error(f"{place}.options", f"a '{kind}' question takes no 'options'", body, "options")
        if kind == "choice" and options:
            routed = [o for o in options if o.routes]
            if routed and len(routed) != len(options) and not node_routes:
                for option in options:
                    if not option.routes:
                        self.error(
                            f"{place}.options.{option.value}.next",
                            "this option has no 'next', and the question has no 'next' to fall back on",
                            body.get("options"),
                            option.value,
                        )
        return options

    def _answer_rules(self, kind: Kind | None, body: Mapping[str, Any], place: str) -> tuple[int, bool, bool]:
        """``min_length``, ``multiline`` and ``optional``, each allowed only for some kinds."""
        min_length = 0
        if "min_length" in body:
            value = body["min_length"]
            if kind != "text":
                self.error(f"{place}.min_length", "'min_length' applies only to 'text' questions", body, "min_length")
            elif isinstance(value, bool) or not isinstance(value, int) or value < 0:
                self.error(f"{place}.min_length", "'min_length' must be a whole number, 0 or more", body, "min_length")
            else:
                min_length = value
        multiline = self.flag(body, "multiline", place)
        if multiline and kind != "text":
            self.error(f"{place}.multiline", "'multiline' applies only to 'text' questions", body, "multiline")
        optional = self.flag(body, "optional", place)
        if optional and kind not in ("text", "multi", "date"):
            self.error(
                f"{place}.optional", "only 'text', 'multi' and 'date' questions can be optional", body, "optional"
            )
        return min_length, multiline, optional

    def _setting(
        self, body: Mapping[str, Any], place: str, options: tuple[Option, ...]
    ) -> tuple[str | None, str | None]:
        """``setting: NAME``: the settings file can answer this question; the value it gives, if any."""
        if "setting" not in body:
            return None, None
        name = body["setting"]
        if not isinstance(name, str) or name not in SETTINGS:
            known = ", ".join(SETTINGS)
            self.error(f"{place}.setting", f"'setting' names a setting a question can take: {known}", body, "setting")
            return None, None
        values = {o.value for o in options}
        missing = [v for v in SETTINGS[name] if v not in values]
        if missing:
            self.error(
                f"{place}.setting",
                f"a question answered by '{name}' needs the options {', '.join(SETTINGS[name])} "
                f"(missing: {', '.join(missing)})",
                body,
                "setting",
            )
            return None, None
        preset = self.options.placeholders.get(name)
        if preset is not None:
            self.filled = True
        return name, preset

    def _same_as(
        self, node_id: str, body: Mapping[str, Any], place: str
    ) -> tuple[tuple[str, str] | None, tuple[tuple[str, str], ...]]:
        """``same_as: TREE.QUESTION`` and its optional ``map`` of giving values to this question's."""
        if "same_as" not in body:
            if "map" in body:
                self.error(f"{place}.map", "'map' applies only to a question with 'same_as'", body, "map")
            return None, ()
        raw = body["same_as"]
        parts = raw.split(".") if isinstance(raw, str) else []
        if len(parts) != 2 or not all(ID_PATTERN.match(p) for p in parts):
            self.error(
                f"{place}.same_as",
                "'same_as' names another tree's question as TREE.QUESTION, for example when-to-share.consent",
                body,
                "same_as",
            )
            return None, ()
        pairs: list[tuple[str, str]] = []
        if "map" in body:
            spec = self.mapping(body["map"], f"{place}.map", body, "map")
            for giving, mine in (spec or {}).items():
                if not (isinstance(mine, str) and ID_PATTERN.match(mine) and ID_PATTERN.match(str(giving))):
                    self.error(
                        f"{place}.map.{giving}",
                        "each entry of 'map' is GIVING-VALUE: THIS-QUESTION'S-VALUE",
                        spec,
                        giving,
                    )
                    continue
                pairs.append((str(giving), mine))
        self._origin(f"{place}.same_as", body, "same_as")
        self.refs.append(
            CrossRef(
                "same_as",
                parts[0],
                parts[1],
                (),  # the values are checked from the question's own map
                f"{place}.same_as",
                self.lines.of(body, "same_as"),
                owner=node_id,
            )
        )
        return (parts[0], parts[1]), tuple(pairs)

    def _options(
        self, raw: object, place: str, body: Mapping[str, Any], routed: bool, fallback: tuple[Route, ...]
    ) -> tuple[Option, ...]:
        oplace = f"{place}.options"
        if isinstance(raw, list):
            # Anything but a word is named by its kind and position, never formatted whole (it may be huge).
            raw = {
                str(v) if isinstance(v, (str, int)) and not isinstance(v, bool) else f"({type(v).__name__} {n})": None
                for n, v in enumerate(raw, start=1)
            }
            if len(raw) != len(body["options"]):
                self.error(oplace, "an option value is given twice", body, "options")
        spec = self.mapping(raw, oplace, body, "options")
        if spec is None:
            return ()
        if not spec:
            self.error(oplace, "give at least one option", body, "options")
        options: list[Option] = []
        for value, item in spec.items():
            option = self._option(value, item, f"{oplace}.{value}", spec, routed=routed, fallback=fallback)
            if option is not None:
                options.append(option)
        if options and all(o.condition is not None for o in options):
            self.error(
                oplace, "at least one option must have no 'if', so there is always an answer to give", body, "options"
            )
        return tuple(options)

    def _option(
        self,
        value: str,
        item: object,
        vplace: str,
        spec: Mapping[str, Any],
        *,
        routed: bool,
        fallback: tuple[Route, ...],
    ) -> Option | None:
        """One option: a bare target, or a mapping with ``label``, ``help``, ``if`` and ``next``."""
        if self.ident(value, vplace, spec, value, "an option value") is None:
            return None
        label, help_text = _title_case(value), None
        offered_if: tuple[Condition, str] | tuple[None, None] = (None, None)
        routes: tuple[Route, ...] = ()
        if isinstance(item, (str, list)):
            routes = self._routes(item, vplace, spec, value) if routed else ()
            if not routed:
                self.error(vplace, _MULTI_ROUTES, spec, value)
        elif isinstance(item, dict):
            self.keys(item, _OPTION_KEYS, vplace)
            label = self.words(self.text(item, "label", vplace, required=False), vplace, item, "label") or label
            help_text = self.words(self.text(item, "help", vplace, required=False), vplace, item, "help")
            if "if" in item:
                offered_if = self._offered_if(item, vplace)
            if "next" in item:
                if routed:
                    routes = self._routes(item["next"], f"{vplace}.next", item, "next")
                else:
                    self.error(f"{vplace}.next", _MULTI_ROUTES, item, "next")
        elif item is not None:
            self.error(vplace, "an option is a target id, or a mapping with label, help and next", spec, value)
        return Option(value, label, help_text, routes or (fallback if routed else ()), *offered_if)

    def _offered_if(self, item: Mapping[str, Any], vplace: str) -> tuple[Condition, str] | tuple[None, None]:
        """An option's ``if``: the condition under which it is offered, and its text."""
        cond_text = self.text(item, "if", vplace)
        if cond_text is not None:
            condition = self._condition(cond_text, f"{vplace}.if", item, "if")
            if condition is not None:
                return (condition, cond_text)
        return (None, None)

    def _routes(self, raw: object, place: str, container: object, key: str | None) -> tuple[Route, ...]:
        line = self.lines.of(container, key)
        if isinstance(raw, str):
            self._origin(place, container, key)
            return (Route(raw.strip(), place=place, line=line),)
        if not isinstance(raw, list) or not raw:
            self.error(
                place, "a route is an id, 'tree:ID', or a list of {if, to} ending with a plain {to}", container, key
            )
            return ()
        routes: list[Route] = []
        for index, item in enumerate(raw):
            route = self._route(item, f"{place}[{index}]", container, key, last=index == len(raw) - 1)
            if route is not None:
                routes.append(route)
        return tuple(routes)

    def _route(self, item: object, iplace: str, container: object, key: str | None, *, last: bool) -> Route | None:
        """One ``{if, to}`` of a list of routes; only the ``last`` may (and must) have no ``if``."""
        body = self.mapping(item, iplace, container, key)
        if body is None:
            return None
        self.keys(body, _ROUTE_KEYS, iplace)
        target = self.text(body, "to", iplace)
        condition = condition_text = None
        if "if" in body:
            if last:
                self.error(
                    f"{iplace}.if",
                    "the last route must have no 'if': it is the default when nothing else holds",
                    body,
                    "if",
                )
            condition_text = self.text(body, "if", iplace)
            if condition_text is not None:
                condition = self._condition(condition_text, f"{iplace}.if", body, "if")
        elif not last:
            self.error(iplace, "only the last route may leave out 'if'; routes after it could never be taken", body)
        if target is None:
            return None
        self._origin(f"{iplace}.to", body, "to")
        return Route(target, condition, condition_text, f"{iplace}.to", self.lines.of(body, "to"))
