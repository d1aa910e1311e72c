"""Issue 24: `vpo watch` (SPEC section 17).

(a) Latency: a watcher (settle 2 s) on an empty library; 100 real tiny media files
    (tests/media.py make_bulk_library, cached) renamed into it at once from a staging folder
    on the same file system (what Radarr's move looks like). Each file's latency is the
    time its catalogue row was written (`files.first_seen`, this host's clock) after the
    last rename plus `watch.settle`: what handling costs once a file has settled (the
    event's delivery, the batch, the scan with its probe workers). Median over the 100
    files per round, fresh VPO_HOME and watcher per round. Target: median <= 2 s.
(b) Start-up and idle cost on 100,000 files (100 dirs x 1,000 hard links, bench/trees.py
    link_tree, catalogued once into the seed that bench/rescan.py also uses), copied into a
    fresh VPO_HOME whose profile names the tree as its root:
    - start-up: from spawning `vpo watch` to the end of its first reconcile scan (the
      `finished_at` of that scan job) vs a no-change `vpo scan --profile lib` (spawn to
      exit: the same roots through the same profile, so both load the same settings),
      interleaved; target <= 1.5x. `vpo scan TREE` too (info): it loads no profile, which
      costs ~0.25 s (ruamel.yaml and pydantic imported, each section validated);
    - idle: the watcher's CPU time (utime + stime of all its threads, /proc/PID/stat) over
      60 s with nothing changing, in % of one core; target <= 1 %;
    - peak RSS of the watcher (VmHWM, /proc/PID/status, start-up included); target <= 150 MB.
(c) Polling: one poll of the same tree (`vpo.watch.poll.poll`, what a polled root runs every
    `watch.poll_interval`: the walk with the walker's unchanged-file filter, the comparison,
    no job) in this process vs a no-change `vpo scan TREE` (CLI); target <= 1.2x. The same
    no-change scan in this process (vpo.scan.service.scan) as info: what the poll costs
    against the scan without interpreter start.
`--quick`: 10,000 files, 10 s idle, fewer rounds. The machine's load average is noted.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from common import (
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
from trees import link_tree, media_tree, warm_tree

LATENCY_TARGET = 2.0
STARTUP_TARGET = 1.5
IDLE_TARGET = 1.0  # % of one core
RSS_TARGET_MB = 150
POLL_TARGET = 1.2
SETTLE = 2.0
DROPPED = 100
HANG_GUARD = 600.0


def _profile(home: Path, root: Path, settle: float = 30.0) -> None:
    (home / "profiles").mkdir(parents=True, exist_ok=True)
    (home / "profiles" / "lib.yaml").write_text(
        f"roots: [{json.dumps(str(root))}]\nwatch:\n  settle: {settle}\n"
    )


def _start(home: Path) -> tuple[subprocess.Popen[bytes], float]:
    spawned = time.time()
    proc = subprocess.Popen(
        [str(VPO), "watch"],
        env=vpo_env(home),
        stdout=open(home / "watch.out", "wb"),  # noqa: SIM115 - closed with the child
        stderr=open(home / "watch.err", "wb"),  # noqa: SIM115
        stdin=subprocess.DEVNULL,
    )
    return proc, spawned


def _stop(proc: subprocess.Popen[bytes], home: Path) -> None:
    proc.send_signal(signal.SIGTERM)
    if proc.wait(timeout=HANG_GUARD) != 0:
        raise RuntimeError(f"vpo watch exited {proc.returncode}: {(home / 'watch.err').read_text()[-2000:]}")


def _epoch(iso: str) -> float:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


def _query(home: Path, sql: str, *params: object) -> list[tuple]:
    try:
        conn = sqlite3.connect(f"file:{home / 'library.db'}?mode=ro", uri=True, timeout=30)
    except sqlite3.Error:
        return []
    try:
        return conn.execute(sql, params).fetchall()
    except sqlite3.Error:
        return []  # not created or not migrated yet
    finally:
        conn.close()


def _wait(what: str, proc: subprocess.Popen[bytes], home: Path, check) -> object:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + HANG_GUARD
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        if proc.poll() is not None:
            raise RuntimeError(
                f"vpo watch exited {proc.returncode} before {what}: {(home / 'watch.err').read_text()}"
            )
        time.sleep(0.02)
    raise RuntimeError(f"never happened: {what}")


def _reconciled(proc: subprocess.Popen[bytes], home: Path, root: Path) -> float:
    """When the watcher's first reconcile scan of `root` finished (epoch seconds)."""

    def done() -> float | None:
        rows = _query(
            home,
            "SELECT finished_at FROM jobs WHERE type = 'scan' AND status = 'completed' AND target = ? "
            "AND pid = ? ORDER BY created_at LIMIT 1",
            json.dumps([str(root)]),
            proc.pid,
        )
        return _epoch(rows[0][0]) if rows else None

    return float(_wait("the first reconcile scan", proc, home, done))  # type: ignore[arg-type]


