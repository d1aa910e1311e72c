"""Issue 26: `vpo apply` adding a stereo AAC to a ~500 MB file costs at most 1.2x what the
bare tools take for the same work: ffmpeg encoding that track, then mkvmerge muxing it in,
one after the other.

The file (cached under bench/.work/audio-add/): 17 copies of a 30 s 720p h264 clip of
noise (~30 MB each, joined by mkvmerge: ~500 MB, 8.5 minutes) with a 5.1 AC3 track (448k)
of the same length, English, default. The policy adds a stereo AAC (192k) from the
original language's track: one ffmpeg encode and one mkvmerge remux (checked in the
job's recorded commands).

Interleaved rounds, each preceded (untimed) by putting the original file back (a copy)
and `vpo scan` so the catalogue knows it, then `sync`:
- subject: `vpo apply --policy P FILE` (originals kept: the default);
- baseline: `ffmpeg -i FILE -map 0:a:0 -c:a aac -b:a 192k -ac 2 OUT.mka` then
  `mkvmerge -o NEW.mkv FILE OUT.mka`.
Target: apply / baseline <= 1.2 (medians of the same run). A second row compares the CPU
seconds of each side (the process and the tools it waited for: wait4's rusage), which a
shared machine's load moves far less than wall time; it says what VPO adds around the tools.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

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

POLICY = """\
schema_version: 2
audio_language_preference: [eng]
audio:
  add:
    - codec: aac
      channels: 2
      bitrate: 192k
      from: {language: original}
      title: "{language_name} Stereo"
"""
COPIES = 17
CLIP_SECONDS = 30


def source_file() -> Path:
    """The ~500 MB Matroska file with a 5.1 AC3 track. Cached."""
    folder = WORK / "audio-add"
    dest = folder / "film.mkv"
    if dest.exists():
        return dest
    folder.mkdir(parents=True, exist_ok=True)
    clip, video, audio = folder / "clip.mkv", folder / "video.mkv", folder / "audio.mka"
    log("audio_add: encoding a 30 s 720p clip of noise")
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i",
         f"testsrc2=size=1280x720:rate=25:duration={CLIP_SECONDS},noise=alls=30:allf=t",
         "-c:v", "libx264", "-preset", "ultrafast", "-b:v", "8M", "-maxrate", "8M", "-bufsize", "16M",
         str(clip)],
        check=True,
    )  # fmt: skip
    args = ["mkvmerge", "--quiet", "-o", str(video), str(clip)]
    for _ in range(COPIES - 1):
        args += ["+", str(clip)]
    subprocess.run(args, check=True)
    seconds = COPIES * CLIP_SECONDS
    log(f"audio_add: encoding {seconds} s of 5.1 AC3")
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i",
         f"anoisesrc=c=pink:a=0.2:r=48000:d={seconds}", "-f", "lavfi", "-i",
         f"sine=frequency=220:sample_rate=48000:duration={seconds}",
         "-filter_complex", "[0]asplit=5[a][b][c][d][e];[a][b][1][c][d][e]join=inputs=6:channel_layout=5.1(side)[o]",
         "-map", "[o]", "-c:a", "ac3", "-b:a", "448k", str(audio)],
        check=True,
    )  # fmt: skip
    subprocess.run(
        ["mkvmerge", "--quiet", "-o", str(dest) + ".part", str(video), "--language", "0:eng",
         "--default-track-flag", "0:1", str(audio)],
        check=True,
    )  # fmt: skip
    os.replace(str(dest) + ".part", dest)
    for f in (clip, video, audio):
        f.unlink()
    os.sync()
    return dest


def run(quick: bool) -> list[Result]:
    repeat = 3 if quick else 5
    master = source_file()
    with scratch_dir("audio-add-") as work, vpo_home() as home:
        policy = work / "policy.yaml"
        policy.write_text(POLICY)
        lib = work / "lib"
        lib.mkdir()
        film = lib / "film.mkv"

        def reset() -> None:
            for f in lib.iterdir():
                f.unlink()
            shutil.copyfile(master, film)
            stamp = film.stat().st_mtime - 3600
            os.utime(film, (stamp, stamp))
            run_proc([VPO, "scan", "--json", lib], env=vpo_env(home), capture=True)
            os.sync()

        commands: list[list[str]] = []
        cpu: dict[str, list[float]] = {"apply": [], "bare": []}

        def apply() -> float:
            reset()
            res = run_proc(
                [VPO, "apply", "--policy", policy, "--json", film], env=vpo_env(home), capture=True
            )
            doc = json.loads(res.stdout)
            if doc["counts"]["changed"] != 1:
                raise RuntimeError(f"apply: {doc}")
            commands.append(_commands(home, doc["job_id"]))
            cpu["apply"].append(res.cpu_seconds)
            return res.seconds

        def bare() -> float:
            reset()
            out, new = work / "stereo.mka", lib / "new.mkv"
            encode = run_proc(
                ["ffmpeg", "-v", "error", "-y", "-i", film, "-map", "0:a:0", "-c:a", "aac", "-b:a", "192k",
                 "-ac", "2", out]
            )  # fmt: skip
            mux = run_proc(["mkvmerge", "--quiet", "-o", new, film, out])
            out.unlink()
            cpu["bare"].append(encode.cpu_seconds + mux.cpu_seconds)
            return encode.seconds + mux.seconds

        size = master.stat().st_size
        log(f"audio_add: {size / 2**20:.0f} MiB x{repeat}")
        stats = interleave({"apply": apply, "bare": bare}, repeat, rotate=True)
    ratio = stats["apply"].median / stats["bare"].median
    cpu_apply, cpu_bare = Stats(cpu["apply"]), Stats(cpu["bare"])
    cpu_ratio = cpu_apply.median / cpu_bare.median
    remuxes = [c for c in commands[-1] if c.startswith("mkvmerge") and " -o " in c]
    encodes = [c for c in commands[-1] if c.startswith("ffmpeg")]
    return [
        Result(
            name=f"apply adding a stereo AAC [{size / 2**20:.0f} MiB mkv, 5.1 AC3]",
            stats=stats["apply"],
            unit="s",
            target="<= 1.2x",
            passed=ratio <= 1.2,
            baseline_name="ffmpeg + mkvmerge",
            baseline=stats["bare"],
            ratio=ratio,
            ratio_label="x",
            notes=[f"the job ran {len(encodes)} ffmpeg encode(s) and {len(remuxes)} mkvmerge remux(es)"],
        ),
        Result(
            name="... its CPU seconds (process + tools)",
            stats=cpu_apply,
            unit="s",
            target="info",
            passed=None,
            baseline_name="ffmpeg + mkvmerge CPU",
            baseline=cpu_bare,
            ratio=cpu_ratio,
            ratio_label="x",
        ),
    ]


def _commands(home: Path, job_id: str) -> list[str]:
    """The tools the apply job recorded (their names without a folder)."""
    out = run_proc([VPO, "jobs", "show", job_id, "--json"], env=vpo_env(home), capture=True).stdout
    doc = json.loads(out)
    rows = doc.get("files") or []
    ran = [c for r in rows for c in ((r.get("details") or {}).get("commands") or [])]
    return [c.split(" ", 1)[0].rsplit("/", 1)[-1] + " " + c.split(" ", 1)[-1] for c in ran]


if __name__ == "__main__":
    main_for(run, __doc__.splitlines()[0])
