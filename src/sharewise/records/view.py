"""Reading a record: laid out in the terminal, or rendered as Markdown or a self-contained HTML page.

All three take the same :class:`RecordView`, built once from the record JSON, so they always say
the same things in the same order: the decision, what was shared with whom, the reasons, the
actions, the questions and answers, the sign-off and countersignatures, and the integrity digest
(with whether the record verified when the view was made). Every piece of text from the record is
escaped for its output: a record's free text can never inject markup.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sharewise.decisions import BY_ID, TABLE

__all__ = ["DECISION_LABELS", "DETAIL_LABELS", "RecordView", "print_record", "render_html", "render_markdown"]

DECISION_LABELS = {words.id: words.label for words in TABLE}

# detail name -> label; the first group is "what was shared with whom", the rest are the reasons
SHARING_DETAILS = {
    "requester": "Requested by",
    "request": "What they asked for",
    "recipient": "Shared with",
    "identity_checked": "How their identity and role were checked",
    "what_shared": "What was shared",
    "what_withheld": "What was held back",
    "person_told": "Was the person told",
    "why_not_told": "Why the person was not told",
    "carers_told": "Were parents or carers told",
    "views": "The person's views and wishes",
    "capacity": "Capacity and who decides",
}
# For a decision that is not a share, nothing went to anyone: the first group is the request and
# the reply instead, and a `recipient` an older record may hold is never called "Shared with".
REQUEST_DETAILS = {
    "requester": "Requested by",
    "request": "What they asked for",
    "reasons": "Reasons",
    "requester_told": "Was the requester told, and how",
    "advice_sought": "Advice sought",
    "recipient": "Named as recipient (nothing was shared)",
    "identity_checked": "How their identity and role were checked",
    "what_shared": "What was considered (nothing was shared)",
    "what_withheld": "What was held back",
}
SECTION_TITLES = {words.id: words.heading for words in TABLE}
REASON_DETAILS = {
    "purpose": "Purpose",
    "reasons": "Reasons",
    "lawful_basis": "Lawful basis",
    "special_condition": "Special category condition",
    "consent": "Consent",
    "advice_sought": "Advice sought",
    "advice": "Advice given",
}
DETAIL_LABELS = {**SHARING_DETAILS, **REASON_DETAILS, "requester_told": REQUEST_DETAILS["requester_told"]}


@dataclass(frozen=True, slots=True)
class Signer:
    """A sign-off or a countersignature, ready to show."""

    name: str
    role: str
    organisation: str
    signed_at: str
    note: str = ""
    key: str = ""


@dataclass
class RecordView:
    """Everything a reader sees of a record, as display strings; built by :meth:`of`."""

    decision: str
    decision_label: str
    outcome_title: str
    summary: str
    case_ref: str
    record_id: str
    created_at: str
    actions: list[str]
    sharing: list[tuple[str, str]]  # under sharing_title: what was shared with whom, or the request and reply
    reasons: list[tuple[str, str]]
    answers: list[tuple[str, str]]
    trees: list[str]
    sign_off: Signer
    countersignatures: list[Signer]
    digest: str
    chain: str
    signature: str
    problems: list[str] = field(default_factory=list)
    sharing_title: str = SECTION_TITLES["share"]

    @classmethod
    def of(cls, record: Mapping[str, Any], problems: Sequence[str] = ()) -> RecordView:
        """The view of ``record``; ``problems`` are what verification found (empty when it holds)."""
        outcome = _mapping(record.get("outcome"))
        details = {str(k): _text(v) for k, v in _mapping(record.get("details")).items() if _text(v)}
        decision = _text(outcome.get("decision"))
        first = SHARING_DETAILS if decision == "share" else REQUEST_DETAILS
        sharing = [(label, details.pop(key)) for key, label in first.items() if key in details]
        labels = {**SHARING_DETAILS, **REASON_DETAILS, **REQUEST_DETAILS}
        reasons = [(label, details.pop(key)) for key, label in REASON_DETAILS.items() if key in details]
        reasons += [(labels.get(key) or key.replace("_", " ").capitalize(), value) for key, value in details.items()]
        answers = []
        for raw_step in record.get("path") or []:
            step = _mapping(raw_step)
            question = _text(step.get("question")) or _text(step.get("id"))
            answers.append((question, _text(step.get("label")) or "(left blank)"))
        trees = []
        for raw_tree in record.get("trees") or []:
            tree = _mapping(raw_tree)
            trees.append(
                f"{_text(tree.get('title')) or _text(tree.get('id'))} ({_text(tree.get('id'))} "
                f"version {_text(tree.get('version'))}, sha256 {_text(tree.get('sha256'))[:12]})"
            )
        integrity = _mapping(record.get("integrity"))
        chain = _mapping(record.get("chain"))
        signature = _mapping(integrity.get("signature"))
        return cls(
            decision=decision,
            decision_label=DECISION_LABELS.get(decision, decision or "(none)"),
            outcome_title=_text(outcome.get("title")),
            summary=_text(outcome.get("summary")),
            case_ref=_text(record.get("case_ref")) or "(none given)",
            record_id=_text(record.get("id")),
            created_at=when(_text(record.get("created_at"))),
            actions=[_text(a) for a in outcome.get("actions") or []],
            sharing=sharing,
            reasons=reasons,
            answers=answers,
            trees=trees,
            sign_off=_signer(_mapping(record.get("sign_off"))),
            countersignatures=[_signer(_mapping(c)) for c in record.get("countersignatures") or []],
            digest=_text(integrity.get("digest")) or "(none: this record has no integrity block)",
            chain=(
                f"record {chain.get('sequence')} in its folder's chain"
                + (f"; follows {_text(chain.get('previous'))}" if chain.get("previous") else "; the first record")
                if chain
                else "not in a records folder chain"
            ),
            signature=f"Ed25519, key {_text(signature.get('key_id'))[:16]}" if signature else "not signed",
            problems=list(problems),
            sharing_title=SECTION_TITLES.get(decision, "What was asked for, and the reasons"),
        )

    @property
    def verdict(self) -> str:
        """One sentence on whether the record checked out (its digest and signatures; the folder's chain
        is checked by ``sharewise records verify``)."""
        if not self.problems:
            signed = " and its signature by a trusted key" if self.signature != "not signed" else ""
            return f"Checked when this copy was made: the record matches its digest{signed}."
        return "WARNING: this record did NOT check out when this copy was made: " + "; ".join(self.problems) + "."


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(_text(v) for v in value)
    return str(value)


def _signer(data: Mapping[str, Any]) -> Signer:
    key = _mapping(data.get("signing")).get("key_id")
    return Signer(
        name=_text(data.get("name")) or "(no name)",
        role=_text(data.get("role")) or "(no role)",
        organisation=_text(data.get("organisation")),
        signed_at=when(_text(data.get("signed_at"))),
        note=_text(data.get("note")),
        key=f"Ed25519 key {str(key)[:16]}" if key else "",
    )


def when(stamp: str) -> str:
    """``2026-11-22T01:51:06+00:00`` -> ``22 November 2026, 01:51 (UTC+00:00)``; other text unchanged."""
    try:
        moment = datetime.fromisoformat(stamp)
    except ValueError:
        return stamp
    offset = moment.strftime("%z")
    zone = f" (UTC{offset[:3]}:{offset[3:]})" if offset else ""
    return f"{moment.day} {moment:%B %Y, %H:%M}{zone}"


def _who(signer: Signer) -> str:
    org = f", {signer.organisation}" if signer.organisation else ""
    return f"{signer.name}, {signer.role}{org}"


# -- Markdown -------------------------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|~])")
_MD_LINE_START = re.compile(r"^(\s*)([#+=-])")
_MD_NUMBERED = re.compile(r"^(\s*\d+)([.)])")
_MD_ENTITY = re.compile(r"&(?=#?\w+;)")


def _md(text: str) -> str:
    """``text`` as literal Markdown: special characters escaped, line breaks kept."""
    lines = []
    for line in text.splitlines() or [""]:
        escaped = _MD_ENTITY.sub(r"\\&", _MD_SPECIAL.sub(r"\\\1", line))
        escaped = _MD_LINE_START.sub(r"\1\\\2", escaped)
        lines.append(_MD_NUMBERED.sub(r"\1\\\2", escaped))
    return "  \n".join(lines)


_HEX_DIGEST = re.compile(r"[0-9a-f]{64}")


def _md_code(text: str) -> str:
    """A digest as inline code when it is one (64 hex digits); anything else is escaped text, since
    a code span cannot escape a backtick and the digest comes from the file like any other field."""
    return f"`{text}`" if _HEX_DIGEST.fullmatch(text) else _md(text)


def render_markdown(view: RecordView) -> str:
    """The record as Markdown, readable as plain text too (for a case file or an email)."""
    out: list[str] = [f"# Information sharing decision: {_md(view.decision_label)}", ""]
    out += [
        f"**Decision:** {_md(view.decision_label)}: {_md(view.outcome_title)}  ",
        f"**Case reference:** {_md(view.case_ref)}  ",
        f"**Date:** {_md(view.created_at)}  ",
        f"**Record id:** {_md(view.record_id)}",
        "",
    ]
    if view.problems:
        out += [f"**{_md(view.verdict)}**", ""]
    if view.summary:
        out += [_md(view.summary), ""]

    def fields(title: str, items: list[tuple[str, str]]) -> None:
        if items:
            out.extend([f"## {title}", ""])
            for label, value in items:
                out.extend([f"**{_md(label)}:**  ", _md(value), ""])

    fields(view.sharing_title, view.sharing)
    fields("Reasons", view.reasons)
    if view.actions:
        out += ["## Actions", ""]
        out += [f"- [ ] {_md(action)}" for action in view.actions]
        out.append("")
    if view.answers:
        out += ["## Questions and answers", ""]
        for number, (question, answer) in enumerate(view.answers, start=1):
            out += [f"{number}. **{_md(question)}**  ", "   " + _md(answer).replace("\n", "\n   "), ""]
    out += ["## Sign-off", "", f"Signed off by {_md(_who(view.sign_off))} on {_md(view.sign_off.signed_at)}.", ""]
    for signer in view.countersignatures:
        line = f"Countersigned by {_md(_who(signer))} on {_md(signer.signed_at)}."
        if signer.key:
            line += f" Signed with {_md(signer.key)}."
        out += [line, ""]
        if signer.note:
            out += [f"Note: {_md(signer.note)}", ""]
    out += [
        "## Integrity",
        "",
        f"**SHA-256 digest:** {_md_code(view.digest)}  ",
        f"**Chain:** {_md(view.chain)}  ",
        f"**Signature:** {_md(view.signature)}",
        "",
        _md(view.verdict),
        "",
        "This document is a copy for reading. The record file is the evidence: check it with "
        "`sharewise records verify FILE`.",
        "",
    ]
    if view.trees:
        out += ["Decision trees used:", ""] + [f"- {_md(tree)}" for tree in view.trees] + [""]
    return "\n".join(out)


# -- HTML -----------------------------------------------------------------------------------------

_CSS = (
    """
