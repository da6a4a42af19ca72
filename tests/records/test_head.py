"""The chain head: one model (records/head.ChainHead), its file unchanged on disk (issue 9)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from sharewise.records.head import HEAD_FILE, ChainHead, find_head, read_head, save_head
from sharewise.records.signing import TrustedKeys
from sharewise.records.store import RecordWriter
from sharewise.records.verify import verify_paths
from tests.helpers import make_record

CHAIN = "c0ffee00-0000-4000-8000-000000000000"
DIGEST = "ab" * 32


@pytest.mark.parametrize(
    "head",
    [
        ChainHead(CHAIN, 0, None, None, None, 0),
        ChainHead(CHAIN, 7, DIGEST, "x.json", "k" * 16, 7, pending=True),
    ],
)
def test_a_head_reads_back_as_it_was_written(tmp_path: Path, head: ChainHead) -> None:
    save_head(tmp_path, head, fsync=False)
    data = read_head(tmp_path)
    assert data is not None
    assert ChainHead.from_json(data) == head


def test_the_head_file_keeps_its_format_byte_for_byte(tmp_path: Path) -> None:
    save_head(tmp_path, ChainHead(CHAIN, 3, DIGEST, "c.json", None, 3), fsync=False)
    assert (tmp_path / HEAD_FILE).read_text(encoding="utf-8") == (
        "{\n"
        '  "format": "sharewise-chain-head/1",\n'
        f'  "chain": "{CHAIN}",\n'
        '  "sequence": 3,\n'
        f'  "digest": "{DIGEST}",\n'
        '  "file": "c.json",\n'
        '  "signed_by": null,\n'
        '  "files": 3\n'
        "}\n"
    )
    save_head(tmp_path, ChainHead(CHAIN, 3, DIGEST, "c.json", None, 3, pending=True), fsync=False)
    assert json.loads((tmp_path / HEAD_FILE).read_bytes())["pending"] is True


@pytest.mark.parametrize(
    "change",
    [{"chain": None}, {"chain": 5}, {"sequence": -1}, {"sequence": True}, {"sequence": "3"}],
)
def test_a_head_without_a_usable_chain_or_sequence_is_none(change: dict[str, Any]) -> None:
    data = {**ChainHead(CHAIN, 3, DIGEST, "c.json", None, 3).as_json(), **change}
    assert ChainHead.from_json(data) is None


def test_a_head_without_a_record_count_is_checked_by_verify_but_not_trusted_by_a_writer(tmp_path: Path) -> None:
    folder = tmp_path / "records"
    template = make_record()
    with RecordWriter(folder, fsync=False) as writer:
        for n in range(3):
            writer.write({**template, "id": f"{n:08x}-0000-4000-8000-000000000000"})
    data = json.loads((folder / HEAD_FILE).read_bytes())
    del data["files"]
    (folder / HEAD_FILE).write_text(json.dumps(data), encoding="utf-8")
    assert verify_paths([folder], trusted=TrustedKeys()).ok
    head, scanned = find_head(folder)
    assert scanned  # the writer read the records rather than trust the head
    assert (head.sequence, head.digest, head.file, head.files) == (3, data["digest"], data["file"], 3)
