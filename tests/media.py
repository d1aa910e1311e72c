"""Generate real, tiny media files for VPO's tests, demos and benchmarks.

Standard library only; importable as ``media`` (``tests/`` is put on ``sys.path``
by ``tests/conftest.py``). The demo and bulk libraries built of these files, and the
command line, are in ``media_libraries.py`` (which imports this module, never the reverse)::

    python tests/media_libraries.py corpus DEST          # the standard test corpus
    python tests/media_libraries.py demo DEST [--count N] # a small varied library (make demo)
    python tests/media_libraries.py bulk DEST --count N   # N files for benchmarks

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

import concurrent.futures
import errno
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

from media_bytes import (  # noqa: F401 - re-exported: tests use media.NAME
    _ID_PLACEHOLDER,
    _ID_PREFIX,
    TRUNCATE_INTO_TRACKS,
    _read_vint,
    copy_unique,
    matroska_tracks_offset,
    random_bytes_file,
    truncated_copy,
)
from media_model import (
    _CONTAINERS,
    _ENCODERS,
    AttachmentSpec,
    AudioSpec,
    Corpus,
    CorpusFile,
    ExpectedTrack,
    SubtitleSpec,
    attachment_specs,
    audio_specs,
    container_name,
    container_of,
    expected_tracks,
    format_name,
    subtitle_specs,
)

FFMPEG = os.environ.get("VPO_TEST_FFMPEG", "ffmpeg")
FFPROBE = os.environ.get("VPO_TEST_FFPROBE", "ffprobe")

NON_UTF8_NAME = os.fsdecode(b"caf\xe9-latin1.mkv")
"""The corpus's non-UTF-8 file name (latin-1 'é'), as a surrogate-escaped str."""


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
        args += _file_inputs(Path(tmp), subs_t, atts_t, duration)
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
        for i, a in enumerate(audio_t):
            args += [f"-ac:a:{i}", str(a.channels)]
        args += ["-metadata", f"comment={_ID_PLACEHOLDER.decode()}"]
        args += _video_metadata(video_title, video_language, video_default)
        args += _stream_metadata(audio_t, subs_t, atts_t)
        if muxer in ("matroska", "webm"):
            args += ["-default_mode", "passthrough"]  # keep exactly the flags set above
        args += ["-f", muxer, os.fsdecode(dest)]
        dest.parent.mkdir(parents=True, exist_ok=True)
        _run(args)
    return dest


def _file_inputs(
    tmp: Path, subs_t: Sequence[SubtitleSpec], atts_t: Sequence[AttachmentSpec], duration: float
) -> list[str]:
    """ffmpeg's inputs from files written in `tmp`: one SRT for the subtitles, a fake
    font per attachment."""
    args = []
    if subs_t:
        srt = tmp / "subs.srt"
        srt.write_text(_srt(duration, "Hello from VPO"), encoding="utf-8")
        args += ["-i", str(srt)]
    for i, a in enumerate(atts_t):
        att = tmp / f"att{i}.ttf"
        att.write_bytes(b"\x00\x01\x00\x00 not a real font " + a.filename.encode())
        args += ["-attach", str(att)]
    return args


def _disposition(default: bool, forced: bool) -> str:
    flags = [n for n, on in (("default", default), ("forced", forced)) if on]
    return "+".join(flags) or "0"


def _video_metadata(title: str | None, language: str | None, default: bool) -> list[str]:
    meta = []
    if title is not None:
        meta += ["-metadata:s:v:0", f"title={title}"]
    if language is not None:
        meta += ["-metadata:s:v:0", f"language={language}"]
    return [*meta, "-disposition:v:0", _disposition(default, False)]


def _stream_metadata(
    audio_t: Sequence[AudioSpec], subs_t: Sequence[SubtitleSpec], atts_t: Sequence[AttachmentSpec]
) -> list[str]:
    """Every audio and subtitle track's language, title and disposition (each set
    explicitly), and every attachment's MIME type, file name and title."""
    meta: list[str] = []
    for kind, specs in (("a", audio_t), ("s", subs_t)):
        for i, t in enumerate(specs):
            if t.language is not None:
                meta += [f"-metadata:s:{kind}:{i}", f"language={t.language}"]
            if t.title is not None:
                meta += [f"-metadata:s:{kind}:{i}", f"title={t.title}"]
            meta += [f"-disposition:{kind}:{i}", _disposition(t.default, t.forced)]
    for i, a in enumerate(atts_t):
        meta += [f"-metadata:s:t:{i}", "mimetype=application/x-truetype-font"]
        meta += [f"-metadata:s:t:{i}", f"filename={a.filename}"]
        if a.title is not None:
            meta += [f"-metadata:s:t:{i}", f"title={a.title}"]
    return meta


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


def _build_masters(jobs: dict[str, tuple[Path, dict]]) -> dict[str, Path]:
    """Run make_video for each (dest, kwargs) in parallel (one ffmpeg per core)."""
    workers = max(1, min(len(jobs), os.cpu_count() or 1))
    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        futures = {name: pool.submit(make_video, dest, **kw) for name, (dest, kw) in jobs.items()}
        return {name: fut.result() for name, fut in futures.items()}


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