:root { --ink: #1b1b1b; --muted: #505a5f; --rule: #b1b4b6; """
    + " ".join(f"--{w.css_name}: {w.css_colour};" for w in TABLE)
    + """ }
* { box-sizing: border-box; }
body { margin: 0; color: var(--ink); background: #fff;
  font: 16px/1.5 "Segoe UI", Arial, "Helvetica Neue", Helvetica, sans-serif; }
main { max-width: 46rem; margin: 0 auto; padding: 2rem 1.25rem 3rem; }
h1 { font-size: 1.9rem; line-height: 1.2; margin: 0 0 .25rem; }
h2 { font-size: 1.25rem; margin: 2rem 0 .5rem; padding-bottom: .2rem; border-bottom: 2px solid var(--rule); }
.kicker { color: var(--muted); text-transform: uppercase; letter-spacing: .06em; font-size: .8rem; margin: 0; }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: .15rem 1rem; margin: 1rem 0; }
dl.meta dt { font-weight: 600; }
dl.meta dd { margin: 0; }
.decision { border: 3px solid var(--ink); border-left-width: 12px; padding: .75rem 1rem; margin: 1.25rem 0; }
"""
    + "".join(f".decision.{w.id} {{ border-color: var(--{w.css_name}); }}\n" for w in TABLE)
    + """.verdict { font-size: 1.5rem; font-weight: 700; margin: 0; }
.decision p { margin: .35rem 0; }
.field { margin: 0 0 .9rem; }
.field h3 { font-size: 1rem; margin: 0 0 .15rem; }
.text { white-space: pre-wrap; overflow-wrap: anywhere; margin: 0; }
ul.actions { list-style: none; padding: 0; }
ul.actions li { padding-left: 1.6rem; text-indent: -1.6rem; margin: .3rem 0; }
ul.actions li::before { content: "\\2610\\00a0\\00a0"; }
ol.qa { padding-left: 1.6rem; }
ol.qa li { margin: 0 0 .8rem; }
.q { font-weight: 600; margin: 0; }
.warning { border: 3px solid var(--stop); padding: .75rem 1rem; font-weight: 700; }
.signer { margin: 0 0 .6rem; }
code.digest { font: .9rem/1.4 Consolas, "Courier New", monospace; overflow-wrap: anywhere; word-break: break-all; }
footer { margin-top: 2rem; color: var(--muted); font-size: .85rem;
  border-top: 1px solid var(--rule); padding-top: .5rem; }
@media print {
  @page { size: A4; margin: 16mm 15mm 18mm; }
  body { font-size: 11pt; }
  main { max-width: none; padding: 0; }
  h2 { break-after: avoid-page; }
  .decision, .field, ol.qa li, .signer, .integrity, .warning, .closing { break-inside: avoid-page; }
  .decision, .warning { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"""
)  # the decisions' colours and borders come from sharewise.decisions; .warning uses --stop


