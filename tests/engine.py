"""Which engine holds a test's catalogue. SQLite (a file under VPO_HOME) unless the test is
parametrised onto PostgreSQL (`@pytest.mark.engines`) or the whole run is
(`VPO_TEST_ENGINE=postgresql pytest ...`, `make test-postgresql`): then each VPO_HOME gets
its own fresh database on one throwaway server (tests/pgserver.py), and the helpers that
read the catalogue straight (scanutil.query & co.) read it there, through VPO's own adapter.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Any

import pgserver

RUN_ENGINE = os.environ.get("VPO_TEST_ENGINE", "sqlite")
_urls: dict[Path, str] = {}  # VPO_HOME -> its database's URL
_sqlite: set[Path] = set()  # homes a test pinned to SQLite, whatever the run's engine
_cluster: pgserver.Cluster | None = None


def cluster() -> pgserver.Cluster:
    """The session's server, started on first use (stopped by tests/conftest.py)."""
    global _cluster
    if _cluster is None:
        bin_dir = pgserver.binaries()
        if bin_dir is None:
            raise RuntimeError("PostgreSQL is not installed: `make system-deps` installs Debian's postgresql")
        _cluster = pgserver.Cluster(bin_dir).start()
    return _cluster


def stop() -> None:
    global _cluster
    if _cluster is not None:
        _cluster.stop()
        _cluster = None


def use_postgres(home: Path) -> str:
    """Give this VPO_HOME a fresh PostgreSQL database; its URL."""
    home = Path(home)
    if home not in _urls:
        _urls[home] = cluster().new_database()
    return _urls[home]


def use_sqlite(home: Path) -> None:
    """Keep this VPO_HOME's catalogue in SQLite, even in a PostgreSQL run."""
    _sqlite.add(Path(home))


def url_for(home: Path) -> str | None:
    home = Path(home)
    if home not in _urls and home not in _sqlite and RUN_ENGINE == "postgresql":
        use_postgres(home)
    return _urls.get(home)


def target_for(home: Path) -> Path | str:
    """What `open_database` opens for this home: its SQLite file, or its PostgreSQL URL."""
    return url_for(home) or Path(home) / "library.db"


def env_for(home: Path) -> dict[str, str]:
    """The VPO_DATABASE_URL a command run with this VPO_HOME needs (none for SQLite)."""
    url = url_for(home)
    return {"VPO_DATABASE_URL": url} if url else {}


def connect(home: Path, **kwargs: Any) -> Any:
    """A connection to this home's catalogue with sqlite3's methods and its dialect
    (vpo.db.dialect.Connection), whichever the engine."""
    url = url_for(home)
    if url is None:
        from vpo.db.sqlite_dialect import SqliteConnection

        return sqlite3.connect(Path(home) / "library.db", factory=SqliteConnection, **kwargs)
    from vpo.db.postgres import PgConnection

    return PgConnection(url)


def has_catalogue(home: Path) -> bool:
    """Has a command created this home's catalogue yet?"""
    url = url_for(home)
    if url is None:
        return (Path(home) / "library.db").exists()
    conn = connect(home)
    try:
        return conn.dialect.schema_version(conn) > 0
    finally:
        conn.close()


def integrity(home: Path) -> str | None:
    """The engine's own check of this home's catalogue: "ok" for a sound SQLite file; None
    on PostgreSQL, where the server guards its pages and no client can run such a check."""
    conn = connect(home)
    try:
        return conn.dialect.integrity(conn)
    finally:
        conn.close()


def copy_home(src: Path, dst: Path) -> None:
    """Copy a VPO_HOME, its catalogue included (on PostgreSQL: a copy of its database)."""
    import shutil

    src, dst = Path(src), Path(dst)
    if src.exists():
        shutil.copytree(src, dst, dirs_exist_ok=True)
    else:
        dst.mkdir(parents=True, exist_ok=True)
    src_url, dst_url = url_for(src), _urls.get(dst)
    if src_url is not None:
        cluster().clone(src_url, use_postgres(dst))
    elif dst_url is not None and (src / "library.db").exists():
        # A SQLite home copied into one whose catalogue is on PostgreSQL: what
        # `vpo db migrate-to` does, into the (fresh) database.
        cluster().clone(cluster().url("vpo_template"), dst_url)
        from vpo.db import copy
        from vpo.db.connection import open_database

        source, target = open_database(src / "library.db"), open_database(dst_url)
        try:
            copy.copy_all(source, target)
        finally:
            source.close()
            target.close()
