"""PostgreSQL's side of the engine seam (db/dialect.py): one catalogue and queue for several
hosts (SPEC section 16). The connection itself is db/postgres.py's PgConnection."""

from __future__ import annotations

from pathlib import Path

from vpo.db.dialect import Connection, Dialect, Table
from vpo.db.migrations_postgres import FUNCTIONS, RETIRED_FUNCTIONS
from vpo.db.migrations_postgres import POSTGRESQL as SCRIPTS

# pg_advisory_xact_lock keys: the write lock (one writer at a time, as on SQLite), and the
# first key of the two-key lock of one file's claims.
WRITE_LOCK = 0x5650_4F57  # "VPOW"
FILE_LOCK = 0x5650_4F46  # "VPOF"
# The server's clock as timeutil.now_iso writes it (UTC, microseconds, Z).
NOW_SQL = "SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"

_SCHEMA = "current_schema()::regnamespace"
_DESCRIBE = (
    "SELECT 'column ' || c.relname || ' ' || lpad(a.attnum::text, 2, '0') || ' ' || a.attname || ' '"
    " || format_type(a.atttypid, a.atttypmod)"
    " || coalesce(' COLLATE ' || co.collname, '') || CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END"
    " || CASE a.attidentity WHEN 'd' THEN ' IDENTITY' WHEN 'a' THEN ' IDENTITY ALWAYS' ELSE '' END"
    " || coalesce(' DEFAULT ' || pg_get_expr(d.adbin, d.adrelid), '')"
    " FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped"
    " LEFT JOIN pg_collation co ON co.oid = a.attcollation"
    " LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum"
    f" WHERE c.relnamespace = {_SCHEMA} AND c.relkind = 'r'",
    "SELECT 'constraint ' || conrelid::regclass::text || '.' || conname || ': ' || pg_get_constraintdef(oid)"
    f" FROM pg_constraint WHERE connamespace = {_SCHEMA}",
    "SELECT 'index ' || indexname || ': ' || indexdef FROM pg_indexes WHERE schemaname = current_schema()",
    "SELECT 'function ' || p.oid::regprocedure::text || ' returns ' || pg_get_function_result(p.oid)"
    f" FROM pg_proc p WHERE p.pronamespace = {_SCHEMA}",
)


