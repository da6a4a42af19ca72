"""records.signing: Ed25519 keys, what a signed record declares, and trusting a colleague's public key."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from sharewise.records.signing import SigningKey, SigningKeyError, TrustedKeys, generate_key, load_signing_key
from tests.helpers import verify, write_folder


def test_signed_records_verify_and_the_public_key_is_enough(folder: Path, key: SigningKey, tmp_path: Path) -> None:
    files = write_folder(folder)
    record = json.loads(files[0].read_text(encoding="utf-8"))
    assert record["signing"] == {"algorithm": "ed25519", "key_id": key.key_id}
    assert record["integrity"]["signature"]["key_id"] == key.key_id
    assert verify(folder).ok
    assert verify(folder, require_signatures=True).ok
    public = tmp_path / "keys" / "alex.pub.pem"
    auditor = TrustedKeys.load([public], folder=tmp_path / "none", own=False)
    assert auditor.label(key.key_id) == "alex"
    assert verify(folder, trusted=auditor).ok


def test_a_key_readable_by_others_is_refused(key: SigningKey) -> None:
    assert key.path is not None
    key.path.chmod(0o644)
    with pytest.raises(SigningKeyError, match="chmod 600"):
        load_signing_key()


def test_keygen_never_replaces_a_key(tmp_path: Path) -> None:
    generate_key(tmp_path / "k.pem")
    with pytest.raises(SigningKeyError, match="already exists"):
        generate_key(tmp_path / "k.pem")
    assert stat.S_IMODE((tmp_path / "k.pem").stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "k.pub.pem").stat().st_mode) == 0o644
