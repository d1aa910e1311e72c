"""Subtitle sidecars carried out (policy `subtitles`, SPEC 19): the extracted tracks written
beside the file by ffmpeg before the plan's one remux, and the embedded sidecars handed to
that remux, then kept as originals for undo (`NAME.eng.srt.vpo-original`).

Each sidecar is written to a hidden temporary name and then linked to its own, so a file
that took the name meanwhile is never overwritten (the apply fails, nothing is left)."""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence

from vpo.edit.fileops import ApplyFailed, remove
from vpo.media.mkvmerge_args import Extra
from vpo.media.regular_file import require_regular
from vpo.media.siblings import kept_original, temp_sibling
from vpo.media.sidecars import Embedding, Extraction, extract_args
from vpo.media.tools import run_tool

log = logging.getLogger(__name__)


def sidecar_path(path: bytes, suffix: str) -> bytes:
    """`NAME.` + `suffix` beside `path` (`NAME.EXT`)."""
    return os.path.splitext(path)[0] + b"." + os.fsencode(suffix)


def write_sidecars(ffmpeg: str, path: bytes, extracted: Sequence[Extraction]) -> list[bytes]:
    """Each extraction written beside `path`; the files written. Nothing is left behind
    when one fails."""
    written: list[bytes] = []
    if not extracted:
        return written
    require_regular(path)  # ffmpeg is given the name: never a FIFO's
    src = b"file:" + os.path.abspath(path)
    try:
        for e in extracted:
            final = sidecar_path(path, e.suffix)
            temp = temp_sibling(final)
            try:
                run_tool(extract_args(ffmpeg, src, b"file:" + os.path.abspath(temp), e))
                try:
                    os.link(temp, final)  # never over a file that took the name
                except FileExistsError:
                    raise ApplyFailed(
                        f"{os.fsdecode(os.path.basename(final))} appeared meanwhile; not overwritten"
                    ) from None
            finally:
                remove(temp)
            written.append(final)
    except BaseException:
        remove_sidecars(written)
        raise
    return written


def remove_sidecars(paths: Sequence[bytes]) -> None:
    for p in paths:
        remove(p)


def embedded_extras(path: bytes, embedded: Sequence[Embedding]) -> list[Extra]:
    """The sidecars to mux in, as mkvmerge takes them (names relative to `path`'s folder)."""
    extras = []
    for e in embedded:
        car = sidecar_path(path, e.suffix)
        require_regular(car)
        extras.append(Extra(e.index, os.path.basename(car)))
    return extras


def retire_embedded(
    path: bytes, embedded: Sequence[Embedding], keep: bool
) -> list[tuple[bytes, bytes | None]]:
    """After the remux: each embedded sidecar kept as `NAME.LANG.EXT.vpo-original` (what
    undo puts back), or removed without originals kept. [(sidecar, kept as or None)].
    Runs after the new file is in place, so it never fails the apply: a sidecar that cannot
    be moved stays where it is (not recorded), and the log says so."""
    out: list[tuple[bytes, bytes | None]] = []
    for e in embedded:
        car = sidecar_path(path, e.suffix)
        try:
            kept = kept_original(car) if keep else None
            if kept is not None:
                os.replace(car, kept)
            else:
                remove(car)
        except OSError as exc:
            log.warning("the embedded sidecar %s stays (%s)", os.fsdecode(car), exc.strerror or exc)
            continue
        out.append((car, kept))
    return out
