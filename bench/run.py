"""Measure sharewise against its speed budget, as whole processes, and print a table.

Usage::

    .venv/bin/python bench/run.py            # every figure, 11 runs each (about 3 minutes)
    .venv/bin/python bench/run.py --quick    # fewer runs, 10,000 cases instead of 100,000 for memory
    .venv/bin/python bench/run.py --update-doc   # also write the table into docs/performance.md

Inputs are generated into ``bench/out/`` (ignored by git): cases for ``ico-10-step`` derived by
walking the engine (see ``bench/generate.py``), and generated trees of 1,000 to 100,000 nodes.
Every figure is the median of several runs of a fresh process. Ratios are measured interleaved
(baseline, then sharewise, then baseline...) so a busy moment on the machine hits both alike, the
order within each pair swapped every other pair.

The child processes run as an installed sharewise would: with bytecode caches (the source is
compiled first, as pip does on install) and without PYTHONDONTWRITEBYTECODE or PYTHONUNBUFFERED.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
DOC = ROOT / "docs" / "performance.md"
PYTHON = Path(sys.executable)
SHAREWISE = PYTHON.parent / "sharewise"
TREE = "ico-10-step"
HEAVY = ("questionary", "prompt_toolkit")
Command = list[str | Path]

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import (  # noqa: E402
    answer_pool,
    write_bad_routes_tree,
    write_cases,
    write_records_folder,
    write_tree,
    write_unknown_keys_tree,
)


@dataclass
class Row:
    name: str
    figure: str
    budget: str
    ok: bool
    note: str = ""


@dataclass
class Run:
    seconds: float
    maxrss_kib: int
    code: int
    stderr: bytes


def child_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONUNBUFFERED")}
    env["SHAREWISE_RECORDS_DIR"] = str(OUT / "records-default")
    env["XDG_DATA_HOME"] = str(OUT / "xdg-data")
    env["XDG_CONFIG_HOME"] = str(OUT / "xdg-config")
    env.pop("SHAREWISE_TREES_PATH", None)
    env.pop("SHAREWISE_SIGNING_KEY", None)
    return env


# Peak memory is read in a small middle process: Linux carries a process's peak resident size
# across exec, so a child forked straight from this (large) process would report this one's size.
_MEASURE = """
import os, sys, time
start = time.perf_counter()
pid = os.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
_, status, usage = os.wait4(pid, 0)
seconds = time.perf_counter() - start
os.write(2, f"\\nBENCH {seconds} {usage.ru_maxrss}\\n".encode())
sys.exit(os.waitstatus_to_exitcode(status))
"""


def run(cmd: Sequence[str | Path], *, memory: bool = False) -> Run:
    """Run ``cmd`` to completion: its wall time, exit code, and (with ``memory``) its peak resident size."""
    argv = [str(c) for c in cmd]
    if memory:
        argv = [str(PYTHON), "-c", _MEASURE, *argv]
    with Path(os.devnull).open("wb") as devnull:
        start = time.perf_counter()
        proc = subprocess.run(argv, stdout=devnull, stderr=subprocess.PIPE, env=child_env(), cwd=OUT, check=False)
        seconds = time.perf_counter() - start
    maxrss = 0
    err = proc.stderr
    if memory:
        head, _, tail = err.rpartition(b"\nBENCH ")
        inner, rss = tail.split()
        seconds, maxrss, err = float(inner), int(rss), head
    return Run(seconds, maxrss, proc.returncode, err)


def median_runs(
    make: Callable[[int], Sequence[str | Path]],
    runs: int,
    before: Callable[[int], None] | None = None,
    *,
    memory: bool = False,
) -> list[Run]:
    results = []
    for i in range(runs):
        if before:
            before(i)
        results.append(run(make(i), memory=memory))
    return results


def interleaved(base: Sequence[str | Path], target: Sequence[str | Path], runs: int) -> tuple[float, float]:
    """Median wall times of ``base`` and ``target``, run alternately after one warm-up each."""
    b, t = interleaved_times(base, target, runs)
    return statistics.median(b), statistics.median(t)


Commands = Command | Callable[[int], Command]  # one command, or the command for the i-th run


def interleaved_times(
    base: Commands,
    target: Commands,
    runs: int,
    *,
    warm: bool = True,
    codes: Collection[int] | None = None,
    after: Callable[[int], None] | None = None,
) -> tuple[list[float], list[float]]:
    """Wall times of ``runs`` pairs of ``base`` and ``target`` (after one warm-up each, if ``warm``).

    The order within a pair swaps every time (base first, then target first): a run can slow
    the one just after it (the disk still writing back, a cache just refilled), and swapping puts
    that on both sides alike instead of always on the same one. With ``codes``, a run that exits
    with any other code stops the benchmark (its time would mean nothing); ``after(i)`` is called
    once the i-th pair has run.
    """

    def timed(commands: Commands, i: int) -> float:
        argv = commands(i) if callable(commands) else commands
        result = run(argv)
        if codes is not None and result.code not in codes:
            shown = " ".join(str(a) for a in argv[:4])
            tail = result.stderr.decode("utf-8", "replace")[-600:]
            raise SystemExit(f"{shown} ... exited {result.code}, not {sorted(codes)}:\n{tail}")
        return result.seconds

    if warm:
        timed(base, -1)
        timed(target, -1)
    b, t = [], []
    for i in range(runs):
        if i % 2:
            t.append(timed(target, i))
            b.append(timed(base, i))
        else:
            b.append(timed(base, i))
            t.append(timed(target, i))
        if after is not None:
            after(i)
    return b, t


def paired(base: Sequence[float], mine: Sequence[float]) -> float:
    """The median over pairs of each run's time against the base run just before it.

    This machine's speed drifts within a figure (other work, the disk's moods); a pair shares
    its moment, so the median of the pairs' ratios moves less than the ratio of two medians.
    """
    return statistics.median(m / b for b, m in zip(base, mine, strict=True))


def imported_modules(cmd: Sequence[str | Path]) -> set[str]:
    result = subprocess.run(
        [str(PYTHON), "-X", "importtime", "-m", "sharewise", *[str(c) for c in cmd]],
        capture_output=True, env=child_env(), cwd=OUT, check=False,
    )  # fmt: skip
    names = set()
    for line in result.stderr.decode("utf-8", "replace").splitlines():
        if line.startswith("import time:") and "|" in line:
            names.add(line.rsplit("|", 1)[1].strip())
    return names


# -- inputs ---------------------------------------------------------------------------------------


def prepare(quick: bool) -> dict[str, Path]:
    OUT.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [str(PYTHON), "-m", "compileall", "-q", str(ROOT / "src" / "sharewise")], check=True, env=child_env()
    )
    pool = answer_pool(TREE, 2000)
    from sharewise.trees.library import Library

    version = Library.default().get(TREE).sha256  # cases are made again when the tree changes
    files: dict[str, Path] = {}
    big = 10_000 if quick else 100_000
    for name, count, mix in (("10k", 10_000, True), ("10k-signed", 10_000, False), ("big", big, True)):
        path = OUT / f"cases-{name}.jsonl"
        marker = path.with_suffix(".made")
        if not (path.exists() and marker.exists() and marker.read_text() == f"{count} {mix} {version}"):
            write_cases(path, pool, count, TREE, mix=mix)
            marker.write_text(f"{count} {mix} {version}")
        files[name] = path
    answers = OUT / "answers.json"
    answers.write_text(
        json.dumps({"answers": pool[0], "sign_off": {"name": "Sam Patel", "role": "designated safeguarding lead"}})
    )
    files["answers"] = answers
    for nodes in (1_000, 10_000, 100_000):
        path = OUT / f"tree-{nodes // 1000}k.yaml"
        if not path.exists():
            write_tree(path, nodes, f"generated-{nodes // 1000}k")
        files[f"tree{nodes}"] = path
    for name, make in (("bad-routes", write_bad_routes_tree), ("unknown-keys", write_unknown_keys_tree)):
        path = OUT / f"tree-{name}.yaml"
        if not path.exists():
            make(path)
        files[name] = path
    near = OUT / "tree-unknown-keys-47mb.yaml"  # just under the size limit: the costliest file still read
    if not near.exists():
        write_unknown_keys_tree(near, 47)
    files["unknown-keys-near"] = near
    return files


_SCRATCH = OUT / "scratch"


def _scratch(name: str) -> Path:
    """A folder that does not exist yet, under ``bench/out/scratch`` (emptied when the benchmark ends)."""
    path = _SCRATCH / f"{name}-{os.getpid()}-{time.monotonic_ns()}"
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


# -- the figures ----------------------------------------------------------------------------------


def startup(runs: int) -> list[Row]:
    rows = []
    typer: Command = [PYTHON, "-c", "import typer"]
    for flag in ("--version", "--help"):
        base, mine = interleaved(typer, [SHAREWISE, flag], runs)
        ratio = mine / base
        rows.append(
            Row(f"sharewise {flag}", f"{mine * 1000:.0f} ms = {ratio:.2f}x", "<= 1.5x import typer", ratio <= 1.5,
                f"import typer: {base * 1000:.0f} ms")
        )  # fmt: skip
    return rows


def scripted(files: dict[str, Path], runs: int) -> list[Row]:
    base: Command = [PYTHON, "-c", "import typer, yaml"]

    def cmd() -> Command:  # a new records folder each time: a first record, as a new user's
        folder = _scratch("records-decide")
        return [SHAREWISE, "decide", TREE, "--no-input", "--answers", files["answers"], "--records-dir", folder]

    check = run(cmd())
    if check.code != 0:
        raise SystemExit(f"decide failed ({check.code}): {check.stderr.decode()}")
    run(base)
    b, t = interleaved_times(base, lambda _: cmd(), runs, warm=False)
    base_s, mine = statistics.median(b), statistics.median(t)
    ratio = mine / base_s
    return [
        Row("decide --no-input --answers (record written)", f"{mine * 1000:.0f} ms = {ratio:.2f}x",
            "<= 2x import typer, yaml", ratio <= 2.0, f"import typer, yaml: {base_s * 1000:.0f} ms")
    ]  # fmt: skip


def heavy_imports(files: dict[str, Path]) -> list[Row]:
    decide: Command = ["decide", TREE, "--no-input", "--answers", files["answers"], "--records-dir", _scratch("imp")]
    check: Command = ["check", files["10k"], "--format", "jsonl"]
    rows = []
    for name, cmd in (("decide --no-input", decide), ("check", check)):
        found = sorted(m for m in imported_modules(cmd) if m.split(".")[0] in HEAVY)
        rows.append(Row(f"{name}: imports questionary/prompt_toolkit", "none" if not found else ", ".join(found[:3]),
                        "none", not found))  # fmt: skip
    return rows


def _records_run(files: dict[str, Path], folder: Path) -> Command:
    return [SHAREWISE, "check", files["10k-signed"], "--format", "jsonl", "--records-dir", folder]


def batch(files: dict[str, Path], runs: int, quick: bool) -> list[Row]:
    rows = []
    cmd: Command = [SHAREWISE, "check", files["10k"], "--format", "jsonl"]
    results = median_runs(lambda _: cmd, runs)
    codes = {r.code for r in results}
    seconds = statistics.median(r.seconds for r in results)
    rate = 10_000 / seconds
    rows.append(Row("check 10,000 cases, JSONL out", f"{rate:,.0f} cases/s", ">= 5,000 cases/s", rate >= 5000,
                    f"{seconds:.2f} s per run; exit {sorted(codes)}"))  # fmt: skip

    # A new folder for each run, removed only at the end of the benchmark: ext4 (without a journal)
    # skips inodes freed in the last few seconds when it creates a file, so deleting 10,000
    # records just before a run would make that run measure the deletion.
    folders = [_scratch(f"records-batch-{i}") for i in range(max(3, runs // 2))]
    results = median_runs(
        lambda i: _records_run(files, folders[i]),
        len(folders),
    )
    written = len([p for p in folders[-1].iterdir() if p.suffix == ".json"])
    seconds = statistics.median(r.seconds for r in results)
    rate = 10_000 / seconds
    rows.append(Row("check 10,000 cases, a record each", f"{rate:,.0f} cases/s", ">= 2,000 cases/s", rate >= 2000,
                    f"{seconds:.2f} s per run; {written:,} records"))  # fmt: skip

    tmpfs_runs = max(3, runs // 2)
    shm = _tmpfs(tmpfs_runs * 100)
    if isinstance(shm, str):
        rows.append(Row("the same, records on tmpfs (/dev/shm)", "not measured", "(no disk)", True, shm))
    else:
        # The same run with the records on tmpfs: the cost of sharewise itself, without this
        # machine's disk (whose file creation is slow while other processes delete files).
        folders = [shm / f"sharewise-bench-{os.getpid()}-{i}" for i in range(tmpfs_runs)]
        try:
            results = median_runs(
                lambda i: _records_run(files, folders[i]),
                len(folders),
            )
        finally:
            for folder in folders:
                shutil.rmtree(folder, ignore_errors=True)
        seconds = statistics.median(r.seconds for r in results)
        rows.append(Row("the same, records on tmpfs (/dev/shm)", f"{10_000 / seconds:,.0f} cases/s", "(no disk)",
                        True, f"{seconds:.2f} s per run"))  # fmt: skip

    big = files["big"]
    count = sum(1 for _ in big.open("rb"))
    cmd = [SHAREWISE, "check", big, "--format", "jsonl"]
    results = median_runs(lambda _: cmd, 3 if not quick else 2, memory=True)
    peak = max(r.maxrss_kib for r in results) / 1024
    seconds = statistics.median(r.seconds for r in results)
    small = run([SHAREWISE, "check", files["10k"], "--format", "jsonl"], memory=True).maxrss_kib / 1024
    rows.append(Row(f"check {count:,} cases: peak memory", f"{peak:.0f} MiB", "< 100 MiB", peak < 100,
                    f"10,000 cases: {small:.0f} MiB; {count / seconds:,.0f} cases/s"))  # fmt: skip
    return rows


_LOAD = """
import sys, time
from pathlib import Path
from sharewise.trees.library import Library
path = Path(sys.argv[1])
start = time.perf_counter()
library = Library([path.parent])
problems = [p for p in library.check(path) if p.severity == "error"]
elapsed = time.perf_counter() - start
assert not problems and library.read(path).tree is not None, problems[:3]
print(elapsed)
"""


_PER_CASE = """
import sys, time
from pathlib import Path
from sharewise.engine.walk import Engine
from sharewise.trees.library import Library
path = Path(sys.argv[1])
library = Library([path.parent])
tree = library.read(path).tree
engine = Engine(tree, library.get)
questions = [q for q in tree.questions.values() if q.options and not q.is_record_question]
far = {q.id: "yes" for q in questions[-8:]}  # eight answers to questions far off the walked path
case = {"q0": "not-sure", "r0": "A reason long enough for the record.", **far}
engine.walk(case)  # warm: the first walk builds the engine's index of questions
count = 2000
start = time.perf_counter()
for _ in range(count):
    walk = engine.walk(case)
