"""Live progress on stderr, for terminals only: the scan's line and `vpo jobs run`'s jobs.

Drawn by rich (already installed with Typer) on a stderr console that redraws ten times a
second. While a display is live, rich redirects `sys.stderr`, and VPO's stderr log
handler writes to whatever `sys.stderr` is (vpo/logging.py), so a warning is printed
above the display instead of being glued to its last frame. Nothing here runs when
stderr is not a terminal or with `--json`: cron and scripts never see it.
"""

from __future__ import annotations

import sys
from typing import Any

from vpo.cli.render import duration, safe
from vpo.scan.models import ScanProgress


def wanted(json_mode: bool) -> bool:
    return not json_mode and sys.stderr.isatty()


def _live(*columns: Any) -> Any:
    """A started rich Progress on stderr, redrawn ten times a second, gone when stopped;
    stderr is redirected above it while it is live (see the module's docstring)."""
    from rich.console import Console
    from rich.progress import Progress

    progress = Progress(
        *columns,
        console=Console(file=sys.stderr, highlight=False),
        transient=True,
        refresh_per_second=10,
        redirect_stderr=True,
        redirect_stdout=False,
    )
    progress.start()
    return progress


def scan_frame(p: ScanProgress) -> tuple[str, str]:
    """(phase, details) of one frame: found, probed of queued, files/s, ETA. Pure."""
    probing_for = p.elapsed - p.probing_since if p.probing_since is not None else 0.0
    rate = p.probed / probing_for if probing_for > 0.05 else 0.0
    left = max(0, p.queued - p.probed)
    if p.phase == "walking" or rate <= 0:
        eta = "?"
    else:
        eta = duration(left / rate)
    if p.phase == "interrupted":
        return "interrupted", (
            f"{p.discovered:,} found, {p.probed:,}/{p.queued:,} probed; {p.saved:,} saved to the catalogue"
        )
    return (
        p.phase,
        f"{p.discovered:,} found, {p.probed:,}/{p.queued:,} probed, {rate:,.1f} files/s, ETA {eta}",
    )


class ScanDisplay:
    """`vpo scan`'s live line: walking -> probing, with a rate and an ETA. It goes away
    when the scan is done (the summary follows on stdout); after Ctrl+C its last frame
    stays, saying what was saved."""

    def __init__(self) -> None:
        from rich.progress import BarColumn, SpinnerColumn, TextColumn

        self._progress = _live(
            SpinnerColumn(),
            TextColumn("{task.description:<8}"),
            BarColumn(bar_width=24),
            TextColumn("{task.fields[details]}"),
        )
        self._task = self._progress.add_task("walking", total=None, details="starting")
        self._last: ScanProgress | None = None

    def __call__(self, p: ScanProgress) -> None:
        self._last = p
        phase, details = scan_frame(p)
        total = None if p.phase == "walking" else max(p.queued, 1)
        self._progress.update(self._task, description=phase, details=details, total=total, completed=p.probed)

    def close(self) -> None:
        self._progress.stop()
        if self._last is not None and self._last.phase == "interrupted":
            phase, details = scan_frame(self._last)
            sys.stderr.write(f"{phase}: {details}\n")
            sys.stderr.flush()


def scan_display(json_mode: bool) -> ScanDisplay | None:
    return ScanDisplay() if wanted(json_mode) else None


class QueueDisplay:
    """`vpo jobs run`'s live lines: one per running job with percent, speed (media seconds
    per wall second, e.g. 2.3x) and ETA; a line stays for each job that ends."""

    def __init__(self) -> None:
        from rich.progress import BarColumn, TextColumn

        self._progress = _live(
            TextColumn("{task.description}", markup=False),  # it names the file: no rich markup
            BarColumn(bar_width=24),
            TextColumn("{task.percentage:>3.0f}%  {task.fields[speed]:>6}  ETA {task.fields[eta]}"),
        )
        self._tasks: dict[str, Any] = {}

    def update(self, running: list[Any]) -> None:
        """`running`: the runner's snapshot (job id, name, fraction done, seconds running,
        media duration) of every job in progress."""
        for job in running:
            speed, eta = job_rate(job.fraction, job.seconds, job.duration)
            task = self._tasks.get(job.job_id)
            if task is None:
                task = self._tasks[job.job_id] = self._progress.add_task(
                    f"{job.job_id[:8]} {safe(job.name)}", total=100, speed=speed, eta=eta
                )
            self._progress.update(task, completed=job.fraction * 100, speed=speed, eta=eta)

    def finished(self, job_id: str, status: str, name: str, seconds: float, error: str | None) -> None:
        task = self._tasks.pop(job_id, None)
        if task is not None:
            self._progress.remove_task(task)
        tail = f"  {safe(error)}" if error else ""
        self._progress.console.print(
            f"{status:<10} {job_id[:8]} {safe(name)}  {duration(seconds)}{tail}",
            markup=False,
            highlight=False,
        )

    def close(self) -> None:
        self._progress.stop()


def job_rate(fraction: float, seconds: float, media_seconds: float | None) -> tuple[str, str]:
    """(speed, ETA) of a running transcode: `2.3x` means 2.3 s of media per second. Pure."""
    if not media_seconds or seconds <= 0 or fraction <= 0:
        return "-", "?"
    speed = fraction * media_seconds / seconds
    remaining = (1 - fraction) * media_seconds / speed if speed > 0 else 0
    return f"{speed:.1f}x", duration(remaining)


def queue_display(json_mode: bool) -> QueueDisplay | None:
    return QueueDisplay() if wanted(json_mode) else None


class CheckDisplay:
    """`vpo check`'s live line: files checked of this run's total, failures, rate, ETA."""

    def __init__(self) -> None:
        from rich.progress import BarColumn, SpinnerColumn, TextColumn

        self._progress = _live(SpinnerColumn(), BarColumn(bar_width=24), TextColumn("{task.fields[details]}"))
        self._task = self._progress.add_task("checking", total=None, details="starting")

    def __call__(self, p: Any) -> None:
        """`p`: check.models.CheckProgress (done, total, failed, elapsed)."""
        rate = p.done / p.elapsed if p.elapsed > 0 else 0.0
        eta = duration((p.total - p.done) / rate) if rate > 0 else "?"
        details = (
            f"checking: {p.done:,}/{p.total:,} files, {p.failed:,} failed, {rate:,.1f} files/s, ETA {eta}"
        )
        self._progress.update(self._task, total=max(p.total, 1), completed=p.done, details=details)

    def close(self) -> None:
        self._progress.stop()


def check_display(json_mode: bool) -> CheckDisplay | None:
    return CheckDisplay() if wanted(json_mode) else None
