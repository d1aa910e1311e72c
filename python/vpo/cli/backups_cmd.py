"""`vpo backups list|clean`: kept originals and in-place edits' journals."""

from __future__ import annotations

import os
from typing import Annotated, Optional

import typer

from vpo.cli.context import open_library, resolve_settings
from vpo.cli.library_paths import paths_or_roots
from vpo.cli.options import Command, DryRunOpt, JsonOpt, ProfileOpt
from vpo.cli.render import print_json, print_text, safe, table
from vpo.reports.units import human_size

app = typer.Typer(
    help="List and clean what undo needs: kept originals and in-place edits' journals.",
    no_args_is_help=True,
)

PathsArg = Annotated[
    Optional[list[str]],
    typer.Argument(
        metavar="[PATH]...",
        help="Only what belongs to files at or under these paths (default: the --profile's roots, else all).",
    ),
]


@app.command("list", cls=Command)
def list_cmd(
    ctx: typer.Context,
    paths: PathsArg = None,
    json_out: JsonOpt = False,
    profile: ProfileOpt = None,
) -> int:
    """Every kept original and journal: size, file, job and age, with the totals."""
    from vpo.jobs.backups import Listing, list_kept

    effective = resolve_settings(ctx, profile=profile)
    settings = effective.settings
    wanted = paths_or_roots(paths, effective, required=False)
    db = open_library(settings)
    try:
        items = list_kept(db, os.fsencode(settings.journal_dir), tuple(os.fsencode(p) for p in wanted))
    finally:
        db.close()
    listing = Listing(items=items)
    if json_out:
        print_json(listing.to_dict())
        return 0
    _print_items(items)
    print_text(f"{len(items):,} kept, {human_size(sum(k.size for k in items))} in all")
    return 0


@app.command("clean", cls=Command)
def clean_cmd(
    ctx: typer.Context,
    paths: PathsArg = None,
    older_than: Annotated[
        Optional[float],
        typer.Option(
            "--older-than", min=0, metavar="DAYS", help="Only what is older than DAYS (default: all)."
        ),
    ] = None,
    dry_run: DryRunOpt = False,
    json_out: JsonOpt = False,
    profile: ProfileOpt = None,
) -> int:
    """Delete kept originals and journals (then those changes can no longer be undone).
    Never the only copy of anything: a pending journal, an original whose file is gone."""
    from vpo.jobs.backups import clean

    effective = resolve_settings(ctx, profile=profile)
    settings = effective.settings
    wanted = paths_or_roots(paths, effective, required=False)
    db = open_library(settings)
    try:
        result = clean(
            db,
            os.fsencode(settings.journal_dir),
            tuple(os.fsencode(p) for p in wanted),
            older_than_days=older_than or 0,
            dry_run=dry_run,
        )
    finally:
        db.close()
    if json_out:
        print_json(result.to_dict())
        return 0
    removed = result.removed or []
    _print_items(removed)
    verb = "Would free" if dry_run else "Freed"
    print_text(f"{verb} {human_size(sum(k.size for k in removed))} ({len(removed):,} removed)")
    kept = [k for k in result.items if k.keep_reason]
    for k in kept:
        print_text(f"kept {safe(os.fsdecode(k.path))}: {safe(k.keep_reason)}")
    return 0


def _print_items(items) -> None:  # type: ignore[no-untyped-def]
    rows = [
        (
            k.kind,
            human_size(k.size),
            f"{k.age_days:.1f}d",
            (k.job_id or "-")[:8],
            os.fsdecode(k.file),
            os.fsdecode(os.path.basename(k.path)),
        )
        for k in items
    ]
    if rows:
        print_text(table(["KIND", "SIZE", "AGE", "JOB", "FILE", "KEPT AS"], rows, right=(1, 2)))
