"""One watcher per root per catalogue (`watchers` rows, db/watch.py).

A root is taken with an insert that fails when someone holds it, or holds a root inside it
or around it (two watchers would then handle the same files). A holder that is dead (on
this host: its process is gone; on another: no heartbeat for STALE, by the database's
clock) is evicted and the root taken over, which is how `--standby` takes over and how a
watcher restarted after a crash gets its roots back. A thread with a connection of its own
beats every HEARTBEAT seconds, so a long scan or apply on the main thread never makes the
watcher look dead to a standby on another host.
"""

from __future__ import annotations

import logging
import os
import secrets
import threading
from datetime import timedelta
from pathlib import Path

from vpo.db import watch as watch_db
from vpo.db.connection import Database, db_now, open_database
from vpo.db.watch import Holder
from vpo.host import hostname
from vpo.jobs.maintenance import why_dead
from vpo.watch.models import Mode

log = logging.getLogger(__name__)

HEARTBEAT = 10.0  # seconds between heartbeats
STALE = timedelta(seconds=60)  # a holder on another host without a heartbeat this long is dead


def overlaps(a: bytes, b: bytes) -> bool:
    """The same root, or one inside the other."""
    a, b = a.rstrip(b"/"), b.rstrip(b"/")
    return a == b or a.startswith(b + b"/") or b.startswith(a + b"/")


class Locks:
    """The roots this watcher process holds, under one random token."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.token = secrets.token_hex(8)
        self.host = hostname()
        self.pid = os.getpid()

    def take(self, root: bytes, profile: str | None) -> Holder | None:
        """Take `root`; None when it is ours now, else the live holder in the way."""
        with self.db.transaction() as conn:
            now = db_now(conn)
            for other in watch_db.holders(conn):
                if other.token == self.token or not overlaps(other.root, root):
                    continue
                reason = why_dead(other.pid, other.host, other.heartbeat_at, self.host, now, stale=STALE)
                if reason is None:
                    return other
                if watch_db.evict(conn, other.root, other.token):
                    log.warning(
                        "%s: taking over from the watcher that held %s: %s",
                        os.fsdecode(root),
                        os.fsdecode(other.root),
                        reason,
                    )
            if watch_db.claim(
                conn, root, profile=profile, host=self.host, pid=self.pid, token=self.token, now=now
            ):
                return None
            holder = watch_db.holder(conn, root)  # already ours, or taken meanwhile
        return None if holder is None or holder.token == self.token else holder

    def release(self, roots: list[bytes] | None = None) -> None:
        with self.db.transaction() as conn:
            watch_db.release(conn, self.token, roots)

    def set_mode(self, root: bytes, mode: Mode, reason: str | None) -> None:
        with self.db.transaction() as conn:
            watch_db.set_mode(conn, root, self.token, mode.value, reason)

    def set_error(self, root: bytes, message: str) -> None:
        with self.db.transaction() as conn:
            watch_db.set_error(conn, root, self.token, message, db_now(conn))


class Heartbeat:
    """Beats for every root `locks` holds, on its own thread and connection. `lost` holds the
    roots found taken by another watcher (which judged this one dead): the main loop stops
    watching them."""

    def __init__(self, locks: Locks, target: Path | str) -> None:
        self._locks = locks
        self._target = target
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="watch heartbeat", daemon=True)
        self.held: set[bytes] = set()  # what the main thread believes it holds
        self.lost: set[bytes] = set()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def _run(self) -> None:
        db = None
        while not self._stop.wait(HEARTBEAT):
            try:
                if db is None:
                    db = open_database(self._target)
                before = set(self.held)  # taken before this read: a root missing from it is lost
                with db.transaction() as conn:
                    still = set(watch_db.beat(conn, self._locks.token, db_now(conn)))
                self.lost |= before - still
            except Exception as exc:  # a database hiccup: try again at the next beat
                log.warning("watch heartbeat failed: %s", exc)
                if db is not None:
                    db.close()
                    db = None
        if db is not None:
            db.close()
