"""`apply`: evaluate a policy against catalogued files and carry out the plans.

Runs on the caller's thread, one file at a time (the tools are IO-bound and a library is
changed best one file at a time). Every changed file is recorded on one `apply` job.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator

from vpo.apply.carry_out import carry_out
from vpo.apply.options import ApplyOptions
from vpo.apply.outcome import ApplyReport, FileOutcome
from vpo.apply.planning import Planned, plan_files
from vpo.apply.scope import scan_roots
from vpo.catalogue import JobType
from vpo.db.connection import Database
from vpo.db.files import FileRecord
from vpo.jobs.lifecycle import JobLifecycle
from vpo.jobs.tracker import JobTracker
from vpo.library.targets import Unusable, iter_targets
from vpo.logging import file_context
from vpo.media.tools import require_tools

__all__ = ["ApplyOptions", "ApplyReport", "FileOutcome", "apply", "targets"]


def targets(db: Database, options: ApplyOptions) -> Iterator[FileRecord | FileOutcome]:
    """Catalogued files for each PATH; what VPO cannot touch is reported as failed."""
    return (
        FileOutcome(os.fsdecode(t.path), "failed", error=t.reason, file_id=t.file_id)
        if isinstance(t, Unusable)
        else t
        for t in iter_targets(
            db, options.paths, extensions=options.extensions, follow_symlinks=options.follow_symlinks
        )
    )


def apply(
    db: Database, options: ApplyOptions, sink: Callable[[FileOutcome], None] | None = None
) -> ApplyReport:
    """Plan every file first (pure, cheap), check the tools the plans need, then change the
    files one by one. Problems found before the first change raise (exit 2); a file that
    fails is restored and reported, and the rest go on. A dry run plans as it goes.
    With a `sink`, each outcome is handed to it and not kept (ApplyReport.add)."""
    roots = scan_roots(db.conn, options.paths)
    work: Iterable[FileOutcome | Planned] = plan_files(db, targets(db, options), options, roots)
    tracker = None
    if not options.dry_run:
        work = list(work)  # every plan before the first change
        _require_tools([w for w in work if isinstance(w, Planned) and not w.plan.empty], options)
        tracker = _start_job(db, options)
    report = ApplyReport(job_id=tracker.id if tracker else None, dry_run=options.dry_run, files=[], sink=sink)
    with JobLifecycle(tracker, JobType.APPLY) as lifecycle:
        lifecycle.watch(summary=report.summary, saved="files already changed are recorded")
        for item in work:
            report.add(_one(db, item, options, tracker))
        if tracker:
            report.warnings = options.refresh(report.changed_paths())  # the media stack's; never fails
    return report


def _one(
    db: Database, item: Planned | FileOutcome, options: ApplyOptions, tracker: JobTracker | None
) -> FileOutcome:
    """One file: a target VPO could not use is recorded as it is; a plan is carried out
    (or, in a dry run, shown) with the file named in every log record."""
    if isinstance(item, FileOutcome):
        if tracker and item.status == "failed":
            with db.transaction() as conn:
                tracker.add_files(
                    conn, [(item.file_id, os.fsencode(item.path), "error", {"error": item.error})]
                )
        return item
    shown = os.fsdecode(item.record.path)
    token = file_context.set(shown)
    try:
        outcome = carry_out(db, item, shown, options, tracker)
    finally:
        file_context.reset(token)
    if tracker:
        tracker.beat()
    return outcome


def _require_tools(plans: list[Planned], options: ApplyOptions) -> None:
    """The tools these plans need are there (ToolMissing, exit 2, before any change)."""
    if not plans:
        return
    needed = sorted({w.method for w in plans})
    if any(w.plan.container or w.plan.added or w.plan.extracted or w.plan.embedded for w in plans):
        needed = sorted({*needed, "mkvmerge", "ffmpeg"})  # mov_text -> SRT, added audio: ffmpeg
    if any(e.by_mkvextract for w in plans for e in w.plan.extracted):
        needed = sorted({*needed, "mkvextract"})  # VobSub sidecars
    require_tools({name: getattr(options.tools, name) for name in needed})


def _start_job(db: Database, options: ApplyOptions) -> JobTracker:
    return JobTracker(
        db,
        type=JobType.APPLY.value,
        target=[os.fsdecode(os.path.abspath(p)) for p in options.paths],
        options={"dry_run": False, "keep_backup": options.keep_backup},
        policy={"path": options.policy_path, **options.policy.model_dump()},
    )
