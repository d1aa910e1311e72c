"""Issue 16: the cost of the integrity checks.

(a) The quick check on a first scan. `vpo scan DIR` of 1,000 film-like files (hard links
    of one 20 s 1080p H.264 Matroska clip with two audio tracks and subtitles,
    `common.clip_tree`, aged) into a fresh VPO_HOME, with the quick check (the default)
    vs without it (`scan.quick_check: false` in that VPO_HOME's config.yaml), interleaved.
    Ratio with / without; target <= 1.25. `--quick`: 200 files.
(b) `vpo check --thorough` with N workers (N = CPU cores) vs one
    `ffmpeg -v error -i F -f null -` per file run one at a time, on the same 8 film-like
    files (hard links of the same clip; catalogued first, untimed; `--recheck` so every
    round decodes them all). Ratio: baseline seconds / vpo seconds (throughput ratio);
    target >= 0.9 x N. Note that the baseline ffmpeg decodes with its default frame
    threads (all cores) and only one audio track, while each of VPO's decoders runs
    single-threaded (`-threads 1`) and decodes every audio and video stream. The same
    sequential loop with `-threads 1 -map 0:v? -map 0:a?` (the exact work VPO does per
    file) is reported as info.
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
    clip_tree,
    interleave,
    log,
    main_for,
    run_proc,
    vpo_env,
    vpo_home,
    warm_tree,
)

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


def _ffmpeg_loop(files: list[Path], extra: list[str]) -> float:
    t0 = time.perf_counter()
    for f in files:
        subprocess.run(
            ["ffmpeg", "-nostdin", "-v", "error", *extra[:2], "-i", str(f), *extra[2:], "-f", "null", "-"],
            check=True,
            stdin=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,  # ffmpeg 5.1's null muxer complains about healthy files
        )
    return time.perf_counter() - t0


def thorough(quick: bool) -> list[Result]:
    count = 4 if quick else 8
    repeat = 2 if quick else 3
    workers = len(os.sched_getaffinity(0))
    log(
        f"integrity (b): vpo check --thorough --workers {workers} vs ffmpeg one at a time, {count} files x{repeat}"
    )
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
                "ffmpeg": lambda: _ffmpeg_loop(files, []),
                "ffmpeg-same-work": lambda: _ffmpeg_loop(
                    files, ["-threads", "1", "-map", "0:v?", "-map", "0:a?"]
                ),
                "vpo": vpo_check,
            },
            repeat,
            rotate=True,
        )
    base, same, ours = stats["ffmpeg"], stats["ffmpeg-same-work"], stats["vpo"]
    log(f"(b) ffmpeg: {base.samples}, same work: {same.samples}, vpo: {ours.samples}")
    ratio = base.median / ours.median
    target = THOROUGH_FACTOR * workers
    per_file = Stats([s / count for s in ours.samples])
    return [
        Result(
            name=f"vpo check --thorough --workers {workers} [{count} 1080p files]",
            stats=ours,
            unit="s",
            baseline_name="ffmpeg -v error -i F -f null - (one at a time)",
            baseline=base,
            ratio=ratio,
            ratio_label="x throughput",
            target=f">= {target:.1f}",
            passed=ratio >= target,
            notes=[
                f"same work one at a time (-threads 1, every audio/video stream): median "
                f"{same.median:.2f}s, ratio {same.median / ours.median:.2f}x",
                f"vpo per file: {per_file.median:.2f}s",
            ],
        )
    ]


def run(quick: bool) -> list[Result]:
    if shutil.which("ffmpeg") is None:
        raise SystemExit("ffmpeg not found")
    return first_scan(quick) + thorough(quick)


if __name__ == "__main__":
    main_for(run, __doc__.splitlines()[0])
