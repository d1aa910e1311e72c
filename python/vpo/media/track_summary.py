"""What reports need of a file's tracks, in a few columns of its `files` row.

`vpo report` groups 100,000 files in well under a second only if it never joins `files`
with `tracks`: so whenever a file's tracks are written (db/files.py:replace_tracks), these
columns are written with them. Multi-valued ones are sorted, space-separated multisets
("eng eng jpn": two English tracks and a Japanese one), so that files with the same
languages share one value and a GROUP BY over them returns a few hundred rows that
`split` turns back into per-language counts.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import NamedTuple

from vpo.media.models import Track


class TrackSummary(NamedTuple):
    video_codec: str | None  # of the main video track: the video track with the lowest index
    video_width: int | None
    video_height: int | None
    video_transfer: str | None  # color transfer (HDR or not: media/hdr.py)
    audio_layouts: str | None  # "aac/2 ac3/6": codec/channels per audio track
    audio_languages: str | None  # "eng jpn"
    subtitle_languages: str | None


EMPTY = TrackSummary(None, None, None, None, None, None, None)


def summarize(tracks: Sequence[Track]) -> TrackSummary:
    video = min((t for t in tracks if t.type == "video"), key=lambda t: t.index, default=None)
    audio = [t for t in tracks if t.type == "audio"]
    subs = [t for t in tracks if t.type == "subtitle"]
    return TrackSummary(
        video_codec=video.codec if video else None,
        video_width=video.width if video else None,
        video_height=video.height if video else None,
        video_transfer=video.color_transfer if video else None,
        audio_layouts=_multiset(layout(t.codec, t.channels) for t in audio),
        audio_languages=_multiset(t.language for t in audio),
        subtitle_languages=_multiset(t.language for t in subs),
    )


def layout(codec: str | None, channels: int | None) -> str:
    return f"{codec or ''}/{channels or ''}"


def parse_layout(value: str) -> tuple[str | None, int | None]:
    codec, _, channels = value.partition("/")
    return codec or None, int(channels) if channels else None


def _multiset(values: Iterable[str]) -> str | None:
    return " ".join(sorted(values)) or None


def split(value: str | None) -> dict[str, int]:
    """ "eng eng jpn" -> {"eng": 2, "jpn": 1}."""
    counts: dict[str, int] = {}
    for item in (value or "").split():
        counts[item] = counts.get(item, 0) + 1
    return counts
