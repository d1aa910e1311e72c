"""`vpo jobs undo`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from vpo.cli.context import open_library, settings_for
from vpo.cli.notifying import from_undo, notifying
from vpo.cli.options import DryRunOpt, JsonOpt, ProfileOpt, job_id_argument
from vpo.cli.render import print_json, print_text, safe

if TYPE_CHECKING:
    from vpo.jobs.undo import UndoReport


def undo_cmd(
    ctx: typer.Context,
    job_id: Annotated[str, job_id_argument("An apply or transcode job (4+ characters).")],
    dry_run: DryRunOpt = False,
    json_out: JsonOpt = False,
    profile: ProfileOpt = None,
) -> int:
    """Put back what an apply or transcode job changed, file by file (itself a job).

    A file is put back only when it is still exactly what the job left; otherwise it is
    refused with the reason. Exit 0: all put back; 1: some refused.
    """
    from vpo.jobs.undo import undo
    from vpo.media.probe import prober_for

    settings = settings_for(ctx, profile=profile)
    prober = prober_for(settings)
    with notifying(settings, "undo", dry_run=dry_run) as notice:
        db = open_library(settings, creates_jobs=not dry_run)
        try:
            report = undo(db, job_id, dry_run=dry_run, prober=prober, settings=settings)
        finally:
            db.close()
        if json_out:
            print_json(report.to_dict())
        else:
            _print(report)
        notice.run = from_undo(report)
    return 1 if any(f.status == "refused" for f in report.files) else 0


def _print(report: UndoReport) -> None:
    for f in report.files:
        print_text(f"{f.status.upper():<9} {safe(f.path)}")
        if f.source and f.status != "refused":
            print_text(f"    from {safe(f.source)}")
        if f.reason:
            print_text(f"    {safe(f.reason)}")
    c = report.counts()
    tail = f" (job {report.job_id[:8]})" if report.job_id else " (dry run: nothing changed)"
    print_text(f"{c['restored']} restored, {c['planned']} planned, {c['refused']} refused{tail}")
