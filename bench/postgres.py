"""Issue 18: the catalogue and queue on PostgreSQL (SPEC section 16), against SQLite in the
same run, on a throwaway local server (tests/pgserver.py: initdb in a temporary folder, a
Unix socket, fsync off, so the figures are the engines' and VPO's, not this disk's).

(a) Claim throughput: 10,000 queued no-op transcode jobs (no file), claimed and completed
    by 1 worker process, then by 8 (each: queue_db.claim, then finish in a transaction,
    until the queue is empty). Claims/s, on PostgreSQL (FOR UPDATE SKIP LOCKED) and on
    SQLite (BEGIN IMMEDIATE). Informational: the ratio 8/1 shows whether claims scale.
(b) No-change rescan of 100,000 files (100 dirs x 1,000 hard links, bench/common.py
    link_tree) with the catalogue on PostgreSQL vs on SQLite: `vpo scan DIR` wall time.
    Target <= 1.3x (SPEC section 20). The catalogue is written directly (one row per
    file, as a scan records it, aged so none is racy), in SQLite, then copied to
    PostgreSQL with `vpo db migrate-to` (timed, informational). On both engines the Rust
    walker drops unchanged files itself: it reads the SQLite file, or the rows the server
    sends as a binary COPY; the difference left is mostly psycopg's import and the
    server's sending of the rows.
(c) Transcode throughput: 20 small films (10 s, 320x240) queued, `vpo jobs run` in 2 worker processes vs 1
    on PostgreSQL, 3 rounds; target >= 1.7x (2 cores). Also how many cores the workers keep
    busy (their and their ffmpegs' CPU seconds / wall seconds): a worker whose encoder
    already uses more than one core leaves less for a second worker to gain; and the same
    encodes by bare ffmpeg, one at a time and two side by side (3 interleaved rounds): what
    a second encoder gains on this machine with no VPO around it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from common import (
    REPO,
    VPO,
    WORK,
    Result,
    Stats,
    interleave,
    log,
    main_for,
    run_proc,
    scratch_dir,
    vpo_env,
    vpo_home,
)
from trees import link_tree, warm_tree

RESCAN_TARGET = 1.3
TRANSCODE_TARGET = 1.7


def _server():  # type: ignore[no-untyped-def]
    import pgserver

    bin_dir = pgserver.binaries()
    if bin_dir is None:
        raise SystemExit("PostgreSQL is not installed (make system-deps)")
    return pgserver.Cluster(bin_dir).start()


# -- (a) claims -------------------------------------------------------------------------------


def _fill_queue(target: str | Path, n: int) -> None:
    from vpo.db import jobs as jobs_db
    from vpo.db.connection import open_database
    from vpo.timeutil import now_iso

    db = open_database(target)
    try:
        with db.transaction() as conn:
            for i in range(n):
                jobs_db.insert(
                    conn,
                    jobs_db.JobRecord(
                        id=str(uuid.uuid4()),
                        type="transcode",
                        status="queued",
                        target=[f"/bench/{i}.mkv"],
                        options={},
                        created_at=now_iso(),
                    ),
                )
    finally:
        db.close()


def worker_main(target: str) -> None:
    """One claiming process: claim and complete until the queue is empty; prints the count."""
    from vpo.db import queue as queue_db
    from vpo.db.connection import db_now, open_database

    db = open_database(target)
    done = 0
    worker = uuid.uuid4().hex[:12]
    try:
        while (claim := queue_db.claim(db, pid=os.getpid(), host="bench", worker=worker)) is not None:
            with db.transaction() as conn:
                queue_db.finish(
                    conn,
                    claim,
                    status="completed",
                    now=db_now(conn),
                    summary=None,
                    error=None,
                    traceback=None,
                    progress=1.0,
                )
            done += 1
    finally:
        db.close()
    print(done)


def _claims(target: str | Path, processes: int, n: int) -> float:
    _fill_queue(target, n)
    t0 = time.perf_counter()
    procs = [
        subprocess.Popen([sys.executable, __file__, "--worker", str(target)], stdout=subprocess.PIPE)
        for _ in range(processes)
    ]
    counts = [int(p.communicate()[0]) for p in procs]
    seconds = time.perf_counter() - t0
    if sum(counts) != n:
        raise RuntimeError(f"claimed {sum(counts)} of {n} jobs: {counts}")
    return n / seconds


def claims(quick: bool, cluster) -> list[Result]:  # type: ignore[no-untyped-def]
    n = 2000 if quick else 10_000
    results = []
    for engine in ("postgresql", "sqlite"):
        rates: dict[int, list[float]] = {1: [], 8: []}
        for _ in range(1 if quick else 2):
            for procs in (1, 8):
                if engine == "postgresql":
                    target: str | Path = cluster.new_database()
                    rates[procs].append(_claims(target, procs, n))
                else:
                    with vpo_home() as home:
                        rates[procs].append(_claims(home / "library.db", procs, n))
        one, eight = Stats(rates[1]), Stats(rates[8])
        log(f"claims on {engine}: 1 process {one.median:,.0f}/s, 8 processes {eight.median:,.0f}/s")
        results.append(
            Result(
                name=f"claims, 8 processes [{engine}, {n:,} no-op jobs]",
                stats=eight,
                unit="files/s",
                baseline_name="1 process",
                baseline=one,
                ratio=eight.median / one.median,
                ratio_label="x 1 process",
                target="info",
                notes=["claims/s: claim + complete, wall time until the queue is empty"],
            )
        )
    return results


# -- (b) no-change rescan ---------------------------------------------------------------------


def _catalogue(tree: Path, home: Path) -> int:
    """Rows for every file of the tree, as a scan records them; returns the count."""
    from vpo.db.connection import open_database
    from vpo.timeutil import now_iso

    now = now_iso()
    rows = []
    for dirpath, _dirs, files in os.walk(os.fsencode(tree)):
        for name in files:
            path = os.path.join(dirpath, name)
            st = os.stat(path)
            rows.append(
                (path, st.st_size, st.st_mtime_ns, st.st_dev, st.st_ino, "matroska", "ok", 0, now, now)
            )
    db = open_database(home / "library.db")
    try:
        with db.transaction() as conn:
            conn.executemany(
                "INSERT INTO files (path, size, mtime_ns, dev, ino, container, scan_status, racy, "
                "first_seen, last_scanned) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
    finally:
        db.close()
    return len(rows)


def rescan(quick: bool, cluster) -> list[Result]:  # type: ignore[no-untyped-def]
    dirs, per_dir = (10, 1000) if quick else (100, 1000)
    repeat = 3 if quick else 7
    tree = link_tree(dirs, per_dir)
    total = dirs * per_dir
    with vpo_home() as home:
        assert _catalogue(tree, home) == total
        url = cluster.new_database()
        moved = run_proc([VPO, "db", "migrate-to", url], env=vpo_env(home))
        log(f"rescan: {total:,} rows copied to PostgreSQL by vpo db migrate-to in {moved.seconds:.1f} s")
        warm_tree(tree)

        def scan(env: dict[str, str]) -> float:
            res = run_proc([VPO, "scan", "--json", tree], env=env, capture=True)
            counts = json.loads(res.stdout)["counts"]
            if counts["skipped"] != total:
                raise RuntimeError(f"the rescan was not a no-change rescan: {counts}")
            return res.seconds

        sqlite_env = vpo_env(home)
        pg_env = {**vpo_env(home), "VPO_DATABASE_URL": url}
        stats = interleave(
            {"postgresql": lambda: scan(pg_env), "sqlite": lambda: scan(sqlite_env)}, repeat, warmup=1
        )
    ratio = stats["postgresql"].median / stats["sqlite"].median
    return [
        Result(
            name=f"no-change rescan on PostgreSQL [{total:,} files]",
            stats=stats["postgresql"],
            unit="s",
            baseline_name="SQLite",
            baseline=stats["sqlite"],
            ratio=ratio,
            ratio_label="x SQLite",
            target=f"<= {RESCAN_TARGET:g}x",
            passed=ratio <= RESCAN_TARGET,
            notes=[f"vpo db migrate-to of {total:,} files: {moved.seconds:.1f} s"],
        )
    ]


# -- (c) transcode workers ----------------------------------------------------------------------


def _small_films(count: int) -> list[Path]:
    """`count` small but real films (10 s, 320x240, 25 fps, stereo): a transcode takes
    about a second, so the queue's own costs do not hide the encoding (cached)."""
    import media

    root = WORK / f"films-{count}"
    done = WORK / f"films-{count}.ok"
    if not done.exists():
        root.mkdir(parents=True, exist_ok=True)
        for i in range(count):
            media.make_video(
                root / f"film-{i:02}.mkv", duration=10, width=320, height=240, fps=25, tone=200 + i
            )
        done.touch()
    return sorted(root.glob("*.mkv"))


