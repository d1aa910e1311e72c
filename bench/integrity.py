"""Issue 16: the cost of the integrity checks.

(a) The quick check on a first scan. `vpo scan DIR` of 1,000 film-like files (hard links
    of one 20 s 1080p H.264 Matroska clip with two audio tracks and subtitles,
    `common.clip_tree`, aged) into a fresh VPO_HOME, with the quick check (the default)
    vs without it (`scan.quick_check: false` in that VPO_HOME's config.yaml), interleaved.
    Ratio with / without; target <= 1.25. `--quick`: 200 files.
(b) `vpo check --thorough` with N workers (N = CPU cores) vs one
    `ffmpeg -v error -i F -f null -` per file run one at a time, on the same 8 film-like
    files (hard links of the same clip; catalogued first, untimed; `--recheck` so every
    round decodes them all), 5 interleaved rounds. Ratio: baseline seconds / vpo seconds
    (throughput ratio); target >= 0.9 x N. The baseline ffmpeg decodes with its default
    frame threads (all cores) and only one audio track, while each of VPO's decoders runs
    single-threaded (`-threads 1`) and decodes every audio and video stream: the row
    says how many cores the baseline keeps busy (its CPU seconds / wall seconds), which
    bounds what any decoder of the same streams can gain on it. A second row compares with
    the same command single-threaded (`-threads 1`: one core, what "N times the throughput
    on N cores" measures); the sequential loop with `-threads 1 -map 0:v? -map 0:a?` (the
    exact work VPO does per file) and that work by N bare ffmpeg processes side by side (the
    most N decoders do on this machine, contention for memory and caches included) are
    reported as info.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
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
    vpo_env,
    vpo_home,
)
from trees import clip_tree, warm_tree

QUICK_TARGET = 1.25
THOROUGH_FACTOR = 0.9


def _scan(tree: Path, *, quick_check: bool, count: int) -> float:
    with vpo_home() as home:
        if not quick_check:
            (home / "config.yaml").write_text("scan:\n  quick_check: false\n")
        res = run_proc([VPO, "scan", "--json", tree], env=vpo_env(home), capture=True)
        counts = json.loads(res.stdout)["counts"]
        if counts["added"] != count or counts["errors"]:
            raise RuntimeError(f"unexpected counts: {counts}")
        return res.seconds


def first_scan(quick: bool) -> list[Result]:
    count = 200 if quick else 1000
    repeat = 2 if quick else 3
    log(f"integrity (a): first scan of {count} 1080p files, quick check on vs off, x{repeat}")
    with clip_tree(count, "integrity-scan-") as tree:
        warm_tree(tree)
        stats = interleave(
            {
                "off": lambda: _scan(tree, quick_check=False, count=count),
                "on": lambda: _scan(tree, quick_check=True, count=count),
            },
            repeat,
            rotate=True,
        )
    on, off = stats["on"], stats["off"]
    ratio = on.median / off.median
    log(f"(a) with: {on.samples}, without: {off.samples}, ratio of medians {ratio:.3f}")
    return [
        Result(
            name=f"first scan with the quick check [{count} 1080p files]",
            stats=on,
            unit="s",
            baseline_name="quick_check: false",
            baseline=off,
            ratio=ratio,
            ratio_label="of without",
            target=f"<= {QUICK_TARGET:g}",
            passed=ratio <= QUICK_TARGET,
        )
    ]


def _ffmpeg_loop(files: list[Path], extra: list[str], busy: list[float]) -> float:
    """Seconds to decode `files` one at a time; appends to `busy` how many cores the
    decoders kept busy meanwhile (their CPU seconds / wall seconds)."""
    before = os.times()
    t0 = time.perf_counter()
    for f in files:
        subprocess.run(
            ["ffmpeg", "-nostdin", "-v", "error", *extra[:2], "-i", str(f), *extra[2:], "-f", "null", "-"],
            check=True,
            stdin=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,  # ffmpeg 5.1's null muxer complains about healthy files
        )
    seconds = time.perf_counter() - t0
    after = os.times()
    busy.append(
        (after.children_user - before.children_user + after.children_system - before.children_system)
        / seconds
    )
    return seconds


def _ffmpeg_side_by_side(files: list[Path], extra: list[str], workers: int) -> float:
    """Seconds to decode `files` with `workers` bare ffmpeg processes at once (as
    `xargs -P`): what N decoders can do on this machine with no VPO around them."""
    t0 = time.perf_counter()
    queue = list(files)
    running: list[subprocess.Popen[bytes]] = []
    while queue or running:
        while queue and len(running) < workers:
            f = queue.pop(0)
            argv = [
                "ffmpeg",
                "-nostdin",
                "-v",
                "error",
                *extra[:2],
                "-i",
                str(f),
                *extra[2:],
                "-f",
                "null",
                "-",
            ]
            running.append(subprocess.Popen(argv, stdin=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        running[0].wait()
        if running[0].returncode != 0:
            raise RuntimeError("ffmpeg failed")
        running = [p for p in running if p.poll() is None]
    return time.perf_counter() - t0


def thorough(quick: bool) -> list[Result]:
    count = 4 if quick else 8
    repeat = 2 if quick else 5
    workers = len(os.sched_getaffinity(0))
    log(
        f"integrity (b): vpo check --thorough --workers {workers} vs ffmpeg one at a time, {count} files x{repeat}"
    )
    busy: dict[str, list[float]] = {"ffmpeg": [], "single": [], "same": []}
    with clip_tree(count, "integrity-decode-") as tree, vpo_home() as home:
        files = sorted(tree.rglob("*.mkv"))
        run_proc([VPO, "scan", tree], env=vpo_env(home))

        def vpo_check() -> float:
            res = run_proc(
                [VPO, "check", "--thorough", "--recheck", "--workers", str(workers), "--json", tree],
                env=vpo_env(home),
                capture=True,
            )
            counts = json.loads(res.stdout)["counts"]
            if counts["passed"] != count:
                raise RuntimeError(f"unexpected counts: {counts}")
            return res.seconds

        stats = interleave(
            {
                "ffmpeg": lambda: _ffmpeg_loop(files, [], busy["ffmpeg"]),
                "ffmpeg-single": lambda: _ffmpeg_loop(files, ["-threads", "1"], busy["single"]),
                "ffmpeg-same-work": lambda: _ffmpeg_loop(
                    files, ["-threads", "1", "-map", "0:v?", "-map", "0:a?"], busy["same"]
                ),
                "ffmpeg-side-by-side": lambda: _ffmpeg_side_by_side(
                    files, ["-threads", "1", "-map", "0:v?", "-map", "0:a?"], workers
                ),
                "vpo": vpo_check,
            },
            repeat,
            rotate=True,
        )
    base, single, same, side, ours = (
        stats[k] for k in ("ffmpeg", "ffmpeg-single", "ffmpeg-same-work", "ffmpeg-side-by-side", "vpo")
    )
    log(
        f"(b) ffmpeg: {base.samples}, -threads 1: {single.samples}, same work: {same.samples}, vpo: {ours.samples}"
    )
    target = THOROUGH_FACTOR * workers
    per_file = Stats([s / count for s in ours.samples])
    cores = Stats(busy["ffmpeg"]).median

    def row(name: str, baseline_name: str, baseline: Stats, notes: list[str]) -> Result:
        ratio = baseline.median / ours.median
        return Result(
            name=name,
            stats=ours,
            unit="s",
            baseline_name=baseline_name,
            baseline=baseline,
            ratio=ratio,
            ratio_label="x throughput",
            target=f">= {target:.1f}",
            passed=ratio >= target,
            notes=notes,
        )

    return [
        row(
            f"vpo check --thorough --workers {workers} [{count} 1080p files]",
            "ffmpeg -v error -i F -f null - (one at a time)",
            base,
            [
                f"that baseline keeps {cores:.2f} of the {workers} cores busy (ffmpeg's frame threads), "
                f"so part of what {workers} workers could gain on one core is already taken",
                f"vpo per file: {per_file.median:.2f}s",
            ],
        ),
        row(
            f"the same vs a single-threaded baseline [{count} 1080p files]",
            "ffmpeg -threads 1 -v error -i F -f null - (one at a time)",
            single,
            [
                f"that baseline keeps {Stats(busy['single']).median:.2f} cores busy; VPO's exact work "
                f"(-threads 1, every audio/video stream) one at a time: median {same.median:.2f}s, "
                f"ratio {same.median / ours.median:.2f}x",
                f"the same work by {workers} bare ffmpeg processes side by side (the most {workers} "
                f"decoders do on this machine): median {side.median:.2f}s, ratio to one at a time "
                f"{same.median / side.median:.2f}x; VPO does {side.median / ours.median:.2f} of their throughput",
            ],
        ),
    ]


def run(quick: bool) -> list[Result]:
    if shutil.which("ffmpeg") is None:
        raise SystemExit("ffmpeg not found")
    return first_scan(quick) + thorough(quick)


if __name__ == "__main__":
    main_for(run, __doc__.splitlines()[0])
