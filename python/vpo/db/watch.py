"""Data access for `vpo watch`: `watchers` (who watches which root: the lock, the heartbeat,
what the status shows) and `watch_files` (files waiting to settle, and when each was last
handled). Portable SQL: `?` placeholders, `INSERT ... ON CONFLICT`, nothing engine-specific.
Times are written by the caller, from `db.connection.db_now` (the database's clock)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import NamedTuple

from vpo.db.connection import chunks
from vpo.db.dialect import Connection


class Holder(NamedTuple):
    """A `watchers` row."""

    root: bytes
    profile: str | None
    host: str
    pid: int
    token: str  # random id of the watcher process (a pid can be reused)
    started_at: str
    heartbeat_at: str
    mode: str  # starting | events | polling | away
    reason: str | None  # why polling, or why away
    last_error: str | None
    last_error_at: str | None


class Waiting(NamedTuple):
    """A `watch_files` row still waiting: `size` and `mtime_ns` None when the file is gone."""

    path: bytes
    size: int | None
    mtime_ns: int | None


_HOLDER = (
    "SELECT root, profile, host, pid, token, started_at, heartbeat_at, mode, reason, last_error, "
    "last_error_at FROM watchers"
)


def holders(conn: Connection) -> list[Holder]:
    return [Holder(bytes(r[0]), *r[1:]) for r in conn.execute(_HOLDER + " ORDER BY root")]


def holder(conn: Connection, root: bytes) -> Holder | None:
    row = conn.execute(_HOLDER + " WHERE root = ?", (root,)).fetchone()
    return Holder(bytes(row[0]), *row[1:]) if row else None


def claim(
    conn: Connection, root: bytes, *, profile: str | None, host: str, pid: int, token: str, now: str
) -> bool:
    """Take `root` unless someone holds it; True when this call took it."""
    cur = conn.execute(
        "INSERT INTO watchers (root, profile, host, pid, token, started_at, heartbeat_at, mode) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, 'starting') ON CONFLICT (root) DO NOTHING",  # Mode.STARTING
        (root, profile, host, pid, token, now, now),
    )
    return cur.rowcount == 1


def evict(conn: Connection, root: bytes, token: str) -> bool:
    """Remove a dead holder's row (only if it is still that holder's)."""
    return conn.execute("DELETE FROM watchers WHERE root = ? AND token = ?", (root, token)).rowcount == 1


def release(conn: Connection, token: str, roots: Sequence[bytes] | None = None) -> None:
    """This watcher lets go of `roots` (all of its roots when None)."""
    if roots is None:
        conn.execute("DELETE FROM watchers WHERE token = ?", (token,))
        return
    for chunk in chunks(list(roots)):
        marks = ",".join("?" * len(chunk))
        conn.execute(f"DELETE FROM watchers WHERE token = ? AND root IN ({marks})", (token, *chunk))


def beat(conn: Connection, token: str, now: str) -> list[bytes]:
    """Heartbeat of every root this watcher holds; returns the roots it still holds."""
    conn.execute("UPDATE watchers SET heartbeat_at = ? WHERE token = ?", (now, token))
    return [bytes(r[0]) for r in conn.execute("SELECT root FROM watchers WHERE token = ?", (token,))]


def set_mode(conn: Connection, root: bytes, token: str, mode: str, reason: str | None) -> None:
    conn.execute(
        "UPDATE watchers SET mode = ?, reason = ? WHERE root = ? AND token = ?", (mode, reason, root, token)
    )


def set_error(conn: Connection, root: bytes, token: str, message: str, now: str) -> None:
    conn.execute(
        "UPDATE watchers SET last_error = ?, last_error_at = ? WHERE root = ? AND token = ?",
        (message, now, root, token),
    )


# -- watch_files -----------------------------------------------------------------------------


def wait(conn: Connection, root: bytes, rows: Iterable[Waiting], now: str) -> None:
    """Files seen changing (or gone): waiting from now, or still waiting since earlier."""
    conn.executemany(
        "INSERT INTO watch_files (path, root, size, mtime_ns, waiting_since) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT (path) DO UPDATE SET root = excluded.root, size = excluded.size, "
        "mtime_ns = excluded.mtime_ns, "
        "waiting_since = COALESCE(watch_files.waiting_since, excluded.waiting_since)",
        [(w.path, root, w.size, w.mtime_ns, now) for w in rows],
    )


def waiting(conn: Connection, root: bytes) -> list[Waiting]:
    """What still waits under `root` (what a watcher that stopped left to settle)."""
    rows = conn.execute(
        "SELECT path, size, mtime_ns FROM watch_files WHERE root = ? AND waiting_since IS NOT NULL",
        (root,),
    )
    return [Waiting(bytes(r[0]), r[1], r[2]) for r in rows]


def handled(conn: Connection, paths: Sequence[bytes], now: str) -> None:
    """These were handled (catalogued, applied): no longer waiting."""
    for chunk in chunks(list(paths)):
        marks = ",".join("?" * len(chunk))
        conn.execute(
            f"UPDATE watch_files SET waiting_since = NULL, handled_at = ? WHERE path IN ({marks})",
            (now, *chunk),
        )


def dropped(conn: Connection, paths: Sequence[bytes]) -> None:
    """These needed nothing (unchanged since catalogued, a temporary file gone): no longer
    waiting; forgotten unless they were handled before."""
    for chunk in chunks(list(paths)):
        marks = ",".join("?" * len(chunk))
        conn.execute(f"DELETE FROM watch_files WHERE handled_at IS NULL AND path IN ({marks})", chunk)
        conn.execute(f"UPDATE watch_files SET waiting_since = NULL WHERE path IN ({marks})", chunk)


def forget_handled(conn: Connection, cutoff: str) -> None:
    """Rows that wait for nothing and were handled before `cutoff` (older than the status shows)."""
    conn.execute(
        "DELETE FROM watch_files WHERE waiting_since IS NULL AND (handled_at IS NULL OR handled_at < ?)",
        (cutoff,),
    )


def counts(conn: Connection, root: bytes, since: str) -> tuple[int, int]:
    """(files waiting, files handled since `since`) under `root`."""
    row = conn.execute(
        "SELECT "
        "COALESCE(SUM(CASE WHEN waiting_since IS NOT NULL THEN 1 ELSE 0 END), 0), "
        "COALESCE(SUM(CASE WHEN handled_at >= ? THEN 1 ELSE 0 END), 0) "
        "FROM watch_files WHERE root = ?",
        (since, root),
    ).fetchone()
    return int(row[0]), int(row[1])
