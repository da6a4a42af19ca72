"""Shared test helpers, imported from here by every test file and by conftest.py's fixtures.

Trees: a valid header and a small tree to write beside the test that uses them (``write_tree``
fixture), the ``WriteTree`` alias for that fixture, and the pair of trees one continues into the
other (answers carried across). Records: realistic decision records made by the real engine from
the shipped trees (no hand-written record JSON), for the integrity and records-command tests.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import json
import os
import signal
import textwrap
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from sharewise.cli import app
from sharewise.engine.walk import Engine
from sharewise.frontends.answers import Case
from sharewise.frontends.scripted import run_case
from sharewise.records.build import SignOff
from sharewise.records.signing import TrustedKeys
from sharewise.records.store import RecordWriter, write_record
from sharewise.records.verify import Report, verify_paths
from sharewise.trees.library import Library
from sharewise.trees.paths import shipped_trees_dir

# -- Trees -------------------------------------------------------------------------------------

WriteTree = Callable[..., Path]
"""The ``write_tree`` fixture: ``write_tree(body, id="t", header=True, name=None)`` gives the file's path."""

HEADER = """\
format: sharewise-tree/1
id: {id}
title: Test tree {id}
description: A small tree written by a test.
version: "1"
owner: tests
reviewed: 2026-01-01
next_review: 2099-01-01
sources:
  src:
    title: Test source
"""

SIMPLE_BODY = """\
nodes:
  purpose:
    ask: Is there a clear purpose?
    help: Purpose matters.
    source: src section 1
    options:
      yes: reasons
      no: no-purpose
      not-sure: advice
  reasons:
    ask: Why are you sharing?
    help: Write it for a later reader.
    source: src section 2
    kind: text
    min_length: 10
    detail: reasons
    next: share
  why-not:
    ask: Why are you not sharing?
    help: Reasons matter.
    source: src section 3
    kind: text
    min_length: 10
    detail: reasons
outcomes:
  share:
    decision: share
    title: Share
    summary: Share what is needed.
    actions:
      - Record what you shared.
  no-purpose:
    decision: do-not-share
    title: Do not share
    summary: No purpose.
    actions:
      - Tell the requester why.
    record: [why-not]
  advice:
    decision: seek-advice
    title: Seek advice
    summary: Ask your DSL.
"""


def tree_writer(folder: Path) -> WriteTree:
    """Write a tree file into ``folder``: ``write_tree(body, id="t")`` prepends a valid header to ``body``."""

    def _write(body: str = SIMPLE_BODY, id: str = "t", header: bool = True, name: str | None = None) -> Path:
        text = (HEADER.format(id=id) if header else "") + textwrap.dedent(body)
        path = folder / (name or f"{id}.yaml")
        path.write_text(text, encoding="utf-8")
        return path

    return _write


# A tree that continues into a second one, which carries two of its answers (same_as) and starts
# differently when continued (test_carried, the interactive session).
GIVING = """\
nodes:
  how:
    ask: Were you asked, or did you notice it?
    help: How it started.
    source: src s1
    options:
      request: consent
      proactive: consent
  consent:
    ask: Was the person asked to agree?
    help: Consent.
    source: src s2
    detail: consent
    options:
      given: may-share
      refused: may-share
      not-sure: advice
outcomes:
  may-share:
    decision: share
    title: You may share
    summary: Now decide how much.
    next: tree:how-much
  advice:
    decision: seek-advice
    title: Seek advice
    summary: Ask.
"""

