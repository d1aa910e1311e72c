"""The settled files of one root, handled as one batch: looked at again, compared with the
catalogue, and what really changed handed to the pipeline (watch/pipeline.py).

A file whose size and mtime equal its catalogue row is dropped without any job: that is
how VPO's own changes (apply, transcode, undo: each updates the row with the file) never
start another round, and how an event that changed nothing costs nothing.

The batch only says what it came to (`Outcome`); the root (watch/rootwatch.py) acts on it:
goes away, records a failure, announces the summary.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from vpo.db import files as files_db
from vpo.db import watch as watch_db
from vpo.db.connection import db_now
from vpo.errors import Interrupted, RootNotFoundError, UnmountedLibraryError, VpoError
from vpo.jobs.lifecycle import failed_job
from vpo.watch import notices
from vpo.watch.intake import Intake
from vpo.watch.pipeline import BatchResult, handle
from vpo.watch.settle import Seen

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


@dataclass
class Outcome:
    """What one batch came to."""

    away: str | None = None  # the root cannot be worked on (unmounted?): why
    failures: list[str] = field(default_factory=list)
    summary: str | None = None  # what was done, said once


def settle_batch(intake: Intake, absent: Callable[[], str | None], now: float) -> Outcome | None:
    """Handle what is due; None when nothing was (the caller stops asking). `absent` says
    why the root cannot be worked on now (None: it is there)."""
    settling = intake.settling
    due = settling.due(now, limit=MAX_BATCH)
    if not due:
        return None
    why = absent()
    if why is not None:
        return Outcome(away=why)  # a file "gone" because its share was unmounted is not deleted
    settled: dict[bytes, Seen] = {}
    for path, _ in due:
        seen = intake.look(path)
        if settling.confirm(path, seen, now):
            settled[path] = seen
    outcome = Outcome()
    if not settled:
        return outcome  # all changed again: they wait once more
    files, gone, needless = _against_catalogue(intake, settled)
    if files or gone:
        _run(intake, absent, (files, gone), settled, now, outcome)
    if needless:
        with intake.db.transaction() as conn:
            watch_db.dropped(conn, needless)
    return outcome


def _against_catalogue(
    intake: Intake, settled: dict[bytes, Seen]
) -> tuple[list[bytes], list[bytes], list[bytes]]:
    """(files to catalogue, catalogued files gone, paths that need nothing)."""
    known = files_db.known_for(intake.db.conn, list(settled))
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
    intake: Intake,
    absent: Callable[[], str | None],
    changed: tuple[list[bytes], list[bytes]],
    settled: dict[bytes, Seen],
    now: float,
    outcome: Outcome,
) -> None:
    """Catalogue the changed files and the gone ones (`changed`), and what follows."""
    target, (files, gone) = intake.target, changed
    try:
        result = handle(intake.db, target, files, gone)
    except (UnmountedLibraryError, RootNotFoundError) as exc:
        why = absent()
        if why is not None:
            for path, seen in settled.items():
                intake.settling.observe(path, seen, now)  # handled when the root is back
            outcome.away = why
            return
        if isinstance(exc, RootNotFoundError):
            # a file went away between the look and the scan: it settles again, as a deletion
            log.info("%s: %s; trying again once it settles", target.shown, exc.message)
            for path in settled:
                intake.settling.observe(path, intake.look(path), now)
            return
        outcome.failures.append(exc.message)
        notices.batch_failed(target, exc.message, failed_job(exc))
    except Interrupted:
        raise  # Ctrl+C: the scan was cancelled and recorded as such; the watcher stops (130)
    except VpoError as exc:
        outcome.failures.append(f"scan of {len(files) + len(gone)} file(s): {exc.message}")
        notices.batch_failed(target, exc.message, failed_job(exc))
    else:
        outcome.summary = _summary(target.shown, result)
        outcome.failures += result.problems
        notices.batch_done(target, result)
    with intake.db.transaction() as conn:
        watch_db.handled(conn, files + gone, db_now(conn))


def _summary(shown: str, result: BatchResult) -> str:
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
        shown,
        summary,
        extra={"operation": "watch", "scan_job": result.scan_job, "apply_job": result.apply_job},
    )
    return summary
