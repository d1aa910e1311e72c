"""`apply`: evaluate a policy against catalogued files and carry out the plans.

Runs on the caller's thread, one file at a time (the tools are IO-bound and a library is
changed best one file at a time). Every changed file is recorded on one `apply` job.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field

from vpo.catalogue import DEFAULT_EXTENSIONS
from vpo.config.settings import ToolsSettings
from vpo.db import files as files_db
from vpo.db.connection import Database
from vpo.db.files import FileRecord
from vpo.edit import executor
from vpo.edit.fileops import ApplyFailed
from vpo.errors import Interrupted, VpoError
from vpo.jobs.tracker import JobTracker
from vpo.library.targets import Unusable, resolve_targets
from vpo.logging import file_context
from vpo.media.probe import ProberConfig
from vpo.media.tools import require_tools
from vpo.policy.models import Policy
from vpo.policy.outcome import ApplyReport, FileOutcome
from vpo.policy.planning import Planned, conversion_problem, plan_files
from vpo.policy.scope import scan_roots

__all__ = ["ApplyOptions", "ApplyReport", "FileOutcome", "apply", "targets"]
from vpo.timeutil import now_iso

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ApplyOptions:
    paths: tuple[bytes, ...]
    policy: Policy
    policy_path: str
    dry_run: bool = False
    keep_backup: bool = True
    tools: ToolsSettings = field(default_factory=ToolsSettings)
    prober: ProberConfig = field(default_factory=ProberConfig)  # verifies results; the scan's
    extensions: tuple[str, ...] = DEFAULT_EXTENSIONS  # finds unscanned files under a directory
    follow_symlinks: bool = False
    journal_dir: bytes = b""  # $VPO_HOME/journal: in-place edits' journals


def targets(db: Database, options: ApplyOptions) -> list[FileRecord | FileOutcome]:
    """Catalogued files for each PATH; what VPO cannot touch is reported as failed."""
    return [
        FileOutcome(os.fsdecode(t.path), "failed", error=t.reason, file_id=t.file_id)
        if isinstance(t, Unusable)
        else t
        for t in resolve_targets(
            db, options.paths, extensions=options.extensions, follow_symlinks=options.follow_symlinks
        )
    ]


def apply(db: Database, options: ApplyOptions) -> ApplyReport:
    """Plan every file first (pure, cheap), check the tools the plans need, then change the
    files one by one. Problems found before the first change raise (exit 2); a file that
    fails is restored and reported, and the rest go on."""
    roots = scan_roots(db.conn, options.paths)
    work = plan_files(db, targets(db, options), options, roots)
    plans = [w for w in work if isinstance(w, Planned) and not w.plan.empty]
    if not options.dry_run and plans:
        needed = sorted({w.method for w in plans})
        if any(w.plan.container for w in plans):
            needed = sorted({*needed, "mkvmerge", "ffmpeg"})  # mov_text is made SRT with ffmpeg
        require_tools({name: getattr(options.tools, name) for name in needed})

    tracker = None
    if not options.dry_run:
        tracker = JobTracker(
            db,
            type="apply",
            target=[os.fsdecode(os.path.abspath(p)) for p in options.paths],
            options={"dry_run": False, "keep_backup": options.keep_backup},
            policy={"path": options.policy_path, **options.policy.model_dump()},
        )
    report = ApplyReport(job_id=tracker.id if tracker else None, dry_run=options.dry_run, files=[])
    try:
        for item in work:
            if isinstance(item, FileOutcome):
                report.files.append(item)
                if tracker and item.status == "failed":
                    with db.transaction() as conn:
                        tracker.add_files(
                            conn, [(item.file_id, os.fsencode(item.path), "error", {"error": item.error})]
                        )
                continue
            shown = os.fsdecode(item.record.path)
            token = file_context.set(shown)
            try:
                report.files.append(_one(db, item, shown, options, tracker))
            finally:
                file_context.reset(token)
            if tracker:
                tracker.beat()
    except KeyboardInterrupt:
        if tracker:
            tracker.cancel(report.counts())
        raise Interrupted(
            "apply interrupted; files already changed are recorded", details={"job_id": report.job_id}
        ) from None
    except BaseException as exc:
        if tracker:
            tracker.fail(exc, report.counts())
        raise
    if tracker:
        tracker.complete(report.counts())
    return report


def _one(
    db: Database, item: Planned, shown: str, options: ApplyOptions, tracker: JobTracker | None
) -> FileOutcome:
    record, current, plan = item.record, item.current, item.plan
    actions, extra = item.layout.actions, item.layout.extra
    if not options.dry_run:  # a dry run's output carries them (text and JSON)
        for warning in plan.warnings:
            log.warning("%s: %s", shown, warning)
    if plan.rule is not None and plan.rule[0] == "fail":
        outcome = FileOutcome(shown, "failed", error=plan.rule[1], extra=extra, before=current)
        if tracker is not None:
            with db.transaction() as conn:
                tracker.add_files(conn, [(record.id, record.path, "error", {"error": plan.rule[1]})])
        return outcome
    if plan.empty:
        return FileOutcome(shown, "unchanged", extra=extra)
    problem = conversion_problem(db, record, plan)
    if options.dry_run:
        return FileOutcome(
            shown,
            "failed" if problem else "planned",
            actions,
            error=problem,
            extra=extra,
            before=current,
            after=plan.final,
            order=plan.order,
            removed=plan.removed,
            note=item.note,
        )
    assert tracker is not None
    before = [t.to_dict() for t in current]
    try:
        if problem:
            raise ApplyFailed(problem)
        done = executor.execute(
            record.path,
            record.container or "",
            current,
            record.duration,
            item.layout.change,
            options.tools,
            keep_backup=options.keep_backup,
            safety=executor.Safety(options.journal_dir, tracker.id, keep=options.keep_backup),
            prober=options.prober,
            expected=item.stat,
            in_place=item.in_place,
        )
    except VpoError as exc:
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
                            "before": before,
                        },
                    )
                ],
            )
        return FileOutcome(
            shown, "failed", actions, error=exc.message, extra=extra, before=current, note=item.note
        )
    from vpo.scan.walker import fingerprints

    path = done.path or record.path
    st = os.stat(path)
    fingerprint = fingerprints([path])[0][0]
    journal = executor.journal_name(done.journal) if done.journal else None
    kept = journal if journal else done.backup
    kept_bytes = _size(done.journal.file) if done.journal and journal else _size(done.backup)
    with db.transaction() as conn:  # a new name goes into files.path with the job's row
        files_db.update_probe_result(
            conn,
            record.id,
            path=path,
            size=st.st_size,
            mtime_ns=st.st_mtime_ns,
            dev=st.st_dev,
            ino=st.st_ino,
            result=done.result,
            fingerprint=fingerprint,
            now=now_iso(),
        )
        tracker.add_files(
            conn,
            [
                (
                    record.id,
                    path,
                    "applied",
                    {
                        "method": done.method,
                        "renamed_from": os.fsdecode(record.path) if path != record.path else None,
                        "actions": actions,
                        "before": before,
                        "after": [t.to_dict() for t in done.result.tracks],
                        "backup": os.fsdecode(done.backup) if done.backup else None,
                        "journal": os.fsdecode(journal) if journal else None,
                        "kept_bytes": kept_bytes,
                        "original": {"size": record.size, "fingerprint": record.fingerprint},
                        "result": {"size": st.st_size, "fingerprint": fingerprint},
                        "note": item.note,
                    },
                )
            ],
        )
    if done.journal:
        executor.finish_journal(done.journal)
    log.info(
        "applied policy to %s with %s (%d actions; %s bytes kept%s)",
        shown,
        done.method,
        len(actions),
        f"{kept_bytes:,}",
        f" in {os.fsdecode(kept)}" if kept else "",
    )
    return FileOutcome(
        os.fsdecode(path),
        "changed",
        actions,
        extra={**extra, **({"renamed_from": shown} if path != record.path else {})},
        before=current,
        after=done.result.tracks,
        order=plan.order,
        removed=plan.removed,
        bytes_saved=record.size - st.st_size,
        note=item.note,
        kept_bytes=kept_bytes,
    )


def _size(path: bytes | None) -> int:
    try:
        return os.lstat(path).st_size if path else 0
    except OSError:
        return 0
