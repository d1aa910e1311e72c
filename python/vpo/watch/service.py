"""`vpo watch`: the loop. Runs until SIGTERM (the current step finishes, exit 0) or SIGINT
(the running scan or apply stops as it would on the command line, exit 130). SIGHUP
rereads the config and profiles: roots added or removed take effect.

Threads: this one does all the work and all the catalogue's writes; one thread per root
watched with events waits for them (watch/sources.py) and one beats the heartbeat
(watch/lock.py). The main thread waits on the sources' queue at most a second at a time,
so signals are heard promptly.
"""

from __future__ import annotations

import logging
import queue
import signal
import time
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

from vpo.db import watch as watch_db
from vpo.db.connection import Database
from vpo.errors import Interrupted, RootWatchedError, VpoError
from vpo.timeutil import to_local_display
from vpo.watch import notices
from vpo.watch.lock import Heartbeat, Locks
from vpo.watch.models import WatchRoot
from vpo.watch.rootwatch import Announce, RootWatch
from vpo.watch.sources import Message

log = logging.getLogger(__name__)

MAX_WAIT = 1.0  # the longest the loop sleeps: how soon SIGTERM and SIGHUP are acted on
STANDBY_EVERY = 2.0  # seconds between looks at a held root's holder (--standby)
FORGET_EVERY = 3600.0  # seconds between purges of `watch_files` rows older than the status shows