# ------------------------------------------------------------------------------ (a) latency


def latency(quick: bool) -> list[Result]:
    rounds = 2 if quick else 5
    source = media_tree(DROPPED)
    log(f"watch (a): {DROPPED} files dropped at once, settle {SETTLE:g} s, x{rounds}")
    medians, worst = [], []
    for _ in range(rounds):
        with scratch_dir("watch-latency-") as base, vpo_home() as home:
            root, staging = base / "lib", base / "staging"
            (root / "drop").mkdir(parents=True)
            subprocess.run(["cp", "-a", str(source), str(staging)], check=True)
            files = sorted(p for p in staging.rglob("*") if p.is_file())
            _profile(home, root, settle=SETTLE)
            proc, _ = _start(home)
            try:
                _reconciled(proc, home, root)
                time.sleep(0.5)
                for f in files:
                    os.rename(f, root / "drop" / f.name)
                dropped = time.time()

                def all_in(count: int = len(files)) -> list[tuple]:
                    rows = _query(home, "SELECT first_seen FROM files WHERE scan_status = 'ok'")
                    return rows if len(rows) == count else []

                rows = _wait(f"{len(files)} files catalogued", proc, home, all_in)
            finally:
                _stop(proc, home)
            lat = sorted(_epoch(r[0]) - (dropped + SETTLE) for r in rows)  # type: ignore[union-attr]
            medians.append(Stats(lat).median)
            worst.append(lat[-1])
    stats = Stats(medians)
    return [
        Result(
            name=f"latency after settling, {DROPPED} files at once [settle {SETTLE:g} s]",
            stats=stats,
            unit="s",
            target=f"<= {LATENCY_TARGET:g} s",
            passed=stats.median <= LATENCY_TARGET,
            notes=[
                f"median of each round's median file; the last file of a round: "
                f"{', '.join(f'{w:.2f}' for w in worst)} s after settling"
            ],
        )
    ]


# ------------------------------------------------------------------------------ (b) start-up and idle


def _seed(dirs: int, per_dir: int) -> tuple[Path, Path]:
    """The link tree and its catalogue (bench/rescan.py's seed, built here if missing)."""
    tree = link_tree(dirs, per_dir)
    seed_home = WORK / f"links-{dirs}x{per_dir}.catalog"
    seed_ok = WORK / f"links-{dirs}x{per_dir}.catalog.ok"
    if not seed_ok.exists():
        shutil.rmtree(seed_home, ignore_errors=True)
        seed_home.mkdir(parents=True)
        log(f"watch: cataloguing {dirs * per_dir:,} files once into {seed_home} (slow; cached)")
        res = run_proc([VPO, "scan", "--json", tree], env=vpo_env(seed_home), capture=True)
        seed_ok.write_text(json.dumps({"seconds": res.seconds, "maxrss_mb": res.maxrss_mb}))
    return tree, seed_home / "library.db"


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


def _peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM")


