"""`vpo inspect`."""

from __future__ import annotations

import os
from typing import Annotated, Optional

import typer

from vpo.cli.context import settings_for
from vpo.cli.options import JsonOpt, ProfileOpt
from vpo.cli.render import print_json, print_text, table


def inspect(
    ctx: typer.Context,
    file: Annotated[str, typer.Argument(help="The media file to probe.")],
    prober: Annotated[Optional[str], typer.Option("--prober", help="pyav (default) or ffprobe.")] = None,
    json_out: JsonOpt = False,
    profile: ProfileOpt = None,
) -> int:
    """Show the tracks of one file, probed now (the catalogue is not touched)."""
    from vpo.media.inspect import inspect_file
    from vpo.media.probe import BACKENDS, ProberConfig

    if prober is not None and prober not in BACKENDS:
        raise typer.BadParameter(f"{prober!r}; choose from {', '.join(BACKENDS)}", param_hint="--prober")
    settings = settings_for(ctx, profile=profile, **{"scan.prober": prober})
    config = ProberConfig(
        backend=settings.scan.prober, ffprobe=settings.tools.ffprobe, timeout=settings.scan.probe_timeout
    )
    from vpo.policy.rollback import roll_back_file

    roll_back_file(os.fsencode(settings.journal_dir), settings.database, os.fsencode(os.path.abspath(file)))
    report = inspect_file(os.fsencode(file), config)
    if json_out:
        print_json(report)
        return 0
    print_text(f"{report['path']}")
    print_text(
        f"  container: {report['container']}, duration: {report['duration_seconds'] or '?'}s, "
        f"size: {report['size_bytes']:,} bytes"
    )
    rows = [
        (
            str(t["index"]),
            t["type"],
            t["codec"] or "-",
            t["language"],
            t["title"] or "",
            "yes" if t["default"] else "",
            "yes" if t["forced"] else "",
            str(t["channels"] or "")
            if t["type"] == "audio"
            else (f"{t['width']}x{t['height']}" if t["width"] else ""),
        )
        for t in report["tracks"]
    ]
    print_text(table(["#", "TYPE", "CODEC", "LANG", "TITLE", "DEFAULT", "FORCED", "CH/SIZE"], rows))
    return 0
