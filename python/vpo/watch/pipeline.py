"""Handling a batch of settled files, each step a job as from the command line: one scan of
exactly those files (and of the folders that lost files, so deletions and moves are recorded
as a scan records them), then, when the profile has a default policy and `watch.apply` is
on, one apply of what the scan added or changed, and the policy's `transcode:` section
queued for the same files (`vpo transcode`'s queue; `vpo jobs run` works it)."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field

from vpo.db import files as files_db
from vpo.db import jobs as jobs_db
from vpo.db.connection import Database
from vpo.errors import Interrupted, VpoError
from vpo.integrations.hints import Hints
from vpo.media.probe import prober_for
from vpo.scan.models import ScanOptions
from vpo.scan.service import scan
from vpo.watch.models import WatchRoot

log = logging.getLogger(__name__)

# More settled files than this in a batch: their folders are the scan's roots (with the
# files as `only`), not each file: a walk per file costs more than one per folder then.
FILE_ROOTS_UP_TO = 64
CATALOGUED = ("added", "changed")  # the scan's outcomes that the policy is applied to


@dataclass
class BatchResult:
    scan_job: str | None = None
    scan_counts: dict[str, int] = field(default_factory=dict)  # the scan's summary counts
    apply_job: str | None = None
    catalogued: int = 0  # files the scan added or changed
    ids: list[int] = field(default_factory=list)  # their file ids
    queued: int = 0  # transcodes queued
    applied: int = 0  # files the policy changed
    errors: list[tuple[str, str]] = field(default_factory=list)  # the scan's files in error: (path, message)
    problems: list[str] = field(default_factory=list)  # apply or transcode trouble, one line each


def scan_roots(root: bytes, files: list[bytes], gone: list[bytes]) -> tuple[bytes, ...]:
    """What the scan walks: the settled files themselves (their folders when there are
    many), and for each file that went away the nearest folder of it that still exists
    (at most the root), where the scan finds it missing or moved."""
    roots = set(files) if len(files) <= FILE_ROOTS_UP_TO else {os.path.dirname(f) for f in files}
    for path in gone:
        folder = os.path.dirname(path)
        while folder != root and len(folder) > len(root) and not os.path.isdir(folder):
            folder = os.path.dirname(folder)
        roots.add(folder if len(folder) >= len(root) else root)
    return tuple(sorted(roots))


def scan_options(
    target: WatchRoot, roots: tuple[bytes, ...], only: frozenset[bytes], *, batch: bool = False
) -> ScanOptions:
    """The scan of a batch (`batch`), or a reconcile scan of the root (which keeps the
    unmounted guard: an empty root is a share that went away, not a library deleted)."""
    settings = target.settings
    return ScanOptions(
        roots=roots,
        prune=settings.scan.prune,
        follow_symlinks=settings.scan.follow_symlinks,
        extensions=settings.scan.extensions,
        workers=min(settings.workers(), max(1, len(only))),
        prober=prober_for(settings, scanning=True),
        only=only,
        empty_is_unmounted=not batch,
    )


def handle(
    db: Database, target: WatchRoot, files: list[bytes], gone: list[bytes], *, hints: Hints | None = None
) -> BatchResult:
    """Catalogue `files` (settled, differing from the catalogue) and record `gone` (settled
    deletions of catalogued files); then the policy. A failing scan raises (the caller
    decides: an unmounted root, a database problem); trouble with the policy is reported
    in the result, the catalogue being already right. `hints`: what a hook event told us
    (`vpo hook`), for the refreshes after apply."""
    result = catalogue(db, target, files, gone)
    apply_policy(db, target, result, hints=hints)
    return result


def catalogue(db: Database, target: WatchRoot, files: list[bytes], gone: list[bytes]) -> BatchResult:
    """The scan of a batch: `files` catalogued, `gone` recorded missing or moved."""
    roots = scan_roots(target.path, files, gone)
    report = scan(db, scan_options(target, roots, frozenset(files), batch=True))
    result = BatchResult(
        scan_job=report.job_id,
        scan_counts=report.counts.to_dict(),
        errors=[(e["path"], e["error"]) for e in report.errors],
    )
    result.ids = [
        fid
        for fid, _path, outcome, _ in jobs_db.files_of(db.conn, report.job_id)
        if outcome in CATALOGUED and fid is not None
    ]
    result.catalogued = len(result.ids)
    return result


def apply_policy(db: Database, target: WatchRoot, result: BatchResult, *, hints: Hints | None = None) -> None:
    """The profile's default policy on what the scan added or changed (when `watch.apply`)."""
    if result.ids and target.policy is not None and target.settings.watch.apply:
        try:
            _apply(db, target, result.ids, result, hints)
        except Interrupted:
            raise
        except VpoError as exc:
            result.problems.append(f"policy {target.policy}: {exc.message}")


def _apply(db: Database, target: WatchRoot, ids: list[int], result: BatchResult, hints: Hints | None) -> None:
    from vpo.apply.options import ApplyOptions
    from vpo.apply.service import apply
    from vpo.policy.loader import load_policy

    assert target.policy is not None
    settings = target.settings
    policy = load_policy(target.policy)  # read each time: an edited policy applies at once
    paths = _current_paths(db, ids)
    if not paths:
        return  # gone again since the scan
    report = apply(
        db,
        ApplyOptions.from_settings(settings, paths, policy, str(target.policy), refresh_hints=hints),
    )
    result.apply_job = report.job_id
    result.applied = sum(1 for f in report.files if f.status == "changed")
    failed = [f for f in report.files if f.status == "failed"]
    if failed:
        result.problems.append(
            f"apply: {len(failed)} file(s) failed, e.g. {failed[0].path}: {failed[0].error}"
        )
    if policy.transcode is not None:
        _queue_transcodes(db, target, ids, policy.transcode, result)


def _queue_transcodes(
    db: Database, target: WatchRoot, ids: list[int], section: object, result: BatchResult
) -> None:
    from vpo.transcode.models import from_section
    from vpo.transcode.queue import queue_transcodes

    settings = target.settings
    queued = queue_transcodes(
        db,
        _current_paths(db, ids),  # after apply: a container change renamed some
        from_section(section),
        policy_path=str(target.policy),
        dry_run=False,
        extensions=settings.scan.extensions,
        follow_symlinks=settings.scan.follow_symlinks,
    )
    result.queued = sum(1 for f in queued.files if f.status == "queued")
    failed = [f for f in queued.files if f.status == "failed"]
    if failed:
        result.problems.append(f"transcode: {failed[0].path}: {failed[0].reason}")


def _current_paths(db: Database, ids: list[int]) -> tuple[bytes, ...]:
    """Where these files are now (by id: an apply may have renamed one)."""
    paths = []
    for fid in ids:
        record = files_db.get_by_id(db.conn, fid)
        if record is not None and os.path.exists(record.path):
            paths.append(record.path)
    return tuple(paths)
