"""`vpo inspect`."""

from __future__ import annotations

import os
from typing import Annotated, Optional

import typer

from vpo.cli.context import settings_for
from vpo.cli.options import JsonOpt, ProfileOpt
from vpo.cli.render import print_json, print_text, safe, tracks_table


def inspect(
    ctx: typer.Context,
    file: Annotated[str, typer.Argument(metavar="FILE", help="The media file to probe.")],
    prober: Annotated[Optional[str], typer.Option("--prober", help="pyav (default) or ffprobe.")] = None,
    json_out: JsonOpt = False,
    profile: ProfileOpt = None,
) -> int:
    """Show the tracks of one file, probed now (the catalogue is not touched)."""
    from vpo.media.inspect import inspect_file
    from vpo.media.probe import BACKENDS, prober_for

    if prober is not None and prober not in BACKENDS:
        raise typer.BadParameter(f"{prober!r}; choose from {', '.join(BACKENDS)}", param_hint="--prober")
    settings = settings_for(ctx, profile=profile, **{"scan.prober": prober})
    config = prober_for(settings)
    from vpo.edit.rollback import roll_back_file

    roll_back_file(os.fsencode(settings.journal_dir), settings, os.fsencode(os.path.abspath(file)))
    report = inspect_file(os.fsencode(file), config)
    report["integrity"] = _integrity(settings, os.fsencode(report["path"]))
    if json_out:
        print_json(report)
        return 0
    print_text(safe(report["path"]))
    print_text(
        f"  container: {safe(report['container'])}, duration: {report['duration_seconds'] or '?'}s, "
        f"size: {report['size_bytes']:,} bytes"
    )
    print_text(f"  integrity: {_describe(report['integrity'])}")
    print_text(tracks_table(report["tracks"]))
    return 0


def _integrity(settings, path: bytes):  # type: ignore[no-untyped-def]
    """The catalogue's word on the file's health (None: no catalogue, or not in it)."""
    from vpo.check.status import integrity_status
    from vpo.db.connection import open_database

    if not settings.has_catalogue:
        return None
    db = open_database(settings.database_target)
    try:
        return integrity_status(db, path)
    finally:
        db.close()


def _describe(status) -> str:  # type: ignore[no-untyped-def]
    from vpo.timeutil import to_local_display

    if status is None:
        return "not catalogued (run vpo scan, then vpo check)"
    check = status["check"]
    if check is None:
        scan = "passed" if status["scan_status"] == "ok" else status["scan_status"]
        return (
            f"not checked by vpo check; the scan's quick check {scan} "
            f"({to_local_display(status['last_scanned'])})"
        )
    verdict = "passed" if check["passed"] else f"FAILED: {safe(check['error'])}"
    stale = "" if check["current"] else "; the file changed since"
    return f"{check['level']} check {verdict} ({to_local_display(check['checked_at'])}{stale})"
