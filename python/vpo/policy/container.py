"""Schema 2's `container: mkv`: whether a file becomes Matroska, what its tracks become
there, and what cannot go. Pure."""

from __future__ import annotations

from dataclasses import dataclass, replace

from vpo.media.models import Track
from vpo.policy.plan import Action

MATROSKA_FAMILY = ("matroska", "webm")
# What Matroska holds as it is, by codec (as the catalogue names it). A text subtitle it
# cannot hold as it is (MP4's mov_text) becomes SRT; anything else not listed fails the file.
_MATROSKA_CODECS = {
    "video": {
        "h264", "hevc", "av1", "vp8", "vp9", "mpeg1video", "mpeg2video", "mpeg4", "msmpeg4v3",
        "theora", "vc1", "prores", "mjpeg", "ffv1", "dirac", "wmv3",
    },
    "audio": {
        "aac", "ac3", "eac3", "dts", "truehd", "mp3", "mp2", "mp1", "flac", "opus", "vorbis",
        "alac", "pcm_s16le", "pcm_s24le", "pcm_s32le", "pcm_f32le", "pcm_u8", "pcm_s16be",
        "pcm_s24be", "pcm_s32be", "wmav2", "ra_144", "cook",
    },
    "subtitle": {"subrip", "srt", "ass", "ssa", "webvtt", "hdmv_pgs_subtitle", "dvd_subtitle", "dvb_subtitle"},
}  # fmt: skip
CONVERTED_CODECS = {"mov_text": "subrip"}


@dataclass(frozen=True)
class Conversion:
    tracks: list[Track]  # the tracks that stay, as the container holds them
    target: str | None = None  # the container the file becomes (None: it stays as it is)
    action: Action | None = None
    problem: str | None = None  # why it cannot become `target` (the file fails)


def conversion(remaining: list[Track], wanted: str, container: str | None) -> Conversion:
    """`wanted`: the policy's `container` (keep, mkv); `container`: the file's (None: unknown,
    left as it is)."""
    if wanted != "mkv" or container is None or container in MATROSKA_FAMILY:
        return Conversion(remaining)
    problem = next((_unholdable(t) for t in remaining if _unholdable(t)), None)
    if problem:
        return Conversion(remaining, "matroska", problem=problem)
    converted = [t for t in remaining if t.codec in CONVERTED_CODECS]
    extra = f"; {len(converted)} mov_text subtitle track(s) become SRT" if converted else ""
    action = Action(
        "container", None, container, "matroska", f"container: mkv makes {container} Matroska (.mkv){extra}"
    )
    tracks = [replace(t, codec=CONVERTED_CODECS.get(t.codec or "", t.codec)) for t in remaining]
    return Conversion(tracks, "matroska", action)


def _unholdable(t: Track) -> str | None:
    if t.type == "attachment":
        return None
    codec = (t.codec or "").lower()
    if codec in CONVERTED_CODECS or codec in _MATROSKA_CODECS.get(t.type, ()):
        return None
    return f"track {t.index} ({t.type} {t.codec or 'of unknown codec'}) cannot be stored in Matroska"
