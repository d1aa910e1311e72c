"""Subtitle sidecars carried out (policy `subtitles`, SPEC 19): the extracted tracks written
beside the file by ffmpeg (VobSub by mkvextract, as `.idx` + `.sub`) before the plan's one
remux, and the embedded sidecars handed to that remux, then kept as originals for undo
(`NAME.eng.srt.vpo-original`).

Each sidecar is written to a hidden temporary name and then linked to its own, so a file
that took the name meanwhile is never overwritten (the apply fails, nothing is left)."""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence

from vpo.config.settings import ToolsSettings
from vpo.edit.fileops import ApplyFailed, remove
from vpo.media.mkvmerge_args import Extra
from vpo.media.regular_file import require_regular
from vpo.media.remux import mkvextract_track
from vpo.media.siblings import kept_original, temp_sibling
from vpo.media.sidecars import Embedding, Extraction, extract_args, halves
from vpo.media.tools import run_tool

log = logging.getLogger(__name__)


def sidecar_path(path: bytes, suffix: str) -> bytes:
    """`NAME.` + `suffix` beside `path` (`NAME.EXT`)."""
    return os.path.splitext(path)[0] + b"." + os.fsencode(suffix)


def write_sidecars(tools: ToolsSettings, path: bytes, extracted: Sequence[Extraction]) -> list[bytes]:
    """Each extraction written beside `path` (a VobSub one as its `.idx` and `.sub`); the
    files written. Nothing is left behind when one fails."""
    written: list[bytes] = []
    if not extracted:
        return written
    require_regular(path)  # ffmpeg is given the name: never a FIFO's
    try:
        for e in extracted:
            final = sidecar_path(path, e.suffix)
            temp = temp_sibling(final)
            temps = [_half(temp, final, name) for name in halves(e.suffix)]
            try:
                _extract(tools, path, temp, e)
                for t, f in temps:
                    _link(t, f)
                    written.append(f)
            finally:
                for t, _ in temps:
                    remove(t)
    except BaseException:
        remove_sidecars(written)
        raise
    return written


def _half(temp: bytes, final: bytes, suffix: str) -> tuple[bytes, bytes]:
    """(temporary, final) name of one file of a sidecar whose first file is `final`,
    written as `temp`: `eng.sub` beside `eng.idx` takes the temporary name's stem too."""
    ext = b"." + os.fsencode(suffix.rsplit(".", 1)[1])
    return os.path.splitext(temp)[0] + ext, os.path.splitext(final)[0] + ext


def _extract(tools: ToolsSettings, path: bytes, temp: bytes, e: Extraction) -> None:
    """Extraction `e` of `path` written to `temp` by its tool. mkvextract takes the track's
    mkvmerge id: a Matroska track's stream index (mkvmerge_args.matroska_ids)."""
    if e.by_mkvextract:
        mkvextract_track(tools.mkvextract, path, temp, e.index)
    else:
        src = b"file:" + os.path.abspath(path)
        run_tool(extract_args(tools.ffmpeg, src, b"file:" + os.path.abspath(temp), e))


def _link(temp: bytes, final: bytes) -> None:
    try:
        os.link(temp, final)  # never over a file that took the name
    except FileExistsError:
        raise ApplyFailed(
            f"{os.fsdecode(os.path.basename(final))} appeared meanwhile; not overwritten"
        ) from None


def remove_sidecars(paths: Sequence[bytes]) -> None:
    for p in paths:
        remove(p)


def embedded_extras(path: bytes, embedded: Sequence[Embedding]) -> tuple[list[Extra], list[bytes]]:
    """The sidecars to mux in, as mkvmerge takes them, and the links made for it (the
    caller removes them once the remux is done). mkvtoolnix mangles a non-ASCII name, so
    each sidecar is handed over as a plain ASCII hidden symbolic link to it beside it
    (`.vpo-tmp-PID-RANDOM.srt`); a VobSub `.idx` and `.sub` share the link's stem, as
    mkvmerge finds the `.sub` by the `.idx`'s name."""
    extras: list[Extra] = []
    links: list[bytes] = []
    try:
        for e in embedded:
            temp = temp_sibling(sidecar_path(path, e.suffix))
            for name in halves(e.suffix):
                car = sidecar_path(path, name)
                require_regular(car)
                link = os.path.splitext(temp)[0] + os.path.splitext(car)[1]
                os.symlink(os.path.basename(car), link)
                links.append(link)
            extras.append(Extra(e.index, os.path.basename(temp)))
    except BaseException:
        remove_sidecars(links)
        raise
    return extras, links


def retire_embedded(
    path: bytes, embedded: Sequence[Embedding], keep: bool
) -> list[tuple[bytes, bytes | None]]:
    """After the remux: each embedded sidecar (both files of a VobSub one) kept as
    `NAME.LANG.EXT.vpo-original` (what undo puts back), or removed without originals kept. [(sidecar, kept as or None)].
    Runs after the new file is in place, so it never fails the apply: a sidecar that cannot
    be moved stays where it is (not recorded), and the log says so."""
    out: list[tuple[bytes, bytes | None]] = []
    for car in (sidecar_path(path, name) for e in embedded for name in halves(e.suffix)):
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
