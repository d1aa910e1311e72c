"""Run every VPO benchmark and print one table (`make bench`).

    .venv/bin/python bench/run_all.py            # full sizes, ~30-45 minutes on 2 cores
    .venv/bin/python bench/run_all.py --quick    # smaller trees, fewer repetitions
    .venv/bin/python bench/run_all.py --only walk_speed,jobs_list

Exit status 1 if any target is missed.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import platform
import subprocess
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from common import SCRATCH, Result, Stats, print_table, require_venv

MODULES = (
    "probe_speed",
    "walk_speed",
    "rescan",
    "jobs_list",
    "logging_overhead",
    "apply_speed",
    "report_speed",
    "integrity",
    "apply_scale",
    "policy_v2",
    "watch",
)


def environment() -> str:
    """What the figures depend on: commit, versions, cores."""
    import sqlite3
    from importlib.metadata import version

    import vpo

    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=os.path.dirname(__file__), capture_output=True, text=True
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--", "python", "rust"],
        cwd=os.path.dirname(__file__),
        capture_output=True,
        text=True,
    ).stdout
    libs = ", ".join(f"{name} {version(name)}" for name in ("typer", "pydantic", "av"))
    return (
        f"VPO {vpo.__version__} @ {commit}{'+dirty' if dirty else ''} | Python "
        f"{platform.python_version()}, SQLite {sqlite3.sqlite_version}, {libs} | "
        f"{os.cpu_count()} CPUs"
    )


def main() -> int:
    require_venv()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller trees, fewer repetitions")
    parser.add_argument("--only", default="", help=f"comma-separated subset of: {', '.join(MODULES)}")
    args = parser.parse_args()
    chosen = [m for m in MODULES if not args.only or m in args.only.split(",")]
    results: list[Result] = []
    failed: list[str] = []
    started = time.monotonic()
    try:
        for name in chosen:
            print(f"== {name}", file=sys.stderr, flush=True)
            t0 = time.monotonic()
            try:
                results += importlib.import_module(name).run(args.quick)
            except Exception:
                traceback.print_exc()
                failed.append(name)
                results.append(
                    Result(
                        name=f"{name}: CRASHED (traceback above)", stats=Stats([0.0]), unit="s", passed=False
                    )
                )
            print(f"   {name} took {time.monotonic() - t0:.0f} s", file=sys.stderr, flush=True)
    finally:
        with contextlib.suppress(OSError):  # each benchmark removes its own scratch dirs
            SCRATCH.rmdir()
    print()
    print(
        f"{environment()} | {'quick' if args.quick else 'full'} run in "
        f"{time.monotonic() - started:.0f} s | load average now {os.getloadavg()[0]:.1f}"
    )
    print()
    print_table(results)
    return 0 if all(r.passed is not False for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
