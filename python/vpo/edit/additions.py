"""The audio tracks a plan adds (policy `audio.add`), made by ffmpeg before the one remux
that muxes them in: each into a hidden temporary Matroska audio file beside the original
(`.vpo-tmp-PID-RANDOM.mka`, media/siblings.py's scheme: a killed run's are cleaned like
any other), removed by the caller once the remux is done or has failed."""

from __future__ import annotations

import os
from collections.abc import Sequence

from vpo.edit.fileops import remove
from vpo.media.downmix import Encoding, encode_args
from vpo.media.mkvmerge_args import Extra
from vpo.media.regular_file import require_regular
from vpo.media.siblings import temp_sibling
from vpo.media.tools import run_tool


def encode_added(ffmpeg: str, path: bytes, added: Sequence[Encoding]) -> list[Extra]:
    """Each added track encoded from `path`; the files as mkvmerge takes them (names relative
    to `path`'s folder). Nothing is left behind when one fails."""
    if not added:
        return []
    require_regular(path)  # ffmpeg is given the name: never a FIFO's
    folder = os.path.dirname(path)
    extras: list[Extra] = []
    try:
        for enc in added:
            out = temp_sibling(os.path.join(folder, b"added.mka"))
            extras.append(Extra(enc.index, os.path.basename(out)))
            run_tool(
                encode_args(ffmpeg, b"file:" + os.path.abspath(path), b"file:" + os.path.abspath(out), enc)
            )
    except BaseException:
        remove_extras(path, extras)
        raise
    return extras


def remove_extras(path: bytes, extras: Sequence[Extra]) -> None:
    folder = os.path.dirname(path)
    for e in extras:
        remove(os.path.join(folder, e.name))
