"""Libraries made of the test media: the demo library (`make demo`) and bulk libraries for
benchmarks, and the command line (`python tests/media_libraries.py demo DEST`). Built on
media.py's files; media.py does not import this module."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from media import (
    CLIP,
    DUAL,
    MOVIE,
    AttachmentSpec,
    AudioSpec,
    SubtitleSpec,
    _build_masters,
    build_corpus,
    copy_unique,
    random_bytes_file,
    truncated_copy,
)

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
    parser = argparse.ArgumentParser(
        prog="media_libraries.py", description="Generate tiny test media for VPO."
    )
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
