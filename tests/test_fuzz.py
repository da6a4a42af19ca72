"""Property-based fuzzing (issue 12): mutated shipped trees, generated answers files and batch lines.

Whatever the input, sharewise must end with one of the exit codes it documents, print its own
message rather than a traceback, and (under ``--json``) print exactly one JSON object. The
examples are derived from a fixed seed and capped, so CI runs the same cases every time in a few
seconds; set ``SHAREWISE_FUZZ_EXAMPLES`` to run more of them locally. The per-example deadline is
generous: it is there to catch a hang (an alias bomb took minutes), not to measure speed.
"""

from __future__ import annotations

import json
import os
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from sharewise.cli import app
from sharewise.trees.paths import shipped_trees_dir

runner = CliRunner()
SHIPPED = {
    p.stem: p.read_text(encoding="utf-8") for p in sorted(shipped_trees_dir().glob("*.yaml")) if "." not in p.stem
}
SCALE = int(os.environ.get("SHAREWISE_FUZZ_EXAMPLES", "0") or 0)


def budget(examples: int) -> Any:
    """Fixed examples (derandomised, no example database), ``examples`` of them unless told otherwise."""
    return settings(
        max_examples=SCALE or examples,
        derandomize=True,
        database=None,
        deadline=timedelta(seconds=15),
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        print_blob=True,
    )


def ran_cleanly(result: Any, codes: set[int]) -> None:
    """The run ended with a documented exit code and no traceback."""
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    assert "Traceback" not in result.output
    assert result.exit_code in codes, (result.exit_code, result.output[-2000:])


# -- hostile pieces of input ----------------------------------------------------------------------

BOMB = "".join(f"b{i}: &b{i} [{', '.join([f'*b{i - 1}'] * 10) if i else ', '.join(['v'] * 10)}]\n" for i in range(9))
SNIPPETS = [
    "\t",
    "\x1b[2J",
    "\x1b]0;owned\x07",
    "\x9b31m",
    '"\\ud800"',
    '"\\e]8;;https://evil.example/\\e\\\\"',
    "9" * 5000,
    "[" * 400 + "]" * 400,
    "- " * 300 + "x",
    "&a [*a]",
    "*nowhere",
    "&x [1, 2]",
    "*x",
    "{",
    "]",
    ": :",
    "'unclosed",
    "!!python/object:os.system",
    "<<: *x",
    "~",
    "yes",
    "no",
    "tree:when-to-share",
    "tree:../../etc/passwd",
    "{contacts.dsl}",
    "1e999",
    "2026-02-30",
    "Jane Doe, 14 Acacia Avenue",
]
TEXT = st.one_of(st.text(max_size=30), st.sampled_from(SNIPPETS))


@st.composite
def mutated_tree(draw: st.DrawFn) -> str:
    """A shipped tree with a few lines deleted, repeated, swapped, re-indented or made hostile."""
    lines = SHIPPED[draw(st.sampled_from(sorted(SHIPPED)))].splitlines(keepends=True)
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(lines) - 1))
        line = lines[at]
        indent = line[: len(line) - len(line.lstrip(" "))]
        kind = draw(st.sampled_from(["delete", "repeat", "swap", "indent", "value", "insert", "bomb", "cut"]))
        if kind == "delete":
            del lines[at]
        elif kind == "repeat":
            lines.insert(at, line)
        elif kind == "swap":
            other = draw(st.integers(0, len(lines) - 1))
            lines[at], lines[other] = lines[other], lines[at]
        elif kind == "indent":
            lines[at] = " " * draw(st.integers(0, 12)) + line.lstrip(" ")
        elif kind == "value" and ":" in line:
            key = line.split(":", 1)[0]
            lines[at] = f"{key}: {draw(TEXT)}\n"
        elif kind == "insert":
            lines.insert(
                at, f"{indent}{draw(st.sampled_from(['x', 'next', 'kind', 'options', 'ask']))}: {draw(TEXT)}\n"
            )
        elif kind == "bomb":
            lines.insert(at, "".join(f"{indent}{b}" for b in BOMB.splitlines(keepends=True)))
            lines.insert(at + 1, f"{indent}ask: *b8\n")
        elif kind == "cut":
            lines[at] = line[: draw(st.integers(0, len(line)))]
        if not lines:
            lines = ["\n"]
    return "".join(lines)


@pytest.mark.timeout(120)
@budget(80)
@given(text=mutated_tree())
def test_a_mutated_shipped_tree_is_valid_or_reported(text: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "mutated.yaml"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        env = {"SHAREWISE_TREES_PATH": folder}
        result = runner.invoke(app, ["trees", "validate", str(path)], env=env)
        ran_cleanly(result, {0, 5})
        assert "\x1b" not in result.output and "\x9b" not in result.output
        if result.exit_code == 0:
            shown = runner.invoke(app, ["trees", "show", str(path)], env=env)
            ran_cleanly(shown, {0})
            assert "\x1b" not in shown.output and "\x9b" not in shown.output


# -- answers files --------------------------------------------------------------------------------

# Real question ids and option values make many answers reach deep into the tree.
_IDS = ["trigger", "urgent", "purpose", "consent", "share-what", "urgent-what", "reasons", "recipient"]
_VALUES = ["request", "proactive", "yes", "no", "not-sure", "to keep the child safe from harm"]
HUGE, DEEP = "\x00HUGE", "\x00DEEP"  # replaced in the JSON text: json.dumps cannot write either
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.sampled_from([*_VALUES, HUGE, DEEP, "\ud800", "\x1b[2J", ""]),
    st.text(max_size=20),
)
VALUES = st.recursive(
    SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=12,
)  # fmt: skip
ANSWERS = st.dictionaries(st.one_of(st.sampled_from(_IDS), st.text(max_size=50)), VALUES, max_size=8)
SIGN_OFF = st.one_of(
    st.none(),
    st.fixed_dictionaries({"name": TEXT, "role": TEXT}),
    st.dictionaries(st.text(max_size=10), VALUES, max_size=3),
)
CASE = st.one_of(
    st.fixed_dictionaries(
        {"answers": ANSWERS},
        optional={"case_ref": st.one_of(TEXT, VALUES), "sign_off": SIGN_OFF, "tree": TEXT},
    ),
    ANSWERS,
    VALUES,
)


