"""Generate real, tiny media files for VPO's tests, demos and benchmarks.

Standard library only; importable as ``media`` (``tests/`` is put on ``sys.path``
by ``tests/conftest.py``) and runnable as a script::

    python tests/media.py corpus DEST          # the standard test corpus
    python tests/media.py demo DEST [--count N] # a small varied library (make demo)
    python tests/media.py bulk DEST --count N   # N files for benchmarks

Every file is made by ffmpeg from lavfi sources (``testsrc`` video, ``sine``
audio): 1 second, 64x48, 5 fps, 8 kHz audio. One ffmpeg run takes ~0.3 s, so each
distinct layout (a "master") is encoded once and then copied.

Unique content. Each master carries a fixed-length global ``comment`` tag
(``vpo-media-id:0000000000000000``); ``copy_unique`` rewrites those 16 hex digits
in the copy. Copies are therefore separate files with distinct bytes (distinct
content fingerprints, as real files have), identical track layouts, and still
valid: the tag is stored verbatim in Matroska Tags, the MP4 ``ilst`` atom and the
AVI ``INFO`` list, and a same-length rewrite changes no offset.

Expected tracks. ``ExpectedTrack`` is what ``ffprobe -show_streams`` reports for
a stream (codec_name, tags.language with a missing tag as 'und', tags.title,
disposition.default/forced, channels, width/height). What survives depends on
the container; ``expected_tracks`` encodes the rules below and
``tests/unit/test_media_corpus.py`` checks them against ffprobe (ffmpeg 5.1):

- Matroska/WebM: language, title, default and forced are stored as given.
- MP4/M4V/MOV: stream titles are dropped; forced is kept; a type with no default
  track gets its first track marked default by the muxer (the "track enabled"
  flag), so e.g. a lone subtitle set non-default still reads back default.
  MOV stores languages as old Macintosh codes through a table that mixes
  ISO 639-2/B and /T codes: "ger" and "fra" survive, "deu" and "fre" read back
  'und' (``_MOV_LANGUAGES`` lists the codes checked to survive; others: 'und').
- AVI: no languages (always 'und'), no dispositions (never default/forced);
  titles survive (``strn`` chunks).

Container names (``CorpusFile.container``) are short names a prober would
report after normalising the demuxer name: "matroska", "webm", "mp4", "mov",
"avi". ``CorpusFile.format_name`` is the raw demuxer name that ffprobe and PyAV
report ("matroska,webm", "mov,mp4,m4a,3gp,3g2,mj2", "avi").
"""

from __future__ import annotations

import argparse
import concurrent.futures
import errno
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import NamedTuple

FFMPEG = os.environ.get("VPO_TEST_FFMPEG", "ffmpeg")
FFPROBE = os.environ.get("VPO_TEST_FFPROBE", "ffprobe")

NON_UTF8_NAME = os.fsdecode(b"caf\xe9-latin1.mkv")
"""The corpus's non-UTF-8 file name (latin-1 'é'), as a surrogate-escaped str."""

_ID_PREFIX = b"vpo-media-id:"
_ID_PLACEHOLDER = _ID_PREFIX + b"0" * 16


# --------------------------------------------------------------------------- model


@dataclass(frozen=True)
class ExpectedTrack:
    """One stream as ``ffprobe -show_streams -of json`` reports it."""

    index: int
    type: str  # video | audio | subtitle | attachment
    codec: str  # ffprobe codec_name (PyAV: stream.codec_context.codec.canonical_name)
    language: str  # ISO 639-2 as stored, 'und' when unset
    title: str | None
    default: bool
    forced: bool
    channels: int | None
    width: int | None
    height: int | None


@dataclass(frozen=True)
class CorpusFile:
    path: Path  # absolute; the non-UTF-8 one is Path(os.fsdecode(raw bytes))
    kind: str  # "video": must scan ok; "broken": must be a probe error
    container: str  # "matroska" | "webm" | "mp4" | "mov" | "avi"; "" for broken
    tracks: tuple[ExpectedTrack, ...]  # empty for broken
    format_name: str = ""  # raw demuxer name, e.g. "matroska,webm"; "" for broken

    @property
    def fspath(self) -> bytes:
        """The path as the raw bytes the OS holds."""
        return os.fsencode(self.path)


