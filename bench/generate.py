"""Inputs for the benchmark: realistic cases for a tree, and large generated trees.

Cases are derived from the tree itself: the engine is walked from the start and each question it
asks is answered the way a practitioner might (mostly routes that carry on through the steps,
sometimes "not sure"; free text of a realistic length; optional questions sometimes left blank),
until a decision is reached. A pool of such answer sets is built once and cases are drawn from
it, so generating 100,000 cases takes seconds.

Records folders for the large-folder figures are made by :func:`write_records_folder`: a few
real records from the engine, sealed into one chain with fresh ids, times and case references, and
written straight to disk without a flush each (what a batch writes, far faster than running
``check`` to fill a folder of a hundred thousand).
"""

from __future__ import annotations

import csv
import json
import os
import random
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sharewise.engine.walk import Engine
from sharewise.model import Option, Question, Tree
from sharewise.trees.library import Library

__all__ = ["answer_pool", "write_cases", "write_records_folder", "write_tree"]

_SENTENCE = (
    "the child told their teacher about bruising at home and the school nurse needs to follow up "
    "today with the duty social worker so that a strategy discussion can decide on safety tonight "
    "mother agreed to the referral father was not asked because it could place the child at risk "
    "health visitor records show missed appointments and concerns about neglect and supervision"
)
_WORDS = tuple(_SENTENCE.split(" "))
_PEOPLE = ("Sam Patel", "Jo Evans", "Priya Shah", "Alex Murray", "Chris Okafor", "Dana Lee")
_ROLES = ("designated safeguarding lead", "duty social worker", "school nurse", "health visitor")


def _text(rng: random.Random, at_least: int) -> str:
    length = max(at_least, rng.randint(40, 240))
    words: list[str] = []
    while sum(len(w) + 1 for w in words) < length:
        words.append(rng.choice(_WORDS))
    text = " ".join(words)
    return text[:1].upper() + text[1:] + "."


def _answer(rng: random.Random, tree: Tree, question: Question, offered: tuple[Option, ...]) -> Any:
    if question.kind == "choice":
        weights = []
        for option in offered:  # only the options whose `if` holds on this path
            target = option.routes[0].target if option.routes else ""
            onward = target in tree.questions or target.startswith("tree:")
            weights.append(0.3 if option.value == "not-sure" else 5 if onward else 1)
        return rng.choices(offered, weights)[0].value
    if question.kind == "multi":
        chosen = [o.value for o in question.options if rng.random() < 0.5]
        return chosen or [question.options[0].value]
    if question.kind == "date":
        return (date(2026, 1, 1) + timedelta(days=rng.randint(0, 300))).isoformat()
    if question.optional and rng.random() < 0.4:
        return ""
    return _text(rng, question.min_length)


def answer_pool(tree_id: str, size: int, seed: int = 1) -> list[dict[str, Any]]:
    """``size`` decided answer sets for ``tree_id``, each found by walking the engine."""
    library = Library.default()
    engine = Engine(library.get(tree_id), library.get)
    rng = random.Random(seed)
    pool = []
    for _ in range(size):
        answers: dict[str, Any] = {}
        while True:
            walk = engine.walk(answers)
            if walk.pending is None:
                break
            tree, question = walk.pending
            answers[question.id] = _answer(rng, tree, question, walk.offered(tree, question))
        assert walk.status == "decided", walk.errors
        pool.append(answers)
    return pool


def _cases(pool: list[dict[str, Any]], count: int, tree_id: str, mix: bool, seed: int) -> Iterator[dict[str, Any]]:
    """Cases drawn from ``pool``; with ``mix`` about 5% are incomplete and 5% invalid."""
    rng = random.Random(seed)
    for number in range(1, count + 1):
        answers = dict(rng.choice(pool))
        roll = rng.random() if mix else 1.0
        if roll < 0.05 and len(answers) > 1:
            answers.pop(list(answers)[rng.randrange(1, len(answers))])  # a question left unanswered
        elif roll < 0.10:
            key = rng.choice(list(answers))
            answers[key] = "maybe" if not isinstance(answers[key], str) or len(answers[key]) < 20 else "too short"
        case: dict[str, Any] = {"case_ref": f"REQ-{number:06d}", "tree": tree_id, "answers": answers}
        case["sign_off"] = {"name": rng.choice(_PEOPLE), "role": rng.choice(_ROLES), "organisation": "Anytown Council"}
        yield case


