"""Several workers, one queue (SPEC section 16), through the real CLI on a real PostgreSQL
server (tests/pgserver.py) and, where it makes sense, on SQLite too.

"Hosts" are worker processes, each with its own VPO_HOME whose config.yaml names the shared
database (`database.url`): what a second machine would have.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import engine
from integration.conftest import VPO, RunVpo, age_tree
from integration.ffmpeg_wrappers import real_ffmpeg, slow_ffmpeg, write_tool
from integration.hosts import HANG_GUARD, Host, wait


@pytest.fixture
def queued(
    tmp_path: Path, vpo: RunVpo, vpo_home: Path, make_video: Callable[..., Path]
) -> Callable[[int], tuple[Path, list[str]]]:
    """`queued(n)`: n tiny files scanned and their transcodes queued: (library, job ids)."""

    def make(n: int) -> tuple[Path, list[str]]:
        root = tmp_path / "lib"
        for i in range(n):
            make_video(root / f"f{i:02}.mkv")
        age_tree(root)
        assert vpo("scan", root).code == 0
        result = vpo("transcode", root, "--json")
        assert result.code == 0, result
        ids = [f["job_id"] for f in result.json()["files"] if f["status"] == "queued"]
        assert len(ids) == n
        return root, ids

    return make


def rows(home: Path, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    conn = engine.connect(home)
    try:
        return [tuple(r) for r in conn.execute(sql, params).fetchall()]
    finally:
        conn.close()


@pytest.mark.engines
def test_three_hosts_process_30_transcodes_each_exactly_once(
    queued: Callable[[int], tuple[Path, list[str]]], vpo_home: Path, tmp_path: Path, db_engine: str
) -> None:
    root, ids = queued(30)
    url = engine.url_for(vpo_home)
    if url is None:  # SQLite: "hosts" on one machine share the file instead
        hosts = [Host(vpo_home, None)] * 3
    else:
        # Each host mounts the library elsewhere (a symlink here); the third cannot see it
        # at all (its mapping points at nothing) and must leave every job to the others.
        mounts = [tmp_path / "mnt-a" / "media", tmp_path / "mnt-b" / "media", tmp_path / "not-mounted"]
        for mount in mounts[:2]:
            mount.parent.mkdir(parents=True)
            mount.symlink_to(root)
        hosts = [
            Host(
                tmp_path / f"host{n}",
                url,
                extra=f"paths:\n  {json.dumps(str(root))}: {json.dumps(str(mount))}\n",
            )
            for n, mount in enumerate(mounts)
        ]
    procs = [host.start("jobs", "run", "--json", name=f"run{n}") for n, host in enumerate(hosts)]
    codes = [wait(p) for p in procs]
    outputs = [hosts[n].output(f"run{n}") for n in range(3)]
    assert codes == [0, 0, 0], outputs
    reported = [j["id"] for out, _ in outputs for j in json.loads(out)["jobs"]]
    assert sorted(reported) == sorted(ids)  # each job run by exactly one worker
    marks = ",".join("?" * len(ids))
    assert rows(
        vpo_home, f"SELECT status, count(*) FROM jobs WHERE id IN ({marks}) GROUP BY status", *ids
    ) == [("completed", 30)]
    assert rows(
        vpo_home,
        f"SELECT count(*), count(DISTINCT job_id) FROM job_files WHERE outcome = 'transcoded' AND job_id IN ({marks})",
        *ids,
    ) == [(30, 30)]
    workers = rows(vpo_home, f"SELECT DISTINCT pid, worker FROM jobs WHERE id IN ({marks})", *ids)
    assert len({w for _, w in workers}) >= 2, workers  # the work was shared
    assert all(w and len(w) == 12 for _, w in workers)
    assert len([n for n in os.listdir(root) if n.endswith(".vpo-original")]) == 30
    if url is not None:
        assert json.loads(outputs[2][0])["jobs"] == []  # the blind host ran nothing...
        assert "cannot be seen on" in outputs[2][1]  # ...and said why
        # the catalogue keeps its own paths, whichever host did the work
        paths = rows(
            vpo_home, f"SELECT path FROM job_files WHERE outcome = 'transcoded' AND job_id IN ({marks})", *ids
        )
        assert {os.path.dirname(bytes(p)) for (p,) in paths} == {os.fsencode(root)}
        assert all(len(json.loads(out)["jobs"]) > 0 for out, _ in outputs[:2]), outputs


@pytest.mark.engines
def test_a_worker_killed_twice_fails_its_job_at_max_attempts(
    queued: Callable[[int], tuple[Path, list[str]]], vpo_home: Path, vpo: RunVpo, db_engine: str
) -> None:
    """transcode.max_attempts: 2. The first dead run requeues (attempt 1), the second fails."""
    vpo_home.mkdir(parents=True, exist_ok=True)
    (vpo_home / "config.yaml").write_text("transcode:\n  max_attempts: 2\n")
    _, [job_id] = queued(1)
    for attempt in (1, 2):
        # A worker that died holding the job: its row says running, its pid is gone.
        dead = subprocess.Popen(["true"])
        dead.wait()
        conn = engine.connect(vpo_home)
        try:
            conn.execute("BEGIN")
            conn.execute(
                "UPDATE jobs SET status = 'running', pid = ?, host = ?, worker = 'deadbeef0000', "
                "started_at = heartbeat_at WHERE id = ?",
                (dead.pid, os.uname().nodename, job_id),
            )
            conn.execute("COMMIT")
        finally:
            conn.close()
        shown = vpo("jobs", "show", job_id, "--json")
        assert shown.code == 0, shown
        doc = shown.json()
        assert doc["attempts"] == attempt
        assert doc["status"] == ("queued" if attempt == 1 else "failed"), doc
        assert f"process {dead.pid} exited without finishing" in doc["error"]["message"]


def test_database_url_password_never_shown(vpo: RunVpo, vpo_home: Path, pg_url_with_password: str) -> None:
    vpo_home.mkdir(parents=True, exist_ok=True)
    config = vpo_home / "config.yaml"
    config.write_text(f"database:\n  url: {json.dumps(pg_url_with_password)}\n")
    config.chmod(0o644)
    from_config = {"VPO_DATABASE_URL": ""}  # the URL in config.yaml, whatever the run's engine
    for args in (("doctor", "--json"), ("doctor",), ("profiles", "show", "--json"), ("jobs", "list")):
        result = (
            vpo(*args, "--log-level", "debug", env=from_config)
            if args[0] != "profiles"
            else vpo(*args, env=from_config)
        )
        assert "s3cret-pw" not in result.stdout + result.stderr, result
    doctor = vpo("doctor", env=from_config)
    assert "***" in doctor.stdout + doctor.stderr
    assert "can be read by other users" in doctor.stderr


@pytest.fixture
def pg_url_with_password() -> str:
    """A URL to the test server that carries a password (trust auth ignores it)."""
    url = engine.cluster().new_database()
    return url.replace("postgresql://postgres@", "postgresql://postgres:s3cret-pw@", 1)


def test_a_fresh_postgres_database_is_migrated_and_a_newer_schema_refused(
    vpo: RunVpo, vpo_home: Path
) -> None:
    url = engine.cluster().new_database()
    env = {"VPO_DATABASE_URL": url}
    assert vpo("jobs", "list", env=env).code == 0
    from vpo.db.migrations import LATEST
    from vpo.db.postgres import PgConnection

    conn = PgConnection(url)
    try:
        assert conn.dialect.schema_version(conn) == LATEST
        conn.execute("INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)", (LATEST + 1, "x"))
    finally:
        conn.close()
    result = vpo("jobs", "list", "--json", env=env)
    assert result.code == 2, result
    doc = result.json()
    assert doc["code"] == "SCHEMA_TOO_NEW", doc
    assert "postgresql://postgres@" in doc["message"]
    assert not (vpo_home / "library.db").exists()  # nothing fell back to SQLite


def test_sqlite_errors_and_postgres_errors_are_one_family() -> None:
    """Code catches sqlite3's exceptions; the adapter raises those for PostgreSQL's."""
    from vpo.db.postgres import PgConnection

    conn = PgConnection(engine.cluster().new_database())
    try:
        conn.execute("CREATE TABLE t (k TEXT PRIMARY KEY)")
        conn.execute("INSERT INTO t VALUES (?)", ("a",))
        with pytest.raises(sqlite3.IntegrityError):
            conn.execute("INSERT INTO t VALUES (?)", ("a",))
        with pytest.raises(sqlite3.DatabaseError):
            conn.execute("SELECT nope FROM t")
    finally:
        conn.close()


@pytest.mark.engines
def test_forever_worker_polls_then_sigterm_drains_its_job_and_exits_0(
    tmp_path: Path,
    vpo: RunVpo,
    vpo_home: Path,
    vpo_env: dict[str, str],
    make_video: Callable[..., Path],
    db_engine: str,
) -> None:
    root = tmp_path / "lib"
    make_video(root / "a.mkv", duration=4, fps=25)
    make_video(root / "b.mkv")
    age_tree(root)
    assert vpo("scan", root).code == 0
    # ffmpeg reading in real time: the 4 s clip takes 4 s, long enough to signal mid-job
    tool = slow_ffmpeg(tmp_path / "slow-ffmpeg.sh")
    (vpo_home / "profiles").mkdir(parents=True, exist_ok=True)
    (vpo_home / "profiles" / "slow.yaml").write_text(f"tools:\n  ffmpeg: {tool}\n")
    err = open(tmp_path / "worker.err", "wb")  # noqa: SIM115 - closed below
    worker = subprocess.Popen(
        [str(VPO), "--profile", "slow", "jobs", "run", "--forever", "--poll", "0.2", "--json"],
        stdout=subprocess.PIPE,
        stderr=err,
        stdin=subprocess.DEVNULL,
        env=vpo_env,
    )
    try:
        time.sleep(1.0)
        assert worker.poll() is None  # an empty queue does not end a --forever worker
        queued = vpo("transcode", root / "a.mkv", "--json")
        [a_id] = [f["job_id"] for f in queued.json()["files"] if f["status"] == "queued"]

        def running() -> bool:
            assert worker.poll() is None, (tmp_path / "worker.err").read_text()
            [(status, progress)] = rows(vpo_home, "SELECT status, progress FROM jobs WHERE id = ?", a_id)
            return status == "running" and (progress or 0) > 0

        deadline = time.monotonic() + HANG_GUARD
        while not running():
            assert time.monotonic() < deadline, "hang guard: the worker never picked up the job"
            time.sleep(0.1)
        queued = vpo("transcode", root / "b.mkv", "--json")
        [b_id] = [f["job_id"] for f in queued.json()["files"] if f["status"] == "queued"]
        worker.send_signal(signal.SIGTERM)
        out, _ = worker.communicate(timeout=HANG_GUARD)
    finally:
        if worker.poll() is None:
            worker.kill()
        err.close()
    assert worker.returncode == 0, (tmp_path / "worker.err").read_text()
    report = json.loads(out)
    assert report["stopped_by"] == "SIGTERM (drained)"
    assert [{k: j[k] for k in ("id", "status", "error")} for j in report["jobs"]] == [
        {"id": a_id, "status": "completed", "error": None}
    ]
    assert rows(vpo_home, "SELECT status FROM jobs WHERE id = ?", b_id) == [
        ("queued",)
    ]  # claimed nothing more


def test_doctor_checks_each_mapped_root(vpo: RunVpo, vpo_home: Path, tmp_path: Path) -> None:
    vpo_home.mkdir(parents=True, exist_ok=True)
    (tmp_path / "media").mkdir()
    (vpo_home / "config.yaml").write_text(
        f'paths:\n  "/mnt/nas/media": "{tmp_path / "media"}"\n  "/mnt/nas/tv": "{tmp_path / "tv"}"\n'
    )
    doc = vpo("doctor", "--json").json()
    checks = {c["name"]: c for c in doc["checks"]}
    assert checks["paths:/mnt/nas/media"]["ok"] is True
    assert checks["paths:/mnt/nas/tv"]["ok"] is False
    assert "not mounted" in checks["paths:/mnt/nas/tv"]["detail"]


@pytest.mark.engines
def test_work_dir_holds_the_encode_and_the_result_is_verified_beside_the_original(
    tmp_path: Path, vpo: RunVpo, vpo_home: Path, make_video: Callable[..., Path], db_engine: str
) -> None:
    root = tmp_path / "lib"
    original = make_video(root / "a.mkv")
    age_tree(root)
    before = original.read_bytes()
    work = tmp_path / "local-work"
    ffmpeg = real_ffmpeg()
    tool = write_tool(  # the real ffmpeg, noting where it writes
        tmp_path / "logging-ffmpeg.sh",
        f'#!/bin/sh\nfor a; do last="$a"; done\necho "$last" >> {tmp_path / "outputs"}\nexec {ffmpeg} "$@"\n',
    )
    vpo_home.mkdir(parents=True, exist_ok=True)
    (vpo_home / "config.yaml").write_text(f"transcode:\n  work_dir: {work}\ntools:\n  ffmpeg: {tool}\n")
    assert vpo("scan", root).code == 0
    assert vpo("transcode", root).code == 0
    run = vpo("jobs", "run", "--json")
    assert run.code == 0, run
    assert [j["status"] for j in run.json()["jobs"]] == ["completed"]
    written = [line for line in (tmp_path / "outputs").read_text().splitlines() if ".vpo-tmp-" in line]
    assert written and all(line.removeprefix("file:").startswith(str(work) + "/") for line in written), (
        written
    )
    assert os.listdir(work) == []  # staged beside the original, nothing left behind
    assert sorted(os.listdir(root)) == ["a.mkv", "a.mkv.vpo-original"]
    assert (root / "a.mkv.vpo-original").read_bytes() == before
    assert original.read_bytes() != before
