"""Issue 17: `vpo report --json` and selective `vpo files` queries on a catalogue of
100,000 files. The rows are generated straight into SQLite (no media): the schema is the
real one, created and migrated by `vpo.db.connection.open_database`; the library looks like
a real one: 70 % Matroska, H.264 / HEVC / AV1 / MPEG-4, 1080p mostly, some 2160p (a third
of it PQ or HLG HDR), 1-3 audio tracks (aac, ac3, eac3, dts, truehd, opus; stereo, 5.1,
7.1) and 0-4 subtitle tracks in a dozen languages, 2 % broken and 1 % missing files, sizes
from 200 MB to 60 GB; 2,000 jobs over 60 days, 3,000 transcoded files with their sizes.

Each command runs as a subprocess on a copy of that database (wall time including
interpreter start). Baselines in the same run: `vpo --version` (interpreter start: main.py
answers it before importing anything) and `vpo jobs list` (CLI import, settings, database
opened, 20 rows). Target: each < 1 s (`vpo report /media/anime --json`, a quarter of the
library by path range, and `vpo report --html` are shown for information).
"""

from __future__ import annotations

import json
import os
import random
import shutil
import sys
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from common import REPO, VPO, WORK, Result, interleave, log, main_for, run_proc, vpo_env, vpo_home

TARGET_S = 1.0
LANGS = ["eng", "jpn", "fre", "ger", "spa", "ita", "kor", "chi", "por", "rus", "dut", "swe"]


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _video(rng: random.Random) -> tuple[str, int, int, str | None]:
    codec = rng.choices(("h264", "hevc", "av1", "mpeg4"), (55, 35, 5, 5))[0]
    width, height = rng.choices(
        ((1920, 1080), (1920, 800), (3840, 2160), (1280, 720), (720, 576), (640, 480)),
        (40, 15, 15, 15, 10, 5),
    )[0]
    transfer = None
    if width == 3840:
        transfer = rng.choices((None, "bt709", "smpte2084", "arib-std-b67"), (40, 27, 25, 8))[0]
    elif rng.random() < 0.5:
        transfer = "bt709"
    return codec, width, height, transfer


def _files(count: int, rng: random.Random, now: datetime) -> tuple[list[tuple], list[tuple]]:
    """The `files` rows (with their track summaries) and the `tracks` rows."""
    from vpo.media.models import Track
    from vpo.media.track_summary import EMPTY, summarize

    files: list[tuple] = []
    tracks: list[tuple] = []
    for i in range(1, count + 1):
        root = rng.choice(("movies", "tv", "anime", "kids"))
        container, ext = rng.choices(
            (("matroska", "mkv"), ("mp4", "mp4"), ("avi", "avi"), ("mov", "mov")), (70, 22, 5, 3)
        )[0]
        status = rng.choices(("ok", "error", "missing"), (97, 2, 1))[0]
        size = int(rng.lognormvariate(21.5, 0.9)) + 200_000_000
        path = f"/media/{root}/Title {i // 7} ({1950 + i % 75})/Title {i} part {i % 3}.{ext}".encode()
        seen = _iso(now - timedelta(days=rng.random() * 400))
        files.append(
            (i, path, size, 1_600_000_000_000_000_000 + i, container if status != "error" else None,
             5400.0 if status != "error" else None, f"{i:032x}", status,
             "truncated: the Segment ends early" if status == "error" else None,
             seen, seen, _iso(now) if status == "missing" else None, *EMPTY)
        )  # fmt: skip
        if status == "error":
            continue
        mine = _tracks(i, rng)
        tracks += mine
        # The summary columns, as db/files.py:replace_tracks writes them.
        summary = summarize(
            [Track(t[1], t[2], t[3], t[4], channels=t[8], width=t[9], height=t[10], color_transfer=t[11]) for t in mine]
        )  # fmt: skip
        files[-1] = files[-1][:12] + tuple(summary)
    return files, tracks


def _tracks(i: int, rng: random.Random) -> list[tuple]:
    """File `i`'s `tracks` rows: a video, 1-3 audio and 0-4 subtitle tracks."""
    codec, width, height, transfer = _video(rng)
    rows: list[tuple] = [(i, 0, "video", codec, "und", None, 1, 0, None, width, height, transfer)]
    idx = 1
    for _ in range(rng.choices((1, 2, 3), (50, 35, 15))[0]):
        acodec = rng.choices(("aac", "ac3", "eac3", "dts", "truehd", "opus"), (35, 25, 15, 12, 8, 5))[0]
        channels = rng.choices((2, 6, 8, 1), (45, 40, 10, 5))[0]
        lang = rng.choices(LANGS, (50, 15, 8, 7, 6, 3, 3, 2, 2, 2, 1, 1))[0]
        rows.append((i, idx, "audio", acodec, lang, None, int(idx == 1), 0, channels, None, None, None))
        idx += 1
    for _ in range(rng.choices((0, 1, 2, 3, 4), (20, 35, 25, 12, 8))[0]):
        lang = rng.choices(LANGS, (40, 10, 10, 8, 8, 5, 5, 4, 4, 3, 2, 1))[0]
        rows.append((i, idx, "subtitle", "subrip", lang, None, 0, 0, None, None, None, None))
        idx += 1
    return rows


