"""Issue 2: discovery speed. The Rust Walker (vpo.scan.walker.walk, all batches iterated) vs a
plain recursive os.scandir walk doing the same work (lstat each file, extension filter,
skip hidden directories, collect (path, size, mtime_ns)) vs
`find DIR -type f -printf '%s %T@ %p\\n' > /dev/null`.

Tree: 100 directories x 1,000 hard links named *.mkv (bench/.work/links-100x1000); warm
caches (one untimed pass of each first). The Rust walk and the scandir walk run inside this
process; find is a subprocess (its ~2 ms spawn is included).

Target: Rust >= 1.5x faster than scandir.
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from common import (
    Result,
    interleave,
    log,
    main_for,
    run_proc,
    timed,
)
from trees import link_tree, warm_tree

TARGET = 1.5


def rust_walk(root: bytes, extensions: tuple[str, ...]) -> int:
    from vpo.scan import walker

    n = 0
    with walker.walk(root, extensions=extensions) as batches:
        for entries, _errors in batches:
            n += len(entries)
    return n


def scandir_walk(root: bytes, extensions: tuple[str, ...]) -> int:
    exts = {e.encode().lower() for e in extensions}
    out: list[tuple[bytes, int, int]] = []
    stack = [root]
    while stack:
        top = stack.pop()
        try:
            it = os.scandir(top)
        except OSError:
            continue
        with it:
            for entry in it:
                name = entry.name
                if entry.is_dir(follow_symlinks=False):
                    if not name.startswith(b"."):
                        stack.append(entry.path)
                elif entry.is_file(follow_symlinks=False):
                    dot = name.rfind(b".")
                    if dot > 0 and name[dot + 1 :].lower() in exts:
                        st = entry.stat(follow_symlinks=False)
                        out.append((entry.path, st.st_size, st.st_mtime_ns))
    return len(out)


def run(quick: bool) -> list[Result]:
    from vpo.catalogue import DEFAULT_EXTENSIONS

    dirs, per_dir = (10, 1000) if quick else (100, 1000)
    repeat = 3 if quick else 7
    total = dirs * per_dir
    tree = link_tree(dirs, per_dir)
    root = os.fsencode(tree)
    warm_tree(tree)
    log(f"walk: Rust Walker vs os.scandir vs find, {total:,} files x{repeat}")
    counts: dict[str, int] = {}

    def rust() -> None:
        counts["rust"] = rust_walk(root, DEFAULT_EXTENSIONS)

    def scandir() -> None:
        counts["scandir"] = scandir_walk(root, DEFAULT_EXTENSIONS)

    stats = interleave(
        {
            "rust": timed(rust),
            "scandir": timed(scandir),
            "find": lambda: run_proc(["find", tree, "-type", "f", "-printf", r"%s %T@ %p\n"]).seconds,
        },
        repeat,
        warmup=1,
    )
    notes = [f"file counts differ: {counts}"] if set(counts.values()) != {total} else []
    speedup = stats["scandir"].median / stats["rust"].median
    vs_find = stats["find"].median / stats["rust"].median
    name = f"walk: Rust Walker [{total:,} files]"
    return [
        Result(
            name=name,
            stats=stats["rust"],
            unit="s",
            baseline_name="scandir",
            baseline=stats["scandir"],
            ratio=speedup,
            ratio_label="x faster",
            target=f">= {TARGET:g}x faster",
            passed=speedup >= TARGET,
            notes=notes,
        ),
        Result(
            name=f"walk: find -printf [{total:,} files]",
            stats=stats["find"],
            unit="s",
            baseline_name="Rust",
            baseline=stats["rust"],
            ratio=vs_find,
            ratio_label="x Rust's time" if vs_find >= 1 else "x Rust's time (find faster)",
        ),
    ]


if __name__ == "__main__":
    main_for(run, __doc__.splitlines()[0])