def startup_and_idle(quick: bool) -> list[Result]:
    dirs, per_dir = (10, 1000) if quick else (100, 1000)
    total = dirs * per_dir
    idle_seconds = 10 if quick else 60
    repeat = 2 if quick else 5
    tree, seed = _seed(dirs, per_dir)
    warm_tree(tree)
    log(f"watch (b): start-up vs no-change vpo scan, {total:,} files x{repeat}; idle {idle_seconds} s")
    idle: dict[str, float] = {}
    with vpo_home(seed=seed) as home:
        _profile(home, tree)

        def watch() -> float:
            proc, spawned = _start(home)
            try:
                seconds = _reconciled(proc, home, tree) - spawned
                if not idle:
                    time.sleep(2)  # its event thread is up; nothing changes from now on
                    cpu0, t0 = _cpu_seconds(proc.pid), time.monotonic()
                    time.sleep(idle_seconds)
                    cpu1, t1 = _cpu_seconds(proc.pid), time.monotonic()
                    idle["cpu_pct"] = (cpu1 - cpu0) / (t1 - t0) * 100
                idle["rss"] = max(idle.get("rss", 0.0), _peak_rss_mb(proc.pid))
            finally:
                _stop(proc, home)
            return seconds

        def scan() -> float:  # the same roots through the same profile: the same settings to load
            return run_proc([VPO, "scan", "--profile", "lib"], env=vpo_env(home)).seconds

        def scan_path() -> float:
            return run_proc([VPO, "scan", tree], env=vpo_env(home)).seconds

        stats = interleave({"watch": watch, "scan": scan, "path": scan_path}, repeat, warmup=1, rotate=True)
    ratio = stats["watch"].median / stats["scan"].median
    return [
        Result(
            name=f"start-up: first reconcile, vpo watch [{total:,} files]",
            stats=stats["watch"],
            unit="s",
            baseline_name="no-change vpo scan --profile",
            baseline=stats["scan"],
            ratio=ratio,
            ratio_label="x scan",
            target=f"<= {STARTUP_TARGET:g}x",
            passed=ratio <= STARTUP_TARGET,
            notes=[
                f"against `vpo scan TREE` (no profile to load: no ruamel.yaml, no pydantic): "
                f"{stats['path'].median * 1000:.0f} ms median, ratio "
                f"{stats['watch'].median / stats['path'].median:.2f}"
            ],
        ),
        Result(
            name=f"idle CPU, vpo watch with events [{total:,} files, {idle_seconds} s]",
            stats=Stats([idle["cpu_pct"]]),
            unit="% core",
            target=f"<= {IDLE_TARGET:g} % core",
            passed=idle["cpu_pct"] <= IDLE_TARGET,
        ),
        Result(
            name=f"peak RSS, vpo watch [{total:,} files]",
            stats=Stats([idle["rss"]]),
            unit="MB",
            target=f"<= {RSS_TARGET_MB} MB",
            passed=idle["rss"] <= RSS_TARGET_MB,
            notes=["the largest VmHWM over the start-up rounds (start-up reconcile and idle included)"],
        ),
    ]


# ------------------------------------------------------------------------------ (c) polling


def polling(quick: bool) -> list[Result]:
    from vpo.catalogue import DEFAULT_EXTENSIONS
    from vpo.config.settings import Settings
    from vpo.db.connection import open_database
    from vpo.media.probe import ProberConfig
    from vpo.scan.models import ScanOptions
    from vpo.scan.service import scan
    from vpo.watch.poll import poll

    dirs, per_dir = (10, 1000) if quick else (100, 1000)
    total = dirs * per_dir
    repeat = 3 if quick else 9
    tree, seed = _seed(dirs, per_dir)
    warm_tree(tree)
    log(f"watch (c): one poll vs no-change vpo scan, {total:,} files x{repeat}")
    root = os.fsencode(tree)
    with vpo_home(seed=seed) as home:
        db = open_database(Settings(home=home).database_target)
        try:

            def one_poll() -> float:
                t0 = time.perf_counter()
                result = poll(
                    db, root, extensions=DEFAULT_EXTENSIONS, follow_symlinks=False, wanted=lambda p: True
                )
                seconds = time.perf_counter() - t0
                if result.changed or result.gone or result.found != total:
                    raise RuntimeError(f"the poll found changes in an unchanged tree: {result.found} files")
                return seconds

            def cli_scan() -> float:
                return run_proc([VPO, "scan", tree], env=vpo_env(home)).seconds

            def service_scan() -> float:
                t0 = time.perf_counter()
                scan(db, ScanOptions(roots=(root,), workers=1, prober=ProberConfig()))
                return time.perf_counter() - t0

            stats = interleave(
                {"poll": one_poll, "scan": cli_scan, "service": service_scan}, repeat, warmup=1, rotate=True
            )
        finally:
            db.close()
    ratio = stats["poll"].median / stats["scan"].median
    return [
        Result(
            name=f"one poll of a polled root [{total:,} files]",
            stats=stats["poll"],
            unit="s",
            baseline_name="no-change vpo scan",
            baseline=stats["scan"],
            ratio=ratio,
            ratio_label="x scan",
            target=f"<= {POLL_TARGET:g}x",
            passed=ratio <= POLL_TARGET,
            notes=[
                f"the same no-change scan in this process (no interpreter start): "
                f"{stats['service'].median * 1000:.0f} ms median, poll / that = "
                f"{stats['poll'].median / stats['service'].median:.2f}"
            ],
        )
    ]


def run(quick: bool) -> list[Result]:
    load = os.getloadavg()
    results = latency(quick) + startup_and_idle(quick) + polling(quick)
    results[0].notes.append(
        f"load average (1/5/15 min) at start {load[0]:.2f}/{load[1]:.2f}/{load[2]:.2f}, at the end "
        + "/".join(f"{x:.2f}" for x in os.getloadavg())
        + f", {os.cpu_count()} CPUs"
    )
    return results


if __name__ == "__main__":
    main_for(run, __doc__.splitlines()[0])
