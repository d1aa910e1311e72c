"""What a change means for one root: which paths start (or go on) settling. Every path is
looked at (stat) when its change is reported; the catalogue is asked only about deletions
(a file or folder it knows) and nothing is done for names the watcher never handles."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable

from vpo.db import files as files_db
from vpo.db import watch as watch_db
from vpo.db.connection import Database, db_now
from vpo.db.watch import Waiting
from vpo.watch.models import WatchRoot
from vpo.watch.names import NameFilter
from vpo.watch.poll import poll
from vpo.watch.settle import Seen, Settling
from vpo.watch.sources import ADDED, DELETED


def look(path: bytes, *, follow_symlinks: bool) -> Seen:
    """(size, mtime_ns) of a regular file at `path`; None when there is none (gone, a
    folder, a symbolic link a scan would not follow)."""
    try:
        st = os.stat(path) if follow_symlinks else os.lstat(path)
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns) if stat.S_ISREG(st.st_mode) else None


class Intake:
    """Feeds one root's settling table from events, polls and reconcile scans, and writes
    each path that starts waiting to `watch_files` (so a restarted watcher has it)."""

    def __init__(self, db: Database, target: WatchRoot, settling: Settling) -> None:
        self.db = db
        self.target = target
        self.settling = settling
        cfg = target.settings
        self.names = NameFilter(target.path, ignore=cfg.watch.ignore, extensions=cfg.scan.extensions)

    def look(self, path: bytes) -> Seen:
        return look(path, follow_symlinks=self.target.settings.scan.follow_symlinks)

    def changes(self, changes: Iterable[tuple[int, bytes]], now: float) -> bool:
        """A batch of events; True when the root itself was touched (deleted, moved)."""
        root_touched = False
        fresh: list[Waiting] = []
        for kind, path in changes:
            if path.rstrip(b"/") == self.target.path:
                root_touched = True
            elif self.names.hidden(path):
                continue
            elif self.names.video_name(path.rpartition(b"/")[2]):
                self._file(path, fresh, now)
            elif kind == DELETED:
                self._folder_gone(path, fresh, now)
            elif kind == ADDED and os.path.isdir(path) and not os.path.islink(path):
                self.found(self._poll_folder(path), [], now)
        self._record(fresh)
        return root_touched

    def found(self, changed: list[tuple[bytes, Seen]], gone: list[bytes], now: float) -> None:
        """What a poll or a reconcile scan found different from the catalogue."""
        fresh: list[Waiting] = []
        for path, seen in changed:
            if self.names.wanted(path):
                self._observe(path, seen, fresh, now)
        for path in gone:
            if self.names.wanted(path):
                self._observe(path, None, fresh, now)
        self._record(fresh)

    def restore(self, now: float) -> int:
        """What a watcher that stopped left waiting: it settles again from now."""
        rows = watch_db.waiting(self.db.conn, self.target.path)
        for row in rows:
            seen = None if row.size is None or row.mtime_ns is None else (row.size, row.mtime_ns)
            self.settling.observe(row.path, seen, now)
        return len(rows)

    def _file(self, path: bytes, fresh: list[Waiting], now: float) -> None:
        if self.names.ignored_name(path.rpartition(b"/")[2]):
            return
        seen = self.look(path)
        if seen is None and path not in self.settling and files_db.get_by_path(self.db.conn, path) is None:
            return  # came and went (or never was) without the catalogue knowing it
        self._observe(path, seen, fresh, now)

    def _folder_gone(self, path: bytes, fresh: list[Waiting], now: float) -> None:
        """A deleted or moved-away name that is no video file: a folder, if the catalogue
        knows files under it (each one is then a deletion waiting to settle)."""
        if os.path.lexists(path):
            return
        for record in files_db.files_under(self.db.conn, path):
            if record.scan_status != "missing" and self.names.wanted(record.path):
                self._observe(record.path, None, fresh, now)

    def _poll_folder(self, path: bytes) -> list[tuple[bytes, Seen]]:
        """A folder that appeared (moved or copied in): its files, as a poll finds them."""
        cfg = self.target.settings.scan
        result = poll(
            self.db,
            path,
            extensions=cfg.extensions,
            follow_symlinks=cfg.follow_symlinks,
            wanted=self.names.wanted,
        )
        return result.changed

    def _observe(self, path: bytes, seen: Seen, fresh: list[Waiting], now: float) -> None:
        if self.settling.observe(path, seen, now):
            fresh.append(Waiting(path, *(seen or (None, None))))

    def _record(self, fresh: list[Waiting]) -> None:
        if fresh:
            with self.db.transaction() as conn:
                watch_db.wait(conn, self.target.path, fresh, db_now(conn))
