"""Issue 6: `vpo apply` of a flags-only plan (mkvpropedit in place) against a full remux.

Trees (cached under bench/.work/): Matroska files with one video track and two English
audio tracks, the *second* audio track flagged default. The policy (written to the scratch
folder) prefers English audio and sets the first audio_main track default with
clear_other_defaults: both tracks are audio_main, the sort is stable, so every plan is
exactly `set_default` track 1 + `clear_default` track 2, no reorder, and apply edits the
flags with mkvpropedit. Checked before timing with `vpo apply --dry-run --json` (every
file planned, only set_default/clear_default actions) and after each timed run (every
file changed, none failed, each logged "with mkvpropedit").

(a) 100 tiny files (64x48, 1 s, ~13 KB: one make_video master, each copy with its own
    bytes). Both sides are dominated by process start-up here: not where in-place editing
    pays off.
(b) 20 files of ~30 MB (1280x720 h264 with noise, 30 s, two 128 kb/s AAC tracks: a 6 s
    clip encoded once, looped with `-c copy`), where a remux has to copy every packet.

Each round, untimed: a pristine copy of the tree (cp -a, aged one hour), a fresh VPO_HOME,
`vpo scan DIR`, `sync` (so the copy's write-back does not land in the timed part); timed:
`vpo apply --policy P DIR --no-keep-backup` (one process for all files; it works one file
at a time). Baseline, interleaved: `ffmpeg -i FILE -map 0 -c copy OUT.mkv` for each
pristine file in turn, one at a time, total wall time. Both are shown per file (total / N),
with the ratio apply / remux; there is no numeric target in the issue, so the rows are
"info". Note that apply does more than edit flags: per file it locks, saves the header
bytes to a journal (fsynced), probes the result to verify it and fsyncs it; the remux
only writes into the page cache. bench/apply_scale.py measures how that scales with size.
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
    WORK,
    Result,
    interleave,
    log,
    main_for,
    run_proc,
    scratch_dir,
    vpo_env,
    vpo_home,
)
from trees import age_tree, test_media, warm_tree

POLICY = """\
# bench/apply_speed.py: the first English audio track default, the others not; no reorder.
schema_version: 1
audio_language_preference: [eng]
default_flags:
  set_first_video_default: true
  set_preferred_audio_default: true
  set_preferred_subtitle_default: false
  clear_other_defaults: true
"""
AUDIO = [("eng", "Stereo", False, 2), ("eng", "Stereo 2", True, 2)]  # second one default
FLAG_ACTIONS = {"set_default", "clear_default"}


def _ffmpeg() -> str:
    return test_media().FFMPEG


def _make_big_master(dest: Path) -> None:
    """~30 MB: a 6 s noisy 720p clip (libx264 ultrafast), looped 5 times with -c copy, plus
    two English AAC tracks, the second default, and the media-id placeholder of tests/media.py."""
    media = test_media()
    clip = dest.with_suffix(".clip.mkv")
    ff = [_ffmpeg(), "-nostdin", "-hide_banner", "-loglevel", "error", "-y"]
    subprocess.run(
        [
            *ff,
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=1280x720:rate=25:duration=6,noise=alls=12:allf=t",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-crf",
            "28",
            "-g",
            "50",
            clip,
        ],
        check=True,
        capture_output=True,
    )
    meta = ["-metadata", f"comment={media._ID_PLACEHOLDER.decode()}", "-disposition:v:0", "default"]
    for i, (lang, title, default, _ch) in enumerate(AUDIO):
        meta += [
            f"-metadata:s:a:{i}",
            f"language={lang}",
            f"-metadata:s:a:{i}",
            f"title={title}",
            f"-disposition:a:{i}",
            "default" if default else "0",
        ]
    subprocess.run(
        [
            *ff,
            "-stream_loop",
            "4",
            "-i",
            clip,
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=440:sample_rate=48000:duration=30",
            "-map",
            "0:v",
            "-map",
            "1:a",
            "-map",
            "1:a",
            "-c:v",
            "copy",
            "-c:a",
            "aac",
            "-b:a",
            "128k",
            "-ac",
            "2",
            "-t",
            "30",
            *meta,
            "-default_mode",
            "passthrough",
            "-f",
            "matroska",
            dest,
        ],
        check=True,
        capture_output=True,
    )
    clip.unlink()


def flags_tree(count: int, big: bool) -> Path:
    """`count` Matroska files that violate POLICY's default flags only. Cached by size."""
    name = f"apply-flags{'-big' if big else ''}-{count}"
    root, done = WORK / name, WORK / f"{name}.ok"
    if done.exists():
        return root
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    log(f"generating {count} {'~30 MB' if big else 'tiny'} flags-only test files in {root}")
    media = test_media()
    master = root.parent / f"{name}.master.mkv"
    if big:
        _make_big_master(master)
    else:
        media.make_video(master, audio=AUDIO)
    data = master.read_bytes()
    master.unlink()
    for i in range(count):
        media.copy_unique(master, root / f"flags-{i:04d}.mkv", 20_000_000 + i, data=data)
    age_tree(root)
    done.touch()
    return root


