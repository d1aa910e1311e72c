"""Issue 14: a flags-only `vpo apply` costs the same on a 4 GB file as on a 50 MB one, and
keeping originals costs next to no disk.

Files (under bench/.work/, real bytes: no sparse files, no hard links): the ~30 MB
flags-only clip of apply_speed.py (720p h264 + two English AAC tracks, the second one
default) joined with itself by `mkvmerge -o big.mkv a.mkv + a.mkv + ...` into ~50 MB,
~500 MB and ~4 GB Matroska files (the 4 GB one is deleted at the end). The policy makes
the first audio track default and clears the second: flags only, mkvpropedit in place
(checked with `--dry-run --json`, and "with mkvpropedit" in each timed apply's log).

(a) Per size, interleaved rounds, each preceded (untimed) by putting the flags back with a
    bare mkvpropedit, `vpo scan FILE` (so the catalogue knows the file again) and `sync`
    (apply fsyncs the file: the set-up's write-back must not land in it):
    - subject: `vpo apply --policy P FILE` (originals kept: the default; the journal it
      keeps is reported, from the JSON's kept_bytes);
    - baseline: `vpo inspect FILE` + a bare `mkvpropedit FILE --edit track:a1 --set
      flag-default=1 --edit track:a2 --set flag-default=0` (then its flags put back).
    Targets: apply(4 GB) / apply(50 MB) <= 1.5 (time does not grow with size), and
    apply - (inspect + mkvpropedit) <= 0.3 s on every size.
(b) Disk: 20 files of ~30 MB (apply_speed's tree, copied): the disk the directory and
    VPO_HOME/journal take (st_blocks) before and after `vpo apply DIR` with originals
    kept. Target: < 1 % of the files' total size added.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from apply_speed import POLICY, flags_tree
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

SIZES = {"50 MB": 2, "500 MB": 17, "4 GB": 136}  # copies of the ~30 MB clip joined
QUICK_SIZES = {"50 MB": 2, "500 MB": 17}
EDIT = ["--edit", "track:a1", "--set", "flag-default=1", "--edit", "track:a2", "--set", "flag-default=0"]
RESET = ["--edit", "track:a1", "--set", "flag-default=0", "--edit", "track:a2", "--set", "flag-default=1"]


def joined(copies: int) -> Path:
    """A Matroska file of `copies` x the clip, appended by mkvmerge. Cached."""
    dest = WORK / f"apply-scale-{copies}" / "film.mkv"
    if dest.exists():
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    clip = sorted(flags_tree(1, True).iterdir())[0]
    log(f"joining {copies} copies of {clip.name} into {dest.name}")
    args: list[str] = ["mkvmerge", "--quiet", "-o", str(dest) + ".part", str(clip)]
    for _ in range(copies - 1):
        args += ["+", str(clip)]
    subprocess.run(args, check=True)
    os.replace(str(dest) + ".part", dest)
    os.sync()  # its write-back must not land in a timed apply's fsync
    return dest


def _mkvpropedit(path: Path, edit: list[str]) -> float:
    return run_proc(["mkvpropedit", "--quiet", str(path), *edit]).seconds


def _rescan(path: Path, home: Path) -> None:
    run_proc([VPO, "scan", "--json", path.parent], env=vpo_env(home), capture=True)


def _reset(path: Path, home: Path) -> None:
    """The file violates the policy again, and the catalogue knows it as it is."""
    _mkvpropedit(path, RESET)
    _rescan(path, home)
    os.sync()  # the untimed writes are on disk before the next timed command


def measure_size(label: str, copies: int, repeat: int, policy: Path) -> tuple[Stats, Stats, int]:
    path = joined(copies)  # edited in place and put back each round
    journal_sizes: list[int] = []
    with vpo_home() as home:
        _reset(path, home)
        dry = json.loads(
            run_proc(
                [VPO, "apply", "--policy", policy, "--dry-run", "--json", path],
                env=vpo_env(home),
                capture=True,
            ).stdout
        )
        actions = {a["action"] for f in dry["files"] for a in f["actions"]}
        if actions != {"set_default", "clear_default"} or dry["files"][0]["note"]:
            raise RuntimeError(f"{label}: not a flags-only in-place plan: {dry}")
        log(f"apply_scale: {label} ({path.stat().st_size / 2**20:.0f} MiB) x{repeat}")

        def apply() -> float:
            res = run_proc(
                [VPO, "-v", "apply", "--policy", policy, "--json", path], env=vpo_env(home), capture=True
            )
            doc = json.loads(res.stdout)
            if doc["counts"]["changed"] != 1 or b"with mkvpropedit" not in res.stderr:
                raise RuntimeError(f"apply of {label}: {doc} {res.stderr[-800:]!r}")
            journal_sizes.append(doc["kept_bytes"])
            _reset(path, home)
            return res.seconds

        def bare() -> float:
            seconds = run_proc([VPO, "inspect", path], env=vpo_env(home)).seconds
            seconds += _mkvpropedit(path, EDIT)
            _reset(path, home)
            return seconds

        stats = interleave({"apply": apply, "bare": bare}, repeat, warmup=1)
    return stats["apply"], stats["bare"], max(journal_sizes)


def _disk(*folders: Path) -> int:
    total = 0
    for folder in folders:
        for root, _dirs, files in os.walk(folder):
            total += sum(os.lstat(os.path.join(root, f)).st_blocks * 512 for f in files)
    return total


def measure_disk(policy: Path, work: Path) -> Result:
    source = flags_tree(20, True)
    tree = work / "disk"
    subprocess.run(["cp", "-a", str(source), str(tree)], check=True)
    size = sum(p.stat().st_size for p in tree.iterdir())
    with vpo_home() as home:
        _rescan(next(tree.iterdir()), home)
        before = _disk(tree, home / "journal")
        res = run_proc([VPO, "apply", "--policy", policy, "--json", tree], env=vpo_env(home), capture=True)
        doc = json.loads(res.stdout)
        if doc["counts"]["changed"] != 20:
            raise RuntimeError(f"disk: {doc['counts']}")
        added = _disk(tree, home / "journal") - before
    shutil.rmtree(tree)
    share = added / size
    log(f"apply_scale: disk added {added:,} bytes for {size:,} bytes of files ({share:.4%})")
    return Result(
        name="disk added by apply with originals kept [20 x ~30 MB mkv]",
        stats=Stats([added / 2**20]),
        unit="MB",
        target="< 1 % of the files",
        passed=share < 0.01,
        baseline_name="the files",
        baseline=Stats([size / 2**20]),
        ratio=share * 100,
        ratio_label="% of the files",
        notes=[f"kept_bytes reported by apply: {doc['kept_bytes']:,}"],
    )


def run(quick: bool) -> list[Result]:
    sizes = QUICK_SIZES if quick else SIZES
    repeat = 3 if quick else 7
    results: list[Result] = []
    with scratch_dir("apply-scale-") as work:
        policy = work / "flags-only.yaml"
        policy.write_text(POLICY)
        measured = {}
        for label, copies in sizes.items():
            try:
                measured[label] = measure_size(label, copies, repeat, policy)
            finally:
                if copies >= 100:  # the 4 GB file is not kept
                    shutil.rmtree(WORK / f"apply-scale-{copies}", ignore_errors=True)
        smallest = measured["50 MB"][0]
        for label, (apply, bare, journal) in measured.items():
            gap = apply.median - bare.median
            results.append(
                Result(
                    name=f"apply flags-only, in place [{label} mkv]",
                    stats=apply,
                    unit="s",
                    target="<= inspect + mkvpropedit + 0.3 s",
                    passed=gap <= 0.3,
                    baseline_name="vpo inspect + mkvpropedit",
                    baseline=bare,
                    ratio=apply.median / smallest.median,
                    ratio_label="x the 50 MB apply",
                    notes=[f"gap {gap * 1000:.0f} ms; journal {journal:,} bytes"],
                )
            )
        if "4 GB" in measured:
            ratio = measured["4 GB"][0].median / smallest.median
            results.append(
                Result(
                    name="apply time, 4 GB vs 50 MB",
                    stats=measured["4 GB"][0],
                    unit="s",
                    target="<= 1.5x",
                    passed=ratio <= 1.5,
                    baseline_name="50 MB apply",
                    baseline=smallest,
                    ratio=ratio,
                    ratio_label="x",
                )
            )
        results.append(measure_disk(policy, work))
    return results


if __name__ == "__main__":
    main_for(run, __doc__.splitlines()[0])
