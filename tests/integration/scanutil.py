"""Helpers shared by the scan and inspect integration tests: run the real console script
against a given VPO_HOME (for module-scoped set-ups the function-scoped `vpo` fixture cannot
serve), and read the catalogue straight from SQLite."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import engine
from integration.conftest import VPO, Result

SPEC_SCAN_KEYS = {"job_id", "status", "roots", "incremental", "counts", "duration_seconds", "errors"}
SPEC_COUNT_KEYS = {"discovered", "skipped", "scanned", "added", "moved", "removed", "errors"}
SPEC_ERROR_KEYS = {"error", "code", "message", "details"}


def env_for(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VPO_")}
    env["VPO_HOME"] = str(home)
    env.update(engine.env_for(home))
    return env


def argv(*args: Any) -> list[str | bytes]:
    return [str(VPO), *(os.fsencode(a) if isinstance(a, (bytes, Path)) else str(a) for a in args)]


def run_vpo(home: Path, *args: Any, timeout: float = 120) -> Result:
    """Like the `vpo` fixture, for a home chosen by the caller."""
    done = subprocess.run(
        argv(*args), capture_output=True, timeout=timeout, env=env_for(home), stdin=subprocess.DEVNULL
    )
    return Result(
        list(args),
        done.returncode,
        done.stdout.decode("utf-8", "surrogateescape"),
        done.stderr.decode("utf-8", "surrogateescape"),
    )


def query(home: Path, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    conn = engine.connect(home)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def files_by_path(home: Path) -> dict[bytes, dict[str, Any]]:
    """Every row of `files`, keyed by the raw path bytes."""
    conn = engine.connect(home)
    try:
        cur = conn.execute("SELECT * FROM files")
        names = [d[0] for d in cur.description]
        rows = [dict(zip(names, r)) for r in cur]
        return {bytes(r["path"]): r for r in rows}
    finally:
        conn.close()


def assert_no_traceback(result: Result) -> None:
    assert "Traceback" not in result.stderr, result
    assert "Traceback" not in result.stdout, result


def one_error_line(result: Result) -> str:
    """The whole of stderr must be one `Error: ...` line."""
    assert_no_traceback(result)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result
    assert lines[0].startswith("Error: "), result
    return lines[0]


def error_line(result: Result) -> str:
    """Exactly one `Error: ...` line on stderr (log lines may come before it), no traceback."""
    assert_no_traceback(result)
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1, result
    return errors[0]


def counts(result: Result) -> dict[str, int]:
    doc = result.json()
    assert set(doc) >= SPEC_SCAN_KEYS, doc
    return {k: doc["counts"][k] for k in SPEC_COUNT_KEYS}


def run_vpo_as(prefix: list[str], home: Path, *args: Any, timeout: float = 120) -> Result:
    """Like `run_vpo`, with `prefix` in front of the command (`as_other_user()`, `taskset`)."""
    done = subprocess.run(
        [*prefix, *argv(*args)],
        capture_output=True,
        timeout=timeout,
        env=env_for(home),
        stdin=subprocess.DEVNULL,
    )
    return Result(
        list(args),
        done.returncode,
        done.stdout.decode("utf-8", "surrogateescape"),
        done.stderr.decode("utf-8", "surrogateescape"),
    )


def as_other_user() -> list[str]:
    """The command prefix that runs VPO as `nobody` when we are root (chmod cannot stop
    root); empty otherwise. Skips the test when root has no `setpriv`."""
    import pytest

    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: permissions cannot be simulated")
    return [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"]