@dataclass(frozen=True)
class Corpus:
    root: Path
    files: tuple[CorpusFile, ...]  # every file a scan MUST report (videos + broken)
    ignored: tuple[Path, ...]  # files a scan must NOT report (hidden dir, .txt)

    def by_name(self, name: str) -> CorpusFile:
        """Look a file up by its path relative to the root ("sub dir/with space.mkv")
        or, when unambiguous, by its base name ("with space.mkv")."""
        for f in self.files:
            if f.path.relative_to(self.root).as_posix() == name:
                return f
        matches = [f for f in self.files if f.path.name == name]
        if len(matches) == 1:
            return matches[0]
        raise KeyError(f"{name!r}: {len(matches)} corpus files match")

    @property
    def videos(self) -> tuple[CorpusFile, ...]:
        return tuple(f for f in self.files if f.kind == "video")

    @property
    def broken(self) -> tuple[CorpusFile, ...]:
        return tuple(f for f in self.files if f.kind == "broken")

    def rebased(self, root: Path) -> Corpus:
        """The same corpus with every path moved under ``root`` (after a copy)."""
        root = Path(root)

        def move(p: Path) -> Path:
            return root / p.relative_to(self.root)

        return Corpus(
            root=root,
            files=tuple(replace(f, path=move(f.path)) for f in self.files),
            ignored=tuple(move(p) for p in self.ignored),
        )


class AudioSpec(NamedTuple):
    """An audio track; a plain tuple ``(language, title, default, channels)`` works too."""

    language: str | None = "eng"  # None: no language tag (reads back 'und')
    title: str | None = None
    default: bool = False
    channels: int = 2
    forced: bool = False


class SubtitleSpec(NamedTuple):
    """A subtitle track; a plain tuple ``(language, title, default, forced)`` works too."""

    language: str | None = "eng"
    title: str | None = None
    default: bool = False
    forced: bool = False


class AttachmentSpec(NamedTuple):
    """A Matroska attachment (a fake TrueType font; ffprobe codec 'ttf')."""

    filename: str = "font.ttf"
    title: str | None = None


# container -> (ffmpeg muxer, video codec, audio codec, subtitle codec,
#               short container name, ffprobe format_name)
_CONTAINERS: dict[str, tuple[str, str, str, str | None, str, str]] = {
    "mkv": ("matroska", "h264", "aac", "subrip", "matroska", "matroska,webm"),
    "webm": ("webm", "vp8", "opus", "webvtt", "webm", "matroska,webm"),
    "mp4": ("mp4", "h264", "aac", "mov_text", "mp4", "mov,mp4,m4a,3gp,3g2,mj2"),
    "m4v": ("mp4", "h264", "aac", "mov_text", "mp4", "mov,mp4,m4a,3gp,3g2,mj2"),
    "mov": ("mov", "h264", "aac", "mov_text", "mov", "mov,mp4,m4a,3gp,3g2,mj2"),
    "avi": ("avi", "mpeg4", "mp3", None, "avi", "avi"),
}
# codec name (as ffprobe reports it) -> ffmpeg encoder arguments
_ENCODERS: dict[str, list[str]] = {
    "h264": ["libx264", "-preset", "ultrafast", "-tune", "zerolatency"],
    "mpeg4": ["mpeg4", "-q:v", "10"],
    "vp8": ["libvpx", "-deadline", "realtime", "-cpu-used", "8", "-b:v", "50k"],
    "vp9": ["libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8", "-b:v", "50k"],
    "aac": ["aac", "-b:a", "24k"],
    "mp3": ["libmp3lame", "-b:a", "16k"],
    "opus": ["libopus", "-b:a", "16k"],
    "flac": ["flac"],
    "pcm_s16le": ["pcm_s16le"],
    "subrip": ["srt"],
    "ass": ["ass"],
    "mov_text": ["mov_text"],
    "webvtt": ["webvtt"],
}


# Languages that survive a MOV (QuickTime) round trip in ffmpeg 5.1, checked one by one;
# e.g. fre, deu, zho, nld, swe, cze, rum, hrv, srp, fas read back 'und'.
_MOV_LANGUAGES = frozenset(
    [
        "eng",
        "fra",
        "ger",
        "ita",
        "spa",
        "por",
        "jpn",
        "chi",
        "kor",
        "rus",
        "ara",
        "hin",
        "dut",
        "nor",
        "dan",
        "fin",
        "pol",
        "ces",
        "hun",
        "gre",
        "tur",
        "heb",
        "tha",
        "vie",
        "ind",
        "may",
        "ron",
        "ukr",
        "bul",
        "slv",
        "slk",
        "cat",
        "est",
        "lav",
        "lit",
        "ice",
        "per",
    ]
)


