"""The media generator's promises, checked against the real tools.

Each corpus file's ExpectedTrack list must be exactly what ffprobe reports, the
broken files must fail to probe (ffprobe and, where installed, PyAV), and the
builders must give valid, distinct, separate files.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path

import pytest

import media
import media_libraries

VIDEO_NAMES = [
    "movie.mkv",
    "dual.mp4",
    "clip.avi",
    "UPPER.MKV",
    "-starts-with-dash.mkv",
    "sub dir/with space.mkv",
    media.NON_UTF8_NAME,
]
BROKEN_NAMES = ["empty.mkv", "random.mkv", "truncated.mkv"]


def _sha(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _ffprobe_fails(path: Path) -> bool:
    proc = subprocess.run(
        ["ffprobe", "-v", "error", "-show_streams", "-of", "json", os.fsdecode(path)],
        capture_output=True,
    )
    return proc.returncode != 0 or '"codec_type"' not in proc.stdout.decode(errors="replace")


def test_corpus_lists_every_file_once(corpus: media.Corpus) -> None:
    rel = sorted(f.path.relative_to(corpus.root).as_posix() for f in corpus.files)
    assert rel == sorted(VIDEO_NAMES + BROKEN_NAMES)
    assert {f.path.name for f in corpus.videos} == {Path(n).name for n in VIDEO_NAMES}
    assert {f.path.name for f in corpus.broken} == set(BROKEN_NAMES)
    for f in corpus.files:
        assert f.path.is_absolute() and f.path.is_file()
        assert f.kind in ("video", "broken")
        assert (f.kind == "video") == bool(f.tracks) == bool(f.container)
    assert [p.relative_to(corpus.root).as_posix() for p in corpus.ignored] == [
        ".hidden/secret.mkv",
        "notes.txt",
    ]
    assert all(p.is_file() for p in corpus.ignored)
    assert corpus.by_name("with space.mkv") is corpus.by_name("sub dir/with space.mkv")


def test_non_utf8_name_is_raw_latin1_bytes(corpus: media.Corpus) -> None:
    f = corpus.by_name(media.NON_UTF8_NAME)
    assert os.fsencode(f.path).endswith(b"/caf\xe9-latin1.mkv")
    assert b"caf\xe9-latin1.mkv" in os.listdir(os.fsencode(corpus.root))


@pytest.mark.parametrize("name", VIDEO_NAMES)
def test_expected_tracks_are_what_ffprobe_reports(corpus: media.Corpus, name: str) -> None:
    f = corpus.by_name(name)
    info = media.ffprobe(f.path)
    assert media.probe_tracks(f.path) == f.tracks
    assert info["format"]["format_name"] == f.format_name


def test_movie_layout(corpus: media.Corpus) -> None:
    """The layout other tests rely on, spelled out (not derived by expected_tracks)."""
    T = media.ExpectedTrack
    assert corpus.by_name("movie.mkv").tracks == (
        T(0, "video", "h264", "und", "Main Feature", True, False, None, 64, 48),
        T(1, "audio", "aac", "eng", None, True, False, 2, None, None),
        T(2, "audio", "aac", "jpn", None, False, False, 2, None, None),
        T(3, "audio", "aac", "eng", "Director's Commentary", False, False, 1, None, None),
        T(4, "subtitle", "subrip", "eng", "English", False, False, None, None, None),
    )
    assert corpus.by_name("dual.mp4").tracks == (
        T(0, "video", "h264", "und", None, True, False, None, 64, 48),
        T(1, "audio", "aac", "eng", None, True, False, 2, None, None),
        T(2, "audio", "aac", "fre", None, False, False, 2, None, None),
        # set non-default, but MP4 marks the first track of each type enabled/default
        T(3, "subtitle", "mov_text", "spa", None, True, False, None, None, None),
    )
    assert corpus.by_name("clip.avi").tracks == (
        T(0, "video", "mpeg4", "und", None, False, False, None, 64, 48),
        T(1, "audio", "mp3", "und", None, False, False, 1, None, None),
    )


@pytest.mark.parametrize("name", BROKEN_NAMES)
def test_broken_files_fail_ffprobe(corpus: media.Corpus, name: str) -> None:
    assert _ffprobe_fails(corpus.by_name(name).path)


def test_truncated_file_is_cut_inside_the_track_list(corpus: media.Corpus) -> None:
    data = corpus.by_name("truncated.mkv").path.read_bytes()
    master = corpus.by_name("movie.mkv").path.read_bytes()
    assert data.startswith(b"\x1a\x45\xdf\xa3")  # still looks like Matroska
    assert master[: len(data)] == data
    assert len(data) == media.matroska_tracks_offset(master) + media.TRUNCATE_INTO_TRACKS
    assert corpus.by_name("empty.mkv").path.stat().st_size == 0
    assert corpus.by_name("random.mkv").path.stat().st_size == 4096


def test_pyav_agrees_with_ffprobe(corpus: media.Corpus) -> None:
    """The production prober is PyAV: it must see the same tracks and fail on the same files."""
    av = pytest.importorskip("av")
    default, forced = av.stream.Disposition.default, av.stream.Disposition.forced
    for f in corpus.videos:
        with av.open(os.fsdecode(f.path)) as container:
            assert container.format.name == f.format_name
            got = []
            for s in container.streams:
                cc = s.codec_context if s.type != "attachment" else None
                got.append(
                    media.ExpectedTrack(
                        index=s.index,
                        type=s.type,
                        codec=cc.codec.canonical_name if cc is not None else f.tracks[s.index].codec,
                        language=s.metadata.get("language") or "und",
                        title=s.metadata.get("title"),
                        default=bool(s.disposition & default),
                        forced=bool(s.disposition & forced),
                        channels=getattr(cc, "channels", None) if s.type == "audio" else None,
                        width=getattr(cc, "width", None) if s.type == "video" else None,
                        height=getattr(cc, "height", None) if s.type == "video" else None,
                    )
                )
        assert tuple(got) == f.tracks, f.path
    for f in corpus.broken:
        try:
            with av.open(os.fsdecode(f.path)) as container:
                assert not container.streams, f"PyAV opened broken {f.path}"
        except av.FFmpegError:
            pass


def test_copies_are_distinct_files_with_distinct_bytes(corpus: media.Corpus) -> None:
    paths = [f.path for f in corpus.videos] + [corpus.ignored[0]]
    assert len({_sha(p) for p in paths}) == len(paths)
    assert len({os.stat(p).st_ino for p in paths}) == len(paths)


def test_corpus_copy_is_a_private_rebased_copy(corpus: media.Corpus, corpus_copy: media.Corpus) -> None:
    assert corpus_copy.root != corpus.root
    for orig, copy in zip(corpus.files, corpus_copy.files):
        assert copy.path == corpus_copy.root / orig.path.relative_to(corpus.root)
        assert copy.tracks == orig.tracks and copy.kind == orig.kind
        assert os.stat(copy.path).st_mtime_ns == os.stat(orig.path).st_mtime_ns
        assert os.stat(copy.path).st_ino != os.stat(orig.path).st_ino
        assert copy.path.read_bytes() == orig.path.read_bytes()
    assert all(p.is_file() for p in corpus_copy.ignored)
    corpus_copy.by_name("movie.mkv").path.write_bytes(b"changed")
    assert corpus.by_name("movie.mkv").path.stat().st_size > 1000


# Containers x layouts for make_video: expected_tracks's rules against ffprobe.
BUILDS = {
    "mkv-flags": dict(
        container="mkv",
        video_default=False,
        video_language="eng",
        audio=[("jpn", "Japanese", False, 6), media.AudioSpec(None, None, True, 1, forced=True)],
        subtitles=[("eng", "Signs", True, True), ("ger", None, False, False)],
        attachments=[media.AttachmentSpec("Font.ttf", "A font")],
    ),
    "mp4-no-defaults": dict(
        container="mp4",
        video_title="dropped",
        audio=[("eng", "dropped", False, 2), ("ita", None, False, 1)],
        subtitles=[("eng", None, False, True), ("fre", None, True, False)],
    ),
    "m4v": dict(container="m4v", audio=[("eng", None, True, 2)]),
    "mov": dict(
        container="mov", audio=[("deu", None, False, 2), ("ger", None, True, 2), ("fre", None, False, 2)]
    ),
    "avi-two-audio": dict(
        container="avi", video_title="Clip", audio=[("eng", "Main", True, 2), ("fre", None, False, 1)]
    ),
    "webm": dict(
        container="webm", audio=[("eng", "Opus", True, 2)], subtitles=[("eng", "Captions", False, False)]
    ),
    "mkv-no-audio": dict(container="mkv", audio=[], width=160, height=120, fps=10),
}


@pytest.mark.parametrize("build", sorted(BUILDS))
def test_make_video_matches_expected_tracks(make_video, tmp_path: Path, build: str) -> None:
    kwargs = BUILDS[build]
    path = make_video(tmp_path / f"{build}.bin", **kwargs)
    assert media.probe_tracks(path) == media.expected_tracks(**kwargs)
    assert media.ffprobe(path)["format"]["format_name"] == media.format_name(kwargs["container"])


def test_make_video_fixture_memoises_and_copies(make_video, tmp_path: Path) -> None:
    before = make_video.encoded
    a = make_video(tmp_path / "a.mkv", audio=[("eng", None, True, 2), ("fre", None, False, 2)])
    b = make_video(
        tmp_path / "b" / "b.MKV", audio=(media.AudioSpec("eng", None, True, 2), ("fre", None, False, 2))
    )
    assert make_video.encoded == before + 1
    assert media.probe_tracks(a) == media.probe_tracks(b)
    assert _sha(a) != _sha(b)
    make_video(tmp_path / "c.mp4", audio=[("eng", None, True, 2), ("fre", None, False, 2)])
    assert make_video.encoded == before + 2


def test_make_video_rejects_impossible_layouts(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        media.make_video(tmp_path / "x.avi", subtitles=[("eng", None, False, False)])
    with pytest.raises(ValueError):
        media.make_video(tmp_path / "x.mp4", attachments=["font.ttf"])


def _all_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def test_demo_library(tmp_path: Path) -> None:
    root = media_libraries.make_demo_library(tmp_path / "demo", count=10)
    files = _all_files(root)
    assert len(files) == 10
    assert {p.relative_to(root).parts[0] for p in files} == {"movies", "tv"}
    broken = [p for p in files if "Damaged" in p.parts]
    assert len(broken) == 1 and _ffprobe_fails(broken[0])
    for p in files:
        if p not in broken:
            assert media.probe_tracks(p), p
    assert len({_sha(p) for p in files}) == len(files)


def test_bulk_library(tmp_path: Path) -> None:
    root = media_libraries.make_bulk_library(tmp_path / "bulk", count=12, dirs=3)
    files = _all_files(root)
    assert len(files) == 12
    assert len({p.name for p in files}) == 12
    assert sorted({p.parent.name for p in files}) == ["dir-00", "dir-01", "dir-02"]
    assert len({os.stat(p).st_ino for p in files}) == 12
    assert len({_sha(p) for p in files}) == 12
    for p in files[:6]:
        assert media.probe_tracks(p), p
