"""Helpers of the scan_incremental tests (test_rescan_changes, test_rescan_edges)."""

from __future__ import annotations

import os
import re
import subprocess
import time
from pathlib import Path

import media
from integration.conftest import Result, age_tree
from integration.scanutil import (
    SPEC_COUNT_KEYS,
    argv,
    assert_no_traceback,
    env_for,
    files_by_path,
    query,
)

NOTHING = dict.fromkeys(SPEC_COUNT_KEYS - {"discovered", "skipped"}, 0)


HOUR_NS = 3600 * 10**9


def scan(vpo, *args) -> tuple[Result, dict[str, int]]:
    result = vpo("scan", "--json", *args)
    assert_no_traceback(result)
    doc = result.json()
    assert "counts" in doc, result
    return result, {k: doc["counts"][k] for k in SPEC_COUNT_KEYS}


def expect(discovered: int, **changes: int) -> dict[str, int]:
    """The counts of a scan of `discovered` files where only `changes` happened."""
    counts = {**NOTHING, "discovered": discovered, **changes}
    counts.setdefault(
        "skipped", discovered - sum(changes.get(k, 0) for k in ("scanned", "added", "moved", "errors"))
    )
    return counts


def unique_copy(src: Path | bytes, dst: Path | bytes, uid: int) -> None:
    """A new file with the layout of the corpus file `src` but bytes of its own."""
    data = re.sub(
        rb"vpo-media-id:[0-9a-f]{16}", b"vpo-media-id:%016x" % uid, Path(os.fsdecode(src)).read_bytes()
    )
    os.makedirs(os.path.dirname(os.fsencode(dst)), exist_ok=True)
    Path(os.fsdecode(dst)).write_bytes(data)


def age(*paths: Path) -> None:
    stamp = time.time() - 3600
    for p in paths:
        os.utime(p, (stamp, stamp))


def row(home: Path, path: Path | bytes) -> dict:
    return files_by_path(home)[os.fsencode(path)]


def outcomes(home: Path, job_id: str) -> list[tuple[bytes, str]]:
    return sorted(
        (bytes(p), o) for p, o in query(home, "SELECT path, outcome FROM job_files WHERE job_id = ?", job_id)
    )


def _tree(base: Path, corpus: media.Corpus, rels: list[str]) -> list[Path]:
    out = []
    for i, rel in enumerate(rels):
        dest = base / rel
        unique_copy(corpus.by_name("movie.mkv").path, dest, 500 + i)
        out.append(dest)
    age_tree(base)
    return out


def _flip_middle_bytes(path: bytes) -> None:
    """New content, same size, same mtime to the nanosecond: invisible to stat."""
    st = os.stat(path)
    with open(path, "r+b") as fh:
        fh.seek(st.st_size // 2)
        data = fh.read(8)
        fh.seek(st.st_size // 2)
        fh.write(bytes(b ^ 0xFF for b in data))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert os.stat(path).st_mtime_ns == st.st_mtime_ns and os.stat(path).st_size == st.st_size


BULK = 150  # with --prober ffprobe and one worker, seconds of probing: time to interrupt it


def _popen(home: Path, *args) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        argv("scan", *args),
        env=env_for(home),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )


def _wait_for_files(home: Path, proc: subprocess.Popen[bytes], at_least: int = 1) -> int:
    """Poll the catalogue until the scan has committed some files (hang guard: 60 s)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the scan finished before it could be interrupted"
        try:
            n = query(home, "SELECT count(*) FROM files")[0][0]
        except Exception:
            n = 0
        if n >= at_least:
            return n
        time.sleep(0.02)
    raise AssertionError("the scan committed nothing within 60 s")


def _disk_files(root: Path) -> set[bytes]:
    return {os.fsencode(p) for p in root.rglob("*.mkv")} | {os.fsencode(p) for p in root.rglob("*.mp4")}
