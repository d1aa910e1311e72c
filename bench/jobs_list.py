"""Issue 4: `vpo jobs` on a long history. A database with 100,000 jobs (schema created by
running `vpo jobs list` once on a fresh VPO_HOME, rows inserted directly with sqlite3):
types 70% scan / 20% apply / 10% transcode; statuses 86% completed / 8% failed /
5% cancelled / 1% queued (no `running`: those would be "recovered" and rewritten by the
first command); created_at spread over the last 60 days (`%Y-%m-%dT%H:%M:%S.%fZ`); options,
summary and target JSON as scans write them; failed jobs carry a message and a traceback;
one job in five has 1-5 job_files rows.

Each command runs as a subprocess on a copy of that database (wall time including
interpreter start); `python -c pass` and `vpo jobs --help` are timed alongside as baselines
for interpreter start and CLI import cost (`vpo jobs --help` imports the CLI and builds the
typer app, but opens no database). `vpo --version` is no baseline: cli/main.py answers it
before importing anything. Target: every command < 0.3 s; ratios are x `vpo jobs --help`.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import sqlite3
import sys
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from common import (
    VENV_PYTHON,
    VPO,
    WORK,
    Result,
    interleave,
    log,
    main_for,
    run_proc,
    vpo_env,
    vpo_home,
)

TARGET_S = 0.3
SEED_MAX_AGE = 6 * 3600  # created_at is relative to generation time: `--since 1d` needs a fresh seed


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def build_seed(count: int) -> tuple[Path, str]:
    """The seed library.db and the id of a job with files (for `jobs show`). Cached."""
    home = WORK / f"jobs-{count}"
    db_path = home / "library.db"
    meta = WORK / f"jobs-{count}.json"
    if meta.exists() and time.time() - meta.stat().st_mtime < SEED_MAX_AGE:
        return db_path, json.loads(meta.read_text())["show_id"]
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    log(f"jobs: building a database of {count:,} jobs in {home}")
    run_proc([VPO, "jobs", "list"], env=vpo_env(home))  # creates and migrates the schema
    rng = random.Random(4)
    now = datetime.now(timezone.utc)
    span = timedelta(days=60).total_seconds()
    jobs, files = [], []
    show_id = None
    roots = ["/media/movies", "/media/tv", "/media/anime", "/mnt/nas/video", "/media/kids"]
    for i in range(count):
        job_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        type_ = rng.choices(("scan", "apply", "transcode"), (70, 20, 10))[0]
        status = rng.choices(("completed", "failed", "cancelled", "queued"), (86, 8, 5, 1))[0]
        created = now - timedelta(seconds=rng.random() * span)
        target = [rng.choice(roots)]
        options = {
            "full": False,
            "prune": False,
            "verify_hash": False,
            "follow_symlinks": False,
            "extensions": ["mkv", "mp4", "m4v", "avi", "mov", "webm"],
            "workers": 2,
            "prober": "pyav",
        }
        policy = {"name": "default", "audio_languages": ["eng", "jpn"]} if type_ != "scan" else None
        started = finished = summary = None
        err = tb = ctx = None
        if status != "queued":
            started = created + timedelta(milliseconds=rng.randint(1, 50))
            finished = started + timedelta(seconds=rng.expovariate(1 / 30))
            summary = {
                "discovered": rng.randint(100, 5000),
                "skipped": rng.randint(0, 5000),
                "scanned": rng.randint(0, 20),
                "added": rng.randint(0, 20),
                "moved": 0,
                "removed": rng.randint(0, 3),
                "errors": 0,
                "restored": 0,
                "pruned": 0,
            }
        if status == "failed":
            err = "database /home/u/.vpo/library.db stayed locked by another process for 60s"
            tb = (
                "Traceback (most recent call last):\n"
                + "".join(
                    f'  File "/usr/lib/python3/vpo/scan/service.py", line {100 + k}, in run\n    step()\n'
                    for k in range(8)
                )
                + "vpo.errors.DatabaseError: database is locked\n"
            )
            ctx = {"root": target[0], "counts": summary}
        jobs.append(
            (
                job_id,
                type_,
                status,
                json.dumps(target),
                json.dumps(options),
                json.dumps(policy) if policy else None,
                json.dumps(summary) if summary else None,
                err,
                tb,
                json.dumps(ctx) if ctx else None,
                1.0 if status == "completed" else None,
                rng.randint(1000, 99999),
                "mediabox",
                _iso(finished or created),
                _iso(created),
                _iso(started) if started else None,
                _iso(finished) if finished else None,
            )
        )
        if rng.random() < 0.2:
            n = rng.randint(1, 5)
            if show_id is None and n == 5 and status == "completed":
                show_id = job_id
            for k in range(n):
                path = f"{target[0]}/Title {i} ({1950 + i % 70})/Title {i} part {k}.mkv".encode()
                outcome = rng.choice(("added", "changed", "missing", "error"))
                files.append(
                    (job_id, None, path, outcome, json.dumps({"container": "matroska", "tracks": 4}))
                )
    conn = sqlite3.connect(db_path)
    with conn:
        conn.executemany(
            "INSERT INTO jobs (id, type, status, target, options, policy, summary, error_message, "
            "error_traceback, error_context, progress, pid, host, heartbeat_at, created_at, "
            "started_at, finished_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            jobs,
        )
        conn.executemany(
            "INSERT INTO job_files (job_id, file_id, path, outcome, details) VALUES (?,?,?,?,?)", files
        )
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    assert show_id is not None
    meta.write_text(json.dumps({"show_id": show_id, "jobs": count, "job_files": len(files)}))
    return db_path, show_id


def run(quick: bool) -> list[Result]:
    count = 100_000
    repeat = 5 if quick else 11
    seed, show_id = build_seed(count)
    prefix = show_id[:8]
    commands: dict[str, list[str | os.PathLike[str]]] = {
        "python -c pass": [VENV_PYTHON, "-c", "pass"],
        "vpo jobs --help": [VPO, "jobs", "--help"],
        "vpo jobs list": [VPO, "jobs", "list"],
        "vpo jobs list --status failed": [VPO, "jobs", "list", "--status", "failed"],
        "vpo jobs list --type scan --since 1d": [VPO, "jobs", "list", "--type", "scan", "--since", "1d"],
        f"vpo jobs show {prefix}": [VPO, "jobs", "show", prefix],
        "vpo jobs list --json": [VPO, "jobs", "list", "--json"],
    }
    log(f"jobs: {len(commands)} commands on {count:,} jobs x{repeat}")
    with vpo_home(seed=seed) as home:
        env = vpo_env(home)
        # Sanity: each command works and prints something (20 rows for the list forms).
        for name, argv in commands.items():
            out = run_proc(argv, env=env, capture=True).stdout
            if name.startswith("vpo jobs ") and len(out.splitlines()) < 5 and "--json" not in name:
                raise RuntimeError(f"{name}: unexpected output {out[:500]!r}")

        def timer(argv: list[str | os.PathLike[str]]) -> Callable[[], float]:
            return lambda: run_proc(argv, env=env).seconds

        stats = interleave({name: timer(argv) for name, argv in commands.items()}, repeat, warmup=1)
    base = stats["vpo jobs --help"]
    results = []
    for name, st in stats.items():
        if name.startswith("vpo jobs") and name != "vpo jobs --help":
            results.append(
                Result(
                    name=f"{name} [{count // 1000}k jobs]",
                    stats=st,
                    unit="s",
                    baseline_name="vpo jobs --help",
                    baseline=base,
                    ratio=st.median / base.median,
                    ratio_label="x",
                    target=f"< {TARGET_S:g} s",
                    passed=st.median < TARGET_S,
                )
            )
        else:
            results.append(Result(name=name, stats=st, unit="s"))
    return results


if __name__ == "__main__":
    main_for(run, __doc__.splitlines()[0])
