"""`vpo transcode`: queue transcode jobs (run them with `vpo jobs run`)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Optional

import typer

from vpo.cli import render
from vpo.cli.context import open_library, resolve_settings
from vpo.cli.library_paths import paths_or_roots
from vpo.cli.options import DryRunOpt, JsonOpt, ProfileOpt, optional_paths_argument
from vpo.cli.render import print_json, safe
from vpo.transcode.models import CODECS, RESOLUTIONS, from_section


def transcode(
    ctx: typer.Context,
    paths: Annotated[
        Optional[list[str]],
        optional_paths_argument("Catalogued files, or directories of them (default: the --profile's roots)."),
    ] = None,
    policy: Annotated[
        Optional[Path],
        typer.Option("--policy", help="Policy whose `transcode:` section gives the defaults (flags win)."),
    ] = None,
    codec: Annotated[
        Optional[str], typer.Option("--codec", help=f"One of: {', '.join(CODECS)} (default hevc).")
    ] = None,
    crf: Annotated[
        Optional[int],
        typer.Option(
            "--crf", min=0, max=63, help="Constant quality (0-51 for hevc and h264, 0-63 for av1 and vp9)."
        ),
    ] = None,
    bitrate: Annotated[
        Optional[str],
        typer.Option(
            "--bitrate",
            help="Video bitrate, e.g. 4M (a --crf or --bitrate replaces the policy's rate control).",
        ),
    ] = None,
    max_resolution: Annotated[
        Optional[str], typer.Option("--max-resolution", help=f"One of: {', '.join(RESOLUTIONS)}.")
    ] = None,
    dry_run: DryRunOpt = False,
    json_out: JsonOpt = False,
    profile: ProfileOpt = None,
) -> int:
    """Queue one transcode job per file that is not already in the target codec and size.

    A result that is not smaller than the original is discarded and its job ends skipped
    (unless transcode.keep_if_larger); the original is kept as NAME.EXT.vpo-original
    (`vpo jobs undo`, `vpo backups`)."""
    from vpo.errors import UsageError
    from vpo.policy.loader import load_policy
    from vpo.transcode.models import merge
    from vpo.transcode.queue import queue_transcodes

    effective = resolve_settings(ctx, profile=profile)
    targets = paths_or_roots(paths, effective, required=True)
    chosen = policy or (effective.profile.default_policy if effective.profile else None)
    policy_path = Path(chosen).expanduser().absolute() if chosen else None
    section = load_policy(policy_path).transcode if policy_path else None
    target = merge(
        from_section(section), codec=codec, crf=crf, bitrate=bitrate, max_resolution=max_resolution
    )
    problem = target.problem()
    if problem:  # before the database is opened (and old jobs purged) for nothing
        raise UsageError(problem, details=target.to_dict())
    db = open_library(effective.settings, creates_jobs=not dry_run)
    try:
        report = queue_transcodes(
            db,
            tuple(os.fsencode(p) for p in targets),
            target,
            policy_path=str(policy_path) if policy_path else None,
            dry_run=dry_run,
            extensions=effective.settings.scan.extensions,
            follow_symlinks=effective.settings.scan.follow_symlinks,
        )
    finally:
        db.close()
    if json_out:
        print_json(report.to_dict())
    else:
        _print(report, dry_run)
    return 1 if any(f.status == "failed" for f in report.files) else 0


def _print(report, dry_run: bool) -> None:  # type: ignore[no-untyped-def]
    """Per file what would be done (codec, quality, size) and why a file is skipped. A dry
    run's plan is what was asked for; a real run's lines are its summary (-q: none)."""
    show = render.print_text if dry_run else render.print_summary
    for f in report.files:
        extra = f" (job {f.job_id[:8]})" if f.job_id else ""
        show(f"{f.status.upper():<8} {safe(f.path)}{extra}")
        if f.plan and f.status != "failed":  # a skipped file: what it is, not a plan
            show(f"         {safe(f.plan.split(' -> ')[0] if f.status == 'skipped' else f.plan)}")
        if f.reason:
            show(f"         {'skipped' if f.status == 'skipped' else 'error'}: {safe(f.reason)}")
    counts = {
        s: sum(1 for f in report.files if f.status == s) for s in ("queued", "planned", "skipped", "failed")
    }
    done = f"{counts['planned']} would be queued (dry run)" if dry_run else f"{counts['queued']} queued"
    show(
        f"{done}, {counts['skipped']} skipped, {counts['failed']} failed"
        + ("" if dry_run else "; run them with `vpo jobs run`")
    )