elapsed = time.perf_counter() - start
assert walk.status == "decided" and not walk.errors, walk.errors
print(elapsed / count)
"""


def trees(files: dict[str, Path], runs: int) -> list[Row]:
    rows = []
    times = {}
    for nodes in (1_000, 10_000, 100_000):
        path = files[f"tree{nodes}"]
        samples = []
        for _ in range(runs if nodes < 100_000 else max(3, runs // 3)):
            # the loader itself, not the tree cache (trees/cache.py), which would answer every run but the first
            uncached = {**child_env(), "SHAREWISE_TREE_CACHE": "off"}
            result = subprocess.run(
                [str(PYTHON), "-c", _LOAD, str(path)], capture_output=True, env=uncached, cwd=OUT, check=False
            )
            if result.returncode != 0:
                raise SystemExit(f"loading {path} failed: {result.stderr.decode()}")
            samples.append(float(result.stdout))
        times[nodes] = statistics.median(samples)
    for nodes, seconds in times.items():
        per = seconds / nodes * 1e6
        if nodes == 10_000:
            rows.append(Row("load + validate a 10,000-node tree", f"{seconds * 1000:.0f} ms", "< 1 s", seconds < 1.0,
                            f"{per:.0f} us per node"))  # fmt: skip
        else:
            rows.append(Row(f"load + validate a {nodes:,}-node tree", f"{seconds * 1000:.0f} ms", "(growth)", True,
                            f"{per:.0f} us per node"))  # fmt: skip
    growth = times[100_000] / times[10_000]
    rows.append(Row("growth 10,000 -> 100,000 nodes", f"{growth:.1f}x", "linear: <= 13x", growth <= 13,
                    f"1,000 -> 10,000: {times[10_000] / times[1_000]:.1f}x"))  # fmt: skip
    walks: dict[int, list[float]] = {1_000: [], 100_000: []}
    for _ in range(3):  # one process each is a few milliseconds of walks: the median of three, interleaved
        for nodes in (1_000, 100_000):
            result = subprocess.run(
                [str(PYTHON), "-c", _PER_CASE, str(files[f"tree{nodes}"])],
                capture_output=True,
                env=child_env(),
                cwd=OUT,
                check=False,
            )
            if result.returncode != 0:
                raise SystemExit(f"walking {files[f'tree{nodes}']} failed: {result.stderr.decode()}")
            walks[nodes].append(float(result.stdout))
    per_case = {nodes: statistics.median(times) for nodes, times in walks.items()}
    flat = per_case[100_000] / per_case[1_000]
    rows.append(Row("cost per case, 100,000- / 1,000-node tree (8 answers off the path)", f"{flat:.2f}x",
                    "flat: <= 1.5x", flat <= 1.5,
                    f"{per_case[1_000] * 1e6:.0f} / {per_case[100_000] * 1e6:.0f} us per case"))  # fmt: skip
    process = statistics.median(run([SHAREWISE, "trees", "validate", files["tree10000"]]).seconds for _ in range(3))
    rows.append(Row("sharewise trees validate (10,000 nodes)", f"{process * 1000:.0f} ms", "(whole process)", True))
    return rows


def hostile(files: dict[str, Path], runs: int) -> list[Row]:
    """Tree files full of mistakes: validation stays linear, bounded in time and memory."""
    rows = []
    cases = (
        ("bad-routes", "validate 480 KB, 6,000 routes to missing places", 2.0, "60 s before the caps"),
        ("unknown-keys", "validate 58 MB of unknown keys (over the size limit)", 1.0, "45 s and 1.8 GB before"),
        ("unknown-keys-near", "validate 47 MB of unknown keys (just under it)", 30.0, "the costliest file read"),
    )
    for key, name, budget, note in cases:
        size = files[key].stat().st_size
        samples = [run([SHAREWISE, "trees", "validate", files[key]], memory=True) for _ in range(max(1, runs // 4))]
        if any(s.code != 5 for s in samples):
            raise SystemExit(f"validating {files[key]} did not report it invalid: {samples[0].stderr.decode()}")
        seconds = statistics.median(s.seconds for s in samples)
        memory = max(s.maxrss_kib for s in samples) / 1024
        rows.append(
            Row(f"{name} ({size / 1e6:.1f} MB)", f"{seconds:.2f} s, {memory:.0f} MiB", f"< {budget:g} s",
                seconds < budget, note)
        )  # fmt: skip
    return rows


# -- large folders ----------------------------------------------------------------------------------

# The floor a folder reader is measured against: read each record file, parse it, hash its bytes.
_FLOOR = """
import hashlib, json, os, sys
folder = sys.argv[1]
count = 0
for name in sorted(os.listdir(folder)):
    if name.endswith(".json") and not name.startswith("."):
        with open(os.path.join(folder, name), "rb") as handle:
            data = handle.read()
        json.loads(data)
        hashlib.sha256(data).hexdigest()
        count += 1