def as_json(case: Any) -> str:
    text = json.dumps(case)  # ASCII: lone surrogates are written as \\ud800 escapes
    return text.replace(json.dumps(HUGE), "9" * 5000).replace(json.dumps(DEEP), "[" * 3000 + "]" * 3000)


def as_yaml(case: Any) -> str:
    import yaml

    try:
        return yaml.safe_dump(case, allow_unicode=False)
    except (yaml.YAMLError, UnicodeEncodeError, ValueError):
        return as_json(case)  # JSON is YAML too


@pytest.mark.timeout(120)
@budget(120)
@given(case=CASE, suffix=st.sampled_from([".json", ".yaml"]), bom=st.booleans())
def test_any_answers_file_gives_a_documented_exit_code_and_one_json_object(case: Any, suffix: str, bom: bool) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"answers{suffix}"
        text = as_json(case) if suffix == ".json" else as_yaml(case)
        path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8", "surrogatepass"))
        result = runner.invoke(
            app,
            ["decide", "when-to-share", "--no-input", "--answers", str(path), "--json",
             "--signed-by", "Sam", "--role", "DSL", "--records-dir", str(Path(folder) / "records")],
        )  # fmt: skip
        ran_cleanly(result, {0, 2, 3, 4})
        payload = json.loads(result.stdout)  # exactly one JSON object
        assert isinstance(payload, dict)
        codes = {"error": payload.get("exit_code"), "decided": 0, "incomplete": 3, "invalid": 4}
        assert codes[payload["status"]] == result.exit_code
        assert "\x1b" not in result.stdout and "\x9b" not in result.stdout


# -- batch lines ----------------------------------------------------------------------------------

LINE = st.one_of(
    CASE.map(as_json),
    st.builds(lambda case: as_json({"tree": "when-to-share", "answers": case}), ANSWERS),
    st.text(max_size=60).map(lambda t: t.replace("\n", " ")),
    st.sampled_from(['{"answers": {', "[]", "null", '{"tree": "../../etc/passwd.yaml", "answers": {}}']),
)


@pytest.mark.timeout(120)
@budget(80)
@given(lines=st.lists(LINE, max_size=12))
def test_any_jsonl_batch_reports_every_line_and_a_documented_exit_code(lines: list[str]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "cases.jsonl"
        path.write_bytes("\n".join(lines).encode("utf-8", "surrogatepass") + b"\n")
        result = runner.invoke(app, ["check", str(path), "--format", "jsonl", "--tree", "when-to-share"])
        ran_cleanly(result, {0, 3, 4, 5})
        out = [json.loads(line) for line in result.stdout.splitlines()]
        expected = sum(1 for line in path.read_bytes().split(b"\n") if line.strip())
        assert len(out) == expected
        assert "\x1b" not in result.stdout and "\x9b" not in result.stdout


CELL = st.one_of(st.sampled_from([*_VALUES, "when-to-share", "", '"', "a,b", "\x1b[2J"]), st.text(max_size=12))


@pytest.mark.timeout(120)
@budget(50)
@given(
    header=st.lists(st.sampled_from(["tree", "case_ref", "sign_off.name", *_IDS, "x"]), min_size=1, max_size=6),
    rows=st.lists(st.lists(CELL, max_size=7), max_size=6),
)
def test_any_csv_batch_gives_a_documented_exit_code(header: list[str], rows: list[list[str]]) -> None:
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "cases.csv"
        path.write_bytes(buffer.getvalue().encode("utf-8", "surrogatepass"))
        result = runner.invoke(app, ["check", str(path), "--tree", "when-to-share"])
        ran_cleanly(result, {0, 2, 3, 4, 5})
        assert "\x1b" not in result.stdout


BOMB_CASES = (
    "- answers:\n" + "".join(f"    {line}" for line in BOMB.splitlines(keepends=True)) + "- {answers: {urgent: *b8}}\n"
)
YAML_EXTRAS = ["", BOMB_CASES, "- &c [*c]\n", "- {\n", "- answers: " + "[" * 500 + "]" * 500 + "\n"]


@pytest.mark.timeout(120)
@budget(50)
@given(cases=st.lists(CASE, max_size=5), extra=st.sampled_from(YAML_EXTRAS))
def test_any_yaml_batch_gives_a_documented_exit_code(cases: list[Any], extra: str) -> None:
    body = "".join(f"- {as_json(case)}\n" for case in cases) + extra
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "cases.yaml"
        path.write_text(body, encoding="utf-8")
        result = runner.invoke(app, ["check", str(path), "--format", "jsonl", "--tree", "when-to-share"])
        ran_cleanly(result, {0, 2, 3, 4, 5})
        for line in result.stdout.splitlines():
            json.loads(line)
