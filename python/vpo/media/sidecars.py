"""Subtitle sidecar files (policy `subtitles`, SPEC 19): their names
`NAME.LANG[.forced][.sdh].EXT` beside `NAME.mkv`, what a subtitle track becomes as one,
and ffmpeg's arguments that write it (mkvextract writes VobSub: media/remux.py). Pure:
edit/sidecars.py runs them.

Names are handled without the file's `NAME.` (a suffix such as `eng.forced.srt`): a plan
made for one layout of tracks and sidecars then fits every file that has them."""

from __future__ import annotations

import re
from dataclasses import dataclass

TEXT = frozenset({"subrip", "srt", "ass", "ssa", "mov_text", "webvtt", "text"})
ASS = frozenset({"ass", "ssa"})
# image subtitles written as they are, by their own extension: PGS by ffmpeg (`.sup`),
# VobSub by mkvextract as `.idx` + `.sub` (ffmpeg cannot write them; from Matroska only)
IMAGE = {"hdmv_pgs_subtitle": "sup", "dvd_subtitle": "idx"}
PAIRED = {"idx": "sub"}  # a sidecar's extension -> that of its second half (VobSub's bitmaps)
MKVEXTRACTED = frozenset({"idx"})  # the extensions mkvextract writes (from Matroska)
# a sidecar's extension -> the codec of the track it becomes
EMBEDDED_CODECS = {"srt": "subrip", "ass": "ass", "sup": "hdmv_pgs_subtitle", "idx": "dvd_subtitle"}
_SIDECAR = re.compile(
    r"^(?P<lang>[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})?)(?P<forced>\.forced)?(?P<sdh>\.sdh)?\.(?P<ext>srt|ass|sup|idx)$"
)
_SDH = re.compile(r"\bSDH\b", re.IGNORECASE)
SDH_TITLE = "SDH"  # the title an embedded `.sdh` sidecar's track gets (how SDH is told apart)


@dataclass(frozen=True)
class Extraction:
    """Subtitle track `index` (current) written beside the file as `NAME.` + `suffix`."""

    index: int
    suffix: str  # e.g. eng.forced.srt
    codec: str  # ffmpeg's subtitle codec for it: srt, or copy (ASS kept, PGS, VobSub)

    @property
    def by_mkvextract(self) -> bool:
        """Written by mkvextract (VobSub's `.idx` + `.sub`), not by ffmpeg."""
        return self.suffix.rsplit(".", 1)[1] in MKVEXTRACTED


@dataclass(frozen=True)
class Embedding:
    """The sidecar `NAME.` + `suffix` muxed in as the track numbered `index` in the plan."""

    index: int
    suffix: str


@dataclass(frozen=True)
class Sidecar:
    language: str
    forced: bool
    sdh: bool
    ext: str  # srt | ass | sup | idx


def parse(suffix: str) -> Sidecar | None:
    """What a sidecar's name (without `NAME.`) says, or None if it is not one."""
    m = _SIDECAR.match(suffix)
    if m is None:
        return None
    return Sidecar(m["lang"], bool(m["forced"]), bool(m["sdh"]), m["ext"])


def is_sdh(title: str | None) -> bool:
    """Whether a track's title marks it as subtitles for the deaf and hard of hearing."""
    return bool(title and _SDH.search(title))


def halves(suffix: str) -> tuple[str, ...]:
    """The names (without `NAME.`) sidecar `suffix` is written as: `eng.idx` is
    (`eng.idx`, `eng.sub`), any other one itself."""
    stem, ext = suffix.rsplit(".", 1)
    return (suffix, f"{stem}.{PAIRED[ext]}") if ext in PAIRED else (suffix,)


def suffix_for(language: str, forced: bool, sdh: bool, ext: str) -> str:
    return ".".join([language, *(["forced"] if forced else []), *(["sdh"] if sdh else []), ext])


def extension(codec: str | None, formats: tuple[str, ...]) -> tuple[str, str] | None:
    """(extension, ffmpeg codec) a subtitle track of `codec` is written with (None: it
    cannot be written here). ASS stays ASS when `formats` has ass; other text becomes SRT."""
    c = (codec or "").lower()
    if c in ASS and "ass" in formats:
        return "ass", "copy"
    if c in TEXT:
        return "srt", "srt"
    if c in IMAGE:
        return IMAGE[c], "copy"
    return None


def extract_args(ffmpeg: str, src: bytes, dst: bytes, e: Extraction) -> list[str | bytes]:
    """ffmpeg's arguments: subtitle track `e.index` of `src` written alone to `dst` (both
    absolute, `file:`-prefixed by the caller). Not for VobSub (media/remux.py's
    mkvextract_track writes it)."""
    fmt = {"srt": "srt", "ass": "ass", "sup": "sup"}[e.suffix.rsplit(".", 1)[1]]
    return [ffmpeg, "-nostdin", "-v", "error", "-y", "-i", src, "-map", f"0:{e.index}",
            "-map_metadata", "-1", "-c:s", e.codec, "-f", fmt, dst]  # fmt: skip
