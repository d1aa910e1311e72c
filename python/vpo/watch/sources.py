"""The OS's file events for one root, through `watchfiles` (the Rust `notify` crate: inotify
on Linux, FSEvents/kqueue elsewhere), on a thread of its own. The main thread only reads
the queue: it stays free for signals and for the work.

The thread sends `Changes` (a batch: watchfiles groups what happens within `DEBOUNCE_MS`)
and, when the source cannot go on, one `Stopped`: the root is gone (`gone`), or events
cannot be had (`reason`: the host is out of inotify watches, a name watchfiles cannot
pass on...), and the root is then polled. This module is the only importer of watchfiles.
"""

from __future__ import annotations

import errno
import logging
import os
import queue
import threading
import time
from typing import NamedTuple

log = logging.getLogger(__name__)

STEP_MS = 100  # watchfiles wakes this often to look at the stop event (and for new events)
DEBOUNCE_MS = 1000  # at most this long to gather one batch
READY_WAIT = 60.0  # seconds start() waits at most for the watches to be in place
ADDED, MODIFIED, DELETED = 1, 2, 3  # watchfiles.Change's values


class Changes(NamedTuple):
    root: bytes
    tag: int  # which source of the root sent it (a restarted root ignores its old one)
    changes: list[tuple[int, bytes]]  # (ADDED | MODIFIED | DELETED, path)


class Stopped(NamedTuple):
    root: bytes
    tag: int
    gone: bool  # the root itself is not there
    reason: str  # why, for the log and `vpo watch status`


Message = Changes | Stopped


def fallback_reason(exc: BaseException) -> str:
    """Why events failed, as a person can act on it."""
    text = str(exc)
    if (isinstance(exc, OSError) and exc.errno == errno.ENOSPC) or "watch limit" in text:
        return f"the host is out of inotify watches (raise fs.inotify.max_user_watches): {text}"
    if (isinstance(exc, OSError) and exc.errno == errno.EMFILE) or "Too many open files" in text:
        return f"the host is out of inotify instances (raise fs.inotify.max_user_instances): {text}"
    if "Unable to decode path" in text:
        return f"a file name that is not UTF-8, which watchfiles cannot pass on: {text}"
    return f"file events failed: {text}"


class _StopEvent:
    """What watchfiles asks every step whether to stop. Its first question comes once the
    watches are in place (on Linux, an inotify watch per folder of the root), which is how
    `EventSource.start` knows that events are flowing."""

    def __init__(self) -> None:
        self.stop = threading.Event()
        self.watching = threading.Event()

    def set(self) -> None:
        self.stop.set()

    def is_set(self) -> bool:
        self.watching.set()
        return self.stop.is_set()


class EventSource:
    """`start()` watches `root` on a thread; `stop()` ends it within a step."""

    def __init__(self, root: bytes, out: queue.Queue[Message], tag: int) -> None:
        self.root = root
        self.tag = tag
        self._out = out
        self._stop = _StopEvent()
        self._thread = threading.Thread(target=self._run, name=f"watch {os.fsdecode(root)}", daemon=True)

    def start(self, wait: float = READY_WAIT) -> None:
        """Start watching; return once events flow (or the source failed, or after `wait`
        seconds): a scan started after that misses nothing, and does not compete for the
        cores and the GIL with the setting up of the watches (a walk of the whole root)."""
        self._thread.start()
        deadline = time.monotonic() + wait
        while self._thread.is_alive() and time.monotonic() < deadline:
            if self._stop.watching.wait(0.05):
                return

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def _run(self) -> None:
        try:
            self._watch()
        except FileNotFoundError as exc:
            self._out.put(Stopped(self.root, self.tag, True, f"is not there ({exc})"))
        except Exception as exc:  # every failure of the source means: poll instead
            self._out.put(Stopped(self.root, self.tag, False, fallback_reason(exc)))

    def _watch(self) -> None:
        import watchfiles

        logging.getLogger("watchfiles").setLevel(logging.WARNING)  # not a line per batch at -v

        for batch in watchfiles.watch(
            os.fsdecode(self.root),
            watch_filter=None,
            debounce=DEBOUNCE_MS,
            step=STEP_MS,
            stop_event=self._stop,
            rust_timeout=0,
            raise_interrupt=False,
            force_polling=False,
            ignore_permission_denied=True,
        ):
            if self._stop.stop.is_set():
                return
            changes = [(int(kind), os.fsencode(path)) for kind, path in batch]
            self._out.put(Changes(self.root, self.tag, changes))
