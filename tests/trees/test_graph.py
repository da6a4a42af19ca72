"""`sharewise trees graph`: Mermaid and DOT output, checked against the syntax rules they rely on.

The Mermaid check is structural: every line must be one of the few statement shapes the writer
emits, with ids from the safe alphabet and labels double-quoted with no raw quote, bracket, pipe,
angle bracket, brace, backtick or hash left inside. With SHAREWISE_TEST_MERMAID set to a
node_modules folder holding ``mermaid`` and ``jsdom``, the real Mermaid parser checks the same
output too (it needs no browser to parse).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sharewise.cli import app
from sharewise.model import Tree
from sharewise.trees.graph import DECISION_COLOURS, mermaid_id, to_dot, to_mermaid
from sharewise.trees.library import Library
from tests.helpers import WriteTree

SHIPPED = ("when-to-share", "how-much-to-share", "ico-10-step")

_ID = r"[QRTK]_[A-Za-z0-9_]+"
_LABEL = r'"(?:[^"#<>\[\]{}|`]|#(?:quot|lt|gt|amp|\d+);|<br/>)*"'
_MERMAID_LINE = {
    "question": re.compile(rf"^    ({_ID})\[({_LABEL})\]$"),
    "outcome": re.compile(rf"^    ({_ID})\(\[({_LABEL})\]\)$"),
    "subtree": re.compile(rf"^    ({_ID})\[\[({_LABEL})\]\]$"),
    "edge": re.compile(rf"^    ({_ID}) -->(?:\|({_LABEL})\|)? ({_ID})$"),
    "classdef": re.compile(
        r"^    classDef (share|doNotShare|seekAdvice) fill:#[0-9a-f]{6},stroke:#[0-9a-f]{6},color:#[0-9a-f]{6}$"
    ),
    "changed_def": re.compile(r"^    classDef (changed) stroke:#[0-9a-f]{6},stroke-width:3px,stroke-dasharray:6 3$"),
    "class": re.compile(rf"^    class ({_ID}(?:,{_ID})*) (share|doNotShare|seekAdvice|changed)$"),
    "key": re.compile(r'^    subgraph (K_key) \["Key"\]$'),
    "end": re.compile(r"^    (end)$"),
}
_CLASS_OF = {"share": "share", "do-not-share": "doNotShare", "seek-advice": "seekAdvice"}

ADVERSARIAL = """\
nodes:
  end:
    ask: 'Is "this" a #1 <b>question</b> | with [brackets] {{braces}} & `ticks` --> arrows; end?'
    help: h
    source: src s
    options:
      o:
        label: 'Option "o" --> | x ]'
        next: x
      x_y: o-x
      z: o_x
  o-x:
    ask: second
    help: h
    source: src s
    options:
      yes:
        next:
          - if: end == 'o'
            to: x
          - to: graph
      no: x
  o_x:
    ask: a different node from o-x
    help: h
    source: src s
    kind: text
    next: x
outcomes:
  x:
    decision: share
    title: 'Share "now" ]) #end'
    summary: s
  graph:
    decision: seek-advice
    title: subgraph end
    summary: s
