"""Issue 15: policy schema 2 at library scale, and the cost of a track-removal remux.

(a) Evaluating 100,000 catalogued files. The tree is `link_tree(100, 1000)` (hard links of
    one tiny Matroska file, as rescan.py uses); the catalogue is written straight into
    SQLite with the real schema (made by `vpo jobs list` on a fresh VPO_HOME), one `files`
    row per link with its real size and mtime, plus 5-7 `tracks` rows per file in five
    layouts (several audio languages, one untagged, commentary, forced and commentary
    subtitles, titles like `Track 2`, ASS subtitles with a font) varied by 997 seeds
    (titles, untagged languages, flags: ~5,000 distinct layouts; apply plans a layout it
    has seen once, unless a rule looks at paths, as the schema 2 policy's does), and a
    `scan` job whose target is the tree (the scan root rules' `path` reads). Cached as a
    seed database.
    Timed, interleaved: `vpo apply --policy P --dry-run --json TREE > /dev/null` with a
    version 1 policy (english-first: order and flags) and with a schema 2 policy (keep
    original + English, labels, container, a `path` rule and a `warn` rule). Targets:
    schema 2 <= 3x version 1, and < 10 s.
(b) A removal remux of a ~500 MB file: `real_clip()` looped to ~500 MB with `-c copy`
    (1080p H.264, English and French AAC, English subtitles). Timed, interleaved: `vpo
    apply --policy P FILE --no-keep-backup` with a schema 2 policy that keeps English audio
    only (one mkvmerge remux, verified, renamed over; a pristine copy, a fresh VPO_HOME and
    `vpo scan` before each run, untimed) vs bare `mkvmerge -o OUT --audio-tracks 1 FILE`.
    Target: apply <= 1.3x mkvmerge.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import uuid
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
from trees import link_tree, real_clip, warm_tree

V1_POLICY = """\
schema_version: 1
audio_language_preference: [eng]
subtitle_language_preference: [eng]
commentary_patterns: [commentary]
"""

V2_POLICY = r"""
schema_version: 2
audio_language_preference: [eng]
subtitle_language_preference: [eng]
keep:
  audio: {languages: [original, eng], commentary: false, min_tracks: 1}
  subtitles: {languages: [eng], forced: kept_audio, commentary: false}
  attachments: fonts
labels:
  untagged_audio: original
  audio_titles: {when: empty, template: "{language_name} {channel_layout}"}
  clear_titles_matching: ['^Track \d+$', '\.(mkv|mp4|avi)$']
container: mkv
rules:
  - when: {path: "dir-0[0-4]/**"}
    set: {original_language: jpn}
  - when: {all: [{audio: {count: ">=4"}}, {video: {height: ">=1080"}}]}
    action: warn
    reason: many audio tracks
