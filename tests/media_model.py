"""The test corpus's model: what a generated file is and which tracks ffprobe will report
for it (the rules are in media.py's docstring, which re-exports these names)."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import NamedTuple

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