class WatchService:
    def __init__(
        self,
        db: Database,
        load: Callable[[], list[WatchRoot]],
        *,
        database: Path | str,
        standby: bool,
        announce: Announce,
        purge_days: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.db, self.load, self.standby, self.announce, self.clock = db, load, standby, announce, clock
        self.purge_days = purge_days  # jobs.retention_days with jobs.auto_purge: purged hourly
        self.locks = Locks(db)
        self.heartbeat = Heartbeat(self.locks, database)  # what `db` was opened from
        self.queue: queue.Queue[Message] = queue.Queue()
        self.watches: dict[bytes, RootWatch] = {}
        self.waiting: dict[bytes, WatchRoot] = {}  # held by another watcher (--standby)
        self.stopping = False
        self.reloading = False
        self.running = False  # the first roots started: roots taken later start at once
        self._next_standby = 0.0
        self._next_forget = 0.0

    def run(self, targets: list[WatchRoot]) -> int:
        """Watch `targets` (what `load` returned at start); `load` again on SIGHUP."""
        previous = self._install_signals()
        try:
            self._take(targets)
            self.heartbeat.start()
            self.running = True
            for watch in list(self.watches.values()):
                watch.start(self.clock())
            while not self.stopping:
                self._step()
            log.info("watch stopped (SIGTERM)")
            return 0
        except Interrupted:
            raise  # Ctrl+C: stopped on purpose
        except Exception as exc:
            failure = exc.message if isinstance(exc, VpoError) else f"{type(exc).__name__}: {exc}"
            notices.watcher_stopped(self._targets() or targets, failure)
            raise
        finally:
            self._shutdown(previous)

    def _targets(self) -> list[WatchRoot]:
        """The roots this watcher watches or waits for now."""
        return [w.target for w in self.watches.values()] + list(self.waiting.values())

    # -- signals ------------------------------------------------------------------------------

    def _install_signals(self) -> dict[int, Any]:
        def stop(_signum: int, _frame: FrameType | None) -> None:
            self.stopping = True

        def reload(_signum: int, _frame: FrameType | None) -> None:
            self.reloading = True

        return {
            signal.SIGTERM: signal.signal(signal.SIGTERM, stop),
            signal.SIGHUP: signal.signal(signal.SIGHUP, reload),
        }

    def _shutdown(self, previous: dict[int, Any]) -> None:
        for watch in self.watches.values():
            watch.stop()
        self.heartbeat.stop()
        try:
            self.locks.release()
        except Exception as exc:  # the rows then look dead to the next watcher, which is fine
            log.warning("could not release the watched roots: %s", exc)
        for signum, handler in previous.items():
            signal.signal(signum, handler)

    # -- the loop -----------------------------------------------------------------------------

    def _step(self) -> None:
        now = self.clock()
        wait = min([MAX_WAIT, *(w.wake_in(now) for w in self.watches.values())])
        try:
            message = self.queue.get(timeout=max(wait, 0.01))
        except queue.Empty:
            message = None
        while message is not None:
            watch = self.watches.get(message.root)
            if watch is not None:
                watch.on_message(message, self.clock())
            try:
                message = self.queue.get_nowait()
            except queue.Empty:
                message = None
        for root in list(self.heartbeat.lost):
            self._lost(root)
        for watch in list(self.watches.values()):
            if self.stopping:
                return
            watch.tick(self.clock(), lambda: self.stopping)
        now = self.clock()
        if self.waiting and now >= self._next_standby:
            self._next_standby = now + STANDBY_EVERY
            self._take(list(self.waiting.values()))
        if now >= self._next_forget:
            self._next_forget = now + FORGET_EVERY
            self._forget_old()
        if self.reloading:
            self.reloading = False
            self._reload()

    def _take(self, targets: list[WatchRoot]) -> None:
        """Take each root (or wait for it with --standby); without --standby a root another
        live watcher holds is an error, before anything else is done."""
        started = []
        for target in targets:
            holder = self.locks.take(target.path, target.profile)
            if holder is None:
                self.waiting.pop(target.path, None)
                self.watches[target.path] = RootWatch(self.db, target, self.locks, self.queue, self.announce)
                self.heartbeat.held.add(target.path)
                started.append(target.path)
                continue
            if not self.standby:
                self.locks.release(started)
                raise RootWatchedError(
                    f"{target.shown} is watched by process {holder.pid} on {holder.host} (since "
                    f"{to_local_display(holder.started_at)}); stop it first, or wait for it with --standby",
                    details={"root": target.shown, "host": holder.host, "pid": holder.pid},
                )
            if target.path not in self.waiting:
                self.waiting[target.path] = target
                log.warning(
                    "%s is watched by process %d on %s: standing by", target.shown, holder.pid, holder.host
                )
                self.announce(target.path, f"standing by: watched by process {holder.pid} on {holder.host}")
        if self.running:  # taken over (standby) or added (SIGHUP) while running
            for path in started:
                self.watches[path].start(self.clock())

    def _lost(self, root: bytes) -> None:
        self.heartbeat.lost.discard(root)
        watch = self.watches.pop(root, None)
        self.heartbeat.held.discard(root)
        if watch is not None:
            watch.stop()
            log.error("%s: another watcher took this root over (it judged this one dead)", watch.target.shown)

    def _reload(self) -> None:
        """SIGHUP: the roots and settings as the config and profiles say now."""
        try:
            targets = {t.path: t for t in self.load()}
        except VpoError as exc:
            log.error("SIGHUP: the configuration does not load, keeping the current one: %s", exc.message)
            return
        gone = [root for root in [*self.watches, *self.waiting] if root not in targets]
        for root in gone:
            self.waiting.pop(root, None)
            watch = self.watches.pop(root, None)
            if watch is not None:
                watch.stop()
                self.heartbeat.held.discard(root)
                self.announce(root, "no longer watched")
        if gone:
            self.locks.release(gone)
        now = self.clock()
        for root, target in targets.items():
            if root in self.watches:
                self.watches[root].reconfigure(target, now)
        added = [t for root, t in targets.items() if root not in self.watches]
        standby, self.standby = self.standby, True  # a held root added by SIGHUP is waited for
        try:
            self._take(added)
        finally:
            self.standby = standby
        log.info("SIGHUP: configuration reread; watching %d root(s)", len(self.watches))

    def _forget_old(self) -> None:
        from datetime import timedelta

        from vpo.db.connection import db_now
        from vpo.timeutil import from_iso, to_iso

        with self.db.transaction() as conn:
            cutoff = to_iso(from_iso(db_now(conn)) - timedelta(days=1))
            watch_db.forget_handled(conn, cutoff)
        if self.purge_days is not None:  # a watcher runs for months: old jobs go as they would
            from vpo.jobs.maintenance import purge

            purge(self.db, older_than_days=self.purge_days)
