"""Running `vpo watch` for real in the watching tests: a subprocess with its own VPO_HOME and
profile, conditions polled from the catalogue until they hold (a generous deadline is only
a hang guard), and SIGTERM at the end, which must exit 0."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import engine
from integration.conftest import VPO

HANG_GUARD = 90.0  # seconds: a condition that takes this long is a hang, not slowness
SETTLE = 1.0  # watch.settle of the tests' profiles
# A policy that drops the German audio track, and a film that has one.
DROP_GERMAN = """schema_version: 2
keep:
  audio: {languages: [eng], commentary: false, min_tracks: 1}
"""
BILINGUAL = {"audio": [("eng", None, True, 2), ("ger", None, False, 2)]}


def write_profile(
    home: Path,
    name: str,
    roots: list[Path],
    *,
    policy: Path | None = None,
    settle: float = SETTLE,
    extra: str = "",
) -> Path:
    """A profile naming `roots`, settling after `settle` s and polling every second."""
    lines = [f"roots: {json.dumps([str(r) for r in roots])}"]
    if policy is not None:
        lines.append(f"default_policy: {json.dumps(str(policy))}")
    lines.append(f"watch:\n  settle: {settle}\n  poll_interval: 1\n{extra}")
    path = home / "profiles" / f"{name}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    return path


class Watcher:
    """One `vpo watch` process; its stdout and stderr go to files in the home."""

    count = 0

    def __init__(self, home: Path, env: dict[str, str], *args: Any) -> None:
        Watcher.count += 1
        self.home = home
        self.name = f"watch-{Watcher.count}"
        self._out = home / f"{self.name}.out"
        self._err = home / f"{self.name}.err"
        home.mkdir(parents=True, exist_ok=True)
        argv = [str(VPO), "watch", *(os.fsencode(a) if isinstance(a, Path) else str(a) for a in args)]
        with open(self._out, "wb") as out, open(self._err, "wb") as err:
            self.proc = subprocess.Popen(argv, stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=env)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def output(self) -> str:
        return f"--- stdout\n{self._out.read_text()}\n--- stderr\n{self._err.read_text()}"

    def stderr(self) -> str:
        return self._err.read_text()

    def stop(self) -> int:
        """SIGTERM: the current step finishes and the watcher exits (0 expected)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=HANG_GUARD)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=HANG_GUARD)


def until(condition: Callable[[], Any], what: str, watcher: Watcher | None = None) -> Any:
    """Poll `condition` until it is truthy; its value. Fails after HANG_GUARD seconds."""
    deadline = time.monotonic() + HANG_GUARD
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"never happened: {what}\n{watcher.output() if watcher else ''}")
        if watcher is not None and watcher.proc.poll() is not None:
            raise AssertionError(
                f"the watcher exited {watcher.proc.returncode} before: {what}\n{watcher.output()}"
            )
        time.sleep(0.2)


def rows(home: Path, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    conn = engine.connect(home)
    try:
        return [tuple(r) for r in conn.execute(sql, params).fetchall()]
    finally:
        conn.close()


def file_row(home: Path, path: Path) -> dict[str, Any] | None:
    """The catalogue row of `path` (id, size, scan_status), or None."""
    found = rows(home, "SELECT id, size, scan_status FROM files WHERE path = ?", os.fsencode(path))
    return dict(zip(("id", "size", "scan_status"), found[0])) if found else None


def jobs_of(home: Path, file_id: int) -> list[tuple[str, str, str]]:
    """(job type, outcome, job id) of every job that recorded this file, oldest first."""
    return rows(
        home,
        "SELECT j.type, f.outcome, j.id FROM job_files f JOIN jobs j ON j.id = f.job_id "
        "WHERE f.file_id = ? ORDER BY j.created_at",
        file_id,
    )


def jobs_named(home: Path, path: Path) -> list[tuple[str, str]]:
    """(job type, outcome) of every job row that named `path`."""
    return rows(
        home,
        "SELECT j.type, f.outcome FROM job_files f JOIN jobs j ON j.id = f.job_id WHERE f.path = ?",
        os.fsencode(path),
    )


def job_count(home: Path) -> int:
    return int(rows(home, "SELECT count(*) FROM jobs")[0][0]) if engine.has_catalogue(home) else 0


def watcher_row(home: Path, root: Path) -> dict[str, Any] | None:
    try:
        found = rows(
            home, "SELECT pid, host, mode, reason, last_error FROM watchers WHERE root = ?", os.fsencode(root)
        )
    except sqlite3.Error:  # no catalogue yet, or not migrated yet
        return None
    return dict(zip(("pid", "host", "mode", "reason", "last_error"), found[0])) if found else None


def ready(home: Path, root: Path, watcher: Watcher, mode: str = "events") -> dict[str, Any]:
    """The watcher holds `root` in `mode` and its first reconcile scan of it is done."""

    def check() -> Any:
        row = watcher_row(home, root)
        if row is None or row["pid"] != watcher.pid or row["mode"] != mode:
            return None
        done = rows(
            home,
            "SELECT count(*) FROM jobs WHERE type = 'scan' AND status = 'completed' AND target = ?",
            json.dumps([str(root)]),
        )
        return row if done[0][0] else None

    return until(check, f"{root} watched ({mode}) and reconciled", watcher)


def catalogued(home: Path, path: Path, watcher: Watcher, status: str = "ok") -> dict[str, Any]:
    def check() -> Any:
        row = file_row(home, path)
        return row if row is not None and row["scan_status"] == status else None

    return until(check, f"{path} catalogued as {status}", watcher)


def copy_in(src: Path, dest: Path) -> Path:
    """A file arriving in one go (a copy under its final name)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dest)
    return dest


def write_slowly(src: Path, dest: Path, seconds: float, pause: float = 0.4) -> None:
    """`src`'s bytes appended to `dest` in pieces over about `seconds` (a slow copy)."""
    data = src.read_bytes()
    pieces = max(2, int(seconds / pause))
    step = -(-len(data) // pieces)
    with open(dest, "wb") as fh:
        for start in range(0, len(data), step):
            fh.write(data[start : start + step])
            fh.flush()
            time.sleep(pause)
