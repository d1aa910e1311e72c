"""`vpo apply`."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Optional

import typer

from vpo.cli import render
from vpo.cli.context import open_library, resolve_settings
from vpo.cli.options import DryRunOpt, JsonOpt, ProfileOpt, paths_argument
from vpo.cli.render import print_json
from vpo.errors import UsageError
from vpo.reports.units import human_size


def apply(
    ctx: typer.Context,
    paths: Annotated[list[str], paths_argument("Catalogued files, or directories of them.")],
    policy: Annotated[
        Optional[Path],
        typer.Option("--policy", help="Policy YAML file (default: the profile's default_policy)."),
    ] = None,
    dry_run: DryRunOpt = False,
    keep_backup: Annotated[
        Optional[bool],
        typer.Option(
            "--keep-backup/--no-keep-backup",
            help="Keep what undo needs: a remux's original as NAME.vpo-original, an in-place "
            "edit's journal (default: yes).",
        ),
    ] = None,
    json_out: JsonOpt = False,
    profile: ProfileOpt = None,
) -> int:
    """Put tracks in the order and with the flags a policy asks for (verified, reversible).

    Exit 0: every file complies or was changed; 1: some files failed (each restored);
    2: a policy, profile, settings or tool problem found before any file was touched.
    """
    from vpo.media.probe import prober_for
    from vpo.policy.apply import ApplyOptions
    from vpo.policy.apply import apply as run_apply
    from vpo.policy.loader import load_policy

    effective = resolve_settings(ctx, profile=profile, flags={"behavior.keep_backup": keep_backup})
    settings = effective.settings
    policy_path = policy or (effective.profile.default_policy if effective.profile else None)
    if policy_path is None:
        raise UsageError("no policy: give --policy FILE, or a --profile whose default_policy is set")
    policy_file = Path(policy_path).expanduser().absolute()
    loaded = load_policy(policy_file)
    options = ApplyOptions(
        paths=tuple(os.fsencode(p) for p in paths),
        policy=loaded,
        policy_path=str(policy_file),
        dry_run=dry_run,
        keep_backup=settings.behavior.keep_backup,
        tools=settings.tools,
        prober=prober_for(settings),
        extensions=settings.scan.extensions,
        follow_symlinks=settings.scan.follow_symlinks,
        journal_dir=os.fsencode(settings.journal_dir),
    )
    db = open_library(settings, creates_jobs=not dry_run)
    try:
        report = run_apply(db, options)
    finally:
        db.close()
    if json_out:
        print_json(report.to_dict())
    else:
        _print(report)
    return 1 if any(f.status == "failed" for f in report.files) else 0


def _print(report) -> None:  # type: ignore[no-untyped-def]
    # a dry run's plan is what was asked for; a real run's lines are its summary (-q: none)
    print_text = render.print_text if report.dry_run else render.print_summary
    for f in report.files:
        print_text(f"{f.status.upper():<9} {f.path}")
        for a in f.actions:
            target = f"track {a['track']}" if a["track"] is not None else "tracks"
            print_text(f"    {a['action']} {target}: {a['from']} -> {a['to']}  ({a['reason']})")
        if f.note:
            print_text(f"    note: {f.note}")
        if f.error:
            print_text(f"    error: {f.error}")
    c = report.counts()
    tail = f" (job {report.job_id[:8]})" if report.job_id else " (dry run: nothing changed)"
    print_text(
        f"{c['changed']} changed, {c['planned']} planned, {c['unchanged']} unchanged, "
        f"{c['failed']} failed{tail}"
    )
    if report.job_id:
        print_text(f"originals kept for undo: {human_size(report.kept_bytes())}")
