"""What `vpo watch` tells `notify.urls` (vpo/notify/), with each root's own settings: one
message per batch (the scan's counts, the files in error, the scan job), and `watch_down`
when a root goes away or the watcher stops on an error. Never raises: a notification
that cannot be sent is a warning in the log, and the watcher goes on."""

from __future__ import annotations

from collections.abc import Iterable

from vpo.notify.models import RunSummary
from vpo.notify.send import notify_run
from vpo.watch.models import WatchRoot
from vpo.watch.pipeline import BatchResult

COMMAND = "watch"
CHANGES = ("added", "scanned", "moved", "removed", "restored", "pruned")


def batch_done(target: WatchRoot, result: BatchResult) -> None:
    counts = dict(result.scan_counts)
    if result.queued:
        counts["transcodes_queued"] = result.queued
    run = RunSummary(
        COMMAND,
        job_id=result.scan_job,
        counts=counts,
        errors=[*result.errors, *((target.shown, problem) for problem in result.problems)],
        changed=result.applied > 0 or any(counts.get(key) for key in CHANGES),
    )
    notify_run(target.settings, run)


def batch_failed(target: WatchRoot, failure: str, job_id: str | None) -> None:
    run = RunSummary(COMMAND, job_id=job_id, failed=True, failure=f"{target.shown}: {failure}")
    notify_run(target.settings, run)


def root_down(target: WatchRoot, why: str) -> None:
    notify_run(target.settings, RunSummary(COMMAND, errors=[(target.shown, why)], down=True))


def watcher_stopped(targets: Iterable[WatchRoot], failure: str) -> None:
    """The watcher ends on an error: one message per set of notification settings, naming
    the roots no longer watched."""
    groups: dict[tuple[tuple[str, ...], tuple[str, ...]], list[WatchRoot]] = {}
    for target in targets:
        groups.setdefault((target.settings.notify.urls, target.settings.notify.on), []).append(target)
    for (urls, _on), roots in groups.items():
        if not urls:
            continue
        errors = [(root.shown, f"no longer watched: the watcher stopped: {failure}") for root in roots]
        notify_run(roots[0].settings, RunSummary(COMMAND, errors=errors, down=True))
