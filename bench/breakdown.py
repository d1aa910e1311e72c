"""Where the time goes, for the targets bench/run_all.py reports as missed. Not part of the
table: run it by hand after a change to see which phase moved.

    .venv/bin/python bench/breakdown.py startup      # CLI start-up: imports by package, typer work
    .venv/bin/python bench/breakdown.py rescan       # no-change rescan phases (100k files)
    .venv/bin/python bench/breakdown.py incremental  # SC-001 incremental scan phases (1k files)
    .venv/bin/python bench/breakdown.py              # all three

Every figure is the median of several runs (min-max in brackets).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from common import (
    VENV_PYTHON,
    VPO,
    WORK,
    require_venv,
    run_proc,
    vpo_env,
    vpo_home,
)
from trees import copy_tree, link_tree, media_tree, warm_tree

if TYPE_CHECKING:
    from vpo.db.connection import Database

T = time.perf_counter


def _ms(samples: list[float]) -> str:
    return (
        f"{statistics.median(samples) * 1000:7.0f} ms  [{min(samples) * 1000:.0f}-{max(samples) * 1000:.0f}]"
    )


def _repeat(fn, n: int) -> list[float]:  # type: ignore[no-untyped-def]
    out = []
    for _ in range(n):
        t0 = T()
        fn()
        out.append(T() - t0)
    return out


# ------------------------------------------------------------------------------ start-up

_GROUPS = (
    ("typer (with its vendored click)", ("typer",)),
    (
        "pydantic, pydantic_core, annotated_types, typing_inspection",
        ("pydantic", "pydantic_core", "annotated_types", "typing_inspection"),
    ),
    ("rich", ("rich",)),
    ("yaml", ("yaml", "_yaml")),
    ("av (PyAV)", ("av",)),
    ("vpo.cli.*", ("vpo.cli",)),
    ("vpo.config.*", ("vpo.config",)),
    ("vpo (other)", ("vpo",)),
)


def _import_profile(argv: list[str], env: dict[str, str]) -> tuple[dict[str, float], list[tuple[float, str]]]:
    """Self time per package group, and the top-level imports (cumulative), in seconds."""
    code = f"import sys, io; sys.stdout = io.StringIO(); from vpo.cli.main import run; run({argv!r}, False)"
    err = subprocess.run(
        [VENV_PYTHON, "-X", "importtime", "-c", code], env=env, capture_output=True, check=False
    ).stderr.decode()
    groups: dict[str, float] = defaultdict(float)
    top: list[tuple[float, str]] = []
    for line in err.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)", line)
        if not m:
            continue
        self_us, cum_us, indent, name = int(m[1]), int(m[2]), len(m[3]), m[4]
        for label, prefixes in _GROUPS:
            if any(name == p or name.startswith(p + ".") for p in prefixes):
                groups[label] += self_us / 1e6
                break
        else:
            groups["stdlib and other"] += self_us / 1e6
        if indent == 1:
            top.append((cum_us / 1e6, name))
    return groups, sorted(top, reverse=True)


def startup(repeat: int = 7) -> None:
    print("== CLI start-up (empty library; the figures hold for any size: queries take ~1 ms)")
    with vpo_home() as home:
        env = vpo_env(home)
        run_proc([VPO, "jobs", "list"], env=env)
        wall: dict[str, list[str | os.PathLike[str]]] = {
            "python -c pass": [VENV_PYTHON, "-c", "pass"],
            "python -c 'import vpo.cli.app'": [VENV_PYTHON, "-c", "import vpo.cli.app"],
            "vpo --version": [VPO, "--version"],
            "vpo jobs list": [VPO, "jobs", "list"],
        }
        samples: dict[str, list[float]] = {k: [] for k in wall}
        cpu: dict[str, list[float]] = {k: [] for k in wall}
        for _ in range(repeat):
            for name, argv in wall.items():
                res = run_proc(argv, env=env)
                samples[name].append(res.seconds)
                cpu[name].append(res.cpu_seconds)
        print("whole processes (CPU time is steadier than wall time on a busy machine):")
        for name, s in samples.items():
            print(f"  {name:40s} wall {_ms(s)}   CPU {_ms(cpu[name])}")

        for cmd in (["--version"], ["jobs", "list"]):
            groups, top = _import_profile(cmd, env)
            print(
                f"imports of `vpo {' '.join(cmd)}` (-X importtime self time by package; "
                f"total {sum(groups.values()) * 1000:.0f} ms):"
            )
            for label, sec in sorted(groups.items(), key=lambda kv: -kv[1]):
                if sec >= 0.002:
                    print(f"  {label:60s} {sec * 1000:5.0f} ms")
            print("  top-level imports (cumulative), in the order of cost:")
            for sec, name in top[:8]:
                print(f"    {name:58s} {sec * 1000:5.0f} ms")

        # In-process phases of `vpo jobs list` (fresh interpreter each time).
        code = r"""