def container_of(dest: Path, container: str | None = None) -> str:
    """The container key for ``dest``: ``container`` if given, else its suffix, else mkv."""
    if container is not None:
        key = container.lower().lstrip(".")
        if key == "matroska":
            key = "mkv"
        if key not in _CONTAINERS:
            raise ValueError(f"unsupported container {container!r}; one of {sorted(_CONTAINERS)}")
        return key
    suffix = Path(dest).suffix.lower().lstrip(".")
    return suffix if suffix in _CONTAINERS else "mkv"


def container_name(container: str) -> str:
    return _CONTAINERS[container_of(Path(), container)][4]


def format_name(container: str) -> str:
    return _CONTAINERS[container_of(Path(), container)][5]


def audio_specs(audio: Iterable[Sequence | AudioSpec]) -> tuple[AudioSpec, ...]:
    return tuple(a if isinstance(a, AudioSpec) else AudioSpec(*a) for a in audio)


def subtitle_specs(subs: Iterable[Sequence | SubtitleSpec]) -> tuple[SubtitleSpec, ...]:
    return tuple(s if isinstance(s, SubtitleSpec) else SubtitleSpec(*s) for s in subs)


def attachment_specs(atts: Iterable[Sequence | str | AttachmentSpec]) -> tuple[AttachmentSpec, ...]:
    out = []
    for a in atts:
        if isinstance(a, AttachmentSpec):
            out.append(a)
        elif isinstance(a, str):
            out.append(AttachmentSpec(a))
        else:
            out.append(AttachmentSpec(*a))
    return tuple(out)


# --------------------------------------------------------------------------- ffmpeg


def _run(args: list[str]) -> None:
    proc = subprocess.run(args, stdin=subprocess.DEVNULL, capture_output=True)
    if proc.returncode != 0:
        raise RuntimeError(
            f"{args[0]} failed ({proc.returncode}): {proc.stderr.decode(errors='replace').strip()}\n"
            f"command: {args!r}"
        )


def _srt(duration: float, text: str) -> str:
    end_ms = max(100, int(duration * 1000) - 100)
    return f"1\n00:00:00,000 --> 00:00:{end_ms // 1000:02d},{end_ms % 1000:03d}\n{text}\n\n"


