"""Shared helpers for VPO's benchmarks: timing statistics, subprocess timing with peak RSS,
throwaway VPO_HOMEs, cached test trees under bench/.work/, and the results table.

Every benchmark module exposes `run(quick: bool) -> list[Result]` and can also be run on
its own (`python bench/<name>.py [--quick]`), printing the same table as run_all.py.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BENCH = REPO / "bench"
WORK = BENCH / ".work"  # gitignored cache of generated trees and seed databases
SCRATCH = WORK / "tmp"  # per-run copies; removed when the run ends
VENV_PYTHON = REPO / ".venv" / "bin" / "python"
VPO = REPO / ".venv" / "bin" / "vpo"
AGE_SECONDS = 3600  # trees are aged this far back so the scan's racy-mtime rule never applies


# ------------------------------------------------------------------------------ statistics


@dataclass
class Stats:
    samples: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def min(self) -> float:
        return min(self.samples)

    @property
    def max(self) -> float:
        return max(self.samples)

    def map(self, fn: Callable[[float], float]) -> Stats:
        """E.g. seconds -> files/s (min and max swap, which the properties handle)."""
        return Stats([fn(s) for s in self.samples])


def log(message: str) -> None:
    """A progress line on stderr (stdout holds the figures)."""
    print(f"  .. {message}", file=sys.stderr, flush=True)


def interleave(
    subjects: dict[str, Callable[[], float]], repeat: int, warmup: int = 0, rotate: bool = False
) -> dict[str, Stats]:
    """Run each subject `repeat` times in round-robin order (A B C A B C ...), so that slow
    phases of a noisy machine hit every subject alike. Each callable returns seconds.
    With `rotate`, round r starts with the r-th subject (A B C, B C A, C A B, ...), so no
    subject always runs first or right after the same one. Samples stay in round order."""
    for _ in range(warmup):
        for fn in subjects.values():
            fn()
    names = list(subjects)
    out: dict[str, list[float]] = {name: [] for name in subjects}
    for r in range(repeat):
        order = names[r % len(names) :] + names[: r % len(names)] if rotate else names
        for name in order:
            out[name].append(subjects[name]())
    return {name: Stats(samples) for name, samples in out.items()}


def timed(fn: Callable[[], object]) -> Callable[[], float]:
    """Wrap a callable so that it returns its own wall time."""

    def run() -> float:
        t0 = time.perf_counter()
        fn()
        return time.perf_counter() - t0

    return run


# ------------------------------------------------------------------------------ processes


@dataclass
class ProcResult:
    seconds: float
    maxrss_mb: float  # peak RSS of the child (and of any grandchild it waited for)
    cpu_seconds: float  # user + system CPU of the child (and of the grandchildren it waited for)
    returncode: int
    stdout: bytes
    stderr: bytes


def run_proc(
    argv: Sequence[str | os.PathLike[str]],
    *,
    env: dict[str, str] | None = None,
    capture: bool = False,
    ok_codes: Sequence[int] = (0,),
    discard_stderr: bool = False,
) -> ProcResult:
    """Wall time of one process from spawn to exit, and its peak RSS (wait4's rusage,
    which covers this child only: other benchmarks' children do not leak into it).
    stderr is kept (for the error message) unless `discard_stderr`, which sends it to
    /dev/null, as a user who silences the logs would."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            [os.fspath(a) for a in argv],
            env=env,
            stdout=out if capture else subprocess.DEVNULL,
            stderr=subprocess.DEVNULL if discard_stderr else err,
        )
        # Reap it ourselves (not proc.wait) to get this child's own rusage.
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if proc.returncode not in ok_codes:
        raise RuntimeError(
            f"{' '.join(str(a) for a in argv)} exited {proc.returncode}:\n"
            + (stderr.decode(errors="replace")[-2000:] or "(stderr discarded)")
        )
    return ProcResult(
        seconds, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime, proc.returncode, stdout, stderr
    )


