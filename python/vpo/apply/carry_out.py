"""One planned file of an apply, in named steps: a rule's `fail`, nothing to do, a dry run's
plan, or the plan carried out (edit/) and its result recorded in the catalogue with the
job's row; a failure is recorded with its reason and the file left as it was."""

from __future__ import annotations

import logging
import os
from typing import Any

from vpo.apply.options import ApplyOptions
from vpo.apply.outcome import FileOutcome
from vpo.apply.planning import Planned, conversion_problem
from vpo.db.connection import Database
from vpo.edit import executor
from vpo.edit.change import Applied, Target
from vpo.edit.fileops import ApplyFailed
from vpo.errors import VpoError
from vpo.jobs.tracker import JobTracker
from vpo.library.written import measure, update_catalogue

log = logging.getLogger(__name__)


def carry_out(
    db: Database, item: Planned, shown: str, options: ApplyOptions, tracker: JobTracker | None
) -> FileOutcome:
    """`shown`: the file's name as output and logs show it. `tracker` is None in a dry run."""
    plan = item.plan
    if not options.dry_run:  # a dry run's output carries them (text and JSON)
        for warning in plan.warnings:
            log.warning("%s: %s", shown, warning)
    if plan.rule is not None and plan.rule[0] == "fail":
        return _failed_by_rule(db, item, shown, tracker)
    if plan.empty:
        return FileOutcome(shown, "unchanged", extra=item.layout.extra)
    problem = conversion_problem(db, item.record, plan)
    if options.dry_run:
        return _planned(item, shown, problem)
    assert tracker is not None
    try:
        if problem:
            raise ApplyFailed(problem)
        done = _execute(item, options, tracker)
    except VpoError as exc:
        return _failed(db, item, shown, exc, tracker)
    return _record(db, item, shown, done, tracker)


def _failed_by_rule(db: Database, item: Planned, shown: str, tracker: JobTracker | None) -> FileOutcome:
    record, plan = item.record, item.plan
    assert plan.rule is not None
    outcome = FileOutcome(shown, "failed", error=plan.rule[1], extra=item.layout.extra, before=item.current)
    if tracker is not None:
        with db.transaction() as conn:
            tracker.add_files(conn, [(record.id, record.path, "error", {"error": plan.rule[1]})])
    return outcome


def _planned(item: Planned, shown: str, problem: str | None) -> FileOutcome:
    """A dry run's outcome: the plan, or why it cannot be carried out."""
    plan = item.plan
    return FileOutcome(
        shown,
        "failed" if problem else "planned",
        item.layout.actions,
        error=problem,
        extra=item.layout.extra,
        before=item.current,
        after=plan.final,
        order=plan.order,
        removed=plan.removed,
        note=item.note,
    )


def _execute(item: Planned, options: ApplyOptions, tracker: JobTracker) -> Applied:
    record = item.record
    target = Target(
        record.path,
        record.container or "",
        item.current,
        record.duration,
        expected=item.stat,
        in_place=item.in_place,
    )
    return executor.execute(
        target,
        item.layout.change,
        options.tools,
        keep_backup=options.keep_backup,
        safety=executor.Safety(options.journal_dir, tracker.id, keep=options.keep_backup),
        prober=options.prober,
    )


def _failed(db: Database, item: Planned, shown: str, exc: VpoError, tracker: JobTracker) -> FileOutcome:
    """The file is as it was (the executor restored it): the job's row says why."""
    record, actions = item.record, item.layout.actions
    log.warning("apply failed: %s: %s", shown, exc.message)
    with db.transaction() as conn:
        tracker.add_files(
            conn,
            [
                (
                    record.id,
                    record.path,
                    "error",
                    {
                        "error": exc.message,
                        "method": item.method,
                        "actions": actions,
                        "before": [t.to_dict() for t in item.current],
                    },
                )
            ],
        )
    return FileOutcome(
        shown,
        "failed",
        actions,
        error=exc.message,
        extra=item.layout.extra,
        before=item.current,
        note=item.note,
    )


def _record(db: Database, item: Planned, shown: str, done: Applied, tracker: JobTracker) -> FileOutcome:
    """The result into the catalogue and the job's row into its history, in one
    transaction; then the journal of an in-place edit becomes its undo record (or goes)."""
    record = item.record
    path = done.path or record.path
    written = measure(path)
    journal = executor.journal_name(done.journal) if done.journal else None
    kept = journal if journal else done.backup
    kept_bytes = _size(done.journal.file) if done.journal and journal else _size(done.backup)
    with db.transaction() as conn:  # a new name goes into files.path with the job's row
        update_catalogue(conn, record.id, path, written, done.result)
        details = _details(item, done, path, journal, kept_bytes, written.summary())
        tracker.add_files(conn, [(record.id, path, "applied", details)])
    if done.journal:
        executor.finish_journal(done.journal)
    log.info(
        "applied policy to %s with %s (%d actions; %s bytes kept%s)",
        shown,
        done.method,
        len(item.layout.actions),
        f"{kept_bytes:,}",
        f" in {os.fsdecode(kept)}" if kept else "",
    )
    return _changed(item, shown, done, path, written.size, kept_bytes)


def _details(
    item: Planned,
    done: Applied,
    path: bytes,
    journal: bytes | None,
    kept_bytes: int,
    result: dict[str, Any],
) -> dict[str, Any]:
    """The `applied` row of the job: what was done, before and after, and where the original
    is kept (what `vpo jobs undo` reads)."""
    record = item.record
    return {
        "method": done.method,
        "renamed_from": os.fsdecode(record.path) if path != record.path else None,
        "actions": item.layout.actions,
        "before": [t.to_dict() for t in item.current],
        "after": [t.to_dict() for t in done.result.tracks],
        "backup": os.fsdecode(done.backup) if done.backup else None,
        "journal": os.fsdecode(journal) if journal else None,
        "kept_bytes": kept_bytes,
        "original": {"size": record.size, "fingerprint": record.fingerprint},
        "result": result,
        "note": item.note,
        "commands": list(done.commands),
        "sidecars": [_sidecar(p) for p in done.sidecars],  # written: undo deletes them
        # muxed in, kept as originals: undo puts them back
        "embedded": [
            {"sidecar": os.fsdecode(car), "kept": os.fsdecode(kept) if kept else None}
            for car, kept in done.embedded
        ],
    }


def _sidecar(path: bytes) -> dict[str, Any]:
    """A sidecar the job wrote, as undo checks it before deleting it."""
    return {"path": os.fsdecode(path), "size": _size(path)}


def _changed(
    item: Planned, shown: str, done: Applied, path: bytes, size: int, kept_bytes: int
) -> FileOutcome:
    record, plan = item.record, item.plan
    return FileOutcome(
        os.fsdecode(path),
        "changed",
        item.layout.actions,
        extra={**item.layout.extra, **({"renamed_from": shown} if path != record.path else {})},
        before=item.current,
        after=done.result.tracks,
        order=plan.order,
        removed=plan.removed,
        bytes_saved=record.size - size,
        note=item.note,
        kept_bytes=kept_bytes,
    )


def _size(path: bytes | None) -> int:
    try:
        return os.lstat(path).st_size if path else 0
    except OSError:
        return 0
