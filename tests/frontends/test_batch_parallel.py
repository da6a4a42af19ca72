"""`sharewise check` on several CPUs (frontends.batch.parallel): the same output as on one, only sooner."""

from __future__ import annotations

import io
import json
import os
import re
from pathlib import Path
from typing import Any

import pytest

from sharewise.frontends.batch import BatchOptions, Summary, parallel, run_check
from sharewise.frontends.casefiles import open_cases
from sharewise.records.build import SignOff
from tests.helpers import ADVICE, REFUSE, SHARE, UNFINISHED, WRONG, WriteTree, jsonl

pytestmark = pytest.mark.skipif(not parallel._can_fork(), reason="parallel checking needs fork")


@pytest.fixture
def cases(write_tree: WriteTree, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A cases file of every kind of line, long enough for several blocks of a few lines each."""
    monkeypatch.setenv("SHAREWISE_TREES_PATH", str(tmp_path))
    write_tree()
    (tmp_path / "broken.yaml").write_text("id: broken\ntitle: [unclosed\n", encoding="utf-8")
    monkeypatch.setattr(parallel, "BLOCK_LINES", 7)
    monkeypatch.setattr(parallel, "RECORD_BLOCK_LINES", 5)
    monkeypatch.setattr(parallel, "MIN_PARALLEL_BYTES", 0)
    shipped = {"case_ref": "W1", "tree": "when-to-share", "answers": {"urgency": "no"}}
    kinds: list[dict[str, Any] | str] = [
        SHARE,
        REFUSE,
        ADVICE,
        UNFINISHED,
        WRONG,
        shipped,
        {"case_ref": "B1", "tree": "broken", "answers": {}},
        {"case_ref": "N1", "tree": "no-such-tree", "answers": {}},
        '{"case_ref": "J1", "answers": {',
        "",
        '{"case_ref": "K1", "tree": "t", "answers": {"purpose": "yes"}, "stray": 1}',
        {"case_ref": "\x1b[31mred", "tree": "t", "answers": {"purpose": "maybe"}},
    ]
    return jsonl(tmp_path / "cases.jsonl", *(kinds * 9))


def _run(cases: Path, workers: int, output: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run_check(BatchOptions(cases=cases, output=output, workers=workers), stdout=out, stderr=err)
    return code, _timeless(out.getvalue()), _timeless(err.getvalue())


def _timeless(text: str) -> str:
    """The report without the one thing that differs from run to run: how long it took."""
    return re.sub(r" in \d+\.\d s(, [\d,]+ a second)?\.", " in T s.", text)


@pytest.mark.parametrize("output", ["jsonl", "text"])
def test_two_workers_give_exactly_what_one_process_gives(cases: Path, output: str) -> None:
    assert parallel.workers_for(open_cases(cases), asked=2) == 2
    one = _run(cases, 1, output)
    two = _run(cases, 2, output)
    assert two == one
    code, out, err = two
    assert code == 5  # a case named an invalid tree
    # every case is reported, in input order, and the tree error is told once, not once per worker
    if output == "jsonl":
        results = [json.loads(line) for line in out.splitlines()]
        assert len(results) == 11 * 9
        assert [r["line"] for r in results] == sorted(r["line"] for r in results)
    assert err.count("sharewise: ") == 1
    assert "\x1b" not in out + err


def test_a_worker_that_dies_costs_speed_not_results(cases: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    expected = _run(cases, 1, "jsonl")
    monkeypatch.setattr(parallel, "check_block", _dies_on_the_third_block)
    assert _run(cases, 2, "jsonl") == expected


def _dies_on_the_third_block(lines: list[tuple[int, bytes | None]] | None, *given: Any) -> parallel.Block:
    first = lines[0][0] if lines else given[2][0][0]  # the lines, or where they lie in a shared slot
    if first in (15, 11):  # the first line of the third block of seven (or, with records, of five)
        os._exit(9)  # as a worker killed by the system would
    return _CHECK_BLOCK(lines, *given)


_CHECK_BLOCK = parallel.check_block  # as it is before a test replaces it


def _checker() -> Any:
    checker = parallel._CHECKER
    assert checker is not None
    return checker


def test_small_files_pipes_and_other_formats_are_checked_in_one_process(
    cases: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = open_cases(cases)
    assert parallel.workers_for(source, asked=1) == 0
    monkeypatch.setenv(parallel.WORKERS_ENV, "1")
    assert parallel.workers_for(source) == 0
    monkeypatch.setenv(parallel.WORKERS_ENV, "2")
    assert parallel.workers_for(source) in (0, 2)  # 0 on a machine with one CPU
    csv = tmp_path / "cases.csv"
    csv.write_text("case_ref,tree,purpose\nC1,t,yes\n", encoding="utf-8")
    assert parallel.workers_for(open_cases(csv), asked=2) == 0
    monkeypatch.setattr(parallel, "MIN_PARALLEL_BYTES", 1 << 30)
    assert parallel.workers_for(source, asked=2) == 0


def _records_run(cases: Path, folder: Path, workers: int, **kwargs: Any) -> tuple[int, list[dict[str, Any]], str]:
    options = BatchOptions(cases=cases, output="jsonl", workers=workers, records_dir=folder,
                           sign_off=SignOff("Sam Carter", "DSL", "Hilltop"))  # fmt: skip
    out, err = io.StringIO(), io.StringIO()
    code = run_check(options, stdout=out, stderr=err, **kwargs)
    results = [json.loads(line) for line in out.getvalue().splitlines()]
    return code, results, _timeless(err.getvalue()).replace(str(folder), "F")


def _records_of(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The record of each result that has one, in result order."""
    return [json.loads(Path(r["record"]).read_bytes()) for r in results if r.get("record")]


def _comparable(record: dict[str, Any]) -> dict[str, Any]:
    """A record less what differs between two runs: its id, and the seal that covers the id."""
    return {k: v for k, v in record.items() if k not in ("id", "chain", "integrity")}


def test_a_batch_that_writes_records_on_two_workers_writes_what_one_process_writes(
    cases: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import datetime, timezone

    from tests.helpers import verify

    shared: list[bool] = []  # whether each block's records came through the shared slots
    checked = parallel.Block.checked

    def noting(block: parallel.Block) -> Any:
        shared.append(block.placed is not None)
        return checked(block)

    monkeypatch.setattr(parallel.Block, "checked", noting)

    moment = datetime(2026, 12, 2, 9, 30, tzinfo=timezone.utc)
    runs = {}
    for workers in (1, 2):
        folder = tmp_path / f"records-{workers}"
        code, results, err = _records_run(cases, folder, workers, now=lambda: moment)
        records = _records_of(results)
        assert len(records) == len(list(folder.glob("*.json"))) == 3 * 9  # the decided cases of each round
        # each case's record is the next link of the chain, in input order
        assert [r["chain"]["sequence"] for r in records] == list(range(1, len(records) + 1))
        assert verify(folder).ok
        runs[workers] = (code, [_without_record(r) for r in results], err, [_comparable(r) for r in records])
    assert runs[2] == runs[1]
    assert shared and all(shared)


def test_records_and_lines_too_big_for_their_shared_slots_travel_the_ordinary_way(
    cases: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import datetime, timezone

    from tests.helpers import verify

    moment = datetime(2026, 12, 2, 9, 30, tzinfo=timezone.utc)
    expected = _records_run(cases, tmp_path / "one", 1, now=lambda: moment)
    for records_room, lines_room in ((100, 1 << 20), (1 << 20, 100), (100, 100)):
        monkeypatch.setattr(parallel, "SLOT_BYTES", records_room)
        monkeypatch.setattr(parallel, "LINES_SLOT_BYTES", lines_room)
        folder = tmp_path / f"two-{records_room}-{lines_room}"
        code, results, err = _records_run(cases, folder, 2, now=lambda: moment)
        assert (code, [_without_record(r) for r in results], err.replace(str(folder), "F")) == (
            expected[0],
            [_without_record(r) for r in expected[1]],
            expected[2].replace(str(tmp_path / "one"), "F"),
        )
        assert [_comparable(r) for r in _records_of(results)] == [_comparable(r) for r in _records_of(expected[1])]
        assert verify(folder).ok


def test_with_no_room_for_shared_slots_a_records_batch_goes_through_the_pipes_in_time_order(
    cases: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import datetime, timedelta, timezone

    from tests.helpers import verify

    def no_room(*_: Any) -> Any:
        raise OSError(12, "Cannot allocate memory")  # as under a memory limit

    monkeypatch.setattr(parallel.mmap, "mmap", no_room)
    start = datetime(2026, 12, 2, 9, 30, tzinfo=timezone.utc)
    ticks = iter(range(10_000))
    folder = tmp_path / "records"
    code, results, _ = _records_run(cases, folder, 2, now=lambda: start + timedelta(seconds=next(ticks)))
    assert code == 5
    stamps = [r["created_at"] for r in _records_of(results)]
    assert len(stamps) == 3 * 9
    assert stamps == sorted(stamps)  # stamped by the main process's clock, block by block
    assert len(set(stamps)) > 1
    assert verify(folder).ok


def test_records_from_workers_are_in_time_order_along_the_chain(cases: Path, tmp_path: Path) -> None:
    from datetime import datetime, timedelta, timezone

    start = datetime(2026, 12, 2, 9, 30, tzinfo=timezone.utc)
    ticks = iter(range(10_000))

    def clock() -> datetime:  # a second later every time it is read
        return start + timedelta(seconds=next(ticks))

    _, results, _ = _records_run(cases, tmp_path / "records", 2, now=clock)
    stamps = [r["created_at"] for r in _records_of(results)]
    assert stamps == sorted(stamps)
    assert len(set(stamps)) > 1  # one moment a block, so more than one in all


def test_a_worker_that_dies_loses_no_record(cases: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.helpers import verify

    monkeypatch.setattr(parallel, "check_block", _dies_on_the_third_block)
    folder = tmp_path / "records"
    code, results, _ = _records_run(cases, folder, 2)
    assert code == 5  # as without workers: a case named an invalid tree
    assert len(results) == 11 * 9
    assert len(_records_of(results)) == len(list(folder.glob("*.json"))) == 3 * 9
    assert verify(folder).ok


def test_a_record_that_cannot_be_written_stops_a_batch_on_two_workers(
    cases: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sharewise.errors import WriteFailed
    from sharewise.records import writer
    from tests.helpers import verify

    real = writer._write_in_folder
    written: list[str] = []

    def fails_on_the_fifth(files: Any, name: str, data: bytes, *, fsync: bool = True) -> str:
        if len(written) == 4:
            raise WriteFailed(f"cannot write the record to {files.folder}: the disk is full; nothing was written")
        written.append(real(files, name, data, fsync=fsync))
        return written[-1]

    monkeypatch.setattr(writer, "_write_in_folder", fails_on_the_fifth)
    folder = tmp_path / "records"
    options = BatchOptions(cases=cases, output="jsonl", workers=2, records_dir=folder,
                           sign_off=SignOff("Sam", "DSL"))  # fmt: skip
    out = io.StringIO()
    with pytest.raises(WriteFailed, match="the 4 record"):
        run_check(options, stdout=out, stderr=io.StringIO())
    reported = [json.loads(line) for line in out.getvalue().splitlines()]
    # every case before the one whose record failed was reported, and none after it
    assert sum(1 for r in reported if r.get("record")) == 4
    assert reported[-1].get("record") and len(reported) < 11 * 9
    assert len(list(folder.glob("*.json"))) == 4
    assert verify(folder).ok


@pytest.mark.usefixtures("cases")  # the trees beside it, a broken one among them, and small blocks
def test_a_batch_stopped_by_a_failed_write_reports_no_tree_error_of_a_later_case(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The tree error of a case after the record that failed is not told: no case after it was checked."""
    from sharewise.errors import WriteFailed
    from sharewise.records import writer

    broken = {"case_ref": "B1", "tree": "broken", "answers": {}}
    short = jsonl(tmp_path / "short.jsonl", SHARE, SHARE, broken, SHARE, SHARE)
    real = writer._write_in_folder
    written: list[str] = []

    def fails_on_the_second(files: Any, name: str, data: bytes, *, fsync: bool = True) -> str:
        if written:
            raise WriteFailed(f"cannot write the record to {files.folder}: the disk is full; nothing was written")
        written.append(real(files, name, data, fsync=fsync))
        return written[-1]

    monkeypatch.setattr(writer, "_write_in_folder", fails_on_the_second)
    seen = {}
    for workers in (1, 2):
        written.clear()
        out, err = io.StringIO(), io.StringIO()
        options = BatchOptions(cases=short, output="jsonl", workers=workers, records_dir=tmp_path / f"r{workers}",
                               sign_off=SignOff("Sam", "DSL"))  # fmt: skip
        with pytest.raises(WriteFailed):
            run_check(options, stdout=out, stderr=err)
        seen[workers] = (len(out.getvalue().splitlines()), err.getvalue())
    assert seen[2] == seen[1] == (1, "")


def _without_record(result: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in result.items() if k != "record"}


def test_summaries_add_up() -> None:
    first, second = Summary(total=3, invalid=1), Summary(total=2, incomplete=1, records=1)
    first.decisions["share"] = 2
    second.decisions["share"] = 1
    second.decisions["seek-advice"] = 1
    first.add(second)
    assert (first.total, first.invalid, first.incomplete, first.records) == (5, 1, 1, 1)
    assert first.decisions["share"] == 3
    assert first.decisions["seek-advice"] == 1
    assert first.decided == 4


@pytest.mark.parametrize("given", ["0", "65", "two", "²", "-1"])
def test_workers_must_be_a_whole_number_from_1_to_64(cases: Path, given: str) -> None:
    from typer.testing import CliRunner

    from sharewise.cli import app

    result = CliRunner().invoke(app, ["check", str(cases), "--workers", given])
    assert result.exit_code == 2
    assert "--workers takes a whole number from 1 to 64" in result.stderr


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="finds the workers through /proc")
def test_workers_do_not_outlive_a_main_process_killed_outright(tmp_path: Path) -> None:
    import signal
    import subprocess
    import sys
    import time

    cases = tmp_path / "cases.jsonl"
    cases.write_text('{"tree": "ico-10-step", "answers": {"urgency": "yes"}}\n' * 100_000, encoding="utf-8")
    main = subprocess.Popen(
        [sys.executable, "-m", "sharewise", "check", str(cases), "--format", "jsonl", "--workers", "2"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    children = Path(f"/proc/{main.pid}/task/{main.pid}/children")
    deadline = time.monotonic() + 30
    workers: list[str] = []
    while len(workers) < 2 and time.monotonic() < deadline and main.poll() is None:
        workers = children.read_text().split() if children.exists() else []
        time.sleep(0.02)
    assert len(workers) == 2, "the batch ended before its workers were seen"
    main.send_signal(signal.SIGKILL)
    main.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(_alive(pid) for pid in workers):
        time.sleep(0.05)
    assert not any(_alive(pid) for pid in workers)


def _alive(pid: str) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "\nState:\tZ" not in status
