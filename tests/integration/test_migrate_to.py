"""`vpo db migrate-to URL`: a SQLite catalogue moved to a real PostgreSQL server loses
nothing (files, tracks, jobs, history compared row by row) and keeps working there."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Any

import pytest

import engine
import media
from integration.conftest import RunVpo

TABLES = {
    "files": "SELECT * FROM files ORDER BY id",
    "tracks": "SELECT * FROM tracks ORDER BY file_id, idx",
    "jobs": "SELECT * FROM jobs ORDER BY id",
    "job_files": "SELECT job_id, file_id, path, outcome, details FROM job_files ORDER BY rowid",
}


def sqlite_rows(home: Path, sql: str) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(home / "library.db")
    try:
        return [tuple(r) for r in conn.execute(sql)]
    finally:
        conn.close()


def pg_rows(url: str, sql: str) -> list[tuple[Any, ...]]:
    from vpo.db.postgres import PgConnection

    conn = PgConnection(url)
    try:
        return [tuple(r) for r in conn.execute(sql)]
    finally:
        conn.close()


@pytest.mark.parametrize("db_engine", ["sqlite"])  # the source is SQLite whatever the run's engine
def test_migrate_to_copies_everything_and_vpo_works_there(
    vpo: RunVpo, vpo_home: Path, library: media.Corpus, db_engine: str
) -> None:
    root = library.root
    assert vpo("scan", root).code in (0, 1)
    first = sorted(p for p in os.listdir(root) if p.endswith(".mkv"))[0]
    os.rename(root / first, root / f"renamed-{first}")  # a move: history under two paths
    assert vpo("scan", root).code in (0, 1)
    assert vpo("transcode", root / f"renamed-{first}").code == 0  # a queued job
    before = {t: sqlite_rows(vpo_home, sql) for t, sql in TABLES.items()}
    assert all(before.values()), {t: len(r) for t, r in before.items()}

    url = engine.cluster().new_database()
    dry = vpo("db", "migrate-to", url, "--dry-run", "--json")
    assert dry.code == 0, dry
    planned = {t["table"]: t["rows"] for t in dry.json()["tables"]}
    assert {t: planned[t] for t in TABLES} == {t: len(r) for t, r in before.items()}
    assert pg_rows(url, "SELECT count(*) FROM files") == [(0,)]  # a dry run copies nothing

    done = vpo("db", "migrate-to", url, "--json")
    assert done.code == 0, done
    after = {t: pg_rows(url, sql) for t, sql in TABLES.items()}
    for table in TABLES:
        assert after[table] == before[table], table
    assert sqlite_rows(vpo_home, "SELECT count(*) FROM files") == [(len(before["files"]),)]  # source kept

    env = {"VPO_DATABASE_URL": url}
    listed = {v: vpo("jobs", "list", "--json", *e) for v, e in (("sqlite", ()), ("pg", ()))}
    assert listed["sqlite"].code == 0
    on_pg = vpo("jobs", "list", "--json", env=env)
    assert on_pg.json() == listed["sqlite"].json()
    history = vpo("jobs", "list", "--file", root / f"renamed-{first}", "--json", env=env)
    assert len(history.json()) == len(
        vpo("jobs", "list", "--file", root / f"renamed-{first}", "--json").json()
    )
    rescan = vpo("scan", root, "--json", env=env)  # new rows get fresh ids after the copied ones
    assert rescan.code in (0, 1), rescan
    assert rescan.json()["counts"]["added"] == 0
    (root / "new.mkv").write_bytes((root / f"renamed-{first}").read_bytes()[:1000])
    assert vpo("scan", root, env=env).code in (0, 1)
    ids = [r[0] for r in pg_rows(url, "SELECT id FROM files ORDER BY id")]
    assert len(ids) == len(set(ids)) == len(before["files"]) + 1

    again = vpo("db", "migrate-to", url, "--json")
    assert again.code == 2, again
    assert "already holds rows" in again.json()["message"]