class PostgresDialect(Dialect):
    name = "postgresql"
    product = "PostgreSQL"
    migrations = SCRIPTS
    trusted_rows_by = "copy"
    claims_take_write_lock = False

    def configure(self, conn: Connection, path: Path | None) -> None:
        pass  # psycopg's connection is autocommit and needs nothing more

    def begin(self, conn: Connection, *, write: bool) -> None:
        conn.execute("BEGIN")
        if write:  # held until COMMIT or ROLLBACK: the check-then-write code in db/ relies on it
            conn.execute(f"SELECT pg_advisory_xact_lock({WRITE_LOCK})")

    def now(self, conn: Connection) -> str:
        # The server's clock, which every host shares: heartbeats and staleness then agree
        # across hosts whose own clocks disagree.
        return str(conn.execute(NOW_SQL).fetchone()[0])

    def schema_version(self, conn: Connection) -> int:
        """The highest version in schema_migrations. pg_tables, not to_regclass: a catalogue
        scan sees a table another process's migration just committed; the cached lookup may not."""
        exists = conn.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_tables "
            "WHERE schemaname = current_schema() AND tablename = 'schema_migrations')"
        ).fetchone()[0]
        if not exists:
            return 0
        return int(conn.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchone()[0])

    def stamp_version(self, conn: Connection, version: int) -> None:
        pass  # the version is schema_migrations' highest

    def objects_outdated(self, conn: Connection) -> bool:
        """Is a function missing, or a retired one still there? (One query per open.)"""
        return bool(
            conn.execute(
                "SELECT EXISTS (SELECT 1 FROM unnest(CAST(? AS text[])) AS f (sig) "
                "WHERE to_regprocedure(f.sig) IS NULL) "
                "OR EXISTS (SELECT 1 FROM unnest(CAST(? AS text[])) AS f (sig) "
                "WHERE to_regprocedure(f.sig) IS NOT NULL)",
                (list(FUNCTIONS), list(RETIRED_FUNCTIONS)),
            ).fetchone()[0]
        )

    def upkeep(self, conn: Connection) -> None:
        for signature in RETIRED_FUNCTIONS:
            conn.execute(f"DROP ROUTINE IF EXISTS {signature}")
        for statement in FUNCTIONS.values():
            conn.execute(statement)

    def not_indexed(self, column: str) -> str:
        return column  # the planner needs no hint

    def contains(self, text: str, part: str) -> str:
        return f"strpos({text}, {part}) > 0"

    def week_of(self, timestamp: str) -> str:
        # SQLite rounds a time to the millisecond first (23:59:59.9997 is the next day).
        return (
            f"to_char(date_trunc('week', CAST({timestamp} AS timestamp) + interval '500 microseconds'), "
            "'YYYY-MM-DD')"
        )

    def json_integer(self, document: str, key: str) -> str:
        return f"CAST(CAST({document} AS jsonb) ->> '{key}' AS BIGINT)"

    def track_layouts_sql(self, columns: str, marks: str) -> str:
        return (
            f"SELECT file_id, CAST(json_agg(json_build_array({columns}) ORDER BY idx) AS text) "
            f"FROM tracks WHERE file_id IN ({marks}) GROUP BY file_id"
        )

    def skip_locked(self, alias: str) -> str:
        return f" FOR UPDATE OF {alias} SKIP LOCKED"

    def lock_files_of_job(self, conn: Connection, job_id: str) -> bool:
        # Two workers may pick two jobs of one file at once: the file's lock orders them, and
        # the second sees the first's committed claim when it looks again.
        conn.execute(
            f"SELECT pg_advisory_xact_lock({FILE_LOCK}, (file_id % 2147483647)::int4) "
            "FROM job_files WHERE job_id = ? AND file_id IS NOT NULL ORDER BY file_id",
            (job_id,),
        ).fetchall()
        return True

    def tables(self, conn: Connection) -> list[Table]:
        """In creation order (oid); `rowid` (SQLite's row order, kept by an identity column)
        is the order, not a column."""
        rows = conn.execute(
            "SELECT c.relname, array_agg(a.attname::text ORDER BY a.attnum), "
            "(SELECT array_agg(k.attname::text ORDER BY array_position(i.indkey::int2[], k.attnum)) "
            "FROM pg_index i JOIN pg_attribute k ON k.attrelid = i.indrelid AND k.attnum = ANY (i.indkey) "
            "WHERE i.indrelid = c.oid AND i.indisprimary) "
            "FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped "
            f"WHERE c.relnamespace = {_SCHEMA} AND c.relkind = 'r' AND c.relname != 'schema_migrations' "
            "GROUP BY c.oid, c.relname ORDER BY c.oid"
        ).fetchall()
        out = []
        for name, columns, key in rows:
            if "rowid" in columns:
                out.append(Table(name, [c for c in columns if c != "rowid"], "rowid"))
            else:
                out.append(Table(name, list(columns), ", ".join(f'"{k}"' for k in key or ())))
        return out

    def after_copy(self, conn: Connection) -> None:
        """Each identity column's next value comes after the copied ids (`rowid` was not
        copied: its identity numbered the rows as they came, in their stored order)."""
        columns = conn.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND is_identity = 'YES' AND column_name != 'rowid'"
        ).fetchall()
        for table, column in columns:
            conn.execute(
                f"SELECT setval(pg_get_serial_sequence('\"{table}\"', '{column}'), "
                f'coalesce((SELECT max("{column}") FROM "{table}"), 0) + 1, false)'
            )

    def integrity(self, conn: Connection) -> str | None:
        return None  # the server guards its own pages (WAL, checksums): nothing a client can run

    def server_version(self, conn: Connection) -> str:
        return str(conn.execute("SHOW server_version").fetchone()[0])

    def describe_schema(self, conn: Connection) -> list[str]:
        return sorted(row[0] for query in _DESCRIBE for row in conn.execute(query))


POSTGRESQL = PostgresDialect()
