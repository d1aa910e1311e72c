"""What a `vpo apply` killed at each moment of its replace leaves behind, and how the next
apply puts it right (edit/recover.py `recover`).

The executor's order: the tool writes `.vpo-tmp-PID-R.EXT` (1), the result is verified,
the original gets a second name `.NAME.vpo-original-PID.EXT` (2), the result is renamed over
the original (3), the backup becomes `NAME.EXT.vpo-original` or is deleted (4), the
catalogue records the result (5). A kill can land between any two steps; these tests
build each of those states by hand (a kill would hit most of them only by luck) with the
pid of a process that has exited, first on plain files (`recover` itself), then on real
media through the real CLI.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

import media
from integration.conftest import RunVpo, age_tree
from integration.scanutil import assert_no_traceback, query
from vpo.edit import recover


def dead_pid() -> int:
    """The pid of a process that has exited (and been reaped)."""
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def write(path: Path, data: bytes, *, age: float = 3600) -> tuple[int, int]:
    """A file with `data`, `age` seconds old; returns its (size, mtime_ns) as the catalogue holds it."""
    path.write_bytes(data)
    stamp = time.time() - age
    os.utime(path, (stamp, stamp))
    st = path.stat()
    return st.st_size, st.st_mtime_ns


def names(folder: Path) -> list[str]:
    return sorted(os.listdir(folder))


@pytest.fixture
def original(tmp_path: Path) -> tuple[Path, tuple[int, int]]:
    path = tmp_path / "movie.mkv"
    return path, write(path, b"the original bytes " * 100)


# --------------------------------------------------------------------------- recover() itself


def test_a_dead_runs_spare_name_of_the_file_is_removed(original, tmp_path: Path) -> None:
    """Killed between (2) and (3): the backup is a hard link to the untouched original."""
    path, catalogued = original
    backup = tmp_path / f".movie.vpo-original-{dead_pid()}.mkv"
    os.link(path, backup)
    ino = path.stat().st_ino
    assert recover.recover(os.fsencode(path), catalogued) == ["removed a spare name of the file"]
    assert names(tmp_path) == ["movie.mkv"]
    assert path.stat().st_ino == ino and path.read_bytes() == b"the original bytes " * 100


def test_an_unrecorded_result_gives_way_to_the_original(original, tmp_path: Path) -> None:
    """Killed between (3) and (4): the result is in place, the original under the backup name,
    the catalogue still describes the original. The original goes back, with its mtime."""
    path, catalogued = original
    backup = tmp_path / f".movie.vpo-original-{dead_pid()}.mkv"
    os.link(path, backup)
    result = tmp_path / ".vpo-tmp-result"
    result.write_bytes(b"the verified result")
    os.replace(result, path)
    assert recover.recover(os.fsencode(path), catalogued) == [
        "restored the original over an unrecorded result"
    ]
    assert names(tmp_path) == ["movie.mkv"]
    assert path.read_bytes() == b"the original bytes " * 100
    assert (path.stat().st_size, path.stat().st_mtime_ns) == catalogued


def test_a_missing_file_comes_back_from_the_backup(original, tmp_path: Path) -> None:
    """Killed between (2) and (3) where hard links are not supported (a rename instead)."""
    path, catalogued = original
    backup = tmp_path / f".movie.vpo-original-{dead_pid()}.mkv"
    os.replace(path, backup)
    assert recover.recover(os.fsencode(path), catalogued) == ["restored the original"]
    assert names(tmp_path) == ["movie.mkv"]
    assert path.read_bytes() == b"the original bytes " * 100


def test_a_kept_backup_that_is_still_the_catalogued_file_comes_back(original, tmp_path: Path) -> None:
    """Killed between (4) and (5) with --keep-backup: `movie.mkv.vpo-original` is the original,
    the file is the result, and the catalogue never heard of it."""
    path, catalogued = original
    kept = tmp_path / "movie.mkv.vpo-original"
    os.link(path, kept)
    result = tmp_path / ".vpo-tmp-result"
    result.write_bytes(b"the verified result")
    os.replace(result, path)
    done = recover.recover(os.fsencode(path), catalogued)
    assert done == [f"restored the original from {kept} over an unrecorded result"]
    assert names(tmp_path) == ["movie.mkv"]
    assert path.read_bytes() == b"the original bytes " * 100


def test_a_kept_backup_of_a_recorded_apply_is_left_alone(tmp_path: Path) -> None:
    """The normal state after an apply: the catalogue describes the result."""
    path = tmp_path / "movie.mkv"
    write(tmp_path / "movie.mkv.vpo-original", b"the original", age=7200)
    catalogued = write(path, b"the result")
    assert recover.recover(os.fsencode(path), catalogued) == []
    assert names(tmp_path) == ["movie.mkv", "movie.mkv.vpo-original"]
    assert path.read_bytes() == b"the result"


def test_a_deleted_file_is_not_brought_back_from_its_kept_backup(original, tmp_path: Path) -> None:
    path, catalogued = original
    os.replace(path, tmp_path / "movie.mkv.vpo-original")
    assert recover.recover(os.fsencode(path), catalogued) == []
    assert names(tmp_path) == ["movie.mkv.vpo-original"]


def test_a_backup_that_is_not_the_catalogued_file_is_left_for_a_person(
    original, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """After a rescan, or a copy VPO did not make: it may be the only good copy."""
    path, catalogued = original
    pid = dead_pid()
    backup = tmp_path / f".movie.vpo-original-{pid}.mkv"
    write(backup, b"something else")
    with caplog.at_level("WARNING", logger="vpo"):
        assert recover.recover(os.fsencode(path), catalogued) == []
    assert names(tmp_path) == [backup.name, "movie.mkv"]
    assert backup.read_bytes() == b"something else"
    assert path.read_bytes() == b"the original bytes " * 100
    [warning] = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert str(backup) in warning and str(pid) in warning and "vpo inspect" in warning


def test_a_live_process_backup_and_temporary_are_never_touched(original, tmp_path: Path) -> None:
    path, catalogued = original
    sleeper = subprocess.Popen(["sleep", "60"])
    try:
        backup = tmp_path / f".movie.vpo-original-{sleeper.pid}.mkv"
        os.replace(path, backup)  # its apply is between (2) and (3) right now
        temp = tmp_path / f".vpo-tmp-{sleeper.pid}-0123abcd.mkv"
        temp.write_bytes(b"being written")
        assert recover.recover(os.fsencode(path), catalogued) == []
        assert names(tmp_path) == sorted([temp.name, backup.name])
    finally:
        sleeper.kill()
        sleeper.wait()


def test_dead_temporaries_go_and_suffixed_backup_names_are_recognised(original, tmp_path: Path) -> None:
    """A backup name that was taken already gets `-XXXX` suffixes (siblings.hidden_sibling)."""
    path, catalogued = original
    pid = dead_pid()
    for name in (f".vpo-tmp-{pid}-0123abcd.mkv", f".vpo-tmp-{pid}-89abcdef"):
        (tmp_path / name).write_bytes(b"unfinished output")
    backup = tmp_path / f".movie.vpo-original-{pid}-1f2e-3d4c.mkv"
    os.replace(path, backup)
    assert recover.recover(os.fsencode(path), catalogued) == ["restored the original"]
    assert names(tmp_path) == ["movie.mkv"]


def test_a_file_locked_by_a_live_apply_is_not_touched(original, tmp_path: Path) -> None:
    path, catalogued = original
    backup = tmp_path / f".movie.vpo-original-{dead_pid()}.mkv"
    os.link(path, backup)
    holder = subprocess.Popen(
        [
            "python3",
            "-c",
            "import fcntl, sys, time\n"
            f"fd = open({str(path)!r}, 'rb'); fcntl.flock(fd, fcntl.LOCK_EX)\n"
            "print('locked', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == b"locked\n"
        assert recover.recover(os.fsencode(path), catalogued) == []
        assert names(tmp_path) == [backup.name, "movie.mkv"]
    finally:
        holder.kill()
        holder.wait()
    assert recover.recover(os.fsencode(path), catalogued) == ["removed a spare name of the file"]
    fd = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # recover let go of its lock
    finally:
        os.close(fd)


# --------------------------------------------------------------------------- through the CLI

POLICY = "schema_version: 1\naudio_language_preference: [eng]\n"
# jpn first and default: mkvmerge puts eng first and makes it the default
REORDER = dict(audio=[("jpn", None, True), ("eng", None, False)], tone=1320)


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def audio_of(path: Path) -> list[tuple[str, bool]]:
    return [(t.language, t.default) for t in media.probe_tracks(path) if t.type == "audio"]


MOMENTS = ("spare name", "unrecorded result", "kept backup", "unfinished output", "nothing")


def test_next_apply_restores_then_finishes(
    make_video: Callable[..., Path], tmp_path: Path, vpo: RunVpo, vpo_home: Path
) -> None:
    """Each state a kill can leave, on real media after a real scan, one file per state
    (and one file with no leftovers): a dry run touches nothing and shows the plans; the next `vpo apply` says
    what it restored, applies the policy to every file, and leaves exactly each file and
    its kept original; the catalogue equals the files."""
    lib = tmp_path / "lib"
    paths = {m: make_video(lib / f"{m.replace(' ', '-')}.mkv", **REORDER) for m in MOMENTS}
    age_tree(lib)
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY)
    assert vpo("scan", lib).code == 0
    before = {m: sha(p) for m, p in paths.items()}
    pid = dead_pid()
    for moment, path in paths.items():
        result = tmp_path / "result.mkv"
        make_video(result, audio=[("eng", None, True), ("jpn", None, False)], tone=1320)
        hidden = lib / f".{path.stem}.vpo-original-{pid}.mkv"
        if moment == "spare name":
            os.link(path, hidden)
        elif moment in ("unrecorded result", "kept backup"):
            os.link(path, hidden if moment == "unrecorded result" else lib / f"{path.name}.vpo-original")
            os.replace(result, path)
        elif moment == "unfinished output":
            os.replace(result, lib / f".vpo-tmp-{pid}-0badc0de.mkv")
    listed = names(lib)

    dry = vpo("apply", "--policy", policy, "--dry-run", "--json", lib)
    assert dry.code == 0, dry
    assert names(lib) == listed  # a dry run only looks, and plans as if the originals were back
    assert {f["path"]: f["status"] for f in dry.json()["files"]} == {
        str(p): "planned" for p in paths.values()
    }
    assert dry.stderr.count("would have restored the original") == 2, dry.stderr

    done = vpo("apply", "--policy", policy, "--json", lib)
    assert done.code == 0, done
    assert_no_traceback(done)
    assert {f["path"]: f["status"] for f in done.json()["files"]} == {
        str(p): "changed" for p in paths.values()
    }
    for moment in ("spare name", "unrecorded result", "kept backup"):
        assert f"{paths[moment]}: " in done.stderr, (moment, done.stderr)
    assert done.stderr.count("restored the original") == 2, done.stderr
    for moment, path in paths.items():
        assert audio_of(path) == [("eng", True), ("jpn", False)], moment
        assert sha(lib / f"{path.name}.vpo-original") == before[moment], moment  # the original, byte for byte
        st = path.stat()
        assert query(vpo_home, "SELECT size, mtime_ns FROM files WHERE path = ?", os.fsencode(path)) == [
            (st.st_size, st.st_mtime_ns)
        ], moment
    assert names(lib) == sorted(
        [*(p.name for p in paths.values()), *(f"{p.name}.vpo-original" for p in paths.values())]
    )
    again = vpo("apply", "--policy", policy, "--json", lib)
    assert again.code == 0 and {f["status"] for f in again.json()["files"]} == {"unchanged"}, again
