"""The benchmarks' file trees: generated media, a real film-like clip, hard-link trees
(cached under bench/.work), copies and page-cache warming. Part of common.py."""

from __future__ import annotations

import contextlib
import importlib
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from common import AGE_SECONDS, REPO, WORK, log, scratch_dir

# ------------------------------------------------------------------------------ trees


def test_media(module: str = "media"):  # type: ignore[no-untyped-def]
    """A test-media module of tests/: `media` (tests/media.py, the generator of tiny files)
    or `media_libraries` (the demo and bulk libraries made of them)."""
    tests = str(REPO / "tests")
    if tests not in sys.path:
        sys.path.append(tests)
    return importlib.import_module(module)


def age_tree(root: Path, seconds: float = AGE_SECONDS) -> None:
    """Set every file's atime/mtime to `seconds` ago (once per inode)."""
    when = time.time() - seconds
    seen: set[tuple[int, int]] = set()
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            path = os.path.join(dirpath, name)
            st = os.lstat(path)
            if (st.st_dev, st.st_ino) in seen:
                continue
            seen.add((st.st_dev, st.st_ino))
            os.utime(path, (when, when))


def media_tree(count: int) -> Path:
    """`count` real tiny media files (tests/media.py make_bulk_library), cached by size."""
    root = WORK / f"media-{count}"
    done = WORK / f"media-{count}.ok"
    if not done.exists():
        shutil.rmtree(root, ignore_errors=True)
        log(f"generating {count} media files in {root}")
        test_media("media_libraries").make_bulk_library(root, count=count)
        age_tree(root)
        done.touch()
    return root


def real_clip() -> Path:
    """One library-like file: 20 s of 1080p H.264, two AAC tracks (eng, fra), English
    subtitles, Matroska, ~24 MB. Probing it costs what a real film costs (libavformat reads
    its first seconds, however long the film), unlike the tiny test clips."""
    clip = WORK / "clip-1080p.mkv"
    if not clip.exists():
        WORK.mkdir(parents=True, exist_ok=True)
        log(f"generating {clip}")
        srt = WORK / "clip-1080p.srt"
        srt.write_text(
            "1\n00:00:01,000 --> 00:00:04,000\nHello.\n\n2\n00:00:10,000 --> 00:00:14,000\nGoodbye.\n"
        )
        tmp = clip.with_suffix(".part.mkv")
        subprocess.run(
            [
                "ffmpeg",
                "-v",
                "error",
                "-y",
                "-f",
                "lavfi",
                "-i",
                "testsrc2=size=1920x1080:rate=24",
                "-f",
                "lavfi",
                "-i",
                "sine=frequency=440:sample_rate=48000",
                "-f",
                "lavfi",
                "-i",
                "sine=frequency=660:sample_rate=48000",
                "-i",
                str(srt),
                "-t",
                "20",
                "-map",
                "0",
                "-map",
                "1",
                "-map",
                "2",
                "-map",
                "3",
                "-c:v",
                "libx264",
                "-preset",
                "ultrafast",
                "-crf",
                "28",
                "-c:a",
                "aac",
                "-b:a",
                "128k",
                "-c:s",
                "srt",
                "-metadata:s:a:0",
                "language=eng",
                "-metadata:s:a:1",
                "language=fra",
                "-metadata:s:s:0",
                "language=eng",
                "-metadata",
                "title=Benchmark clip",
                str(tmp),
            ],
            check=True,
        )
        tmp.rename(clip)
    return clip


@contextlib.contextmanager
def clip_tree(count: int, prefix: str) -> Iterator[Path]:
    """`count` hard links of `real_clip()` in a private directory (aged, so none is racy).

    Hard links keep the disk cost at one clip; a benchmark that modifies some of them must
    replace them first (`unlink_copy`), or the change would show through every name."""
    clip = real_clip()
    with scratch_dir(prefix) as parent:
        root = parent / "tree"
        width = len(str(count - 1))
        for d in range(0, count, 100):
            directory = root / f"dir-{d // 100:02d}"
            directory.mkdir(parents=True)
            for i in range(d, min(d + 100, count)):
                os.link(clip, directory / f"film-{i:0{width}d}.mkv")
        age_tree(root)
        yield root


def unlink_copy(path: Path) -> None:
    """Make `path` a file of its own (a copy of what it links to), keeping its mtime."""
    tmp = path.with_name(path.name + ".copy")
    shutil.copy2(path, tmp)
    os.replace(tmp, path)


def link_tree(dirs: int, per_dir: int) -> Path:
    """`dirs` x `per_dir` hard links named *.mkv, all of one real tiny Matroska file.

    ext4 caps an inode at 65,000 links, so each directory links its own copy of that file
    (`dirs` identical inodes, outside the tree). Aged one hour, so nothing is "racy".
    """
    root = WORK / f"links-{dirs}x{per_dir}"
    done = WORK / f"links-{dirs}x{per_dir}.ok"
    if done.exists():
        return root
    shutil.rmtree(root, ignore_errors=True)
    log(f"creating {dirs * per_dir:,} hard links in {root}")
    source = next(media_tree(1).rglob("*.mkv"))
    sources = WORK / f"links-{dirs}x{per_dir}.src"
    shutil.rmtree(sources, ignore_errors=True)
    sources.mkdir(parents=True)
    width = len(str(dirs - 1))
    for d in range(dirs):
        src = sources / f"src-{d:0{width}d}.mkv"
        shutil.copyfile(source, src)
        directory = root / f"dir-{d:0{width}d}"
        directory.mkdir(parents=True)
        for i in range(per_dir):
            os.link(src, directory / f"file-{i:06d}.mkv")
    age_tree(sources)
    done.touch()
    return root


def copy_tree(src: Path, prefix: str) -> contextlib.AbstractContextManager[Path]:
    """A private, aged copy of a cached tree (for benchmarks that modify files)."""

    @contextlib.contextmanager
    def manage() -> Iterator[Path]:
        with scratch_dir(prefix) as parent:
            dst = parent / "tree"
            subprocess.run(["cp", "-a", str(src), str(dst)], check=True)
            age_tree(dst)
            yield dst

    return manage()


def warm_tree(root: Path) -> None:
    """Warm the dentry/inode caches (every benchmark measures a warm tree)."""
    subprocess.run(["find", str(root), "-printf", ""], check=True)
