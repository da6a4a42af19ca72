"""Shared test helpers: small trees written beside the test that uses them."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

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


@pytest.fixture
def write_tree(tmp_path: Path) -> Callable[..., Path]:
    """Write a tree file: ``write_tree(body, id="t")`` prepends a valid header to ``body``."""

    def _write(body: str = SIMPLE_BODY, id: str = "t", header: bool = True, name: str | None = None) -> Path:
        text = (HEADER.format(id=id) if header else "") + textwrap.dedent(body)
        path = tmp_path / (name or f"{id}.yaml")
        path.write_text(text, encoding="utf-8")
        return path

    return _write


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep tests away from the user's records, config and trees."""
    monkeypatch.setenv("SHAREWISE_RECORDS_DIR", str(tmp_path / "records"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.delenv("SHAREWISE_TREES_PATH", raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)


@pytest.fixture(autouse=True)
def _isolated_state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep tests away from the user's drafts and settings (interactive sessions save drafts)."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.delenv("SHAREWISE_DRAFTS_DIR", raising=False)
    monkeypatch.delenv("SHAREWISE_CONFIG", raising=False)
    for name in ("SHAREWISE_SIGNER_NAME", "SHAREWISE_SIGNER_ROLE", "SHAREWISE_ORGANISATION"):
        monkeypatch.delenv(name, raising=False)