"""


def check_mermaid(text: str, tree: Tree) -> dict[str, list[tuple[str, ...]]]:
    """Check every line against the statement shapes; return what was found, by shape."""
    lines = text.splitlines()
    assert lines[0].startswith("%% ") and lines[1] == "flowchart TD"
    found: dict[str, list[tuple[str, ...]]] = {kind: [] for kind in _MERMAID_LINE}
    for line in lines[2:]:
        for kind, pattern in _MERMAID_LINE.items():
            match = pattern.match(line)
            if match:
                found[kind].append(match.groups())
                break
        else:
            pytest.fail(f"not a statement the writer should emit: {line!r}")
    defined = [g[0] for kind in ("question", "outcome", "subtree") for g in found[kind]]
    assert len(defined) == len(set(defined)), "a node is defined twice"
    for start, _, end in found["edge"]:
        assert start in defined and end in defined, (start, end)
    routed = [q for q in tree.questions.values() if not q.is_record_question]
    drawn = {kind: {g[0] for g in found[kind] if not g[0].startswith("K_")} for kind in ("question", "outcome")}
    assert drawn["question"] == {mermaid_id("Q", q.id) for q in routed}
    assert drawn["outcome"] == {mermaid_id("R", o) for o in tree.outcomes}
    classed = {
        member: cls
        for members, cls in found["class"]
        for member in members.split(",")
        if cls != "changed" and not member.startswith("K_")
    }
    assert classed == {mermaid_id("R", o.id): _CLASS_OF[o.decision] for o in tree.outcomes.values()}
    assert found["key"] == [("K_key",)] and found["end"] == [("end",)]
    assert {g[0] for g in found["classdef"]} == set(_CLASS_OF.values())
    return found


@pytest.mark.parametrize("tree_id", SHIPPED)
def test_mermaid_for_each_shipped_tree_follows_the_syntax_rules(tree_id: str) -> None:
    tree = Library.default().get(tree_id)
    text = to_mermaid(tree)
    found = check_mermaid(text, tree)
    n_routes = sum(len(o.routes) for q in tree.questions.values() for o in q.options) + sum(
        len(q.routes) for q in tree.questions.values()
    )
    targets = {
        (q.id, r.target)
        for q in tree.questions.values()
        for r in [*q.routes, *(r for o in q.options for r in o.routes)]
    }
    hand_overs = sum(1 for o in tree.outcomes.values() if o.continues)  # an outcome that hands on to a tree
    assert len(found["edge"]) == len(targets) + hand_overs <= n_routes + hand_overs  # one arrow per question and place
    if tree.continues_into():
        subtrees = {g[0] for g in found["subtree"] if not g[0].startswith("K_")}
        assert subtrees == {mermaid_id("T", t) for t in tree.continues_into()}


def test_mermaid_escapes_every_label_and_keeps_ids_distinct(write_tree: WriteTree) -> None:
    path = write_tree(ADVERSARIAL, id="adversarial")
    tree = Library([path.parent]).get("adversarial")
    text = to_mermaid(tree)
    check_mermaid(text, tree)
    assert mermaid_id("Q", "o-x") != mermaid_id("Q", "o_x")
    assert "Q_o_dx" in text and "Q_o__x" in text
    assert (
        '    Q_end["Is #quot;this#quot; a #35;1 #lt;b#gt;question#lt;/b#gt; #124; with<br/>#91;brackets#93; '
        '#123;braces#125; #amp; #96;ticks#96; --#gt;<br/>arrows; end?"]'
    ) in text
    assert '    Q_end -->|"“Option #quot;o#quot; --#gt; #124; x #93;”"| R_x' in text
    # The condition in words, naming the question and the option by label; two routes to x share one arrow.
    assert (
        '    Q_o_dx -->|"“Yes”, if “Is #quot;this#quot; a #35;1<br/>#lt;b#gt;question#lt;/b#gt; #124; with…” is '
        '“Option #quot;o#quot;<br/>--#gt; #124; x #93;”; or “No”"| R_x'
    ) in text
    assert '    Q_o_dx -->|"“Yes”"| R_graph' in text


def test_graph_command_prints_mermaid_or_dot_and_refuses_other_formats() -> None:
    runner = CliRunner()
    mermaid = runner.invoke(app, ["trees", "graph", "when-to-share"])
    assert mermaid.exit_code == 0 and "flowchart TD" in mermaid.output
    dot = runner.invoke(app, ["trees", "graph", "when-to-share", "--format", "dot"])
    assert dot.exit_code == 0 and dot.output.startswith('digraph "when-to-share" {')
    bad = runner.invoke(app, ["trees", "graph", "when-to-share", "--format", "svg"])
    assert bad.exit_code == 2 and "--format must be one of: mermaid, dot" in bad.output


_DOT_LINE = re.compile(
    r'^    (?:    )?(?:"[^"\\]*(?:\\.[^"\\]*)*"(?: -> "[^"\\]*(?:\\.[^"\\]*)*")?|graph|node|edge)'
    r'(?: \[(?:[a-z]+=(?:"[^"\\]*(?:\\.[^"\\]*)*")(?:, )?)+\])?;$'
    r'|^    subgraph "cluster_key" \{$|^    \}$'
)


@pytest.mark.parametrize("tree_id", SHIPPED)
def test_dot_for_each_shipped_tree_is_well_formed(tree_id: str) -> None:
    tree = Library.default().get(tree_id)
    text = to_dot(tree)
    lines = text.splitlines()
    assert lines[0] == f'digraph "{tree_id}" {{' and lines[-1] == "}"
    for line in lines[1:-1]:
        assert _DOT_LINE.match(line), line
    for outcome_id, outcome in tree.outcomes.items():
        fill, _ = DECISION_COLOURS[outcome.decision]
        assert any(line.startswith(f'    "o:{outcome_id}" [') and f'fillcolor="{fill}"' in line for line in lines)


def test_dot_escapes_quotes_and_backslashes(write_tree: WriteTree) -> None:
    body = ADVERSARIAL.replace("second", 'back\\slash and "quotes"')
    path = write_tree(body, id="adversarial")
    text = to_dot(Library([path.parent]).get("adversarial"))
    assert '[label="back\\\\slash and \\"quotes\\""];' in text
    for line in text.splitlines()[1:-1]:
        assert _DOT_LINE.match(line), line


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed")
def test_graphviz_accepts_the_dot(tmp_path: Path) -> None:
    for tree_id in SHIPPED:
        source = tmp_path / f"{tree_id}.dot"
        source.write_text(to_dot(Library.default().get(tree_id)), encoding="utf-8")
        subprocess.run(["dot", "-Tsvg", "-o", os.devnull, str(source)], check=True, timeout=30)


_MERMAID_JS = """
import { JSDOM } from 'jsdom';
import fs from 'fs';
const dom = new JSDOM('<!doctype html><html><body></body></html>');
globalThis.window = dom.window; globalThis.document = dom.window.document;
const mermaid = (await import('mermaid')).default;
mermaid.initialize({ startOnLoad: false });
const out = [];
for (const file of process.argv.slice(2)) {
  const diagram = await mermaid.mermaidAPI.getDiagramFromText(fs.readFileSync(file, 'utf8'));
  const vertices = diagram.db.getVertices();
  out.push({ vertices: [...(vertices instanceof Map ? vertices.keys() : Object.keys(vertices))],
             edges: diagram.db.getEdges().length });
}
console.log(JSON.stringify(out));
"""


@pytest.mark.skipif(
    not os.environ.get("SHAREWISE_TEST_MERMAID") or shutil.which("node") is None,
    reason="set SHAREWISE_TEST_MERMAID to a node_modules folder with mermaid and jsdom",
)
def test_the_real_mermaid_parser_reads_the_same_graph(tmp_path: Path, write_tree: WriteTree) -> None:
    modules = Path(os.environ["SHAREWISE_TEST_MERMAID"])
    script = modules.parent / "sharewise-mermaid-check.mjs"
    script.write_text(_MERMAID_JS, encoding="utf-8")
    trees = [Library.default().get(t) for t in SHIPPED]
    path = write_tree(ADVERSARIAL, id="adversarial")
    trees.append(Library([path.parent]).get("adversarial"))
    files = []
    for tree in trees:
        target = tmp_path / f"{tree.id}.mmd"
        target.write_text(to_mermaid(tree), encoding="utf-8")
        files.append(str(target))
    done = subprocess.run(["node", str(script), *files], capture_output=True, text=True, timeout=120, check=True)
    parsed = json.loads(done.stdout)
    for tree, result in zip(trees, parsed, strict=True):
        found = check_mermaid(to_mermaid(tree), tree)
        expected = {g[0] for kind in ("question", "outcome", "subtree") for g in found[kind]}
        assert set(result["vertices"]) == expected
        assert result["edges"] == len(found["edge"])


# -- pictures for people: conditions in words, record questions, ticked options, a key, overlays ---

PEOPLE = """\
nodes:
  kind:
    ask: What kind of request is it?
    help: h
    source: src s
    options:
      police: {label: From the police, next: who}
      school: {label: From a school, next: who}
      court: {label: A court order, next: who}
      other: {label: Something else, next: who}
  who:
    ask: Who else is involved?
    help: h
    source: src s
    kind: multi
    options:
      parent: {label: Parent}
      sibling: {label: Sibling}
    next:
      - if: kind == 'court' or 'parent' in who
        to: share
      - to: advice
  reason:
    ask: Why are you sharing this information today?
    help: h
    source: src s
    kind: text
