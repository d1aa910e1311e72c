"""Issue 2: probing with VPO's PyAV adapter vs one `ffprobe` process per file.

(a) Raw adapter throughput on the same 2 cores: `vpo.media.probe_pyav.probe` mapped over the
    files by a process pool of 2 (workers started and warmed before timing, as a scan's
    probe workers are long-lived), vs `ffprobe -v error -print_format json -show_format
    -show_streams FILE` run per file, 2 at a time, its JSON parsed.
(b) End to end: `vpo scan --full --prober pyav` vs `--prober ffprobe` on the same tree, each
    on a fresh VPO_HOME, timed as CLI wall time (interpreter start included).

Target: PyAV >= 10x ffprobe in files/s.
"""

from __future__ import annotations

import concurrent.futures
import json
import multiprocessing
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from common import (
    VPO,
    Result,
    interleave,
    log,
    main_for,
    run_proc,
    timed,
    vpo_env,
    vpo_home,
)
from trees import media_tree, warm_tree

TARGET = 10.0
WORKERS = 2


def _warm(_: object = None) -> int:
    import av  # noqa: F401 - what a probe worker does before its first request

    return os.getpid()


def _pyav_probe(path: bytes) -> int:
    from vpo.media.probe_pyav import probe

    return len(probe(path).tracks)


def _ffprobe(path: bytes) -> int:
    done = subprocess.run(
        ["ffprobe", "-v", "error", "-print_format", "json", "-show_format", "-show_streams", b"file:" + path],
        capture_output=True,
        check=True,
    )
    return len(json.loads(done.stdout)["streams"])


def run(quick: bool) -> list[Result]:
    count = 200 if quick else 1000
    repeat_raw = 2 if quick else 3
    repeat_scan = 1 if quick else 3
    root = media_tree(count)
    warm_tree(root)
    paths = sorted(os.fsencode(p) for p in root.rglob("*") if p.is_file())
    assert len(paths) == count, (len(paths), count)

    # (a) raw adapters
    log(f"probe (a): PyAV process pool vs ffprobe per file, {count} files x{repeat_raw}")
    ctx = multiprocessing.get_context("forkserver")
    with (
        concurrent.futures.ProcessPoolExecutor(WORKERS, mp_context=ctx) as pyav_pool,
        concurrent.futures.ThreadPoolExecutor(WORKERS) as ff_pool,
    ):
        # Start both workers and load libav in each before the clock starts.
        list(pyav_pool.map(_warm, range(WORKERS * 4)))
        list(pyav_pool.map(_pyav_probe, paths[: WORKERS * 4]))
        tracks: dict[str, int] = {}

        def pyav() -> None:
            tracks["pyav"] = sum(pyav_pool.map(_pyav_probe, paths, chunksize=8))

        def ffprobe() -> None:
            tracks["ffprobe"] = sum(ff_pool.map(_ffprobe, paths))

        raw = interleave({"pyav": timed(pyav), "ffprobe": timed(ffprobe)}, repeat_raw)
    notes = []
    if tracks["pyav"] != tracks["ffprobe"]:
        notes.append(f"track counts differ: PyAV {tracks['pyav']}, ffprobe {tracks['ffprobe']}")

    # (b) end to end
    log(f"probe (b): vpo scan --full --prober pyav|ffprobe, {count} files x{repeat_scan}")

    def scan(prober: str):  # type: ignore[no-untyped-def]
        def go() -> float:
            with vpo_home() as home:
                res = run_proc(
                    [VPO, "scan", "--full", "--prober", prober, "--json", root],
                    env=vpo_env(home),
                    capture=True,
                )
            counts = json.loads(res.stdout)["counts"]
            if counts["added"] != count or counts["errors"]:
                raise RuntimeError(f"scan --prober {prober}: unexpected counts {counts}")
            return res.seconds

        return go

    e2e = interleave({"pyav": scan("pyav"), "ffprobe": scan("ffprobe")}, repeat_scan)

    def rate(stats):  # type: ignore[no-untyped-def]
        return stats.map(lambda s: count / s)

    results = []
    for label, pair in (("probe raw: PyAV pool(2)", raw), ("probe e2e: vpo scan --full", e2e)):
        py, ff = rate(pair["pyav"]), rate(pair["ffprobe"])
        ratio = py.median / ff.median
        results.append(
            Result(
                name=f"{label} [{count} files]",
                stats=py,
                unit="files/s",
                baseline_name="ffprobe" if "raw" in label else "--prober ffprobe",
                baseline=ff,
                ratio=ratio,
                ratio_label="x",
                target=f">= {TARGET:g}x",
                passed=ratio >= TARGET,
                notes=notes if "raw" in label else [],
            )
        )
    return results


if __name__ == "__main__":
    main_for(run, __doc__.splitlines()[0])
