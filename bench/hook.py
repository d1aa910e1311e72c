"""Issue 25: `vpo hook`, what Radarr and Sonarr wait for before their next import.

(a) The hook's own cost, against `vpo --version` (spawn to exit, interleaved, same run):
    - a `Test` event (settings, profiles and policy loaded, the catalogue opened, the four
      tools' `--version` run);
    - a `Download` of one tiny file already catalogued (a re-import: the scan finds it
      unchanged, nothing applied), also against `vpo scan --profile movies FILE`, the same
      no-change scan from the command line with the same profile loaded (ruamel.yaml and
      pydantic imported, which `--version` does not pay).
(b) A `Download` of one ~1 GB Matroska file (raw 1080p video, Japanese then English audio,
    the English default: built once,
    cached under $XDG_CACHE_HOME/vpo-bench or ~/.cache/vpo-bench) whose policy changes only
    flags (which audio track is default): the whole hook's wall time, copied into a fresh
    library and VPO_HOME each round, and how much of it mkvpropedit took (its own
    `duration_seconds` from the hook's JSON debug log).
`--quick`: fewer rounds.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from common import VPO, Result, Stats, interleave, log, main_for, run_proc, scratch_dir, vpo_env, vpo_home

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
import media  # tests/media.py: the tiny films

BIG_SECONDS = 14  # x 25 fps x 1920x1080 yuv420p (3.1 MB a frame): ~1.09 GB
# The Japanese track becomes the default; the order stays: mkvpropedit, in place
FLAGS_ONLY = "schema_version: 1\naudio_language_preference: [jpn, eng]\n"


def _cache() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
    folder = Path(base) / "vpo-bench"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def big_film() -> Path:
    """The ~1 GB film, made once."""
    path = _cache() / "hook-1gb-jpn-eng.mkv"
    if path.exists():
        return path
    log(f"building {path} (once)")
    tmp = path.with_suffix(".part.mkv")
    subprocess.run(
        ["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
         "-f", "lavfi", "-i", f"testsrc=size=1920x1080:rate=25:duration={BIG_SECONDS}",
         "-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={BIG_SECONDS}",
         "-map", "0:v", "-map", "1:a", "-map", "1:a", "-c:v", "rawvideo", "-pix_fmt", "yuv420p",
         "-c:a", "aac", "-metadata:s:a:0", "language=jpn", "-metadata:s:a:1", "language=eng",
         "-disposition:a:0", "0", "-disposition:a:1", "default", "-default_mode", "passthrough",
         str(tmp)],
        check=True,
    )  # fmt: skip
    tmp.rename(path)
    return path


def _library(home: Path, root: Path, policy: str) -> None:
    (home / "profiles").mkdir(parents=True, exist_ok=True)
    (home / "policy.yaml").write_text(policy)
    (home / "profiles" / "movies.yaml").write_text(
        f"roots: [{json.dumps(str(root))}]\ndefault_policy: {json.dumps(str(home / 'policy.yaml'))}\n"
    )


def _hook_env(home: Path, event: str, path: Path | None = None) -> dict[str, str]:
    env = {**vpo_env(home), "radarr_eventtype": event, "radarr_movie_id": "1"}
    if path is not None:
        env["radarr_moviefile_path"] = str(path)
    return env


def own_cost(quick: bool) -> list[Result]:
    repeat = 5 if quick else 15
    with vpo_home() as home, scratch_dir("hook-lib-") as lib:
        _library(home, lib, FLAGS_ONLY)
        film = media.make_video(lib / "Film" / "film.mkv", audio=(("eng", None, True, 2),))
        os.utime(film, (film.stat().st_mtime - 3600,) * 2)
        run_proc([VPO, "hook"], env=_hook_env(home, "Download", film))  # catalogued once
        subjects = {
            "version": lambda: run_proc([VPO, "--version"], env=vpo_env(home)).seconds,
            "test": lambda: run_proc([VPO, "hook"], env=_hook_env(home, "Test")).seconds,
            "download": lambda: run_proc([VPO, "hook"], env=_hook_env(home, "Download", film)).seconds,
            "scan": lambda: run_proc([VPO, "scan", "--profile", "movies", film], env=vpo_env(home)).seconds,
        }
        stats = interleave(subjects, repeat, warmup=1, rotate=True)
    base, scan = stats["version"], stats["scan"]
    return [
        Result("vpo --version (baseline)", base, "s"),
        Result("vpo scan --profile movies FILE", scan, "s", baseline_name="--version", baseline=base,
               ratio=scan.median / base.median, ratio_label="x"),
        Result("hook Test event", stats["test"], "s", baseline_name="--version", baseline=base,
               ratio=stats["test"].median / base.median, ratio_label="x"),
        Result("hook Download, already catalogued", stats["download"], "s", baseline_name="--version",
               baseline=base, ratio=stats["download"].median / base.median, ratio_label="x"),
        Result("  the same against the scan", stats["download"], "s", baseline_name="scan", baseline=scan,
               ratio=stats["download"].median / scan.median, ratio_label="x"),
    ]  # fmt: skip


def _tool_seconds(stderr: bytes, tool: str) -> float:
    total = 0.0
    for line in stderr.decode("utf-8", "replace").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if entry.get("operation") == tool and "duration_seconds" in entry and "exit_code" in entry:
            total += float(entry["duration_seconds"])
    return total


def big_download(quick: bool) -> list[Result]:
    rounds = 2 if quick else 5
    source = big_film()
    size_gb = source.stat().st_size / 1e9
    walls, tools = [], []
    for r in range(rounds):
        with vpo_home() as home, scratch_dir("hook-big-") as lib:
            _library(home, lib, FLAGS_ONLY)
            dest = lib / "Big (2001)" / "Big (2001).mkv"
            dest.parent.mkdir()
            shutil.copyfile(source, dest)
            os.utime(dest, (dest.stat().st_mtime - 3600,) * 2)
            os.sync()  # the copy's write-back is set-up: it must not land in the apply's fsync
            done = run_proc([VPO, "--log-json", "-vv", "hook"], env=_hook_env(home, "Download", dest))
            walls.append(done.seconds)
            tools.append(_tool_seconds(done.stderr, "mkvpropedit"))
            log(f"round {r + 1}: {done.seconds:.2f} s, mkvpropedit {tools[-1]:.2f} s")
    wall, tool = Stats(walls), Stats(tools)
    share = Stats([t / w for t, w in zip(tools, walls)])
    return [
        Result(f"hook Download, {size_gb:.2f} GB, flags only", wall, "s"),
        Result("  of which mkvpropedit", tool, "s", baseline_name="hook", baseline=wall,
               ratio=share.median, ratio_label="of the hook",
               notes=["the rest: start-up, settings, the scan's probe and fingerprint, apply's "
                      "planning and verification probe"]),
    ]  # fmt: skip


def run(quick: bool) -> list[Result]:
    return own_cost(quick) + big_download(quick)


if __name__ == "__main__":
    main_for(run, __doc__.splitlines()[0])