def vpo_env(home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["VPO_HOME"] = str(home)
    env.pop("VPO_PROFILE", None)
    env["NO_COLOR"] = "1"
    return env


@contextlib.contextmanager
def vpo_home(seed: Path | None = None) -> Iterator[Path]:
    """A throwaway VPO_HOME (optionally holding a copy of a seed library.db), always removed."""
    SCRATCH.mkdir(parents=True, exist_ok=True)
    home = Path(tempfile.mkdtemp(prefix="home-", dir=SCRATCH))
    try:
        if seed is not None:
            for suffix in ("", "-wal", "-shm"):
                src = Path(str(seed) + suffix)
                if src.exists():
                    shutil.copy2(src, home / ("library.db" + suffix))
        yield home
    finally:
        shutil.rmtree(home, ignore_errors=True)


@contextlib.contextmanager
def scratch_dir(prefix: str) -> Iterator[Path]:
    SCRATCH.mkdir(parents=True, exist_ok=True)
    path = Path(tempfile.mkdtemp(prefix=prefix, dir=SCRATCH))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def require_venv() -> None:
    """Probe workers are spawned with sys.executable: run the benchmarks with the dev venv.

    VPO is measured as installed: its modules' bytecode is compiled once here (pip does
    that on install) and PYTHONDONTWRITEBYTECODE is dropped, or every timed command would
    pay ~50 ms of compiling VPO's sources.
    """
    if not VPO.exists():
        sys.exit(f"{VPO} not found: run `make install` first")
    if Path(sys.prefix).resolve() != (REPO / ".venv").resolve():
        os.execv(VENV_PYTHON, [str(VENV_PYTHON), *sys.argv])
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    sys.dont_write_bytecode = False
    subprocess.run(
        [str(VENV_PYTHON), "-m", "compileall", "-q", str(REPO / "python" / "vpo")],
        check=True,
        stdout=subprocess.DEVNULL,
    )


# ------------------------------------------------------------------------------ results


@dataclass
class Result:
    name: str
    stats: Stats
    unit: str  # "s", "files/s", "MB"
    target: str = ""
    passed: bool | None = None  # None: informational
    baseline_name: str = ""
    baseline: Stats | None = None
    ratio: float | None = None  # as the target defines it (see `ratio_label`)
    ratio_label: str = ""
    notes: list[str] = field(default_factory=list)


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit == "s":
        return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"
    if unit == "files/s":
        return f"{value:,.0f}/s"
    if unit == "MB":
        return f"{value:.0f} MB"
    return f"{value:.3g} {unit}"


def print_table(results: Sequence[Result], file=None) -> None:  # type: ignore[no-untyped-def]
    file = file or sys.stdout
    head = ("benchmark", "median", "min", "max", "baseline (median)", "ratio", "target", "result")
    rows = []
    for r in results:
        base = (
            f"{r.baseline_name} {_fmt(r.baseline.median, r.unit)}" if r.baseline else (r.baseline_name or "-")
        )
        ratio = "-" if r.ratio is None else f"{r.ratio:.3g}" + (f" {r.ratio_label}" if r.ratio_label else "")
        verdict = "info" if r.passed is None else ("PASS" if r.passed else "FAIL")
        rows.append(
            (
                r.name,
                _fmt(r.stats.median, r.unit),
                _fmt(r.stats.min, r.unit),
                _fmt(r.stats.max, r.unit),
                base,
                ratio,
                r.target or "-",
                verdict,
            )
        )
    widths = [max(len(str(x)) for x in col) for col in zip(head, *rows)]
    line = "  ".join(h.ljust(w) for h, w in zip(head, widths))
    print(line, file=file)
    print("  ".join("-" * w for w in widths), file=file)
    for row in rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths)).rstrip(), file=file)
    notes = [(r.name, n) for r in results for n in r.notes]
    if notes:
        print(file=file)
        for name, note in notes:
            print(f"* {name}: {note}", file=file)


def main_for(run: Callable[[bool], list[Result]], description: str) -> None:
    """The `__main__` of a benchmark module: parse --quick, run, print the table."""
    require_venv()
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help="smaller trees, fewer repetitions")
    args = parser.parse_args()
    results = run(args.quick)
    print()
    print_table(results)
    sys.exit(0 if all(r.passed is not False for r in results) else 1)