RECEIVING = """\
start:
  - if: continued_from == 'giving'
    to: hm-how
  - to: hm-where
nodes:
  hm-where:
    ask: Has the decision to share been made?
    help: Stand-alone start.
    source: src s1
    options:
      yes: hm-how
      no: decide-first
  hm-how:
    ask: Were you asked, or did you notice it?
    help: Same fact as in the giving tree.
    source: src s1
    same_as: giving.how
    options:
      request: hm-consent
      proactive: hm-consent
  hm-consent:
    ask: Was the person asked to agree?
    help: Same fact again.
    source: src s2
    same_as: giving.consent
    map: {not-sure: unknown}
    detail: consent
    options:
      given: hm-much
      refused: hm-much
      unknown: hm-much
  hm-much:
    ask: Is all of it needed?
    help: How much.
    source: src s3
    options:
      all:
        next:
          - if: giving.consent == 'refused'
            to: share-refused
          - to: share-all
      some: share-some
outcomes:
  share-all:
    decision: share
    title: Share all
    summary: All.
    actions:
      - text: You are continuing a decision.
        if: continued_from == 'giving'
      - text: Tell the requester.
        if: hm-how == 'request'
  share-refused:
    decision: share
    title: Share despite refusal
    summary: Refused but shared.
  share-some:
    decision: share
    title: Share some
    summary: Some.
  decide-first:
    decision: seek-advice
    title: Decide first
    summary: First decide.
"""


# A tree with a question answered by the settings file and an option offered only to some organisations.
ORG = """\
nodes:
  org:
    ask: Is your organisation a public authority?
    help: It decides which lawful bases you can use.
    source: src s1
    setting: public_authority
    options:
      yes: basis
      no: basis
      not-sure: basis
  basis:
    ask: Which lawful basis?
    help: Pick one.
    source: src s2
    options:
      public-task: done
      legitimate-interests:
        if: org == 'no'
        next: done
      not-sure: done
outcomes:
  done:
    decision: share
    title: Done
    summary: Done.
"""


# -- Records -----------------------------------------------------------------------------------

START = datetime(2026, 11, 22, 9, 30, tzinfo=timezone.utc)

EMERGENCY_SHARE = {
    "urgency": "yes",
    "person": "child",
    "trigger": "request",
    "requester": "Sam Patel, duty social worker, Anytown Children's Services front door",
    "request": "Rang at 16:10 asking what Mia said today and whether she is safe to go home.",
    "role": "yes",
    "identity": "checked",
    "whereabouts": "no",
    "recipient": "Sam Patel, duty social worker, Anytown Children's Services front door",
    "identity-how": "Rang back through the council switchboard number on its website.",
    "emergency-purpose": "To let the duty social worker assess whether the children are safe at home tonight.",
    "what-shared": "Dates of the two missed appointments; what Mia said on 3 March, in her words:\n"
    '"Mum\'s boyfriend shouts and I hide under the bed."',
    "emergency-withheld": "Nothing held back.",
    "share-reasons": "Risk of serious harm tonight: Mia asked for help & said she is scared to go home.",
    "emergency-basis": "UK GDPR Article 6(1)(d) vital interests; to confirm with the DPO.",
    "consent-note": "Not asked: asking could increase the risk to Mia <and her brother>.",
    "emergency-person-told": "Mia knows her teacher is telling the social worker.",
    "emergency-carers-told": "Not told: her mother's boyfriend is the concern; social care will decide.",
}
REFUSE_REQUEST = {
    "urgency": "no",
    "person": "child",
    "framework": "yes",
    "trigger": "request",
    "requester": "A caller saying they are from the housing office, no name given",
    "request": "Rang on 20 November asking for the family's new address; gave no reason.",
    "objective": "no",
    "no-share-reasons": "The caller could not say what the information was for, and we could not verify who they were.",
    "requester-told": "Told the caller only that we cannot help with the request.",
}
SIGN_OFF = SignOff("Alex Jones", "Designated safeguarding lead", "Anytown Primary School")


@functools.cache
def _engine(tree: str) -> Engine:
    library = Library([shipped_trees_dir()])
    return Engine(library.get(tree), library.get)


def make_record(
    answers: dict[str, Any] | None = None,
    *,
    case_ref: str = "CASE-1",
    minutes: int = 0,
    tree: str = "ico-10-step",
    sign_off: SignOff = SIGN_OFF,
) -> dict[str, Any]:
    """A decided record, not yet written; ``minutes`` after :data:`START` (so file names sort)."""
    case = Case(answers=dict(EMERGENCY_SHARE if answers is None else answers), sign_off=sign_off, case_ref=case_ref)
    result = run_case(_engine(tree), case, now=lambda: START + timedelta(minutes=minutes), write=False)
    assert result.status == "decided", result.payload
    return result.payload