import io, json, sys, time
T = time.perf_counter
t0 = T()
from vpo.cli.app import app
t1 = T()
from vpo.cli.main import run
out, sys.stdout = sys.stdout, io.StringIO()
t2 = T(); run(["jobs", "list"], False); t3 = T()
run(["jobs", "list"], False); t4 = T()
import typer.main
cmd = typer.main.get_command(app); t5 = T()
sys.stdout = out
print(json.dumps({"import vpo.cli.app (typer, command modules)": t1 - t0,
                  "first run(): typer builds the commands, parses, lazy imports, the query": t3 - t2,
                  "second run() in the same process (all imported)": t4 - t3,
                  "  of which typer.main.get_command(app) (builds every command)": t5 - t4}))
"""
        phases: dict[str, list[float]] = defaultdict(list)
        for _ in range(repeat):
            done = subprocess.run([VENV_PYTHON, "-c", code], env=env, capture_output=True, check=True)
            for k, v in json.loads(done.stdout).items():
                phases[k].append(v)
        print("in-process phases of `vpo jobs list`:")
        for k, s in phases.items():
            print(f"  {k:75s} {_ms(s)}")


# ------------------------------------------------------------------------------ rescan


def rescan(repeat: int = 5) -> None:
    from vpo.config.settings import Settings
    from vpo.db.connection import open_database

    seed = WORK / "links-100x1000.catalog" / "library.db"
    if not (WORK / "links-100x1000.catalog.ok").exists():
        sys.exit("run bench/rescan.py first: it builds the 100k-file seed catalogue")
    tree = link_tree(100, 1000)
    root = os.fsencode(tree)
    warm_tree(tree)
    print("== no-change rescan of 100,000 files, phases (in-process unless marked CLI)")
    with vpo_home(seed=seed) as home:
        db = open_database(Settings(home=home).database_target)  # migrates the seed copy first
        rows = _walk_phases(db, root, home) + _service_phases(db, root)
        samples: dict[str, list[float]] = {label: [] for label, _ in rows}
        for _ in range(repeat):  # round-robin, so load spikes hit every row alike
            for label, fn in rows:
                samples[label] += _repeat(fn, 1)
        db.close()
        cli, find = [], []
        for _ in range(repeat):
            cli.append(run_proc([VPO, "scan", tree], env=vpo_env(home)).seconds)
            find.append(run_proc(["find", tree, "-printf", r"%s %T@ %p\n"]).seconds)
    for label, s in samples.items():
        print(f"  {label:70s} {_ms(s)}")
    print(f"  {'CLI: vpo scan DIR (whole process)':70s} {_ms(cli)}")
    print(f"  {'find DIR -printf ... > /dev/null':70s} {_ms(find)}")


def _walk_phases(db: Database, root: bytes, home: Path) -> list[tuple[str, Callable[[], None]]]:
    """The rescan's parts below the service: the catalogue read, the walk, the comparison
    in Python, and the walker comparing against the trusted rows itself."""
    from vpo.catalogue import DEFAULT_EXTENSIONS as exts
    from vpo.db import files as files_db
    from vpo.scan import diff, walker

    known: dict = {}

    def load() -> None:
        known.clear()
        known.update(files_db.load_known(db.conn, root))

    def walk() -> None:
        with walker.walk(root, extensions=exts) as batches:
            for _entries, _errors in batches:
                pass

    def walk_plan() -> None:
        k = dict(known)
        with walker.walk(root, extensions=exts) as batches:
            for entries, _errors in batches:
                diff.plan_batch(entries, k)

    sql, params = files_db.trusted_query(root)
    trusted = walker.Trusted(str(home / "library.db"), sql, params)
    empty = WORK / "tmp" / "empty-root"
    empty.mkdir(parents=True, exist_ok=True)

    def rows_only() -> None:
        with walker.walk(os.fsencode(empty), extensions=exts, trusted=trusted) as batches:
            for _entries, _errors in batches:
                pass

    def walk_trusted() -> None:
        with walker.walk(root, extensions=exts, trusted=trusted) as batches:
            for entries, _errors in batches:
                assert not entries
            assert batches.unchanged == 100_000

    return [
        ("files_db.load_known (7 columns -> dict of 100k tuples)", load),
        ("walker.walk alone (Rust, all batches to Python)", walk),
        ("walk + diff.plan_batch on every batch (Python compares)", walk_plan),
        ("Rust reads the 100k trusted rows alone (empty root)", rows_only),
        ("walker.walk with trusted rows (Rust compares, Python gets nothing)", walk_trusted),
    ]


def _service_phases(db: Database, root: bytes) -> list[tuple[str, Callable[[], None]]]:
    """The scan service whole, with the walker's filter and with the filter off."""
    from vpo.media.probe import ProberConfig
    from vpo.scan import service, walker
    from vpo.scan.models import ScanOptions

    opts = ScanOptions(roots=(root,), workers=2, prober=ProberConfig())

    def svc() -> None:
        report = service.scan(db, opts)
        assert report.counts.skipped == 100_000, report.counts

    def svc_python_only() -> None:
        real = walker.can_read_catalogue
        walker.can_read_catalogue = lambda: False  # type: ignore[assignment]
        try:
            svc()
        finally:
            walker.can_read_catalogue = real  # type: ignore[assignment]

    return [
        ("service.scan total, as shipped (walker filters)", svc),
        ("service.scan total, filter off (load_known, Python compares)", svc_python_only),
    ]


