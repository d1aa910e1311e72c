"""A container change (schema 2 `container: mkv`): one mkvmerge remux into a hidden
temporary file, verified against the plan, then given the new name (`movie.mp4` ->
`movie.mkv`); the old name is left to nothing but the kept original (when originals are
kept). Runs under executor.execute's lock; the original is untouched until the result is
verified and has its name.

MP4 `mov_text` subtitles, which mkvmerge does not read, are first written as SRT files
(ffmpeg) and muxed in with their language, flags and title. A kill -9 between the new
name and the old one's removal leaves both files: the catalogue still names the old one,
and a scan finds the new one.
"""

from __future__ import annotations

import logging
import os

from vpo.config.settings import ToolsSettings
from vpo.edit.additions import encode_added, remove_extras
from vpo.edit.change import Applied, Change, verified
from vpo.edit.fileops import ApplyFailed, remove, sync, sync_folder
from vpo.edit.sidecars import embedded_extras, remove_sidecars
from vpo.media import remux
from vpo.media.fileattrs import same_owner_and_mode
from vpo.media.mkvmerge_args import Extra, Identified, identified_ids
from vpo.media.models import Track
from vpo.media.probe import ProberConfig
from vpo.media.regular_file import require_regular
from vpo.media.siblings import fitting, kept_original, temp_sibling
from vpo.media.tools import run_tool

log = logging.getLogger(__name__)

EXTENSIONS = {"matroska": b".mkv"}


def new_name(path: bytes, container: str) -> bytes:
    """`NAME.mkv` for `NAME.EXT` (shortened, media/siblings.py, when the folder cannot hold a
    name that long: `NAME.ts` of 255 bytes)."""
    return fitting(os.path.splitext(path)[0] + EXTENSIONS[container])


def convert(
    path: bytes,
    current: list[Track],
    duration: float | None,
    change: Change,
    tools: ToolsSettings,
    keep_backup: bool,
    prober: ProberConfig,
) -> Applied:
    assert change.container is not None
    target = new_name(path, change.container)
    if os.path.lexists(target):
        raise ApplyFailed(f"cannot convert: {os.fsdecode(os.path.basename(target))} already exists")
    by_index = {t.index: t for t in current}
    temp = temp_sibling(target)
    extras: list[Extra] = []
    links: list[bytes] = []
    try:
        extras += encode_added(tools.ffmpeg, path, change.added)
        embedded, links = embedded_extras(path, change.embedded)
        for index in change.order:
            if index in by_index and by_index[index].codec == "mov_text":
                require_regular(path)  # ffmpeg is given the name: never a FIFO's
                srt = temp_sibling(os.path.join(os.path.dirname(path), b"subtitle.srt"))
                extras.append(Extra(index, os.path.basename(srt)))
                run_tool(
                    [
                        tools.ffmpeg,
                        "-nostdin",
                        "-v",
                        "error",
                        "-y",
                        "-i",
                        b"file:" + os.path.abspath(path),
                        "-map",
                        f"0:{index}",
                        "-c:s",
                        "srt",
                        b"file:" + os.path.abspath(srt),
                    ]
                )
        ids = identified_ids(current, remux.mkvmerge_identify(tools.mkvmerge, path))
        converted = {e.index for e in extras}
        for index in change.order:
            t = by_index.get(index)
            if t is not None and t.type != "attachment" and index not in ids and index not in converted:
                raise ApplyFailed(f"mkvmerge cannot read track {index} ({t.type} {t.codec}); nothing changed")
        remux.mkvmerge_remux(
            tools.mkvmerge,
            path,
            temp,
            change.order,
            change.final,
            current,
            identified=Identified(ids, [*extras, *embedded]),
        )
        result = verified(temp, change, duration, prober)
        same_owner_and_mode(path, temp)
        sync(temp)
        os.link(temp, target)  # never replaces a file that appeared meanwhile
    finally:
        remove(temp)
        remove_extras(path, extras)
        remove_sidecars(links)
    backup = _retire(path, keep_backup)
    sync_folder(os.path.dirname(path))
    return Applied(result, "mkvmerge", backup, path=target)


def _retire(path: bytes, keep: bool) -> bytes | None:
    """The old name goes: kept as `NAME.EXT.vpo-original` (the one naming scheme of kept
    originals, media/siblings.py: `vpo jobs undo` brings it back), or removed. Never fails
    the apply: the new file is in place."""
    try:
        if keep:
            final = kept_original(path)
            os.replace(path, final)
            return final
        remove(path)
    except OSError as exc:
        log.warning("could not remove %s after converting it (%s)", os.fsdecode(path), exc.strerror or exc)
    return None