def write_cases(
    path: Path, pool: list[dict[str, Any]], count: int, tree_id: str, *, mix: bool = True, seed: int = 7
) -> Path:
    """Write ``count`` cases as JSONL, CSV or YAML, chosen by ``path``'s suffix."""
    cases = _cases(pool, count, tree_id, mix, seed)
    with path.open("w", encoding="utf-8", newline="") as handle:
        if path.suffix == ".jsonl":
            for case in cases:
                handle.write(json.dumps(case, ensure_ascii=False) + "\n")
        elif path.suffix == ".csv":
            columns = sorted({k for answers in pool for k in answers})
            writer = csv.writer(handle)
            writer.writerow(["case_ref", "tree", *columns, "sign_off.name", "sign_off.role"])
            for case in cases:
                values = [case["answers"].get(k, "") for k in columns]
                cells = [";".join(v) if isinstance(v, list) else str(v) for v in values]
                sign_off = case["sign_off"]
                writer.writerow([case["case_ref"], case["tree"], *cells, sign_off["name"], sign_off["role"]])
        else:
            for case in cases:
                handle.write("- " + json.dumps(case, ensure_ascii=False) + "\n")
    return path


# -- generated trees ------------------------------------------------------------------------------

_HEADER = """\
format: sharewise-tree/1
id: {id}
title: Generated tree of {nodes} nodes
description: A large tree written by the benchmark.
version: "1"
owner: bench
reviewed: 2026-01-01
next_review: 2099-01-01
sources:
  gen:
    title: Generated source
    url: https://example.org/generated
nodes:
"""


