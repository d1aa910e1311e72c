"""The one notification of a command run (vpo/notify/): each command that does work wraps
its work and its output in `notifying(settings, command)` and hands over its report,
turned into a RunSummary by the builder of its kind below.

    with notifying(settings, "scan") as notice:
        report = run_scan(...)
        ...print the report...
        notice.run = from_scan(report)

The message goes after the output (a person sees the result first). A run that raises
(a VpoError or anything else that ends the command) is a failed run, with its message
and the id of the job it failed; Ctrl+C (`Interrupted`) is no failure and sends nothing.
A notification that cannot be sent is a warning on stderr and in the log, never a change
of the exit code.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from vpo.catalogue import JobStatus
from vpo.config.settings import Settings
from vpo.errors import Interrupted, VpoError
from vpo.notify.models import RunSummary

if TYPE_CHECKING:
    from vpo.apply.outcome import ApplyReport
    from vpo.check.models import CheckReport
    from vpo.hook.models import HookReport
    from vpo.jobs.undo import UndoReport
    from vpo.scan.models import ScanReport
    from vpo.transcode.runner import RunReport

SCAN_CHANGES = ("added", "scanned", "moved", "removed", "restored", "pruned")


class Notice:
    """What the command hands over: its run, once it has one (None: nothing to tell)."""

    run: RunSummary | None = None


@contextmanager
def notifying(settings: Settings, command: str, *, dry_run: bool = False) -> Iterator[Notice]:
    """Around a command's work and output; a dry run (nothing done) sends nothing."""
    notice = Notice()
    if dry_run or not settings.notify.urls:
        yield notice
        return
    try:
        yield notice
    except Interrupted:
        raise
    except Exception as exc:
        from vpo.jobs.lifecycle import failed_job
        from vpo.notify.send import notify_run

        failure = exc.message if isinstance(exc, VpoError) else f"{type(exc).__name__}: {exc}"
        notify_run(settings, RunSummary(command, job_id=failed_job(exc), failed=True, failure=failure))
        raise
    if notice.run is not None:
        from vpo.notify.send import notify_run

        notify_run(settings, notice.run)


def from_scan(report: ScanReport) -> RunSummary:
    counts = report.counts.to_dict()
    return RunSummary(
        "scan",
        job_id=report.job_id,
        counts=counts,
        errors=[(e["path"], e["error"]) for e in report.errors],
        changed=any(counts.get(key) for key in SCAN_CHANGES),
    )


def from_check(report: CheckReport) -> RunSummary:
    return RunSummary(
        "check",
        job_id=report.job_id,
        counts=report.counts.to_dict(),
        errors=[(f["path"], f["error"]) for f in report.failures],
    )


def from_apply(report: ApplyReport) -> RunSummary | None:
    if report.dry_run:
        return None  # nothing was done
    counts = report.counts()
    return RunSummary(
        "apply",
        job_id=report.job_id,
        counts=counts,
        errors=report.failures(),
        changed=counts["changed"] > 0,
    )


def from_undo(report: UndoReport) -> RunSummary | None:
    if report.dry_run:
        return None
    counts = report.counts()
    return RunSummary(
        "undo",
        job_id=report.job_id,
        counts=counts,
        errors=[(f.path, f.reason or "refused") for f in report.files if f.status == "refused"],
        changed=counts["restored"] > 0,
    )


def from_queue_run(report: RunReport) -> RunSummary:
    """`vpo jobs run`: one job per file, so the files in error are named by their jobs."""
    counts: dict[str, int] = {}
    for job in report.jobs:
        counts[str(job["status"])] = counts.get(str(job["status"]), 0) + 1
    done = counts.get(JobStatus.COMPLETED.value, 0) > 0
    return RunSummary(
        "jobs run",
        counts=counts,
        errors=[
            (f"job {str(job['id'])[:8]}", str(job["error"] or "failed"))
            for job in report.jobs
            if job["status"] == JobStatus.FAILED.value
        ],
        changed=done,
        transcoded=done,
    )


def from_hook(report: HookReport) -> RunSummary | None:
    """`vpo hook`: the batches of one Radarr or Sonarr event (None: nothing was to do)."""
    if not report.handled:
        return None
    counts: dict[str, int] = {}
    errors: list[tuple[str, str]] = [(f"{report.app} {report.event}", p) for p in report.problems]
    for batch in report.batches:
        result = batch.result
        if result is None:
            continue
        for key, value in result.scan_counts.items():
            counts[key] = counts.get(key, 0) + value
        counts["applied"] = counts.get("applied", 0) + result.applied
        errors += result.errors
        errors += [(batch.profile or "hook", problem) for problem in result.problems]
    return RunSummary(
        "hook",
        job_id=next((b.result.scan_job for b in report.batches if b.result and b.result.scan_job), None),
        counts=counts,
        errors=errors,
        changed=any(counts.get(key) for key in (*SCAN_CHANGES, "applied")),
    )