print(count)
"""

# The floor for a batch: what any JSON-lines filter does with the same input. Read each case line,
# parse it, serialise it again and write it out; with records, also write one small file per record,
# of their average size, into a new folder, then flush them to the disk with one syncfs at the end
# (as a batch does: it writes each record without a flush of its own and flushes them all once).
_BATCH_FLOOR = """
import json, os, sys
cases, folder, count, size = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
with open(cases, "rb") as handle, open(os.devnull, "w", encoding="utf-8") as out:
    for line in handle:
        out.write(json.dumps(json.loads(line), ensure_ascii=False) + "\\n")
if count:
    os.mkdir(folder, 0o700)
    blob = b"x" * size
    for n in range(count):
        fd = os.open(os.path.join(folder, f"{n:08d}.json"), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.write(fd, blob)
        os.close(fd)
    # and on the disk when it ends, as sharewise's records are: one syncfs of the folder's file system
    import ctypes
    fd = os.open(folder, os.O_RDONLY)
    if getattr(ctypes.CDLL(None, use_errno=True), "syncfs", lambda _: -1)(fd) != 0:
        os.sync()
    os.close(fd)
"""

_FOLDER_VERSION = "folder/1"  # bump when write_records_folder changes


def _folder(name: str, count: int, *, gaps: bool = False) -> Path:
    """A generated records folder under ``bench/out`` (kept between runs, made again when stale)."""
    path = OUT / f"records-{name}"
    marker = OUT / f"records-{name}.made"
    wanted = f"{_FOLDER_VERSION} {count} {gaps}"
    if path.is_dir() and marker.exists() and marker.read_text() == wanted:
        return path
    if path.exists():
        shutil.rmtree(path)
    started = time.perf_counter()
    written = write_records_folder(path, count, skip_every_other=gaps)
    os.sync()  # so that writing back what was just made does not land on the figures measured next
    print(f"  generated {written:,} records in {path.name} in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    marker.write_text(wanted)
    return path


def _floor(folder: Path) -> Command:
    return [PYTHON, "-c", _FLOOR, folder]


def _ratio_rows(name: str, target: Command, base: Command, *, runs: int, goal: float, note: str = "") -> Row:
    floors, mines = interleaved_times(base, target, runs)
    floor, mine, ratio = statistics.median(floors), statistics.median(mines), paired(floors, mines)
    return Row(name, f"{mine:.2f} s = {ratio:.2f}x", f"<= {goal}x the read+parse+hash floor", ratio <= goal,
               f"floor {floor:.2f} s{note}")  # fmt: skip


def large(files: dict[str, Path], runs: int, memory_cases: int) -> list[Row]:
    rows: list[Row] = []
    runs = max(3, runs // 3)
    small, big = _folder("10k", 10_000), _folder("100k", 100_000)
    gaps = _folder("100k-gaps", 100_000, gaps=True)

    # one scripted decide into the big folder against one into a fresh folder (interleaved)
    decide: Command = [SHAREWISE, "decide", TREE, "--no-input", "--answers", files["answers"], "--records-dir"]
    fresh_s, big_s = interleaved_times(  # a 5% goal on a 0.2 s command: many pairs
        lambda _: [*decide, _scratch("fresh")], [*decide, big], max(30, runs * 4)
    )
    fresh, full, ratio = statistics.median(fresh_s), statistics.median(big_s), paired(fresh_s, big_s)
    rows.append(Row("decide into a folder of 100,000 records / a fresh folder", f"{ratio:.3f}x", "<= 1.05x",
                    ratio <= 1.05, f"{full * 1000:.0f} ms against {fresh * 1000:.0f} ms"))  # fmt: skip

    verify: Command = [SHAREWISE, "records", "verify"]
    rows.append(_ratio_rows("records verify, 100,000 records", [*verify, big], _floor(big), runs=runs, goal=3.0))
    rows.append(_ratio_rows("records verify, 100,000 of 200,000 (every other missing)", [*verify, gaps], _floor(gaps),
                            runs=runs, goal=3.0, note="; 100,000 gaps reported"))  # fmt: skip
    listing: Command = [SHAREWISE, "records", "list"]
    for label, extra, goal in (("--json", "--json", 2.5), ("(table)", "--plain", 4.0)):
        rows.append(_ratio_rows(f"records list {label}, 100,000 records", [*listing, big, extra], _floor(big),
                                runs=runs, goal=goal))  # fmt: skip
    for label, extra in (("--json", ["--json"]), ("table", ["--plain"])):
        peaks = [run([*listing, folder, *extra], memory=True).maxrss_kib / 1024 for folder in (small, big)]
        rows.append(Row(f"records list {label}: peak memory, 10,000 / 100,000 records",
                        f"{peaks[0]:.0f} / {peaks[1]:.0f} MiB", "flat (streamed)", peaks[1] <= peaks[0] * 1.25 + 5,
                        f"{peaks[1] / peaks[0]:.2f}x"))  # fmt: skip

    # check against the floor of reading, parsing, serialising and writing the same lines
    floor: Command = [PYTHON, "-c", _BATCH_FLOOR, files["10k"], "-", "0", "0"]
    check: Command = [SHAREWISE, "check", files["10k"], "--format", "jsonl"]
    # (the cases include incomplete and wrong ones, so check exits 4)
    rows.append(Row("check 10,000 cases to JSONL / floor", *_batch_ratio(check, floor, runs, codes={0, 4})))
    rows += _record_rows(files, runs)

    # two batches into one folder at once, against one after the other
    shared = _scratch("records-shared")
    started = time.perf_counter()
    procs = [subprocess.Popen([str(c) for c in _records_run(files, shared)], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, env=child_env(), cwd=OUT) for _ in range(2)]  # fmt: skip
    codes = [p.wait() for p in procs]
    together = time.perf_counter() - started
    one = statistics.median(run(_records_run(files, _scratch("records-alone"))).seconds for _ in range(2))
    figure = f"{together:.1f} s = {together / one:.2f}x"
    rows.append(Row("two 10,000-record batches into one folder at once", figure, "(measured: see docs/scaling.md)",
                    codes == [0, 0], f"one alone {one:.1f} s; exits {codes}"))  # fmt: skip
    # check with a record per case: peak memory at 10,000 cases and at memory_cases. Last, and its
    # records are left for the end of the benchmark: deleting a million files just before another
    # figure would make that figure measure the deletion (see 'Records on this machine's disk').
    many = OUT / f"cases-{memory_cases // 1000}k.jsonl"
    marker = many.with_suffix(".made")
    from sharewise.trees.library import Library

    version = f"{memory_cases} {Library.default().get(TREE).sha256}"
    if not (many.exists() and marker.exists() and marker.read_text() == version):
        write_cases(many, answer_pool(TREE, 2000), memory_cases, TREE, mix=True)
        marker.write_text(version)
    peaks = {}
    for count, cases in ((10_000, files["10k"]), (memory_cases, many)):
        folder = _scratch(f"records-memory-{count}")
        result = run([SHAREWISE, "check", cases, "--format", "jsonl", "--records-dir", folder], memory=True)
        peaks[count] = (result.maxrss_kib / 1024, result.seconds)
    low, high = peaks[10_000][0], peaks[memory_cases][0]
    rows.append(Row(f"check --records-dir: peak memory, 10,000 / {memory_cases:,} cases", f"{low:.1f} / {high:.1f} MiB",
                    "flat (within 10%)", high <= low * 1.10,
                    f"{memory_cases / peaks[memory_cases][1]:,.0f} cases/s over {memory_cases:,}"))  # fmt: skip

    return rows


def _record_rows(files: dict[str, Path], runs: int) -> list[Row]:
    """check with a record per case against its floor: on this disk, then both on tmpfs."""
    rows: list[Row] = []
    sample = _scratch("records-sample")
    run([SHAREWISE, "check", files["10k-signed"], "--format", "jsonl", "--records-dir", sample])
    sizes = [p.stat().st_size for p in sample.iterdir() if p.suffix == ".json"]
    size = sum(sizes) // max(1, len(sizes))

    def record_floor(folder: Path) -> Command:
        return [PYTHON, "-c", _BATCH_FLOOR, files["10k-signed"], folder, str(len(sizes)), str(size)]

    rows.append(Row("check 10,000 cases with a record each / floor", *_batch_ratio(
        lambda i: _records_run(files, _scratch(f"records-ratio-{i}")), lambda i: record_floor(_scratch(f"floor-{i}")),
        runs, codes={0})))  # fmt: skip
    # the same on tmpfs, where making a file costs no disk: sharewise's own CPU against the floor's.
    # Each pair's folders are removed after it (tmpfs keeps whole pages: some 160 MiB a pair).
    label, goal = "the same, both on tmpfs (/dev/shm)", "(no disk: the CPU each takes)"
    shm = _tmpfs(400)
    if isinstance(shm, str):
        rows.append(Row(label, "not measured", goal, True, shm))
        return rows
    ram = shm / f"sharewise-bench-large-{os.getpid()}"
    ram.mkdir()

    def emptied(i: int) -> None:
        for side in ("records", "floor"):
            shutil.rmtree(ram / f"{side}-{i}", ignore_errors=True)

    try:
        figure, _, _, note = _batch_ratio(
            lambda i: _records_run(files, ram / f"records-{i}"),
            lambda i: record_floor(ram / f"floor-{i}"),
            runs,
            codes={0},
            after=emptied,
        )
    finally:
        shutil.rmtree(ram, ignore_errors=True)
    rows.append(Row(label, figure, goal, True, note))
    return rows


def _tmpfs(mib: int) -> Path | str:
    """``/dev/shm`` when it can take ``mib`` MiB of records, or why it cannot."""
    shm = Path("/dev/shm")
    if not (shm.is_dir() and os.access(shm, os.W_OK)):
        return "no writable /dev/shm"
    free = shutil.disk_usage(shm).free >> 20
    return shm if free >= mib else f"/dev/shm has {free} MiB free, under the {mib} MiB it needs"


def _batch_ratio(
    target: Commands,
    floor: Commands,
    runs: int,
    *,
    codes: Collection[int] | None = None,
    after: Callable[[int], None] | None = None,
) -> tuple[str, str, bool, str]:
    """(figure, goal, within, note) for a check run against its plain floor, interleaved."""
    base_s, mine_s = interleaved_times(floor, target, runs, warm=False, codes=codes, after=after)
    base, mine, ratio = statistics.median(base_s), statistics.median(mine_s), paired(base_s, mine_s)
    return f"{mine:.2f} s = {ratio:.2f}x", "<= 2.5x", ratio <= 2.5, f"floor {base:.2f} s"


# -- report ---------------------------------------------------------------------------------------


def machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import yaml

    libyaml = "with libyaml" if hasattr(yaml, "CSafeLoader") else "without libyaml"
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (
        f"{os.cpu_count()} CPUs ({model}), {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}, PyYAML {yaml.__version__} {libyaml}; load average {load:.2f}"
    )


def table(rows: list[Row]) -> str:
    lines = ["| measure | figure | budget | within | notes |", "| --- | --- | --- | --- | --- |"]
    lines += [f"| {r.name} | {r.figure} | {r.budget} | {'yes' if r.ok else '**NO**'} | {r.note} |" for r in rows]
    return "\n".join(lines)


def update_doc(text: str, block: str = "bench") -> None:
    """Replace the figures between ``<!-- BLOCK:start -->`` and ``<!-- BLOCK:end -->``."""
    doc = DOC.read_text(encoding="utf-8")
    new = re.sub(
        rf"(<!-- {block}:start -->\n).*?(<!-- {block}:end -->)",
        lambda m: m.group(1) + text + "\n" + m.group(2),
        doc,
        flags=re.S,
    )
    DOC.write_text(new, encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer runs; 10,000 cases for the memory figure")
    parser.add_argument("--runs", type=int, default=None, help="runs per figure (default 11, or 5 with --quick)")
    parser.add_argument(
        "--only", nargs="*", default=(), help="startup, scripted, imports, batch, trees, hostile, large"
    )
    parser.add_argument(
        "--memory-cases", type=int, default=None, help="cases for the large-folder memory figure (default 1,000,000)"
    )
    parser.add_argument("--update-doc", action="store_true", help=f"write the table into {DOC.relative_to(ROOT)}")
    args = parser.parse_args(argv)
    runs = args.runs or (5 if args.quick else 11)
    if not SHAREWISE.exists():
        raise SystemExit(f"no sharewise at {SHAREWISE}: run this with the virtual environment's python")
    started = time.perf_counter()
    before = machine()
    files = prepare(args.quick)
    wanted = set(args.only) or {"startup", "scripted", "imports", "batch", "trees", "hostile", "large"}
    rows: list[Row] = []
    if "batch" in wanted:  # first, before anything on this machine has deleted files for a while
        rows += batch(files, runs, args.quick)
    if "startup" in wanted:
        rows += startup(runs)
    if "scripted" in wanted:
        rows += scripted(files, runs)
    if "imports" in wanted:
        rows += heavy_imports(files)
    if "trees" in wanted:
        rows += trees(files, runs)
    if "hostile" in wanted:
        rows += hostile(files, runs)
    if "large" in wanted:  # last: it fills the disk with records, and deletes them
        memory_cases = args.memory_cases or (100_000 if args.quick else 1_000_000)
        rows += large(files, runs, memory_cases)
    after = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    shutil.rmtree(_SCRATCH, ignore_errors=True)
    text = (
        f"Machine: {before}.\n\nMeasured {time.strftime('%Y-%m-%d %H:%M %Z')}, {runs} runs per figure "
        f"(medians), in {time.perf_counter() - started:.0f} s; load average at the end {after:.2f}.\n\n{table(rows)}\n"
    )
    print(text)
    if args.update_doc:  # the large-folder figures, measured on their own, have a block of their own
        update_doc(text, "bench-large" if wanted == {"large"} else "bench")
        print(f"wrote {DOC.relative_to(ROOT)}")
    return 0 if all(r.ok for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
