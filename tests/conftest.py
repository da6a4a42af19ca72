"""Shared fixtures; the helpers they use (and the tests import) are in tests/helpers.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import WriteTree, tree_writer


@pytest.fixture
def write_tree(tmp_path: Path) -> WriteTree:
    """Write a tree file: ``write_tree(body, id="t")`` prepends a valid header to ``body``."""
    return tree_writer(tmp_path)


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep tests away from the user's records, config and trees."""
    monkeypatch.setenv("SHAREWISE_RECORDS_DIR", str(tmp_path / "records"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.delenv("SHAREWISE_TREES_PATH", raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)
    # Read trees are cached between runs (trees/cache.py): each test has its own cache, so the
    # cache is in play everywhere (a test that reads a tree twice reads it the second time from
    # the cache) and no test sees another's.
    monkeypatch.setenv("SHAREWISE_TREE_CACHE", str(tmp_path / "tree-cache"))


@pytest.fixture(autouse=True)
def _isolated_state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep tests away from the user's drafts and settings (interactive sessions save drafts)."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.delenv("SHAREWISE_DRAFTS_DIR", raising=False)
    monkeypatch.delenv("SHAREWISE_CONFIG", raising=False)
    for name in ("SHAREWISE_SIGNER_NAME", "SHAREWISE_SIGNER_ROLE", "SHAREWISE_ORGANISATION"):
        monkeypatch.delenv(name, raising=False)