def _scan(tree: Path, home: Path, count: int) -> None:
    counts = json.loads(run_proc([VPO, "scan", "--json", tree], env=vpo_env(home), capture=True).stdout)[
        "counts"
    ]
    if counts["added"] != count or counts["errors"]:
        raise RuntimeError(f"scan of {tree}: unexpected counts {counts}")


def _check_plans(tree: Path, policy: Path, count: int) -> None:
    """Every file gets a flags-only plan (so apply uses mkvpropedit in place)."""
    with vpo_home() as home:
        _scan(tree, home, count)
        out = run_proc(
            [VPO, "apply", "--policy", policy, "--dry-run", "--json", tree], env=vpo_env(home), capture=True
        ).stdout
    files = json.loads(out)["files"]
    planned = [f for f in files if f["status"] == "planned"]
    actions = {a["action"] for f in files for a in f["actions"]}
    if len(planned) != count or actions != FLAG_ACTIONS:
        raise RuntimeError(
            f"expected {count} flags-only plans, got {len(planned)} planned, actions "
            f"{sorted(actions)}: {json.dumps(files[:1])}"
        )


def measure(count: int, big: bool, repeat: int, policy: Path, work: Path) -> Result:
    source = flags_tree(count, big)
    size_mb = sum(p.stat().st_size for p in source.iterdir()) / count / 2**20
    label = f"{count} x {size_mb:.0f} MB mkv" if big else f"{count} tiny mkv"
    _check_plans(source, policy, count)
    warm_tree(source)
    files = sorted(source.iterdir())
    log(f"apply_speed: vpo apply (flags only) vs ffmpeg -c copy, {label} x{repeat}")

    def apply() -> float:
        tree = work / "tree"
        shutil.rmtree(tree, ignore_errors=True)
        subprocess.run(["cp", "-a", str(source), str(tree)], check=True)
        age_tree(tree)
        with vpo_home() as home:
            _scan(tree, home, count)
            os.sync()
            res = run_proc(
                [VPO, "-v", "apply", "--policy", policy, "--no-keep-backup", "--json", tree],
                env=vpo_env(home),
                capture=True,
            )
        counts = json.loads(res.stdout)["counts"]
        with_mkvpropedit = res.stderr.count(b"with mkvpropedit")
        if counts["changed"] != count or counts["failed"] or with_mkvpropedit != count:
            raise RuntimeError(
                f"apply: counts {counts}, {with_mkvpropedit} files with mkvpropedit; "
                f"stderr: {res.stderr[-1500:]!r}"
            )
        shutil.rmtree(tree)
        return res.seconds

    def remux() -> float:
        out = work / "remux.mkv"
        t0 = time.perf_counter()
        for f in files:
            run_proc(
                [
                    _ffmpeg(),
                    "-nostdin",
                    "-hide_banner",
                    "-loglevel",
                    "error",
                    "-y",
                    "-i",
                    f,
                    "-map",
                    "0",
                    "-c",
                    "copy",
                    out,
                ]
            )
        seconds = time.perf_counter() - t0
        out.unlink()
        return seconds

    stats = interleave({"apply": apply, "remux": remux}, repeat, warmup=1)
    per_file = {name: st.map(lambda s: s / count) for name, st in stats.items()}
    ratio = per_file["apply"].median / per_file["remux"].median
    return Result(
        name=f"apply flags-only (mkvpropedit), per file [{label}]",
        stats=per_file["apply"],
        unit="s",
        baseline_name="ffmpeg -c copy",
        baseline=per_file["remux"],
        ratio=ratio,
        ratio_label="x remux",
        notes=[
            (
                f"totals (medians): apply {stats['apply'].median:.2f} s, "
                f"remux {stats['remux'].median:.2f} s for {count} files"
            )
        ],
    )


def run(quick: bool) -> list[Result]:
    with scratch_dir("apply-") as work:
        policy = work / "flags-only.yaml"
        policy.write_text(POLICY)
        if quick:
            return [measure(20, False, 2, policy, work), measure(4, True, 2, policy, work)]
        return [measure(100, False, 5, policy, work), measure(20, True, 5, policy, work)]


if __name__ == "__main__":
    main_for(run, __doc__.splitlines()[0])
