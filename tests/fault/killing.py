"""Helpers for the fault suite: start the real `vpo` in its own process group, kill it,
wait for what it left running, and read a catalogue as comparable data."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import time
from pathlib import Path
from typing import Any

import engine
from integration.scanutil import argv, env_for

HANG_GUARD = 120.0  # seconds; only ever reached when something hangs


def start(home: Path, *args: Any, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    """`vpo ARGS` in a new session: its pid is also its process group (it and its children)."""
    return subprocess.Popen(
        argv(*args),
        env={**env_for(home), **(env or {})},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )


def kill(proc: subprocess.Popen[bytes], *, group: bool) -> None:
    """SIGKILL to vpo alone (its children live on, as after `kill -9 PID`) or to its whole
    process group (a power cut, as far as the processes are concerned)."""
    try:
        if group:
            os.killpg(proc.pid, signal.SIGKILL)
        else:
            proc.kill()
    except ProcessLookupError:
        pass
    proc.communicate(timeout=HANG_GUARD)


def wait_group_gone(pgid: int) -> None:
    """Wait until no process of the group is left (children finishing after their parent
    was killed). Fails if one is still there after the hang guard."""
    deadline = time.monotonic() + HANG_GUARD
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.02)
    os.killpg(pgid, signal.SIGKILL)
    raise AssertionError(f"processes of group {pgid} outlived the killed vpo by {HANG_GUARD:.0f} s")


def wait_for(predicate: Any, proc: subprocess.Popen[bytes] | None = None, what: str = "") -> None:
    deadline = time.monotonic() + HANG_GUARD
    while time.monotonic() < deadline:
        if predicate():
            return
        if proc is not None and proc.poll() is not None:
            _, err = proc.communicate()
            raise AssertionError(
                f"vpo exited {proc.returncode} before {what}:\n{err.decode(errors='replace')}"
            )
        time.sleep(0.01)
    raise AssertionError(f"hang guard: {what} did not happen")


def read_only(home: Path) -> Any:
    """A connection to the catalogue that never creates it (read-only on SQLite), or None
    while there is none; on PostgreSQL the database exists from the start."""
    if engine.url_for(home) is not None:
        return engine.connect(home)
    db = home / "library.db"
    if not db.exists():
        return None
    return sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=60)


def count(home: Path, sql: str) -> int:
    """A count from the catalogue while vpo writes it; 0 while it does not exist yet."""
    try:
        conn = read_only(home)
        if conn is None:
            return 0
        try:
            return int(conn.execute(sql).fetchone()[0])
        finally:
            conn.close()
    except sqlite3.Error:  # not created, or its tables not yet
        return 0


TRACK_COLUMNS = "idx, type, codec, language, title, is_default, is_forced, channels, width, height"


def catalogue(home: Path) -> dict[bytes, tuple[Any, ...]]:
    """{path: (size, mtime_ns, scan_status, scan_error, container, tracks)} for every file row:
    what a scan decided about each file, without ids or times."""
    conn = engine.connect(home)
    try:
        tracks: dict[int, list[tuple[Any, ...]]] = {}
        for row in conn.execute(f"SELECT file_id, {TRACK_COLUMNS} FROM tracks ORDER BY file_id, idx"):
            tracks.setdefault(row[0], []).append(tuple(row[1:]))
        return {
            bytes(path): (size, mtime, status, error, container, tuple(tracks.get(fid, ())))
            for fid, path, size, mtime, status, error, container in conn.execute(
                "SELECT id, path, size, mtime_ns, scan_status, scan_error, container FROM files"
            )
        }
    finally:
        conn.close()


def assert_sound(home: Path) -> None:
    """The engine's own checks (SQLite's; PostgreSQL enforces foreign keys and guards its
    pages itself), and no duplicate file or track."""
    conn = engine.connect(home)
    try:
        assert conn.dialect.integrity(conn) in ("ok", None)
        if conn.dialect.name == "sqlite":
            assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        assert conn.execute("SELECT count(*) - count(DISTINCT path) FROM files").fetchone() == (0,)
        assert conn.execute(
            "SELECT count(*) FROM (SELECT 1 FROM tracks GROUP BY file_id, idx HAVING count(*) > 1) AS twice"
        ).fetchone() == (0,)
        assert conn.execute(
            "SELECT count(*) FROM tracks WHERE file_id NOT IN (SELECT id FROM files)"
        ).fetchone() == (0,)
    finally:
        conn.close()


def jobs(home: Path) -> dict[str, tuple[str, str, str | None]]:
    """{job id: (type, status, error_message)}."""
    conn = engine.connect(home)
    try:
        return {
            i: (t, s, e) for i, t, s, e in conn.execute("SELECT id, type, status, error_message FROM jobs")
        }
    finally:
        conn.close()
