"""Executors that put a file's tracks in the planned order and flags.

- `set_flags_in_place`: mkvpropedit edits Matroska headers in place (no remux).
- `mkvmerge_remux`: Matroska with a new track order, written to `dst`.
- `ffmpeg_remux`: any other container, stream copy (`-map` every stream), written to `dst`.
Each takes the current tracks and the planned layout (`final`, `order`).
"""

from __future__ import annotations

from collections.abc import Sequence

from vpo.media.models import Track
from vpo.media.tools import run_tool

MATROSKA = ("matroska", "webm")


def set_flags_in_place(mkvpropedit: str, path: bytes, current: Sequence[Track],
                       changes: dict[int, bool]) -> None:
    """`changes`: {current track index: default flag}. Matroska track N is stream N-1
    (libavformat lists tracks first, attachments after them)."""
    args: list[str | bytes] = [mkvpropedit, path]
    for index, default in sorted(changes.items()):
        args += ["--edit", f"track:{index + 1}", "--set", f"flag-default={int(default)}"]
    run_tool(args, ok_codes=(0, 1))


def mkvmerge_remux(mkvmerge: str, src: bytes, dst: bytes, order: Sequence[int],
                   final: Sequence[Track], current: Sequence[Track]) -> None:
    by_index = {t.index: t for t in current}
    tracks = [i for i in order if by_index[i].type != "attachment"]
    args: list[str | bytes] = [mkvmerge, "--quiet", "-o", dst]
    planned = {i: final[pos] for pos, i in enumerate(order)}
    for i in tracks:
        args += ["--default-track-flag", f"{i}:{int(planned[i].default)}"]
    args += ["--track-order", ",".join(f"0:{i}" for i in tracks), src]
    run_tool(args, ok_codes=(0, 1))


def ffmpeg_remux(ffmpeg: str, src: bytes, dst: bytes, order: Sequence[int], final: Sequence[Track],
                 *, timeout: float | None = None) -> None:
    args: list[str | bytes] = [ffmpeg, "-nostdin", "-v", "error", "-y", "-i", b"file:" + src]
    for i in order:
        args += ["-map", f"0:{i}"]
    args += ["-c", "copy", "-map_metadata", "0", "-map_chapters", "0"]
    for pos, track in enumerate(final):
        flags = [f for f, on in (("default", track.default), ("forced", track.forced),
                                 ("attached_pic", track.type == "attachment")) if on]
        args += [f"-disposition:{pos}", "+".join(flags) if flags else "0"]
    args.append(b"file:" + dst)
    run_tool(args, timeout=timeout)
