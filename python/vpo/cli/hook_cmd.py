"""`vpo hook`: what Radarr and Sonarr run as a Custom Script (docs/media-stack.md)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from vpo.cli.context import effective_settings, open_library, resolve_settings, selected_profile
from vpo.cli.notifying import from_hook, notifying
from vpo.cli.options import JsonOpt, ProfileOpt
from vpo.cli.render import print_json, print_summary, print_text, safe
from vpo.config.settings import Settings
from vpo.errors import ConfigError

if TYPE_CHECKING:
    from vpo.db.connection import Database
    from vpo.hook.models import HookReport
    from vpo.hook.places import Places
    from vpo.hook.service import Resolve


def hook(ctx: typer.Context, json_out: JsonOpt = False, profile: ProfileOpt = None) -> int:
    """Handle a Radarr or Sonarr event, read from the environment they set (Settings >
    Connect > Custom Script; no arguments). Test: check the settings, profiles, catalogue,
    tools and integrations (exit 1 naming each problem). Download (import or upgrade):
    catalogue the files, apply the default policy of the profile whose roots hold them,
    queue its transcodes. Rename: record the moves. A file, film or series deleted: its
    files become missing. Other events: nothing to do, exit 0."""
    from vpo.hook.environment import TEST, read_event

    event = read_event(os.environ)
    if event.kind == TEST:
        return _test(ctx, profile, json_out)
    from vpo.hook.service import handle_event

    base = resolve_settings(ctx, profile=profile)
    override = selected_profile(ctx, profile)
    with notifying(base.settings, "hook") as notice:
        report = handle_event(event, _places(base.settings, override), _resolver(ctx, override), _open)
        if json_out:
            print_json(report.to_dict())
        else:
            _summary(report)
        notice.run = from_hook(report)
    return 1 if report.problems else 0


def _test(ctx: typer.Context, profile: str | None, json_out: bool) -> int:
    from vpo.hook.checks import hook_checks

    problem: ConfigError | None = None
    try:
        settings = resolve_settings(ctx, profile=profile).settings
    except ConfigError as exc:
        problem = exc
        settings = resolve_settings(ctx, files=False).settings
    checks = hook_checks(settings, settings_error=problem)
    bad = [c for c in checks if not c.ok]
    if json_out:
        print_json({"ok": not bad, "checks": [c.to_dict() for c in checks]})
    else:
        for check in bad:  # Radarr and Sonarr log what the script prints: one line per problem
            sys.stderr.write(f"Error: {check.name}: {safe(check.detail)}\n")
        print_summary(f"vpo hook: {len(checks) - len(bad)} of {len(checks)} checks passed")
    return 1 if bad else 0


def _places(settings: Settings, override: str | None) -> Places:
    from vpo.config.profiles import list_profiles
    from vpo.hook.places import Library, Places

    libraries = [
        Library(e.name, tuple(os.fsencode(r) for r in e.roots))
        for e in list_profiles(settings.home)
        if e.valid and e.roots
    ]
    return Places(libraries, settings.paths.map, override)


def _resolver(ctx: typer.Context, override: str | None) -> Resolve:
    """A profile's effective settings and default policy, each resolved once."""
    found: dict[str | None, tuple[Settings, Path | None]] = {}

    def resolve(name: str | None) -> tuple[Settings, Path | None]:
        if name not in found:
            effective = effective_settings(ctx, profile=name if name is not None else override)
            chosen = effective.profile if name is not None else None
            found[name] = (effective.settings, chosen.default_policy if chosen else None)
        return found[name]

    return resolve


def _open(settings: Settings) -> Database:
    return open_library(settings, creates_jobs=True)


def _summary(report: HookReport) -> None:
    if not report.handled:
        print_summary(f"vpo hook: {report.app} {report.event}: nothing to do")
        return
    for batch in report.batches:
        r = batch.result
        whose = f"profile {batch.profile}" if batch.profile else "no profile"
        counts = r.scan_counts if r else {}
        line = (
            f"{report.app} {report.event}: {len(batch.files)} file(s), {len(batch.gone)} gone, {whose}: "
            f"{counts.get('added', 0)} added, {counts.get('moved', 0)} moved, "
            f"{counts.get('removed', 0)} missing"
        )
        if r and r.apply_job:
            line += f"; policy applied (job {r.apply_job[:8]})"
        if r and r.queued:
            line += f"; {r.queued} transcode(s) queued"
        print_summary(safe(line))
    if report.original_language:
        code, source = report.original_language
        print_summary(f"original language {code}, from {source}")
    for note in report.notes:
        print_summary(safe(note))
    for problem in report.problems:
        print_text(f"problem: {safe(problem)}")