def _jobs(
    count: int, rng: random.Random, now: datetime, files: list[tuple]
) -> tuple[list[tuple], list[tuple]]:
    """2,000 `jobs` rows over 60 days and the `job_files` rows of 3,000 transcoded files."""
    jobs, job_files = [], []
    for _ in range(2000):
        kind = rng.choices(("scan", "apply", "transcode"), (60, 10, 30))[0]
        created = now - timedelta(seconds=rng.random() * 60 * 86400)
        job_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        jobs.append((job_id, kind, "completed", json.dumps(["/media/movies"]), _iso(created)))
        if kind == "transcode" and len(job_files) < 3000:
            for _ in range(3):
                fid = rng.randint(1, count)
                before = files[fid - 1][2]
                after = int(before * rng.uniform(0.35, 0.8))
                details = {
                    "codec_before": "h264",
                    "codec_after": "hevc",
                    "size_before": before,
                    "size_after": after,
                }
                job_files.append((job_id, fid, files[fid - 1][1], "transcoded", json.dumps(details)))
    return jobs, job_files


def build_seed(count: int) -> Path:
    """The seed library.db (cached under bench/.work)."""
    home = WORK / f"report-{count}"
    db_path = home / "library.db"
    meta = WORK / f"report-{count}.json"
    sys.path.insert(0, str(REPO / "python"))
    from vpo.db.migrations import LATEST

    if db_path.exists() and meta.exists() and json.loads(meta.read_text()).get("schema") == LATEST:
        return db_path
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    log(f"report: building a catalogue of {count:,} files in {home}")
    from vpo.db.connection import open_database  # the real schema, every migration applied

    db = open_database(db_path)
    rng = random.Random(17)
    now = datetime.now(timezone.utc)
    files, tracks = _files(count, rng, now)
    jobs, job_files = _jobs(count, rng, now, files)
    with db.transaction() as conn:
        conn.executemany(
            "INSERT INTO files (id, path, size, mtime_ns, container, duration, fingerprint, scan_status, "
            "scan_error, first_seen, last_scanned, missing_since, video_codec, video_width, video_height, "
            "video_transfer, audio_layouts, audio_languages, subtitle_languages) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            files,
        )
        conn.executemany(
            "INSERT INTO tracks (file_id, idx, type, codec, language, title, is_default, is_forced, "
            "channels, width, height, color_transfer) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            tracks,
        )
        conn.executemany("INSERT INTO jobs (id, type, status, target, created_at) VALUES (?,?,?,?,?)", jobs)
        conn.executemany(
            "INSERT INTO job_files (job_id, file_id, path, outcome, details) VALUES (?,?,?,?,?)", job_files
        )
    db.conn.execute("ANALYZE")
    db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    meta.write_text(
        json.dumps(
            {"files": count, "tracks": len(tracks), "jobs": len(jobs), "schema": LATEST, "at": time.time()}
        )
    )
    return db_path


def run(quick: bool) -> list[Result]:
    count = 100_000
    repeat = 5 if quick else 9
    seed = build_seed(count)
    selective = ["--no-sub-lang", "eng", "--codec", "hevc", "--min-height", "2160", "--status", "ok"]
    commands: dict[str, list[str | os.PathLike[str]]] = {
        "vpo --version": [VPO, "--version"],
        "vpo jobs list": [VPO, "jobs", "list"],
        "vpo report --json": [VPO, "report", "--json"],
        "vpo files --no-sub-lang eng --codec hevc --min-height 2160 --status ok --json": [
            VPO, "files", *selective, "--json"
        ],
        "vpo files --audio-lang jpn --sort size -r --limit 50": [
            VPO, "files", "--audio-lang", "jpn", "--sort", "size", "-r", "--limit", "50"
        ],
        "vpo report /media/anime --json": [VPO, "report", "/media/anime", "--json"],
    }  # fmt: skip
    log(f"report: {len(commands)} commands on {count:,} files x{repeat}")
    with vpo_home(seed=seed) as home:
        env = vpo_env(home)
        out = run_proc(commands["vpo report --json"], env=env, capture=True).stdout
        totals = {r["status"]: r["files"] for r in json.loads(out)["totals"]}
        if sum(totals.values()) != count:
            raise RuntimeError(f"report counted {totals}, expected {count:,} files")
        matched = len(json.loads(run_proc(commands[list(commands)[3]], env=env, capture=True).stdout))
        log(f"report: the selective files query matches {matched:,} files")

        def timer(argv: list[str | os.PathLike[str]]) -> Callable[[], float]:
            return lambda: run_proc(argv, env=env).seconds

        stats = interleave({name: timer(argv) for name, argv in commands.items()}, repeat, warmup=1)
        html_stats = interleave(
            {"vpo report --html": timer([VPO, "report", "--html", str(home / "r.html")])}, max(3, repeat // 3)
        )
    base = stats["vpo jobs list"]
    results = []
    for name, st in stats.items():
        if name.startswith(("vpo report --json", "vpo files")):
            results.append(
                Result(
                    name=f"{name} [{count // 1000}k files]",
                    stats=st,
                    unit="s",
                    baseline_name="vpo jobs list",
                    baseline=base,
                    ratio=st.median / base.median,
                    ratio_label="x",
                    target=f"< {TARGET_S:g} s",
                    passed=st.median < TARGET_S,
                )
            )
        else:
            results.append(Result(name=name, stats=st, unit="s"))
    results.append(
        Result(
            name=f"vpo report --html FILE [{count // 1000}k files]",
            stats=html_stats["vpo report --html"],
            unit="s",
        )
    )
    return results


if __name__ == "__main__":
    main_for(run, __doc__.splitlines()[0])
