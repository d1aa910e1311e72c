"""Multichannel media for the compatibility-audio tests (SPEC 19): Matroska files whose
audio tracks are 5.1 or 7.1 (or stereo) "programmes" in any codec this ffmpeg encodes
(PCM, FLAC, AC3, DTS with `-strict -2`, TrueHD with `-strict -2`, AAC).

A programme is what a film's mix looks like to a loudness meter, not a test tone: a
dialogue-like centre (a voiced 170 Hz tone gliding at 4 Hz, in syllables three times a
second), independent pink noise in every front and surround channel that stays quiet for
2.5 s and then bursts for 1.5 s (effects), a 45 Hz rumble in the LFE during the bursts. Its
loudness range is some 12 LU, so a compressor's effect is measurable. Standard library
only, importable as `media_surround` (tests/ is on sys.path).
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

FFMPEG = os.environ.get("VPO_TEST_FFMPEG", "ffmpeg")
RATE = 48000  # AC3, E-AC3, DTS and TrueHD take 48 kHz (or 44.1), not the corpus's 8 kHz
# codec -> (ffmpeg encoder, its per-stream options)
CODECS = {
    "flac": ("flac", ()),
    "pcm_s16le": ("pcm_s16le", ()),
    "ac3": ("ac3", (("-b:a", "384k"),)),
    "dts": ("dca", (("-strict", "-2"),)),
    "truehd": ("truehd", (("-strict", "-2"),)),
    "aac": ("aac", (("-b:a", "128k"),)),
}
LAYOUTS = {2: "stereo", 6: "5.1(side)", 8: "7.1"}
_DIALOGUE = "0.12*sin(2*PI*170*t+2*sin(2*PI*4*t))*pow(sin(PI*3*t),2)"
_BURSTS = "between(mod(t,4),2.5,4)"


@dataclass(frozen=True)
class Audio:
    codec: str
    channels: int
    language: str = "eng"
    title: str | None = None
    default: bool = False


@dataclass(frozen=True)
class Sub:
    language: str
    forced: bool = False
    title: str | None = None
    text: str = "Hello from VPO"
    codec: str = "srt"  # srt | ass


def _programme(first: int, channels: int, duration: float, seed: int) -> tuple[list[str], str]:
    """(ffmpeg inputs, filter text ending in [aN]) of one programme; its inputs are numbered
    from `first`."""
    inputs = ["-f", "lavfi", "-i", f"aevalsrc=exprs='{_DIALOGUE}':s={RATE}:d={duration}"]
    noises = channels - 2 if channels > 2 else 2  # fronts and surrounds (no centre, no LFE)
    for n in range(noises):
        inputs += ["-f", "lavfi", "-i", f"anoisesrc=c=pink:seed={seed * 10 + n}:a=1:r={RATE}:d={duration}"]
    inputs += ["-f", "lavfi", "-i", f"aevalsrc=exprs='0.3*sin(2*PI*45*t)*{_BURSTS}':s={RATE}:d={duration}"]
    dialogue, lfe = f"[{first}]", f"[{first + noises + 1}]"
    parts, names = [], []
    for n in range(noises):
        level = "0.004+0.5" if n < 2 else "0.002+0.15"  # fronts, then surrounds
        parts.append(f"[{first + 1 + n}]volume='{level}*{_BURSTS}':eval=frame[n{first}_{n}]")
        names.append(f"[n{first}_{n}]")
    out = f"[a{first}]"
    if channels == 2:
        parts.append(f"{dialogue}asplit=2[d{first}_0][d{first}_1]")
        for side in (0, 1):
            parts.append(f"{names[side]}[d{first}_{side}]amix=inputs=2:normalize=0[s{first}_{side}]")
        parts.append(f"[s{first}_0][s{first}_1]join=inputs=2:channel_layout=stereo{out}")
        parts.append(f"{lfe}anullsink")
    else:
        order = [names[0], names[1], dialogue, lfe, *names[2:]]
        parts.append(f"{''.join(order)}join=inputs={channels}:channel_layout={LAYOUTS[channels]}{out}")
    return inputs, ";".join(parts)


def make_surround(
    dest: Path,
    audio: Sequence[Audio],
    *,
    subtitles: Sequence[Sub] = (),
    duration: float = 2.0,
    container: str = "matroska",
) -> Path:
    """A file at `dest`: a tiny h264 video, then `audio` (each its own programme), then
    `subtitles` (text, one cue each)."""
    args = [FFMPEG, "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i",
            f"testsrc=size=64x48:rate=5:duration={duration}"]  # fmt: skip
    graphs, maps = [], ["-map", "0:v"]
    codecs = ["-c:v", "libx264", "-preset", "ultrafast", "-disposition:v:0", "default"]
    first = 1
    for i, a in enumerate(audio):
        inputs, graph = _programme(first, a.channels, duration, i + 1)
        args += inputs
        graphs.append(graph)
        maps += ["-map", f"[a{first}]"]
        encoder, options = CODECS[a.codec]
        codecs += [f"-c:a:{i}", encoder]
        for option, value in options:
            codecs += [f"{option}:a:{i}", value]
        codecs += [
            f"-metadata:s:a:{i}",
            f"language={a.language}",
            f"-disposition:a:{i}",
            "default" if a.default else "0",
        ]
        if a.title:
            codecs += [f"-metadata:s:a:{i}", f"title={a.title}"]
        first += len(inputs) // 4
    with tempfile.TemporaryDirectory(prefix="vpo-surround-") as tmp:
        for i, s in enumerate(subtitles):
            name = Path(tmp) / f"s{i}.{s.codec}"
            name.write_text(_subtitle_text(s, duration), encoding="utf-8")
            args += ["-i", str(name)]
            maps += ["-map", f"{first + i}:s"]
            codecs += [f"-c:s:{i}", "ass" if s.codec == "ass" else "srt"]
            codecs += [f"-metadata:s:s:{i}", f"language={s.language}",
                       f"-disposition:s:{i}", "forced" if s.forced else "0"]  # fmt: skip
            if s.title:
                codecs += [f"-metadata:s:s:{i}", f"title={s.title}"]
        args += ["-filter_complex", ";".join(graphs), *maps, *codecs, "-ar", str(RATE)]
        args += ["-default_mode", "passthrough", "-f", container, os.fsdecode(dest)]
        dest.parent.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(args, stdin=subprocess.DEVNULL, capture_output=True)
    if done.returncode:
        raise RuntimeError(f"ffmpeg failed: {done.stderr.decode(errors='replace')}\n{args!r}")
    return dest


def _subtitle_text(s: Sub, duration: float) -> str:
    end = max(0.2, duration - 0.1)
    if s.codec == "ass":
        return (
            "[Script Info]\nScriptType: v4.00+\n\n[V4+ Styles]\nFormat: Name, Fontname, Fontsize\n"
            "Style: Default,Arial,20\n\n[Events]\nFormat: Layer, Start, End, Style, Text\n"
            f"Dialogue: 0,0:00:00.00,0:00:0{end:.2f},Default,{s.text}\n"
        )
    return f"1\n00:00:00,000 --> 00:00:0{int(end)},{int(end * 1000) % 1000:03d}\n{s.text}\n\n"


def loudness(path: Path, stream: str) -> tuple[float, float]:
    """(integrated loudness in LUFS, loudness range in LU) of audio stream `stream` (ffmpeg's
    stream specifier: `a:0`), measured by ffmpeg's `ebur128` (EBU R128)."""
    done = subprocess.run(
        [FFMPEG, "-nostdin", "-hide_banner", "-nostats", "-i", os.fsdecode(path), "-map", f"0:{stream}",
         "-af", "ebur128", "-f", "null", "-"],
        capture_output=True, text=True, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    summary = done.stderr[done.stderr.rfind("Summary:") :]
    found_i = re.search(r"I:\s+(-?[\d.]+) LUFS", summary)
    found_lra = re.search(r"LRA:\s+(-?[\d.]+) LU", summary)
    if done.returncode or not found_i or not found_lra:
        raise RuntimeError(f"ebur128 of {path}:{stream} failed: {done.stderr[-500:]}")
    return float(found_i.group(1)), float(found_lra.group(1))
