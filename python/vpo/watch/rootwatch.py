"""One watched root: how it learns of changes (events, or polling and why), whether it is
there at all (an unmounted share is "away": nothing is handled, nothing marked missing,
and it is looked at every few seconds), the reconcile scans, and the settled batches."""

from __future__ import annotations

import logging
import os
import queue
from collections.abc import Callable

from vpo.db import files as files_db
from vpo.db.connection import Database
from vpo.errors import Interrupted, RootNotFoundError, UnmountedLibraryError, VpoError
from vpo.scan.service import scan
from vpo.watch import notices
from vpo.watch.batch import Outcome, settle_batch
from vpo.watch.intake import Intake
from vpo.watch.lock import Locks
from vpo.watch.models import Mode, WatchRoot
from vpo.watch.mounts import polling_reason, root_fs_type
from vpo.watch.pipeline import scan_options
from vpo.watch.poll import PollResult, poll
from vpo.watch.settle import Settling
from vpo.watch.sources import Changes, EventSource, Message

log = logging.getLogger(__name__)

CHECK_EVERY = 3.0  # seconds between looks at whether the root is still there
INFINITY = float("inf")
Announce = Callable[[bytes, str], None]


class RootWatch:
    def __init__(
        self, db: Database, target: WatchRoot, locks: Locks, out: queue.Queue[Message], announce: Announce
    ) -> None:
        self.db, self.target, self.locks, self.out, self.announce = db, target, locks, out, announce
        self.settling = Settling(target.settings.watch.settle)
        self.intake = Intake(db, target, self.settling)
        self.mode = Mode.STARTING
        self.reason: str | None = None
        self.source: EventSource | None = None
        self.generation = 0  # tags the current source's messages
        self.device: int | None = None
        self.forced_polling: str | None = None  # events failed: why (kept until a restart)
        self._said: set[str | None] = set()  # each reason for polling is logged once per root
        self.next_poll = self.next_reconcile = self.next_check = INFINITY

    @property
    def path(self) -> bytes:
        return self.target.path

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self, now: float) -> None:
        restored = self.intake.restore(now)
        if restored:
            log.info(
                "%s: %d file(s) left waiting by the last watcher settle again", self.target.shown, restored
            )
        self.next_check = now + CHECK_EVERY
        why = self.absent()
        if why is not None:
            self.go_away(why)
            return
        self._begin(now)

    def stop(self) -> None:
        if self.source is not None:
            self.source.stop()
            self.source = None

    def reconfigure(self, target: WatchRoot, now: float) -> None:
        """SIGHUP: the profile's settings changed (settle, poll, ignore, policy...)."""
        self.target = target
        self.settling.settle = target.settings.watch.settle
        self.intake = Intake(self.db, target, self.settling)
        if self.mode in (Mode.EVENTS, Mode.POLLING) and (self._polling_reason() is None) != (
            self.mode == Mode.EVENTS
        ):
            self.stop()
            self._listen(now)

    def _begin(self, now: float) -> None:
        """Start (or, back from away, restart) listening, then reconcile."""
        try:
            self.device = os.stat(self.path).st_dev
        except OSError:
            self.device = None
        self._listen(now)
        self.reconcile(now)

    def _listen(self, now: float) -> None:
        reason = self._polling_reason()
        if reason is None:
            self.generation += 1
            self.source = EventSource(self.path, self.out, self.generation)
            self.source.start()  # returns once events flow: the reconcile after it misses nothing
            if self.source.alive:  # else its Stopped message (queued) says why, and it is polled
                self._set_mode(Mode.EVENTS, None)
            self.next_poll = INFINITY
        else:
            self._set_mode(Mode.POLLING, reason)
            self.next_poll = now + self.target.settings.watch.poll_interval

    def _polling_reason(self) -> str | None:
        return self.forced_polling or polling_reason(
            root_fs_type(self.path), forced=self.target.settings.watch.poll
        )

    def _set_mode(self, mode: Mode, reason: str | None) -> None:
        if (mode, reason) == (self.mode, self.reason):
            return
        self.mode, self.reason = mode, reason
        self.locks.set_mode(self.path, mode, reason)
        if mode == Mode.POLLING and reason not in self._said:
            self._said.add(reason)
            every = f"{self.target.settings.watch.poll_interval:g} s"
            log.warning("%s: polling every %s instead of file events: %s", self.target.shown, every, reason)
            self.announce(self.path, f"polling every {every} ({reason})")
        elif mode == Mode.EVENTS:
            log.info("%s: watching with file events", self.target.shown)
            self.announce(self.path, "watching with file events")

    # -- messages from the event source -------------------------------------------------------

    def on_message(self, message: Message, now: float) -> None:
        if self.source is None or message.tag != self.generation:
            return  # late, from a source already stopped (polling or away now, or restarted)
        if isinstance(message, Changes):
            if self.intake.changes(message.changes, now):
                self.next_check = now  # the root itself was deleted or moved: look at it now
            return
        self.stop()
        if message.gone:
            self.go_away(message.reason)
            return
        self.forced_polling = message.reason
        self._listen(now)
        self.poll_now(now)  # what happened while the events failed

    # -- the periodic work --------------------------------------------------------------------

    def wake_in(self, now: float) -> float:
        """Seconds until this root has something to do."""
        times = [self.next_check, self.next_poll, self.next_reconcile]
        if self.mode != Mode.AWAY:
            due = self.settling.next_due(now)
            if due is not None:
                times.append(now + due)
        return max(0.0, min(times) - now)

    def tick(self, now: float, stopping: Callable[[], bool]) -> None:
        if now >= self.next_check:
            self.next_check = now + CHECK_EVERY
            self._check_presence(now)
        if self.mode == Mode.AWAY or stopping():
            return
        if now >= self.next_reconcile:
            self.reconcile(now)
        if now >= self.next_poll:
            self.poll_now(now)
        while not stopping() and self.mode != Mode.AWAY:
            outcome = settle_batch(self.intake, self.absent, now)
            if outcome is None:
                break
            self._after(outcome)

    def _after(self, batch: Outcome) -> None:
        if batch.summary is not None:
            self.announce(self.path, batch.summary)
        for problem in batch.failures:
            self.failed(problem)
        if batch.away is not None:
            self.go_away(batch.away)

    def reconcile(self, now: float) -> None:
        """An incremental scan of the root that probes nothing: deletions and files back
        are recorded; new and changed files settle first (the scan holds them back)."""
        self.next_reconcile = now + self.target.settings.watch.reconcile_interval
        try:
            report = scan(self.db, scan_options(self.target, (self.path,), frozenset()))
        except (UnmountedLibraryError, RootNotFoundError) as exc:
            self.go_away(exc.message)
            return
        except Interrupted:
            raise
        except VpoError as exc:
            self.failed(f"reconcile scan: {exc.message}")
            return
        self.intake.found([(e[0], (e[1], e[2])) for e in report.held], [], now)

    def poll_now(self, now: float) -> None:
        self.next_poll = (
            now + self.target.settings.watch.poll_interval if self.mode == Mode.POLLING else INFINITY
        )
        result = self._poll()
        if result.unreadable is not None:
            self.failed(f"cannot read {self.target.shown}: {result.unreadable}")
        elif result.looks_unmounted:
            self.go_away("holds no video files but the catalogue knows files under it")
        else:
            self.intake.found(result.changed, result.gone, now)

    def _poll(self) -> PollResult:
        cfg = self.target.settings.scan
        return poll(
            self.db,
            self.path,
            extensions=cfg.extensions,
            follow_symlinks=cfg.follow_symlinks,
            wanted=self.intake.names.wanted,
        )

    def failed(self, message: str) -> None:
        log.error("%s: %s", self.target.shown, message)
        self.locks.set_error(self.path, message)

    # -- away (unmounted, renamed) and back -----------------------------------------------------

    def absent(self) -> str | None:
        """Why the root cannot be worked on now (None: it is there)."""
        try:
            st = os.stat(self.path)
        except OSError as exc:
            return f"is not there ({exc.strerror or exc})"
        if not os.path.isdir(self.path):
            return "is not a folder"
        try:
            with os.scandir(self.path) as entries:
                empty = next(entries, None) is None
        except OSError as exc:
            return f"cannot be read ({exc.strerror or exc})"
        if empty and files_db.count_present_under(self.db.conn, self.path):
            return "is empty but the catalogue knows files under it"
        if self.device is not None and st.st_dev != self.device and self.mode != Mode.AWAY:
            return "is another file system than before (mounted or unmounted)"
        return None

    def _check_presence(self, now: float) -> None:
        why = self.absent()
        if self.mode == Mode.AWAY:
            # Back only when a walk finds it as the scan's unmounted guard wants it (video
            # files, or none catalogued): a reconcile scan would refuse it otherwise.
            if why is None and not self._poll().looks_unmounted:
                log.warning("%s is back: rescanning it", self.target.shown)
                self.announce(self.path, "back: rescanning")
                self.settling.restart(now)
                self._begin(now)
        elif why is not None:
            self.go_away(why)

    def go_away(self, why: str) -> None:
        """Nothing is handled (nothing marked missing) until the root is back."""
        self.stop()
        self.next_poll = self.next_reconcile = INFINITY
        if self.mode != Mode.AWAY:
            message = f"{why}; is it unmounted? Nothing is marked missing; waiting for it to come back"
            log.warning("%s %s", self.target.shown, message)
            self.announce(self.path, f"away: {why}")
            notices.root_down(self.target, why)
        self.device = None
        self.mode, self.reason = Mode.AWAY, why
        self.locks.set_mode(self.path, Mode.AWAY, why)
