"""records.safefiles: every folder sharewise makes is private (0700), whatever the umask."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from sharewise.records.safefiles import make_private_folder
from sharewise.records.store import write_record
from tests.helpers import make_record, records_in


def test_every_folder_made_is_0700_under_umask_000(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        write_record(make_record(), folder=tmp_path / "data" / "sharewise" / "records")
        make_private_folder(tmp_path / "state" / "sharewise" / "drafts")
        from sharewise.records.signing import generate_key

        generate_key(tmp_path / "config" / "sharewise" / "keys" / "me.pem")
    finally:
        os.umask(old)
    made = [p for p in tmp_path.rglob("*") if p.is_dir()]
    assert len(made) == 9
    assert {str(p.relative_to(tmp_path)): oct(stat.S_IMODE(p.stat().st_mode)) for p in made} == {
        str(p.relative_to(tmp_path)): "0o700" for p in made
    }
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in records_in(tmp_path / "data" / "sharewise" / "records"))
