"""`vpo jobs run|cancel|retry`: the transcode queue (app.py adds them to the `jobs` group)."""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from vpo.cli.context import open_library, settings_for
from vpo.cli.notifying import from_queue_run, notifying
from vpo.cli.options import JobIdArg, JsonOpt, ProfileOpt
from vpo.cli.render import print_json, print_summary, safe
from vpo.reports.units import human_size

if TYPE_CHECKING:
    from vpo.cli.progress import QueueDisplay
    from vpo.transcode.runner import Finished, QueueRunner, Running, RunReport


def run_cmd(
    ctx: typer.Context,
    max_files: Annotated[
        Optional[int], typer.Option("--max-files", min=1, help="Start at most N jobs.")
    ] = None,
    max_duration: Annotated[
        Optional[float],
        typer.Option("--max-duration", min=0, metavar="SECONDS", help="Start no job after this long."),
    ] = None,
    end_by: Annotated[
        Optional[str],
        typer.Option(
            "--end-by", metavar="HH:MM", help="Start no job after this local time (tomorrow if already past)."
        ),
    ] = None,
    workers: Annotated[int, typer.Option("--workers", min=1, help="Jobs at once.")] = 1,
    forever: Annotated[
        bool,
        typer.Option(
            "--forever",
            help="Keep polling an empty queue for new jobs (a worker service); "
            "SIGTERM then finishes the running jobs, claims no more and exits 0.",
        ),
    ] = False,
    poll: Annotated[
        float,
        typer.Option(
            "--poll", min=0.1, metavar="SECONDS", help="With --forever: how often to look for jobs."
        ),
    ] = 5.0,
    json_out: JsonOpt = False,
    profile: ProfileOpt = None,
) -> int:
    """Work the transcode queue until it is empty or a limit is reached.

    SIGINT (Ctrl+C), SIGTERM or SIGHUP: claim nothing more, stop each running ffmpeg,
    remove its temporary file and put its job back in the queue; then exit 130, 143 or 129.
    With --forever, SIGTERM drains instead: running jobs finish, then exit 0 (a second
    SIGTERM stops them as above).
    """
    from vpo.cli.progress import queue_display
    from vpo.transcode.runner import QueueRunner, RunLimits

    limits = RunLimits(
        max_files=max_files,
        max_duration=max_duration,
        end_by=_parse_end_by(end_by) if end_by else None,
        workers=workers,
        forever=forever,
        poll=poll,
    )
    settings = settings_for(ctx, profile=profile)
    display = queue_display(json_out)
    runner = QueueRunner(settings, limits, on_tick=_ticker(display) if display else None)
    with notifying(settings, "jobs run") as notice:
        try:
            with _signals_stop(runner, drain_on_sigterm=forever):
                open_library(
                    settings, creates_jobs=True
                ).close()  # recover dead workers' jobs, purge old ones
                report = runner.run()
        finally:
            if display:
                display.close()
        _raise_if_stopped(report)
        if json_out:
            print_json(report.to_dict())
        else:
            _print(report)
        notice.run = from_queue_run(report)
    return 1 if any(j["status"] == "failed" for j in report.jobs) else 0


# SIGHUP: the terminal went away
_STOPPING = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def _ticker(display: QueueDisplay) -> Callable[[list[Running], list[Finished]], None]:
    """The runner's tick: finished jobs printed once, the running ones redrawn."""

    def tick(running: list[Running], finished: list[Finished]) -> None:
        for job in finished:
            display.finished(job.job_id, job.status, job.name, job.seconds, job.error)
        display.update(running)

    return tick


@contextmanager
def _signals_stop(runner: QueueRunner, *, drain_on_sigterm: bool) -> Iterator[None]:
    """While the queue runs, SIGINT, SIGTERM and SIGHUP stop it (SIGTERM drains it first
    with --forever); the previous handlers come back after."""

    def on_signal(signum: int, frame: object) -> None:
        name = signal.Signals(signum).name
        if drain_on_sigterm and signum == signal.SIGTERM and not runner.draining:
            runner.drain(name)
        else:
            runner.request_stop(name)

    previous = {sig: signal.signal(sig, on_signal) for sig in _STOPPING}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _raise_if_stopped(report: RunReport) -> None:
    """A run a signal stopped ends as Interrupted, exit 128 + the signal (130, 143, 129)."""
    from vpo.errors import Interrupted

    if report.stopped_by not in {sig.name for sig in _STOPPING}:
        return
    error = Interrupted(
        f"stopped by {report.stopped_by}; running jobs were put back in the queue",
        details=report.to_dict(),
    )
    error.exit_code = 128 + signal.Signals[report.stopped_by].value
    raise error


def _print(report: RunReport) -> None:
    for job in report.jobs:
        print_summary(
            f"{job['status']:<10} {str(job['id'])[:8]}" + (f"  {safe(job['error'])}" if job["error"] else "")
        )
    print_summary(f"{len(report.jobs)} job(s) run; stopped: {report.stopped_by}")
    print_summary(f"originals kept for undo: {human_size(report.kept_bytes())}")


def _parse_end_by(text: str):  # type: ignore[no-untyped-def]
    from datetime import datetime, timedelta

    from vpo.errors import UsageError

    try:
        clock = datetime.strptime(text.strip(), "%H:%M").time()
    except ValueError:
        raise UsageError(f"invalid --end-by {text!r}: expected HH:MM (24-hour local time)") from None
    now = datetime.now().astimezone()
    moment = now.replace(hour=clock.hour, minute=clock.minute, second=0, microsecond=0)
    return moment if moment > now else moment + timedelta(days=1)


def cancel_cmd(
    ctx: typer.Context,
    job_id: JobIdArg,
    json_out: JsonOpt = False,
    profile: ProfileOpt = None,
) -> int:
    """Cancel a queued or running job (a running transcode stops and removes its temp file)."""
    from vpo.transcode.queue import cancel_job

    db = open_library(settings_for(ctx, profile=profile))
    try:
        full, before = cancel_job(db, job_id)
    finally:
        db.close()
    if json_out:
        print_json({"id": full, "previous_status": before, "status": "cancelled"})
    else:
        print_summary(f"Cancelled job {full[:8]} (was {before})")
    return 0


def retry_cmd(
    ctx: typer.Context,
    job_id: JobIdArg,
    json_out: JsonOpt = False,
    profile: ProfileOpt = None,
) -> int:
    """Put a failed or cancelled transcode job back in the queue."""
    from vpo.transcode.queue import retry_job

    db = open_library(settings_for(ctx, profile=profile))
    try:
        full = retry_job(db, job_id)
    finally:
        db.close()
    if json_out:
        print_json({"id": full, "status": "queued"})
    else:
        print_summary(f"Job {full[:8]} is queued again")
    return 0
