"""`vpo transcode`: queue transcode jobs (run them with `vpo jobs run`)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Optional

import typer

from vpo.cli.context import open_library, resolve_settings
from vpo.cli.options import DryRunOpt, JsonOpt, ProfileOpt
from vpo.cli.render import print_json, print_text
from vpo.transcode.models import CODECS, RESOLUTIONS


def transcode(
    ctx: typer.Context,
    paths: Annotated[list[str], typer.Argument(help="Catalogued files, or directories of them.")],
    policy: Annotated[Optional[Path], typer.Option("--policy", help="Policy whose `transcode:` section "
                                                   "gives the defaults (flags win).")] = None,
    codec: Annotated[Optional[str], typer.Option("--codec", help=f"One of: {', '.join(CODECS)} (default hevc).")] = None,
    crf: Annotated[Optional[int], typer.Option("--crf", min=0, max=63, help="Constant quality.")] = None,
    bitrate: Annotated[Optional[str], typer.Option("--bitrate", help="Video bitrate, e.g. 4M.")] = None,
    max_resolution: Annotated[Optional[str], typer.Option(
        "--max-resolution", help=f"One of: {', '.join(RESOLUTIONS)}.")] = None,
    dry_run: DryRunOpt = False,
    json_out: JsonOpt = False,
    profile: ProfileOpt = None,
) -> int:
    """Queue one transcode job per file that is not already in the target codec and size."""
    from vpo.errors import UsageError
    from vpo.policy.loader import load_policy
    from vpo.transcode.models import TranscodeTarget
    from vpo.transcode.queue import queue_transcodes

    if codec is not None and codec not in CODECS:
        raise UsageError(f"invalid --codec {codec!r}: choose from {', '.join(CODECS)}")
    if max_resolution is not None and max_resolution not in RESOLUTIONS:
        raise UsageError(f"invalid --max-resolution {max_resolution!r}: choose from {', '.join(RESOLUTIONS)}")
    effective = resolve_settings(ctx, profile=profile)
    policy_path = policy or (effective.profile.default_policy if effective.profile else None)
    section = load_policy(Path(policy_path).expanduser()).transcode if policy_path else None
    base = TranscodeTarget(**{k: v for k, v in (section.model_dump() if section else {}).items()
                              if k in TranscodeTarget.__dataclass_fields__ and v is not None})
    target = TranscodeTarget(
        codec=codec or base.codec, crf=crf if crf is not None else base.crf, bitrate=bitrate or base.bitrate,
        max_resolution=max_resolution or base.max_resolution, delete_original=base.delete_original,
    )
    db = open_library(effective.settings, creates_jobs=not dry_run)
    try:
        report = queue_transcodes(db, tuple(os.fsencode(p) for p in paths), target,
                                  policy_path=str(policy_path) if policy_path else None, dry_run=dry_run)
    finally:
        db.close()
    if json_out:
        print_json(report.to_dict())
    else:
        for f in report.files:
            extra = f" (job {f.job_id[:8]})" if f.job_id else (f": {f.reason}" if f.reason else "")
            print_text(f"{f.status.upper():<8} {f.path}{extra}")
        queued = sum(1 for f in report.files if f.status == "queued")
        print_text(f"{queued} queued" + (" (dry run)" if dry_run else "; run them with `vpo jobs run`"))
    return 1 if any(f.status == "failed" for f in report.files) else 0
