"""`apply`: evaluate a policy against catalogued files and carry out the plans.

Runs on the caller's thread, one file at a time (the tools are IO-bound and a library is
changed best one file at a time). Every changed file is recorded on one `apply` job.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from typing import Any

from vpo.catalogue import DEFAULT_EXTENSIONS
from vpo.config.settings import ToolsSettings
from vpo.db import files as files_db
from vpo.db.connection import Database
from vpo.db.files import FileRecord
from vpo.errors import Interrupted, VpoError
from vpo.jobs.tracker import JobTracker
from vpo.library.targets import Unusable, resolve_targets
from vpo.logging import file_context
from vpo.media.models import Track
from vpo.media.probe import ProberConfig
from vpo.media.tools import require_tools
from vpo.policy import executor, recover
from vpo.policy.evaluate import Plan, evaluate
from vpo.policy.fileops import ApplyFailed
from vpo.policy.models import Policy
from vpo.policy.scope import relative_paths, scan_roots
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


@dataclass
class FileOutcome:
    path: str
    status: str  # planned | changed | unchanged | failed
    actions: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None
    file_id: int | None = None  # the catalogue's id, when it knows the file (not in the JSON)
    extra: dict[str, Any] = field(default_factory=dict)  # schema 2: original language, rule, ...
    before: list[dict[str, Any]] = field(default_factory=list)  # tracks, for the text output
    after: list[dict[str, Any]] = field(default_factory=list)  # planned (or made) tracks
    removed: tuple[int, ...] = ()
    bytes_saved: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "status": self.status,
            "actions": self.actions,
            "error": self.error,
            **self.extra,
        }


@dataclass
class ApplyReport:
    job_id: str | None
    dry_run: bool
    files: list[FileOutcome]

    def counts(self) -> dict[str, int]:
        out = {"planned": 0, "changed": 0, "unchanged": 0, "failed": 0}
        for f in self.files:
            out[f.status] += 1
        return out

    def totals(self) -> dict[str, int]:
        """What the changes (or, in a dry run, the plans) add up to."""
        done = [f for f in self.files if f.status in ("changed", "planned")]
        return {
            "files_changed": len(done),
            "tracks_removed": sum(len(f.removed) for f in done),
            "bytes_saved": sum(f.bytes_saved for f in done),
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "job_id": self.job_id,
            "dry_run": self.dry_run,
            "counts": self.counts(),
            "totals": self.totals(),
            "files": [f.to_dict() for f in self.files],
        }


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


@dataclass
class _Planned:
    record: FileRecord
    current: list[Track]
    plan: Plan
    stat: tuple[int, int]  # (size, mtime_ns) the plan was made for


def apply(db: Database, options: ApplyOptions) -> ApplyReport:
    """Plan every file first (pure, cheap), check the tools the plans need, then change the
    files one by one. Problems found before the first change raise (exit 2); a file that
    fails is restored and reported, and the rest go on."""
    work: list[FileOutcome | _Planned] = []
    roots = scan_roots(db.conn, options.paths)
    for target in targets(db, options):
        work.append(target if isinstance(target, FileOutcome) else _plan(db, target, options, roots))
    plans = [w for w in work if isinstance(w, _Planned) and not w.plan.empty]
    if not options.dry_run and plans:
        needed = sorted({executor.method_for(w.record.container or "", w.plan) for w in plans})
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
            token = file_context.set(os.fsdecode(item.record.path))
            try:
                report.files.append(_one(db, item, options, tracker))
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


def _plan(
    db: Database, record: FileRecord, options: ApplyOptions, roots: tuple[bytes, ...] = ()
) -> FileOutcome | _Planned:
    shown = os.fsdecode(record.path)
    # An apply killed mid-way: the original goes back first (a dry run says what it would do,
    # and plans as if the original were back).
    restored = recover.recover(record.path, (record.size, record.mtime_ns), dry_run=options.dry_run)
    try:
        st = os.stat(record.path)
    except OSError as exc:
        return FileOutcome(shown, "failed", error=f"cannot read: {exc.strerror}", file_id=record.id)
    if (st.st_size != record.size or st.st_mtime_ns != record.mtime_ns) and not (
        options.dry_run and restored
    ):
        return FileOutcome(
            shown, "failed", error="changed since the last scan; run `vpo scan` first", file_id=record.id
        )
    current = files_db.tracks_of(db.conn, record.id)
    plan = evaluate(
        current, options.policy, container=record.container, paths=relative_paths(record.path, roots)
    )
    return _Planned(record, current, plan, (st.st_size, st.st_mtime_ns))


def _one(db: Database, item: _Planned, options: ApplyOptions, tracker: JobTracker | None) -> FileOutcome:
    record, current, plan = item.record, item.current, item.plan
    shown = os.fsdecode(record.path)
    actions = [a.to_dict() for a in plan.actions]
    extra = outcome_extra(plan, options.policy)
    for warning in plan.warnings:
        log.warning("%s: %s", shown, warning)
    before = [t.to_dict() for t in current]
    if plan.rule is not None and plan.rule[0] == "fail":
        outcome = FileOutcome(shown, "failed", error=plan.rule[1], extra=extra, before=before)
        if tracker is not None:
            with db.transaction() as conn:
                tracker.add_files(conn, [(record.id, record.path, "error", {"error": plan.rule[1]})])
        return outcome
    if plan.empty:
        return FileOutcome(shown, "unchanged", extra=extra, before=before, after=before)
    after = [t.to_dict() for t in plan.final]
    problem = _conversion_problem(db, record, plan)
    if options.dry_run:
        return FileOutcome(
            shown,
            "failed" if problem else "planned",
            actions,
            error=problem,
            extra=extra,
            before=before,
            after=after,
            removed=plan.removed,
        )
    assert tracker is not None
    try:
        if problem:
            raise ApplyFailed(problem)
        done = executor.execute(
            record.path,
            record.container or "",
            current,
            record.duration,
            plan,
            options.tools,
            keep_backup=options.keep_backup,
            prober=options.prober,
            expected=item.stat,
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
                            "method": executor.method_for(record.container or "", plan),
                            "actions": actions,
                            "before": before,
                        },
                    )
                ],
            )
        return FileOutcome(shown, "failed", actions, error=exc.message, extra=extra, before=before)
    from vpo.scan.walker import fingerprints

    path = done.path or record.path
    st = os.stat(path)
    fingerprint = fingerprints([path])[0][0]
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
                    },
                )
            ],
        )
    log.info("applied policy to %s with %s (%d actions)", shown, done.method, len(actions))
    return FileOutcome(
        os.fsdecode(path),
        "changed",
        actions,
        extra={**extra, **({"renamed_from": shown} if path != record.path else {})},
        before=before,
        after=[t.to_dict() for t in done.result.tracks],
        removed=plan.removed,
        bytes_saved=record.size - st.st_size,
    )


def outcome_extra(plan: Plan, policy: Policy) -> dict[str, Any]:
    """The keys schema 2 adds to a file's JSON (none for version 1 policies)."""
    from vpo.policy.models_v2 import PolicyV2

    if not isinstance(policy, PolicyV2):
        return {}
    return {
        "original_language": {"code": plan.original_language, "source": plan.original_source},
        "rule": {"action": plan.rule[0], "reason": plan.rule[1]} if plan.rule else None,
        "warnings": list(plan.warnings),
        "notes": list(plan.notes),
    }


def _conversion_problem(db: Database, record: FileRecord, plan: Plan) -> str | None:
    """Why the file cannot take its new name, if it cannot."""
    if not plan.container:
        return None
    from vpo.policy.convert import new_name

    target = new_name(record.path, plan.container)
    if os.path.lexists(target) or files_db.get_by_path(db.conn, target) is not None:
        return f"cannot convert: {os.fsdecode(os.path.basename(target))} already exists"
    return None
