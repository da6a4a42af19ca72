"""Fixtures for the front-end tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import WriteTree


@pytest.fixture
def tree(write_tree: WriteTree, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """write_tree's tree ``t``, findable by id (the batch cases name it); test_batch and test_casefiles use it."""
    monkeypatch.setenv("SHAREWISE_TREES_PATH", str(tmp_path))
    return write_tree()