# ------------------------------------------------------------------------------ incremental


def incremental(repeat: int = 5) -> None:
    print("== SC-001 incremental scan (1,000 files, 10 changed), phases")
    source = media_tree(1000)
    spawn, imp = _worker_start(next(source.rglob("*.mkv")), repeat)
    marks: dict[str, float] = {}
    phases: dict[str, list[float]] = defaultdict(list)
    nochange, changed, cli_changed = [], [], []
    with _marking_probe_pool(marks):
        for _ in range(repeat):
            times = _incremental_once(source, marks, phases)
            nochange.append(times[0])
            changed.append(times[1])
            cli_changed.append(times[2])
    print(f"  {'probe worker: spawn, import av, probe 1 file, exit':70s} {_ms(spawn)}")
    label = '  of which python -c "import av" (process start included)'
    print(f"  {label:70s} {_ms(imp)}")
    print(f"  {'service.scan, no file changed (walk + diff of 1,000)':70s} {_ms(nochange)}")
    print(f"  {'service.scan, 10 files changed (2 workers spawned)':70s} {_ms(changed)}")
    for label, samples in phases.items():
        print(f"    {label:68s} {_ms(samples)}")
    print(f"  {'CLI vpo scan, 10 files changed (whole process)':70s} {_ms(cli_changed)}")


def _worker_start(probe_target: Path, repeat: int) -> tuple[list[float], list[float]]:
    """Seconds of a probe worker's whole life for one file, and of `python -c "import av"`."""
    from vpo.media.probe import ProberConfig

    config = json.dumps(ProberConfig()._asdict())
    line = config + "\n" + os.fsencode(probe_target).hex() + "\n"
    spawn = []
    for _ in range(repeat):
        t0 = T()
        subprocess.run(
            [VENV_PYTHON, "-m", "vpo.media.probe_worker"],
            input=line.encode(),
            capture_output=True,
            check=True,
        )
        spawn.append(T() - t0)
    imp = []
    for _ in range(repeat):
        t0 = T()
        subprocess.run([VENV_PYTHON, "-c", "import av"], check=True)
        imp.append(T() - t0)
    return spawn, imp


