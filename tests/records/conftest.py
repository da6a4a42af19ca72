"""Fixtures for the records tests: an empty records folder and a signing key."""

from __future__ import annotations

from pathlib import Path

import pytest

from sharewise.records.signing import SigningKey, generate_key


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return tmp_path / "records"


@pytest.fixture
def key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> SigningKey:
    """A signing key set up the documented way, through SHAREWISE_SIGNING_KEY."""
    path = tmp_path / "keys" / "alex.pem"
    made = generate_key(path)
    monkeypatch.setenv("SHAREWISE_SIGNING_KEY", str(path))
    return made