def records_in(folder: Path) -> list[Path]:
    """The record files in ``folder``, in name order (not its hidden chain head and lock)."""
    return sorted(folder.glob("[!.]*.json"))


def write_folder(folder: Path, count: int = 3) -> list[Path]:
    """``count`` records written one by one into ``folder``, shares and refusals in turn."""
    for n in range(count):
        answers = REFUSE_REQUEST if n % 2 else None
        write_record(make_record(answers, case_ref=f"CASE-{n + 1}", minutes=n), folder=folder)
    return records_in(folder)


def verify(*paths: Path, **kwargs: Any) -> Report:
    """What `records verify` reports for ``paths``, trusting the user's own keys unless ``trusted`` is given."""
    return verify_paths(list(paths), trusted=kwargs.pop("trusted", TrustedKeys.load()), **kwargs)


def fill(folder: Path, count: int) -> list[Path]:
    """``count`` chained records in ``folder``, written as a batch writes them."""
    template = make_record()
    with RecordWriter(folder, fsync=False) as writer:
        for n in range(count):
            writer.write({**template, "id": f"{n:08x}-0000-4000-8000-000000000000", "case_ref": f"C-{n}"})
    return records_in(folder)


@contextlib.contextmanager
def finishes_within(seconds: float) -> Iterator[None]:
    """Fail (rather than hang the suite) when the block has not returned after ``seconds``.

    A bound on a hang, not a speed measurement: the blocks it guards never returned before their fix.
    """

    def expired(*_: object) -> None:
        raise TimeoutError(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def rewrite(path: Path, change: Any) -> None:
    record = json.loads(path.read_text(encoding="utf-8"))
    change(record)
    path.write_text(json.dumps(record, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


# -- Batch cases (`sharewise check`) ------------------------------------------------------------------

runner = CliRunner()

# Cases for write_tree's tree "t": purpose -> reasons -> share; no -> no-purpose (+ why-not); not-sure -> advice.
SHARE = {"case_ref": "A1", "tree": "t", "answers": {"purpose": "yes", "reasons": "to keep the child safe"}}
REFUSE = {"case_ref": "A2", "tree": "t", "answers": {"purpose": "no", "why-not": "nobody can say why"}}
ADVICE = {"case_ref": "A3", "tree": "t", "answers": {"purpose": "not-sure"}}
UNFINISHED = {"case_ref": "A4", "tree": "t", "answers": {"purpose": "yes"}}
WRONG = {"case_ref": "A5", "tree": "t", "answers": {"purpose": "maybe"}}


MULTI_BODY = """\
nodes:
  who:
    ask: Who will receive it?
    help: Name each recipient.
    source: src section 1
    kind: multi
    options:
      police: {label: Police}
      school: {label: School}
      gp: {label: GP}
    next: done
  done:
    ask: Anything else to note?
    help: Optional.
    source: src section 2
    kind: text
    optional: true
    next: share
outcomes:
  share:
    decision: share
    title: Share
    summary: Share what is needed.
"""


def jsonl(path: Path, *cases: dict[str, Any] | str) -> Path:
    path.write_text("".join((c if isinstance(c, str) else json.dumps(c)) + "\n" for c in cases), encoding="utf-8")
    return path


def check(*args: str) -> tuple[int, list[dict[str, Any]], str]:
    """Run ``check --format jsonl``: exit code, the JSON lines, and standard error."""
    result = runner.invoke(app, ["check", *args, "--format", "jsonl"])
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    return result.exit_code, lines, result.stderr


def fail_after_a_partial_write(monkeypatch: pytest.MonkeyPatch, keep: int = 10) -> None:
    """Make every write short (``keep`` bytes) and then fail, as a disk that fills part way through a file."""
    real_write = os.write

    def short_then_fail(fd: int, data: Any) -> int:
        if len(data) > keep:
            return real_write(fd, bytes(data[:keep]))  # a partial write, then the disk fills
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "write", short_then_fail)
