"""Issue 5: what logging costs a scan.

A full rescan (`vpo scan --full DIR`: every file probed again) of 1,000 real media files
(make_bulk_library, aged one hour), catalogued once into a throwaway VPO_HOME that every
run reuses, with four logging set-ups, run interleaved (A B C D A B C D ...) after an
untimed round that also checks each set-up's output:

- baseline: `vpo --log-level error scan --full DIR` (nothing is logged), stderr to /dev/null;
- info, JSON file: `vpo --log-level info --log-json --log-file F scan --full DIR`
  (F is deleted before each run, so it never rotates);
- info, stderr: `vpo --log-level info scan --full DIR`, stderr to /dev/null;
- debug, JSON file (info row, no target): as above at `--log-level debug`, which logs one
  line per probe.

The difference is small against a noisy machine (2 cores shared with other processes; the
same scan varies from 2 to 5 s between runs), so: 11 rounds (--quick: 7, on the same 1,000
files, since part of the overhead is a fixed cost per process that a smaller tree would
inflate), the order rotated each round (A B C D, B C D A, ...), and the overhead judged
*paired*: the median over rounds of (set-up / baseline of the same round) - 1, on CLI wall
time; target < 5 % for both info rows. The notes give the ratio of the medians, which a
slow phase hitting one side's runs can swing by 10 %, and the overhead on CPU time (user +
system of vpo and the probe workers it waited for).
"""

from __future__ import annotations

import json
import os
import statistics
import sys
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from common import (
    VPO,
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
from trees import media_tree, warm_tree

TARGET = 0.05  # info logging may cost at most 5 % of the scan


def _lines(path: Path, level: str) -> int:
    """Check a JSON log file: every line one JSON object, the scan's completion logged,
    and debug lines exactly when `level` is debug; return the number of lines."""
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    if not any(r["message"].startswith("scan completed") for r in records):
        raise RuntimeError(f"{path}: no 'scan completed' line: {records[:3]}")
    if any(r["level"] == "debug" for r in records) != (level == "debug"):
        raise RuntimeError(f"{path}: debug lines {'missing' if level == 'debug' else 'at ' + level}")
    return len(records)


def run(quick: bool) -> list[Result]:
    # --quick keeps the 1,000 files and runs fewer rounds: part of the overhead is a fixed
    # cost per process, so a smaller tree would inflate the ratio the target is defined on.
    count = 1000
    repeat = 7 if quick else 11
    tree = media_tree(count)
    warm_tree(tree)
    log(f"logging_overhead: vpo scan --full, {count} files, 4 logging set-ups x{repeat}")
    with vpo_home() as home, scratch_dir("logs-") as logs:
        env = vpo_env(home)
        seed = run_proc([VPO, "--log-level", "error", "scan", "--json", tree], env=env, capture=True)
        counts = json.loads(seed.stdout)["counts"]
        if counts["added"] != count or counts["errors"]:
            raise RuntimeError(f"catalogue of {tree}: unexpected counts {counts}")
        log_file = logs / "vpo.log"
        setups: dict[str, tuple[list[str], bool]] = {  # name -> (global options, discard stderr)
            "error": (["--log-level", "error"], True),
            "info, JSON file": (["--log-level", "info", "--log-json", "--log-file", str(log_file)], False),
            "info, stderr": (["--log-level", "info"], True),
            "debug, JSON file": (["--log-level", "debug", "--log-json", "--log-file", str(log_file)], False),
        }
        lines: dict[str, int] = {}
        cpu: dict[str, list[float]] = {name: [] for name in setups}

        # Untimed round: each set-up works, scans every file and logs what it should.
        for name, (opts, _) in setups.items():
            log_file.unlink(missing_ok=True)
            res = run_proc([VPO, *opts, "scan", "--full", "--json", tree], env=env, capture=True)
            got = json.loads(res.stdout)["counts"]
            if got["scanned"] != count or got["errors"]:
                raise RuntimeError(f"{name}: scan --full did not probe every file: {got}")
            if "file" in name:
                lines[name] = _lines(log_file, name.split(",")[0])
            elif name == "info, stderr":
                if b"scan completed" not in res.stderr:
                    raise RuntimeError(f"{name}: nothing logged on stderr: {res.stderr[:500]!r}")
                lines[name] = len(res.stderr.splitlines())
            elif res.stderr.strip():
                raise RuntimeError(f"{name}: logged at --log-level error: {res.stderr[:500]!r}")

        def subject(name: str) -> Callable[[], float]:
            opts, discard = setups[name]

            def go() -> float:
                log_file.unlink(missing_ok=True)
                res = run_proc([VPO, *opts, "scan", "--full", tree], env=env, discard_stderr=discard)
                cpu[name].append(res.cpu_seconds)
                return res.seconds

            return go

        stats = interleave({name: subject(name) for name in setups}, repeat, rotate=True)

    base = stats["error"]
    base_cpu = Stats(cpu["error"])
    results = []
    for name, st in stats.items():
        if name == "error":
            continue
        # Judged on the paired ratio: each round's set-up against the baseline of the same
        # round (seconds apart), so a slow phase of the machine cancels out; the ratio of the
        # medians (runs up to a minute apart) is in the notes.
        paired = statistics.median(a / b - 1 for a, b in zip(st.samples, base.samples))
        of_medians = st.median / base.median - 1
        cpu_overhead = Stats(cpu[name]).median / base_cpu.median - 1
        has_target = name.startswith("info")
        results.append(
            Result(
                name=f"scan --full, {name} [{count} files]",
                stats=st,
                unit="s",
                baseline_name="--log-level error",
                baseline=base,
                ratio=paired * 100,
                ratio_label="% overhead (paired)",
                target=f"< {TARGET:.0%}" if has_target else "",
                passed=paired < TARGET if has_target else None,
                notes=[
                    (
                        f"ratio of medians {of_medians:+.1%}; CPU time {Stats(cpu[name]).median:.2f} s "
                        f"vs {base_cpu.median:.2f} s ({cpu_overhead:+.1%}); "
                        f"{lines[name]} log lines per scan"
                    )
                ],
            )
        )
    return results


if __name__ == "__main__":
    main_for(run, __doc__.splitlines()[0])
