"""Numbered schema migrations, recorded in `schema_migrations` and `PRAGMA user_version`.

Add a migration by appending to MIGRATIONS; never edit one that has shipped. They are
written for SQLite; on PostgreSQL db/postgres.py translates each statement (types, and
`PRAGMA user_version`, which there reads schema_migrations), so one list serves both.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from vpo.errors import SchemaTooNewError
from vpo.timeutil import now_iso

if TYPE_CHECKING:
    from vpo.db.connection import Database

V1 = """
CREATE TABLE schema_migrations (
    version     INTEGER PRIMARY KEY,
    applied_at  TEXT NOT NULL
);

CREATE TABLE files (
    id            INTEGER PRIMARY KEY,
    path          BLOB NOT NULL UNIQUE,          -- raw OS bytes
    size          INTEGER NOT NULL,
    mtime_ns      INTEGER NOT NULL,
    dev           INTEGER,
    ino           INTEGER,
    container     TEXT,
    duration      REAL,
    fingerprint   TEXT,                          -- sampled xxh3-128, see rust/src/hash.rs
    content_hash  TEXT,                          -- full xxh3-128, set by --verify-hash
    scan_status   TEXT NOT NULL CHECK (scan_status IN ('ok', 'error', 'missing')),
    scan_error    TEXT,
    racy          INTEGER NOT NULL DEFAULT 0,    -- mtime too close to the scan: re-probe next time
    first_seen    TEXT NOT NULL,
    last_scanned  TEXT NOT NULL,
    missing_since TEXT
);
CREATE INDEX files_status ON files (scan_status);
CREATE INDEX files_size_fingerprint ON files (size, fingerprint);

CREATE TABLE tracks (
    file_id     INTEGER NOT NULL REFERENCES files (id) ON DELETE CASCADE,
    idx         INTEGER NOT NULL,
    type        TEXT NOT NULL,
    codec       TEXT,
    language    TEXT NOT NULL DEFAULT 'und',
    title       TEXT,
    is_default  INTEGER NOT NULL DEFAULT 0,
    is_forced   INTEGER NOT NULL DEFAULT 0,
    channels    INTEGER,
    width       INTEGER,
    height      INTEGER,
    PRIMARY KEY (file_id, idx)
) WITHOUT ROWID;

CREATE TABLE jobs (
    id              TEXT PRIMARY KEY,            -- UUIDv4
    type            TEXT NOT NULL CHECK (type IN ('scan', 'apply', 'transcode')),
    status          TEXT NOT NULL
                    CHECK (status IN ('queued', 'running', 'completed', 'failed', 'cancelled')),
    target          TEXT NOT NULL,               -- JSON array of paths (str, surrogate-escaped)
    options         TEXT NOT NULL DEFAULT '{}',  -- JSON
    policy          TEXT,                        -- JSON
    summary         TEXT,                        -- JSON counts
    error_message   TEXT,
    error_traceback TEXT,
    error_context   TEXT,                        -- JSON
    progress        REAL,
    pid             INTEGER,
    host            TEXT,
    heartbeat_at    TEXT,
    created_at      TEXT NOT NULL,
    started_at      TEXT,
    finished_at     TEXT
);
CREATE INDEX jobs_created ON jobs (created_at);
CREATE INDEX jobs_status_created ON jobs (status, created_at);
CREATE INDEX jobs_type_created ON jobs (type, created_at);

CREATE TABLE job_files (
    job_id   TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    file_id  INTEGER REFERENCES files (id) ON DELETE SET NULL,
    path     BLOB NOT NULL,
    outcome  TEXT NOT NULL,
    details  TEXT                                -- JSON
);
CREATE INDEX job_files_job ON job_files (job_id);
CREATE INDEX job_files_file ON job_files (file_id);
"""

# 2: `jobs list --file` also matches history rows by path (records deleted by --prune).
V2 = """
CREATE INDEX job_files_path ON job_files (path);
"""

# A no-change rescan must not read the table: the walker takes (path, size, mtime_ns) of
# the rows it may trust from the first index alone (scan_status and racy are in it only so
# that SQLite counts it as covering), Python the few others from the second. Their WHERE
# clauses are spelled exactly as db/files.py's queries spell them, or SQLite will not use
# them (tests/integration/test_scan_trusted.py reads the plans).
V3 = """
CREATE INDEX files_trusted ON files (path, size, mtime_ns, scan_status, racy) WHERE scan_status != 'missing' AND racy = 0;
CREATE INDEX files_untrusted ON files (path) WHERE scan_status = 'missing' OR racy != 0;
"""

# Several hosts, one queue (SPEC section 16): the random id of the worker holding a running
# job (beside its host and pid), and how many of a job's runs ended with their worker dead
# (jobs/maintenance.py fails the job when that reaches transcode.max_attempts). The index
# is the claim's order (db/queue.py): the oldest queued transcode is its first entry, not
# the result of sorting every queued job on each claim.
V_WORKERS = """
ALTER TABLE jobs ADD COLUMN worker TEXT;
ALTER TABLE jobs ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
CREATE INDEX jobs_queue ON jobs (status, type, created_at, id);
"""

MIGRATIONS: list[str] = [V1, V2, V3, V_WORKERS]
LATEST = len(MIGRATIONS)


def migrate(db: Database) -> int:
    """Bring the schema to LATEST; refuse a database written by a newer VPO."""
    current = db.conn.execute("PRAGMA user_version").fetchone()[0]
    if current > LATEST:
        raise SchemaTooNewError(
            f"database {db.label} has schema version {current}, newer than this VPO "
            f"understands ({LATEST}); upgrade VPO",
            details={"path": db.label, "schema_version": current, "supported": LATEST},
        )
    if current == LATEST:
        return current
    with db.transaction() as conn:
        # Re-read inside the write lock: another process may have migrated meanwhile.
        current = conn.execute("PRAGMA user_version").fetchone()[0]
        if getattr(conn, "engine", "sqlite") == "postgresql":
            from vpo.db.postgres import COMPAT_FUNCTIONS

            for statement in COMPAT_FUNCTIONS:
                conn.execute(statement)
        for version in range(current + 1, LATEST + 1):
            for statement in statements(MIGRATIONS[version - 1]):
                conn.execute(statement)
            conn.execute(
                "INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)",
                (version, now_iso()),
            )
            conn.execute(f"PRAGMA user_version = {version}")
    return LATEST


def statements(script: str) -> list[str]:
    """Split on `;` at line ends (our migrations hold no triggers with inner semicolons)."""
    body = "\n".join(line.split("--", 1)[0] for line in script.splitlines())
    return [s.strip() for s in body.split(";") if s.strip()]
