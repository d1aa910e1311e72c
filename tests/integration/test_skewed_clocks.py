"""Hosts whose clocks disagree agree on who is alive (SPEC section 16): every time on a job
row (created, started, heartbeat, finished) is the database server's, and so is the "now"
staleness is judged by. Three simulated machines on one PostgreSQL catalogue, each a
process with its own host name and clock (tests/fakehost/sitecustomize.py): one 3 hours
behind, one on time, one 3 hours ahead. Their ffmpeg holds each job running
(tests/integration/ffmpeg_wrappers.py) until every host has looked."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import engine
from integration.conftest import age_tree
from integration.ffmpeg_wrappers import HeldFfmpeg
from integration.hosts import HANG_GUARD, Host, wait

HOURS = 3 * 3600
SAY_NOW = "from vpo.timeutil import now_iso; from vpo.host import hostname; print(now_iso(), hostname())"


def iso(text: str) -> Any:
    from vpo.timeutil import from_iso

    return from_iso(text)


class Catalogue:
    def __init__(self, url: str) -> None:
        self.url = url

    def rows(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        from vpo.db.postgres import PgConnection

        conn = PgConnection(self.url)
        try:
            return [tuple(r) for r in conn.execute(sql, params).fetchall()]
        finally:
            conn.close()

    def now(self) -> Any:
        from vpo.db.postgres_dialect import NOW_SQL

        return iso(self.rows(NOW_SQL)[0][0])

    def until(self, what: str, check: Callable[[], bool], procs: list[Any]) -> None:
        deadline = time.monotonic() + HANG_GUARD
        while not check():
            for proc in procs:
                assert proc.poll() is None, f"a process exited ({proc.returncode}) before {what}"
            assert time.monotonic() < deadline, f"hang guard: no {what}"
            time.sleep(0.1)

    def running(self, job_id: str) -> bool:
        [(status, progress)] = self.rows("SELECT status, progress FROM jobs WHERE id = ?", job_id)
        return status == "running" and (progress or 0) > 0


def queued_id(host: Host, path: Path) -> str:
    done = host.run("transcode", path, "--json")
    assert done.returncode == 0, done
    [job_id] = [f["job_id"] for f in json.loads(done.stdout)["files"] if f["status"] == "queued"]
    return job_id


def test_hosts_with_skewed_clocks_never_take_each_others_running_jobs_as_dead(
    tmp_path: Path, make_video: Callable[..., Path]
) -> None:
    url = engine.cluster().new_database()
    db = Catalogue(url)
    root = tmp_path / "lib"
    for name in ("a.mkv", "b.mkv", "checks/c.mkv"):
        make_video(root / name)
    age_tree(root)
    held = HeldFfmpeg(tmp_path)
    tools = f"tools:\n  ffmpeg: {held.path}\n"
    behind = Host(tmp_path / "behind", url, tools, name="host-behind", clock_shift=-HOURS)
    normal = Host(tmp_path / "normal", url, tools, name="host-normal")
    ahead = Host(tmp_path / "ahead", url, name="host-ahead", clock_shift=HOURS)
    # the simulation works: the behind host's VPO says another name and a time 3 h ago
    behind_now = subprocess.run(
        [sys.executable, "-c", SAY_NOW],
        env=behind.env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert behind_now[1] == "host-behind"
    assert abs((db.now() - iso(behind_now[0])) - timedelta(seconds=HOURS)) < timedelta(minutes=5)

    assert normal.run("scan", root).returncode == 0
    a_id = queued_id(behind, root / "a.mkv")
    procs: list[subprocess.Popen[bytes]] = []
    try:
        _all_running_and_seen_alive(db, root, behind, normal, ahead, a_id, procs)
        held.release()
        codes = [wait(p) for p in procs]
    finally:
        held.release()
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
    assert codes == [0, 0, 0], [h.output(n) for h, n in ((behind, "run"), (behind, "check"), (normal, "run"))]
    done = db.rows(
        "SELECT type, host, status, attempts, started_at, finished_at, error_message FROM jobs "
        "WHERE type IN ('transcode', 'check')"
    )
    assert len(done) == 3
    for kind, host, status, attempts, started, finished, error in done:
        assert (status, attempts or 0, error) == ("completed", 0, None), (kind, host)
        # started and finished by one clock: a positive, short run
        assert timedelta(0) <= iso(finished) - iso(started) < timedelta(minutes=5), (
            kind,
            host,
            started,
            finished,
        )


def _all_running_and_seen_alive(
    db: Catalogue, root: Path, behind: Host, normal: Host, ahead: Host, a_id: str, procs: list[Any]
) -> None:
    """Start a.mkv's transcode and a check on the host behind, b.mkv's on the host on time;
    while all three run, every host's commands must see them alive."""
    procs.append(behind.start("jobs", "run", "--json", name="run"))
    procs.append(
        behind.start("check", "--thorough", "--workers", "1", "--json", root / "checks", name="check")
    )
    db.until("progress on a.mkv", lambda: db.running(a_id), procs)
    db.until("a running check", lambda: bool(db.rows("SELECT 1 FROM jobs WHERE type = 'check'")), procs)
    [(check_id,)] = db.rows("SELECT id FROM jobs WHERE type = 'check'")
    b_id = queued_id(normal, root / "b.mkv")
    procs.append(normal.start("jobs", "run", "--json", name="run"))
    db.until("progress on b.mkv", lambda: db.running(b_id), procs)
    ids = {a_id: "host-behind", b_id: "host-normal", check_id: "host-behind"}
    # each job is recorded as its host's: the others can only judge it by its heartbeat
    assert dict(db.rows("SELECT id, host FROM jobs WHERE status = 'running'")) == ids

    # Every time the hosts wrote is the server's, whatever their own clocks say.
    now = db.now()
    for job_id, *times in db.rows(
        "SELECT id, created_at, started_at, heartbeat_at FROM jobs WHERE status = 'running'"
    ):
        assert all(abs(now - iso(t)) < timedelta(minutes=5) for t in times), (ids[job_id], times, now)
    # Each host's commands (which recover dead workers' jobs first) see all three alive.
    for host in (normal, ahead, behind):
        listed = host.run("jobs", "list", "--json")
        assert listed.returncode == 0, listed
        statuses = {j["id"]: j["status"] for j in json.loads(listed.stdout) if j["id"] in ids}
        assert statuses == dict.fromkeys(ids, "running"), (host.env.get("FAKE_HOST_NAME"), statuses)
