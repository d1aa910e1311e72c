"""`vpo check`."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from vpo.cli.context import open_library, resolve_settings
from vpo.cli.library_paths import paths_or_roots
from vpo.cli.live_run import run_live
from vpo.cli.notifying import from_check, notifying
from vpo.cli.options import JsonOpt, ProfileOpt
from vpo.cli.progress import check_display
from vpo.cli.render import print_counts, print_problems, print_summary

if TYPE_CHECKING:
    from vpo.check.models import CheckReport


def check(
    ctx: typer.Context,
    paths: Annotated[
        Optional[list[str]],
        typer.Argument(
            metavar="[PATH]...",
            help="Catalogued files or directories to check (default: the --profile's roots, "
            "else the whole catalogue).",
        ),
    ] = None,
    thorough: Annotated[
        bool, typer.Option("--thorough", help="Also decode every audio and video stream (slow).")
    ] = False,
    recheck: Annotated[
        bool, typer.Option("--recheck", help="Check files again even if unchanged since their last check.")
    ] = False,
    max_duration: Annotated[
        Optional[float],
        typer.Option(
            "--max-duration",
            min=0,
            metavar="S",
            help="Start no file after S seconds (the rest waits for the next run, oldest check first).",
        ),
    ] = None,
    workers: Annotated[
        Optional[int],
        typer.Option("--workers", "-w", min=1, help="Files checked at once (default: CPU cores)."),
    ] = None,
    json_out: JsonOpt = False,
    profile: ProfileOpt = None,
) -> int:
    """Check catalogued files for truncation and corruption; exit 1 when some failed."""
    from vpo.check.models import CheckOptions
    from vpo.check.service import check as run_check
    from vpo.media.probe import prober_for

    effective = resolve_settings(ctx, profile=profile, flags={"scan.workers": workers})
    settings = effective.settings
    options = CheckOptions(
        roots=tuple(os.fsencode(p) for p in paths_or_roots(paths, effective, required=False)),
        thorough=thorough,
        recheck=recheck,
        max_duration=max_duration,
        workers=settings.workers(),
        ffmpeg=settings.tools.ffmpeg,
        prober=prober_for(settings),
    )
    with notifying(settings, "check") as notice:
        db = open_library(settings, creates_jobs=True)
        report = run_live(db, run_check, options, check_display, json_out=json_out, summary=_print_summary)
        notice.run = from_check(report)
    return 1 if report.counts.failed else 0


def _print_summary(report: CheckReport) -> None:
    c = report.counts
    rows = [
        ("Checked:", c.checked, ""),
        ("Passed:", c.passed, ""),
        ("Failed:", c.failed, ""),
        ("Skipped (unchanged since checked):", c.skipped, ""),
        ("Missing (not on disk):", c.missing, ""),
    ]
    if c.known_failed:
        rows.insert(4, ("Known failed (unchanged):", c.known_failed, ""))
    if c.left:
        rows.append(("Left for the next run:", c.left, ""))
    print_summary(f"Integrity check ({report.level}):")
    print_counts(rows)
    print_problems(report.failures, report.job_id)
    ending = "stopped at --max-duration" if report.status == "stopped" else "complete"
    print_summary(f"Check {ending} in {report.duration_seconds:.1f}s (job {report.job_id[:8]})")
