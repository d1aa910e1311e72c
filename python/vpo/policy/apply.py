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
from vpo.policy.models import Policy
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


@dataclass
class FileOutcome:
    path: str
    status: str  # planned | changed | unchanged | failed
    actions: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None
    file_id: int | None = None  # the catalogue's id, when it knows the file (not in the JSON)
    note: str | None = None  # e.g. why a flags edit is a remux
    kept_bytes: int = 0  # what the kept original or journal of this file holds on disk

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "status": self.status,
            "actions": self.actions,
            "error": self.error,
            "note": self.note,
            "kept_bytes": self.kept_bytes,
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

    def kept_bytes(self) -> int:
        """Disk the kept originals and journals of this apply hold."""
        return sum(f.kept_bytes for f in self.files)

    def to_dict(self) -> dict[str, Any]:
        return {
            "job_id": self.job_id,
            "dry_run": self.dry_run,
            "counts": self.counts(),
            "kept_bytes": self.kept_bytes(),
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
    in_place: bool = True  # False: the headers cannot be edited in place (see note)
    note: str | None = None

    @property
    def method(self) -> str:
        return executor.method_for(self.record.container or "", self.plan, in_place=self.in_place)


def apply(db: Database, options: ApplyOptions) -> ApplyReport:
    """Plan every file first (pure, cheap), check the tools the plans need, then change the
    files one by one. Problems found before the first change raise (exit 2); a file that
    fails is restored and reported, and the rest go on."""
    work: list[FileOutcome | _Planned] = []
    for target in targets(db, options):
        work.append(target if isinstance(target, FileOutcome) else _plan(db, target, options))
    plans = [w for w in work if isinstance(w, _Planned) and not w.plan.empty]
    if not options.dry_run and plans:
        needed = sorted({w.method for w in plans})
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


def _plan(db: Database, record: FileRecord, options: ApplyOptions) -> FileOutcome | _Planned:
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
    plan = evaluate(current, options.policy, container=record.container)
    planned = _Planned(record, current, plan, (st.st_size, st.st_mtime_ns))
    if not plan.empty and planned.method == "mkvpropedit":
        problem = executor.in_place_problem(record.path)
        if problem:
            planned.in_place, planned.note = False, problem
    return planned


def _one(db: Database, item: _Planned, options: ApplyOptions, tracker: JobTracker | None) -> FileOutcome:
    record, current, plan = item.record, item.current, item.plan
    shown = os.fsdecode(record.path)
    actions = [a.to_dict() for a in plan.actions]
    if plan.empty:
        return FileOutcome(shown, "unchanged")
    if options.dry_run:
        return FileOutcome(shown, "planned", actions, note=item.note)
    assert tracker is not None
    before = [t.to_dict() for t in current]
    try:
        done = executor.execute(
            record.path,
            record.container or "",
            current,
            record.duration,
            plan,
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
        return FileOutcome(shown, "failed", actions, error=exc.message, note=item.note)
    from vpo.scan.walker import fingerprints

    st = os.stat(record.path)
    fingerprint = fingerprints([record.path])[0][0]
    journal = executor.journal_name(done.journal) if done.journal else None
    kept = journal if journal else done.backup
    kept_bytes = _size(done.journal.file) if done.journal and journal else _size(done.backup)
    with db.transaction() as conn:
        files_db.update_probe_result(
            conn,
            record.id,
            path=record.path,
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
                    record.path,
                    "applied",
                    {
                        "method": done.method,
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
    return FileOutcome(shown, "changed", actions, note=item.note, kept_bytes=kept_bytes)


def _size(path: bytes | None) -> int:
    try:
        return os.lstat(path).st_size if path else 0
    except OSError:
        return 0
