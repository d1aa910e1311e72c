"""The settled files of one root, handled as one batch: looked at again, compared with the
catalogue, and what really changed handed to the pipeline (watch/pipeline.py).

A file whose size and mtime equal its catalogue row is dropped without any job: that is
how VPO's own changes (apply, transcode, undo: each updates the row with the file) never
start another round, and how an event that changed nothing costs nothing.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from vpo.db import files as files_db
from vpo.db import watch as watch_db
from vpo.db.connection import db_now
from vpo.errors import Interrupted, RootNotFoundError, UnmountedLibraryError, VpoError
from vpo.jobs.lifecycle import failed_job
from vpo.watch import notices
from vpo.watch.pipeline import BatchResult, handle
from vpo.watch.settle import Seen

if TYPE_CHECKING:
    from vpo.watch.rootwatch import RootWatch

log = logging.getLogger(__name__)

MAX_BATCH = 1000  # files per batch: SIGTERM waits for one batch at most
SAID = (
    ("added", "added"),
    ("scanned", "changed"),
    ("moved", "moved"),
    ("restored", "back"),
    ("removed", "missing"),
    ("errors", "errors"),
)


def settle_batch(watch: RootWatch, now: float) -> bool:
    """Handle what is due; False when nothing was (the caller stops asking)."""
    due = watch.settling.due(now, limit=MAX_BATCH)
    if not due:
        return False
    why = watch.absent()
    if why is not None:
        watch.go_away(why)  # a file "gone" because its share was unmounted is not deleted
        return False
    settled: dict[bytes, Seen] = {}
    for path, _ in due:
        seen = watch.intake.look(path)
        if watch.settling.confirm(path, seen, now):
            settled[path] = seen
    if not settled:
        return True  # all changed again: they wait once more
    files, gone, needless = _against_catalogue(watch, settled)
    if files or gone:
        _run(watch, files, gone, settled, now)
    if needless:
        with watch.db.transaction() as conn:
            watch_db.dropped(conn, needless)
    return True


def _against_catalogue(
    watch: RootWatch, settled: dict[bytes, Seen]
) -> tuple[list[bytes], list[bytes], list[bytes]]:
    """(files to catalogue, catalogued files gone, paths that need nothing)."""
    known = files_db.known_for(watch.db.conn, list(settled))
    files: list[bytes] = []
    gone: list[bytes] = []
    needless: list[bytes] = []
    for path, seen in settled.items():
        k = known.get(path)
        if seen is None:
            (gone if k is not None and not k.missing else needless).append(path)
        elif k is not None and not k.missing and (k.size, k.mtime_ns) == seen:
            needless.append(path)  # as catalogued: VPO's own change, or nothing changed
        else:
            files.append(path)
    return files, gone, needless


def _run(
    watch: RootWatch, files: list[bytes], gone: list[bytes], settled: dict[bytes, Seen], now: float
) -> None:
    target = watch.target
    try:
        result = handle(watch.db, target, files, gone)
    except (UnmountedLibraryError, RootNotFoundError) as exc:
        why = watch.absent()
        if why is not None:
            for path, seen in settled.items():
                watch.settling.observe(path, seen, now)  # handled when the root is back
            watch.go_away(why)
            return
        if isinstance(exc, RootNotFoundError):
            # a file went away between the look and the scan: it settles again, as a deletion
            log.info("%s: %s; trying again once it settles", target.shown, exc.message)
            for path in settled:
                watch.settling.observe(path, watch.intake.look(path), now)
            return
        watch.failed(exc.message)
        notices.batch_failed(target, exc.message, failed_job(exc))
    except Interrupted:
        raise  # Ctrl+C: the scan was cancelled and recorded as such; the watcher stops (130)
    except VpoError as exc:
        watch.failed(f"scan of {len(files) + len(gone)} file(s): {exc.message}")
        notices.batch_failed(target, exc.message, failed_job(exc))
    else:
        _report(watch, result)
        notices.batch_done(target, result)
    with watch.db.transaction() as conn:
        watch_db.handled(conn, files + gone, db_now(conn))


def _report(watch: RootWatch, result: BatchResult) -> None:
    counts = result.scan_counts
    done = [f"{counts.get(key, 0)} {label}" for key, label in SAID if counts.get(key)]
    parts = [f"scan job {(result.scan_job or '-')[:8]}: {', '.join(done) or 'nothing new'}"]
    if result.apply_job:
        parts.append(f"policy applied, job {result.apply_job[:8]}")
    if result.queued:
        parts.append(f"{result.queued} transcode(s) queued")
    summary = ", ".join(parts)
    log.info(
        "%s: %s",
        watch.target.shown,
        summary,
        extra={"operation": "watch", "scan_job": result.scan_job, "apply_job": result.apply_job},
    )
    watch.announce(watch.path, summary)
    for problem in result.problems:
        watch.failed(problem)