outcomes:
  share:
    decision: share
    title: Share it
    summary: s
    record: [reason]
  advice:
    decision: seek-advice
    title: Ask first
    summary: s
"""


def test_graph_says_conditions_in_words_and_draws_what_a_meeting_needs(write_tree: WriteTree) -> None:
    path = write_tree(PEOPLE, id="people")
    tree = Library([path.parent]).get("people")
    dot = to_dot(tree)
    flat = " ".join(dot.replace("\\n", " ").split())
    # Four options to one place: one arrow, "any answer".
    assert flat.count('"q:kind" -> "q:who"') == 1 and '"q:kind" -> "q:who" [label="Any answer"]' in flat
    assert "if “What kind of request is it?” is “A court order” or “Who else is involved?” includes “Parent”" in flat
    assert "kind ==" not in flat and "'parent' in who" not in flat
    assert "Tick any of: Parent; Sibling" in flat  # multi-select options drawn
    assert "For the record, asks: Why are you sharing this information today?" in flat  # by its question
    assert '"key:share" [label="Decision: share"' in flat and "cluster_key" in flat  # the key
    check_mermaid(to_mermaid(tree), tree)


def test_an_overlay_s_additions_and_changes_are_marked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.helpers import HEADER, SIMPLE_BODY

    base_dir, local = tmp_path / "shipped", tmp_path / "local"
    base_dir.mkdir()
    local.mkdir()
    (base_dir / "t.yaml").write_text(HEADER.format(id="t") + SIMPLE_BODY, encoding="utf-8")
    (local / "t.yaml").write_text(
        'format: sharewise-tree/1\nextends: t\nversion: "1-local"\nowner: Local\nreviewed: 2026-06-01\n'
        "next_review: 2099-01-01\nnodes:\n  purpose:\n    help: Our local help.\n",
        encoding="utf-8",
    )
    library = Library([local, base_dir])
    tree = library.get("t")
    base = library.base_tree(tree)
    assert base is not None
    from sharewise.trees.graph import changed_nodes

    assert changed_nodes(tree, base) == {"purpose"}
    dot = to_dot(tree, base)
    assert '"q:purpose" [label="Is there a clear purpose?", penwidth="3", style="dashed"' in dot
    assert '"key:changed" [label="Added or changed by this overlay"' in dot
    assert "Added or changed" not in to_dot(base)
    mermaid = to_mermaid(tree, base)
    assert "    class Q_purpose changed" in mermaid
    check_mermaid(mermaid, tree)
    monkeypatch.setenv("SHAREWISE_TREES_PATH", f"{local}:{base_dir}")
    shown = CliRunner().invoke(app, ["trees", "graph", "t", "-f", "dot"])
    assert shown.exit_code == 0 and "Added or changed by this overlay" in shown.output


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed")
def test_graphviz_draws_a_picture(tmp_path: Path) -> None:
    source = tmp_path / "when-to-share.dot"
    source.write_text(to_dot(Library.default().get("when-to-share")), encoding="utf-8")
    picture = tmp_path / "when-to-share.png"
    subprocess.run(["dot", "-Tpng", "-Gdpi=40", "-o", str(picture), str(source)], check=True, timeout=60)
    data = picture.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert width > 400 and height > 300  # a whole diagram, not an error box
