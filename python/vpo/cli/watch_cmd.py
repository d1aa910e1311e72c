"""`vpo watch [--profile NAME]... [--standby] [PATH]...` and `vpo watch status`."""

from __future__ import annotations

import os
import sys
from typing import Annotated, Any, Optional

import typer
from typer.core import TyperGroup

from vpo.cli.context import effective_settings, open_library, resolve_settings, selected_profile
from vpo.cli.options import Command, JsonOpt
from vpo.cli.render import print_json, print_summary, print_text, safe, table
from vpo.errors import RootNotFoundError, UsageError


class _RunByDefault(TyperGroup):
    """`vpo watch ...` is `vpo watch run ...` unless it names a subcommand (or asks for help)."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if not args or (args[0] not in self.commands and args[0] not in ("--help", "-h")):
            args = ["run", *args]
        return super().parse_args(ctx, args)


app = typer.Typer(
    cls=_RunByDefault,
    help="Watch libraries and handle new and changed files once they settle: catalogue them, "
    "apply the profile's default policy, queue its transcodes (docs/watching.md). "
    "`vpo watch [OPTIONS] [PATH]...` is `vpo watch run`.",
)


def shown(path: bytes | str) -> str:
    """A path as `vpo watch` and `vpo watch status` print it: control characters and
    non-UTF-8 bytes escaped (docs/security.md)."""
    return safe(os.fsdecode(path))


def _announce(root: bytes, message: str) -> None:
    print_summary(f"{shown(root)}: {message}")
    sys.stdout.flush()  # a line as it happens, also into a pipe or the journal


@app.command("run", cls=Command)
def run_cmd(
    ctx: typer.Context,
    paths: Annotated[
        Optional[list[str]],
        typer.Argument(
            metavar="[PATH]...",
            help="Folders to watch, with the --profile's settings (default: the roots of every "
            "profile that has them, each with its own profile's settings).",
            show_default=False,
        ),
    ] = None,
    profiles: Annotated[
        Optional[list[str]],
        typer.Option(
            "--profile",
            "-p",
            metavar="NAME",
            help="Watch this profile's roots (repeatable); default: every profile with roots.",
        ),
    ] = None,
    standby: Annotated[
        bool,
        typer.Option(
            "--standby",
            help="A root another watcher holds: wait, and take over when it stops or dies "
            "(without: exit 2 naming its host and pid).",
        ),
    ] = False,
) -> int:
    """Watch until stopped: SIGTERM finishes the current step and exits 0, Ctrl+C stops at
    once (130), SIGHUP rereads the config and profiles."""
    from vpo.watch.service import WatchService
    from vpo.watch.targets import check_targets

    resolve_settings(ctx, profile=profiles[0] if profiles and len(profiles) == 1 else None)

    def load() -> list[Any]:
        targets = _targets(ctx, profiles or [], paths or [])
        check_targets(targets)
        return targets

    targets = load()
    settings = targets[0].settings
    db = open_library(settings, creates_jobs=True)
    try:
        service = WatchService(
            db,
            load,
            database=settings.database_target,
            standby=standby,
            announce=_announce,
            purge_days=settings.jobs.retention_days if settings.jobs.auto_purge else None,
        )
        return service.run(targets)
    finally:
        db.close()


def _targets(ctx: typer.Context, profiles: list[str], paths: list[str]) -> list[Any]:
    """What to watch: the PATHs (one profile's settings), else the roots of the profiles
    named (--profile, or the global one, or $VPO_PROFILE), else of every profile with roots."""
    from vpo.config.loader import available_profiles
    from vpo.config.settings import vpo_home
    from vpo.watch.models import WatchRoot
    from vpo.watch.targets import normalised

    if paths:
        if len(profiles) > 1:
            raise UsageError("with PATHs, give at most one --profile (its settings apply to them)")
        effective = effective_settings(ctx, profile=profiles[0] if profiles else None)
        profile = effective.profile
        for path in paths:
            if not os.path.isdir(path):
                raise RootNotFoundError(f"not a folder: {path}", details={"path": path})
        return [
            WatchRoot(
                normalised(p),
                profile.name if profile else None,
                effective.settings,
                profile.default_policy if profile else None,
            )
            for p in paths
        ]
    chosen = selected_profile(ctx)
    names = profiles or ([chosen] if chosen else available_profiles(vpo_home()))
    targets = []
    for name in names:
        effective = effective_settings(ctx, profile=name)
        profile = effective.profile
        assert profile is not None
        if not profile.roots and (profiles or chosen):
            raise UsageError(f"profile {name!r} names no roots (add `roots: [...]` to {profile.path})")
        targets += [
            WatchRoot(normalised(r), name, effective.settings, profile.default_policy) for r in profile.roots
        ]
    return targets


@app.command("status", cls=Command)
def status_cmd(ctx: typer.Context, json_out: JsonOpt = False) -> int:
    """Each watched root: events or polling (and why), files waiting to settle, files
    handled in the last 24 hours, the last error; and the profiles' roots nobody watches."""
    from vpo.watch.status import watch_status

    effective = resolve_settings(ctx)
    configured = _configured_roots()
    if not effective.settings.has_catalogue:  # a query: it never creates a catalogue
        rows = watch_status(None, configured)
    else:
        db = open_library(effective.settings)
        try:
            rows = watch_status(db, configured)
        finally:
            db.close()
    if json_out:
        print_json({"roots": [r.to_dict() for r in rows]})
        return 0
    if not rows:
        print_text("Nothing is watched and no profile names roots.")
        return 0
    _print_status(rows)
    return 0


def _configured_roots() -> list[tuple[bytes, str | None]]:
    from vpo.config.profiles import list_profiles
    from vpo.config.settings import vpo_home
    from vpo.watch.targets import normalised

    out: list[tuple[bytes, str | None]] = []
    for entry in list_profiles(vpo_home()):  # a broken profile is left out, not fatal here
        out += [(normalised(r), entry.name) for r in entry.roots]
    return out


def _print_status(rows: list[Any]) -> None:
    from vpo.timeutil import to_local_display

    lines = [
        (
            shown(r.root),
            r.state,
            str(r.waiting),
            str(r.handled_24h),
            f"{r.host}:{r.pid}" if r.host else "-",
            r.profile or "-",
        )
        for r in rows
    ]
    print_text(table(["ROOT", "STATE", "WAITING", "HANDLED 24H", "WATCHER", "PROFILE"], lines, right=(2, 3)))
    for r in rows:
        if r.reason:
            print_text(f"{shown(r.root)}: {r.state}: {r.reason}")
        if r.last_error:
            print_text(f"{shown(r.root)}: last error ({to_local_display(r.last_error_at)}): {r.last_error}")
