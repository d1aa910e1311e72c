"""Issue 27: a million files (SPEC section 20). Every row of the issue's table, with its
baseline measured in the same run.

The tree: 1,000,000 hard links of 64 distinct tiny media files (tests/media.py's bulk
library: Matroska, MP4, AVI, ...), 20 a folder in 50,000 folders, 50 folders a group
(`g-NNNN/d-NN/f-NN.ext`: a group holds 1,000 files), built once and cached outside the
repository with its catalogue (bench/million_setup.py; `--files N` builds a smaller one).

- first scan: a real `vpo scan` of the whole tree (probing every file: many minutes at
  1,000,000; it makes the cached catalogue, so it runs when the catalogue is built, or
  with `--first-scan`), against a first scan of 10,000 files of the same shape in the same
  run. Judged in files per CPU second of the process and its probe workers (wait4's
  rusage of the children: wall time swings with the machine's load); its peak RSS;
- no-change rescan (`vpo scan TREE`) vs `find TREE -printf '%s %T@ %p\\n'`, and its
  peak RSS; an incremental rescan after 100 files changed (each made a file of its own,
  16 bytes appended) against the no-change rescan + 100 probes (the 10,000-file first
  scan's wall time per file) + 0.5 s; a rescan after a group of 1,000 files was renamed
  (1,000 moves; info);
- `vpo report --json`, `vpo files --codec h264 --limit 10`, `vpo jobs list` on 1,000,000
  generated jobs, `vpo apply --dry-run --json` with a schema 2 policy (time, peak RSS);
- the no-change rescan with the catalogue on PostgreSQL (tests/pgserver.py, rows copied
  by `vpo db migrate-to`) vs on SQLite;
- start-up: `vpo --version`, `vpo scan` of an unchanged one-file library, `vpo jobs list`
  on an empty catalogue vs `python -c pass`; whether that scan started a probe worker
  (its debug log); `python -X importtime`'s slowest top-level imports of that scan.

    .venv/bin/python bench/million.py [--files 20000] [--repeat 3] [--first-scan] [--skip-pg]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from common import (
    VENV_PYTHON,
    VPO,
    Result,
    Stats,
    interleave,
    log,
    print_table,
    require_venv,
    run_proc,
    scratch_dir,
    vpo_env,
    vpo_home,
)
from million_setup import catalogue, copy_files_to_postgres, first_scan, jobs_history, link_tree
from policy_v2 import V2_POLICY
from trees import unlink_copy, warm_tree

BASE_FILES = 10_000
CHANGED = 100
MOVED_GROUP = "g-0000"


def _scan(tree: Path, home: Path, *, expect: Callable[[dict[str, int]], bool]) -> tuple[float, float]:
    """One `vpo scan TREE`: (wall seconds, peak RSS MB); its counts must pass `expect`."""
    res = run_proc([VPO, "scan", "--json", tree], env=vpo_env(home), capture=True, discard_stderr=True)
    counts = json.loads(res.stdout)["counts"]
    if not expect(counts):
        raise RuntimeError(f"scan of {tree}: unexpected counts {counts}")
    return res.seconds, res.maxrss_mb


def _row(name: str, stats: Stats, unit: str, target: str, passed: bool | None, **kw: object) -> Result:
    return Result(name=name, stats=stats, unit=unit, target=target, passed=passed, **kw)  # type: ignore[arg-type]


def first_scan_rows(count: int, scan: dict[str, float], base: dict[str, float]) -> list[Result]:
    ratio = scan["files_per_cpu_second"] / base["files_per_cpu_second"]
    when = f"measured with the catalogue; wall {scan['seconds']:.0f} s, {scan['cpu_seconds']:.0f} CPU s"
    return [
        _row(
            f"first scan, files per CPU second [{count:,}]",
            Stats([scan["files_per_cpu_second"]]),
            "files/s",
            ">= 0.9",
            ratio >= 0.9,
            baseline_name=f"{int(base['files']):,} files",
            baseline=Stats([base["files_per_cpu_second"]]),
            ratio=ratio,
            ratio_label="of 10k",
            notes=[when + f"; baseline wall {base['seconds']:.1f} s"],
        ),
        _row(f"first scan, peak RSS [{count:,}]", Stats([scan["maxrss_mb"]]), "MB", "<= 600 MB",
             scan["maxrss_mb"] <= 600),
    ]  # fmt: skip


def nochange_rows(tree: Path, home: Path, count: int, repeat: int) -> tuple[list[Result], Stats]:
    log(f"no-change rescan vs find, {count:,} files x{repeat}")
    rss: list[float] = []

    def vpo() -> float:
        seconds, peak = _scan(tree, home, expect=lambda c: c["skipped"] == count)
        rss.append(peak)
        return seconds

    def find() -> float:
        return run_proc(["find", tree, "-printf", r"%s %T@ %p\n"]).seconds

    stats = interleave({"vpo": vpo, "find": find}, repeat, warmup=1)
    ratio = stats["vpo"].median / stats["find"].median
    peak = Stats(rss[1:])
    return [
        _row(f"no-change rescan [{count:,}]", stats["vpo"], "s", "<= 1.0x find", ratio <= 1.0,
             baseline_name="find -printf", baseline=stats["find"], ratio=ratio, ratio_label="x find"),
        _row(f"no-change rescan, peak RSS [{count:,}]", peak, "MB", "<= 400 MB", peak.max <= 400),
    ], stats["vpo"]  # fmt: skip


def _changed_files(tree: Path) -> list[Path]:
    """CHANGED files spread over the tree: the first file of every n-th folder."""
    folders = sorted(d for g in tree.iterdir() if g.name != MOVED_GROUP for d in g.iterdir())
    step = max(1, len(folders) // CHANGED)
    return [min(d.iterdir()) for d in folders[::step][:CHANGED]]


def incremental_row(tree: Path, seed: Path, nochange: Stats, per_probe: float, repeat: int) -> Result:
    log(f"incremental rescan, {CHANGED} changed x{repeat}")
    files = _changed_files(tree)
    samples = []
    for _ in range(repeat):
        with vpo_home(seed) as home:
            links = {f: f.with_name(f.name + ".orig") for f in files}
            try:
                for f, keep in links.items():
                    os.link(f, keep)
                    unlink_copy(f)
                    with open(f, "ab") as fh:
                        fh.write(b"\0" * 16)
                os.sync()
                seconds, _ = _scan(tree, home, expect=lambda c: c["scanned"] == CHANGED and c["errors"] == 0)
            finally:
                for f, keep in links.items():
                    if keep.exists():
                        os.replace(keep, f)
            samples.append(seconds)
    stats = Stats(samples)
    bound = nochange.median + CHANGED * per_probe + 0.5
    return _row(
        f"incremental rescan, {CHANGED} changed", stats, "s", "<= no-change + 100 probes + 0.5 s",
        stats.median <= bound, baseline_name="bound", baseline=Stats([bound]),
        ratio=stats.median / bound, ratio_label="of bound",
        notes=[f"bound = no-change {nochange.median:.2f} s + {CHANGED} x {per_probe * 1000:.1f} ms "
               "(the 10k first scan's wall time per file) + 0.5 s"],
    )  # fmt: skip


def moved_row(tree: Path, seed: Path, nochange: Stats, repeat: int) -> Result:
    log(f"rescan after a group of 1,000 files moved x{repeat}")
    src, dst = tree / MOVED_GROUP, tree / (MOVED_GROUP + "-moved")
    moved = sum(1 for _ in src.rglob("f-*"))
    samples = []
    for _ in range(repeat):
        with vpo_home(seed) as home:
            os.rename(src, dst)
            try:
                seconds, _ = _scan(tree, home, expect=lambda c: c["moved"] == moved and c["errors"] == 0)
            finally:
                os.rename(dst, src)
            samples.append(seconds)
    stats = Stats(samples)
    return _row(f"rescan after {moved:,} files moved", stats, "s", "info", None,
                baseline_name="no-change", baseline=nochange, ratio=stats.median / nochange.median,
                ratio_label="x")  # fmt: skip


def query_rows(home: Path, jobs_db: Path, count: int, repeat: int) -> list[Result]:
    log(f"report, files, jobs list x{repeat}")
    env = vpo_env(home)
    with vpo_home(jobs_db) as jobs_home:
        jobs_env = vpo_env(jobs_home)
        run_proc([VPO, "jobs", "list"], env=jobs_env)  # the migration, if any, untimed
        subjects = {
            "python -c pass": lambda: run_proc([VENV_PYTHON, "-c", "pass"]).seconds,
            "report": lambda: run_proc([VPO, "report", "--json"], env=env).seconds,
            "files": lambda: run_proc([VPO, "files", "--codec", "h264", "--limit", "10"], env=env).seconds,
            "jobs": lambda: run_proc([VPO, "jobs", "list"], env=jobs_env).seconds,
        }
        stats = interleave(subjects, repeat, warmup=1)
    base = stats["python -c pass"]
    out = []
    for key, name, limit in (
        ("report", "vpo report --json", 3.0),
        ("files", "vpo files --codec h264 --limit 10", 1.0),
        ("jobs", f"vpo jobs list [{count:,} jobs]", 0.3),
    ):
        st = stats[key]
        out.append(_row(name, st, "s", f"<= {limit:g} s", st.median <= limit, baseline_name="python -c pass",
                        baseline=base, ratio=st.median / base.median, ratio_label="x"))  # fmt: skip
    return out


def apply_rows(tree: Path, home: Path, count: int, repeat: int) -> list[Result]:
    log(f"apply --dry-run --json, schema 2, {count:,} files x{repeat}")
    with scratch_dir("million-apply-") as tmp:
        policy = tmp / "v2.yaml"
        policy.write_text(V2_POLICY)
        out = tmp / "out.json"  # to a file, as a person would keep it (sh execs vpo: wait4 sees vpo)
        argv = [
            "sh",
            "-c",
            f'exec "$0" "$@" > {out}',
            VPO,
            "apply",
            "--policy",
            policy,
            "--dry-run",
            "--json",
            tree,
        ]
        runs = [run_proc(argv, env=vpo_env(home), discard_stderr=True) for _ in range(repeat)]
        with open(out, "rb") as fh:
            head = fh.read(4096).decode()
            fh.seek(0)
            files = sum(1 for line in fh if line.startswith(b'    {"path"'))
        if '"dry_run": true' not in head or files != count:
            raise RuntimeError(f"apply --dry-run --json: {files:,} files, head {head[:500]}")
        size_mb = out.stat().st_size / 2**20
    seconds, rss = Stats([r.seconds for r in runs]), Stats([r.maxrss_mb for r in runs])
    return [
        _row(f"apply --dry-run --json, schema 2 [{count:,}]", seconds, "s", "<= 60 s", seconds.median <= 60,
             notes=[f"{size_mb:.0f} MB of output, written to a file"]),
        _row(f"apply --dry-run --json, peak RSS [{count:,}]", rss, "MB", "<= 800 MB", rss.max <= 800),
    ]  # fmt: skip


def postgres_row(tree: Path, seed: Path, count: int, repeat: int) -> Result:
    import pgserver

    bin_dir = pgserver.binaries()
    if bin_dir is None:
        raise SystemExit("PostgreSQL is not installed (make system-deps); or pass --skip-pg")
    cluster = pgserver.Cluster(bin_dir).start()
    try:
        with vpo_home(seed) as home:
            url = cluster.new_database()
            pg_env = {**vpo_env(home), "VPO_DATABASE_URL": url}
            log(f"copying {count:,} files to PostgreSQL (COPY)")
            copied = copy_files_to_postgres(seed, url, pg_env)

            def scan(env: dict[str, str]) -> float:
                res = run_proc([VPO, "scan", "--json", tree], env=env, capture=True, discard_stderr=True)
                counts = json.loads(res.stdout)["counts"]
                if counts["skipped"] != count:
                    raise RuntimeError(f"not a no-change rescan: {counts}")
                return res.seconds

            log(f"no-change rescan, PostgreSQL vs SQLite x{repeat}")
            stats = interleave(
                {"pg": lambda: scan(pg_env), "sqlite": lambda: scan(vpo_env(home))}, repeat, warmup=1
            )
    finally:
        cluster.stop()
    ratio = stats["pg"].median / stats["sqlite"].median
    return _row(f"no-change rescan on PostgreSQL [{count:,}]", stats["pg"], "s", "<= 1.3x SQLite", ratio <= 1.3,
                baseline_name="SQLite", baseline=stats["sqlite"], ratio=ratio, ratio_label="x SQLite",
                notes=[f"{count:,} catalogue rows copied by COPY in {copied:.0f} s"])  # fmt: skip


def _top_imports(stderr: bytes, n: int = 8) -> str:
    """The slowest top-level imports of `python -X importtime` (cumulative ms)."""
    found = []
    for line in stderr.decode(errors="replace").splitlines():
        m = re.match(r"import time:\s+\d+ \|\s+(\d+) \| (\S.*)$", line)
        if m and not m.group(2).startswith(" "):
            found.append((int(m.group(1)), m.group(2)))
    found.sort(reverse=True)
    return ", ".join(f"{name} {us / 1000:.0f} ms" for us, name in found[:n])


def startup_rows(repeat: int) -> list[Result]:
    log(f"start-up x{repeat}")
    with scratch_dir("million-startup-") as tmp, vpo_home() as home, vpo_home() as empty:
        lib = tmp / "lib"
        lib.mkdir()
        clip = next(p for p in link_tree_sources() if p.suffix == ".mkv")
        shutil.copy2(clip, lib / "film.mkv")
        env, empty_env = vpo_env(home), vpo_env(empty)
        run_proc([VPO, "scan", lib], env=env)
        run_proc([VPO, "jobs", "list"], env=empty_env)
        debug = run_proc([VPO, "--log-level", "debug", "scan", lib], env=env).stderr.decode(errors="replace")
        workers = len(re.findall(r"probe worker \d+", debug))
        imports = run_proc([VENV_PYTHON, "-X", "importtime", VPO, "scan", lib], env=env).stderr
        stats = interleave(
            {
                "python -c pass": lambda: run_proc([VENV_PYTHON, "-c", "pass"]).seconds,
                "vpo --version": lambda: run_proc([VPO, "--version"]).seconds,
                "vpo scan": lambda: run_proc([VPO, "scan", lib], env=env).seconds,
                "vpo jobs list": lambda: run_proc([VPO, "jobs", "list"], env=empty_env).seconds,
            },
            repeat,
            warmup=1,
        )
    base = stats["python -c pass"]
    rows = [_row("python -c pass", base, "s", "info", None)]
    for name, label, limit in (
        ("vpo --version", "vpo --version", None),
        ("vpo scan", "vpo scan, unchanged one-file library", 4.0),
        ("vpo jobs list", "vpo jobs list, empty catalogue", None),
    ):
        ratio = stats[name].median / base.median
        passed = None if limit is None else ratio <= limit and workers == 0
        rows.append(_row(label, stats[name], "s", f"<= {limit:g}x, no probe process" if limit else "info", passed,
                         baseline_name="python -c pass", baseline=base, ratio=ratio, ratio_label="x"))  # fmt: skip
    rows[2].notes += [
        f"probe processes it started (debug log): {workers}",
        f"slowest imports (-X importtime, cumulative): {_top_imports(imports)}",
    ]
    return rows


def link_tree_sources() -> list[Path]:
    from million_setup import cache_dir

    return sorted(p for p in cache_dir().glob("million-*/sources/*") if p.is_file())


def run(args: argparse.Namespace) -> list[Result]:
    count, repeat = args.files, args.repeat
    tree, built = link_tree(count)
    log(f"tree of {count:,} files: built in {built:.0f} s (cached)")
    seed, scan = catalogue(tree, count, refresh=args.first_scan)
    base_count = min(BASE_FILES, count // 2)
    base_tree, _ = link_tree(base_count)
    with vpo_home() as base_home:
        log(f"first scan of {base_count:,} files (the baseline)")
        base = first_scan(base_tree, base_home)
    results = first_scan_rows(count, scan, base)
    results[0].notes.append(f"tree built in {built:.0f} s")
    warm_tree(tree)
    with vpo_home(seed) as home:
        rows, nochange = nochange_rows(tree, home, count, repeat)
        results += rows
        results.append(incremental_row(tree, seed, nochange, base["seconds"] / base["files"], repeat))
        results.append(moved_row(tree, seed, nochange, repeat))
        results += query_rows(home, jobs_history(count), count, repeat + 2)
        results += apply_rows(tree, home, count, max(1, repeat - 1))
    if not args.skip_pg:
        results.append(postgres_row(tree, seed, count, repeat))
    return results + startup_rows(repeat * 3)


def main(argv: Sequence[str] | None = None) -> None:
    require_venv()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=1_000_000, help="files in the tree (20,000 to develop)")
    parser.add_argument("--repeat", type=int, default=3, help="rounds of each measurement")
    parser.add_argument("--first-scan", action="store_true", help="measure the first scan again")
    parser.add_argument("--skip-pg", action="store_true", help="no PostgreSQL row")
    parser.add_argument("--setup-only", action="store_true", help="build the tree and catalogue, then stop")
    args = parser.parse_args(argv)
    if args.setup_only:
        tree, _ = link_tree(args.files)
        catalogue(tree, args.files, refresh=args.first_scan)
        return
    results = run(args)
    print()
    print_table(results)
    sys.exit(0 if all(r.passed is not False for r in results) else 1)


if __name__ == "__main__":
    main()
