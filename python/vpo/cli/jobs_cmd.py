"""`vpo jobs list|show|purge`."""

from __future__ import annotations

import os
from typing import Annotated, Any, Optional

import typer

from vpo.cli.context import open_library, settings_for
from vpo.cli.options import Command, DryRunOpt, JobIdArg, JsonOpt, ProfileOpt
from vpo.cli.render import (
    duration,
    indent,
    print_json,
    print_summary,
    print_text,
    safe,
    table,
    tracks_table,
)
from vpo.jobs.queries import STATUSES, TYPES

app = typer.Typer(help="List, inspect and purge the job history.", no_args_is_help=True)

TEXT_FILE_LIMIT = 50


def _complete_status(incomplete: str) -> list[str]:
    return [s for s in STATUSES if s.startswith(incomplete)]


def _complete_type(incomplete: str) -> list[str]:
    return [t for t in TYPES if t.startswith(incomplete)]


@app.command("list", cls=Command)
def list_cmd(
    ctx: typer.Context,
    status: Annotated[
        Optional[str],
        typer.Option(
            "--status", "-s", autocompletion=_complete_status, help=f"One of: {', '.join(STATUSES)}."
        ),
    ] = None,
    type_: Annotated[
        Optional[str],
        typer.Option("--type", "-t", autocompletion=_complete_type, help=f"One of: {', '.join(TYPES)}."),
    ] = None,
    since: Annotated[
        Optional[str], typer.Option("--since", help="2h, 1d, 1w or an ISO-8601 date/time.")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="At most this many jobs.")] = 20,
    file: Annotated[
        Optional[str],
        typer.Option("--file", "-f", help="Only jobs that touched this file (follows it across moves)."),
    ] = None,
    json_out: JsonOpt = False,
    profile: ProfileOpt = None,
) -> int:
    """List jobs, newest first."""
    from vpo.jobs.queries import check_choice, duration_seconds, list_jobs, summary_dict
    from vpo.jobs.since import parse_since

    check_choice(status, STATUSES, "--status")
    check_choice(type_, TYPES, "--type")
    cutoff = parse_since(since) if since else None
    settings = settings_for(ctx, profile=profile)
    db = open_library(settings)
    try:
        jobs = list_jobs(
            db,
            status=status,
            type=type_,
            since=cutoff,
            limit=limit,
            file=os.fsencode(file) if file is not None else None,
        )
    finally:
        db.close()
    if json_out:
        print_json([summary_dict(j) for j in jobs])
        return 0
    if not jobs:
        print_text("No jobs.")
        return 0
    from vpo.timeutil import to_local_display

    rows = [
        (
            j.id[:8],
            j.type,
            _status(j),
            to_local_display(j.started_at or j.created_at),
            duration(duration_seconds(j)),
            ", ".join(j.target),
        )
        for j in jobs
    ]
    print_text(table(["ID", "TYPE", "STATUS", "STARTED", "DURATION", "PATH"], rows, right=(4,)))
    return 0


def _status(job) -> str:  # type: ignore[no-untyped-def]
    """`running 42%` for a running job that reports progress."""
    if job.status == "running" and job.progress:
        return f"running {job.progress:.0%}"
    return job.status


@app.command("show", cls=Command)
def show_cmd(
    ctx: typer.Context,
    job_id: JobIdArg,
    all_files: Annotated[bool, typer.Option("--all", help="List every affected file (text mode).")] = False,
    json_out: JsonOpt = False,
    profile: ProfileOpt = None,
) -> int:
    """Show one job: options, timing, summary, error and affected files."""
    from vpo.jobs.queries import detail_dict, show_job

    settings = settings_for(ctx, profile=profile)
    db = open_library(settings)
    try:
        detail = show_job(db, job_id, file_limit=None if (json_out or all_files) else TEXT_FILE_LIMIT)
    finally:
        db.close()
    if json_out:
        print_json(detail_dict(detail))
        return 0
    _print_detail(detail)
    return 0