def _h(text: str) -> str:
    return html.escape(text, quote=True)


def css_string(text: str) -> str:
    """``text`` as a double-quoted CSS string: anything but letters, digits and spaces is a hex
    escape, so no text in a record can end the string, the rule or the style element."""
    escaped = "".join(c if (c.isascii() and c.isalnum()) or c == " " else f"\\{ord(c):x} " for c in text)
    return f'"{escaped}"'


def _page_css(view: RecordView) -> str:
    """Printed pages: the case reference and record id at the top of each, "Page N of M" at the foot."""
    running = f"Case {view.case_ref} · record {view.record_id}"
    return (
        "@media print { @page { "
        f"@top-left {{ content: {css_string(running)}; font: 8pt Arial, sans-serif; color: #505a5f; }} "
        '@bottom-right { content: "Page " counter(page) " of " counter(pages); font: 8pt Arial, sans-serif; '
        "color: #505a5f; } "
        f"@bottom-left {{ content: {css_string('Decision record: ' + view.decision_label)}; "
        "font: 8pt Arial, sans-serif; color: #505a5f; } } }"
    )


def render_html(view: RecordView) -> str:
    """The record as one self-contained HTML page (no scripts, no outside files) that prints on A4."""
    title = f"Decision record {view.case_ref}: {view.decision_label}"
    parts: list[str] = [
        "<!DOCTYPE html>",
        '<html lang="en-GB">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">",
        f"<title>{_h(title)}</title>",
        f"<style>{_CSS}</style>",
        f"<style>{_page_css(view)}</style>",
        "</head>",
        "<body>",
        "<main>",
        "<header>",
        '<p class="kicker">Information sharing decision record</p>',
        f"<h1>{_h(view.outcome_title or view.decision_label)}</h1>",
        '<dl class="meta">',
        f"<dt>Case reference</dt><dd>{_h(view.case_ref)}</dd>",
        f"<dt>Date</dt><dd>{_h(view.created_at)}</dd>",
        f"<dt>Signed off by</dt><dd>{_h(_who(view.sign_off))}</dd>",
        f"<dt>Record id</dt><dd>{_h(view.record_id)}</dd>",
        "</dl>",
        "</header>",
    ]
    if view.problems:
        parts.append(f'<p class="warning" role="alert">{_h(view.verdict)}</p>')
    parts += [
        f'<section class="decision {_h(view.decision)}" aria-label="Decision">',
        f'<p class="verdict">Decision: {_h(view.decision_label)}</p>',
        f"<p><strong>{_h(view.outcome_title)}</strong></p>",
        f"<p>{_h(view.summary)}</p>" if view.summary else "",
        "</section>",
    ]

    def fields(title: str, items: list[tuple[str, str]]) -> None:
        if not items:
            return
        parts.append(f"<section><h2>{_h(title)}</h2>")
        for label, value in items:
            parts.append(f'<div class="field"><h3>{_h(label)}</h3><p class="text">{_h(value)}</p></div>')
        parts.append("</section>")

    fields(view.sharing_title, view.sharing)
    fields("Reasons", view.reasons)
    if view.actions:
        parts.append('<section><h2>Actions</h2><ul class="actions">')
        parts += [f"<li>{_h(action)}</li>" for action in view.actions]
        parts.append("</ul></section>")
    if view.answers:
        parts.append('<section><h2>Questions and answers</h2><ol class="qa">')
        for question, answer in view.answers:
            parts.append(f'<li><p class="q">{_h(question)}</p><p class="text">{_h(answer)}</p></li>')
        parts.append("</ol></section>")
    # Sign-off, integrity and the trees used are kept together when printed, so the integrity block
    # never sits alone on a last page.
    parts.append('<div class="closing">')
    parts.append("<section><h2>Sign-off</h2>")
    signer = view.sign_off
    parts.append(f'<p class="signer">Signed off by <strong>{_h(_who(signer))}</strong> on {_h(signer.signed_at)}.</p>')
    for signer in view.countersignatures:
        key = f" Signed with {_h(signer.key)}." if signer.key else ""
        note = f'<br>Note: <span class="text">{_h(signer.note)}</span>' if signer.note else ""
        who, at = _h(_who(signer)), _h(signer.signed_at)
        parts.append(f'<p class="signer">Countersigned by <strong>{who}</strong> on {at}.{key}{note}</p>')
    parts.append("</section>")
    parts += [
        '<section class="integrity"><h2>Integrity</h2>',
        '<dl class="meta">',
        f'<dt>SHA-256 digest</dt><dd><code class="digest">{_h(view.digest)}</code></dd>',
        f"<dt>Chain</dt><dd>{_h(view.chain)}</dd>",
        f"<dt>Signature</dt><dd>{_h(view.signature)}</dd>",
        "</dl>",
        f"<p>{_h(view.verdict)}</p>",
        "<p>This document is a copy for reading. The record file is the evidence: check it with "
        "<code>sharewise records verify FILE</code>.</p>",
        "</section>",
    ]
    if view.trees:
        parts.append("<footer><p>Decision trees used:</p><ul>")
        parts += [f"<li>{_h(tree)}</li>" for tree in view.trees]
        parts.append("</ul></footer>")
    parts.append("</div>")
    parts += ["</main>", "</body>", "</html>", ""]
    return "\n".join(p for p in parts if p)