def write_tree(path: Path, nodes: int, tree_id: str = "generated") -> Path:
    """A valid tree of about ``nodes`` questions and outcomes, in the shipped trees' style.

    Questions form a long forward chain (so there are no loops) with branches: mostly choices
    with three options, one text question in ten, conditional routes every so often, and an outcome
    every fifteen questions, each with a record question.
    """
    outcomes_every = 15
    n_outcomes = max(3, nodes // outcomes_every)
    n_questions = max(1, nodes - 2 * n_outcomes)
    out = [_HEADER.format(id=tree_id, nodes=nodes)]
    decisions = ("share", "do-not-share", "seek-advice")

    def target(i: int) -> str:
        return f"q{i}" if i < n_questions else f"o{i % n_outcomes}"

    for i in range(n_questions):
        out.append(
            f"  q{i}:\n"
            f"    section: Step {i // 50 + 1}\n"
            f"    ask: Question {i}, asked to check one thing about the sharing?\n"
            f"    help: |\n"
            f"      Why it matters: question {i} checks one part of the decision.\n"
            f"      What good looks like: a plain answer.\n"
            f"    source: gen section {i}\n"
        )
        if i % 10 == 9:
            out.append(f"    kind: text\n    min_length: 10\n    detail: note_{i}\n    next: {target(i + 1)}\n")
            continue
        out.append("    options:\n")
        if i % 20 == 4 and i > 0:
            out.append(
                f"      yes:\n        label: Yes\n        next:\n"
                f"          - if: q{i - 1} == 'yes'\n            to: {target(i + 2)}\n"
                f"          - to: {target(i + 1)}\n"
            )
        else:
            out.append(f"      yes: {target(i + 1)}\n")
        out.append(f"      no: {target(i + 2)}\n")
        out.append(f"      not-sure:\n        label: Not sure\n        next: o{i % n_outcomes}\n")
    for k in range(n_outcomes):
        out.append(
            f"  r{k}:\n"
            f"    ask: Why did you reach outcome {k}?\n"
            f"    help: The record keeps the reasons.\n"
            f"    source: gen record\n"
            f"    kind: text\n    min_length: 20\n    detail: reasons\n"
        )
    out.append("outcomes:\n")
    for k in range(n_outcomes):
        out.append(
            f"  o{k}:\n"
            f"    decision: {decisions[k % 3]}\n"
            f"    title: Outcome {k}\n"
            f"    summary: The generated outcome number {k}.\n"
            f"    actions:\n      - Record what you decided.\n"
            f"      - text: Tell the requester why.\n        if: q0 == 'yes'\n"
            f"    record: [r{k}]\n"
        )
    path.write_text("".join(out), encoding="utf-8")
    return path


def write_bad_routes_tree(path: Path, routes: int = 6000) -> Path:
    """A tree of ``routes`` short questions, each with a route to a place that does not exist (~480 KB).

    Before suggestions and diagnostics were capped, each bad route looked for a close match among
    every node, so validating this took minutes.
    """
    out = [_HEADER.format(id="bad-routes", nodes=routes)]
    for i in range(routes):
        out.append(f"  q{i}:\n    ask: Q{i}?\n    help: h\n    source: gen a\n    options:\n      yes: gone-{i}\n")
    out.append("outcomes:\n  o0:\n    decision: share\n    title: T\n    summary: S\n")
    path.write_text("".join(out), encoding="utf-8")
    return path


def write_unknown_keys_tree(path: Path, megabytes: int = 58) -> Path:
    """A tree file of ``megabytes`` MB, nearly all of it top-level keys no tree has."""
    line = "unknown-key-{:08d}: a value that belongs to no part of any tree at all, repeated\n"
    with path.open("w", encoding="utf-8") as handle:
        handle.write(_HEADER.format(id="unknown-keys", nodes=1))
        handle.write("  q0:\n    ask: Q?\n    help: h\n    source: gen a\n    options:\n      yes: o0\n")
        handle.write("outcomes:\n  o0:\n    decision: share\n    title: T\n    summary: S\n")
        count = megabytes * 1_000_000 // len(line.format(0))
        for start in range(0, count, 10_000):
            handle.write("".join(line.format(i) for i in range(start, min(start + 10_000, count))))
    return path


# -- records folders ------------------------------------------------------------------------------


def write_records_folder(folder: Path, count: int, *, skip_every_other: bool = False, seed: int = 3) -> int:
    """Fill the new folder ``folder`` with ``count`` chained records, as sharewise writes them.

    With ``skip_every_other`` the chain is ``2 * count`` long but only its odd positions are
    written: a folder with half of its records missing, made without deleting anything. Returns
    the number of record files written.
    """
    from datetime import datetime, timezone

    from sharewise.frontends.answers import Case
    from sharewise.frontends.scripted import run_case
    from sharewise.records.build import SignOff
    from sharewise.records.folder import encode, record_filename
    from sharewise.records.head import ChainHead, save_head
    from sharewise.records.integrity import ChainLink, seal
    from sharewise.records.safefiles import make_private_folder

    library = Library.default()
    engine = Engine(library.get("ico-10-step"), library.get)
    start = datetime(2024, 1, 1, 8, 0, tzinfo=timezone.utc)
    rng = random.Random(seed)
    templates = []
    for answers in answer_pool("ico-10-step", 20, seed):
        case = Case(answers=answers, sign_off=SignOff(rng.choice(_PEOPLE), rng.choice(_ROLES), "Anytown"))
        result = run_case(engine, case, now=lambda: start, write=False)
        templates.append(result.payload)
    make_private_folder(folder)
    chain_id = f"{rng.getrandbits(128):032x}"
    chain_id = f"{chain_id[:8]}-{chain_id[8:12]}-4{chain_id[13:16]}-8{chain_id[17:20]}-{chain_id[20:]}"
    previous: str | None = None
    written = 0
    last_name: str | None = None
    positions = 2 * count if skip_every_other else count
    for sequence in range(1, positions + 1):
        record = dict(templates[sequence % len(templates)])
        record["id"] = f"{rng.getrandbits(32):08x}-{sequence % 65536:04x}-4000-8000-{sequence:012d}"
        record["created_at"] = (start + timedelta(minutes=7 * sequence)).isoformat(timespec="seconds")
        record["case_ref"] = f"REQ-{sequence:07d}"
        sealed = seal(record, link=ChainLink(chain_id, sequence, previous))
        previous = sealed["integrity"]["digest"]
        if skip_every_other and sequence % 2 == 0:
            continue
        name = record_filename(sealed)
        with (folder / name).open("xb") as handle:
            handle.write(encode(sealed))
        (folder / name).chmod(0o600)
        written += 1
        last_name = name
    if not skip_every_other or positions % 2:
        head = ChainHead(chain_id, positions, previous, last_name, None, written)
        save_head(folder, head, fsync=True)
    else:  # the newest position was skipped: the head still names it, as after a deletion
        save_head(folder, ChainHead(chain_id, positions, previous, None, None, written), fsync=True)
    os.sync()
    return written