@contextlib.contextmanager
def _marking_probe_pool(marks: dict[str, float]) -> Iterator[None]:
    """ProbePool notes in `marks` when the first file is submitted, the first and last
    results arrive, and how long closing takes."""
    from vpo.media.probe_pool import ProbePool

    orig_submit, orig_get, orig_close = ProbePool.submit, ProbePool.get, ProbePool.close

    def submit(self, item, path):  # type: ignore[no-untyped-def]
        marks.setdefault("first_submit", T())
        return orig_submit(self, item, path)

    def get(self, timeout=None):  # type: ignore[no-untyped-def]
        out = orig_get(self, timeout)
        if out is not None:
            marks.setdefault("first_result", T())
            marks["last_result"] = T()
        return out

    def close(self):  # type: ignore[no-untyped-def]
        t0 = T()
        orig_close(self)
        marks["close"] = T() - t0

    ProbePool.submit, ProbePool.get, ProbePool.close = submit, get, close  # type: ignore[method-assign]
    try:
        yield
    finally:
        ProbePool.submit, ProbePool.get, ProbePool.close = orig_submit, orig_get, orig_close  # type: ignore[method-assign]


def _incremental_once(
    source: Path, marks: dict[str, float], phases: dict[str, list[float]]
) -> tuple[float, float, float]:
    """On a fresh copy: seconds of a no-change scan, of a scan with 10 files changed (its
    phases added to `phases`), and of the CLI's scan with 10 other files changed."""
    from vpo.config.settings import Settings
    from vpo.db.connection import open_database
    from vpo.media.probe import ProberConfig
    from vpo.scan import service
    from vpo.scan.models import ScanOptions

    with copy_tree(source, "bd-") as tree, vpo_home() as home:
        warm_tree(tree)
        opts = ScanOptions(roots=(os.fsencode(tree),), workers=2, prober=ProberConfig())
        db = open_database(Settings(home=home).database_target)
        service.scan(db, opts)
        t0 = T()
        service.scan(db, opts)
        nochange = T() - t0
        files = sorted(p for p in tree.rglob("*") if p.is_file())
        _touch(files[::100][:10])
        marks.clear()
        t0 = T()
        report = service.scan(db, opts)
        end = T()
        _add_phases(phases, marks, t0, end)
        assert report.counts.scanned == 10, report.counts
        db.close()
        _touch(files[50::100][:10])
        res = run_proc([VPO, "scan", "--json", tree], env=vpo_env(home), capture=True)
        assert json.loads(res.stdout)["counts"]["scanned"] >= 10
    return nochange, end - t0, res.seconds


def _touch(files: list[Path]) -> None:
    """Change each file (16 bytes more)."""
    for p in files:
        with open(p, "ab") as fh:
            fh.write(b"\0" * 16)


def _add_phases(phases: dict[str, list[float]], marks: dict[str, float], t0: float, end: float) -> None:
    phases["scan start -> first file submitted (job row, load_known, walk, diff)"].append(
        marks["first_submit"] - t0
    )
    phases["first submit -> first result (worker spawn + import av + 1 probe)"].append(
        marks["first_result"] - marks["first_submit"]
    )
    phases["first result -> last result (the other 9 probes)"].append(
        marks["last_result"] - marks["first_result"]
    )
    phases["ProbePool.close (workers told to exit, waited for)"].append(marks["close"])
    phases["rest (writer flush, missing, job completion)"].append(end - marks["last_result"] - marks["close"])


def main() -> None:
    require_venv()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", nargs="*", help="startup, rescan, incremental (default: all)")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    what = args.what or ["startup", "rescan", "incremental"]
    if bad := set(what) - {"startup", "rescan", "incremental"}:
        parser.error(f"unknown: {', '.join(sorted(bad))}")
    import vpo

    print(
        f"VPO {vpo.__version__} at {subprocess.run(['git', 'rev-parse', '--short', 'HEAD'], cwd=Path(__file__).parent, capture_output=True, text=True).stdout.strip()}; "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    )
    for name in what:
        {"startup": startup, "rescan": rescan, "incremental": incremental}[name](args.repeat)


if __name__ == "__main__":
    main()
