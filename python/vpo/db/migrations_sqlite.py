"""SQLite's schema, version by version: each entry of SQLITE is the script that brings a
catalogue from the version before to its own number (its index + 1). db/migrations.py runs
them; db/migrations_postgres.py holds PostgreSQL's script of each version (same numbers).

Never edit a script that has shipped: add a version.
"""

from __future__ import annotations

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

# Reports and `vpo files` (issue 17). tracks.color_transfer: a video track's transfer
# characteristic (HDR or not, media/hdr.py; NULL when unstated, and for tracks probed
# before this migration). files.video_* .. subtitle_languages: a summary of the file's
# tracks (media/track_summary.py), written with them by db/files.py:replace_tracks, so that
# reports group and filter files without joining `tracks`; filled here from the tracks
# already catalogued. files_report covers the report's grouping by status, container and
# main video (no sort, no table read); the three language and layout indexes its other
# groupings; job_files_outcome the transcode results whose sizes the report adds up.
V_REPORT_INDEXES = """
ALTER TABLE tracks ADD COLUMN color_transfer TEXT;
ALTER TABLE files ADD COLUMN video_codec TEXT;
ALTER TABLE files ADD COLUMN video_width INTEGER;
ALTER TABLE files ADD COLUMN video_height INTEGER;
ALTER TABLE files ADD COLUMN video_transfer TEXT;
ALTER TABLE files ADD COLUMN audio_layouts TEXT;
ALTER TABLE files ADD COLUMN audio_languages TEXT;
ALTER TABLE files ADD COLUMN subtitle_languages TEXT;
UPDATE files SET
    video_codec = (SELECT codec FROM tracks t WHERE t.file_id = files.id AND t.type = 'video' ORDER BY t.idx LIMIT 1),
    video_width = (SELECT width FROM tracks t WHERE t.file_id = files.id AND t.type = 'video' ORDER BY t.idx LIMIT 1),
    video_height = (SELECT height FROM tracks t WHERE t.file_id = files.id AND t.type = 'video' ORDER BY t.idx LIMIT 1),
    audio_layouts = (SELECT group_concat(v, ' ') FROM (SELECT coalesce(codec, '') || '/' || coalesce(CAST(channels AS TEXT), '') AS v
        FROM tracks t WHERE t.file_id = files.id AND t.type = 'audio' ORDER BY v) AS layouts),
    audio_languages = (SELECT group_concat(language, ' ') FROM (SELECT language
        FROM tracks t WHERE t.file_id = files.id AND t.type = 'audio' ORDER BY language) AS languages),
    subtitle_languages = (SELECT group_concat(language, ' ') FROM (SELECT language
        FROM tracks t WHERE t.file_id = files.id AND t.type = 'subtitle' ORDER BY language) AS languages);
CREATE INDEX files_report ON files (scan_status, container, video_codec, video_width, video_height, video_transfer, size);
CREATE INDEX files_audio_layouts ON files (scan_status, audio_layouts, size);
CREATE INDEX files_audio_languages ON files (scan_status, audio_languages, size);
CREATE INDEX files_subtitle_languages ON files (scan_status, subtitle_languages, size);
CREATE INDEX job_files_outcome ON job_files (outcome);
"""

# Integrity checks (SPEC section 14): one row per file, the latest `vpo check` result and
# the size and mtime it was made for (a file changed since is checked again). The `check`
# job type is allowed by the rebuild of `jobs` in the next migration.
V_INTEGRITY_CHECKS = """
CREATE TABLE checks (
    file_id     INTEGER PRIMARY KEY REFERENCES files (id) ON DELETE CASCADE,
    size        INTEGER NOT NULL,                -- what the check was made for
    mtime_ns    INTEGER NOT NULL,
    level       TEXT NOT NULL CHECK (level IN ('quick', 'thorough')),
    passed      INTEGER NOT NULL,
    error       TEXT,                            -- the reason, or the decoder's first messages
    checked_at  TEXT NOT NULL,
    seconds     REAL,
    job_id      TEXT                             -- the check job (may have been purged)
);
CREATE INDEX checks_checked_at ON checks (checked_at);
"""

