"""`vpo apply`."""

from __future__ import annotations

import os
from contextlib import nullcontext
from functools import partial
from pathlib import Path
from typing import Annotated, Optional

import typer

from vpo.cli.context import open_library, resolve_settings
from vpo.cli.library_paths import paths_or_roots
from vpo.cli.notifying import from_apply, notifying
from vpo.cli.options import DryRunOpt, JsonOpt, ProfileOpt, optional_paths_argument
from vpo.cli.plan_render import json_lines, print_file, print_totals
from vpo.errors import UsageError


def apply(
    ctx: typer.Context,
    paths: Annotated[
        Optional[list[str]],
        optional_paths_argument("Catalogued files, or directories of them (default: the --profile's roots)."),
    ] = None,
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
    """Make files look as a policy says: track order and flags; with schema 2 also the tracks
    kept, their labels and the container (verified, reversible).

    Exit 0: every file complies or was changed; 1: some files failed (each restored);
    2: a policy, profile, settings or tool problem found before any file was touched.
    """
    from vpo.apply.service import ApplyOptions
    from vpo.apply.service import apply as run_apply
    from vpo.policy.loader import load_policy

    effective = resolve_settings(ctx, profile=profile, flags={"behavior.keep_backup": keep_backup})
    settings = effective.settings
    targets = paths_or_roots(paths, effective, required=True)
    policy_path = policy or (effective.profile.default_policy if effective.profile else None)
    if policy_path is None:
        raise UsageError("no policy: give --policy FILE, or a --profile whose default_policy is set")
    policy_file = Path(policy_path).expanduser().absolute()
    loaded = load_policy(policy_file)
    paths_given = tuple(os.fsencode(p) for p in targets)
    options = ApplyOptions.from_settings(settings, paths_given, loaded, str(policy_file), dry_run=dry_run)
    # Each file's outcome is written as it comes, never held: JSON lines wait in a
    # temporary file for the counts that come first in the document.
    with notifying(settings, "apply", dry_run=dry_run) as notice:
        with json_lines() if json_out else nullcontext() as lines:
            db = open_library(settings, creates_jobs=not dry_run)
            try:
                report = run_apply(db, options, sink=lines or partial(print_file, dry_run=dry_run))
            finally:
                db.close()
            if lines is not None:
                lines.print(report)
            else:
                print_totals(report)
        notice.run = from_apply(report)
    return 1 if report.counts()["failed"] else 0
