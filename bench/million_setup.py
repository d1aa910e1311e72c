"""The inputs of bench/million.py, built once and cached OUTSIDE the repository (they are
large): a tree of hard links, its catalogue (made by a real first scan, whose figures are
kept with it) and a history of generated jobs.

Cache folder: $VPO_BENCH_CACHE, else $XDG_CACHE_HOME/vpo-bench, else /var/tmp/vpo-bench.
Delete it (or one `*.ok` marker in it) to rebuild.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import sqlite3
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

from common import AGE_SECONDS, VPO, log, run_proc, vpo_env
from trees import media_tree

PER_FOLDER = 20  # files per folder: 1,000,000 files in 50,000 folders
FOLDERS_PER_GROUP = 50  # a group (a series, a collection) holds 1,000 files
SOURCES = 64  # distinct small media files; ext4 allows 65,000 links to one inode


def cache_dir() -> Path:
    if os.environ.get("VPO_BENCH_CACHE"):
        return Path(os.environ["VPO_BENCH_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME")
    return Path(base) / "vpo-bench" if base else Path("/var/tmp/vpo-bench")


def tree_paths(count: int) -> Iterator[tuple[int, str]]:
    """(file number, path relative to the tree): group/folder/file."""
    for i in range(count):
        folder, k = divmod(i, PER_FOLDER)
        group, d = divmod(folder, FOLDERS_PER_GROUP)
        yield i, f"g-{group:04d}/d-{d:02d}/f-{k:02d}"


def link_tree(count: int) -> tuple[Path, float]:
    """`count` hard links of SOURCES distinct tiny media files (tests/media.py's bulk
    library: several containers and codecs), 20 a folder, 50 folders a group. The
    sources are aged one hour, so no link is "racy". Returns (tree, seconds it took to
    build, measured when it was built)."""
    base = cache_dir() / f"million-{count}"
    tree, done = base / "tree", base / "tree.ok"
    if done.exists():
        return tree, json.loads(done.read_text())["seconds"]
    log(f"building {count:,} hard links in {tree} (once; cached)")
    t0 = time.perf_counter()
    shutil.rmtree(base, ignore_errors=True)
    sources_dir = base / "sources"
    sources_dir.mkdir(parents=True)
    sources = []
    for n, src in enumerate(sorted(media_tree(SOURCES).rglob("bulk-*"))):
        dst = sources_dir / f"src-{n:02d}{src.suffix}"
        shutil.copyfile(src, dst)
        when = time.time() - AGE_SECONDS
        os.utime(dst, (when, when))
        sources.append(dst)
    made: set[str] = set()
    for i, rel in tree_paths(count):
        src = sources[i % len(sources)]
        folder = os.path.dirname(rel)
        if folder not in made:
            os.makedirs(tree / folder)
            made.add(folder)
        os.link(src, tree / (rel + src.suffix))
    seconds = time.perf_counter() - t0
    done.write_text(json.dumps({"seconds": seconds}))
    return tree, seconds


def first_scan(tree: Path, home: Path) -> dict[str, float]:
    """A real first `vpo scan` of `tree` into `home`: wall and CPU seconds (the process
    and the probe workers it reaped), peak RSS, files/CPU second."""
    res = run_proc([VPO, "scan", "--json", tree], env=vpo_env(home), capture=True, discard_stderr=True)
    counts = json.loads(res.stdout)["counts"]
    if counts["errors"] or counts["added"] != counts["discovered"]:
        raise RuntimeError(f"first scan of {tree}: {counts}")
    return {
        "files": counts["discovered"],
        "seconds": res.seconds,
        "cpu_seconds": res.cpu_seconds,
        "maxrss_mb": res.maxrss_mb,
        "files_per_cpu_second": counts["discovered"] / res.cpu_seconds,
    }


def catalogue(tree: Path, count: int, *, refresh: bool) -> tuple[Path, dict[str, float]]:
    """The seed library.db of `tree`, made by a real first scan (cached with its figures)."""
    base = cache_dir() / f"million-{count}"
    home, done = base / "catalogue", base / "catalogue.ok"
    if done.exists() and not refresh:
        return home / "library.db", json.loads(done.read_text())
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    log(f"first scan of {count:,} files into {home} (many minutes at 1,000,000; cached)")
    figures = first_scan(tree, home)
    figures["measured_at"] = time.time()
    con = sqlite3.connect(home / "library.db")
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    done.write_text(json.dumps(figures))
    return home / "library.db", figures


def _job_rows(count: int, rng: random.Random) -> Iterator[tuple[object, ...]]:
    """Jobs as bench/jobs_list.py generates them (70/20/10 % scan/apply/transcode,
    86/8/5/1 % completed/failed/cancelled/queued, over 60 days), without job_files."""
    now = datetime.now(timezone.utc)
    span = timedelta(days=60).total_seconds()
    options = json.dumps({"full": False, "prune": False, "extensions": ["mkv", "mp4"], "workers": 2})
    iso = "%Y-%m-%dT%H:%M:%S.%fZ"
    for _ in range(count):
        type_ = rng.choices(("scan", "apply", "transcode"), (70, 20, 10))[0]
        status = rng.choices(("completed", "failed", "cancelled", "queued"), (86, 8, 5, 1))[0]
        created = now - timedelta(seconds=rng.random() * span)
        started = finished = summary = err = None
        if status != "queued":
            started = (created + timedelta(milliseconds=rng.randint(1, 50))).strftime(iso)
            finished = (created + timedelta(seconds=rng.expovariate(1 / 30))).strftime(iso)
            summary = json.dumps({"discovered": rng.randint(100, 5000), "scanned": rng.randint(0, 20)})
        if status == "failed":
            err = "database /home/u/.vpo/library.db stayed locked by another process for 60s"
        yield (
            str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            type_,
            status,
            json.dumps([rng.choice(["/media/movies", "/media/tv", "/mnt/nas/video"])]),
            options,
            summary,
            err,
            finished or created.strftime(iso),
            created.strftime(iso),
            started,
            finished,
        )


def jobs_history(count: int) -> Path:
    """A library.db holding `count` generated jobs, inserted through the real schema (made
    by `vpo jobs list` on a fresh home). Cached for 6 hours (`created_at` is relative)."""
    home = cache_dir() / f"jobs-{count}"
    done = cache_dir() / f"jobs-{count}.ok"
    if done.exists() and time.time() - done.stat().st_mtime < 6 * 3600:
        return home / "library.db"
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    log(f"generating {count:,} jobs in {home}")
    run_proc([VPO, "jobs", "list"], env=vpo_env(home))
    con = sqlite3.connect(home / "library.db")
    rows = _job_rows(count, random.Random(27))
    with con:
        while chunk := [row for _, row in zip(range(50_000), rows)]:
            con.executemany(
                "INSERT INTO jobs (id, type, status, target, options, summary, error_message, "
                "heartbeat_at, created_at, started_at, finished_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                chunk,
            )
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    done.touch()
    return home / "library.db"


def copy_files_to_postgres(seed: Path, url: str, env: dict[str, str]) -> float:
    """The `files` rows of the SQLite catalogue into a PostgreSQL one made by VPO (what a
    no-change rescan reads; `vpo db migrate-to` copies every table, row by row, ~2 ms a
    file here). Returns the seconds it took."""
    import psycopg

    t0 = time.perf_counter()
    run_proc([VPO, "jobs", "list"], env=env)  # the schema, by VPO's migrations
    src = sqlite3.connect(seed)
    with psycopg.connect(url) as pg:
        theirs = {
            r[0]
            for r in pg.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = 'files'"
            )
        }
        columns = ", ".join(r[1] for r in src.execute("PRAGMA table_info(files)") if r[1] in theirs)
        with pg.cursor().copy(f"COPY files ({columns}) FROM STDIN") as copy:
            for row in src.execute(f"SELECT {columns} FROM files"):
                copy.write_row(row)
        pg.execute("SELECT setval(pg_get_serial_sequence('files', 'id'), (SELECT max(id) FROM files))")
    with psycopg.connect(url, autocommit=True) as pg:
        pg.execute("ANALYZE files")
    src.close()
    return time.perf_counter() - t0