# Job types `check` (`vpo check`) and `undo` (`vpo jobs undo`), job status `skipped` (a
# transcode whose result was not smaller). SQLite cannot change a CHECK constraint in place, so `jobs` is rebuilt.
# `job_files` references it: dropping `jobs` with foreign keys on would cascade-delete
# every history row, and the pragma cannot be turned off inside the migration's
# transaction. So `job_files` is rebuilt first against the new table, both old ones are
# dropped (children first: nothing cascades), and renaming `jobs_new` to `jobs` rewrites
# the reference in `job_files_new` (SQLite >= 3.26). Data, indexes (recreated, same names)
# and both foreign keys are kept.
V_JOB_KINDS = """
CREATE TABLE jobs_new (
    id              TEXT PRIMARY KEY,
    type            TEXT NOT NULL CHECK (type IN ('scan', 'apply', 'transcode', 'check', 'undo')),
    status          TEXT NOT NULL
                    CHECK (status IN ('queued', 'running', 'completed', 'failed', 'cancelled', 'skipped')),
    target          TEXT NOT NULL,
    options         TEXT NOT NULL DEFAULT '{}',
    policy          TEXT,
    summary         TEXT,
    error_message   TEXT,
    error_traceback TEXT,
    error_context   TEXT,
    progress        REAL,
    pid             INTEGER,
    host            TEXT,
    heartbeat_at    TEXT,
    created_at      TEXT NOT NULL,
    started_at      TEXT,
    finished_at     TEXT
);
INSERT INTO jobs_new (id, type, status, target, options, policy, summary, error_message,
    error_traceback, error_context, progress, pid, host, heartbeat_at, created_at, started_at,
    finished_at)
SELECT id, type, status, target, options, policy, summary, error_message, error_traceback,
    error_context, progress, pid, host, heartbeat_at, created_at, started_at, finished_at
FROM jobs;
CREATE TABLE job_files_new (
    job_id   TEXT NOT NULL REFERENCES jobs_new (id) ON DELETE CASCADE,
    file_id  INTEGER REFERENCES files (id) ON DELETE SET NULL,
    path     BLOB NOT NULL,
    outcome  TEXT NOT NULL,
    details  TEXT
);
INSERT INTO job_files_new (rowid, job_id, file_id, path, outcome, details)
SELECT rowid, job_id, file_id, path, outcome, details FROM job_files;
DROP TABLE job_files;
DROP TABLE jobs;
ALTER TABLE jobs_new RENAME TO jobs;
ALTER TABLE job_files_new RENAME TO job_files;
CREATE INDEX jobs_created ON jobs (created_at);
CREATE INDEX jobs_status_created ON jobs (status, created_at);
CREATE INDEX jobs_type_created ON jobs (type, created_at);
CREATE INDEX job_files_job ON job_files (job_id);
CREATE INDEX job_files_file ON job_files (file_id);
CREATE INDEX job_files_path ON job_files (path);
CREATE INDEX job_files_outcome ON job_files (outcome);
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

# No schema change on either engine: on PostgreSQL this version brought look-alikes of
# SQLite's functions, since retired (db/migrations_postgres.py). Kept so that the numbers
# agree: a catalogue at version 8 is the same schema on both engines.
V_PG_REPORT_FUNCTIONS = """
-- nothing to do in SQLite
"""

# `vpo watch` (SPEC section 17): one watcher per root (its lock, heartbeat by the database's
# clock, how it learns of changes and its last error), and the files waiting to settle or
# handled (db/watch.py).
V_WATCH = """
CREATE TABLE watchers (
    root          BLOB PRIMARY KEY,              -- raw OS bytes, absolute
    profile       TEXT,
    host          TEXT NOT NULL,
    pid           INTEGER NOT NULL,
    token         TEXT NOT NULL,
    started_at    TEXT NOT NULL,
    heartbeat_at  TEXT NOT NULL,
    mode          TEXT NOT NULL,                 -- starting, events, polling, away
    reason        TEXT,
    last_error    TEXT,
    last_error_at TEXT
);
CREATE TABLE watch_files (
    path          BLOB PRIMARY KEY,
    root          BLOB NOT NULL,
    size          INTEGER,
    mtime_ns      INTEGER,
    waiting_since TEXT,
    handled_at    TEXT
);
CREATE INDEX watch_files_waiting ON watch_files (root, waiting_since);
CREATE INDEX watch_files_handled ON watch_files (root, handled_at);
"""

# What Radarr and Sonarr know of a file's film or series (SPEC section 18): its original
# language (ISO 639-2/B) and who said so, a source of a plan's original language after a
# rule's `set` (db/original_languages.py). Written by `vpo hook` and the API lookups.
V_ORIGINAL_LANGUAGES = """
CREATE TABLE original_languages (
    file_id     INTEGER PRIMARY KEY REFERENCES files (id) ON DELETE CASCADE,
    language    TEXT NOT NULL,
    source      TEXT NOT NULL,                 -- Radarr or Sonarr
    updated_at  TEXT NOT NULL
);
"""


# After V_JOB_KINDS: its rebuild of `jobs` names every column it keeps.
SQLITE: tuple[str, ...] = (
    V1,
    V2,
    V3,
    V_REPORT_INDEXES,
    V_INTEGRITY_CHECKS,
    V_JOB_KINDS,
    V_WORKERS,
    V_PG_REPORT_FUNCTIONS,
    V_WATCH,
    V_ORIGINAL_LANGUAGES,
)