def _bare_encodes(files: list[Path], out_dir: Path, at_once: int) -> float:
    """Seconds for bare ffmpeg to encode `files` as VPO's worker does (every stream kept,
    the video to HEVC with x265's own threads), `at_once` processes at a time."""
    queue = list(files)
    running: list[subprocess.Popen[bytes]] = []
    t0 = time.perf_counter()
    while queue or running:
        while queue and len(running) < at_once:
            f = queue.pop(0)
            argv = ["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(f), "-map", "0", "-c", "copy",
                    "-c:v:0", "libx265", "-x265-params:v:0", "log-level=error", str(out_dir / f.name)]  # fmt: skip
            running.append(subprocess.Popen(argv, stdin=subprocess.DEVNULL))
        running[0].wait()
        if running[0].returncode != 0:
            raise RuntimeError("ffmpeg failed")
        running = [p for p in running if p.poll() is None]
    return time.perf_counter() - t0


def transcodes(quick: bool, cluster) -> list[Result]:  # type: ignore[no-untyped-def]
    import shutil

    count = 20
    files = _small_films(count)
    times: dict[int, list[float]] = {1: [], 2: []}
    busy: dict[int, list[float]] = {1: [], 2: []}  # cores kept busy: CPU seconds / wall seconds
    for _ in range(1 if quick else 3):
        for workers in (1, 2):
            with vpo_home() as home:
                lib = home / "lib"
                lib.mkdir()
                for i, f in enumerate(files):
                    shutil.copy2(f, lib / f"f{i:02}.mkv")
                env = {**vpo_env(home), "VPO_DATABASE_URL": cluster.new_database()}
                run_proc([VPO, "scan", lib], env=env, ok_codes=(0, 1))
                run_proc([VPO, "transcode", lib], env=env)
                before = os.times()
                t0 = time.perf_counter()
                procs = [
                    subprocess.Popen([str(VPO), "jobs", "run"], env=env, stdout=subprocess.DEVNULL)
                    for _ in range(workers)
                ]
                if any(p.wait() != 0 for p in procs):
                    raise RuntimeError("a worker failed")
                seconds = time.perf_counter() - t0
                after = os.times()
                cpu = (
                    after.children_user
                    - before.children_user
                    + after.children_system
                    - before.children_system
                )
                times[workers].append(seconds)
                busy[workers].append(cpu / seconds)
    with scratch_dir("bare-encodes-") as out:
        bare = interleave(
            {"1": lambda: _bare_encodes(files, out, 1), "2": lambda: _bare_encodes(files, out, 2)},
            1 if quick else 3,
        )
    one, two = Stats(times[1]), Stats(times[2])
    ratio = one.median / two.median
    cores = len(os.sched_getaffinity(0))
    alone = Stats(busy[1]).median
    ceiling = bare["1"].median / bare["2"].median
    return [
        Result(
            name=f"transcode, 2 worker processes [PostgreSQL, {count} small files]",
            stats=two,
            unit="s",
            baseline_name="1 process",
            baseline=one,
            ratio=ratio,
            ratio_label="x faster",
            target=f">= {TRANSCODE_TARGET:g}x",
            passed=ratio >= TRANSCODE_TARGET,
            notes=[
                f"1 worker keeps {alone:.2f} of {cores} cores busy (ffmpeg's encoder threads); 2 workers keep "
                f"{Stats(busy[2]).median:.2f} busy",
                f"bare ffmpeg, the same encodes: one at a time {bare['1'].median:.2f}s, 2 side by side "
                f"{bare['2'].median:.2f}s: {ceiling:.2f}x, what a second encoder gains on this machine "
                f"without VPO; VPO's 2 workers do {bare['2'].median / two.median:.2f} of their throughput",
            ],
        )
    ]


def run(quick: bool) -> list[Result]:
    cluster = _server()
    try:
        return claims(quick, cluster) + rescan(quick, cluster) + transcodes(quick, cluster)
    finally:
        cluster.stop()


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--worker":
        sys.path.insert(0, str(REPO / "python"))
        worker_main(sys.argv[2])
    else:
        main_for(run, __doc__.splitlines()[0])