# -- terminal -------------------------------------------------------------------------------------


def print_record(view: RecordView, *, plain: bool = False) -> None:
    """Lay the record out readably in the terminal (rich; ``plain`` for screen readers)."""
    from rich.table import Table
    from rich.text import Text

    from sharewise.formats.console import make_console

    console = make_console(plain)
    console.print(Text("Information sharing decision record", style="dim"))
    console.print(Text(f"Decision: {view.decision_label.upper()}", style=_decision_style(view.decision)))
    console.print(Text(view.outcome_title, style="bold"))
    if view.summary:
        console.print(view.summary)
    meta = Table(box=None, show_header=False, padding=(0, 2, 0, 0))
    meta.add_column(style="bold")
    meta.add_column()
    for label, value in (("Case reference", view.case_ref), ("Date", view.created_at), ("Record id", view.record_id)):
        meta.add_row(label, value)
    console.print(meta)
    if view.problems:
        console.print(Text(view.verdict, style="bold red"))

    def fields(title: str, items: list[tuple[str, str]]) -> None:
        if items:
            console.print()
            console.print(Text(title, style="bold underline"))
            for label, value in items:
                console.print(Text(label, style="bold"))
                console.print(Text(value), soft_wrap=False)

    fields(view.sharing_title, view.sharing)
    fields("Reasons", view.reasons)
    if view.actions:
        console.print()
        console.print(Text("Actions", style="bold underline"))
        for action in view.actions:
            console.print(Text(f"[ ] {action}"))
    if view.answers:
        console.print()
        console.print(Text("Questions and answers", style="bold underline"))
        for number, (question, answer) in enumerate(view.answers, start=1):
            # Wrapped lines keep their indent under the number, on a terminal or piped.
            grid = Table.grid(padding=(0, 1))
            grid.add_column(no_wrap=True)
            grid.add_column()
            grid.add_row(Text(f"{number}.", style="bold"), Text(question, style="bold"))
            grid.add_row("", Text(answer))
            console.print(grid)
    _print_closing(console, view)


def _decision_style(decision: str) -> str:
    words = BY_ID.get(decision)
    return words.style if words is not None else "bold"


def _print_closing(console: Any, view: RecordView) -> None:
    """The record's sign-off, countersignatures and integrity, on the terminal."""
    from rich.text import Text

    console.print()
    console.print(Text("Sign-off", style="bold underline"))
    console.print(Text(f"Signed off by {_who(view.sign_off)} on {view.sign_off.signed_at}."))
    for signer in view.countersignatures:
        key = f" Signed with {signer.key}." if signer.key else ""
        console.print(Text(f"Countersigned by {_who(signer)} on {signer.signed_at}.{key}"))
        if signer.note:
            console.print(Text(f"  Note: {signer.note}"))
    console.print()
    console.print(Text("Integrity", style="bold underline"))
    console.print(Text(f"SHA-256 digest: {view.digest}"))
    console.print(Text(f"Chain: {view.chain}"))
    console.print(Text(f"Signature: {view.signature}"))
    console.print(Text(view.verdict, style="green" if not view.problems else "bold red"))