"""

KEEP_ENGLISH = "schema_version: 2\nkeep:\n  audio: {languages: [eng]}\n"

# (type, codec, language, title, default, forced, channels, height)
LAYOUTS = [
    [
        ("video", "h264", "und", "movie.mkv", 1, 0, None, 1080),
        ("audio", "aac", "ger", "Track 1", 1, 0, 6, None),
        ("audio", "aac", "eng", None, 0, 0, 2, None),
        ("audio", "aac", "und", None, 0, 0, 2, None),
        ("audio", "aac", "eng", "Commentary", 0, 0, 2, None),
        ("subtitle", "subrip", "eng", None, 0, 0, None, None),
        ("subtitle", "subrip", "fre", None, 0, 1, None, None),
    ],
    [
        ("video", "h264", "und", None, 1, 0, None, 720),
        ("audio", "aac", "jpn", None, 1, 0, 2, None),
        ("audio", "aac", "eng", None, 0, 0, 2, None),
        ("subtitle", "ass", "eng", None, 0, 0, None, None),
        ("subtitle", "ass", "jpn", None, 0, 0, None, None),
        ("attachment", "ttf", "und", None, 0, 0, None, None),
    ],
    [
        ("video", "h264", "und", None, 1, 0, None, 1080),
        ("audio", "aac", "eng", None, 1, 0, 6, None),
        ("subtitle", "subrip", "eng", "SDH", 0, 0, None, None),
        ("subtitle", "subrip", "eng", "Forced", 0, 1, None, None),
        ("subtitle", "subrip", "eng", "Commentary", 0, 0, None, None),
    ],
    [
        ("video", "h264", "und", None, 1, 0, None, 480),
        ("audio", "aac", "ita", None, 1, 0, 2, None),
        ("audio", "aac", "fre", None, 0, 0, 2, None),
        ("subtitle", "subrip", "ita", None, 0, 0, None, None),
        ("subtitle", "subrip", "eng", None, 0, 0, None, None),
    ],
    [
        ("video", "h264", "und", None, 1, 0, None, 2160),
        ("audio", "aac", "eng", None, 0, 0, 2, None),
        ("audio", "aac", "fre", None, 1, 0, 6, None),
        ("audio", "aac", "spa", None, 0, 0, 2, None),
        ("audio", "aac", "ger", None, 0, 0, 2, None),
        ("subtitle", "subrip", "eng", None, 0, 0, None, None),
    ],
]


def layout(n: int) -> list[tuple[object, ...]]:
    """File n's tracks: one of LAYOUTS, varied (titles, untagged languages, flags) by one
    of 997 seeds: ~5,000 distinct layouts, ~20 files each, as a library of series and
    release groups repeats itself."""
    rng = random.Random(n % 997)
    out = []
    for kind, codec, language, title, default, forced, channels, height in LAYOUTS[n % len(LAYOUTS)]:
        if kind in ("audio", "subtitle"):
            title = rng.choice([title, title, None, f"Track {len(out) + 1}"])
            language = "und" if rng.random() < 0.1 else language
            default = int(not default) if rng.random() < 0.2 else default
        out.append((kind, codec, language, title, default, forced, channels, height))
    return out


def seed_database(root: Path, count: int) -> Path:
    """A catalogue of every file under `root` (cached beside the tree)."""
    seed = WORK / f"policy-v2-{count}-v2.db"
    if seed.exists():
        return seed
    log(f"cataloguing {count:,} files straight into SQLite ({seed})")
    with vpo_home() as home:
        run_proc([VPO, "jobs", "list"], env=vpo_env(home))
        conn = sqlite3.connect(home / "library.db")
        now = "2026-11-20T10:00:00.000000Z"
        files, tracks = [], []
        for n, path in enumerate(sorted(os.fsencode(p) for p in root.rglob("*.mkv"))):
            st = os.stat(path)
            files.append((n + 1, path, st.st_size, st.st_mtime_ns, st.st_dev, st.st_ino, now, now))
            tracks.extend((n + 1, idx, *t) for idx, t in enumerate(layout(n)))
        with conn:
            conn.executemany(
                "INSERT INTO files (id, path, size, mtime_ns, dev, ino, container, duration, "
                "fingerprint, scan_status, racy, first_seen, last_scanned) "
                "VALUES (?, ?, ?, ?, ?, ?, 'matroska', 1.0, 'f', 'ok', 0, ?, ?)",
                files,
            )
            conn.executemany(
                "INSERT INTO tracks (file_id, idx, type, codec, language, title, is_default, "
                "is_forced, channels, height) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                tracks,
            )
            conn.execute(
                "INSERT INTO jobs (id, type, status, target, created_at) VALUES (?, 'scan', 'completed', ?, ?)",
                (str(uuid.uuid4()), json.dumps([str(root)]), now),
            )
        conn.close()
        shutil.copyfile(home / "library.db", seed)
    return seed


def evaluation(quick: bool) -> list[Result]:
    dirs, per_dir = (20, 1000) if quick else (100, 1000)
    count = dirs * per_dir
    root = link_tree(dirs, per_dir)
    seed = seed_database(root, count)
    warm_tree(root)
    with scratch_dir("policy-v2-") as tmp, vpo_home(seed) as home:
        v1, v2 = tmp / "v1.yaml", tmp / "v2.yaml"
        v1.write_text(V1_POLICY)
        v2.write_text(V2_POLICY)
        env = vpo_env(home)
        check = json.loads(run_proc([VPO, "apply", "--policy", v2, "--dry-run", "--json", root], env=env, capture=True, discard_stderr=True).stdout)  # fmt: skip
        assert len(check["files"]) == count and check["counts"]["failed"] == 0, check["counts"]
        assert check["totals"]["tracks_removed"] > count, check["totals"]

        def apply(policy: Path) -> float:
            argv = [VPO, "apply", "--policy", policy, "--dry-run", "--json", root]
            return run_proc(argv, env=env, discard_stderr=True).seconds

        stats = interleave({"v1": lambda: apply(v1), "v2": lambda: apply(v2)}, repeat=3 if quick else 5)
    ratio = stats["v2"].median / stats["v1"].median
    return [
        Result(
            f"(a) apply --dry-run --json, {count:,} files, schema 2",
            stats["v2"],
            "s",
            target="<= 3x version 1",
            passed=ratio <= 3,
            baseline_name="version 1",
            baseline=stats["v1"],
            ratio=ratio,
            ratio_label="x",
        ),
        Result(
            f"(a) the same, absolute ({count:,} files)",
            stats["v2"],
            "s",
            target="< 10 s" if not quick else "(100k: < 10 s)",
            passed=stats["v2"].median < 10 if not quick else None,
        ),
    ]


def big_file(target_mb: int) -> Path:
    path = WORK / f"clip-{target_mb}mb.mkv"
    if path.exists():
        return path
    clip = real_clip()
    loops = max(1, round(target_mb * 1024 * 1024 / clip.stat().st_size)) - 1
    log(f"generating {path} ({loops + 1} x {clip.name})")
    tmp = path.with_suffix(".part.mkv")
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-stream_loop", str(loops), "-i", str(clip), "-map", "0", "-c", "copy", str(tmp)],
        check=True,
    )  # fmt: skip
    tmp.rename(path)
    return path


def removal(quick: bool) -> list[Result]:
    size_mb = 100 if quick else 500
    source = big_file(size_mb)
    with scratch_dir("policy-v2-remux-") as tmp:
        policy = tmp / "keep-english.yaml"
        policy.write_text(KEEP_ENGLISH)
        lib = tmp / "lib"
        lib.mkdir()
        film = lib / "film.mkv"

        def apply() -> float:
            shutil.copyfile(source, film)
            os.utime(film, (film.stat().st_mtime - 3600,) * 2)
            with vpo_home() as home:
                env = vpo_env(home)
                run_proc([VPO, "scan", lib], env=env, discard_stderr=True)
                subprocess.run(["sync"], check=True)
                done = run_proc([VPO, "apply", "--policy", policy, "--no-keep-backup", "--json", film], env=env, capture=True, discard_stderr=True)  # fmt: skip
            outcome = json.loads(done.stdout)["files"][0]
            assert outcome["status"] == "changed" and [a["track"] for a in outcome["actions"] if a["action"] == "remove"] == [2], outcome  # fmt: skip
            return done.seconds

        def bare() -> float:
            out = tmp / "bare.mkv"
            seconds = run_proc(["mkvmerge", "--quiet", "-o", out, "--audio-tracks", "1", source]).seconds
            out.unlink()
            return seconds

        stats = interleave({"apply": apply, "mkvmerge": bare}, repeat=2 if quick else 3, warmup=1)
    ratio = stats["apply"].median / stats["mkvmerge"].median
    return [
        Result(
            f"(b) removal remux, {source.stat().st_size / 2**20:.0f} MB: vpo apply",
            stats["apply"],
            "s",
            target="<= 1.3x mkvmerge",
            passed=ratio <= 1.3,
            baseline_name="mkvmerge --audio-tracks",
            baseline=stats["mkvmerge"],
            ratio=ratio,
            ratio_label="x",
        )
    ]


def run(quick: bool) -> list[Result]:
    return evaluation(quick) + removal(quick)


if __name__ == "__main__":
    main_for(run, __doc__.splitlines()[0])
