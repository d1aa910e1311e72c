"""`vpo watch status`: each root a watcher holds (or a profile names), how it is watched
and why, files waiting to settle, files handled in the last 24 hours, the last error.
Read from the catalogue, where every watcher keeps its state: any host can ask."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from datetime import timedelta
from typing import Any

from vpo.db import watch as watch_db
from vpo.db.connection import Database, db_now
from vpo.host import hostname
from vpo.jobs.maintenance import why_dead
from vpo.timeutil import from_iso, to_iso
from vpo.watch.lock import STALE

DAY = timedelta(days=1)
# States beyond the watchers' own modes (watch/models.py Mode):
DEAD = "dead"  # its watcher is gone without letting go (the next watcher takes the root over)
NOT_WATCHED = "not watched"  # a profile names it; no watcher holds it


@dataclass
class RootStatus:
    root: str
    profile: str | None
    state: str  # a Mode's value, DEAD or NOT_WATCHED
    reason: str | None  # why polling, away or dead
    host: str | None
    pid: int | None
    started_at: str | None
    heartbeat_at: str | None
    waiting: int  # files waiting to settle
    handled_24h: int  # files handled in the last 24 hours
    last_error: str | None
    last_error_at: str | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def watch_status(db: Database | None, configured: list[tuple[bytes, str | None]]) -> list[RootStatus]:
    """Every root held in the catalogue, then each `configured` (root, profile) not held.
    `db` None: there is no catalogue yet (nothing watched, nothing waiting)."""
    out = _held(db) if db is not None else []
    since = to_iso(from_iso(db_now(db.conn)) - DAY) if db is not None else None
    listed = {os.fsencode(r.root) for r in out}
    for root, profile in configured:
        if root in listed:
            continue
        listed.add(root)
        waiting, handled = watch_db.counts(db.conn, root, since) if db is not None and since else (0, 0)
        out.append(
            RootStatus(
                root=os.fsdecode(root),
                profile=profile,
                state=NOT_WATCHED,
                reason=None,
                host=None,
                pid=None,
                started_at=None,
                heartbeat_at=None,
                waiting=waiting,
                handled_24h=handled,
                last_error=None,
                last_error_at=None,
            )
        )
    return out


def _held(db: Database) -> list[RootStatus]:
    """The roots watchers hold; a holder that is gone (without letting go) is `dead`."""
    conn = db.conn
    now = db_now(conn)
    since = to_iso(from_iso(now) - DAY)
    here = hostname()
    out = []
    for h in watch_db.holders(conn):
        dead = why_dead(h.pid, h.host, h.heartbeat_at, here, now, stale=STALE)
        waiting, handled = watch_db.counts(conn, h.root, since)
        out.append(
            RootStatus(
                os.fsdecode(h.root),
                h.profile,
                DEAD if dead else h.mode,
                dead or h.reason,
                h.host,
                h.pid,
                h.started_at,
                h.heartbeat_at,
                waiting,
                handled,
                h.last_error,
                h.last_error_at,
            )
        )
    return out