def make_video(
    dest: Path,
    *,
    container: str | None = None,
    audio: Sequence[Sequence | AudioSpec] = (("eng", None, True, 2),),
    subtitles: Sequence[Sequence | SubtitleSpec] = (),
    attachments: Sequence[Sequence | str | AttachmentSpec] = (),
    video_title: str | None = None,
    video_language: str | None = None,
    video_default: bool = True,
    duration: float = 1.0,
    width: int = 64,
    height: int = 48,
    fps: int = 5,
    video_codec: str | None = None,
    audio_codec: str | None = None,
    subtitle_codec: str | None = None,
    tone: int = 440,
) -> Path:
    """Encode one small video file at ``dest`` and return ``dest``.

    ``container`` defaults to ``dest``'s suffix (case-insensitive; mkv when the
    suffix is unknown), so ``UPPER.MKV`` or ``x.bin`` work. Tracks come out in
    the order video, audio..., subtitles..., attachments...; each audio track is
    ``AudioSpec(language, title, default, channels[, forced])`` and each subtitle
    ``SubtitleSpec(language, title, default, forced)`` (plain tuples accepted).
    Every disposition is set explicitly, so ffmpeg's own "first track is
    default" guess never applies (except where the container forces it, see the
    module docstring). Codecs default per container (h264/aac/subrip in mkv,
    h264/aac/mov_text in mp4, mpeg4/mp3 in avi, vp8/opus/webvtt in webm);
    ``tone`` changes the audio frequency and video pattern so masters differ.
    ``expected_tracks`` gives what ffprobe will report for the same arguments.
    """
    dest = Path(dest)
    key = container_of(dest, container)
    muxer, vdef, adef, sdef, _, _ = _CONTAINERS[key]
    vcodec, acodec = video_codec or vdef, audio_codec or adef
    scodec = subtitle_codec or sdef
    audio_t, subs_t, atts_t = audio_specs(audio), subtitle_specs(subtitles), attachment_specs(attachments)
    if subs_t and scodec is None:
        raise ValueError(f"{key} cannot carry subtitles")
    if atts_t and key not in ("mkv",):
        raise ValueError("attachments need Matroska (mkv)")
    if vcodec == "h264" and (width % 2 or height % 2):
        raise ValueError("h264 needs even width and height")

    pattern = ("testsrc", "testsrc2", "smptebars", "rgbtestsrc")[(tone // 10) % 4]
    args = [FFMPEG, "-nostdin", "-hide_banner", "-loglevel", "error", "-y"]
    args += ["-f", "lavfi", "-i", f"{pattern}=size={width}x{height}:rate={fps}:duration={duration}"]
    args += ["-f", "lavfi", "-i", f"sine=frequency={tone}:sample_rate=8000:duration={duration}"]
    with tempfile.TemporaryDirectory(prefix="vpo-media-") as tmp:
        if subs_t:
            srt = Path(tmp, "subs.srt")
            srt.write_text(_srt(duration, "Hello from VPO"), encoding="utf-8")
            args += ["-i", str(srt)]
        for i, a in enumerate(atts_t):
            att = Path(tmp, f"att{i}.ttf")
            att.write_bytes(b"\x00\x01\x00\x00 not a real font " + a.filename.encode())
            args += ["-attach", str(att)]

        args += ["-map", "0:v"]
        for _ in audio_t:
            args += ["-map", "1:a"]
        for _ in subs_t:
            args += ["-map", "2:s"]
        args += ["-c:v", *_ENCODERS[vcodec], "-threads", "1"]
        if audio_t:
            args += ["-c:a", *_ENCODERS[acodec]]
        if subs_t:
            args += ["-c:s", *_ENCODERS[scodec]]

        def disposition(default: bool, forced: bool) -> str:
            flags = [n for n, on in (("default", default), ("forced", forced)) if on]
            return "+".join(flags) or "0"

        meta = ["-metadata", f"comment={_ID_PLACEHOLDER.decode()}"]
        if video_title is not None:
            meta += ["-metadata:s:v:0", f"title={video_title}"]
        if video_language is not None:
            meta += ["-metadata:s:v:0", f"language={video_language}"]
        meta += ["-disposition:v:0", disposition(video_default, False)]
        for i, a in enumerate(audio_t):
            args += [f"-ac:a:{i}", str(a.channels)]
            if a.language is not None:
                meta += [f"-metadata:s:a:{i}", f"language={a.language}"]
            if a.title is not None:
                meta += [f"-metadata:s:a:{i}", f"title={a.title}"]
            meta += [f"-disposition:a:{i}", disposition(a.default, a.forced)]
        for i, s in enumerate(subs_t):
            if s.language is not None:
                meta += [f"-metadata:s:s:{i}", f"language={s.language}"]
            if s.title is not None:
                meta += [f"-metadata:s:s:{i}", f"title={s.title}"]
            meta += [f"-disposition:s:{i}", disposition(s.default, s.forced)]
        for i, a in enumerate(atts_t):
            meta += [f"-metadata:s:t:{i}", "mimetype=application/x-truetype-font"]
            meta += [f"-metadata:s:t:{i}", f"filename={a.filename}"]
            if a.title is not None:
                meta += [f"-metadata:s:t:{i}", f"title={a.title}"]
        args += meta
        if muxer in ("matroska", "webm"):
            args += ["-default_mode", "passthrough"]  # keep exactly the flags set above
        args += ["-f", muxer, os.fsdecode(dest)]
        dest.parent.mkdir(parents=True, exist_ok=True)
        _run(args)
    return dest


def expected_tracks(
    *,
    container: str = "mkv",
    audio: Sequence[Sequence | AudioSpec] = (("eng", None, True, 2),),
    subtitles: Sequence[Sequence | SubtitleSpec] = (),
    attachments: Sequence[Sequence | str | AttachmentSpec] = (),
    video_title: str | None = None,
    video_language: str | None = None,
    video_default: bool = True,
    width: int = 64,
    height: int = 48,
    video_codec: str | None = None,
    audio_codec: str | None = None,
    subtitle_codec: str | None = None,
    **_ignored: object,
) -> tuple[ExpectedTrack, ...]:
    """What ffprobe reports for ``make_video(..., same arguments)`` (rules: module docstring)."""
    key = container_of(Path(), container)
    _, vdef, adef, sdef, name, _ = _CONTAINERS[key]
    quicktime, avi = name in ("mp4", "mov"), name == "avi"

    def lang(value: str | None) -> str:
        if value is None or avi or (name == "mov" and value not in _MOV_LANGUAGES):
            return "und"
        return value

    def title(value: str | None) -> str | None:
        return None if quicktime else value

    def flags(defaults: list[bool], forced: list[bool]) -> tuple[list[bool], list[bool]]:
        if avi:
            return [False] * len(defaults), [False] * len(forced)
        if quicktime and defaults and not any(defaults):
            defaults = [True, *defaults[1:]]
        return defaults, forced

    tracks: list[ExpectedTrack] = []
    vd, _ = flags([video_default], [False])
    tracks.append(
        ExpectedTrack(
            0,
            "video",
            video_codec or vdef,
            lang(video_language),
            title(video_title),
            vd[0],
            False,
            None,
            width,
            height,
        )
    )
    audio_t = audio_specs(audio)
    ad, af = flags([a.default for a in audio_t], [a.forced for a in audio_t])
    for a, d, f in zip(audio_t, ad, af):
        tracks.append(
            ExpectedTrack(
                len(tracks),
                "audio",
                audio_codec or adef,
                lang(a.language),
                title(a.title),
                d,
                f,
                a.channels,
                None,
                None,
            )
        )
    subs_t = subtitle_specs(subtitles)
    sd, sf = flags([s.default for s in subs_t], [s.forced for s in subs_t])
    for s, d, f in zip(subs_t, sd, sf):
        tracks.append(
            ExpectedTrack(
                len(tracks),
                "subtitle",
                subtitle_codec or sdef or "",
                lang(s.language),
                title(s.title),
                d,
                f,
                None,
                None,
                None,
            )
        )
    for a in attachment_specs(attachments):
        tracks.append(
            ExpectedTrack(len(tracks), "attachment", "ttf", "und", a.title, False, False, None, None, None)
        )
    return tuple(tracks)


def probe_tracks(path: Path) -> tuple[ExpectedTrack, ...]:
    """Read the tracks of ``path`` with ffprobe, in ExpectedTrack form (for tests)."""
    return tuple(_track_from_stream(s) for s in ffprobe(path).get("streams", []))


def ffprobe(path: Path) -> dict:
    """``ffprobe -show_streams -show_format -of json``; RuntimeError when it fails."""
    proc = subprocess.run(
        [FFPROBE, "-v", "error", "-show_streams", "-show_format", "-of", "json", os.fsdecode(path)],
        stdin=subprocess.DEVNULL,
        capture_output=True,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"ffprobe {os.fsdecode(path)!r}: {proc.stderr.decode(errors='replace').strip()}")
    return json.loads(proc.stdout)


def _track_from_stream(s: dict) -> ExpectedTrack:
    tags = {k.lower(): v for k, v in (s.get("tags") or {}).items()}
    disp = s.get("disposition") or {}
    return ExpectedTrack(
        index=s["index"],
        type=s.get("codec_type", ""),
        codec=s.get("codec_name", ""),
        language=tags.get("language") or "und",
        title=tags.get("title"),
        default=bool(disp.get("default")),
        forced=bool(disp.get("forced")),
        channels=s.get("channels"),
        width=s.get("width"),
        height=s.get("height"),
    )


# --------------------------------------------------------------------------- copies


def copy_unique(src: Path | bytes, dst: Path | bytes, unique_id: int, *, data: bytes | None = None) -> None:
    """Copy a master to ``dst`` (a new, separate file) with its media id set to
    ``unique_id``, so the copy's bytes differ from every other copy's."""
    if data is None:
        with open(src, "rb") as fh:
            data = fh.read()
    if _ID_PLACEHOLDER not in data:  # once, or twice in MOV (©cmt and ©des)
        raise ValueError(f"{os.fsdecode(src)!r} has no media id placeholder")
    stamped = data.replace(_ID_PLACEHOLDER, _ID_PREFIX + b"%016x" % (unique_id & (2**64 - 1)))
    os.makedirs(os.path.dirname(dst) or ".", exist_ok=True)
    with open(dst, "wb") as fh:
        fh.write(stamped)


def _build_masters(jobs: dict[str, tuple[Path, dict]]) -> dict[str, Path]:
    """Run make_video for each (dest, kwargs) in parallel (one ffmpeg per core)."""
    workers = max(1, min(len(jobs), os.cpu_count() or 1))
    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        futures = {name: pool.submit(make_video, dest, **kw) for name, (dest, kw) in jobs.items()}
        return {name: fut.result() for name, fut in futures.items()}


# --------------------------------------------------------------------------- truncation


def _read_vint(data: bytes, pos: int, *, keep_marker: bool) -> tuple[int, int]:
    first = data[pos]
    length = 1
    while length <= 8 and not first & (0x80 >> (length - 1)):
        length += 1
    if length > 8:
        raise ValueError(f"bad EBML vint at {pos}")
    value = first if keep_marker else first & (0xFF >> length)
    for b in data[pos + 1 : pos + length]:
        value = (value << 8) | b
    return value, pos + length


def matroska_tracks_offset(data: bytes) -> int:
    """Offset of the top-level Tracks element of a Matroska file (a tiny EBML walk)."""
    ebml_id, pos = _read_vint(data, 0, keep_marker=True)
    if ebml_id != 0x1A45DFA3:
        raise ValueError("not an EBML file")
    size, pos = _read_vint(data, pos, keep_marker=False)
    pos += size
    seg_id, pos = _read_vint(data, pos, keep_marker=True)
    if seg_id != 0x18538067:
        raise ValueError("no Segment after the EBML header")
    _, pos = _read_vint(data, pos, keep_marker=False)
    while pos < len(data):
        start = pos
        elem, pos = _read_vint(data, pos, keep_marker=True)
        size, pos = _read_vint(data, pos, keep_marker=False)
        if elem == 0x1654AE6B:
            return start
        pos += size
    raise ValueError("no Tracks element")


# Truncated Matroska: cut 16 bytes into the top-level Tracks element, i.e. inside
# the first TrackEntry (~byte 300 of a ~20 KB file). The EBML header, SeekHead and
# Segment Info are intact, so the file still *looks* like Matroska, but no track is
# complete. A cut in the middle of the file does not work: the headers sit at the
# start, so ffprobe and PyAV open it fine and list every stream. Checked for every
# cut length 1..1400 of the corpus master: ffprobe 5.1 exits 1 ("Invalid data") up
# to the end of Tracks (~1270) and PyAV 18 (FFmpeg 8 libs) raises InvalidDataError,
# EOFError or plain OSError (FFmpegError) — probers must catch all of them.
TRUNCATE_INTO_TRACKS = 16


def truncated_copy(src: Path, dst: Path) -> int:
    """Write a copy of the Matroska ``src`` cut inside its track list; returns the length."""
    data = Path(src).read_bytes()
    cut = matroska_tracks_offset(data) + TRUNCATE_INTO_TRACKS
    Path(dst).write_bytes(data[:cut])
    return cut


def random_bytes_file(dst: Path, size: int = 4096, seed: int = 42) -> None:
    """Deterministic noise with a video extension (not really video)."""
    Path(dst).write_bytes(random.Random(seed).randbytes(size))


# --------------------------------------------------------------------------- corpus

MOVIE = dict(
    container="mkv",
    video_title="Main Feature",
    audio=(
        AudioSpec("eng", None, True, 2),
        AudioSpec("jpn", None, False, 2),
        AudioSpec("eng", "Director's Commentary", False, 1),
    ),
    subtitles=(SubtitleSpec("eng", "English", False, False),),
    tone=440,
)
DUAL = dict(
    container="mp4",
    audio=(AudioSpec("eng", None, True, 2), AudioSpec("fre", None, False, 2)),
    subtitles=(SubtitleSpec("spa", None, False, False),),
    tone=550,
)
CLIP = dict(container="avi", audio=(AudioSpec(None, None, False, 1),), tone=660)


def build_corpus(dest: Path) -> Corpus:
    """Build the standard corpus under ``dest`` (created if needed); ~1 s.

    Videos (must scan ok): movie.mkv, dual.mp4, clip.avi, UPPER.MKV,
    -starts-with-dash.mkv, "sub dir/with space.mkv", caf\\xe9-latin1.mkv (raw
    latin-1 byte; skipped on a file system that refuses non-UTF-8 names).
    The copies share movie.mkv's tracks but not its bytes.
    Broken (must be probe errors): empty.mkv, random.mkv, truncated.mkv.
    Ignored (must not be reported): .hidden/secret.mkv, notes.txt.
    """
    root = Path(dest).absolute()
    root.mkdir(parents=True, exist_ok=True)
    masters_dir = Path(tempfile.mkdtemp(prefix="vpo-masters-"))
    try:
        specs = {"movie": MOVIE, "dual": DUAL, "clip": CLIP}
        masters = _build_masters({n: (masters_dir / f"{n}.{kw['container']}", kw) for n, kw in specs.items()})
        files: list[CorpusFile] = []

        def video(rel: str | bytes, master: str, uid: int) -> None:
            raw = os.fsencode(root) + b"/" + os.fsencode(rel)
            os.makedirs(os.path.dirname(raw), exist_ok=True)
            copy_unique(masters[master], raw, uid)
            kw = specs[master]
            files.append(
                CorpusFile(
                    Path(os.fsdecode(raw)),
                    "video",
                    container_name(kw["container"]),
                    expected_tracks(**kw),
                    format_name(kw["container"]),
                )
            )

        video("movie.mkv", "movie", 1)
        video("dual.mp4", "dual", 2)
        video("clip.avi", "clip", 3)
        video("UPPER.MKV", "movie", 4)
        video("-starts-with-dash.mkv", "movie", 5)
        video("sub dir/with space.mkv", "movie", 6)
        try:
            video(os.fsencode(NON_UTF8_NAME), "movie", 7)
        except OSError as exc:  # e.g. macOS file systems refusing non-UTF-8 names
            if exc.errno not in (errno.EILSEQ, errno.EINVAL):
                raise

        (root / "empty.mkv").write_bytes(b"")
        random_bytes_file(root / "random.mkv")
        truncated_copy(masters["movie"], root / "truncated.mkv")
        for name in ("empty.mkv", "random.mkv", "truncated.mkv"):
            files.append(CorpusFile(root / name, "broken", "", ()))

        copy_unique(masters["movie"], root / ".hidden" / "secret.mkv", 8)
        (root / "notes.txt").write_text("Not a video: a scan must not report this file.\n")
        ignored = (root / ".hidden" / "secret.mkv", root / "notes.txt")
    finally:
        shutil.rmtree(masters_dir, ignore_errors=True)
    return Corpus(root=root, files=tuple(files), ignored=ignored)


# --------------------------------------------------------------------------- demo & bulk

# Varied layouts for the demo and bench libraries (names for humans reading `vpo inspect`).
LAYOUTS: dict[str, dict] = {
    "feature": MOVIE,
    "anime": dict(  # Japanese first and default, English second: a policy reorders it
        container="mkv",
        audio=(AudioSpec("jpn", None, True, 2), AudioSpec("eng", "English Dub", False, 2)),
        subtitles=(
            SubtitleSpec("eng", "Signs & Songs", False, True),
            SubtitleSpec("eng", "Full", True, False),
        ),
        attachments=(AttachmentSpec("OpenSans.ttf"),),
        tone=770,
    ),
    "surround": dict(  # 5.1 main track, commentary wrongly default
        container="mkv",
        audio=(AudioSpec("eng", "Commentary", True, 2), AudioSpec("eng", "Surround 5.1", False, 6)),
        subtitles=(SubtitleSpec("fre", None, False, False), SubtitleSpec("eng", "Forced", False, True)),
        tone=880,
    ),
    "plain": dict(container="mkv", audio=(AudioSpec(None, None, True, 2),), tone=330),
    "dual": DUAL,
    "clip": CLIP,
}

_MOVIE_NAMES = [
    "The Quiet Harbour (1998)",
    "Signal Lost (2011)",
    "Paper Moons (1974)",
    "Northbound (2019)",
    "A Glass of Rain (2003)",
    "The Last Lighthouse (1987)",
    "Copper Sky (2015)",
    "Small Hours (2008)",
    "Fields of Static (2021)",
    "Letters to Nowhere (1993)",
    "Midnight Tram (1966)",
    "Salt and Ash (2012)",
]
_SHOWS = ["Night Shift Radio", "Harbour Watch", "Kitchen Physics"]


def make_demo_library(dest: Path, *, count: int = 24) -> Path:
    """A small varied library: ``movies/Name (Year)/Name (Year).ext`` and
    ``tv/Show/Season 01/Show - S01E0N.mkv`` with the LAYOUTS above, plus
    ``count // 8`` broken files (truncated, empty, noise). ~2 s."""
    root = Path(dest).absolute()
    root.mkdir(parents=True, exist_ok=True)
    n_broken = count // 8 if count >= 3 else 0
    n_videos = count - n_broken
    masters_dir = Path(tempfile.mkdtemp(prefix="vpo-masters-"))
    try:
        masters = _build_masters(
            {n: (masters_dir / f"{n}.{kw['container']}", kw) for n, kw in LAYOUTS.items()}
        )
        layouts = list(LAYOUTS)
        ext = {"mp4": "mp4", "avi": "avi", "mkv": "mkv"}
        n_movies = (n_videos + 1) // 2
        for i in range(n_videos):
            layout = layouts[i % len(layouts)]
            suffix = ext[LAYOUTS[layout]["container"]]
            if i < n_movies:
                base = _MOVIE_NAMES[i % len(_MOVIE_NAMES)]
                if i >= len(_MOVIE_NAMES):
                    base = f"{base[:-7]} Part {i // len(_MOVIE_NAMES) + 1}{base[-7:]}"
                rel = Path("movies", base, f"{base}.{suffix}")
            else:
                j = i - n_movies
                show = _SHOWS[j % len(_SHOWS)]
                season, episode = j // (len(_SHOWS) * 10) + 1, (j // len(_SHOWS)) % 10 + 1
                rel = Path(
                    "tv", show, f"Season {season:02d}", f"{show} - S{season:02d}E{episode:02d}.{suffix}"
                )
            copy_unique(masters[layout], root / rel, 1000 + i)
        for k in range(n_broken):
            target = root / "movies" / "Damaged" / f"damaged-{k + 1:02d}.mkv"
            target.parent.mkdir(parents=True, exist_ok=True)
            kind = k % 3
            if kind == 0:
                truncated_copy(masters["feature"], target)
            elif kind == 1:
                target.write_bytes(b"")
            else:
                random_bytes_file(target, seed=42 + k)
    finally:
        shutil.rmtree(masters_dir, ignore_errors=True)
    # A library's files are old: a file modified in the last seconds is re-checked by the
    # next scan (the racy rule), which would make the demo's second scan probe everything.
    stamp = time.time() - 86400
    for dirpath, _dirs, names in os.walk(root):
        for name in names:
            os.utime(os.path.join(dirpath, name), (stamp, stamp))
    return root


_BULK_LAYOUTS = ("plain", "feature", "dual", "anime", "surround")


def make_bulk_library(dest: Path, *, count: int, dirs: int = 10) -> Path:
    """``count`` valid files for benchmarks in ``dir-00 .. dir-NN``: a handful of
    masters, each file a separate copy with its own bytes (never a hard link),
    names unique (``bulk-0000042.mkv``)."""
    if count < 0 or dirs < 1:
        raise ValueError("count must be >= 0 and dirs >= 1")
    root = Path(dest).absolute()
    root.mkdir(parents=True, exist_ok=True)
    masters_dir = Path(tempfile.mkdtemp(prefix="vpo-masters-"))
    try:
        names = _BULK_LAYOUTS[: max(1, min(len(_BULK_LAYOUTS), count))]
        masters = _build_masters(
            {n: (masters_dir / f"{n}.{LAYOUTS[n]['container']}", LAYOUTS[n]) for n in names}
        )
        blobs = {n: (masters[n].read_bytes(), LAYOUTS[n]["container"]) for n in names}
        width = max(2, len(str(dirs - 1)))
        for d in range(dirs):
            (root / f"dir-{d:0{width}d}").mkdir(exist_ok=True)
        for i in range(count):
            data, suffix = blobs[names[i % len(names)]]
            path = root / f"dir-{i % dirs:0{width}d}" / f"bulk-{i:07d}.{suffix}"
            copy_unique(path, path, 10_000_000 + i, data=data)
    finally:
        shutil.rmtree(masters_dir, ignore_errors=True)
    return root


# --------------------------------------------------------------------------- CLI


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="media.py", description="Generate tiny test media for VPO.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("corpus", help="the standard test corpus")
    p.add_argument("dest", type=Path)
    p = sub.add_parser("demo", help="a small varied demo library (movies/, tv/, a few broken files)")
    p.add_argument("dest", type=Path)
    p.add_argument("--count", type=int, default=24)
    p = sub.add_parser("bulk", help="COUNT files for benchmarks")
    p.add_argument("dest", type=Path)
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--dirs", type=int, default=10)
    args = parser.parse_args(argv)

    if args.command == "corpus":
        corpus = build_corpus(args.dest)
        rows = [(f.kind, f.path) for f in corpus.files] + [("ignored", p) for p in corpus.ignored]
        for kind, path in rows:  # raw bytes: one name is not UTF-8
            sys.stdout.buffer.write(
                b"%-7s %s\n" % (kind.encode(), os.fsencode(path.relative_to(corpus.root)))
            )
    elif args.command == "demo":
        print(make_demo_library(args.dest, count=args.count))
    else:
        print(make_bulk_library(args.dest, count=args.count, dirs=args.dirs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