def _print_detail(detail) -> None:  # type: ignore[no-untyped-def]
    import json

    from vpo.jobs.queries import duration_seconds
    from vpo.timeutil import to_local_display

    job = detail.job
    print_text(f"Job {job.id}")
    print_text(f"  Type:      {job.type}")
    print_text(f"  Status:    {job.status}")
    print_text(f"  Path:      {', '.join(safe(t) for t in job.target)}")
    print_text(f"  Created:   {to_local_display(job.created_at)}")
    print_text(f"  Started:   {to_local_display(job.started_at)}")
    print_text(f"  Finished:  {to_local_display(job.finished_at)}")
    print_text(f"  Duration:  {duration(duration_seconds(job))}")
    if job.status == "running" and job.progress is not None:
        print_text(f"  Progress:  {job.progress:.0%}")
    worker = f", worker {job.worker}" if job.worker else ""
    print_text(f"  Process:   pid {job.pid} on {safe(job.host)}{safe(worker)}")
    if job.attempts:
        print_text(f"  Attempts:  {job.attempts} ended by a dead worker")
    print_text(f"  Options:   {safe(json.dumps(job.options, sort_keys=True, ensure_ascii=False))}")
    if job.policy:
        print_text(f"  Policy:    {safe(json.dumps(job.policy, sort_keys=True, ensure_ascii=False))}")
    if job.summary:
        print_text(
            "  Summary:   "
            + ", ".join(
                f"{k} {v:,}" if isinstance(v, int) else safe(f"{k} {v}") for k, v in job.summary.items()
            )
        )
    if job.error_message:
        print_text(f"  Error:     {safe(job.error_message)}")
        if job.error_context:
            print_text(
                f"  Context:   {safe(json.dumps(job.error_context, sort_keys=True, ensure_ascii=False))}"
            )
        if job.error_traceback:
            print_text("  Traceback:")
            for line in job.error_traceback.rstrip().splitlines():  # each one indented
                print_text(f"    {safe(line)}")
    print_text(f"  Files:     {detail.file_count:,}")
    for _fid, path, outcome, details in detail.files:
        print_text(f"    {outcome:<10} {safe(os.fsdecode(path))}")
        _print_file_details(details or {})
    if detail.file_count > len(detail.files):
        print_text(f"    ... {detail.file_count - len(detail.files):,} more (--all or --json lists them all)")


# What an apply records per file, shown as readable blocks rather than one JSON line.
_LAYOUTS = ("before", "after")


def _print_file_details(details: dict[str, Any]) -> None:
    import json

    for action in details.get("actions") or []:
        target = f"track {action['track']}" if action.get("track") is not None else "tracks"
        print_text(
            f"               {action['action']} {target}: {safe(action['from'])} -> {safe(action['to'])}"
        )
        print_text(f"                 ({safe(action['reason'])})")
    for name in _LAYOUTS:
        if details.get(name):
            print_text(f"               {name}:")
            print_text(indent(tracks_table(details[name]), 17))
    rest = {k: v for k, v in details.items() if k not in ("actions", *_LAYOUTS) and v is not None}
    if rest:
        shown = ", ".join(
            f"{k}: {v if isinstance(v, (str, int, float)) else json.dumps(v, ensure_ascii=False)}"
            for k, v in rest.items()
        )
        print_text(f"               {safe(shown)}")


@app.command("purge", cls=Command)
def purge_cmd(
    ctx: typer.Context,
    older_than: Annotated[
        Optional[float],
        typer.Option("--older-than", min=0, metavar="DAYS", help="Default: jobs.retention_days (30)."),
    ] = None,
    dry_run: DryRunOpt = False,
    json_out: JsonOpt = False,
    profile: ProfileOpt = None,
) -> int:
    """Delete finished jobs older than DAYS, with their file records. Never queued or running ones."""
    from vpo.jobs.maintenance import purge

    settings = settings_for(ctx, profile=profile)
    days = settings.jobs.retention_days if older_than is None else older_than
    db = open_library(settings)
    try:
        result = purge(db, older_than_days=days, dry_run=dry_run)
    finally:
        db.close()
    if json_out:
        print_json(
            {
                "dry_run": dry_run,
                "older_than_days": days,
                "cutoff": result.cutoff,
                "count": len(result.job_ids),
                "job_ids": result.job_ids,
            }
        )
        return 0
    from vpo.jobs.maintenance import EPOCH
    from vpo.timeutil import to_local_display

    verb = "Would delete" if dry_run else "Deleted"
    when = "" if result.cutoff == EPOCH else f" (created before {to_local_display(result.cutoff)})"
    print_summary(f"{verb} {len(result.job_ids):,} finished job(s) older than {days:g} day(s){when}")
    return 0
