"""frontends.batch.check and records.build: a batch's record ids are made many at a time yet stay
unique random version-4 UUIDs (across threads and forks), and a record's time stamp text is made
once per clock reading (issue 13)."""

from __future__ import annotations

import os
import threading
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from sharewise.frontends.batch import check as batch_check
from sharewise.records.build import SignOff, build_record
from tests.helpers import EMERGENCY_SHARE, _engine


def test_record_ids_are_random_version_4_uuids_written_as_uuid_writes_them() -> None:
    ids = [batch_check._uuid4() for _ in range(1000)]  # several pools' worth
    assert len(set(ids)) == len(ids)
    for made in ids:
        parsed = uuid.UUID(made)
        assert parsed.version == 4 and parsed.variant == uuid.RFC_4122
        assert str(parsed) == made
    assert {made[19] for made in ids} == set("89ab")  # every variant digit occurs, none other


def test_threads_never_get_the_same_id() -> None:
    batch_check._IDS.clear()
    got: list[list[str]] = [[] for _ in range(8)]

    def take(into: list[str]) -> None:
        for _ in range(2000):
            into.append(batch_check._uuid4())

    threads = [threading.Thread(target=take, args=(into,)) for into in got]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    every = [made for into in got for made in into]
    assert len(every) == 16_000 and len(set(every)) == 16_000


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_never_hands_out_its_parents_next_ids() -> None:
    batch_check._uuid4()  # the pool now holds ids the parent will hand out next
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        os.close(read)
        os.write(write, " ".join(batch_check._uuid4() for _ in range(10)).encode())
        os._exit(0)
    os.close(write)
    with os.fdopen(read) as pipe:
        childs = set(pipe.read().split())
    os.waitpid(pid, 0)
    parents = {batch_check._uuid4() for _ in range(10)}
    assert len(childs) == 10 and not childs & parents


def test_the_time_stamp_follows_the_clock_reading_it_is_given() -> None:
    walk = _engine("ico-10-step").walk(EMERGENCY_SHARE, blank_optional=True)
    sign_off = SignOff("Sam Patel", "designated safeguarding lead")
    first = datetime(2026, 12, 2, 1, 0, 0, tzinfo=timezone.utc)
    readings = [first, first, first + timedelta(seconds=1), first.astimezone(timezone(timedelta(hours=-5))), first]
    stamps = [build_record(walk, sign_off=sign_off, record_id="x", now=now)["created_at"] for now in readings]
    assert stamps == [now.isoformat(timespec="seconds") for now in readings]
    assert stamps[3] == "2026-12-01T20:00:00-05:00"
    record = build_record(walk, sign_off=sign_off, record_id="x", now=readings[2])
    assert record["sign_off"]["signed_at"] == record["created_at"] == "2026-12-02T01:00:01+00:00"
