"""Putting back a file whose in-place edit was killed (kill -9, power loss), from its journal.

Run by every command that opens the catalogue (apply, scan, jobs undo, ...) and by
`vpo inspect` for its file, before they look at any file. A pending journal of a process
that no longer exists is either:

- an edit whose verified result the catalogue already records (the process died between
  recording it and renaming its journal): the journal becomes the undo record (or goes,
  when originals are not kept), the file stays;
- anything else: the journal is written back, so the file is the original byte for byte
  (regions, length, mtime: the catalogue knows it again), and the rollback is recorded on
  the job that made the edit (a `job_files` row, outcome `rolled_back`).

A file that is no longer the journal's (another inode, or gone) is left alone and the
journal kept, with a warning. A file another process holds the lock of is left for later.
Never raises.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass

from vpo.config.settings import Settings
from vpo.db import files as files_db
from vpo.db import jobs as jobs_db
from vpo.db.connection import Database
from vpo.edit import journal as journals
from vpo.edit.fileops import ApplyFailed, lock_if_present, remove, sync_folder

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RolledBack:
    path: bytes
    job_id: str | None
    what: str


def roll_back_killed(
    journal_dir: bytes, db: Database | None, *, only: bytes | None = None
) -> list[RolledBack]:
    """Settle every pending journal of a dead process (with `only`, those of that file)."""
    done: list[RolledBack] = []
    for file in journals.dead_pending(journal_dir):
        try:
            journal, _ = journals.read(file)
        except (OSError, ValueError, KeyError) as exc:
            log.warning("cannot read the journal %s: %s", os.fsdecode(file), exc)
            continue
        if only is not None and journal.path != os.path.abspath(only):
            continue
        try:
            with lock_if_present(journal.path):
                what = _settle(journal, db)
        except (ApplyFailed, OSError) as exc:
            log.debug("left %s for later: %s", os.fsdecode(file), getattr(exc, "message", exc))
            continue
        if what is None:
            continue
        log.warning(
            "%s: %s (process %d was killed while editing it in place)",
            os.fsdecode(journal.path),
            what,
            journal.pid,
            extra={"operation": "rollback", "file": os.fsdecode(journal.path)},
        )
        done.append(RolledBack(journal.path, journal.job_id, what))
    return done


def _settle(journal: journals.Journal, db: Database | None) -> str | None:
    try:
        st = os.stat(journal.path)
    except FileNotFoundError:
        log.warning(
            "%s is gone; the journal of its killed edit is kept as %s",
            os.fsdecode(journal.path),
            os.fsdecode(journal.file),
        )
        return None
    if (st.st_dev, st.st_ino) != (journal.dev, journal.ino):
        log.warning(
            "%s is another file than the one a killed edit left; its journal is kept as %s",
            os.fsdecode(journal.path),
            os.fsdecode(journal.file),
        )
        return None
    now = (st.st_size, st.st_mtime_ns)
    if db is not None and now != (journal.size, journal.mtime_ns):
        row = files_db.get_by_path(db.conn, journal.path)
        if row is not None and (row.size, row.mtime_ns) == now:  # the verified result, recorded
            if journal.keep:
                os.replace(journal.file, journals.keep_as_undo(journal))
            else:
                remove(journal.file)
            sync_folder(os.path.dirname(journal.file))
            return None
    journals.restore(journal.file, journal.path)
    remove(journal.file)
    if db is not None and journal.job_id is not None:
        row = files_db.get_by_path(db.conn, journal.path)
        with db.transaction() as conn:
            if jobs_db.exists(conn, journal.job_id):
                jobs_db.add_files(
                    conn,
                    journal.job_id,
                    [
                        (
                            row.id if row else None,
                            journal.path,
                            "rolled_back",
                            {"journal_bytes": journal.saved_bytes, "killed_pid": journal.pid},
                        )
                    ],
                )
    return "put back the original from the journal of a killed in-place edit"


def roll_back_file(journal_dir: bytes, settings: Settings, path: bytes) -> list[RolledBack]:
    """`vpo inspect`'s share: a killed edit of `path` is put back before it is probed.
    Opens the catalogue (to record the rollback on its job) only when there is one and a
    killed edit to settle: inspecting costs nothing more otherwise."""
    if not journals.dead_pending(journal_dir):
        return []
    from vpo.db.connection import open_database

    db = open_database(settings.database_target) if settings.has_catalogue else None
    try:
        return roll_back_killed(journal_dir, db, only=path)
    finally:
        if db is not None:
            db.close()
